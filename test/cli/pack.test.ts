/**
 * What `npm pack` ships: the library sources (built at install by
 * node-gyp), the compiled CLI and generator, the schema and types, the
 * bins; no tests, probes or build output.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmpdir } from '../helpers.js';

test('npm pack contents: library, schema, bins, no test junk', (t) => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
  for (const f of [
    'bin/vu.js', 'bin/vu-gen.js', 'binding.gyp', 'syscalls.json', 'README.md',
    'runtime/core/gate.S', 'runtime/api/vu_layer.h', 'runtime/api/vu_plugin.h', 'runtime/libc/vu_wrap.h', 'generated-c/vu_syscalls.h', 'generated-c/vu.map',
    'generated-ts/vu.schema.json', 'dist/cli/vu.js', 'dist/cli/index.d.ts', 'dist/generator/cli.js',
    'generator/templates/vu_libc.c.hbs', 'layers/remap.c', 'layers/remap.json',
    'layers/overlay/overlay.c', 'layers/overlay/overlay.h', 'layers/overlay/overlay.json', 'layers/overlay/overlay.md',
  ])
    t.true(files.includes(f), f);
  const junk = files.filter((f) => /^(test|bench\/\.cache|build|node_modules|fuzz)\/|\.o$|vu-trace\.jsonl$/.test(f));
  t.deepEqual(junk, []);
});

test('the package exports the config types and the helpers', async (t) => {
  const mod = (await import('../../dist/cli/index.js')) as { libPath: () => string; SYSCALLS: unknown[] };
  t.regex(mod.libPath(), /build\/Release\/libvu\.so$/);
  t.true(mod.SYSCALLS.length >= 150);
});

test('a TypeScript project without @types/node type-checks `import type { VuConfig } from "vu"` and the helpers', (t) => {
  const dir = tmpdir();
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'vu'));
  writeFileSync(join(dir, 'a.ts'), [
    "import type { VuConfig } from 'vu';",
    "import { findConfig } from 'vu';",
    "const c: VuConfig = { layers: [{ type: 'remap', map: { '/a': '/b' } }] };",
    'export const found: string | null = findConfig("/");',
    'export default c;',
    '',
  ].join('\n'));
  // "types": [] -- no @types package is visible, as in a project without @types/node
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, types: [], skipLibCheck: false }, files: ['a.ts'] }));
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', dir], { encoding: 'utf8' });
  t.is(r.status, 0, r.stdout + r.stderr);
});
