/**
 * Every thread-pointer state a thread can start with, and every way of
 * starting one (test/probes/tpstates.c: pthread, clone with a live
 * thread's TLS, with a null one, with the parent's, a raw inline clone with
 * a new stack, a raw vfork without one, clone3, posix_spawn's vfork with a
 * stack, a fork-like clone). Each thread reads a remapped file with inline
 * syscalls, so its calls trap, are rewritten and then come in through a
 * trampoline. Under vu every state sees the remap, in each way calls reach
 * vu (traps only, rewriting at the first trap, sites learned by an earlier
 * run and patched at start-up), where natively it sees the real file; the
 * one vu cannot run (a null thread pointer: vu finds its own state through
 * it) is refused with EINVAL and a vu: line -- never a crash or a hang.
 * Also: creating and ending threads traps 0 times once glibc's image is
 * mapped (clone, clone3 and the thread's exit go through trampolines).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const P = probe('tpstates');
const config = writeConfig({ intercept: 'all', layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] });
const STATES = ['pthread', 'clone-tls-shared', 'clone-tls-none', 'clone-parent', 'raw-clone', 'raw-nostack', 'clone3', 'vfork-stack', 'fork-like'];
const first = (f: string) => readFileSync(f, 'utf8').split('\n')[0];

function states(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of stdout.split('\n')) {
    const m = /^([a-z0-9-]+): (.*)$/.exec(l);
    if (m && STATES.includes(m[1])) out[m[1]] = m[2];
  }
  return out;
}

test('natively every state reads the real file', (t) => {
  const r = run(P, [], { vu: false });
  t.is(r.status, 0, r.stderr);
  const s = states(r.stdout);
  t.deepEqual(Object.keys(s), STATES);
  for (const k of STATES) t.is(s[k], `ok ${first('/etc/passwd')}`, k);
});

const modes: Array<[string, Record<string, string>]> = [
  ['traps only (VU_REWRITE=0)', { VU_REWRITE: '0' }],
  ['rewriting at the first trap', { VU_REWRITE_AFTER: '1' }],
  ['rewriting by default (32nd trap)', {}],
];
for (const [name, env] of modes) {
  test(`under vu, ${name}: every state sees the remap; a null thread pointer is refused (EINVAL, a vu: line)`, (t) => {
    const r = run(P, ['/etc/passwd', '40'], { config, env: { VU_CACHE_DIR: tmpdir(), ...env }, timeout: 60_000 });
    t.is(r.status, 0, r.stderr);
    const s = states(r.stdout);
    t.deepEqual(Object.keys(s), STATES, r.stdout + r.stderr);
    for (const k of STATES) {
      if (k === 'clone-tls-none') continue;
      t.is(s[k], `ok ${first('/etc/hostname')}`, k);
    }
    t.is(s['clone-tls-none'], 'EINVAL');
    t.regex(r.stderr, /vu\[\d+\]: clone: refused a thread whose thread pointer \(CLONE_SETTLS 0x0\)/);
    t.regex(r.stdout, /clone3: ENOSYS, then clone/);
  });
}

test('a raw clone with a new stack from a rewritten site (learned by a first run, patched at start-up): the child starts on its stack, no trap', (t) => {
  const cache = tmpdir();
  const stats = join(tmpdir(), 'stats.jsonl');
  const env = { VU_CACHE_DIR: cache, VU_REWRITE_AFTER: '1' };
  const args = ['/etc/passwd', '40', 'raw-clone'];
  const once = run(P, args, { config, env });
  t.is(once.stdout, `raw-clone: ok ${first('/etc/hostname')}\n`, once.stderr);
  const r = run(P, args, { config, env: { ...env, VU_STATS: stats } });
  t.is(r.stdout, `raw-clone: ok ${first('/etc/hostname')}\n`, r.stderr);
  const lines = readFileSync(stats, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const main = lines.find((l) => l.exe.endsWith('/tpstates') && l.libc > 0);
  // the first run trapped at the clone site and rewrote it; this one did not
  // trap there (the child's own sites: a thread on its parent's TLS takes the
  // trap path, rewrite_entry.S)
  t.falsy(main.traps.clone, JSON.stringify(main.traps));
  t.true(main.rw > 0);
});

test('creating and ending 200 pthreads traps 0 times (clone3 refused, clone and exit through glibc\'s image)', (t) => {
  const stats = join(tmpdir(), 'stats.jsonl');
  const cache = tmpdir();
  // the first process builds the images; the second maps them
  t.is(run(probe('threads'), ['4', '1'], { config, env: { VU_CACHE_DIR: cache } }).status, 0);
  const r = run(probe('threads'), ['200', '1'], { config, env: { VU_CACHE_DIR: cache, VU_STATS: stats } });
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(stats));
  const lines = readFileSync(stats, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  // (the probe's own inline sites trap until their 32nd call: not counted)
  const glibc = lines.flatMap((l) => l.sites as Array<{ at: string; call: string; n: number }>).filter((s) => !s.at.startsWith('threads+'));
  t.deepEqual(glibc, []);
  t.true(lines.reduce((a, l) => a + (l.rw ?? 0), 0) >= 600);	// clone3, clone, exit per thread
});

test('VU_STATS names a trap at a site of glibc\'s image for what it is: rewritten there, trapping at its trampoline (a thread on its parent\'s TLS sends its owner\'s calls there)', (t) => {
  const stats = join(tmpdir(), 'stats.jsonl');
  const r = run(P, ['/etc/passwd', '40', 'clone-parent', 'pthread'], { config, env: { VU_CACHE_DIR: tmpdir(), VU_STATS: stats } });
  t.is(r.status, 0, r.stderr);
  const sites = readFileSync(stats, 'utf8').split('\n').filter(Boolean).flatMap((l) => JSON.parse(l).sites as Array<{ at: string; sud: string }>);
  const libc = sites.filter((s) => s.at.startsWith('libc.so.6+'));
  t.true(libc.length > 0, JSON.stringify(sites));
  for (const s of libc) t.regex(s.sud, /^rewritten in the C library's image/, s.at);
});
