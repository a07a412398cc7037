/**
 * PITFALLS.md short list, items 1-8, 11, 13, 22, 23: each is a program that
 * breaks naive in-process interception, run natively and under vu.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { probe, run, seedConfig, writeConfig } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8').split('\n')[0];
const pass = readFileSync('/etc/passwd', 'utf8').split('\n')[0];

test('pitfall 1+2: pthread, raw clone, fork, vfork, posix_spawn and clone3 children are all virtualized', (t) => {
  const native = run(probe('procs'), [], { vu: false });
  t.is(native.status, 0, native.stderr);
  const who = ['main', 'pthread', 'clone', 'fork'];
  t.is(native.stdout, who.map((w) => `${w}: ${pass}\n`).join('') + `${pass}\nspawn: ${pass}\nclone3: ${pass}\n`);
  const r = run(probe('procs'), [], { config: seedConfig() });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  // clone3 is refused with ENOSYS (glibc falls back to clone)
  t.is(r.stdout, who.map((w) => `${w}: ${host}\n`).join('') + `${host}\nspawn: ${host}\nclone3: Function not implemented\n`);
});

test('pitfall 3-6: blocked signals, own SIGSYS handler, prctl and restorers', (t) => {
  const native = run(probe('signals'), [], { vu: false });
  t.is(native.status, 0, native.stderr);
  const r = run(probe('signals'), [], { config: seedConfig() });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  const lines = (s: string, l: string) => s.replaceAll(l, 'LINE');
  // the same story natively (real passwd) and under vu (remapped), except
  // that vu refuses to let the program switch SUD off
  t.is(lines(r.stdout, host), lines(native.stdout, pass).replace('prctl off: 0 accepted', 'prctl off: -1 refused'));
  t.regex(r.stdout, /handler saw kill: 1/);
  t.regex(r.stdout, /usr1 blocked: 1/);
  t.regex(r.stdout, /usr1 handler read: 1/);
  t.regex(r.stdout, /altstack: mine/);
  t.regex(r.stdout, new RegExp(`after-prctl: ${host}`));
});

test('pitfall 3: SIGSYS blocked before exec stays deliverable', (t) => {
  // bash passes its blocked mask to the child through exec
  const r = run('python3', ['-c', `import signal, os; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGSYS}); os.execv('${probe('rawopen')}', ['rawopen', '/etc/passwd'])`], { config: seedConfig() });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.split('\n')[0], host);
});

test('pitfall 6: a SIGSYS the program does not handle still kills it as natively', (t) => {
  const native = run('sh', ['-c', 'kill -SYS $$; echo survived'], { vu: false });
  const r = run('sh', ['-c', 'kill -SYS $$; echo survived'], { config: seedConfig() });
  t.is(native.signal, 'SIGSYS');
  t.is(r.signal, native.signal);
  t.is(r.stdout, native.stdout);
});

test('pitfall 7: glibc-internal calls (fopen, getpwnam) are caught by SUD in "all" mode', (t) => {
  const r = run(probe('internal'), ['/etc/passwd'], { config: seedConfig() });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.split('\n')[0], `fopen: ${host}`);
  // NSS reads the remapped /etc/passwd: no daemon entry in /etc/hostname
  t.regex(r.stdout, /getpwnam\(daemon\): not found/);
  const native = run(probe('internal'), ['/etc/passwd'], { vu: false });
  t.regex(native.stdout, /getpwnam\(daemon\): \/usr\/sbin/);
});

test('pitfall 8: a wrapped call is translated once, not again by SUD', (t) => {
  const r = run('cat', ['/etc/passwd'], { config: seedConfig(), env: { VU_DEBUG: '1' } });
  t.is(r.stdout, readFileSync('/etc/hostname', 'utf8'));
  const remaps = r.stderr.split('\n').filter((l) => / remap openat: \/etc\/passwd ->/.test(l));
  t.is(remaps.length, 1, r.stderr);
});

test('pitfall 11: env -i and a scrubbed environment keep the stack', (t) => {
  const config = seedConfig();
  for (const script of [
    'env -i /bin/cat /etc/passwd',
    'env -u LD_PRELOAD -u VU_CONFIG cat /etc/passwd',
    "python3 -c \"import os; os.execve('/bin/cat', ['cat', '/etc/passwd'], {})\"",
    'exec -c cat /etc/passwd',
  ]) {
    const r = run('bash', ['-c', script], { config });
    t.is(r.stdout.split('\n')[0], host, script);
  }
});

test('pitfall 13: vu keeps its own descriptors when the program closes them all', (t) => {
  const r = run(probe('fdclose'), [], { config: seedConfig(), env: { VU_DEBUG: '1' } });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, `read: ${host}\n`);
  // the log still reaches stderr after close_range/close/dup2 over every fd
  t.regex(r.stderr, /remap openat: \/etc\/passwd -> \/etc\/hostname/);
});

test('pitfall 22: trapped calls on a 16 KiB thread stack run on vu\'s signal stack', (t) => {
  const native = run(probe('smallstack'), [], { vu: false });
  const r = run(probe('smallstack'), [], { config: seedConfig() });
  t.is(native.status, 0);
  t.deepEqual(r, native);
});

test('pitfall 23: unknown system calls answer ENOSYS, and threads start without clone3', (t) => {
  const native = run(probe('enosys'), [], { vu: false });
  const r = run(probe('enosys'), [], { config: seedConfig() });
  t.is(native.stdout, 'nr 1000: Function not implemented\nnr 511: Function not implemented\nthread: 42\n');
  t.deepEqual(r, native);
});

test('pitfall 10: io_uring is refused with ENOSYS while layers are active, allowed with none', (t) => {
  const native = run(probe('uring'), [], { vu: false });
  t.is(native.stdout, 'io_uring_setup: ok\n');
  t.is(run(probe('uring'), [], { config: seedConfig() }).stdout, 'io_uring_setup: Function not implemented\n');
  t.is(run(probe('uring'), [], { config: writeConfig({ layers: [] }) }).stdout, 'io_uring_setup: ok\n');
  // node's libuv falls back to plain system calls: the remap still applies
  const r = run('node', ['-e', "require('fs').readFile('/etc/passwd','utf8',(e,d)=>process.stdout.write(d))"], {
    config: seedConfig(), env: { UV_USE_IO_URING: '1' },
  });
  t.is(r.stdout, readFileSync('/etc/hostname', 'utf8'));
});
