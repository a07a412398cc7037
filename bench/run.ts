/**
 * npm run bench [-- --quick] [--out DIR] [--no-install] [--instructions]
 *
 * Measures vu against native and against the survey's techniques, and
 * writes BENCHMARKS.md, bench/results.json and bench/chart.svg from that
 * one run. --quick: a reduced set (short runs, small fixtures, no proot
 * install, real workloads only native and under vu, no warm-up, 1,000
 * paths instead of 10,000 in the callgrind rows) that finishes in well
 * under two minutes, written to bench/.cache/quick/
 * unless --out says otherwise. --instructions: only the callgrind and
 * memory rows, printed as a table (nothing written): the loop to iterate
 * on when working on per-call cost. See BENCHMARKS.md
 * "Method" for what is measured how.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { costRunners, runCosts } from './lib/costs.js';
import { runInstructions } from './lib/instr.js';
import { machine } from './lib/machine.js';
import { microRunners, runMicro } from './lib/micro.js';
import { countTraps, realRunners, runReal, workloads } from './lib/real.js';
import { Results, markdown, svg } from './lib/report.js';
import { build, configs, proot, scaleConfigs, staticSetup } from './lib/setup.js';
import { runStatic } from './lib/static.js';
import { targets } from './lib/targets.js';
import { BENCH, CACHE, ROOT, log, which } from './lib/util.js';

interface Options {
  quick: boolean;
  out: string | null;
  install: boolean;
  instructions: boolean;
}

function options(argv: string[]): Options {
  const o: Options = { quick: false, out: null, install: true, instructions: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--no-install') o.install = false;
    else if (a === '--instructions') o.instructions = true;
    else if (a === '--out' && argv[i + 1]) o.out = argv[++i];
    else {
      process.stderr.write('usage: node --import=tsx bench/run.ts [--quick] [--out DIR] [--no-install] [--instructions]\n');
      process.exit(2);
    }
  }
  return o;
}

function main(): void {
  const o = options(process.argv.slice(2));
  const t0 = Date.now();
  const settings = o.quick
    ? { micro_rounds: 5, micro_ms: 10, real_rounds: 3, cost_rounds: 3, execs: 20, static_rounds: 3, static_iterations: 1000,
      instr_iterations: 200, instr_entries: 1000, memory_runs: 3 }
    : { micro_rounds: 7, micro_ms: 200, real_rounds: 7, cost_rounds: 7, execs: 200, static_rounds: 7, static_iterations: 10000,
      instr_iterations: 2000, instr_entries: 10000, memory_runs: 7 };
  const m = machine();
  log(`${o.quick ? 'quick' : 'full'} run on ${m.cpu}, Linux ${m.kernel}, load ${m.load_start.join(' ')}`);
  build();
  if (o.instructions) {
    const cfg = configs();
    const notes: string[] = [];
    const ins = runInstructions(cfg, scaleConfigs(cfg, settings.instr_entries), settings.instr_iterations, settings.memory_runs, notes);
    for (const n of notes) log(n);
    for (const r of ins.rows) {
      const v = r.kind === 'scale' ? `${r.judged.toFixed(2)}x` : String(Math.round(r.judged));
      log(`${r.pass === null ? '  ?' : r.pass ? ' ok' : 'OVER'} ${r.id.padEnd(28)} ${v.padStart(10)}  (goal ${r.goal})${r.errors.length ? ' ' + r.errors[0] : ''}`);
    }
    return;
  }
  const pr = proot(o.install && !o.quick);
  log(pr.note);
  const cfg = configs();
  for (const n of cfg.notes) log(n);
  const notes = [...cfg.notes];
  if (!pr.path) notes.push(`No proot column: ${pr.note}.`);
  const haveStrace = which('strace') !== null;
  if (!haveStrace) notes.push('strace is not installed: no native system-call counts, so no traps per 1,000 calls.');

  const micro = runMicro(microRunners(cfg, pr), settings.micro_rounds, settings.micro_ms);
  const ws = workloads(o.quick, notes);
  const rrs = realRunners(cfg, pr, o.quick);
  const real = runReal(ws, rrs, settings.real_rounds, !o.quick);
  const traps = countTraps(ws, cfg.stackAll, haveStrace);
  const st = staticSetup(cfg);
  notes.push(...st.notes);
  const stat = runStatic(st, pr, settings.static_rounds, settings.static_iterations, haveStrace);
  const costs = runCosts(costRunners(cfg), cfg, settings.cost_rounds, settings.execs);
  const ins = runInstructions(cfg, scaleConfigs(cfg, settings.instr_entries), settings.instr_iterations, settings.memory_runs, notes);
  m.load_end = loadavg().map((x) => Math.round(x * 100) / 100);

  for (const c of micro.cells) if (c.errors.length) notes.push(`micro ${c.runner} ${c.op}: ${c.errors.length} failed runs (${c.errors[0]}).`);
  for (const c of real) if (c.errors.length) notes.push(`${c.workload} under ${c.runner}: ${c.errors.length} failed runs (${c.errors[0]}).`);
  for (const c of stat.cells) if (c.errors.length) notes.push(`static ${c.prog} under ${c.runner}: ${c.errors.length} failed runs (${c.errors[0]}).`);
  for (const r of costs.rows) if (r.errors.length) notes.push(`costs ${r.runner}: ${r.errors[0]}.`);
  for (const r of ins.rows) if (r.errors.length) notes.push(`instructions ${r.id}: ${r.errors[0]}.`);

  const res: Results = {
    generated_by: o.quick ? 'npm run bench -- --quick' : 'npm run bench',
    quick: o.quick,
    machine: m,
    settings: { ...settings, seconds: Math.round((Date.now() - t0) / 1000) },
    proot: pr,
    stack_layers: cfg.stackLayers,
    trace_layer: cfg.trace !== null,
    notes,
    micro,
    real: {
      workloads: ws.map((w) => ({ id: w.id, label: w.label })),
      runners: rrs.map((r) => ({ id: r.id, label: r.label })),
      cells: real,
    },
    traps,
    static: stat,
    costs,
    instructions: ins,
    targets: targets(micro, real, traps, costs, ins, 'vu-stack'),
  };
  res.settings.seconds = Math.round((Date.now() - t0) / 1000);
  const outDir = o.out ?? (o.quick ? join(CACHE, 'quick') : null);
  const mdFile = outDir ? join(outDir, 'BENCHMARKS.md') : join(ROOT, 'BENCHMARKS.md');
  const jsonFile = outDir ? join(outDir, 'results.json') : join(BENCH, 'results.json');
  const svgFile = outDir ? join(outDir, 'chart.svg') : join(BENCH, 'chart.svg');
  if (outDir) mkdirSync(outDir, { recursive: true });
  writeFileSync(jsonFile, JSON.stringify(res, null, 1) + '\n');
  writeFileSync(mdFile, markdown(res));
  writeFileSync(svgFile, svg(res));
  log(`wrote ${mdFile}, ${jsonFile}, ${svgFile} in ${res.settings.seconds} s`);
}

main();
