/**
 * Every example runs as its README line says.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, VU } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8');

function vuRun(example: string, args: string[]) {
  const env = { ...process.env };
  delete env.VU_CONFIG;
  delete env.LD_PRELOAD;
  return spawnSync('node', [VU, 'run', '--', ...args], { cwd: join(ROOT, 'examples', example), env, encoding: 'utf8' });
}

test('examples/nopasswd: every way of reading /etc/passwd reads /etc/hostname', (t) => {
  const r = vuRun('nopasswd', ['./demo.sh']);
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, host.repeat(7));
});
