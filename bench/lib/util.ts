/**
 * Shared pieces of the bench harness: where things are, running programs
 * with a clean environment, and the small statistics it reports.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
export const BIN = join(BENCH, 'bin');
export const CACHE = join(BENCH, '.cache');
export const LIB = join(ROOT, 'build', 'Release', 'libvu.so');

export function bin(name: string): string {
  return join(BIN, name);
}

/** The harness's environment without anything of vu or of a preloader in
 * it: every run starts from this, and adds what its runner needs. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k === 'LD_PRELOAD' || k.startsWith('VU_') || k.startsWith('BASELINE_')) continue;
    env[k] = v;
  }
  env.LC_ALL = 'C';
  // vu's learned-sites cache (runtime/core/rewrite.c) for the bench's runs, apart from the tests'
  env.VU_CACHE_DIR = join(CACHE, 'vu-sites');
  return env;
}

export interface RunResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  o: { env?: Record<string, string>; cwd?: string; timeout?: number; input?: string } = {},
): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    env: o.env ?? baseEnv(),
    cwd: o.cwd,
    encoding: 'utf8',
    timeout: o.timeout ?? 600_000,
    input: o.input,
    maxBuffer: 256 << 20,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') {
    return { status: 127, signal: null, stdout: '', stderr: String(r.error.message) };
  }
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Is cmd on PATH (or an existing path)? */
export function which(cmd: string): string | null {
  const r = run('sh', ['-c', 'command -v "$1"', 'sh', cmd]);
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** The last line of stdout that parses as a JSON object. */
export function lastJson<T = Record<string, unknown>>(out: string): T | null {
  const lines = out.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      return JSON.parse(l) as T;
    } catch {
      /* not JSON */
    }
  }
  return null;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function min(xs: number[]): number {
  return xs.length ? Math.min(...xs) : NaN;
}

export function max(xs: number[]): number {
  return xs.length ? Math.max(...xs) : NaN;
}

/** A deterministic shuffle (mulberry32), so a run's order can be replayed. */
export function shuffled<T>(xs: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
