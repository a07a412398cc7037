/**
 * What `npm pack` ships: the library sources (built at install by
 * node-gyp), the compiled CLI and generator, the schema and types, the
 * bins; no tests, probes or build output.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers.js';

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
