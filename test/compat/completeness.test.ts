/**
 * Completeness (issue 15), gVisor-style: for real workloads, the per-call
 * counts of a trace layer equal those of `strace -f` of the same workload
 * run natively -- the day a new shortcut or an early caller loses a call,
 * this fails. Both sides are counted by call name.
 *
 * Natively, strace -k gives each call's stack: a call whose stack lies
 * wholly in ld.so, or passes through glibc's __libc_early_init, is the
 * loader's (before any code of the program runs: README, "When the view
 * starts") and is not expected in a trace. Each call's native count is
 * the range over two native runs (threads and timing move some).
 * The documented differences (layers/trace/trace.md):
 * - rt_sigreturn is not traced;
 * - calls the vDSO answers are only in the trace (strace cannot see them);
 * - futex and sched_yield counts follow thread timing: not compared;
 * - a fork-like clone has a line in the child too (its result 0);
 * - a thread still running when the process ends makes neither its exit
 *   nor its exit path's rt_sigprocmask: at most that many fewer;
 * - the allocator's first brk and getrandom in a process are vu's (its
 *   start-up allocates first): at most 2 brk and 1 getrandom fewer per
 *   process.
 * "all" mode must match; "libc" mode (wrappers only) must never show a
 * call the program did not make: per name, at most the native count.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { have, LIB, tmpdir } from '../helpers.js';

const STRACE_K = spawnSync('strace', ['-k', '-e', 'trace=none', 'true'], { stdio: 'ignore' }).status === 0;
const VDSO = new Set(['clock_gettime', 'gettimeofday', 'time', 'getcpu', 'clock_getres']);
const FORKS = new Set(['clone', 'clone3', 'fork', 'vfork']);

type Counts = Map<string, number>;
/** not compared, in either mode: rt_sigreturn (not traced), the vDSO's
 * calls, and futex and sched_yield (thread timing: node yielded once in
 * "libc" mode where both native runs did not) */
const uncounted = (k: string) => k === 'rt_sigreturn' || VDSO.has(k) || k === 'futex' || k === 'sched_yield';
const add = (m: Counts, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

/** per-call counts of the program's own calls under strace -f -k, and the
 * number of processes */
/** per call, "command pid: count" of each process (for a failure's log) */
type ByProc = Map<string, Map<string, number>>;
const addProc = (m: ByProc, k: string, who: string) => {
  const p = m.get(k) ?? new Map<string, number>();
  p.set(who, (p.get(who) ?? 0) + 1);
  m.set(k, p);
};
const showProc = (m: ByProc, k: string) =>
  [...(m.get(k) ?? new Map<string, number>())].map(([who, n]) => `${who}: ${n}`).join(', ') || 'none';

function native(cmd: string[], cwd: string): { calls: Counts; procs: number; byProc: ByProc } {
  const out = join(tmpdir(), 'strace.txt');
  // (strace -k unwinds every call's stack: node's takes 30-40 s here, and
  // over 120 s once on a busy CI machine)
  const r = spawnSync('strace', ['-f', '-k', '-qq', '-o', out, ...cmd], { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  const calls: Counts = new Map();
  const byProc: ByProc = new Map();
  const pids = new Set<string>();
  const names = new Map<string, string>();
  let cur: string | null = null, curPid = '';
  let frames: string[] = [];
  let first = true;
  const flush = () => {
    if (cur !== null) {
      const loader = (frames.length > 0 && frames.every((f) => f.includes('ld-linux'))) || frames.some((f) => f.includes('__libc_early_init'));
      if (!loader) {
        add(calls, cur);
        addProc(byProc, cur, `${names.get(curPid) ?? cmd[0]} ${curPid}`);
      }
    }
    cur = null;
    frames = [];
  };
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (line.startsWith(' > ')) {
      frames.push(line);
      continue;
    }
    flush();
    const m = /^(\d+)\s+(<\.\.\. )?([a-z0-9_]+)(\(| resumed>)/.exec(line);
    if (!m) continue;
    pids.add(m[1]);
    const ex = /execve\("([^"]*)"/.exec(line);
    if (ex) names.set(m[1], ex[1].split('/').pop()!);
    if (!m[2] && line.trimEnd().endsWith('<unfinished ...>')) continue;	// counted when it resumes
    if (first && m[3] === 'execve') {	// strace's own start of the workload
      first = false;
      continue;
    }
    cur = m[3] === 'clone3' ? 'clone' : m[3];	// (vu refuses clone3: glibc then makes a clone)
    curPid = m[1];
  }
  flush();
  return { calls, procs: pids.size, byProc };
}

function traced(cmd: string[], cwd: string, intercept: string, byProc: ByProc = new Map()): Counts {
  const dir = tmpdir();
  const out = join(dir, 'trace.jsonl');
  const config = join(dir, 'vu.json');
  writeFileSync(config, JSON.stringify({ intercept, layers: [{ type: 'trace', output: out }] }));
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LD_PRELOAD: LIB, VU_CONFIG: config } });
  if (r.error) throw r.error;
  const calls: Counts = new Map();
  const names = new Map<number, string>();
  for (const l of readFileSync(out, 'utf8').split('\n').filter(Boolean)) {
    const j = JSON.parse(l) as { name: string; pid: number; ret?: number; resumed?: boolean; errno?: string; args?: { filename?: string } };
    if (j.name === 'execve' && typeof j.args?.filename === 'string') names.set(j.pid, j.args.filename.split('/').pop()!);
    if (j.resumed) continue;	// an exec's second line
    if (j.name === 'clone3' && j.errno === 'ENOSYS') continue;	// vu's refusal: glibc then makes a clone
    if (FORKS.has(j.name) && j.ret === 0) continue;	// the child's line of a fork
    if (VDSO.has(j.name)) continue;
    const k = j.name === 'clone3' ? 'clone' : j.name;
    add(calls, k);
    addProc(byProc, k, `${names.get(j.pid) ?? cmd[0]} ${j.pid}`);
  }
  return calls;
}

