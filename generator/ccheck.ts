/*
 * ccheck.ts -- compile the generated wrappers once, the way the build will
 * (-Wall -Wextra -Werror), so that `vu-gen add` reports a ctype that does
 * not match glibc's declaration at once instead of at `npm install`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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

/** the build's own warning and define flags (binding.gyp's cflags: -W...,
 * -D..., -std=...), so that the check judges the wrappers as the build
 * will -- not, say, glibc's deprecation of readdir_r, which the build
 * allows */
export function buildFlags(): string[] {
  const gyp = path.join(packageRoot(), 'binding.gyp');
  const fallback = ['-std=gnu11', '-D_GNU_SOURCE', '-DVU_BUILDING_LIBVU', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', '-Wno-deprecated-declarations'];
  if (!existsSync(gyp)) return fallback;
  try {
    const t = JSON.parse(readFileSync(gyp, 'utf8')) as { targets: Array<{ target_name: string; cflags?: string[] }> };
    const lib = t.targets.find((x) => x.target_name === 'vu');
    const flags = (lib?.cflags ?? []).filter((f) => /^-(W|D|std=)/.test(f));
    return flags.length ? flags : fallback;
  } catch {
    return fallback;
  }
}

/** compileCheck -- gcc -fsyntax-only on generated-c/*.c under out, with the build's flags. */
export function compileCheck(out: string, files = ['vu_libc.c', 'vu_syscall_table.c']): CompileResult {
  const cc = process.env.CC ?? 'gcc';
  const gen = path.join(out, 'generated-c');
  for (const f of files) {
    const r = spawnSync(cc, [...buildFlags(), '-fsyntax-only', ...runtimeIncludes(), `-I${gen}`, path.join(gen, f)], { encoding: 'utf8' });
    if (r.error) return { ok: true, checked: false, output: `not compiled (${cc}: ${r.error.message})` };
    if (r.status !== 0) {
      const lines = r.stderr.split('\n').filter((l) => /error:/.test(l)).slice(0, 8);
      return { ok: false, checked: true, output: lines.join('\n') };
    }
  }
  return { ok: true, checked: true, output: '' };
}
