/**
 * The seed demo: with /etc/passwd remapped to /etc/hostname, every way of
 * reading /etc/passwd reads /etc/hostname, in both intercept modes where
 * the mode can see the call; with no config, everything is as native.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { probe, run, seedConfig, writeConfig } from '../helpers.js';

const hostname = readFileSync('/etc/hostname', 'utf8');
const passwd = readFileSync('/etc/passwd', 'utf8');

const programs: Array<[string, string, string[], string?]> = [
  ['cat', 'cat', ['/etc/passwd']],
  ['python3 open()', 'python3', ['-c', "print(open('/etc/passwd').read(), end='')"]],
  ['sh redirection', 'sh', ['-c', 'cat < /etc/passwd']],
  ['env -i', 'bash', ['-c', 'env -i /bin/cat /etc/passwd']],
  ['xargs', 'sh', ['-c', 'echo /etc/passwd | xargs cat']],
  ['inline syscall', probe('rawopen'), ['/etc/passwd']],
  ['node readFileSync', 'node', ['-e', "process.stdout.write(require('fs').readFileSync('/etc/passwd','utf8'))"]],
];

for (const [title, cmd, args] of programs) {
  test(`seed: ${title} reads /etc/hostname`, (t) => {
    const r = run(cmd, args, { config: seedConfig() });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    t.is(r.stdout, hostname);
  });

  test(`seed: ${title} with no config is native`, (t) => {
    const native = run(cmd, args, { vu: false });
    const none = run(cmd, args, { config: null });
    t.is(native.stdout, passwd);
    t.deepEqual(none, native);
  });

  test(`seed: ${title} under an empty stack is native`, (t) => {
    const native = run(cmd, args, { vu: false });
    const empty = run(cmd, args, { config: writeConfig({ layers: [] }) });
    t.deepEqual(empty, native);
  });
}

test('seed: 16 threads x 10,000 opens each read /etc/hostname', (t) => {
  const r = run(probe('threads'), ['16', '10000', '/etc/passwd'], { config: seedConfig(), timeout: 300_000 });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, `ok 160000 ${hostname.split('\n')[0]}\n`);
});

test('seed: "intercept": "libc" remaps libc calls and leaves inline syscalls alone', (t) => {
  const config = seedConfig({ intercept: 'libc' });
  t.is(run('cat', ['/etc/passwd'], { config }).stdout, hostname);
  t.is(run(probe('rawopen'), ['/etc/passwd'], { config }).stdout, passwd);
});

test('seed: relative paths and dirfds resolve to the remapped file', (t) => {
  const config = seedConfig();
  t.is(run('cat', ['passwd'], { config, cwd: '/etc' }).stdout, hostname);
  t.is(run('cat', ['../etc/./passwd'], { config, cwd: '/usr' }).stdout, hostname);
  const py = "import os; d=os.open('/etc', os.O_RDONLY); f=os.open('passwd', os.O_RDONLY, dir_fd=d); print(os.read(f, 4096).decode(), end='')";
  t.is(run('python3', ['-c', py], { config }).stdout, hostname);
});
