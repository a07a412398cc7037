/**
 * Instructions (issue 12): what vu adds, counted in user-space
 * instructions by callgrind (deterministic, where wall time is not), in
 * "libc" mode (valgrind cannot run Syscall User Dispatch), against native.
 *
 * - Per call: bench/instr.c makes N and then 2N iterations of one
 *   operation; (total of 2N - total of N) / N is one iteration, start-up
 *   and exit cancelled, and vu's figure minus native's is what vu adds.
 * - Scaling: the same with one path and with many in remap, hide and
 *   readonly (bench/lib/setup.ts scaleConfigs).
 * - Start-up: the whole of /bin/true (--trace-children=no), and per
 *   configured path: (many paths - one path) / (paths - 1).
 * - Resident memory: maxrss of /bin/true (bench/tools/timeit: wait4).
 *
 * valgrind puts its vgpreload_core library first in every client's
 * LD_PRELOAD; with another library preloaded beside it libvu looks glibc's
 * functions up with dlsym (runtime/core/sym.c), which a real run does not,
 * and glibc's freeres would run at exit. So callgrind is given a copy of
 * valgrind's library folder (symlinks) in which vgpreload_core is libvu.so
 * itself (vu runs) or is missing (native runs; the loader says it cannot
 * preload it and goes on): the client's LD_PRELOAD holds what a real run
 * holds. The tool is started directly (it is a static program), not
 * through valgrind's launcher, which the loader would preload libvu into.
 * Every vu run has VU_REWRITE=0 (no learned-sites file) and its own
 * VU_CACHE_DIR for compiled configs (runtime/config/compiled.c): a config is
 * run once before it is measured, so start-up is that of every process of a
 * tree but its first; the first one's (the config parsed, then compiled) is
 * its own row (start-up-*-first, VU_CACHE_DIR="").
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Configs, ScaleConfigs, SEED_FROM, SEED_TO, configErrors } from './setup.js';
import { CACHE, LIB, baseEnv, bin, lastJson, log, median, run, which } from './util.js';

const PLATFORM = 'amd64-linux';
const CORE = `vgpreload_core-${PLATFORM}.so`;

export interface InstrRow {
  id: string;
  /** call: instructions per call; scale: the same with many paths (vs one);
   * startup: instructions of a whole /bin/true; per-path: start-up
   * instructions per configured path; memory: maxrss in KiB */
  kind: 'call' | 'scale' | 'startup' | 'per-path' | 'memory';
  text: string;
  /** the vu config's layers ("libc" mode) */
  layers: string;
  native: number;
  vu: number;
  /** scale and per-path rows: vu's figure with one path */
  vu_one: number | null;
  /** vu - native; per-path rows: (vu - vu_one) / (paths - 1) */
  added: number;
  /** scale rows: vu_one - native */
  added_one: number | null;
  /** the figure the goal is judged on: added, or added / added_one (scale rows) */
  judged: number;
  limit: number | null;
  goal: string;
  pass: boolean | null;
  errors: string[];
}

export interface Instructions {
  /** valgrind --version; null: not installed, no callgrind rows */
  valgrind: string | null;
  /** N of the per-call runs (each loop runs N and 2N times) */
  iterations: number;
  /** paths in the large configs */
  entries: number;
  /** runs of /bin/true per runner for maxrss (median) */
  memory_runs: number;
  rows: InstrRow[];
  seconds: number;
}

interface Valgrind {
  version: string;
  tool: string;
  launcher: string;
  /** valgrind's library folder with vgpreload_core as libvu.so (vu runs) or missing (native runs) */
  libVu: string;
  libNative: string;
}

/** The callgrind tool and the two library folders, or null (a note says why). */
function valgrind(notes: string[]): Valgrind | null {
  const launcher = which('valgrind');
  if (!launcher) {
    notes.push('valgrind is not installed: no instruction counts (callgrind), only resident memory.');
    return null;
  }
  const version = run(launcher, ['--version']).stdout.trim();
  const dirs = [process.env.VALGRIND_LIB, '/usr/libexec/valgrind', '/usr/lib/x86_64-linux-gnu/valgrind', '/usr/lib/valgrind',
    '/usr/lib64/valgrind', '/usr/local/libexec/valgrind', '/usr/local/lib/valgrind'];
  const lib = dirs.find((d): d is string => !!d && existsSync(join(d, `callgrind-${PLATFORM}`)) && existsSync(join(d, CORE)));
  if (!lib) {
    notes.push(`${version || 'valgrind'} is installed but its callgrind-${PLATFORM} and ${CORE} were not found: no instruction counts.`);
    return null;
  }
  const copy = (name: string, core: string | null) => {
    const dir = join(CACHE, 'instr', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(lib)) if (f !== CORE) symlinkSync(join(lib, f), join(dir, f));
    if (core) symlinkSync(core, join(dir, CORE));
    return dir;
  };
  // Debian's valgrind is a shell script around valgrind.bin, the launcher
  const bin = existsSync(`${launcher}.bin`) ? `${launcher}.bin` : launcher;
  return { version, tool: join(lib, `callgrind-${PLATFORM}`), launcher: bin, libVu: copy('vglib-vu', LIB), libNative: copy('vglib-native', null) };
}

