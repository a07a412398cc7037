/**
 * What libvu costs a process besides its calls: start-up per exec (a
 * program that execs itself N times, timed from the first image to the
 * last), resident memory (VmHWM of a small program after calls through
 * every path), and reading the config (cfgparse: vu_config_check in a loop).
 * Every vu runner runs twice, with rewriting of trapping sites off
 * (VU_REWRITE=0) and on (VU_REWRITE=1): rows `ID-rw0` and `ID-rw1`.
 */
import { Configs } from './setup.js';
import { LIB, baseEnv, bin, lastJson, log, median, run, shuffled } from './util.js';

export interface CostRunner {
  id: string;
  /** the runner without its rewriting suffix */
  base: string;
  label: string;
  env: Record<string, string>;
  /** VU_REWRITE of a vu runner; null: not under vu */
  rewrite: boolean | null;
}

export function costRunners(cfg: Configs): CostRunner[] {
  const plain = (id: string, label: string, env: Record<string, string>): CostRunner => ({ id, base: id, label, env, rewrite: null });
  const vu = (id: string, label: string, config: string): CostRunner[] =>
    [false, true].map((rw) => ({
      id: `${id}-rw${rw ? 1 : 0}`, base: id, label, env: { LD_PRELOAD: LIB, VU_CONFIG: config, VU_REWRITE: rw ? '1' : '0' }, rewrite: rw,
    }));
  return [
    plain('native', 'native', {}),
    plain('empty-preload', 'LD_PRELOAD of an empty library', { LD_PRELOAD: bin('empty-preload.so') }),
    ...vu('vu-none', 'vu, no config (VU_CONFIG="")', ''),
    ...vu('vu-libc', 'vu "libc", remap', cfg.seedLibc),
    ...vu('vu-all', 'vu "all", remap', cfg.seedAll),
    ...vu('vu-stack', `vu "all", the real workloads' stack (${cfg.stackLayers.join('+')})`, cfg.stackAll),
  ];
}

export interface CostRow {
  runner: string;
  base: string;
  label: string;
  rewrite: boolean | null;
  /** per run: mean ns per exec over the chain */
  exec_ns: number[];
  /** per run: the fastest exec of the chain (load only ever adds) */
  exec_best_ns: number[];
  exec_median_ns: number;
  /** median over runs of the fastest exec */
  exec_best_median_ns: number;
  /** exec_best_median_ns minus native's */
  exec_added_ns: number;
  /** the same from the means (loaded machines inflate it) */
  exec_added_mean_ns: number;
  hwm_kb: number[];
  hwm_median_kb: number;
  hwm_added_kb: number;
  errors: string[];
}

export interface ParseCost {
  config: string;
  layers: string;
  ns: number;
  errors: number;
}

export interface Costs {
  execs_per_run: number;
  rounds: number;
  rows: CostRow[];
  parse: ParseCost[];
}

export function runCosts(rs: CostRunner[], cfg: Configs, rounds: number, execs: number, seed = 3): Costs {
  const rows = new Map<string, CostRow>();
  for (const r of rs)
    rows.set(r.id, {
      runner: r.id, base: r.base, label: r.label, rewrite: r.rewrite, exec_ns: [], exec_best_ns: [], exec_median_ns: NaN, exec_best_median_ns: NaN,
      exec_added_ns: NaN, exec_added_mean_ns: NaN,
      hwm_kb: [], hwm_median_kb: NaN, hwm_added_kb: NaN, errors: [],
    });
  const work = rs.flatMap((r) => (['exec', 'rss'] as const).map((what) => ({ r, what })));
  for (let round = 0; round < rounds; round++) {
    log(`costs: round ${round + 1}/${rounds}`);
    for (const { r, what } of shuffled(work, seed + round)) {
      const row = rows.get(r.id)!;
      const args = what === 'exec' ? ['exec', String(execs)] : ['rss'];
      const res = run(bin('micro'), args, { env: { ...baseEnv(), ...r.env } });
      const j = lastJson<{ ns?: number; best_ns?: number; rss_kb?: number; hwm_kb?: number }>(res.stdout);
      if (res.status !== 0 || !j) {
        row.errors.push(`${what}: status ${res.status}: ${res.stderr.trim().split('\n').pop()}`);
        continue;
      }
      if (what === 'exec') {
        row.exec_ns.push(j.ns!);
        row.exec_best_ns.push(j.best_ns!);
      }
      else row.hwm_kb.push(Math.max(j.hwm_kb!, j.rss_kb!));
    }
  }
  const native = rows.get('native')!;
  for (const row of rows.values()) {
    row.exec_median_ns = median(row.exec_ns);
    row.exec_best_median_ns = median(row.exec_best_ns);
    row.hwm_median_kb = median(row.hwm_kb);
  }
  for (const row of rows.values()) {
    row.exec_added_ns = row.exec_best_median_ns - native.exec_best_median_ns;
    row.exec_added_mean_ns = row.exec_median_ns - native.exec_median_ns;
    row.hwm_added_kb = row.hwm_median_kb - native.hwm_median_kb;
  }
  const parse: ParseCost[] = [];
  for (const [file, layers] of [
    [cfg.seedAll, 'remap'],
    [cfg.stackAll, cfg.stackLayers.join('+')],
  ] as const) {
    const ns: number[] = [];
    let errors = 0;
    for (let i = 0; i < Math.max(3, Math.min(rounds, 5)); i++) {
      const j = lastJson<{ ns: number; errors: number }>(run(bin('cfgparse'), [LIB, file, '500']).stdout);
      if (j) {
        ns.push(j.ns);
        errors = j.errors;
      }
    }
    parse.push({ config: file, layers, ns: median(ns), errors });
  }
  return { execs_per_run: execs, rounds, rows: [...rows.values()], parse };
}
