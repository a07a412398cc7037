/*
 * model.ts -- turn the validated inputs into what the templates print.
 * Every decision about the generated C (names, casts, guards, the code of
 * each wrapper path) is made here; templates only lay it out.
 */
import { isPointer, lfsType, libcRetType, normCtype } from './ctypes.js';
import { flagNames, timeRepr } from './validate.js';
import {
  ARG_TYPES, FAMILIES, FLAG_HEADERS, ID_WHICH, IDS_OF, OP_KINDS, OPT_KINDS, PATH_ROLES, RET_KINDS, TIME_REPRS, WRITE_KINDS,
  type ArgSpec, type DoesPathSpec, type DoesSpec, type Family, type Inputs, type LayerFile, type LibcSpec,
  type OptionSpec, type SyscallSpec, type XlatEntrySpec, type XlatTableSpec,
} from './types.js';

/* ---- enum names ---- */

const upper = (s: string) => s.toUpperCase();
export const argKindEnum = (t: string) => `VU_ARG_${upper(t)}`;
export const retKindEnum = (t: string) => `VU_RET_${upper(t)}`;
export const familyEnum = (t: string) => `VU_FAMILY_${upper(t)}`;
export const optKindEnum = (t: string) => `VU_OPT_${upper(t)}`;
export const opKindEnum = (t: string) => `VU_OP_${upper(t)}`;
export const pathRoleEnum = (t: string) => `VU_ROLE_${upper(t)}`;
export const idsOfEnum = (t: string) => `VU_IDS_${upper(t)}`;
export const idEnum = (t: string) => `VU_ID_${upper(t)}`;
export const timeReprEnum = (t: string) => `VU_TIME_${upper(t)}`;
export const clockSrcEnum = (t: string) => `VU_CLOCK_SRC_${upper(t)}`;
/** Where a time call's clock comes from, in the order of enum vu_clock_src (NONE = 0 first). */
export const CLOCK_SRCS = ['none', 'arg', 'fixed', 'fd', 'timer'] as const;

/* ---- the syscall table ---- */

export interface ArgModel {
  name: string;
  type: string;
  kind: string;
  ctype: string;
  /** index of the length argument, or -1 */
  len: number;
  /** struct name, or null */
  strct: string | null;
}

export interface SyscallModel {
  name: string;
  nr: { x86_64: number; aarch64: number | null };
  family: Family;
  familyEnum: string;
  ret: string;
  retEnum: string;
  nargs: number;
  args: ArgModel[];
  /** C expression of the VU_SC_* bits, "0" when none */
  flags: string;
  /** guard with #ifdef VU_NR_<name>: the call is missing on some arch */
  partial: boolean;
  /** its struct vu_sem */
  sem: SemModel;
  spec: SyscallSpec;
}

/* ---- what a call does: struct vu_sem (docs/TABLE.md) ---- */

/** One struct vu_sem_path, as the C values of its fields. */
export interface SemPathModel {
  arg: number;
  dirfd: number;
  flags: number;
  role: string;
  follow: number;
  nullIsFd: number;
  emptyNeedsFd: number;
  /** C expressions ("0" when none) */
  nofollow: string;
  followFlag: string;
  empty: string;
}

/** One struct vu_sem, as the C values of its fields. */
export interface SemModel {
  kind: string;
  npaths: number;
  fd: number;
  oflags: number;
  how: number;
  howsize: number;
  /** C expression, "0" when none */
  oflagsFixed: string;
  /** always two: the absent ones all -1 / 0 */
  paths: SemPathModel[];
  ids: SemIdsModel;
  time: SemTimeModel;
  xattr: { op: string; name: number; value: number; size: number; args: number };
  node: { mode: number; dev: number };
  /** the argument and bit that swap a rename's names, -1 and "0" when none */
  exchange: { flags: number; flag: string };
}

/** struct vu_sem_ids */
export interface SemIdsModel {
  of: string;
  /** 1: it changes ids; 0: it reads them */
  sets: number;
  /** C expression of the VU_ID_BIT()s of the ids it touches, "0" when none */
  which: string;
  /** the argument of the real, effective, saved and fs id, -1 when none */
  arg: number[];
}

/** struct vu_sem_time */
export interface SemTimeModel {
  clock: string;
  clockArg: number;
  /** C expression, "0" when none */
  clockFixed: string;
  now: number;
  nowRepr: string;
  nowRet: number;
  deadline: number;
  deadlineRepr: string;
  absFlags: number;
  abs: string;
  fileTimes: number;
  fileTimesRepr: string;
  timerOut: number;
}

