/**
 * The vu command: run, check, lib, driven as a user would.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIB, VU, seedConfig, tmpdir, writeConfig } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8');

function vu(args: string[], cwd = tmpdir()) {
  const env = { ...process.env };
  delete env.VU_CONFIG;
  delete env.LD_PRELOAD;
  return spawnSync('node', [VU, ...args], { cwd, env, encoding: 'utf8' });
}

test('vu lib prints the absolute path of libvu.so', (t) => {
  const r = vu(['lib']);
  t.is(r.status, 0);
  t.is(r.stdout, LIB + '\n');
  t.true(existsSync(r.stdout.trim()));
});

test('vu run -c runs the program under the stack and passes its status', (t) => {
  const config = seedConfig();
  const r = vu(['run', '-c', config, '--', 'cat', '/etc/passwd']);
  t.is(r.status, 0);
  t.is(r.stdout, host);
  t.is(vu(['run', '-c', config, '--', 'sh', '-c', 'exit 7']).status, 7);
});

test('vu run finds vu.json upward', (t) => {
  const config = seedConfig();
  const r = vu(['run', '--', 'cat', '/etc/passwd'], join(config, '..'));
  t.is(r.stdout, host);
});

test('vu run refuses a bad config with 125 and runs nothing', (t) => {
  const dir = tmpdir();
  const config = writeConfig('{"layers": [{"type": "nope"}]}', dir);
  const r = vu(['run', '-c', config, '--', 'touch', join(dir, 'ran')]);
  t.is(r.status, 125);
  t.regex(r.stderr, /vu: .*vu\.json:1:22: unknown layer type "nope"/);
  t.false(existsSync(join(dir, 'ran')));
});

test('vu run: command not found is 127', (t) => {
  const r = vu(['run', '-c', seedConfig(), '--', 'no-such-command-vu']);
  t.is(r.status, 127);
  t.regex(r.stderr, /no-such-command-vu: command not found/);
});

test('vu check: good config exits 0, bad config prints FILE:LINE:COL and exits 1', (t) => {
  const good = seedConfig();
  const ok = vu(['check', good]);
  t.is(ok.status, 0, ok.stderr);
  const bad = writeConfig('{\n "layers": [{"type": "remap", "map": {"/a": "/nonexistent/x"}}]\n}');
  const r = vu(['check', bad]);
  t.is(r.status, 1);
  t.is(r.stderr, `vu: ${bad}:2:45: remap.map: /nonexistent/x: No such file or directory\n`);
});
