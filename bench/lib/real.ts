/**
 * Real workloads: wall time of whole programs (timeit: fork to wait4)
 * natively, under vu with the stack, under vu with trace on, under proot;
 * rounds interleave every (workload, runner) pair, and each round's ratio
 * is taken against that round's native run. Once per workload, untimed:
 * strace -f -c counts its system calls natively, and two runs under vu
 * with VU_STATS count how many of them still trapped, with rewriting of
 * trapping sites off (VU_REWRITE=0) and on (VU_REWRITE=1).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIND_TARGET, Configs, Proot, SEED_FROM, SEED_TO, cProject, gitRepo, python, textFile } from './setup.js';
import { CACHE, LIB, baseEnv, bin, lastJson, log, max, median, min, run, shuffled, which } from './util.js';

export interface Workload {
  id: string;
  label: string;
  cmd: string[];
  cwd?: string;
  /** untimed, before every run */
  before?: () => void;
}

export interface RealRunner {
  id: string;
  label: string;
  prefix: string[];
  env: Record<string, string>;
  /** untimed, after every run */
  after?: () => void;
}

/** The real workloads whose programs are installed; skipped ones go to notes. */
export function workloads(quick: boolean, notes: string[]): Workload[] {
  const have = (cmd: string) => {
    const ok = which(cmd) !== null;
    if (!ok) notes.push(`${cmd} is not installed: its workload is skipped.`);
    return ok;
  };
  const ws: Workload[] = [];
  if (have('find'))
    ws.push({ id: 'find', label: quick ? 'find /usr/share/doc -name x' : 'find /usr/share -name x',
      cmd: ['find', quick ? '/usr/share/doc' : '/usr/share', '-name', 'x'] });
  if (have('tar')) ws.push({ id: 'tar', label: 'tar cf /dev/null /usr/share/doc', cmd: ['tar', 'cf', '/dev/null', '/usr/share/doc'] });
  if (have(python()))
    ws.push({ id: 'python', label: 'python3 -c "import json, email, http.client, sqlite3"',
      cmd: [python(), '-c', 'import json, email, http.client, sqlite3'] });
  if (have('git')) {
    const repo = gitRepo(quick ? 500 : 5000);
    ws.push({ id: 'git', label: `git status (${quick ? 500 : 5000} files)`, cmd: ['git', 'status'], cwd: repo });
  }
  if (have('make') && have('cc')) {
    const proj = cProject(quick ? 2 : 16);
    ws.push({ id: 'make', label: `make -j2 (${quick ? 2 : 16} C files + main)`, cmd: ['make', '-s', '-j2'], cwd: proj,
      before: () => void run('make', ['-s', 'clean'], { cwd: proj }) });
  }
  ws.push({ id: 'node', label: 'node -e 0', cmd: [process.execPath, '-e', '0'] });
  // several short processes: a shell and seven programs of coreutils and grep
  if (['sh', 'cat', 'tr', 'grep', 'sort', 'uniq', 'wc'].every(have)) {
    const lines = quick ? 2000 : 20000;
    const text = textFile(lines);
    ws.push({ id: 'pipeline', label: `sh -c 'cat | tr | grep | sort | uniq -c | sort -rn | wc -l' (${lines} lines)`,
      cmd: ['sh', '-c', `cat ${text} | tr -s ' ' '\\n' | grep -v 7 | sort | uniq -c | sort -rn | wc -l`] });
  }
  return ws;
}