/** The environment of every run: the harness's, without its VU_CACHE_DIR. */
function env0(): Record<string, string> {
  const env = baseEnv();
  delete env.VU_CACHE_DIR;
  return env;
}

/** What a vu run adds to env0 (libvu itself comes from the library folder);
 * parsed: the config is parsed (no compiled form) */
function vuEnv(config: string, parsed = false): Record<string, string> {
  return { VU_CONFIG: config, VU_REWRITE: '0', VU_CACHE_DIR: parsed ? '' : join(CACHE, 'instr', 'compiled') };
}

const warmed = new Set<string>();
/** config compiled (as the first process of a tree leaves it): it is run
 * once, when it is at least 2.2 s old (compiled.c compiles none younger) */
function warm(config: string): void {
  if (warmed.has(config)) return;
  warmed.add(config);
  const age = Date.now() - statSync(config).mtimeMs;
  if (age < 2200) run('sleep', [String((2200 - age) / 1000)]);
  run('/bin/true', [], { env: { ...env0(), LD_PRELOAD: LIB, ...vuEnv(config) } });
}

interface Count {
  ir: number;
  /** the program's last JSON line */
  out: Record<string, unknown> | null;
  error: string | null;
}

class Counter {
  private memo = new Map<string, Count>();
  runs = 0;

  constructor(private vg: Valgrind) {}

  /** Instructions of one whole run of cmd natively (config null) or under vu. */
  total(config: string | null, cmd: string[], parsed = false): Count {
    const key = `${config ?? 'native'}\0${parsed}\0${cmd.join('\0')}`;
    const seen = this.memo.get(key);
    if (seen) return seen;
    if (config !== null && !parsed) warm(config);
    const file = join(CACHE, 'instr', 'callgrind.out');
    rmSync(file, { force: true });
    const env = {
      ...env0(), ...(config === null ? {} : vuEnv(config, parsed)),
      VALGRIND_LIB: config === null ? this.vg.libNative : this.vg.libVu, VALGRIND_LAUNCHER: this.vg.launcher,
    };
    const r = run(this.vg.tool, ['--tool=callgrind', '-q', '--trace-children=no', `--callgrind-out-file=${file}`, ...cmd], { env });
    this.runs++;
    let c: Count;
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const m = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
    if (r.status !== 0 || !m) {
      const why = r.stderr.trim().split('\n').filter((l) => !/cannot be preloaded/.test(l)).pop() ?? '';
      c = { ir: NaN, out: null, error: `${cmd.map((a) => a.replace(/^.*\//, '')).join(' ')}: status ${r.status}${m ? '' : ', no callgrind totals'}${why ? `: ${why}` : ''}` };
    } else c = { ir: Number(m[1]), out: lastJson(r.stdout), error: null };
    this.memo.set(key, c);
    return c;
  }

  /** Instructions of one iteration of `instr OP . PATH`: runs of n and 2n. */
  perCall(config: string | null, n: number, op: string, path: string): { ir: number; size: number | null; error: string | null } {
    const a = this.total(config, [bin('instr'), op, String(n), path]);
    const b = this.total(config, [bin('instr'), op, String(2 * n), path]);
    const error = a.error ?? b.error;
    if (error) return { ir: NaN, size: null, error };
    return { ir: (b.ir - a.ir) / n, size: typeof b.out?.size === 'number' ? b.out.size : null, error: null };
  }
}

function verdict(v: number, limit: number | null): boolean | null {
  return limit === null || !Number.isFinite(v) ? null : v <= limit;
}

function row(r: Omit<InstrRow, 'pass' | 'vu_one' | 'added_one'> & Partial<Pick<InstrRow, 'vu_one' | 'added_one'>>): InstrRow {
  return { vu_one: null, added_one: null, ...r, pass: r.errors.length ? null : verdict(r.judged, r.limit) };
}

