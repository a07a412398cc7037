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
  /** custom entries: the hand-written wrapper looks the real function up
   * itself at its first use (vu_libc_sym), not vu_libc_resolve at every
   * start-up (functions most processes never call: the users and groups) */
  lazy?: boolean;
  /** custom entries glibc declares only under fortify: the C declaration, e.g. "char *__realpath_chk(const char *, char *, size_t)" */
  proto?: string;
  /** vu-gen extension: C parameter types of this entry point where glibc's
   * declaration differs from the syscall argument's ctype. */
  ctypes?: Record<string, string>;
  note?: string;
}

/* ---- "does": what a call does to the file system (docs/TABLE.md) ---- */

/** Operation kinds, in the order of enum vu_op_kind (VU_OP_NONE = 0 first). */
export const OP_KINDS = [
  'none', 'io', 'read', 'open', 'write', 'create', 'delete', 'rename', 'link',
  'meta', 'exec', 'chdir', 'mount', 'unknown',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** The kinds that change the file system whatever the arguments (VU_SC_WRITES). */
export const WRITE_KINDS: readonly OpKind[] = ['write', 'create', 'delete', 'rename', 'link', 'meta', 'mount'];

/** Path roles, in the order of enum vu_path_role (VU_ROLE_OBJECT = 0 first). */
export const PATH_ROLES = ['object', 'new', 'old', 'content'] as const;
export type PathRole = (typeof PATH_ROLES)[number];

/** Argument types a path's "flags" may name (besides openat2's struct open_how). */
export const PATH_FLAG_TYPES: readonly ArgType[] = ['at_flags', 'open_flags', 'int', 'uint', 'long', 'ulong'];

/**
 * Where the flag macros of "does" are defined, by prefix: vu_syscall_table.c
 * includes the headers of the names it prints. A name with no prefix here
 * is a validation error (add its header here).
 */
export const FLAG_HEADERS: readonly { prefix: string; header: string }[] = [
  { prefix: 'O_', header: 'fcntl.h' },
  { prefix: 'AT_', header: 'fcntl.h' },
  { prefix: 'UMOUNT_', header: 'sys/mount.h' },
  { prefix: 'MOVE_MOUNT_', header: 'sys/mount.h' },
  { prefix: 'FSPICK_', header: 'sys/mount.h' },
  { prefix: 'OPEN_TREE_', header: 'sys/mount.h' },
  { prefix: 'IN_', header: 'sys/inotify.h' },
  { prefix: 'FAN_', header: 'sys/fanotify.h' },
  { prefix: 'RESOLVE_', header: 'linux/openat2.h' },
  { prefix: 'RENAME_', header: 'stdio.h' },
  { prefix: 'CLOCK_', header: 'time.h' },
  { prefix: 'TIMER_', header: 'time.h' },
  { prefix: 'TFD_', header: 'sys/timerfd.h' },
];

/** One path argument of a call. */
export interface DoesPathSpec {
  /** the argument (type path; a "content" path may be a str) */
  arg: string;
  /** the dirfd argument it is relative to; absent: the cwd */
  dirfd?: string;
  role: PathRole;
  /** the kernel follows a symlink in the last component when no flag says otherwise (not for "content") */
  follow?: boolean;
  /** the argument whose bits change following */
  flags?: string;
  /** flag that stops following */
  nofollow?: string;
  /** flag that starts following */
  follow_flag?: string;
  /** flag that lets "" name the dirfd */
  empty?: string;
  /** a NULL path acts on the dirfd */
  null_is_fd?: boolean;
  /** the empty flag works only on a descriptor opened for real: on an O_PATH one the kernel says EBADF */
  empty_needs_fd?: boolean;
}

/** Where a kind "open" call has its open flags: exactly one of flags, how (+ size), fixed. */
export interface DoesOpenSpec {
  flags?: string;
  how?: string;
  size?: string;
  fixed?: string;
}

/* ---- facts beyond the file system: ids, clocks, xattrs, nodes ---- */

/** What ids an id call is about, in the order of enum vu_ids_of (VU_IDS_NONE = 0 first). */
export const IDS_OF = ['none', 'uid', 'gid', 'groups'] as const;
export type IdsOf = (typeof IDS_OF)[number];
/** The ids of a process, in the order of enum vu_id (VU_ID_REAL = 0 first). */
export const ID_WHICH = ['real', 'effective', 'saved', 'fs'] as const;
export type IdWhich = (typeof ID_WHICH)[number];

/**
 * An id call: it gets or sets (exactly one of the two) the user ids, group
 * ids or supplementary groups. which: the ids it touches, in the order of
 * its uid/gid arguments (set) or pointer arguments (get); a get without
 * arguments returns its one id.
 */
export interface DoesIdsSpec {
  get?: Exclude<IdsOf, 'none'>;
  set?: Exclude<IdsOf, 'none'>;
  which?: IdWhich[];
}

/** Where the clock of a time call comes from: exactly one key. */
export interface DoesClockSpec {
  /** a clockid argument */
  arg?: string;
  /** always this clock (a CLOCK_* name) */
  fixed?: string;
  /** the clock of this timerfd */
  fd?: string;
  /** the clock of this POSIX timer id (timer_create's) */
  timer?: string;
}

/** How a time argument holds its time, in the order of enum vu_time_repr (VU_TIME_NONE = 0 first):
 * from its struct (timespec, timeval, itimerspec, utimbuf) or a time_t pointer. */
export const TIME_REPRS = ['none', 'timespec', 'timeval', 'time_t', 'itimerspec', 'utimbuf'] as const;
export type TimeRepr = (typeof TIME_REPRS)[number];

/** What a call does with the time of a clock (docs/TABLE.md). */
export interface DoesTimeSpec {
  clock?: DoesClockSpec;
  /** the argument the call writes the clock's current time into */
  now?: string;
  /** the call returns the clock's current time (in seconds) */
  now_ret?: boolean;
  /** the argument holding a time the kernel waits for (relative unless "abs") */
  deadline?: string;
  /** the bit of an argument that makes the deadline absolute (a time on the clock) */
  abs?: { flags: string; flag: string };
  /** file times to set; NULL or UTIME_NOW mean the realtime clock's now */
  file_times?: string;
  /** the argument the new timer's id is written to (the timer keeps the clock) */
  timer_out?: string;
}

/** A call on extended attributes: op "set" (the default: name, and value with size or a struct xattr_args), "get" (name, and the value buffer with size or a struct xattr_args), "list" (value: the buffer of names, with size) or "remove" (name). */
export interface DoesXattrSpec {
  op?: 'set' | 'get' | 'list' | 'remove';
  name?: string;
  value?: string;
  size?: string;
  args?: string;
}

export interface DoesSpec {
  kind: OpKind;
  paths?: DoesPathSpec[];
  /** the descriptor the call acts on */
  fd?: string;
  open?: DoesOpenSpec;
  /** an id call (kind none) */
  ids?: DoesIdsSpec;
  /** what it does with a clock's time */
  time?: DoesTimeSpec;
  /** kind meta: it sets or removes an extended attribute; kind read: it reads one, or the list */
  xattr?: DoesXattrSpec;
  /** kind create: it makes a node of the type of mode's S_IFMT bits, with device number dev */
  node?: { mode: string; dev: string };
  /** kind rename: the bit that swaps the two names (nothing is removed) */
  exchange?: { flags: string; flag: string };
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
  /** what the call does (docs/TABLE.md); required when it takes a path, fd or dirfd */
  does?: DoesSpec;
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
  /** a whole layer object for `vu layers` (else one made of the options' examples) */
  example?: Record<string, unknown>;
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