/** quick: only native and vu (the CI check), full: every runner */
export function realRunners(cfg: Configs, pr: Proot, quick: boolean): RealRunner[] {
  const withLibc = !quick;
  const vu = (config: string) => ({ LD_PRELOAD: LIB, VU_CONFIG: config });
  const rs: RealRunner[] = [
    { id: 'native', label: 'native', prefix: [], env: {} },
    { id: 'vu-stack', label: `vu (${cfg.stackLayers.join('+')}, "all")`, prefix: [], env: vu(cfg.stackAll) },
  ];
  if (withLibc) rs.push({ id: 'vu-stack-libc', label: `vu (${cfg.stackLayers.join('+')}, "libc")`, prefix: [], env: vu(cfg.stackLibc) });
  if (!quick) {
    // the floors: what any preloaded library costs (the loader maps it in
    // every exec), and what arming SUD costs every system call with nothing
    // trapping (sud-preload.so in its floor mode, preloaded the same way)
    rs.push({ id: 'empty-preload', label: 'LD_PRELOAD of an empty library', prefix: [], env: { LD_PRELOAD: bin('empty-preload.so') } });
    rs.push({ id: 'sudfloor', label: 'SUD armed, nothing trapping', prefix: [],
      env: { LD_PRELOAD: bin('sud-preload.so'), BASELINE_SUD: 'floor' } });
  }
  if (cfg.trace) {
    const out = cfg.traceOut;
    rs.push({ id: 'vu-trace', label: 'vu + trace ("all")', prefix: [], env: vu(cfg.trace), after: () => rmSync(out, { force: true }) });
  }
  if (pr.path && !quick) {
    const binds = ['-b', `${SEED_TO}:${SEED_FROM}`];
    if (cfg.stackLayers.includes('bind')) binds.push('-b', `${join(CACHE, 'bind-src')}:${BIND_TARGET}`);
    rs.push({ id: 'proot', label: 'proot', prefix: [pr.path, ...binds], env: {} });
  }
  return rs;
}

export interface RealCell {
  workload: string;
  runner: string;
  ms: number[];
  /** per round: this run / the same round's native run */
  ratios: number[];
  median_ms: number;
  ratio: number;
  ratio_min: number;
  ratio_max: number;
  /** fastest run / native's fastest run (load only ever adds time) */
  ratio_best: number;
  errors: string[];
}

interface Timed {
  ns: number;
  status: number;
}

function timeOnce(w: Workload, r: RealRunner): Timed | string {
  w.before?.();
  const args: string[] = [];
  for (const [k, v] of Object.entries(r.env)) args.push('-e', `${k}=${v}`);
  if (w.cwd) args.push('-C', w.cwd);
  args.push('--', ...r.prefix, ...w.cmd);
  const res = run(bin('timeit'), args, { env: baseEnv(), timeout: 600_000 });
  r.after?.();
  const j = lastJson<Timed>(res.stdout);
  if (!j) return `timeit failed: ${res.stderr.trim().split('\n').pop()}`;
  if (j.status !== 0) return `exit ${j.status}: ${res.stderr.trim().split('\n').slice(-2).join(' / ')}`;
  return j;
}

export function runReal(ws: Workload[], rs: RealRunner[], rounds: number, warmup: boolean, seed = 7): RealCell[] {
  const cells = new Map<string, RealCell>();
  for (const w of ws)
    for (const r of rs)
      cells.set(`${w.id}/${r.id}`, {
        workload: w.id, runner: r.id, ms: [], ratios: [], median_ms: NaN, ratio: NaN, ratio_min: NaN, ratio_max: NaN,
        ratio_best: NaN, errors: [],
      });
  // one untimed warm-up of each pair: page cache, the fixtures' first use
  if (warmup) for (const w of ws) for (const r of rs) timeOnce(w, r);
  for (let round = 0; round < rounds; round++) {
    log(`real: round ${round + 1}/${rounds}`);
    const times = new Map<string, number>();
    const pairs = ws.flatMap((w) => rs.map((r) => ({ w, r })));
    for (const { w, r } of shuffled(pairs, seed + round)) {
      const cell = cells.get(`${w.id}/${r.id}`)!;
      const t = timeOnce(w, r);
      if (typeof t === 'string') {
        cell.errors.push(t);
        continue;
      }
      cell.ms.push(t.ns / 1e6);
      times.set(`${w.id}/${r.id}`, t.ns);
    }
    for (const w of ws) {
      const base = times.get(`${w.id}/native`);
      for (const r of rs) {
        const t = times.get(`${w.id}/${r.id}`);
        if (base && t) cells.get(`${w.id}/${r.id}`)!.ratios.push(t / base);
      }
    }
  }
  for (const c of cells.values()) {
    c.median_ms = median(c.ms);
    c.ratio = median(c.ratios);
    c.ratio_min = min(c.ratios);
    c.ratio_max = max(c.ratios);
    c.ratio_best = min(c.ms) / min(cells.get(`${c.workload}/native`)!.ms);
  }
  return [...cells.values()];
}

