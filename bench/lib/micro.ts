/**
 * The micro benchmarks: one workload binary (bench/micro.c), one operation
 * per run, under every runner; rounds interleave all (runner, op) cells in
 * a shuffled order, and a cell's figure is the median over the rounds.
 */
import { statSync } from 'node:fs';
import { Configs, Proot, SEED_FROM, SEED_TO } from './setup.js';
import { LIB, baseEnv, bin, lastJson, log, median, run, shuffled } from './util.js';

export interface Runner {
  id: string;
  label: string;
  /** the command line before the workload's own */
  prefix: string[];
  /** after the workload's own arguments (its PATH) */
  suffix?: string[];
  env: Record<string, string>;
  kind: 'native' | 'vu' | 'baseline' | 'proot';
}

export const OPS = [
  'orc-libc',
  'orc-raw',
  'getppid-libc',
  'getppid-raw',
  'stat-libc',
  'stat-raw',
  'read-libc',
  'read-raw',
] as const;
export type Op = (typeof OPS)[number];

export const OP_LABEL: Record<string, string> = {
  orc: 'open+read+close /etc/passwd',
  getppid: 'getppid',
  stat: 'stat /etc/passwd',
  read: 'read 4 KiB (/dev/zero)',
};

export function microRunners(cfg: Configs, pr: Proot): Runner[] {
  const vu = (config: string) => ({ LD_PRELOAD: LIB, VU_CONFIG: config });
  const rs: Runner[] = [
    { id: 'native', label: 'native', prefix: [], env: {}, kind: 'native' },
    // what the virtualized calls reach, opened directly: the fair reference for a remapped open
    { id: 'native-target', label: 'native, /etc/hostname itself', prefix: [], suffix: [SEED_TO], env: {}, kind: 'native' },
    { id: 'vu-libc', label: 'vu "libc" mode', prefix: [], env: vu(cfg.seedLibc), kind: 'vu' },
    { id: 'vu-all', label: 'vu "all" mode', prefix: [], env: vu(cfg.seedAll), kind: 'vu' },
    { id: 'ptrace', label: 'ptrace', prefix: [bin('baseline-ptrace')], env: {}, kind: 'baseline' },
    { id: 'seccomp-ptrace', label: 'seccomp+ptrace', prefix: [bin('baseline-seccomp-ptrace')], env: {}, kind: 'baseline' },
    { id: 'seccomp-unotify', label: 'seccomp unotify', prefix: [bin('baseline-seccomp-unotify')], env: {}, kind: 'baseline' },
    { id: 'sud', label: 'bare SUD (trap)', prefix: [bin('baseline-sud')], env: {}, kind: 'baseline' },
    { id: 'sudfloor', label: 'SUD armed, ALLOW (floor)', prefix: [bin('baseline-sudfloor')], env: {}, kind: 'baseline' },
  ];
  if (pr.path) {
    rs.push({ id: 'proot', label: 'proot', prefix: [pr.path, '-b', `${SEED_TO}:${SEED_FROM}`], env: {}, kind: 'proot' });
  }
  return rs;
}

export interface MicroCell {
  runner: string;
  op: Op;
  ns: number[];
  median: number;
  ratio: number;
  /** bytes read / st_size: tells which file the op really reached */
  size: number | null;
  /** the op reached /etc/hostname (null: the op has no path) */
  virtualized: boolean | null;
  errors: string[];
}

export interface MicroResult {
  runners: { id: string; label: string; kind: string }[];
  ops: readonly string[];
  rounds: number;
  ms_per_run: number;
  cells: MicroCell[];
}

function sizeOf(p: string): number {
  return statSync(p).size;
}

export function runMicro(runners: Runner[], rounds: number, ms: number, seed = 1): MicroResult {
  const hostSize = sizeOf(SEED_TO);
  const passwdSize = sizeOf(SEED_FROM);
  if (hostSize === passwdSize) log('warning: /etc/hostname and /etc/passwd have the same size: "virtualized" cannot be told');
  const cells = new Map<string, MicroCell>();
  for (const r of runners)
    for (const op of OPS)
      cells.set(`${r.id}/${op}`, { runner: r.id, op, ns: [], median: NaN, ratio: NaN, size: null, virtualized: null, errors: [] });
  const work = runners.flatMap((r) => OPS.map((op) => ({ r, op })));
  for (let round = 0; round < rounds; round++) {
    log(`micro: round ${round + 1}/${rounds} (${work.length} runs)`);
    for (const { r, op } of shuffled(work, seed + round)) {
      const cell = cells.get(`${r.id}/${op}`)!;
      const argv = [...r.prefix, bin('micro'), op, String(ms), ...(r.suffix ?? [])];
      const res = run(argv[0], argv.slice(1), { env: { ...baseEnv(), ...r.env }, timeout: 120_000 });
      const j = lastJson<{ ns: number; size: number }>(res.stdout);
      if (res.status !== 0 || !j) {
        cell.errors.push(`status ${res.status ?? res.signal}: ${res.stderr.trim().split('\n').pop() ?? ''}`);
        continue;
      }
      cell.ns.push(j.ns);
      cell.size = j.size;
    }
  }
  for (const c of cells.values()) {
    c.median = median(c.ns);
    const base = cells.get(`native/${c.op}`)!;
    c.ratio = c.median / base.median;
    if ((c.op.startsWith('orc') || c.op.startsWith('stat')) && c.runner !== 'native-target')
      c.virtualized = c.size === hostSize ? true : c.size === passwdSize ? false : null;
  }
  return {
    runners: runners.map((r) => ({ id: r.id, label: r.label, kind: r.kind })),
    ops: OPS,
    rounds,
    ms_per_run: ms,
    cells: [...cells.values()],
  };
}
