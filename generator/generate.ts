/*
 * generate.ts -- load -> validate -> model -> emit, and the two things to
 * do with the result: write it, or compare it with what is on disk.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EmitContext, Emitter } from './emit/context.js';
import { configTs } from './emit/config_ts.js';
import { syscallsTs } from './emit/syscalls_ts.js';
import { vuLayerTypesC } from './emit/vu_layer_types_c.js';
import { vuLibcC } from './emit/vu_libc_c.js';
import { vuLibcH } from './emit/vu_libc_h.js';
import { vuMap } from './emit/vu_map.js';
import { vuFnDef } from './emit/vu_fn_def.js';
import { vuSchemaJson } from './emit/vu_schema_json.js';
import { vuSyscallTableC } from './emit/vu_syscall_table_c.js';
import { loadCatalog } from './catalog.js';
import { vuSyscallsH } from './emit/vu_syscalls_h.js';
import { vuDecodeC } from './emit/vu_decode_c.js';
import { vuDecodeH } from './emit/vu_decode_h.js';
import { readJson, readLayerFiles } from './load.js';
import { syscallModels } from './model.js';
import type { GenPaths } from './paths.js';
import { Templates } from './render.js';
import type { Inputs } from './types.js';
import { validate } from './validate.js';

/** One emitter per output file. */
export const EMITTERS: readonly Emitter[] = [
  vuSyscallsH,
  vuSyscallTableC,
  vuDecodeH,
  vuDecodeC,
  vuLibcH,
  vuLibcC,
  vuLayerTypesC,
  vuMap,
  vuFnDef,
  syscallsTs,
  configTs,
  vuSchemaJson,
];

/** loadInputs -- read and validate; throws GenError with every problem. */
export function loadInputs(paths: Pick<GenPaths, 'table' | 'layers' | 'decode'>): Inputs {
  return validate(readJson(paths.table), readLayerFiles(paths.layers), readJson(paths.decode));
}

/** generate -- the text of every output, keyed by path under the output root. */
export function generate(paths: GenPaths, inputs = loadInputs(paths)): Map<string, string> {
  const syscalls = syscallModels(inputs);
  const known = new Set(syscalls.map((s) => s.name));
  const others = [...loadCatalog(paths.catalog).values()]
    .filter((e) => !known.has(e.name) && e.nr && typeof e.nr === 'object')
    .map((e) => ({ name: e.name, nr: e.nr as { x86_64?: number; aarch64?: number } }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const ctx: EmitContext = { inputs, syscalls, templates: new Templates(paths.templates), others };
  return new Map(EMITTERS.map((e) => [e.path, e.emit(ctx)]));
}

/** writeOutputs -- write the files that differ; returns their paths. */
export function writeOutputs(out: string, files: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [rel, text] of files) {
    const file = path.join(out, rel);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    changed.push(rel);
  }
  return changed;
}

/** staleOutputs -- "path: missing" / "path: stale" for each file that is not as generated. */
export function staleOutputs(out: string, files: Map<string, string>): string[] {
  const stale: string[] = [];
  for (const [rel, text] of files) {
    const file = path.join(out, rel);
    if (!existsSync(file)) stale.push(`${rel}: missing`);
    else if (readFileSync(file, 'utf8') !== text) stale.push(`${rel}: stale`);
  }
  return stale;
}
