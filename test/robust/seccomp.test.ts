/**
 * Programs under their own seccomp filters (issue 13 item 3; probe
 * test/probes/seccompself.c). A filter that fails one system call with
 * EPERM, for each call vu itself makes (rt_sigreturn after every trap, the
 * thread block's mappings and signal stack, the thread exit, getcwd and
 * readlinkat for relative paths...) and for calls only the program makes:
 * under vu the program sees what it sees natively, with the remap applied
 * -- vu's own calls are not refused (runtime/process/seccomp.c puts a
 * prefix before the program's filter), and the program's own calls,
 * including those vu makes on its behalf, are judged by its filter as
 * natively. Strict mode works; its violation kills (SIGSYS under vu where
 * natively SIGKILL: test/compat/KNOWN.md).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { probe, run, writeConfig } from '../helpers.js';

const P = probe('seccompself');
const config = writeConfig({ intercept: 'all', layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] });
const first = (f: string) => readFileSync(f, 'utf8').split('\n')[0];

// x86_64 numbers: vu's own calls (seccomp.c own_nrs), then calls only the
// program makes here (openat, read: their refusal must reach the program)
const calls: Array<[string, number]> = [
  ['rt_sigreturn', 15], ['munmap', 11], ['mmap', 9], ['mprotect', 10], ['gettid', 186],
  ['getpid', 39], ['getcwd', 79], ['readlink', 89], ['readlinkat', 267], ['rt_sigprocmask', 14],
  ['sigaltstack', 131], ['membarrier', 324], ['process_vm_readv', 310], ['prctl', 157],
  ['openat', 257], ['read', 0],
];
// (not futex: whether pthread_join waits, and so whether glibc aborts
// before or after the thread's line, is a race natively too)
const modes: Array<[string, Record<string, string>]> = [['rewriting', {}], ['traps only', { VU_REWRITE: '0' }]];

for (const [mode, env] of modes) {
  test(`seccomp: a filter that refuses one call (each of ${calls.length}, vu's own among them): the program sees what it sees natively, remapped (${mode})`, (t) => {
    const real = first('/etc/passwd');
    const remapped = first('/etc/hostname');
    for (const [name, nr] of calls) {
      const native = run(P, ['deny', String(nr)], { vu: false });
      const r = run(P, ['deny', String(nr)], { config, env, timeout: 30_000 });
      t.is(r.signal, native.signal, `${name}: ${r.stderr}`);
      t.is(r.status, native.status, `${name}: ${r.stderr}`);
      t.is(r.stdout, native.stdout.split(real).join(remapped), name);
    }
  });
}

test('seccomp: the same filter installed with prctl(PR_SET_SECCOMP)', (t) => {
  for (const nr of [15, 79, 257]) {
    const native = run(P, ['deny', String(nr), 'prctl'], { vu: false });
    const r = run(P, ['deny', String(nr), 'prctl'], { config });
    t.is(r.status, native.status, r.stderr);
    t.is(r.stdout, native.stdout.split(first('/etc/passwd')).join(first('/etc/hostname')));
    t.regex(r.stdout, /^raw: /);
  }
});

test('seccomp: strict mode -- read, write and exit work under vu; any other call kills the program', (t) => {
  for (const env of [{}, { VU_REWRITE: '0' }]) {
    const native = run(P, ['strict'], { vu: false, input: 'from stdin\n' });
    const r = run(P, ['strict'], { config, env, input: 'from stdin\n' });
    t.is(native.stdout, 'strict: ok\nfrom stdin\n');
    t.is(r.stdout, native.stdout, r.stderr);
    t.is(r.status, 0);
    const nv = run(P, ['strict-violate'], { vu: false, input: 'x\n' });
    const v = run(P, ['strict-violate'], { config, env, input: 'x\n' });
    t.is(nv.signal, 'SIGKILL');
    t.is(v.signal, 'SIGSYS');	// (KNOWN.md: a filter's kill, not strict mode's)
    t.is(v.stdout, nv.stdout);
  }
});

test('seccomp: the documented differences (KNOWN.md 9): a refused exit, clone or clone3', (t) => {
  const remapped = first('/etc/hostname');
  // exit: natively the thread's exit fails and glibc loops forever in it
  // (pthread_join hangs); under vu the exit of a thread is vu's own call
  // (it unmaps vu's block and exits: vu_exit_unmap)
  const ex = run(P, ['deny', '60'], { config });
  t.is(ex.status, 0, ex.stderr);
  t.is(ex.stdout.split('\n').filter((l) => l.endsWith(`: ${remapped}`)).length, 5);
  // clone3: vu refuses it with ENOSYS before the filter sees it, so glibc
  // falls back to clone: a refused clone makes pthread_create fail under vu
  // (natively clone3 works), a refused clone3 does not (natively EPERM, no
  // fallback)
  t.regex(run(P, ['deny', '56'], { vu: false }).stdout, /^thread: root/m);
  t.regex(run(P, ['deny', '56'], { config }).stdout, /^thread: failed$/m);
  t.regex(run(P, ['deny', '435'], { vu: false }).stdout, /^thread: failed$/m);
  t.regex(run(P, ['deny', '435'], { config }).stdout, new RegExp(`^thread: ${remapped}$`, 'm'));
});
