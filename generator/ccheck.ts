/*
 * ccheck.ts -- compile the generated wrappers once, the way the build will
 * (-Wall -Wextra -Werror), so that `vu-gen add` reports a ctype that does
 * not match glibc's declaration at once instead of at `npm install`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';

export interface CompileResult {
  ok: boolean;
  /** why not (the compiler's first lines), or why it was not checked */
  output: string;
  checked: boolean;
}

/** -I of runtime/ and of its folders (runtime/core, runtime/api...), where the wrappers' headers are. */
export function runtimeIncludes(): string[] {
  const runtime = path.join(packageRoot(), 'runtime');
  if (!existsSync(runtime)) return [];
  const dirs = readdirSync(runtime).map((d) => path.join(runtime, d)).filter((d) => statSync(d).isDirectory()).sort();
  return [runtime, ...dirs].map((d) => `-I${d}`);
}

/** compileCheck -- gcc -fsyntax-only on generated-c/*.c under out. */
export function compileCheck(out: string, files = ['vu_libc.c', 'vu_syscall_table.c']): CompileResult {
  const cc = process.env.CC ?? 'gcc';
  const gen = path.join(out, 'generated-c');
  for (const f of files) {
    const r = spawnSync(cc, ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', ...runtimeIncludes(), `-I${gen}`, path.join(gen, f)], { encoding: 'utf8' });
    if (r.error) return { ok: true, checked: false, output: `not compiled (${cc}: ${r.error.message})` };
    if (r.status !== 0) {
      const lines = r.stderr.split('\n').filter((l) => /error:/.test(l)).slice(0, 8);
      return { ok: false, checked: true, output: lines.join('\n') };
    }
  }
  return { ok: true, checked: true, output: '' };
}