/** maxrss (KiB) of /bin/true through timeit, env changes for the child only. */
function maxrss(prog: string, config: string | null): { kb: number | null; error: string | null } {
  if (config !== null) warm(config);
  const e = config === null ? [] : Object.entries({ LD_PRELOAD: LIB, ...vuEnv(config) }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const r = run(bin('timeit'), [...e, '--', prog], { env: env0() });
  const j = lastJson<{ status: number; maxrss_kb: number }>(r.stdout);
  if (r.status !== 0 || !j || j.status !== 0) return { kb: null, error: `maxrss: status ${j?.status ?? r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  return { kb: j.maxrss_kb, error: null };
}

export function runInstructions(cfg: Configs, sc: ScaleConfigs, iterations: number, memoryRuns: number, notes: string[]): Instructions {
  const t0 = Date.now();
  const rows: InstrRow[] = [];
  const n = sc.entries;
  const nn = n.toLocaleString('en-US');
  const stack = cfg.stackLayers.join(' + ');
  const truePath = existsSync('/bin/true') ? '/bin/true' : which('true') ?? 'true';
  // a file outside every layer's paths, opened for writing (readonly looks those up)
  const wfile = join(CACHE, 'instr', 'w.txt');
  mkdirSync(join(CACHE, 'instr'), { recursive: true });
  writeFileSync(wfile, 'the bench opens this file for writing and writes nothing\n');
  const vg = valgrind(notes);

  if (vg) {
    log(`instructions: callgrind (${vg.version}), ${iterations} and ${2 * iterations} iterations, ${nn} paths`);
    const c = new Counter(vg);
    const remapped = readFileSync(SEED_TO).length;

    // per call
    const calls: [string, string, string, string, string, string, number][] = [
      ['open-remap', 'open+close of a remapped path (/etc/passwd), per call', 'remap (1 entry)', cfg.seedLibc, 'open', SEED_FROM, 300],
      ['open-stack', 'open+close of a path no layer changes (/etc/hostname), per call', stack, cfg.stackLibc, 'open', SEED_TO, 250],
      ['getppid-stack', 'getppid, which no layer wants, per call', stack, cfg.stackLibc, 'getppid', SEED_TO, 10],
      // 1,000 names in turn: the verdict cache (256 slots) misses each
      ['open-stack-miss', 'open of 1,000 missing names in turn (/etc/nK), verdict cache misses, per call', stack, cfg.stackLibc, 'openvary', '/etc', NaN],
      // a tree walk's call (tar, find): relative to a descriptor, never cached
      ['stat-walk', 'fstatat(dirfd, name) of /usr/share/doc\'s entries in turn (a tree walk), per call', stack, cfg.stackLibc, 'statwalk', '/usr/share/doc', NaN],
      // a descriptor's fstat: newfstatat(fd, "", AT_EMPTY_PATH), the descriptor in the key
      ['fstat-stack', 'fstat of two open descriptors in turn, per call', stack, cfg.stackLibc, 'fstat', SEED_TO, NaN],
    ];
    for (const [id, text, layers, config, op, path, limit] of calls) {
      const nat = c.perCall(null, iterations, op, path);
      const vu = c.perCall(config, iterations, op, path);
      const errors = [nat.error, vu.error].filter((e): e is string => e !== null);
      if (id === 'open-remap' && !vu.error && vu.size !== remapped)
        errors.push(`under callgrind the open reached a file of ${vu.size} bytes, not ${SEED_TO} (${remapped}): not virtualized`);
      const added = vu.ir - nat.ir;
      const lim = Number.isNaN(limit) ? null : limit;
      rows.push(row({ id, kind: 'call', text, layers, native: nat.ir, vu: vu.ir, added, judged: added, limit: lim,
        goal: lim === null ? '—' : `≤ +${lim} per call`, errors }));
    }

    // per call with one path and with n
    const scales: [string, string, string, string, string, string][] = [
      ['remap', `open+close of the remapped path, ${nn} remap entries`, sc.remap1, sc.remapN, 'open', SEED_FROM],
      ['hide', `open+close of a path not hidden (/etc/hostname), ${nn} hidden paths`, sc.hide1, sc.hideN, 'open', SEED_TO],
      ['readonly', `open for writing+close of a path outside them, ${nn} read-only paths`, sc.readonly1, sc.readonlyN, 'openw', wfile],
    ];
    for (const [layer, text, one, many, op, path] of scales) {
      const bad = configErrors(many);
      if (bad) {
        rows.push(row({ id: `scale-${layer}`, kind: 'scale', text, layers: layer, native: NaN, vu: NaN, added: NaN, judged: NaN, limit: 1.2,
          goal: '≤ 1.2× one path', errors: [`this libvu does not load ${many.replace(/^.*\//, '')}: ${bad.split('\n')[0]}`] }));
        continue;
      }
      const nat = c.perCall(null, iterations, op, path);
      const v1 = c.perCall(one, iterations, op, path);
      const vn = c.perCall(many, iterations, op, path);
      const errors = [nat.error, v1.error, vn.error].filter((e): e is string => e !== null);
      const added = vn.ir - nat.ir;
      const addedOne = v1.ir - nat.ir;
      rows.push(row({ id: `scale-${layer}`, kind: 'scale', text, layers: layer, native: nat.ir, vu: vn.ir, vu_one: v1.ir, added, added_one: addedOne,
        judged: added / addedOne, limit: 1.2, goal: '≤ 1.2× one path', errors }));
    }

    // start-up of /bin/true
    const nat = c.total(null, [truePath]);
    const st = c.total(cfg.stackLibc, [truePath]);
    rows.push(row({ id: 'startup-stack', kind: 'startup', text: `start-up: ${truePath}, whole program`, layers: stack, native: nat.ir, vu: st.ir,
      added: st.ir - nat.ir, judged: st.ir - nat.ir, limit: 200_000, goal: '≤ +200,000',
      errors: [nat.error, st.error].filter((e): e is string => e !== null) }));
    for (const [layer, one, many, limit] of [['hide', sc.hide1, sc.hideN, 500], ['readonly', sc.readonly1, sc.readonlyN, 500],
      ['remap', sc.remap1, sc.remapN, null]] as const) {
      const bad = configErrors(many);
      if (bad) {
        rows.push(row({ id: `startup-${layer}`, kind: 'per-path', text: `start-up: ${truePath}, per configured path (${nn} paths vs 1)`, layers: layer,
          native: nat.ir, vu: NaN, added: NaN, judged: NaN, limit, goal: limit === null ? '—' : `≤ ${limit} per path`,
          errors: [`this libvu does not load ${many.replace(/^.*\//, '')}: ${bad.split('\n')[0]}`] }));
        continue;
      }
      const v1 = c.total(one, [truePath]);
      const vn = c.total(many, [truePath]);
      const per = (vn.ir - v1.ir) / (n - 1);
      rows.push(row({ id: `startup-${layer}`, kind: 'per-path', text: `start-up: ${truePath}, per configured path (${nn} paths vs 1), config compiled`, layers: layer,
        native: nat.ir, vu: vn.ir, vu_one: v1.ir, added: per, judged: per, limit, goal: limit === null ? '—' : `≤ ${limit} per path`,
        errors: [nat.error, v1.error, vn.error].filter((e): e is string => e !== null) }));
      // the first process of a tree: the config parsed (and compiled)
      const p1 = c.total(one, [truePath], true);
      const pn = c.total(many, [truePath], true);
      const pper = (pn.ir - p1.ir) / (n - 1);
      rows.push(row({ id: `startup-${layer}-first`, kind: 'per-path', text: `start-up: ${truePath}, per configured path (${nn} paths vs 1), config parsed (a tree's first process)`, layers: layer,
        native: nat.ir, vu: pn.ir, vu_one: p1.ir, added: pper, judged: pper, limit: null, goal: '—',
        errors: [nat.error, p1.error, pn.error].filter((e): e is string => e !== null) }));
    }
    log(`instructions: ${c.runs} callgrind runs in ${Math.round((Date.now() - t0) / 1000)} s`);
  }

  // resident memory of /bin/true, rounds over the runners
  const mems: [string, string, string, string | null, number][] = [
    ['rss-stack', stack, 'resident memory (maxrss) of /bin/true', cfg.stackLibc, 1024],
    ['rss-remap', 'remap', `resident memory (maxrss) of /bin/true, ${nn} remap entries`, sc.remapN, 4096],
    ['rss-hide', 'hide', `resident memory (maxrss) of /bin/true, ${nn} hidden paths`, sc.hideN, 4096],
    ['rss-readonly', 'readonly', `resident memory (maxrss) of /bin/true, ${nn} read-only paths`, sc.readonlyN, 4096],
  ];
  const kb = new Map<string | null, number[]>();
  const errs = new Map<string | null, string[]>();
  for (let i = 0; i < memoryRuns; i++)
    for (const config of [null, ...mems.map((m) => m[3])]) {
      const r = maxrss(truePath, config);
      if (r.kb !== null) kb.set(config, [...(kb.get(config) ?? []), r.kb]);
      else errs.set(config, [...(errs.get(config) ?? []), r.error!]);
    }
  const nat = median(kb.get(null) ?? []);
  for (const [id, layers, text, config, limit] of mems) {
    const vu = median(kb.get(config) ?? []);
    const errors = [...(errs.get(null) ?? []), ...(errs.get(config) ?? [])].slice(0, 1);
    rows.push(row({ id, kind: 'memory', text, layers, native: nat, vu, added: vu - nat, judged: vu - nat, limit,
      goal: `≤ +${limit / 1024} MiB`, errors }));
  }
  return { valgrind: vg?.version ?? null, iterations, entries: n, memory_runs: memoryRuns, rows, seconds: Math.round((Date.now() - t0) / 1000) };
}