/** "does" of an entry that has none: it touches no file. */
export const NO_DOES: DoesSpec = { kind: 'none' };

/** A flag expression as C ("O_CREAT|O_WRONLY" -> "O_CREAT | O_WRONLY"), "0" when absent. */
export const cFlags = (v: string | undefined) => (v === undefined ? '0' : flagNames(v).join(' | '));

const ABSENT_PATH: SemPathModel = {
  arg: -1, dirfd: -1, flags: -1, role: pathRoleEnum('object'), follow: 0, nullIsFd: 0, emptyNeedsFd: 0,
  nofollow: '0', followFlag: '0', empty: '0',
};

export function semModel(s: SyscallSpec): SemModel {
  const d = s.does ?? NO_DOES;
  const idx = (name: string | undefined) => (name === undefined ? -1 : s.args.findIndex((a) => a.name === name));
  const path = (p: DoesPathSpec): SemPathModel => ({
    arg: idx(p.arg),
    dirfd: idx(p.dirfd),
    flags: idx(p.flags),
    role: pathRoleEnum(p.role),
    follow: p.follow === true ? 1 : 0,
    nullIsFd: p.null_is_fd === true ? 1 : 0,
    emptyNeedsFd: p.empty_needs_fd === true ? 1 : 0,
    nofollow: cFlags(p.nofollow),
    followFlag: cFlags(p.follow_flag),
    empty: cFlags(p.empty),
  });
  const paths = (d.paths ?? []).map(path);
  const repr = (name: string | undefined) => {
    const a = s.args.find((x) => x.name === name);
    return timeReprEnum(a === undefined ? 'none' : timeRepr(a) ?? 'none');
  };
  const bits = (which: readonly string[]) => (which.length === 0 ? '0' : which.map((w) => `VU_ID_BIT(${idEnum(w)})`).join(' | '));
  const ids = d.ids;
  const idsOf = ids?.get ?? ids?.set ?? 'none';
  const which = ids?.which ?? [];
  /* the arguments that carry the ids, in order: uid/gid (set), pointers (get) */
  const carriers = s.args.map((a, i) => ({ a, i })).filter(({ a }) => (ids?.set !== undefined ? a.type === ids.set : a.type === 'ptr'));
  const t = d.time ?? {};
  const clock = t.clock ?? {};
  const clockSrc = CLOCK_SRCS.find((k) => k !== 'none' && (clock as Record<string, unknown>)[k] !== undefined) ?? 'none';
  return {
    kind: opKindEnum(d.kind),
    npaths: paths.length,
    fd: idx(d.fd),
    oflags: idx(d.open?.flags),
    how: idx(d.open?.how),
    howsize: idx(d.open?.size),
    oflagsFixed: cFlags(d.open?.fixed),
    paths: [...paths, ABSENT_PATH, ABSENT_PATH].slice(0, 2),
    ids: {
      of: idsOfEnum(idsOf),
      sets: ids?.set !== undefined ? 1 : 0,
      which: bits(which),
      arg: ID_WHICH.map((w) => {
        const k = which.indexOf(w);
        return k < 0 || k >= carriers.length ? -1 : carriers[k].i;
      }),
    },
    time: {
      clock: clockSrcEnum(clockSrc),
      clockArg: idx(clock.arg ?? clock.fd ?? clock.timer),
      clockFixed: cFlags(clock.fixed),
      now: idx(t.now),
      nowRepr: repr(t.now),
      nowRet: t.now_ret === true ? 1 : 0,
      deadline: idx(t.deadline),
      deadlineRepr: repr(t.deadline),
      absFlags: idx(t.abs?.flags),
      abs: cFlags(t.abs?.flag),
      fileTimes: idx(t.file_times),
      fileTimesRepr: repr(t.file_times),
      timerOut: idx(t.timer_out),
    },
    xattr: { op: d.xattr ? `VU_XATTR_${(d.xattr.op ?? 'set').toUpperCase()}` : 'VU_XATTR_NONE', name: idx(d.xattr?.name), value: idx(d.xattr?.value), size: idx(d.xattr?.size), args: idx(d.xattr?.args) },
    node: { mode: idx(d.node?.mode), dev: idx(d.node?.dev) },
    exchange: { flags: idx(d.exchange?.flags), flag: cFlags(d.exchange?.flag) },
  };
}