/** residual: calls whose counts may still differ in this workload
 * (test/compat/KNOWN.md 11: measured, not yet explained or closed); any
 * other call that differs fails */
interface Workload { name: string; cmd: string[]; needs?: string; prep?: (dir: string) => void; residual?: string[] }

const tree = (dir: string) => {
  for (let i = 0; i < 6; i++) {
    mkdirSync(join(dir, 'tree', `d${i}`), { recursive: true });
    for (let j = 0; j < 5; j++) writeFileSync(join(dir, 'tree', `d${i}`, `f${j}.txt`), `${i} ${j}\n`.repeat(20));
  }
};

/** the interpreter itself, not a shim (pyenv's are bash scripts) */
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';

const WORKLOADS: Workload[] = [
  { name: 'find', cmd: ['find', 'tree', '-name', '*.txt'], prep: tree },
  { name: 'tar', cmd: ['tar', 'cf', '/dev/null', 'tree'], prep: tree },
  { name: 'sh pipeline', cmd: ['sh', '-c', 'cat tree/d1/f1.txt tree/d2/f2.txt | sort | uniq -c | wc -l'], prep: tree, residual: ['read', 'close', 'write'] },
  { name: 'python imports', cmd: [PYTHON, '-S', '-c', 'import json, base64'], residual: ['rt_sigaction'] },
  { name: 'git status', cmd: ['git', 'status', '--porcelain'], needs: 'git', prep: (dir) => {
    tree(dir);
    // (then a refreshed index, a second after the files: no racily clean
    // entries, so every run stats the same)
    spawnSync('sh', ['-c', 'git init -q && git -c user.email=a@b -c user.name=a add tree && git -c user.email=a@b -c user.name=a commit -qm x && echo change >> tree/d0/f0.txt && sleep 1.1 && git update-index -q --refresh; git status --porcelain >/dev/null'], { cwd: dir });
  } },
  { name: 'node', cmd: ['node', '-e', 'require("fs").readdirSync(".")'], residual: ['read', 'close', 'mmap', 'mprotect', 'munmap', 'madvise'] },
  { name: 'make', cmd: ['make', '-s', '-f', 'mk'], needs: 'make', prep: (dir) => {
    writeFileSync(join(dir, 'a.c'), 'int a(void){return 1;}\n');
    writeFileSync(join(dir, 'mk'), 'a.o: a.c\n\tgcc -c -o a.o a.c\n');
  }, residual: ['mmap', 'munmap', 'rt_sigaction', 'rt_sigprocmask', 'prlimit64'] },
];

