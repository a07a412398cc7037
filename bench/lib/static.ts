/**
 * Static programs (no PT_INTERP, so no LD_PRELOAD): a gcc -static C
 * program and a CGO_ENABLED=0 Go program doing open+read+close and stat of
 * one file in a loop (bench/static/), timed inside the process, natively,
 * under vu (a dynamic shell under vu execs them, so vu's loader vu-static
 * starts them) with rewriting off and on, and under proot. Rounds
 * interleave every (program, runner) pair; each round's ratio is taken
 * against that round's native run. Before timing, each program must read
 * the remapped file under vu (`sh -c exec` and `vu run`), or the bench fails.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Proot, StaticSetup } from './setup.js';
import { CACHE, LIB, ROOT, baseEnv, lastJson, log, max, median, min, run, shuffled } from './util.js';

interface StaticRunner {
  id: string;
  label: string;
  prefix: string[];
  env: Record<string, string>;
}

export interface StaticCell {
  prog: string;
  runner: string;
  /** per run: ns per iteration (the best of 5 batches) */
  ns: number[];
  /** per round: this run / the same round's native run */
  ratios: number[];
  median_ns: number;
  ratio: number;
  ratio_min: number;
  ratio_max: number;
  /** the run read the remapped file (null: not checked, native) */
  virtualized: boolean | null;
  errors: string[];
}

export interface StaticProgResult {
  id: string;
  label: string;
  /** system calls per iteration, natively (strace -f -c over the whole run) */
  syscalls_per_iter: number | null;
  /** SUD traps per iteration under vu, rewriting on (VU_STATS) */
  traps_per_iter: number | null;
}

export interface StaticResult {
  iterations: number;
  rounds: number;
  config: string;
  progs: StaticProgResult[];
  runners: { id: string; label: string }[];
  cells: StaticCell[];
}

/** the shell that execs the program: a dynamic parent under vu */
const EXEC = ['/bin/sh', '-c', 'exec "$0" "$@"'];

function runners(st: StaticSetup, pr: Proot): StaticRunner[] {
  const vu = (rw: string) => ({ LD_PRELOAD: LIB, VU_CONFIG: st.config, VU_REWRITE: rw });
  const rs: StaticRunner[] = [
    { id: 'native', label: 'native', prefix: [], env: {} },
    { id: 'vu-rw0', label: 'vu, rewriting off', prefix: EXEC, env: vu('0') },
    { id: 'vu-rw1', label: 'vu, rewriting on', prefix: EXEC, env: vu('1') },
  ];
  if (pr.path) rs.push({ id: 'proot', label: 'proot', prefix: [pr.path, '-b', `${st.other}:${st.data}`], env: {} });
  return rs;
}

/** the sum of the first 4 KiB of a file, as the programs compute it */
function byteSum(file: string): number {
  return [...readFileSync(file).subarray(0, 4096)].reduce((a, b) => a + b, 0);
}

/** The number of iterations a run of N makes (orc.c: warm-up and batches). */
function iterations(n: number): number {
  return Math.floor(n / 10) + 1 + 5 * Math.floor(n / 5);
}

interface Out {
  ns: number;
  sum: number;
}

function once(argv: string[], env: Record<string, string>): Out | string {
  const r = run(argv[0], argv.slice(1), { env: { ...baseEnv(), ...env }, timeout: 600_000 });
  const j = lastJson<Out>(r.stdout);
  if (r.status !== 0 || !j) return `status ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`;
  return j;
}

/** Under vu the programs must read the remapped file: throws when not. */
function check(st: StaticSetup): void {
  const want = byteSum(st.other);
  const native = byteSum(st.data);
  for (const p of st.progs) {
    const n = once([p.exe, st.data, '20'], {});
    if (typeof n === 'string' || n.sum !== native) throw new Error(`static ${p.id} natively: ${typeof n === 'string' ? n : `sum ${n.sum}, want ${native}`}`);
    const vu = { LD_PRELOAD: LIB, VU_CONFIG: st.config };
    for (const [how, argv, env] of [
      ['sh -c exec', [...EXEC, p.exe, st.data, '20'], vu],
      ['vu run', [process.execPath, join(ROOT, 'bin', 'vu.js'), 'run', '-c', st.config, '--', p.exe, st.data, '20'], {}],
    ] as const) {
      const o = once([...argv], env);
      if (typeof o === 'string') throw new Error(`static ${p.id} under vu (${how}) failed: ${o}`);
      if (o.sum !== want)
        throw new Error(`static ${p.id} under vu (${how}) read ${o.sum === native ? 'the real file' : `a sum of ${o.sum}`}, not the remapped one: vu's loader did not virtualize it`);
    }
  }
}

