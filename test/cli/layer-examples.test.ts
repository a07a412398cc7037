/**
 * Every layer's example, as `vu layers --json` prints it, is a layer vu
 * itself accepts: `vu check` on a config made of it exits 0. The files a
 * "path" option names (relative to the config) are made first, as a user
 * copying the example would have them; plugin's is the example plugin.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ROOT, VU, tmpdir, writeConfig } from '../helpers.js';

interface Layer {
  name: string;
  options: Array<{ name: string; kind: string; example?: unknown }>;
  example: Record<string, unknown>;
}

function vu(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.VU_CONFIG;
  delete env.LD_PRELOAD;
  return spawnSync('node', [VU, ...args], { cwd, env, encoding: 'utf8' });
}

const listed = vu(['layers', '--json'], ROOT);
const layers = JSON.parse(listed.stdout) as Layer[];
const plugins = tmpdir('vu-ex-plugin-');
execFileSync('make', ['-s', '-C', join(ROOT, 'examples', 'plugin'), `OUT=${plugins}`]);

test('vu layers --json lists every manifest with a whole example', (t) => {
  t.is(listed.status, 0, listed.stderr);
  t.true(layers.length >= 11);
  for (const l of layers) t.is(l.example.type, l.name);
  const text = vu(['layers', 'faketime'], ROOT).stdout;
  t.regex(text, /example: \{"type":"faketime","at":"2020-01-01T00:00:00Z"\}/);
});

for (const l of layers) {
  test(`vu layers ${l.name}: its example passes vu check`, (t) => {
    const dir = tmpdir('vu-ex-');
    for (const o of l.options) {
      const v = l.example[o.name];
      if (o.kind !== 'path' || typeof v !== 'string') continue;
      t.false(isAbsolute(v) && !existsSync(v), `${l.name}.${o.name}: the example names ${v}, which a user may not have`);
      if (isAbsolute(v)) continue;
      const p = join(dir, v);
      if (p.endsWith('.so')) {
        mkdirSync(dirname(p), { recursive: true });
        copyFileSync(join(plugins, 'hello.so'), p);
      } else mkdirSync(p, { recursive: true });
    }
    const config = writeConfig({ layers: [l.example] }, dir);
    const r = vu(['check', config], dir);
    t.is(r.status, 0, `${JSON.stringify(l.example)}: ${r.stderr}`);
    t.regex(r.stdout, new RegExp(`1\\. \\S*${l.name}`));
  });
}
