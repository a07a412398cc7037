/**
 * The bench's baselines really do the seed virtualization, each with its
 * own technique: `baseline-X cat /etc/passwd` prints /etc/hostname, inline
 * syscalls and stat are caught too, children are followed, everything
 * else is as native, and the program's exit status comes through. The SUD
 * floor virtualizes nothing by design: it is checked to be armed.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from '../helpers.js';

const BIN = join(ROOT, 'bench', 'bin');
const host = readFileSync('/etc/hostname', 'utf8');
const passwd = readFileSync('/etc/passwd', 'utf8');
const group = readFileSync('/etc/group', 'utf8');
const hostSize = statSync('/etc/hostname').size;

test.before(() => {
  execFileSync('make', ['-s', '-C', join(ROOT, 'bench')], { stdio: 'inherit' });
});

const baselines = ['ptrace', 'seccomp-ptrace', 'seccomp-unotify', 'sud'];

function bl(name: string, args: string[], env: Record<string, string> = {}) {
  return run(join(BIN, `baseline-${name}`), args, { vu: false, env });
}

function micro(name: string, op: string) {
  const r = bl(name, [join(BIN, 'micro'), op, '1']);
  return { status: r.status, ...(JSON.parse(r.stdout.trim().split('\n').pop() || '{}') as { size?: number }) };
}

for (const name of baselines) {
  test(`baselines: ${name}: cat /etc/passwd prints /etc/hostname`, (t) => {
    const r = bl(name, ['cat', '/etc/passwd']);
    t.is(r.stderr, '');
    t.is(r.status, 0);
    t.is(r.stdout, host);
  });

  test(`baselines: ${name}: inline-syscall open and stat reach /etc/hostname`, (t) => {
    for (const op of ['orc-raw', 'orc-libc', 'stat-raw', 'stat-libc']) {
      const m = micro(name, op);
      t.is(m.status, 0, op);
      t.is(m.size, hostSize, op);
    }
  });

  test(`baselines: ${name}: other files are as native, the exit status comes through`, (t) => {
    const r = bl(name, ['cat', '/etc/group']);
    t.deepEqual({ status: r.status, stdout: r.stdout }, { status: 0, stdout: group });
    t.is(bl(name, ['sh', '-c', 'exit 3']).status, 3);
  });

  test(`baselines: ${name}: a child of the program is virtualized too`, (t) => {
    // five times: SIGCHLD lands at a different point each time
    for (let i = 0; i < 5; i++) {
      const r = bl(name, ['sh', '-c', 'cat /etc/passwd; echo done']);
      t.is(r.status, 0);
      t.is(r.stdout, host + 'done\n');
    }
  });
}

test('baselines: sudfloor: SUD is armed and nothing is virtualized', (t) => {
  const r = bl('sudfloor', ['cat', '/etc/passwd'], { BASELINE_VERIFY: '1' });
  t.is(r.status, 0);
  t.is(r.stdout, passwd);
  t.regex(r.stderr, /sud-preload: armed, a trapped call reached the handler/);
  const m = micro('sudfloor', 'orc-raw');
  t.is(m.status, 0);
  t.is(m.size, statSync('/etc/passwd').size);
});

test('baselines: sud: the trap baseline is armed the same way', (t) => {
  const r = bl('sud', ['true'], { BASELINE_VERIFY: '1' });
  t.is(r.status, 0);
  t.regex(r.stderr, /armed/);
});