/** Every flag name the table's "does" use. */
function semFlagNames(sys: SyscallSpec[]): string[] {
  const names = sys.flatMap((s) => {
    const d = s.does ?? NO_DOES;
    const exprs = [
      d.open?.fixed, ...(d.paths ?? []).flatMap((p) => [p.nofollow, p.follow_flag, p.empty]),
      d.time?.clock?.fixed, d.time?.abs?.flag, d.exchange?.flag,
    ];
    return exprs.filter((x): x is string => x !== undefined).flatMap(flagNames);
  });
  return [...new Set(names)].sort();
}

/** The headers vu_syscall_table.c includes: those defining the flags it prints. */
export function semHeaders(sys: SyscallSpec[]): string[] {
  const headers = semFlagNames(sys).map((n) => FLAG_HEADERS.find((h) => n.startsWith(h.prefix))?.header)
    .filter((h): h is string => h !== undefined);
  return [...new Set(headers)].sort();
}

/** Open flags that make an open write or create (docs/TABLE.md). */
export const OPEN_WRITE_FLAGS = ['O_WRONLY', 'O_RDWR', 'O_TRUNC', 'O_APPEND', 'O_CREAT', 'O_TMPFILE'];

/**
 * Does the call change the file system whatever its arguments? (VU_SC_WRITES)
 * The kinds of WRITE_KINDS do. An open writes according to its flags, so it
 * does not -- except an open whose flags are fixed and write (creat).
 */
export function writes(s: SyscallSpec): boolean {
  const d = s.does ?? NO_DOES;
  if (WRITE_KINDS.includes(d.kind)) return true;
  const fixed = d.kind === 'open' ? d.open?.fixed : undefined;
  return fixed !== undefined && flagNames(fixed).some((n) => OPEN_WRITE_FLAGS.includes(n));
}

function argModel(a: ArgSpec, all: ArgSpec[]): ArgModel {
  return {
    name: a.name,
    type: a.type,
    kind: argKindEnum(a.type),
    ctype: normCtype(a.ctype),
    len: a.len === undefined ? -1 : all.findIndex((b) => b.name === a.len),
    strct: a.struct ?? null,
  };
}

function flagsOf(s: SyscallSpec): string {
  const f: string[] = [];
  if (s.args.some((a) => a.type === 'path')) f.push('VU_SC_PATH');
  if (s.args.some((a) => a.type === 'fd' || a.type === 'dirfd')) f.push('VU_SC_FD');
  if (writes(s)) f.push('VU_SC_WRITES');
  return f.length === 0 ? '0' : f.join(' | ');
}

export function syscallModel(s: SyscallSpec): SyscallModel {
  return {
    name: s.name,
    nr: { x86_64: s.nr.x86_64, aarch64: s.nr.aarch64 ?? null },
    family: s.family,
    familyEnum: familyEnum(s.family),
    ret: s.ret,
    retEnum: retKindEnum(s.ret),
    nargs: s.args.length,
    args: s.args.map((a) => argModel(a, s.args)),
    flags: flagsOf(s),
    partial: s.nr.aarch64 === undefined,
    sem: semModel(s),
    spec: s,
  };
}

/** The syscalls sorted by x86_64 number (validation already demands it). */
export function syscallModels(inputs: Inputs): SyscallModel[] {
  return inputs.table.syscalls.map(syscallModel).sort((a, b) => a.nr.x86_64 - b.nr.x86_64);
}

export interface ArchBlock {
  directive: '#if' | '#elif';
  cond: string;
  arch: string;
  defines: { name: string; nr: number }[];
  /** highest number + 1 (0 with an empty table) */
  count: number;
  entries: number;
}

/** archBlocks -- the VU_NR_* of each architecture, sorted by its numbers. */
export function archBlocks(sys: SyscallModel[]): ArchBlock[] {
  const block = (arch: 'x86_64' | 'aarch64', directive: '#if' | '#elif', cond: string): ArchBlock => {
    const defines = sys
      .filter((s) => s.nr[arch] !== null)
      .map((s) => ({ name: s.name, nr: s.nr[arch] as number }))
      .sort((a, b) => a.nr - b.nr);
    const count = defines.length === 0 ? 0 : defines[defines.length - 1].nr + 1;
    return { directive, cond, arch, defines, count, entries: defines.length };
  };
  return [
    block('x86_64', '#if', 'defined(__x86_64__)'),
    block('aarch64', '#elif', 'defined(__aarch64__)'),
  ];
}

export const enumLists = {
  opKinds: OP_KINDS.slice(1).map(opKindEnum),
  pathRoles: PATH_ROLES.slice(1).map(pathRoleEnum),
  idsOf: IDS_OF.slice(1).map(idsOfEnum),
  idWhich: ID_WHICH.slice(1).map(idEnum),
  timeReprs: TIME_REPRS.slice(1).map(timeReprEnum),
  clockSrcs: CLOCK_SRCS.slice(1).map(clockSrcEnum),
  argKinds: ARG_TYPES.map(argKindEnum),
  retKinds: RET_KINDS.map(retKindEnum),
  families: FAMILIES.map(familyEnum),
};

