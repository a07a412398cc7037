/**
 * BENCHMARKS.md and chart.svg from the results object (results.json is
 * that object as it is).
 */
import { CostRow, Costs } from './costs.js';
import { InstrRow, Instructions } from './instr.js';
import { Machine } from './machine.js';
import { MicroResult, OP_LABEL } from './micro.js';
import { RealCell, TrapCount } from './real.js';
import { StaticResult } from './static.js';
import { Panel, chart } from './svg.js';
import { Target } from './targets.js';

export interface Results {
  generated_by: string;
  quick: boolean;
  machine: Machine;
  settings: Record<string, number | string | boolean>;
  proot: { path: string | null; version: string | null; note: string };
  stack_layers: string[];
  trace_layer: boolean;
  notes: string[];
  micro: MicroResult;
  real: { workloads: { id: string; label: string }[]; runners: { id: string; label: string }[]; cells: RealCell[] };
  traps: TrapCount[];
  static: StaticResult;
  costs: Costs;
  instructions: Instructions;
  targets: Target[];
}

function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

function table(head: string[], rows: string[][], align?: string[]): string {
  const al = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${head.join(' | ')} |`, `| ${al.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function microTable(m: MicroResult): string {
  const bases = ['orc', 'getppid', 'stat', 'read'];
  const rows: string[][] = [];
  for (const r of m.runners) {
    for (const path of ['libc', 'raw']) {
      const row = [`${r.label}`, path === 'libc' ? 'libc' : 'inline syscall'];
      for (const b of bases) {
        const c = m.cells.find((x) => x.runner === r.id && x.op === `${b}-${path}`);
        if (!c || !c.ns.length) {
          row.push(c?.errors.length ? `failed (${c.errors[0].slice(0, 60)})` : 'n/a');
          continue;
        }
        const mark = c.virtualized === false && r.kind !== 'native' ? ' †' : '';
        row.push(`${num(c.median)} (${ratio(c.ratio)})${mark}`);
      }
      rows.push(row);
    }
  }
  return table(['runner', 'path', ...bases.map((b) => `${OP_LABEL[b]}, ns (× native)`)], rows, [':--', ':--', '--:', '--:', '--:', '--:']);
}

function realTable(res: Results): string {
  const rs = res.real.runners.filter((r) => r.id !== 'native');
  const rows = res.real.workloads.map((w) => {
    const n = res.real.cells.find((c) => c.workload === w.id && c.runner === 'native')!;
    const row = [w.label, `${num(n.median_ms, 1)} (${num(Math.min(...n.ms), 1)}–${num(Math.max(...n.ms), 1)})`];
    for (const r of rs) {
      const c = res.real.cells.find((x) => x.workload === w.id && x.runner === r.id)!;
      if (!c.ratios.length) row.push(c.errors.length ? `failed: ${c.errors[0].slice(0, 80)}` : 'n/a');
      else row.push(`${ratio(c.ratio)} (${ratio(c.ratio_min)}–${ratio(c.ratio_max)}); best ${ratio(c.ratio_best)}`);
    }
    return row;
  });
  return table(['workload', 'native, ms (min–max)', ...rs.map((r) => `${r.label}, × native (min–max); best`)], rows);
}

function trapTable(ts: TrapCount[], labels: Map<string, string>): string {
  const n = (v: number | null, d = 0) => (v === null ? 'n/a' : num(v, d));
  const rows = ts.map((t) => [
    labels.get(t.workload) ?? t.workload,
    n(t.syscalls),
    String(t.processes),
    n(t.libc),
    n(t.sud_off),
    n(t.sud),
    n(t.rw),
    n(t.per_1000_off, 1),
    t.per_1000 === null ? 'n/a' : `**${num(t.per_1000, 1)}**`,
    t.top.map(([k, v]) => `${k} ${num(v)}`).join(', ') + (t.note ? ` (${t.note})` : ''),
  ]);
  return table(
    ['workload', 'syscalls (native, strace -f -c)', 'processes', 'libc wrapper entries', 'SUD traps, rewriting off', 'SUD traps, rewriting on',
      'calls through rewritten sites', 'traps / 1,000 syscalls, off', 'traps / 1,000 syscalls, on', 'calls that trapped most (rewriting on)'],
    rows,
    [':--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', ':--'],
  );
}

/** Where a trapped call most likely comes from: glibc functions that make
 * it internally (not through the PLT), so no wrapper sees them. */
const ORIGIN: Record<string, string> = {
  getdents64: 'readdir/scandir',
  fcntl: 'opendir/fdopendir',
  close: 'closedir, fclose',
  newfstatat: 'opendir/fdopendir, fopen, fts',
  readlink: 'realpath',
  rt_sigaction: 'signal(), glibc-internal sigaction',
  rt_sigprocmask: 'pthread, posix_spawn, glibc internals',
  lseek: 'stdio (fseek, ftell)',
  read: 'stdio (fread, getline), ld.so',
  brk: 'malloc',
  mmap: 'malloc, ld.so/dlopen',
  munmap: 'malloc, ld.so/dlopen',
  mprotect: 'ld.so/dlopen',
  ioctl: 'isatty/tcgetattr',
  getcwd: 'realpath, glibc-internal getcwd',
  openat: 'ld.so/dlopen, glibc-internal opens',
  futex: 'pthread internals',
  vfork: 'posix_spawn (vu emulates it)',
  clone: 'fork (vu emulates it)',
  exit_group: '_exit',
};

function trapOrigins(ts: TrapCount[]): string {
  const total = new Map<string, number>();
  for (const t of ts) for (const [k, v] of t.top_off) total.set(k, (total.get(k) ?? 0) + v);
  const top = [...total.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (!top.length) return '';
  return (
    'Likely origin of the calls that trapped most with rewriting off, over all workloads (glibc functions that make them internally, past the PLT, so no libc wrapper sees them; ' +
    'a hint where the fast path needs an entry point, not a measurement): ' +
    top.map(([k, v]) => `${k} ${num(v)} (${ORIGIN[k] ?? '?'})`).join('; ') +
    '.'
  );
}

function costTable(c: Costs): string {
  const us = (ns: number) => `${num(ns / 1000)} µs`;
  const kib = (kb: number) => `${num(kb)} KiB`;
  // one line per runner; a vu runner's two rows (rewriting off, on) as "off → on"
  const bases = [...new Set(c.rows.map((r) => r.base))];
  const rows = bases.map((base) => {
    const rs = c.rows.filter((r) => r.base === base).sort((a, b) => Number(a.rewrite) - Number(b.rewrite));
    const native = base === 'native';
    const cell = (f: (r: CostRow) => string) => (native ? '—' : rs.map(f).join(' → '));
    return [
      rs[0].label,
      rs.map((r) => us(r.exec_best_median_ns)).join(' → '),
      cell((r) => us(r.exec_added_ns)),
      rs.map((r) => us(r.exec_median_ns)).join(' → '),
      cell((r) => us(r.exec_added_mean_ns)),
      rs.map((r) => kib(r.hwm_median_kb)).join(' → '),
      cell((r) => kib(r.hwm_added_kb)),
    ];
  });
  return table(
    ['runner (vu: rewriting off → on)', 'exec → main, fastest', 'added by libvu', 'exec → main, mean', 'added (mean)', 'VmHWM of a small program', 'added by libvu'],
    rows,
  );
}

function staticTable(st: StaticResult): string {
  const rs = st.runners.filter((r) => r.id !== 'native');
  const rows = st.progs.map((p) => {
    const n = st.cells.find((c) => c.prog === p.id && c.runner === 'native')!;
    const us = (ns: number) => num(ns / 1000, 1);
    const row = [
      p.label,
      p.syscalls_per_iter === null ? 'n/a' : num(p.syscalls_per_iter, 1),
      p.traps_per_iter === null ? 'n/a' : num(p.traps_per_iter, 1),
      n.ns.length ? `${us(n.median_ns)} (${us(Math.min(...n.ns))}–${us(Math.max(...n.ns))})` : `failed: ${n.errors[0]?.slice(0, 80)}`,
    ];
    for (const r of rs) {
      const c = st.cells.find((x) => x.prog === p.id && x.runner === r.id)!;
      if (!c.ratios.length) {
        row.push(c.errors.length ? `failed: ${c.errors[0].slice(0, 80)}` : 'n/a');
        continue;
      }
      const perCall = p.syscalls_per_iter ? `; +${num((c.median_ns - n.median_ns) / 1000 / p.syscalls_per_iter, 1)} µs per system call` : '';
      row.push(`${us(c.median_ns)} (${ratio(c.ratio)}, ${ratio(c.ratio_min)}–${ratio(c.ratio_max)})${perCall}${c.virtualized === false ? ' †' : ''}`);
    }
    return row;
  });
  return table(
    ['static program', 'system calls / iteration (native, strace)', 'SUD traps / iteration (vu, rewriting on)', 'native, µs / iteration (min–max)',
      ...rs.map((r) => `${r.label}, µs / iteration (× native, min–max)`)],
    rows,
  );
}

function verdict(r: InstrRow): string {
  if (r.errors.length) return `failed: ${r.errors[0].slice(0, 100)}`;
  return r.pass === null ? '—' : r.pass ? 'met' : '**missed**';
}

function instrTable(ins: Instructions): string {
  const n = (v: number) => num(v, Number.isInteger(v) || Math.abs(v) >= 1000 ? 0 : 1);
  const signed = (v: number) => (Number.isFinite(v) ? `${v < 0 ? '−' : '+'}${n(Math.abs(v))}` : 'n/a');
  const paths = num(ins.entries);
  const rows = ins.rows.filter((r) => r.kind !== 'memory').map((r) => {
    let vu = n(r.vu);
    let added = signed(r.added);
    if (r.kind === 'scale') {
      vu = `${n(r.vu)} (1 path: ${n(r.vu_one!)})`;
      added = `${signed(r.added)} (1 path: ${signed(r.added_one!)}; ${ratio(r.judged)})`;
    } else if (r.kind === 'per-path') {
      vu = `${paths} paths: ${n(r.vu)}; 1 path: ${n(r.vu_one!)}`;
      added = `${signed(r.added)} per path`;
    }
    return [r.text, r.layers, n(r.native), vu, added, r.goal, verdict(r)];
  });
  return table(['measurement (instructions)', 'layers ("libc" mode)', 'native', 'vu', 'added by vu', 'goal', 'verdict'], rows,
    [':--', ':--', '--:', '--:', '--:', ':--', ':--']);
}

function memoryTable(ins: Instructions): string {
  const kib = (v: number) => `${num(v)} KiB`;
  const rows = ins.rows.filter((r) => r.kind === 'memory').map((r) =>
    [r.text, r.layers, kib(r.native), kib(r.vu), `${r.added < 0 ? '−' : '+'}${kib(Math.abs(r.added))}`, r.goal, verdict(r)]);
  return table(['measurement', 'layers ("libc" mode)', 'native', 'vu', 'added by vu', 'goal', 'verdict'], rows,
    [':--', ':--', '--:', '--:', '--:', ':--', ':--']);
}

function targetTable(ts: Target[]): string {
  return table(
    ['target (issues 4, 11, 12)', 'limit', 'measured', 'verdict', 'detail'],
    ts.map((t) => [t.text, t.limit, t.value, t.pass === null ? 'n/a' : t.pass ? 'met' : '**missed**', t.detail ?? '']),
    [':--', ':--', '--:', ':--', ':--'],
  );
}

export function markdown(res: Results): string {
  const m = res.machine;
  const s = res.settings;
  const busy = m.load_start[0] > m.cores * 0.5 || (m.load_end?.[0] ?? 0) > m.cores * 0.5;
  const labels = new Map(res.real.workloads.map((w) => [w.id, w.label]));
  const out: string[] = [];
  out.push('# vu benchmarks');
  out.push('');
  out.push(
    `Generated by \`${res.generated_by}\` on ${m.date.slice(0, 10)}${res.quick ? ' — **quick mode**: a reduced set with short runs, to keep the bench from rotting; not for quoting' : ''}. ` +
      'Every number below comes from this one run; `bench/results.json` holds them all (every run of every cell) and `bench/chart.svg` draws the ratios.',
  );
  out.push('');
  if (busy)
    out.push(
      `> **Indicative only.** The machine was busy while this ran (load average ${m.load_start.join(' / ')} at the start, ` +
        `${(m.load_end ?? []).join(' / ')} at the end, on ${m.cores} cores): medians of interleaved runs absorb some of it, not all. ` +
        'Re-run `npm run bench` on a quiet machine for numbers to quote.\n',
    );
  out.push('## Machine');
  out.push('');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu} (${m.cores} cores, ${m.virtualized})`],
        ['kernel', m.kernel],
        ['glibc', m.glibc],
        ['node', m.node],
        ['memory', `${m.memory_gib} GiB`],
        ['date', m.date],
        ['load average (1/5/15 min)', `${m.load_start.join(' / ')} at the start, ${(m.load_end ?? []).join(' / ')} at the end`],
        ['proot', res.proot.path ? `${res.proot.path} ${res.proot.version ?? ''} (${res.proot.note})` : res.proot.note],
        ['vu stack of the real workloads', `${res.stack_layers.join(', ')}${res.trace_layer ? '; trace layer present' : '; no trace layer'}`],
      ],
      [':--', ':--'],
    ),
  );
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push(targetTable(res.targets));
  out.push('');
  out.push(`## Micro benchmarks: ns per operation`);
  out.push('');
  out.push(
    `Median of ${s.micro_rounds} interleaved runs of about ${s.micro_ms} ms each; in brackets the ratio to native for the same operation and path. ` +
      '"libc" calls the libc function, "inline syscall" issues the `syscall` instruction itself (what only Syscall User Dispatch or a tracer sees). ' +
      `The vu rows use the seed config (remap /etc/passwd → /etc/hostname). † the call reached the real /etc/passwd: that technique does not see it (vu "libc" mode and inline syscalls), so the cell is not a virtualized call. ` +
      'Open+read+close and stat of the virtualized file reach /etc/hostname, which is smaller than /etc/passwd: the row "native, /etc/hostname itself" opens that file directly, the fair reference for those cells.',
  );
  out.push('');
  out.push(microTable(res.micro));
  out.push('');
  out.push('## Real workloads: wall time');
  out.push('');
  out.push(
    `Median ratio to native over ${s.real_rounds} interleaved rounds (each round's run divided by that round's native run), min–max in brackets; ` +
      '"best": the fastest run divided by the fastest native run (the machine\'s load only ever adds time, so on a busy machine this is the better estimate); ' +
      `native in milliseconds. Timed by bench/tools/timeit (fork to wait4; the program's stdout to /dev/null).`,
  );
  out.push('');
  out.push(realTable(res));
  out.push('');
  out.push('## SUD traps per workload');
  out.push('');
  out.push(
    'System calls of the whole process tree counted natively once with `strace -f -c`; libc-wrapper entries, SUD traps and calls through rewritten sites counted under the vu stack ' +
      '("all" mode) with `VU_STATS=FILE` (runtime/core/stats.c: relaxed atomic counters per process and a histogram of trapped calls, one line per process image), ' +
      'in two runs: rewriting of trapping sites off (`VU_REWRITE=0`) and on (`VU_REWRITE=1`); libc-wrapper entries are those of the run with rewriting on. ' +
      'The last column names the calls that still go through the trap with rewriting on (a rewritten site traps once, the first time): what the fast path misses.',
  );
  out.push('');
  out.push(trapTable(res.traps, labels));
  out.push('');
  out.push(
    'Rewriting (runtime/core/rewrite.c) patches a trapping site, the first time it traps, into a jump to a trampoline that makes the call without a signal: ' +
      'its later calls are "calls through rewritten sites", not traps. Both runs set VU_REWRITE explicitly (whatever the default); the target (≤ 1 per 1,000) is judged with rewriting on.',
  );
  out.push('');
  const origins = trapOrigins(res.traps);
  if (origins) {
    out.push(origins);
    out.push('');
  }
  if (res.static.progs.length) {
    const st = res.static;
    out.push('## Static programs');
    out.push('');
    out.push(
      `\`bench/static/orc.c\` (gcc -static, glibc) and \`orc.go\` (CGO_ENABLED=0) do open+read+close and stat of one file (${st.iterations} iterations, after a warm-up of a tenth, as 5 batches; the best batch per run), timed inside the process. ` +
        'Under vu a dynamic shell under vu execs them (`sh -c \'exec PROGRAM\'`), so vu\'s own loader (vu-static) starts them; every one of their calls traps (no libc wrappers), rewriting or not. ' +
        `The vu config is the real workloads' stack with the program's file remapped to another of the same size (${st.config.replace(/^.*\/bench\//, 'bench/')}); proot binds the same file. ` +
        `Median of ${st.rounds} interleaved rounds, ratio to that round's native run (min–max). "Per system call": the time added per iteration divided by the system calls of a native iteration. ` +
        'Before timing, the bench checks that under vu (through `sh -c exec` and through `vu run`) both programs read the remapped file, and stops if not. † the run read the real file.',
    );
    out.push('');
    out.push(staticTable(st));
    out.push('');
  }
  out.push('## Costs of libvu itself');
  out.push('');
  out.push(
    `Start-up: \`micro exec ${res.costs.execs_per_run}\` execs itself ${res.costs.execs_per_run} times; each image times its own exec (from just before the previous image's execve to main: kernel exec, dynamic loader, constructors). ` +
      `"Fastest" is the quickest exec of a chain (what the machine's load cannot inflate), "mean" the chain's average; both the median of ${res.costs.rounds} runs, and the target is judged on the fastest. ` +
      'Memory: VmHWM of `micro rss` after it made every micro operation once through both paths. The empty preloaded library separates what any LD_PRELOAD costs from what libvu does. ' +
      'Each vu runner runs with rewriting of trapping sites off and on (VU_REWRITE=0, VU_REWRITE=1), shown as "off → on"; the targets take "on".',
  );
  out.push('');
  out.push(costTable(res.costs));
  out.push('');
  out.push(
    table(
      ['config', 'layers', 'read + parse + check, per config'],
      res.costs.parse.map((p) => [p.config.replace(/^.*\/bench\//, 'bench/'), p.layers, `${num(p.ns / 1000, 1)} µs${p.errors ? ` (${p.errors} errors)` : ''}`]),
      [':--', ':--', '--:'],
    ),
  );
  out.push('');
  const ins = res.instructions;
  out.push('## Instructions (callgrind)');
  out.push('');
  if (ins.valgrind)
    out.push(
      `User-space instructions counted by callgrind (${ins.valgrind}, \`--tool=callgrind --trace-children=no\`): the program's, the loader's, libc's and libvu's, ` +
        'the same in every run, so one run gives the figure. vu runs in "libc" mode (valgrind cannot run Syscall User Dispatch) with `VU_REWRITE=0` (no learned-sites file) and a `VU_CACHE_DIR` of its own for compiled configs: each config is run once before it is measured, so the figures are those of every process of a tree but its first (whose start-up, the config parsed and then compiled, has rows of its own). ' +
        `Per call: \`bench/instr.c OP N PATH\` makes N = ${num(ins.iterations)} and then ${num(2 * ins.iterations)} iterations; (total of ${num(2 * ins.iterations)} − total of ${num(ins.iterations)}) / ${num(ins.iterations)} is one iteration, start-up and exit cancelled, and "added" is vu's iteration minus native's. ` +
        `Scaling rows: one layer with ${num(ins.entries)} paths and with one (configs in bench/.cache/configs/, paths made in bench/.cache/paths-${ins.entries}/); the goal is on the ratio of what vu adds. ` +
        `Start-up: the whole of /bin/true; per configured path: (${num(ins.entries)} paths − 1 path) / ${num(ins.entries - 1)}. ` +
        'valgrind preloads its own vgpreload_core library into every program; beside it libvu would take its dlsym fallback (runtime/core/sym.c) and glibc\'s freeres would run at exit, neither of which happens outside valgrind, ' +
        'so callgrind is started directly (its launcher is a dynamic program the loader would put libvu into) with a copy of valgrind\'s library folder in which vgpreload_core is libvu.so itself (vu runs) or missing (native runs: the loader then says it cannot preload it, about a thousand instructions of native\'s start-up).' +
        (res.quick ? ` **Quick mode:** ${num(ins.entries)} paths instead of 10,000 and fewer iterations.` : ''),
    );
  else out.push('valgrind is not installed: no instruction counts (the notes say why); resident memory only.');
  out.push('');
  if (ins.valgrind) {
    out.push(instrTable(ins));
    out.push('');
  }
  out.push(
    `Resident memory: maxrss of /bin/true (\`bench/tools/timeit\`, wait4's ru_maxrss), the median of ${ins.memory_runs} runs, ` +
      'libvu preloaded with LD_PRELOAD as in real use, VU_REWRITE=0 and the compiled configs as above.',
  );
  out.push('');
  out.push(memoryTable(ins));
  out.push('');
  out.push('## Method');
  out.push('');
  out.push(
    [
      '- **One workload binary.** `bench/micro.c` does one operation in a loop, through libc or through an inline `syscall`; every runner runs this same binary, timed inside the process (CLOCK_MONOTONIC, after a warm-up, best of 5 batches per run), so launcher start-up is not in the figure; the tracers\' own work is, since it is wall time.',
      '- **Baselines** (`bench/baselines/`, one launcher each, `baseline-X PROGRAM ARGS`), each doing the seed virtualization (a path /etc/passwd in open, openat, stat, lstat, newfstatat, statx becomes /etc/hostname) with one technique: ' +
        '*ptrace* (PTRACE_SYSCALL; at syscall entry the tracer writes "/etc/hostname" below the tracee\'s stack and points the path register at it, and restores the register at syscall exit); ' +
        '*seccomp+ptrace* (SECCOMP_RET_TRACE for the seed calls only; the tracer acts on PTRACE_EVENT_SECCOMP); ' +
        '*seccomp unotify* (SECCOMP_RET_USER_NOTIF; a supervisor opens /etc/hostname itself and installs the fd with SECCOMP_IOCTL_NOTIF_ADDFD | SECCOMP_ADDFD_FLAG_SEND, or stats it and writes the result back; other calls CONTINUE); ' +
        '*bare SUD* (a preloaded SIGSYS handler, selector BLOCK, no layers: rewrites the path and issues every call from its own gate); ' +
        '*SUD floor* (the same library with the selector left at ALLOW: armed, nothing traps). test/bench/baselines.test.ts checks each one really virtualizes (`baseline-X cat /etc/passwd` prints /etc/hostname).',
      `- **Interleaving.** Each round runs every (runner, operation) cell once in a shuffled order (a fixed seed per round), so a slow spell of the machine spreads over all cells instead of landing on one. Micro: ${s.micro_rounds} rounds; real workloads: ${s.real_rounds} rounds${res.quick ? ' (no warm-up)' : ' after one untimed warm-up of each pair'}; costs: ${s.cost_rounds} rounds.`,
      `- **Real workloads** run with their stdout to /dev/null; \`make\` is cleaned (untimed) before every run; the git repository, the C project and the pipeline's text file are generated once in bench/.cache. The "vu" columns use ${res.stack_layers.join(' + ')} (configs in bench/.cache/configs/) with VU_REWRITE unset (libvu\'s default), as do the micro benchmarks; proot runs with \`-b /etc/hostname:/etc/passwd\`${res.stack_layers.includes('bind') ? ' and the same bind' : ''}.`,
      '- **Traps** are counted in separate, untimed runs (VU_STATS adds an atomic increment per call), twice per workload: rewriting off (VU_REWRITE=0) and on (VU_REWRITE=1).',
      '- **Static programs** time themselves (like micro), so the launcher (the shell, vu-static, proot) is not in the figure.',
      '- **Instructions** are counted by callgrind in separate, untimed runs (bench/lib/instr.ts, bench/instr.c): deterministic where the wall-clock tables are not, and blind to the kernel\'s side of each call.',
      '- `npm run bench -- --quick` runs the same code on a reduced set (fewer and shorter runs, smaller fixtures) in well under two minutes; test/bench/quick.test.ts runs it in CI.',
    ].join('\n'),
  );
  if (res.notes.length) {
    out.push('');
    out.push('## Notes');
    out.push('');
    for (const n of res.notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}

/** one color per technique in both panels */
/** what each series of the chart is (its legend) */
const NOTE: Record<string, string> = {
  'native-target': 'no interception, opening /etc/hostname (the file the remap leads to)',
  'vu-libc': 'vu, wrappers only (LD_PRELOAD); inline syscalls pass',
  'vu-all': 'vu, wrappers and Syscall User Dispatch (the default)',
  ptrace: 'a tracer process stops the program at every call',
  'seccomp-ptrace': 'seccomp sends the calls it filters to a ptrace tracer',
  'seccomp-unotify': 'seccomp user notification to a supervisor process',
  sud: 'every call traps to a SIGSYS handler, nothing else',
  sudfloor: 'SUD armed, selector at ALLOW: the tax on every call',
  proot: 'proot 5 (ptrace + seccomp)',
  'vu-stack': 'vu with bind + readonly + hide + remap, "all" mode',
  'vu-stack-libc': 'the same stack, "libc" mode',
  'vu-trace': 'the stack and a trace layer writing JSON lines',
  'empty-preload': 'an empty library preloaded: the floor of any LD_PRELOAD tool',
};

const COLOR: Record<string, string> = {
  'vu-libc': '#1f77b4', 'vu-stack-libc': '#1f77b4', 'vu-all': '#ff7f0e', 'vu-stack': '#ff7f0e', 'vu-trace': '#bcbd22',
  ptrace: '#2ca02c', 'seccomp-ptrace': '#d62728', 'seccomp-unotify': '#9467bd', sud: '#8c564b', sudfloor: '#e377c2', proot: '#7f7f7f', 'empty-preload': '#17becf',
};

export function svg(res: Results): string {
  const micro: Panel = {
    title: `Micro benchmarks: ns/op ÷ native (median of ${res.settings.micro_rounds} runs)`,
    groups: [...res.micro.ops],
    series: res.micro.runners.filter((r) => r.kind !== 'native').map((r) => ({ id: r.id, label: r.label, color: COLOR[r.id], note: NOTE[r.id] })),
    values: [],
  };
  micro.values = micro.groups.map((op) =>
    micro.series.map((s) => res.micro.cells.find((c) => c.runner === s.id && c.op === op)?.ratio ?? NaN),
  );
  const real: Panel = {
    title: `Real workloads: wall time ÷ native (median of ${res.settings.real_rounds} rounds)`,
    groups: res.real.workloads.map((w) => w.id),
    series: res.real.runners.filter((r) => r.id !== 'native').map((r) => ({ id: r.id, label: r.label, color: COLOR[r.id], note: NOTE[r.id] })),
    values: [],
  };
  real.values = real.groups.map((w) =>
    real.series.map((s) => res.real.cells.find((c) => c.workload === w && c.runner === s.id)?.ratio ?? NaN),
  );
  const m = res.machine;
  return chart([micro, real], `${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, ${m.glibc}, ${m.date.slice(0, 10)}${res.quick ? ' (quick mode)' : ''}; 1× = native`);
}
