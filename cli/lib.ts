/**
 * Shared pieces of the vu command line: where the package and libvu.so
 * are, how a config is found, and the config check (the C checker inside
 * libvu.so itself, called through ffi-rs, so `vu check` and the preloaded
 * library can never disagree).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, load, open } from 'ffi-rs';

/** The package root (holds package.json). */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('vu: cannot find the package root');
    dir = up;
  }
  return dir;
})();

/** Absolute path of build/Release/libvu.so. */
export function libPath(): string {
  return join(packageRoot, 'build', 'Release', 'libvu.so');
}

/** The config a process started in cwd would use: VU_CONFIG, else the
 * nearest vu.json upward, else null. Like libvu's lookup, any entry named
 * vu.json counts (a FIFO, a directory, a dangling symlink), so that the
 * check refuses it instead of skipping it. */
export function findConfig(cwd: string, env: Record<string, string | undefined> = process.env): string | null {
  const v = env.VU_CONFIG;
  if (v !== undefined) return v === '' ? null : resolve(cwd, v);
  let dir = resolve(cwd);
  for (;;) {
    const cand = join(dir, 'vu.json');
    if (present(cand)) return cand;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** An entry of that name exists (of any kind; a symlink not followed). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

let opened = false;

/** Check a config with libvu's own checker; returns the error lines
 * ("FILE:LINE:COL: message"), empty when the config is good. */
export function checkConfig(path: string): string[] {
  return call('vu_config_errors', path)
    .split('\n')
    .filter((l) => l.length > 0);
}

/** What a fakeroot state file records (vu fakeroot show): the text
 * libvu makes of it, or a first line "error: ...". */
export function fakerootShow(state: string, dir: string): string {
  return call('vu_fakeroot_show', state, dir);
}

function call(fn: string, ...args: string[]): string {
  const lib = libPath();
  if (!existsSync(lib)) throw new Error(`${lib} is missing: run npm install`);
  if (!opened) {
    open({ library: 'libvu', path: lib });
    opened = true;
  }
  return load({
    library: 'libvu',
    funcName: fn,
    retType: DataType.String,
    paramsType: args.map(() => DataType.String),
    paramsValue: args,
  }) as string;
}

/** The stack as libvu will run it (defaults in, paths absolute), or null
 * when the config has errors. */
export function resolvedConfig(path: string): ResolvedConfig | null {
  const text = call('vu_config_resolved', path);
  return text ? (JSON.parse(text) as ResolvedConfig) : null;
}

export interface ResolvedConfig {
  config: string;
  intercept: 'all' | 'libc';
  /** classes of programs allowed to run unvirtualized (absent: none) */
  run_unvirtualized?: Array<'setuid' | 'static' | 'foreign'>;
  layers: Array<{ type: string; [option: string]: unknown }>;
}

/** One layer's manifest (layers/NAME.json, or layers/NAME/NAME.json). */
export interface Manifest {
  name: string;
  summary: string;
  options: Array<{
    name: string;
    kind: string;
    required?: boolean;
    default?: unknown;
    choices?: string[];
    help?: string;
    example?: unknown;
  }>;
  /** a whole layer object, when the options' examples do not combine
   * (faketime: at and offset exclude each other) */
  example?: Record<string, unknown>;
}

/** The example layer `vu layers` shows: the manifest's own, else one made
 * of every option's example. */
export function layerExample(m: Manifest): Record<string, unknown> {
  if (m.example) return { type: m.name, ...m.example };
  const example: Record<string, unknown> = { type: m.name };
  for (const o of m.options) if (o.example !== undefined) example[o.name] = o.example;
  return example;
}

/** Every layer manifest shipped with the package, sorted by name. */
export function manifests(): Manifest[] {
  const dir = join(packageRoot, 'layers');
  /* NAME.json, or NAME/NAME.json for a layer in a folder of its own */
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? join(e.name, `${e.name}.json`) : e.name))
    .filter((f) => f.endsWith('.json') && existsSync(join(dir, f)))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Manifest)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The package version. */
export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
