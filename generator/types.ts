/*
 * types.ts -- the input shapes of vu-gen (syscalls.json, layers/*.json) and
 * the closed vocabularies they use. docs/DESIGN.md is the prose version.
 */

/** Semantic argument kinds, in the order of enum vu_arg_kind (after NONE). */
export const ARG_TYPES = [
  'int', 'uint', 'long', 'ulong', 'size', 'ssize', 'off',
  'fd', 'dirfd', 'path', 'open_flags', 'at_flags', 'mode',
  'buf_in', 'buf_out', 'str', 'struct_in', 'struct_out', 'ptr',
  'argv', 'envp', 'pid', 'uid', 'gid', 'signum', 'sigset', 'clockid',
] as const;
export type ArgType = (typeof ARG_TYPES)[number];

/** Argument kinds that may name a length argument with "len". */
export const LEN_TYPES: readonly ArgType[] = ['buf_in', 'buf_out', 'struct_in', 'struct_out'];
/** Argument kinds that must name their struct with "struct". */
export const STRUCT_TYPES: readonly ArgType[] = ['struct_in', 'struct_out'];

/** Return kinds, in the order of enum vu_ret_kind (after NONE). */
export const RET_KINDS = ['int', 'long', 'fd', 'size', 'off', 'ptr', 'noreturn'] as const;
export type RetKind = (typeof RET_KINDS)[number];

/** Families, in the order of enum vu_family (after NONE). */
export const FAMILIES = [
  'file', 'desc', 'fs', 'process', 'signal', 'memory', 'net', 'time',
  'ipc', 'id', 'system', 'sched', 'misc',
] as const;
export type Family = (typeof FAMILIES)[number];

export const ARCHES = ['x86_64', 'aarch64'] as const;
export type Arch = (typeof ARCHES)[number];

export interface ArgSpec {
  name: string;
  type: ArgType;
  ctype: string;
  len?: string;
  struct?: string;
  /** name of a table of generator/decode.json the trace decodes it with
   * (default: the table for its type, if any) */
  decode?: string;
  note?: string;
}

export interface LibcSpec {
  name: string;
  args?: string[];
  fixed?: Record<string, string>;
  variadic?: string;
  ret?: string;
  errors?: 'errno' | 'return';
  custom?: boolean;
  /** custom entries glibc declares only under fortify: the C declaration, e.g. "char *__realpath_chk(const char *, char *, size_t)" */
  proto?: string;
  /** vu-gen extension: C parameter types of this entry point where glibc's
   * declaration differs from the syscall argument's ctype. */
  ctypes?: Record<string, string>;
  note?: string;
}

export interface SyscallSpec {
  name: string;
  nr: { x86_64: number; aarch64?: number };
  /** the Linux version that added the call, for calls newer than the headers vu is built with */
  since?: string;
  family: Family;
  args: ArgSpec[];
  ret: RetKind;
  libc: LibcSpec[];
  note?: string;
}

export interface TableSpec {
  $comment?: string;
  syscalls: SyscallSpec[];
}

/** Option kinds of layer manifests, in the order of enum vu_opt_kind. */
export const OPT_KINDS = [
  'string', 'path', 'newpath', 'path_list', 'path_map', 'string_list',
  'bool', 'int', 'enum', 'object', 'string_or_number',
] as const;
export type OptKind = (typeof OPT_KINDS)[number];

export interface OptionSpec {
  name: string;
  kind: OptKind;
  required?: boolean;
  choices?: string[];
  default?: unknown;
  help: string;
  example?: unknown;
}

export interface LayerSpec {
  name: string;
  summary: string;
  options: OptionSpec[];
}

/** A manifest with the file it came from (relative, for messages). */
export interface LayerFile {
  file: string;
  spec: LayerSpec;
}

/* ---- generator/decode.json: names for numbers, for trace decoding ---- */

export const XLAT_KINDS = ['enum', 'flags'] as const;
export type XlatKind = (typeof XLAT_KINDS)[number];

/** Argument types a decode table may be used for. */
export const DECODABLE_TYPES: readonly ArgType[] = [
  'int', 'uint', 'long', 'ulong', 'open_flags', 'at_flags', 'mode', 'signum', 'sigset', 'clockid',
];

/**
 * One name of a table: a C macro (its value comes from the headers, and it
 * is left out where they do not define it), or a name with its value as a
 * C expression, for all architectures or per architecture.
 */
export type XlatEntrySpec = string | { name: string; value: string | { x86_64: string; aarch64: string } };

export interface XlatTableSpec {
  name: string;
  kind: XlatKind;
  /** C headers that define the names */
  headers: string[];
  /** argument types this table decodes unless an argument says "decode" */
  types?: ArgType[];
  /** flags: a leading enumerated field, printed first (O_RDONLY in open flags) */
  field?: { mask: string; values: XlatEntrySpec[] };
  /** flags: the name printed for 0 when nothing else matches (PROT_NONE) */
  zero?: string;
  values: XlatEntrySpec[];
  note?: string;
}

export interface DecodeSpec {
  $comment?: string;
  tables: XlatTableSpec[];
}

/** Everything the emitters read. */
export interface Inputs {
  table: TableSpec;
  layers: LayerFile[];
  decode: DecodeSpec;
}