/* ---- libc wrappers ---- */

export interface ParamModel {
  name: string;
  ctype: string;
  /** "const char *path" */
  decl: string;
}

export interface LibcModel {
  name: string;
  syscall: string;
  guard: string;
  custom: boolean;
  /** custom and looked up by its wrapper at first use */
  lazy: boolean;
  typedef: string;
  /** "typedef int vu_open_fn(const char *, int, ...);" */
  typedefLine: string;
  real: string;
  bottom: string;
  ret: string;
  /** "VU_EXPORT int open(const char *filename, int flags, ...)" */
  signature: string;
  /** what the wrapper is, for the comment above it */
  about: string;
  /** statements reading the variadic arguments (may be empty) */
  prologue: string[];
  /** the verdict cache asked before the call is built (verdict.c), or [] */
  cached: string[];
  /** the wrapper past its vu_direct test: a function of its own */
  split: boolean;
  slowSignature: string;
  slowCall: string;
  /** the fast path: the real function with the selector at ALLOW */
  fast: string[];
  /** "vu_known_NAME": the real function was looked up */
  known: string;
  /** the ELF GNU hash of the name, as a C constant */
  gnuHash: string;
  /** the tail call when vu_direct[nr] is 0, or null (a function that does not return) */
  direct: string[] | null;
  /** the condition under which the bottom must use the gate, or null */
  gateIf: string | null;
  /** the bottom's real call and conversion to -errno */
  bottomBody: string[];
  /** "struct vu_call vu_c = VU_CALL(...);" */
  callInit: string;
  /** the slow path's last statements */
  slow: string[];
}

const declOf = (ctype: string, name: string) => `${ctype}${ctype.endsWith('*') ? '' : ' '}${name}`;

function paramType(l: LibcSpec, a: ArgSpec): string {
  const over = l.ctypes?.[a.name];
  return over !== undefined ? normCtype(over) : lfsType(a.ctype, l.name);
}

/** The expression a variadic argument is read with, like glibc reads it. */
function readVariadic(p: ParamModel, openMode: boolean): string {
  const promoted = openMode ? 'int' : 'unsigned long';
  const read = `va_arg(vu_ap, ${promoted})`;
  return p.ctype === promoted ? read : `(${p.ctype})${read}`;
}

function variadicPrologue(sys: SyscallSpec, l: LibcSpec, named: ParamModel[], rest: ParamModel[]): string[] {
  if (rest.length === 0) return [];
  const last = named[named.length - 1].name;
  const openFlags = sys.args.find((a) => a.type === 'open_flags');
  const modeArg = sys.args.find((a) => a.name === rest[0].name);
  if (rest.length === 1 && modeArg?.type === 'mode' && openFlags !== undefined) {
    /* glibc reads the mode only when the flags ask for one */
    const p = rest[0];
    const flagsExpr = named.some((n) => n.name === openFlags.name)
      ? openFlags.name
      : `(${l.fixed?.[openFlags.name] ?? '0'})`;
    return [
      `${declOf(p.ctype, p.name)} = 0;`,
      `if (__OPEN_NEEDS_MODE(${flagsExpr})) {`,
      '\tva_list vu_ap;',
      `\tva_start(vu_ap, ${last});`,
      `\t${p.name} = ${readVariadic(p, true)};`,
      '\tva_end(vu_ap);',
      '}',
    ];
  }
  /* otherwise always, as unsigned long (a register or stack slot either way) */
  return [
    'va_list vu_ap;',
    `va_start(vu_ap, ${last});`,
    ...rest.map((p) => `${declOf(p.ctype, p.name)} = ${readVariadic(p, false)};`),
    'va_end(vu_ap);',
  ];
}

