/**
 * Every example runs as its README line says.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test('examples/hermetic: builds from the bound sources, which stay read-only; ~/.ssh is not there', (t) => {
  const src = join(ROOT, 'examples', 'hermetic', 'src', 'hello.c');
  const before = readFileSync(src, 'utf8');
  const r = vuRun('hermetic', ['./build.sh']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'hello from a hermetic build\nsources: read-only\n~/.ssh: not there\n');
  t.is(readFileSync(src, 'utf8'), before);
  rmSync(join(ROOT, 'examples', 'hermetic', 'out'), { recursive: true, force: true });
});

test('examples/package: the tarball carries the faked owners and modes; the disk does not', (t) => {
  const dir = join(ROOT, 'examples', 'package');
  rmSync(join(dir, '.vu'), { recursive: true, force: true });
  const r = vuRun('package', ['./build.sh']);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines[0], '0');
  t.true(lines.includes('-rwsr-xr-x 0/0 ./usr/bin/app'), r.stdout);
  t.true(lines.includes('drwxr-xr-x 1/1 ./var/lib/app/'), r.stdout);
  // outside vu, the staged directory still belongs to whoever ran it
  t.is(statSync(join(dir, 'stage', 'var', 'lib', 'app')).uid, process.getuid!());
  for (const p of ['stage', 'pkg.tar', '.vu']) rmSync(join(dir, p), { recursive: true, force: true });
});

test('examples/timetravel: date, python3 and node all say 2038', (t) => {
  const r = vuRun('timetravel', ['./check.sh']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '2038-01-19\n2038\n2038\n');
});

test('examples/plugin: the template builds and runs', (t) => {
  const dir = join(ROOT, 'examples', 'plugin');
  const mk = spawnSync('make', ['-s', '-C', dir], { encoding: 'utf8' });
  t.is(mk.status, 0, mk.stderr);
  t.true(existsSync(join(dir, 'hello.so')) || readdirSync(dir).some((f) => f.endsWith('.so')));
});

test('examples/safemode: the script sees its changes, the disk keeps the originals, home is read-only', (t) => {
  const dir = join(ROOT, 'examples', 'safemode');
  rmSync(join(dir, '.vu'), { recursive: true, force: true });
  const home = mkdtempSync(join(tmpdir(), 'vu-home-'));
  const env = { ...process.env, HOME: home };
  delete env.VU_CONFIG;
  delete env.LD_PRELOAD;
  const r = spawnSync('node', [VU, 'run', '--', './try.sh'], { cwd: dir, env, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'file.txt\nnew.txt\nchanged\nhome: read-only\n');
  t.is(readFileSync(join(dir, 'data', 'file.txt'), 'utf8'), 'original\n');
  t.is(readFileSync(join(dir, 'data', 'old.txt'), 'utf8'), 'keep me\n');
  t.false(existsSync(join(dir, 'data', 'new.txt')));
  t.false(existsSync(join(home, 'vu-safemode-note')));
  t.is(readFileSync(join(dir, '.vu', 'upper', 'file.txt'), 'utf8'), 'changed\n');
  rmSync(join(dir, '.vu'), { recursive: true, force: true });
});
