/**
 * `npx vu` in vu's own checkout (the README's demo command): npm installs
 * the checkout itself into npx's cache for its own bin, which runs the
 * package's install and prepare scripts again. They skip a build that is
 * fresh (tools/build.mjs), so the first run answers without rebuilding
 * libvu.so (before: 22-54 s of node-gyp and tsc, silently). Issue 14.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmpdir } from '../helpers.js';

const LIB = join(ROOT, 'build', 'Release', 'libvu.so');
const DIST = join(ROOT, 'dist', 'cli', 'vu.js');

test('the install and prepare steps leave a fresh build alone', (t) => {
  const before = [statSync(LIB).mtimeMs, statSync(DIST).mtimeMs];
  for (const step of ['native', 'ts']) {
    const r = spawnSync('node', ['tools/build.mjs', step], { cwd: ROOT, encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout + r.stderr, '');
  }
  t.deepEqual([statSync(LIB).mtimeMs, statSync(DIST).mtimeMs], before);
});

test('npx vu in the checkout, with an empty npx cache: answers, and builds nothing', (t) => {
  const before = statSync(LIB).mtimeMs;
  const r = spawnSync('npx', ['--yes', 'vu', '--version'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_cache: tmpdir('vu-npx-'), npm_config_update_notifier: 'false' },
  });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^vu \d+\.\d+\.\d+/);
  t.is(statSync(LIB).mtimeMs, before, 'libvu.so was rebuilt');
});
