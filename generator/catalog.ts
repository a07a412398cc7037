/*
 * catalog.ts -- generator/catalog.json: known system calls in the ENTRY
 * shape of syscalls.json, from which `vu-gen add NAME` takes signatures.
 * Accepted shapes: [ENTRY...], { "syscalls": [ENTRY...] }, { NAME: ENTRY }.
 */
import { existsSync } from 'node:fs';
import { readJson } from './load.js';
import type { SyscallSpec } from './types.js';

export type CatalogEntry = Partial<SyscallSpec> & { name: string };

export function loadCatalog(file: string): Map<string, CatalogEntry> {
  const out = new Map<string, CatalogEntry>();
  if (!existsSync(file)) return out;
  const data = readJson(file).data;
  const add = (e: unknown, name?: string) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return;
    const n = (e as { name?: unknown }).name ?? name;
    if (typeof n === 'string') out.set(n, { ...(e as object), name: n });
  };
  if (Array.isArray(data)) data.forEach((e) => add(e));
  else if (typeof data === 'object' && data !== null) {
    const d = data as Record<string, unknown>;
    if (Array.isArray(d.syscalls)) d.syscalls.forEach((e) => add(e));
    else for (const [k, v] of Object.entries(d)) if (!k.startsWith('$')) add(v, k);
  }
  return out;
}
