/*
 * add.ts -- `vu-gen add NAME...`: a new entry in syscalls.json with its
 * number from the kernel headers and its signature from the catalog or
 * --signature, inserted in order, then everything regenerated.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadCatalog } from './catalog.js';
import { defaultSymbols } from './elfsyms.js';
import { compileCheck, type CompileResult } from './ccheck.js';
import { GenError } from './errors.js';
import { generate, writeOutputs } from './generate.js';
import { kernelNumbers, type KernelNumbers } from './headers.js';
import { displayName, readJson, readLayerFiles, type JsonFile } from './load.js';
import { formatEntry, insertEntry } from './jsontext.js';
import type { GenPaths } from './paths.js';
import { noDoesMessage, promptDoes, type Ask } from './prompt.js';
import { parseSignature } from './signature.js';
import type { ArgSpec, DoesSpec, Family, LibcSpec, SyscallSpec, TableSpec } from './types.js';
import { FILE_ARG_TYPES, validateLayers, validateTable } from './validate.js';

export interface AddOptions {
  signature?: string;
  nr?: number;
  nrAarch64?: number;
  family?: string;
  libc?: string[];
  /** --does: the "does" of the entry, as JSON text (docs/TABLE.md) */
  does?: string;
  /** asks what an entry does when nothing says it (a terminal); null: fail instead */
  ask?: Ask | null;
}

const LIBC_CANDIDATES = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib64/libc.so.6'];
let libcSymbols: Set<string> | undefined;

/** Does the installed glibc export a (default-version) function called name? */
export function libcExports(name: string): boolean {
  if (libcSymbols === undefined) {
    const f = LIBC_CANDIDATES.find((c) => existsSync(c));
    libcSymbols = f === undefined ? new Set() : defaultSymbols(f);
  }
  return libcSymbols.has(name);
}

function guessFamily(args: ArgSpec[]): Family {
  if (args.some((a) => a.type === 'path')) return 'file';
  if (args.some((a) => a.type === 'fd' || a.type === 'dirfd')) return 'desc';
  return 'misc';
}

/** The entry with its keys in the documented order. */
function ordered(e: SyscallSpec): SyscallSpec {
  const out: SyscallSpec = { name: e.name, nr: e.nr, family: e.family, args: e.args, ret: e.ret, libc: e.libc };
  if (e.note !== undefined) out.note = e.note;
  if (e.does !== undefined) out.does = e.does;
  return out;
}

function buildEntry(name: string, single: boolean, opts: AddOptions, k: KernelNumbers, catalogFile: string): SyscallSpec {
  const cat = loadCatalog(catalogFile).get(name);
  const x86 = (single ? opts.nr : undefined) ?? k.x86_64.get(name) ?? cat?.nr?.x86_64;
  if (x86 === undefined) {
    throw new GenError(`vu-gen add: ${name}: not a system call in the kernel headers; give its number with --nr N`);
  }
  const arm = (single ? opts.nrAarch64 : undefined) ?? k.aarch64.get(name) ?? cat?.nr?.aarch64;
  let args: ArgSpec[];
  let ret: SyscallSpec['ret'];
  if (single && opts.signature !== undefined) {
    const sig = parseSignature(opts.signature);
    args = sig.args;
    ret = sig.ret;
  } else if (cat?.args !== undefined && cat.ret !== undefined) {
    args = cat.args;
    ret = cat.ret;
  } else {
    throw new GenError(`vu-gen add: ${name}: no signature (not in ${displayName(catalogFile)}); give one with --signature 'long ${name}(int fd, const char *path)'`);
  }
  const libc: LibcSpec[] = opts.libc !== undefined
    ? opts.libc.map((n) => ({ name: n }))
    : cat?.libc ?? (libcExports(name) ? [{ name }] : []);
  const entry: SyscallSpec = {
    name,
    nr: arm === undefined ? { x86_64: x86 } : { x86_64: x86, aarch64: arm },
    family: (opts.family as Family | undefined) ?? cat?.family ?? guessFamily(args),
    args,
    ret,
    libc,
    ...(cat?.note !== undefined ? { note: cat.note } : {}),
  };
  entry.does = whatItDoes(entry, single ? parseDoes(opts.does) : undefined, cat?.does, opts.ask ?? null, catalogFile);
  return ordered(entry);
}

/** --does, parsed (validateTable checks its meaning with the rest of the entry). */
function parseDoes(text: string | undefined): DoesSpec | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as DoesSpec;
  } catch (e) {
    throw new GenError(`vu-gen add: --does: invalid JSON (${(e as Error).message}); see docs/TABLE.md`);
  }
}

/**
 * whatItDoes -- the "does" of a new entry: --does, else the catalog's, else
 * "none" for a call without path, fd or dirfd arguments, else asked on a
 * terminal; without one, an error naming --does.
 */
function whatItDoes(entry: SyscallSpec, given: DoesSpec | undefined, cat: DoesSpec | undefined, ask: Ask | null, catalogFile: string): DoesSpec {
  if (given !== undefined) return given;
  if (cat !== undefined) return cat;
  if (!entry.args.some((a) => FILE_ARG_TYPES.includes(a.type))) return { kind: 'none' };
  if (ask === null) throw new GenError(noDoesMessage(entry.name, displayName(catalogFile)));
  return promptDoes(entry, ask);
}

/**
 * addSyscalls -- add every name to the table file, then regenerate.
 * Returns the entries as written and the files that changed.
 */
export function addSyscalls(paths: GenPaths, names: string[], opts: AddOptions): { entries: string[]; changed: string[]; compile: CompileResult } {
  if (names.length === 0) throw new GenError('vu-gen add: name at least one system call');
  const single = names.length === 1;
  if (!single && (opts.signature !== undefined || opts.nr !== undefined || opts.nrAarch64 !== undefined || opts.does !== undefined)) {
    throw new GenError('vu-gen add: --signature, --nr and --does describe one system call; add one name at a time');
  }
  const file: JsonFile = readJson(paths.table);
  let table: TableSpec = validateTable(file);
  let text = file.text;
  const k = kernelNumbers();
  const entries: string[] = [];
  for (const name of names) {
    const have = table.syscalls.findIndex((s) => s.name === name);
    if (have >= 0) throw new GenError(`vu-gen add: ${name} is already in ${file.file} (syscalls[${have}])`);
    const entry = buildEntry(name, single, opts, k, paths.catalog);
    let index = table.syscalls.findIndex((s) => s.nr.x86_64 > entry.nr.x86_64);
    if (index < 0) index = table.syscalls.length;
    const next = insertEntry(text, entry, index);
    /* the new table must pass the same checks as a hand-written one */
    table = validateTable({ file: file.file, text: next, data: JSON.parse(next) as unknown });
    text = next;
    entries.push(`${file.file}: syscalls[${index}] = ${formatEntry(entry, '')}`);
  }
  validateLayers(readLayerFiles(paths.layers)); /* nothing is written unless all inputs are valid */
  writeFileSync(paths.table, text);
  const changed = writeOutputs(paths.out, generate(paths));
  return { entries, changed: [displayName(paths.table), ...changed], compile: compileCheck(paths.out) };
}
