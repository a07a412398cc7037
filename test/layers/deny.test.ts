/**
 * deny: the named system calls fail with the configured errno without
 * reaching the kernel, through libc wrappers and inline syscalls; calls vu
 * emulates (clone, execve, rt_sigaction) fail for the program while vu goes
 * on; names and errno are checked at start-up.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, VU, writeConfig } from '../helpers.js';

// the interpreter itself: pyenv's python3 is a bash script that forks
const PY = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

function deny(syscalls: string[], extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return writeConfig({ ...top, layers: [{ type: 'deny', syscalls, ...extra }] });
}

function fileIn(dir: string, name = 'f'): string {
  const f = join(dir, name);
  writeFileSync(f, 'data\n');
  return f;
}

test('deny: rm with unlinkat denied as EACCES prints "Permission denied" and the file stays', (t) => {
  const dir = tmpdir();
  const f = fileIn(dir);
  const r = run('rm', [f], { config: deny(['unlinkat'], { errno: 'EACCES' }) });
  t.is(r.status, 1);
  t.is(r.stderr, `rm: cannot remove '${f}': Permission denied\n`);
  t.true(existsSync(f));
  // natively the same rm removes it
  t.is(run('rm', [f], { vu: false }).status, 0);
  t.false(existsSync(f));
});

test('deny: the default errno is EPERM ("Operation not permitted")', (t) => {
  const dir = tmpdir();
  const r = run('mkdir', [join(dir, 'd')], { config: deny(['mkdir', 'mkdirat']) });
  t.is(r.status, 1);
  t.regex(r.stderr, /mkdir: cannot create directory .*: Operation not permitted\n$/);
  t.false(existsSync(join(dir, 'd')));
});

test('deny: libc and inline syscalls both fail, other calls are untouched', (t) => {
  const dir = tmpdir();
  const native = run(probe('denyprobe'), [tmpdir()], { vu: false });
  t.is(native.stdout, 'libc mkdir: ok\nraw mkdir: ok\nlibc sigaction: ok\nraw getppid: ok\n');
  const r = run(probe('denyprobe'), [dir], { config: deny(['mkdir'], { errno: 'EROFS' }) });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, 'libc mkdir: Read-only file system\nraw mkdir: Read-only file system\nlibc sigaction: ok\nraw getppid: ok\n');
  t.false(existsSync(join(dir, 'libc')));
  t.false(existsSync(join(dir, 'raw')), 'the inline syscall never reached the kernel');
});

test('deny: "intercept": "libc" denies libc calls and lets inline syscalls through', (t) => {
  const dir = tmpdir();
  const r = run(probe('denyprobe'), [dir], { config: deny(['mkdir'], {}, { intercept: 'libc' }) });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'libc mkdir: Operation not permitted\nraw mkdir: ok\nlibc sigaction: ok\nraw getppid: ok\n');
});

test('deny: a denied rt_sigaction fails for the program while vu still traps raw calls', (t) => {
  const dir = tmpdir();
  const r = run(probe('denyprobe'), [dir], { config: deny(['rt_sigaction', 'mkdir']) });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, 'libc mkdir: Operation not permitted\nraw mkdir: Operation not permitted\nlibc sigaction: Operation not permitted\nraw getppid: ok\n');
});

test('deny: a denied execve fails in bash, which goes on', (t) => {
  const r = run('bash', ['-c', '/bin/true; echo "after $?"'], { config: deny(['execve']) });
  t.is(r.status, 0);
  t.is(r.stdout, 'after 126\n');
  t.is(r.stderr, 'bash: line 1: /bin/true: Operation not permitted\n');
});

test('deny: a denied clone makes fork and threads fail with EPERM, nothing crashes', (t) => {
  const py = [
    'import os, subprocess, threading',
    'try:\n  pid = os.fork()\n  if pid == 0: os._exit(0)\n  os.waitpid(pid, 0); print("forked")\nexcept OSError as e: print("fork", e.errno)',
    'try:\n  t = threading.Thread(target=print); t.start(); t.join(); print("thread")\nexcept RuntimeError as e: print("thread", e)',
    'try:\n  subprocess.run(["true"]); print("spawned")\nexcept OSError as e: print("spawn", e.errno)',
    'print("done")',
  ].join('\n');
  const native = run(PY, ['-c', py], { vu: false });
  t.is(native.stdout, 'forked\n\nthread\nspawned\ndone\n');
  const r = run(PY, ['-c', py], { config: deny(['clone']) });
  t.is(r.status, 0, r.stderr);
  // in "all" mode clone3 answers ENOSYS (vu cannot run it in its handler), so
  // glibc's threads also go through the denied clone; python's subprocess
  // uses vfork, which is another system call
  t.is(r.stdout, "fork 1\nthread can't start new thread\nspawned\ndone\n");
});

test('deny: ls under a stack denying unrelated calls prints what it prints natively', (t) => {
  const native = run('ls', ['-la', '/etc'], { vu: false });
  const r = run('ls', ['-la', '/etc'], { config: deny(['ptrace', 'mount', 'swapon']) });
  t.deepEqual(r, native);
});

const bad: Array<[string, string, RegExp]> = [
  ['an unknown system call name', '{"layers": [\n  {"type": "deny",\n   "syscalls": ["read", "unlinkatt"]}]}',
    /vu\.json:3:25: layer deny: unknown system call "unlinkatt" \(did you mean "unlinkat"\?\)/],
  ['exit_group', '{"layers": [{"type": "deny", "syscalls": [\n "exit_group"]}]}',
    /vu\.json:2:2: layer deny: exit_group cannot be denied: the program could not end/],
  ['rt_sigreturn', '{"layers": [{"type": "deny", "syscalls": ["read", "rt_sigreturn"]}]}',
    /vu\.json:1:51: layer deny: rt_sigreturn cannot be denied/],
  ['an unknown errno', '{"layers": [{"type": "deny", "syscalls": ["read"],\n  "errno": "EFOO"}]}',
    /vu\.json:2:12: layer deny: "EFOO" is not an errno name/],
  ['a number as errno', '{"layers": [{"type": "deny", "syscalls": ["read"], "errno": 1}]}',
    /vu\.json:1:61: deny\.errno must be a string, not a number/],
  ['no syscalls', '{"layers": [{"type": "deny"}]}', /vu\.json:1:13: layer deny needs option "syscalls"/],
];

for (const [title, text, expect] of bad) {
  test(`deny: ${title} -> exit 125 with FILE:LINE:COL`, (t) => {
    const dir = tmpdir();
    const file = writeConfig(text, dir);
    const marker = join(dir, 'ran');
    const r = run('touch', [marker], { config: file });
    t.is(r.status, 125);
    t.regex(r.stderr, expect);
    t.true(r.stderr.startsWith(`vu: ${file}:`));
    t.false(existsSync(marker));
  });
}

test('deny: vu check reports the same position and exits 1', (t) => {
  const file = writeConfig('{"layers": [{"type": "deny", "syscalls": ["nope"]}]}');
  const r = run('node', [VU, 'check', file], { vu: false });
  t.is(r.status, 1);
  t.regex(r.stderr, /vu\.json:1:43: layer deny: unknown system call "nope"/);
});
