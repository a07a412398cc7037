/**
 * The targets of issues 4, 11 and 12, checked against one run's numbers.
 */
import { Costs } from './costs.js';
import { Instructions } from './instr.js';
import { MicroResult } from './micro.js';
import { RealCell, TrapCount } from './real.js';

export interface Target {
  id: string;
  text: string;
  limit: string;
  value: string;
  pass: boolean | null;
  detail?: string;
}

function cell(m: MicroResult, runner: string, op: string) {
  return m.cells.find((c) => c.runner === runner && c.op === op);
}

function x(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(v < 10 ? 3 : 1)}×` : 'n/a';
}

function check(v: number, limit: number): boolean | null {
  return Number.isFinite(v) ? v <= limit : null;
}

export function targets(m: MicroResult, real: RealCell[], traps: TrapCount[], costs: Costs, ins: Instructions, stackRunner: string): Target[] {
  const out: Target[] = [];
  const ratio = (a: string, b: string, op: string) => (cell(m, a, op)?.median ?? NaN) / (cell(m, b, op)?.median ?? NaN);

  const fair = (r: string) => `vs opening /etc/hostname natively: ${x(ratio(r, 'native-target', 'orc-libc'))}`;
  const libcSeed = ratio('vu-libc', 'native', 'orc-libc');
  out.push({ id: 'libc-seed', text: 'seed (open+read+close, libc), vu "libc" mode vs native', limit: '≤ 1.05×', value: x(libcSeed),
    pass: check(libcSeed, 1.05), detail: fair('vu-libc') });
  const allSeed = ratio('vu-all', 'native', 'orc-libc');
  out.push({ id: 'all-seed', text: 'seed (open+read+close, libc), vu "all" mode vs native', limit: '≤ 1.05×', value: x(allSeed),
    pass: check(allSeed, 1.05), detail: fair('vu-all') });
  const ppid = ratio('vu-all', 'sudfloor', 'getppid-libc');
  out.push({ id: 'getppid-floor', text: 'getppid (libc), vu "all" mode vs SUD armed with nothing trapping', limit: '≤ 1.05×', value: x(ppid), pass: check(ppid, 1.05) });
  const trapped = ['orc-raw', 'getppid-raw', 'stat-raw', 'read-raw'].map((op) => [op, ratio('vu-all', 'sud', op)] as const);
  const worst = Math.max(...trapped.map(([, v]) => v).filter(Number.isFinite));
  out.push({
    id: 'trap-vs-bare-sud', text: 'trapped calls (inline syscalls), vu "all" vs bare SUD', limit: '≤ 1.10×', value: x(worst),
    pass: check(worst, 1.1), detail: trapped.map(([op, v]) => `${op} ${x(v)}`).join(', '),
  });
  const rc = real.filter((c) => c.runner === stackRunner);
  const worstReal = Math.max(...rc.map((c) => c.ratio).filter(Number.isFinite));
  out.push({
    id: 'real-wall', text: 'real workloads under the vu stack ("all") vs native, wall time', limit: '≤ 1.10×', value: x(worstReal),
    pass: check(worstReal, 1.1),
    detail: rc.map((c) => `${c.workload} ${x(c.ratio)}`).join(', ') + '; fastest runs: ' + rc.map((c) => `${c.workload} ${x(c.ratio_best)}`).join(', '),
  });
  // issue 11: at most 1 trap per 1,000 calls in each workload, with rewriting on
  const per = traps.filter((t) => t.per_1000 !== null);
  const worstT = per.reduce<TrapCount | null>((w, t) => (!w || t.per_1000! > w.per_1000! ? t : w), null);
  const f1 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(1));
  out.push({
    id: 'real-traps', text: 'real workloads: SUD traps per 1,000 system calls, rewriting on (VU_REWRITE=1), worst workload', limit: '≤ 1',
    value: worstT ? `${f1(worstT.per_1000)} (${worstT.workload})` : 'n/a',
    pass: worstT ? worstT.per_1000! <= 1 : null,
    detail: per.map((t) => `${t.workload} ${f1(t.per_1000_off)} → ${f1(t.per_1000)}`).join(', ') + ' (rewriting off → on)',
  });
  const row = (base: string, rw: boolean) => costs.rows.find((r) => r.base === base && r.rewrite === rw);
  for (const id of ['vu-libc', 'vu-all', 'vu-stack']) {
    const on = row(id, true);
    const off = row(id, false);
    if (!on) continue;
    const us = on.exec_added_ns / 1000;
    out.push({ id: `exec-${id}`, text: `start-up added per exec (${on.label}), rewriting on`, limit: '≤ 150 µs',
      value: Number.isFinite(us) ? `${us.toFixed(0)} µs` : 'n/a', pass: check(us, 150),
      detail: `fastest exec of a chain; from the means: ${(on.exec_added_mean_ns / 1000).toFixed(0)} µs` +
        (off ? `; rewriting off: ${(off.exec_added_ns / 1000).toFixed(0)} µs` : '') });
  }
  for (const id of ['vu-libc', 'vu-all']) {
    const on = row(id, true);
    if (!on) continue;
    const mib = on.hwm_added_kb / 1024;
    out.push({ id: `rss-${id}`, text: `resident memory added per process (VmHWM, ${on.label}), rewriting on`, limit: '≤ 2 MiB',
      value: Number.isFinite(mib) ? `${mib.toFixed(2)} MiB` : 'n/a', pass: check(mib, 2) });
  }
  out.push(...instrTargets(ins));
  return out;
}

/** issue 12: instructions (callgrind, "libc" mode) and resident memory, one target per goal */
function instrTargets(ins: Instructions): Target[] {
  const n = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 1 });
  const signed = (v: number) => (Number.isFinite(v) ? `${v < 0 ? '−' : '+'}${n(Math.abs(v))}` : 'n/a');
  const out: Target[] = [];
  for (const r of ins.rows) {
    if (r.limit === null) continue;
    const t: Target = { id: `instr-${r.id}`, text: `${r.text} (${r.layers}, "libc" mode)`, limit: r.goal, value: 'n/a', pass: r.pass };
    if (r.errors.length) t.detail = r.errors[0];
    else if (r.kind === 'call') {
      t.value = `${signed(r.added)} instructions`;
      t.detail = `callgrind: ${n(r.native)} natively, ${n(r.vu)} under vu`;
    } else if (r.kind === 'scale') {
      t.value = Number.isFinite(r.judged) ? `${r.judged.toFixed(2)}×` : 'n/a';
      t.detail = `added per call: ${signed(r.added)} instructions with ${ins.entries.toLocaleString('en-US')} paths, ${signed(r.added_one!)} with one`;
    } else if (r.kind === 'startup') {
      t.value = `${signed(r.added)} instructions`;
      t.detail = `callgrind: ${n(r.native)} natively, ${n(r.vu)} under vu`;
    } else if (r.kind === 'per-path') {
      t.value = `${signed(r.added)} instructions`;
      t.detail = `callgrind: ${n(r.vu)} with ${ins.entries.toLocaleString('en-US')} paths, ${n(r.vu_one!)} with one`;
    } else {
      t.value = Number.isFinite(r.added) ? `${r.added < 0 ? '−' : '+'}${(Math.abs(r.added) / 1024).toFixed(2)} MiB` : 'n/a';
      t.detail = `maxrss ${n(r.native)} KiB natively, ${n(r.vu)} KiB under vu`;
    }
    out.push(t);
  }
  if (!ins.valgrind)
    out.push({ id: 'instr-callgrind', text: 'instructions per call and at start-up (callgrind)', limit: 'issue 12', value: 'n/a', pass: null,
      detail: 'valgrind is not installed' });
  return out;
}