for (const w of WORKLOADS) {
  const ok = STRACE_K && (!w.needs || have(w.needs));
  (ok ? test.serial : test.skip)(`completeness: ${w.name} -- a trace ("all") counts what strace -f counts natively, except the documented classes; "libc" never more${ok ? '' : ' [needs strace -k' + (w.needs ? ` and ${w.needs}` : '') + ']'}`, (t) => {
    t.timeout(900_000);
    const dir = tmpdir();
    w.prep?.(dir);
    const clean = () => spawnSync('rm', ['-f', join(dir, 'a.o')]);
    clean();
    const n1 = native(w.cmd, dir);
    clean();
    const n2 = native(w.cmd, dir);
    clean();
    const allByProc: ByProc = new Map();
    const all = traced(w.cmd, dir, 'all', allByProc);
    clean();
    const libc = traced(w.cmd, dir, 'libc');
    // a call's native count is the range of the two native runs (threads
    // and timing move some); the trace must fall in it
    const range = (k: string): [number, number] => {
      const a = n1.calls.get(k) ?? 0, b = n2.calls.get(k) ?? 0;
      return [Math.min(a, b), Math.max(a, b)];
    };
    const procs = Math.max(n1.procs, n2.procs);
    const diffs: string[] = [], residual: string[] = [];
    for (const k of new Set([...n1.calls.keys(), ...n2.calls.keys(), ...all.keys()])) {
      if (uncounted(k)) continue;
      const [lo, hi] = range(k);
      const vu = all.get(k) ?? 0;
      if (vu >= lo && vu <= hi) continue;
      if (k === 'brk' && vu <= hi && vu >= lo - 3 * procs) continue;
      if (k === 'getrandom' && vu <= hi && vu >= lo - procs) continue;
      // a thread still running when another calls exit_group never makes
      // its own exit: how many threads got there first is timing (node's
      // pool: 5 or 6 of them); never more than the threads there were
      if (k === 'exit' && vu <= Math.max(range('clone')[1], all.get('clone') ?? 0)) continue;
      // such a thread never reaches its exit path's rt_sigprocmask either
      // (CI once: node 29 natively, 28 traced): short by at most the
      // exits that did not happen
      const unexited = Math.max(0, (all.get('clone') ?? 0) - (all.get('exit') ?? 0));
      if (k === 'rt_sigprocmask' && vu <= hi && vu >= lo - unexited) continue;
      const what = `${k}: native ${lo === hi ? lo : `${lo}-${hi}`}, traced ${vu}`;
      if (w.residual?.includes(k)) residual.push(what);
      else diffs.push(what);
    }
    // which process made the calls that differ (a one-off in CI said only
    // "exit_group: native 6, traced 5"); pids differ between runs, commands not
    for (const d of diffs) {
      const k = d.split(':')[0];
      t.log(`${k} by process -- native: ${showProc(n1.byProc, k)}; native again: ${showProc(n2.byProc, k)}; traced: ${showProc(allByProc, k)}`);
    }
    t.deepEqual(diffs, []);
    if (residual.length) t.log(`known residual differences (KNOWN.md 11): ${residual.join('; ')}`);
    const extra: string[] = [];
    for (const [k, vu] of libc) {
      if (uncounted(k) || k === 'brk' || k === 'getrandom' || w.residual?.includes(k)) continue;
      if (k === 'exit' && vu <= Math.max(range('clone')[1], libc.get('clone') ?? 0)) continue;
      if (vu > range(k)[1]) extra.push(`${k}: native ${range(k)[1]}, traced in "libc" mode ${vu}`);
    }
    t.deepEqual(extra, []);
    t.log(`${[...n1.calls.values()].reduce((a, b) => a + b, 0)} calls natively in ${n1.procs} process(es)`);
  });
}

