/**
 * Test helpers: run real programs natively and under libvu.so, with a
 * config written to a fresh temporary folder.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir as osTmp } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const LIB = join(ROOT, 'build', 'Release', 'libvu.so');
export const PROBES = join(ROOT, 'test', 'probes', 'bin');
export const VU = join(ROOT, 'bin', 'vu.js');

export function probe(name: string): string {
  return join(PROBES, name);
}

export function tmpdir(prefix = 'vu-test-'): string {
  return mkdtempSync(join(osTmp(), prefix));
}

/** Write obj (or raw text) as vu.json into a new temp folder; returns its path. */
export function writeConfig(obj: unknown, dir = tmpdir()): string {
  const file = join(dir, 'vu.json');
  writeFileSync(file, typeof obj === 'string' ? obj : JSON.stringify(obj, null, 2));
  return file;
}

export interface RunOpts {
  /** path of vu.json; undefined: no VU_CONFIG; null: VU_CONFIG="" */
  config?: string | null;
  /** run under libvu.so (default true) */
  vu?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  timeout?: number;
}

export interface Result {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run cmd with args natively or under libvu.so. */
export function run(cmd: string, args: string[], o: RunOpts = {}): Result {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...o.env };
  delete env.VU_CONFIG;
  delete env.LD_PRELOAD;
  delete env.VU_DEBUG;
  if (o.vu !== false) {
    env.LD_PRELOAD = LIB;
    if (o.config !== undefined) env.VU_CONFIG = o.config ?? '';
  }
  Object.assign(env, o.env ?? {});
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    env,
    cwd: o.cwd ?? tmpdir(),
    input: o.input,
    encoding: 'utf8',
    timeout: o.timeout ?? 60_000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The seed demo's config: /etc/passwd reads as /etc/hostname. */
export function seedConfig(extra: Record<string, unknown> = {}): string {
  return writeConfig({
    ...extra,
    layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }],
  });
}

const tools = new Map<string, boolean>();
/** An optional tool is installed (`command -v`, asked once per name);
 * VU_TEST_WITHOUT="go,pseudo" makes the suite behave as on a machine
 * without them. */
export function have(cmd: string): boolean {
  if ((process.env.VU_TEST_WITHOUT ?? '').split(',').includes(cmd)) return false;
  let ok = tools.get(cmd);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v '${cmd}'`], { stdio: 'ignore' }).status === 0;
    tools.set(cmd, ok);
  }
  return ok;
}

/** '' when every cmd is installed, else the reason a test is skipped, to
 * append to its title: ' [skipped: no go (apt-get install golang-go)]' */
export function missing(cmds: string[], install: string): string {
  const gone = cmds.filter((c) => !have(c));
  return gone.length ? ` [skipped: no ${gone.join(', ')} (${install})]` : '';
}
