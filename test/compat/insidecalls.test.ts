/**
 * The calls glibc makes inside the functions vu runs with the selector
 * open (issue 15): a shortcut is taken only when no layer wants any call
 * the function can make (runtime/core/fncalls.c, from glibc's binary by
 * tools/libc-calls.mjs). A trace that wants one call only is such a
 * layer: for every call a program makes natively (strace -f), a trace of
 * just that call, in "all" mode, must count it as often -- setuid's and
 * setgid's signals to the other threads (tgkill), fseek's fstat, a new
 * stream's isatty, remove's rmdir, mkfifo's mknodat among them. In "libc"
 * mode (wrappers only, glibc's inside calls are not seen) never more.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, LIB, tmpdir } from '../helpers.js';
import { analyze } from '../../tools/libc-calls.mjs';

const PROBE = fileURLToPath(new URL('../probes/bin/insidecalls', import.meta.url));
/** thread timing (futex), not traced (rt_sigreturn), a thread's end; the
 * allocator's first brk and getrandom, which vu's start-up makes first
 * (test/compat/KNOWN.md) */
const TIMING = new Set(['futex', 'rt_sigreturn', 'exit', 'madvise', 'munmap', 'sched_yield', 'brk', 'getrandom']);
const MARK = 'getppid';

/** per call, what the probe makes after its mark, natively */
function native(): Map<string, number> {
  const dir = tmpdir();
  const out = join(dir, 'strace.txt');
  const r = spawnSync('strace', ['-f', '-qq', '-o', out, PROBE, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`native probe: ${r.status} ${r.stderr}`);
  const counts = new Map<string, number>();
  let on = false;
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^\d+\s+(<\.\.\. )?([a-z0-9_]+)(\(| resumed>)/.exec(line);
    if (!m) continue;
    if (m[2] === MARK) { on = true; continue; }
    if (!on || m[1] || TIMING.has(m[2])) continue;
    counts.set(m[2], (counts.get(m[2]) ?? 0) + 1);
  }
  return counts;
}

/** per call, what a trace that wants calls (and the mark) shows after
 * the mark */
function tracedAll(calls: string[], intercept: string): Map<string, number> {
  const dir = tmpdir();
  const out = join(dir, 'trace.jsonl');
  const config = join(dir, 'vu.json');
  writeFileSync(config, JSON.stringify({ intercept, layers: [{ type: 'trace', output: out, syscalls: [...calls, MARK] }] }));
  const r = spawnSync(PROBE, [dir], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: LIB, VU_CONFIG: config } });
  if (r.status !== 0) throw new Error(`probe under vu (${calls.join(' ')}, ${intercept}): ${r.status} ${r.stderr}`);
  let on = false;
  const counts = new Map<string, number>();
  for (const l of readFileSync(out, 'utf8').split('\n').filter(Boolean)) {
    const j = JSON.parse(l) as { name: string; resumed?: boolean };
    if (j.name === MARK) on = true;
    else if (on && !j.resumed && calls.includes(j.name)) counts.set(j.name, (counts.get(j.name) ?? 0) + 1);
  }
  return counts;
}
const traced = (call: string, intercept: string) => tracedAll([call], intercept).get(call) ?? 0;

const STRACE = have('strace');

(STRACE ? test : test.skip)('inside calls: a trace of one call counts it as strace -f does, for every call the program makes ("all" mode); "libc" mode never more', (t) => {
  const counts = native();
  // the probe's glibc functions make these beyond their own (this
  // machine's glibc): the test is about them
  for (const call of ['tgkill', 'ioctl', 'rmdir', 'mknodat', 'lseek']) t.true((counts.get(call) ?? 0) > 0, `natively, the probe makes ${call}`);
  const diffs: string[] = [];
  for (const [call, n] of counts) {
    const all = traced(call, 'all');
    if (all !== n) diffs.push(`${call}: native ${n}, traced ("all") ${all}`);
    const libc = traced(call, 'libc');
    if (libc > n) diffs.push(`${call}: native ${n}, traced ("libc") ${libc}`);
  }
  // and a trace of all of them at once: a wrapper's own call is wanted
  // too, so glibc's function runs as the bottom of the stack (setuid's
  // own call seen there once, its tgkill still trapped)
  const every = tracedAll([...counts.keys()], 'all');
  for (const [call, n] of counts) if ((every.get(call) ?? 0) !== n) diffs.push(`${call}: native ${n}, traced with every call ("all") ${every.get(call) ?? 0}`);
  t.deepEqual(diffs, []);
  t.log(`${counts.size} calls compared: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`);
});

test('inside calls: the table of glibc\'s calls is made from this C library, and names what the probe relies on', (t) => {
  const a = analyze();
  t.regex(a.buildId, /^[0-9a-f]{40}$/);
  const has = (fn: string, nr: number, buffered = false) => a.reach(fn, buffered)?.has(nr) ?? false;
  // x86_64 numbers: tgkill 234, ioctl 16, rmdir 84, newfstatat 262, read 0, write 1
  t.true(has('setuid', 234), 'setuid signals the other threads');
  t.true(has('remove', 84), 'remove can rmdir');
  t.true(has('fwrite', 16) && !has('fwrite', 16, true), 'a stream\'s first write asks isatty; with its buffer, no more');
  t.true(has('fseek', 262, true), 'fseek to the end asks fstat, buffer or not');
  t.true(has('fread', 0) && has('fputs', 1), 'stdio reaches read and write through _IO_file_jumps');
  t.false(has('read', 1), 'read does not write');
  t.is(a.reach('no_such_function_in_libc'), null);
});