/** strace -f -c: system calls of a native run of n, per iteration */
function syscallsPerIter(exe: string, data: string, n: number): number | null {
  const out = join(CACHE, 'strace-static.txt');
  rmSync(out, { force: true });
  const r = run('strace', ['-f', '-c', '-o', out, exe, data, String(n)]);
  if (r.status !== 0 || !existsSync(out)) return null;
  const total = readFileSync(out, 'utf8').split('\n').find((l) => /\btotal\s*$/.test(l));
  const calls = total ? Number(total.trim().split(/\s+/)[3]) : NaN;
  return Number.isFinite(calls) ? calls / iterations(n) : null;
}

/** VU_STATS under vu (rewriting on): the program's SUD traps per iteration */
function trapsPerIter(st: StaticSetup, exe: string, n: number): number | null {
  const file = join(CACHE, 'vu-stats-static.jsonl');
  rmSync(file, { force: true });
  const r = run(EXEC[0], [...EXEC.slice(1), exe, st.data, String(n)], {
    env: { ...baseEnv(), LD_PRELOAD: LIB, VU_CONFIG: st.config, VU_REWRITE: '1', VU_STATS: file },
  });
  if (r.status !== 0 || !existsSync(file)) return null;
  let sud = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as { sud: number; exe: string };
    if (/vu-static$/.test(j.exe) || j.exe === exe) sud += j.sud;
  }
  return sud / iterations(n);
}

export function runStatic(st: StaticSetup, pr: Proot, rounds: number, n: number, haveStrace: boolean, seed = 11): StaticResult {
  const rs = runners(st, pr);
  const res: StaticResult = { iterations: n, rounds, config: st.config, progs: [], runners: rs.map((r) => ({ id: r.id, label: r.label })), cells: [] };
  if (!st.progs.length) return res;
  log('static: checking that vu remaps what the static programs read');
  check(st);
  const want = byteSum(st.other);
  const cells = new Map<string, StaticCell>();
  for (const p of st.progs)
    for (const r of rs)
      cells.set(`${p.id}/${r.id}`, {
        prog: p.id, runner: r.id, ns: [], ratios: [], median_ns: NaN, ratio: NaN, ratio_min: NaN, ratio_max: NaN,
        virtualized: null, errors: [],
      });
  for (let round = 0; round < rounds; round++) {
    log(`static: round ${round + 1}/${rounds}`);
    const times = new Map<string, number>();
    const pairs = st.progs.flatMap((p) => rs.map((r) => ({ p, r })));
    for (const { p, r } of shuffled(pairs, seed + round)) {
      const cell = cells.get(`${p.id}/${r.id}`)!;
      const o = once([...r.prefix, p.exe, st.data, String(n)], r.env);
      if (typeof o === 'string') {
        cell.errors.push(o);
        continue;
      }
      cell.ns.push(o.ns);
      if (r.id !== 'native') cell.virtualized = o.sum === want && cell.virtualized !== false;
      times.set(`${p.id}/${r.id}`, o.ns);
    }
    for (const p of st.progs) {
      const base = times.get(`${p.id}/native`);
      for (const r of rs) {
        const t = times.get(`${p.id}/${r.id}`);
        if (base && t) cells.get(`${p.id}/${r.id}`)!.ratios.push(t / base);
      }
    }
  }
  for (const c of cells.values()) {
    c.median_ns = median(c.ns);
    c.ratio = median(c.ratios);
    c.ratio_min = min(c.ratios);
    c.ratio_max = max(c.ratios);
  }
  res.cells = [...cells.values()];
  for (const p of st.progs) {
    log(`static: counts: ${p.id}`);
    res.progs.push({
      id: p.id, label: p.label,
      syscalls_per_iter: haveStrace ? syscallsPerIter(p.exe, st.data, n) : null,
      traps_per_iter: trapsPerIter(st, p.exe, n),
    });
  }
  return res;
}