/** The statements that end a path, by how the entry returns. */
function returns(ret: string, l: LibcSpec, noreturn: boolean) {
  const ptr = isPointer(ret);
  const errReturn = l.errors === 'return';
  return {
    /** after the real call in the fast path */
    fast: noreturn ? ['__builtin_unreachable();'] : ret === 'void' ? ['return;'] : ['return vu_r;'],
    /** after the real call in the bottom: to the result or -errno */
    bottom: noreturn
      ? ['__builtin_unreachable();']
      : ret === 'void'
        ? ['return 0;']
        : errReturn
          ? ['return -(long)vu_r;']
          : ptr
            ? ['return vu_take_errno_ptr(vu_r);']
            : ['return vu_take_errno((long)vu_r);'],
    /** the slow path, given the dispatch expression */
    slow: (call: string): string[] => {
      if (noreturn) return [`(void)${call};`, '/* a layer answered: end the process all the same */', '(void)vu_gate_call(&vu_c);', '__builtin_unreachable();'];
      if (ret === 'void') return [`(void)${call};`];
      if (errReturn) return [`long vu_r = ${call};`, `return vu_r < 0 ? (${ret})-vu_r : (${ret})vu_r;`];
      if (ptr) return [`return vu_set_errno_ptr(${call});`];
      return [`return (${ret})vu_set_errno(${call});`];
    },
  };
}

/** allow: how the selector is opened (the fast path asks vu_allow_for
 * whether a layer wants another call glibc's function can make) */
function callStatements(ret: string, noreturn: boolean, call: string, allow = 'vu_allow()', bottom = false): string[] {
  if (noreturn) return [`(void)${allow};`, `${call};`];
  const assign = ret === 'void' ? `${call};` : `${declOf(ret, 'vu_r')} = ${call};`;
  if (bottom) return [`struct vu_bottom_state vu_s = ${allow};`, assign, 'vu_restore_bottom(vu_s);'];
  return [`unsigned char vu_s = ${allow};`, assign, 'vu_restore(vu_s);'];
}

/** The kinds verdict.c never serves (vu_vc_forgets, and exec): their
 * wrappers get no hit path, which could never be taken. */
const CACHE_FORGET_KINDS = new Set(['create', 'delete', 'rename', 'link', 'chdir', 'mount', 'unknown', 'exec']);

/** The argument types verdict.c's shape() takes as a key or a result. */
const CACHE_KEY_TYPES = new Set(['dirfd', 'int', 'uint', 'long', 'ulong', 'size', 'off', 'fd', 'open_flags', 'at_flags',
  'mode', 'uid', 'gid', 'buf_out', 'struct_out']);