export interface TrapCount {
  workload: string;
  /** system calls of the whole process tree, natively (strace -f -c) */
  syscalls: number | null;
  /** calls that entered a libc wrapper / that trapped / that went through
   * a rewritten site, under vu "all", rewriting on (VU_REWRITE=1) */
  libc: number | null;
  sud: number | null;
  rw: number | null;
  per_1000: number | null;
  /** the same with rewriting off (VU_REWRITE=0) */
  libc_off: number | null;
  sud_off: number | null;
  per_1000_off: number | null;
  processes: number;
  /** the calls that trapped most, rewriting on / off: what the fast path still misses */
  top: [string, number][];
  top_off: [string, number][];
  note?: string;
}

/** strace -f -c: the total number of system calls (the "total" line). */
function straceCount(w: Workload): number | null {
  const out = join(CACHE, 'strace.txt');
  rmSync(out, { force: true });
  w.before?.();
  const r = run('strace', ['-f', '-c', '-o', out, ...w.cmd], { cwd: w.cwd, timeout: 600_000 });
  if (r.status !== 0 || !existsSync(out)) return null;
  const total = readFileSync(out, 'utf8').split('\n').find((l) => /\btotal\s*$/.test(l));
  if (!total) return null;
  // % time, seconds, usecs/call, calls, [errors], "total"
  const f = total.trim().split(/\s+/);
  const calls = Number(f[3]);
  return Number.isFinite(calls) ? calls : null;
}

interface Stats {
  libc: number;
  sud: number;
  rw: number;
  pids: Set<number>;
  top: [string, number][];
  status: number | null;
}

/** One run of w under vu with VU_STATS and VU_REWRITE=rw; null: no lines.
 * With rewriting on, an untimed run first fills vu's learned-sites cache
 * (bench/.cache/vu-sites): the count is that of a process tree whose sites vu
 * has seen before, as after the first run of a program. */
function stats(w: Workload, config: string, rw: '0' | '1'): Stats | null {
  const file = join(CACHE, 'vu-stats.jsonl');
  if (rw === '1') {
    w.before?.();
    run(w.cmd[0], w.cmd.slice(1), { cwd: w.cwd, env: { ...baseEnv(), LD_PRELOAD: LIB, VU_CONFIG: config }, timeout: 600_000 });
  }
  rmSync(file, { force: true });
  w.before?.();
  const r = run(w.cmd[0], w.cmd.slice(1), {
    cwd: w.cwd,
    env: { ...baseEnv(), LD_PRELOAD: LIB, VU_CONFIG: config, VU_REWRITE: rw, VU_STATS: file },
    timeout: 600_000,
  });
  const s: Stats = { libc: 0, sud: 0, rw: 0, pids: new Set(), top: [], status: r.status };
  const top = new Map<string, number>();
  if (!existsSync(file)) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as { pid: number; libc: number; sud: number; rw?: number; traps?: Record<string, number> };
    s.libc += j.libc;
    s.sud += j.sud;
    s.rw += j.rw ?? 0;
    s.pids.add(j.pid);
    for (const [k, v] of Object.entries(j.traps ?? {})) top.set(k, (top.get(k) ?? 0) + v);
  }
  s.top = [...top.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return s.pids.size ? s : null;
}

export function countTraps(ws: Workload[], config: string, haveStrace: boolean): TrapCount[] {
  const out: TrapCount[] = [];
  for (const w of ws) {
    log(`counts: ${w.id}`);
    const syscalls = haveStrace ? straceCount(w) : null;
    const off = stats(w, config, '0');
    const on = stats(w, config, '1');
    const per = (s: Stats | null) => (s && syscalls ? (s.sud / syscalls) * 1000 : null);
    const notes: string[] = [];
    for (const [s, what] of [[off, 'off'], [on, 'on']] as const) {
      if (!s) notes.push(`rewriting ${what}: no VU_STATS lines (libvu built without stats.c?)`);
      else if (s.status !== 0) notes.push(`rewriting ${what}: exit ${s.status} under vu`);
    }
    out.push({
      workload: w.id,
      syscalls,
      libc: on?.libc ?? null,
      sud: on?.sud ?? null,
      rw: on?.rw ?? null,
      per_1000: per(on),
      libc_off: off?.libc ?? null,
      sud_off: off?.sud ?? null,
      per_1000_off: per(off),
      processes: Math.max(on?.pids.size ?? 0, off?.pids.size ?? 0),
      top: on?.top ?? [],
      top_off: off?.top ?? [],
      note: notes.length ? notes.join('; ') : undefined,
    });
  }
  return out;
}