export function libcModel(sys: SyscallSpec, l: LibcSpec): LibcModel {
  const byName = new Map(sys.args.map((a, i) => [a.name, { a, i }]));
  const listed = (l.args ?? sys.args.map((a) => a.name)).map((n) => byName.get(n)!);
  const params: ParamModel[] = listed.map(({ a }) => {
    const ctype = paramType(l, a);
    return { name: a.name, ctype, decl: declOf(ctype, a.name) };
  });
  const vIndex = l.variadic === undefined ? params.length : params.findIndex((p) => p.name === l.variadic);
  const named = params.slice(0, vIndex);
  const rest = params.slice(vIndex);
  const variadic = rest.length > 0;
  const ret = libcRetType(sys, l);
  const noreturn = sys.ret === 'noreturn';
  const typedef = `vu_${l.name}_fn`;
  const real = `vu_real_${l.name}`;
  const known = `vu_known_${l.name}`;
  // the ELF GNU hash of the name (what ld.so computes), for sym.c's lookup
  let gnuHash = 5381;
  for (const ch of Buffer.from(l.name)) gnuHash = (Math.imul(gnuHash, 33) + ch) >>> 0;
  const bottom = `vu_bottom_${l.name}`;
  const nrMacro = `VU_NR_${sys.name}`;

  const protoTypes = [...named.map((p) => p.ctype), ...(variadic ? ['...'] : [])];
  /* A hand-written wrapper's real function may have any shape (posix_spawn
   * under execve): take glibc's own declaration. A generated one spells its
   * type out, and the compiler checks it against glibc's. */
  const typedefLine = l.custom === true
    ? l.proto
      ? `typedef ${l.proto.replace(`${l.name}(`, `${typedef}(`)};`
      : `typedef __typeof__(${l.name}) ${typedef};`
    : `typedef ${declOf(ret, `${typedef}(${protoTypes.length === 0 ? 'void' : protoTypes.join(', ')})`)};`;
  const paramList = [...named.map((p) => p.decl), ...(variadic ? ['...'] : [])];
  const signature = `VU_EXPORT ${declOf(ret, `${l.name}(${paramList.length === 0 ? 'void' : paramList.join(', ')})`)}`;

  /* The bottom: the real function can only make the call if nothing that
   * it cannot express was changed: fixed arguments and unlisted ones. */
  const listedIdx = new Set(listed.map((x) => x.i));
  const gate: string[] = [];
  const slots: string[] = [];
  sys.args.forEach((a, i) => {
    const fixed = l.fixed?.[a.name];
    if (listedIdx.has(i)) slots.push(`(long)${a.name}`);
    else if (fixed !== undefined) {
      slots.push(`(long)(${fixed})`);
      gate.push(`vu_c->args[${i}] != (long)(${fixed})`);
    } else {
      slots.push('0');
      gate.push(`vu_c->args[${i}] != 0`);
    }
  });
  const shape = sys.args.map((a) => (listedIdx.has(byName.get(a.name)!.i) ? a.name : l.fixed?.[a.name] ?? '0'));
  const about = `${l.name} -- ${sys.name}(${shape.join(', ')})${l.errors === 'return' ? '; returns the error number' : ''}`;
  const bottomArgs = listed.map(({ i }, k) => `(${params[k].ctype})vu_c->args[${i}]`);
  const r = returns(ret, l, noreturn);
  const dispatch = `vu_libc_call(&vu_c, ${real} ? ${bottom} : NULL)`;
  /* A call the verdict cache may answer (one path argument, the others
   * number-like or results: verdict.c's shape) asks it before building a
   * struct vu_call; on a hit glibc's function runs with the path the
   * stack handed on last time, as the bottom would run it. */
  const paths = sys.args.filter((a) => a.type === 'path');
  const pathParam = paths.length === 1 ? params.find((p) => p.name === paths[0].name) : undefined;
  /* or a path the function fixes (fstat: newfstatat(fd, "", AT_EMPTY_PATH)):
   * a hit runs glibc's function only when the stack handed that same path
   * on; a path it changed goes the whole way (the bottom's gate call) */
  const fixedPath = paths.length === 1 && pathParam === undefined && l.fixed?.[paths[0].name] !== undefined
    ? sys.args.findIndex((a) => a.type === 'path') : -1;
  const cacheable = !noreturn && (pathParam !== undefined || fixedPath >= 0) && !CACHE_FORGET_KINDS.has(sys.does?.kind ?? 'none') &&
    sys.args.every((a) => a.type === 'path' || CACHE_KEY_TYPES.has(a.type));
  const hitArgs = params.map((p) => (p === pathParam ? `(${p.ctype})vu_p` : p.name));
  const cached = cacheable
    ? [
        'struct vu_vc_key vu_k;	/* (what a miss worked out: not worked out again) */',
        'vu_k.looked = 0;',
        `if ((vu_vc_on[${nrMacro}] & VU_VC_WRAPPER) && ${real}) {`,
        '	char vu_pb[VU_VC_OUT] __attribute__((aligned(8)));',
        `	const long vu_a[6] = { ${[...slots, ...Array(6 - slots.length).fill('0')].join(', ')} };`,
        `	const char *vu_p = vu_vc_hit(${nrMacro}, vu_a, vu_pb, &vu_k);`,
        fixedPath >= 0
          ? `	if (vu_p && vu_p == (const char *)vu_a[${fixedPath}]) {	/* remembered, its fixed path unchanged: run as the bottom would */`
          : '	if (vu_p) {	/* remembered: run as the bottom would run it */',
        ...callStatements(ret, noreturn, `${real}(${hitArgs.join(', ')})`, `vu_allow_bottom(VU_FN_${l.name}, ${nrMacro})`, true).map((x) => `		${x}`),
        ...r.fast.map((x) => `		${x}`),
        '	}',
        '}',
      ]
    : [];
  return {
    name: l.name,
    syscall: sys.name,
    guard: nrMacro,
    custom: l.custom === true,
    lazy: l.lazy === true,
    typedef,
    typedefLine,
    real,
    known,
    gnuHash: `${gnuHash}u`,
    bottom,
    ret,
    signature,
    about,
    prologue: variadicPrologue(sys, l, named, rest),
    cached,
    /* (not a variadic one: reading its arguments needs the frame anyway) */
    split: !noreturn && !variadic,
    slowSignature: `${declOf(ret, `vu_slow_${l.name}(${params.length === 0 ? 'void' : params.map((p) => p.decl).join(', ')})`)}`,
    slowCall: ret === 'void'
      ? `vu_slow_${l.name}(${params.map((p) => p.name).join(', ')});`
      : `return vu_slow_${l.name}(${params.map((p) => p.name).join(', ')});`,
    fast: [...callStatements(ret, noreturn, `${real}(${params.map((p) => p.name).join(', ')})`, `vu_allow_for(VU_FN_${l.name}, ${nrMacro})`), ...r.fast],
    direct: noreturn ? null : ret === 'void'
      ? [`{ ${real}(${params.map((p) => p.name).join(', ')}); return; }`]
      : [`return ${real}(${params.map((p) => p.name).join(', ')});`],
    gateIf: gate.length === 0 ? null : gate.join(' ||\n\t    '),
    bottomBody: [...(sys.args.length === 0 ? ['(void)vu_c;'] : []), ...callStatements(ret, noreturn, `${real}(${bottomArgs.join(', ')})`, `vu_allow_bottom(VU_FN_${l.name}, ${nrMacro})`, true), ...r.bottom],
    callInit: `struct vu_call vu_c = VU_CALL(${[nrMacro, ...(slots.length === 0 ? ['0'] : slots)].join(', ')});`,
    slow: r.slow(cacheable ? `vu_libc_call_vc(&vu_c, ${real} ? ${bottom} : NULL, &vu_k)` : dispatch),
  };
}

/** A group of libc entry points that share one syscall's #ifdef. */
export interface LibcGroup {
  syscall: string;
  guard: string;
  entries: LibcModel[];
  wrapped: LibcModel[];
  custom: LibcModel[];
  hasCustom: boolean;
}

export function libcGroups(sys: SyscallModel[]): LibcGroup[] {
  return sys
    .filter((s) => s.spec.libc?.length)
    .map((s) => {
      const entries = (s.spec.libc ?? []).map((l) => libcModel(s.spec, l));
      return {
        syscall: s.name,
        guard: `VU_NR_${s.name}`,
        entries,
        wrapped: entries.filter((e) => !e.custom),
        custom: entries.filter((e) => e.custom),
        hasCustom: entries.some((e) => e.custom),
      };
    });
}

/** Every libc symbol vu exports, sorted (for the version script). */
export function libcSymbols(sys: SyscallModel[]): string[] {
  return sys.flatMap((s) => (s.spec.libc ?? []).map((l) => l.name)).sort();
}

/**
 * System headers of vu_libc.c and vu_libc.h. Broader than strictly needed
 * on purpose: every glibc declaration of an interposed function must be in
 * sight, so that a wrong ctype in syscalls.json is a compile error.
 */
export const LIBC_INCLUDES = [
  'stddef.h', 'stdarg.h', 'errno.h', 'dlfcn.h', 'fcntl.h', 'unistd.h',
  'stdio.h', 'stdlib.h', 'dirent.h', 'poll.h', 'sched.h', 'signal.h',
  'time.h', 'utime.h', 'sys/types.h', 'sys/stat.h', 'sys/statfs.h',
  'sys/statvfs.h', 'sys/xattr.h', 'sys/socket.h', 'sys/uio.h',
  'sys/time.h', 'sys/mman.h', 'sys/ioctl.h', 'sys/prctl.h',
  'sys/utsname.h', 'sys/resource.h', 'sys/wait.h', 'sys/epoll.h',
  'sys/file.h', 'sys/sendfile.h', 'sys/select.h', 'sys/mount.h',
  'sys/random.h', 'sys/times.h', 'sys/sysinfo.h', 'sys/timerfd.h',
  'sys/eventfd.h', 'sys/signalfd.h', 'sys/inotify.h', 'sys/fsuid.h',
  'sys/personality.h', 'sys/ptrace.h', 'sys/ipc.h', 'sys/shm.h',
  'sys/msg.h', 'sys/sem.h', 'grp.h', 'pwd.h', 'spawn.h', 'mqueue.h', 'sys/timex.h',
  'sys/swap.h', 'sys/reboot.h', 'sys/klog.h', 'sys/acct.h', 'sys/quota.h',
  'sys/fanotify.h', 'termios.h', 'glob.h', 'ftw.h',
];

/** Headers not every glibc or architecture has (included when present). */
export const LIBC_OPTIONAL_INCLUDES = ['sys/io.h', 'sys/pidfd.h'];

/* ---- layer types ---- */

export interface OptModel {
  name: string;
  kind: string;
  required: number;
  choicesName: string | null;
  choices: string[];
  /** the default as JSON text, or null */
  def: string | null;
  help: string;
}

export interface LayerModel {
  name: string;
  summary: string;
  ops: string;
  optsName: string | null;
  nopts: number;
  options: OptModel[];
  hasChoices: boolean;
}

function optModel(layer: string, o: OptionSpec): OptModel {
  return {
    name: o.name,
    kind: optKindEnum(o.kind),
    required: o.required === true ? 1 : 0,
    choicesName: o.kind === 'enum' ? `vu_choices_${layer}_${o.name}` : null,
    choices: o.kind === 'enum' ? (o.choices ?? []) : [],
    def: o.default === undefined ? null : JSON.stringify(o.default),
    help: o.help,
  };
}

export function layerModels(layers: LayerFile[]): LayerModel[] {
  return layers.map(({ spec }) => {
    const options = spec.options.map((o) => optModel(spec.name, o));
    return {
      name: spec.name,
      summary: spec.summary,
      ops: `vu_layer_${spec.name}_ops`,
      optsName: options.length === 0 ? null : `vu_opts_${spec.name}`,
      nopts: options.length,
      options,
      hasChoices: options.some((o) => o.choicesName !== null),
    };
  });
}

export const optKinds = OPT_KINDS.map(optKindEnum);

/** Layer type name -> TS interface name: "faketime" -> "FaketimeLayer". */
export function layerInterface(name: string): string {
  return `${name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}Layer`;
}

/* ---- decode tables (generator/decode.json), for the trace layer ---- */

export interface XlatEntryModel {
  name: string;
  /** the C lines of the entry, with its #ifdef or per-architecture guards */
  lines: string[];
}

export interface XlatTableModel {
  name: string;
  /** VU_DECODE_<NAME> */
  id: string;
  /** VU_XLAT_ENUM or VU_XLAT_FLAGS */
  kind: string;
  items: XlatEntryModel[];
  itemsName: string;
  field: XlatEntryModel[];
  /** the field's array, or null without a field */
  fieldName: string | null;
  /** C expression of the field's mask, "0" without one */
  fieldMask: string;
  zero: string | null;
  /** the types it decodes by default, for the comment */
  types: string[];
}

export interface DecodeArgsModel {
  name: string;
  partial: boolean;
  /** one VU_DECODE_* (or 0) per argument */
  ids: string[];
}

export interface DecodeInModel {
  name: string;
  partial: boolean;
  /** C expression: bit i set when argument i points to memory the call only reads */
  mask: string;
}

/** A pointer the kernel only reads: its C type is a pointer to const. */
const readOnlyPointer = (ctype: string) => isPointer(ctype) && /^const\b/.test(normCtype(ctype));

export const decodeIdEnum = (t: string) => `VU_DECODE_${upper(t)}`;

function xlatEntry(e: XlatEntrySpec): XlatEntryModel {
  const line = (expr: string, name: string) => `\t{ (unsigned long)(${expr}), ${JSON.stringify(name)} },`;
  if (typeof e === 'string') return { name: e, lines: [`#ifdef ${e}`, line(e, e), '#endif'] };
  if (typeof e.value === 'string') return { name: e.name, lines: [line(e.value, e.name)] };
  return {
    name: e.name,
    lines: [
      '#if defined(__x86_64__)', line(e.value.x86_64, e.name),
      '#elif defined(__aarch64__)', line(e.value.aarch64, e.name),
      '#endif',
    ],
  };
}

function xlatTable(x: XlatTableSpec): XlatTableModel {
  return {
    name: x.name,
    id: decodeIdEnum(x.name),
    kind: x.kind === 'enum' ? 'VU_XLAT_ENUM' : 'VU_XLAT_FLAGS',
    items: x.values.map(xlatEntry),
    itemsName: `vu_xlat_${x.name}`,
    field: (x.field?.values ?? []).map(xlatEntry),
    fieldName: x.field === undefined ? null : `vu_xlat_${x.name}_field`,
    fieldMask: x.field?.mask ?? '0',
    zero: x.zero ?? null,
    types: x.types ?? [],
  };
}

/** decodeModel -- the tables, and which table decodes each argument. */
export function decodeModel(inputs: Inputs, sys: SyscallModel[]) {
  const tables = inputs.decode.tables.map(xlatTable);
  const byType = new Map<string, string>();
  for (const t of tables) for (const ty of t.types) byType.set(ty, t.id);
  const args: DecodeArgsModel[] = sys
    .map((s) => ({
      name: s.name,
      partial: s.partial,
      ids: s.spec.args.map((a) => (a.decode !== undefined ? decodeIdEnum(a.decode) : byType.get(a.type) ?? '0')),
    }))
    .filter((a) => a.ids.some((id) => id !== '0'));
  const inputsOf: DecodeInModel[] = sys
    .map((s) => ({ s, bits: s.spec.args.flatMap((a, i) => (readOnlyPointer(a.ctype) ? [i] : [])) }))
    .filter(({ bits }) => bits.length > 0)
    .map(({ s, bits }) => ({ name: s.name, partial: s.partial, mask: bits.map((i) => `1 << ${i}`).join(' | ') }));
  const headers = [...new Set(inputs.decode.tables.flatMap((x) => x.headers))].sort();
  return { tables, args, inputs: inputsOf, headers, families: FAMILIES.map((f) => f as string) };
}
