/*
 * validate.ts -- check the meaning of syscalls.json and of the layer
 * manifests. Every problem is reported, not just the first, as
 * `FILE: JSON.PATH: what is wrong`.
 */
import path from 'node:path';
import { CTYPE_RE, C_RESERVED, IDENT_RE, isPointer, libcRetType } from './ctypes.js';
import { GenError, JsonPath } from './errors.js';
import type { JsonFile } from './load.js';
import {
  ARCHES, ARG_TYPES, DECODABLE_TYPES, FAMILIES, FLAG_HEADERS, ID_WHICH, IDS_OF, LEN_TYPES, OP_KINDS, OPT_KINDS,
  PATH_FLAG_TYPES, PATH_ROLES, RET_KINDS, STRUCT_TYPES, TIME_REPRS, XLAT_KINDS, type TimeRepr, type ArgType, type DecodeSpec, type Inputs, type LayerFile, type LayerSpec, type OptionSpec,
  type SyscallSpec, type TableSpec,
} from './types.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** Collects messages for one file. */
class Report {
  readonly errors: string[] = [];

  constructor(private readonly file: string) {}

  err(at: JsonPath, msg: string): void {
    this.errors.push(`${this.file}: ${at}: ${msg}`);
  }

  /** Unknown keys are errors: a typo ("lenght") must not pass silently. */
  keys(o: Obj, at: JsonPath, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.err(at.key(k), `unknown key (expected one of ${allowed.join(', ')})`);
    }
  }

  str(o: Obj, key: string, at: JsonPath, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.err(at.key(key), 'missing');
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      this.err(at.key(key), `expected a non-empty string, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  oneOf(o: Obj, key: string, at: JsonPath, what: string, allowed: readonly string[]): void {
    const v = o[key];
    if (v === undefined) this.err(at.key(key), 'missing');
    else if (typeof v !== 'string' || !allowed.includes(v)) {
      this.err(at.key(key), `unknown ${what} ${show(v)} (expected one of ${allowed.join(' ')})`);
    }
  }

  ident(o: Obj, key: string, at: JsonPath, re: RegExp = IDENT_RE): string | undefined {
    const v = this.str(o, key, at, true);
    if (v === undefined) return undefined;
    if (!re.test(v)) {
      this.err(at.key(key), `${show(v)} is not a valid name`);
      return undefined;
    }
    return v;
  }

  ctype(o: Obj, key: string, at: JsonPath, required: boolean): void {
    const v = this.str(o, key, at, required);
    if (v !== undefined && !CTYPE_RE.test(v)) {
      this.err(at.key(key), `${show(v)} is not a plain C type (words and '*'; write arrays as pointers)`);
    }
  }
}

/* ---- syscalls.json ---- */

const ENTRY_KEYS = ['name', 'nr', 'since', 'family', 'args', 'ret', 'libc', 'does', 'note', '$comment'];
const ARG_KEYS = ['name', 'type', 'ctype', 'len', 'struct', 'decode', 'note'];
const LIBC_KEYS = ['name', 'args', 'fixed', 'variadic', 'ret', 'errors', 'custom', 'lazy', 'ctypes', 'note', 'proto'];

function checkArgs(r: Report, e: Obj, at: JsonPath): string[] {
  const args = e.args;
  if (!Array.isArray(args)) {
    r.err(at.key('args'), args === undefined ? 'missing' : 'expected an array');
    return [];
  }
  if (args.length > 6) r.err(at.key('args'), `${args.length} arguments; a system call has at most 6`);
  const names = args.map((a) => (isObj(a) && typeof a.name === 'string' ? a.name : ''));
  args.forEach((a, i) => {
    const ap = at.key('args').index(i);
    if (!isObj(a)) return r.err(ap, 'expected an object');
    r.keys(a, ap, ARG_KEYS);
    const name = r.ident(a, 'name', ap);
    if (name !== undefined) {
      if (C_RESERVED.has(name) || name.startsWith('vu_')) r.err(ap.key('name'), `${show(name)} cannot be a C parameter name`);
      if (names.indexOf(name) !== i) r.err(ap.key('name'), `duplicate argument ${show(name)}`);
    }
    r.oneOf(a, 'type', ap, 'type', ARG_TYPES);
    r.ctype(a, 'ctype', ap, true);
    const type = a.type as (typeof ARG_TYPES)[number];
    if (a.len !== undefined) {
      if (!LEN_TYPES.includes(type)) r.err(ap.key('len'), `only ${LEN_TYPES.join('/')} arguments have a length`);
      else if (typeof a.len !== 'string' || !names.includes(a.len) || a.len === name) {
        r.err(ap.key('len'), `${show(a.len)} is not another argument of ${show(e.name)}`);
      }
    }
    if (STRUCT_TYPES.includes(type)) r.ident(a, 'struct', ap);
    else if (a.struct !== undefined) r.err(ap.key('struct'), `only ${STRUCT_TYPES.join('/')} arguments name a struct`);
    if (a.decode !== undefined) {
      if (!DECODABLE_TYPES.includes(type)) r.err(ap.key('decode'), `only ${DECODABLE_TYPES.join('/')} arguments are decoded with a table`);
      else r.ident(a, 'decode', ap);
    }
  });
  return names;
}

function checkLibc(r: Report, sys: Obj, argNames: string[], at: JsonPath, seen: Map<string, string>): void {
  const libc = sys.libc;
  if (libc === undefined) return;
  if (!Array.isArray(libc)) return r.err(at.key('libc'), 'expected an array');
  libc.forEach((l, j) => {
    const lp = at.key('libc').index(j);
    if (!isObj(l)) return r.err(lp, 'expected an object');
    r.keys(l, lp, LIBC_KEYS);
    const name = r.ident(l, 'name', lp);
    if (name !== undefined) {
      const other = seen.get(name);
      if (other !== undefined) r.err(lp.key('name'), `libc entry point ${show(name)} is already listed at ${other}`);
      else seen.set(name, lp.toString());
    }
    let listed = argNames;
    if (l.args !== undefined) {
      if (!Array.isArray(l.args) || l.args.some((a) => typeof a !== 'string')) {
        r.err(lp.key('args'), 'expected an array of argument names');
      } else {
        listed = l.args as string[];
        listed.forEach((a, k) => {
          if (!argNames.includes(a)) r.err(lp.key('args').index(k), `${show(a)} is not an argument of ${show(sys.name)}`);
          else if (listed.indexOf(a) !== k) r.err(lp.key('args').index(k), `duplicate argument ${show(a)}`);
        });
      }
    }
    if (l.fixed !== undefined) {
      if (!isObj(l.fixed)) r.err(lp.key('fixed'), 'expected an object of argument -> C expression');
      else for (const [k, v] of Object.entries(l.fixed)) {
        if (!argNames.includes(k)) r.err(lp.key('fixed').key(k), `${show(k)} is not an argument of ${show(sys.name)}`);
        else if (listed.includes(k)) r.err(lp.key('fixed').key(k), `${show(k)} is also in args`);
        if (typeof v !== 'string' || v.trim() === '') r.err(lp.key('fixed').key(k), 'expected a C expression string');
      }
    }
    if (l.variadic !== undefined && !listed.includes(l.variadic as string)) {
      r.err(lp.key('variadic'), `${show(l.variadic)} is not one of the entry's arguments`);
    } else if (l.variadic !== undefined && listed.indexOf(l.variadic as string) === 0) {
      r.err(lp.key('variadic'), 'a variadic function needs a named argument before "..."');
    }
    r.ctype(l, 'ret', lp, false);
    if (l.errors !== undefined) r.oneOf(l, 'errors', lp, 'error convention', ['errno', 'return']);
    if (l.custom !== undefined && typeof l.custom !== 'boolean') r.err(lp.key('custom'), 'expected true or false');
    if (l.lazy !== undefined && (l.lazy !== true || l.custom !== true))
      r.err(lp.key('lazy'), 'true, on a "custom": true entry only');
    if (l.proto !== undefined && (typeof l.proto !== 'string' || l.custom !== true || !l.proto.includes(`${l.name}(`)))
      r.err(lp.key('proto'), `a C declaration of ${l.name}, on a "custom": true entry only`);
    if (l.ctypes !== undefined) {
      if (!isObj(l.ctypes)) r.err(lp.key('ctypes'), 'expected an object of argument -> C type');
      else for (const [k, v] of Object.entries(l.ctypes)) {
        if (!listed.includes(k)) r.err(lp.key('ctypes').key(k), `${show(k)} is not one of the entry's arguments`);
        if (typeof v !== 'string' || !CTYPE_RE.test(v)) r.err(lp.key('ctypes').key(k), `${show(v)} is not a plain C type`);
      }
    }
    if (l.custom !== true && typeof sys.ret === 'string' && sys.ret !== 'ptr' && (l.ret === undefined || typeof l.ret === 'string')) {
      const ret = libcRetType(sys as unknown as SyscallSpec, l as never);
      if (isPointer(ret)) {
        r.err(lp.key('ret'), `returns ${show(ret)} for a ${show(sys.ret)} system call: the result needs converting, so mark it "custom": true`);
      }
    }
  });
}

function checkNr(r: Report, e: Obj, at: JsonPath, seen: Record<string, Map<number, string>>): void {
  const nr = e.nr;
  if (!isObj(nr)) return r.err(at.key('nr'), nr === undefined ? 'missing' : 'expected an object { "x86_64": N, "aarch64": M }');
  r.keys(nr, at.key('nr'), ARCHES);
  for (const arch of ARCHES) {
    const v = nr[arch];
    if (v === undefined) {
      if (arch === 'x86_64') r.err(at.key('nr').key(arch), 'missing');
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4095) {
      r.err(at.key('nr').key(arch), `expected a system call number, got ${show(v)}`);
      continue;
    }
    const other = seen[arch].get(v);
    if (other !== undefined) r.err(at.key('nr').key(arch), `number ${v} is also used by ${other}`);
    else seen[arch].set(v, at.toString());
  }
}

/* ---- "does" (docs/TABLE.md) ---- */

const DOES_KEYS = ['kind', 'paths', 'fd', 'open', 'ids', 'time', 'xattr', 'node', 'exchange'];
const DOES_TIME_KEYS = ['clock', 'now', 'now_ret', 'deadline', 'abs', 'file_times', 'timer_out'];
const DOES_CLOCK_KEYS = ['arg', 'fixed', 'fd', 'timer'];

/** How a time argument holds its time (enum vu_time_repr), or undefined when it holds none vu knows. */
export function timeRepr(a: { type?: unknown; ctype?: unknown; struct?: unknown }): TimeRepr | undefined {
  if (a.type === 'struct_in' || a.type === 'struct_out') {
    return TIME_REPRS.find((t) => t !== 'none' && t !== 'time_t' && t === a.struct);
  }
  if (a.type === 'ptr' && typeof a.ctype === 'string' && /^time_t\s*\*$/.test(a.ctype.trim())) return 'time_t';
  return undefined;
}
const DOES_PATH_KEYS = ['arg', 'dirfd', 'role', 'follow', 'flags', 'nofollow', 'follow_flag', 'empty', 'null_is_fd', 'empty_needs_fd'];
const DOES_OPEN_KEYS = ['flags', 'how', 'size', 'fixed'];
/** A flag: a C macro name, or several joined with '|'. */
export const FLAG_RE = /^[A-Za-z_][A-Za-z0-9_]*(\s*\|\s*[A-Za-z_][A-Za-z0-9_]*)*$/;
/** The argument types "does" must account for. */
export const FILE_ARG_TYPES: readonly ArgType[] = ['path', 'fd', 'dirfd'];

/** The names of a flag expression ("O_CREAT|O_WRONLY" -> both). */
export const flagNames = (v: string) => v.split('|').map((x) => x.trim());

/** checkFlag -- o[key], when present, is a flag expression whose names vu-gen knows a header for. */
function checkFlag(r: Report, o: Obj, key: string, at: JsonPath): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== 'string' || !FLAG_RE.test(v)) {
    r.err(at.key(key), `${show(v)} is not a C flag name (an identifier, or identifiers joined with '|')`);
    return true;
  }
  for (const n of flagNames(v)) {
    if (!FLAG_HEADERS.some((h) => n.startsWith(h.prefix))) {
      r.err(at.key(key), `no header is known for ${n} (prefixes: ${FLAG_HEADERS.map((h) => h.prefix).join(' ')}; add one to FLAG_HEADERS in generator/types.ts)`);
    }
  }
  return true;
}

/**
 * checkDoes -- the "does" of an entry. Rules (docs/TABLE.md):
 * every path argument is the arg of one path; kind io names its fd; every
 * other kind names every fd and dirfd argument as "fd" or as a path's
 * dirfd; kind none takes no path, fd or dirfd.
 */
function checkDoes(r: Report, e: Obj, at: JsonPath): void {
  const args = Array.isArray(e.args) ? e.args.filter(isObj) : [];
  const typeOf = new Map<string, string>(args.map((a) => [String(a.name), String(a.type)]));
  const fileArgs = args.filter((a) => FILE_ARG_TYPES.includes(a.type as ArgType)).map((a) => String(a.name));
  const dp = at.key('does');
  const d = e.does;
  if (d === undefined) {
    if (fileArgs.length > 0) {
      r.err(dp, `missing: ${show(e.name)} takes a path, fd or dirfd argument (${fileArgs.join(', ')}), so it must say what it does (docs/TABLE.md)`);
    }
    return;
  }
  if (!isObj(d)) return r.err(dp, 'expected an object { "kind": ..., "paths": [...], "fd": ... } (docs/TABLE.md)');
  r.keys(d, dp, DOES_KEYS);
  r.oneOf(d, 'kind', dp, 'kind', OP_KINDS);
  const kind = d.kind;
  /** name is an argument of the entry, of one of types */
  const argOf = (o: Obj, key: string, p: JsonPath, types: readonly string[], what: string): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !typeOf.has(v)) {
      r.err(p.key(key), `${show(v)} is not an argument of ${show(e.name)}`);
      return undefined;
    }
    if (!types.includes(typeOf.get(v)!)) {
      r.err(p.key(key), `${show(v)} is a ${typeOf.get(v)} argument; ${what} names a ${types.join('/')} argument`);
      return undefined;
    }
    return v;
  };

  /* open */
  let how: string | undefined;
  if (d.open !== undefined) {
    const op = dp.key('open');
    if (kind !== 'open') r.err(op, 'only kind "open" has "open"');
    if (!isObj(d.open)) r.err(op, 'expected { "flags": ARG } or { "how": ARG, "size": ARG } or { "fixed": "O_..." }');
    else {
      const o = d.open;
      r.keys(o, op, DOES_OPEN_KEYS);
      const ways = ['flags', 'how', 'fixed'].filter((k) => o[k] !== undefined);
      if (ways.length !== 1) r.err(op, `exactly one of "flags", "how", "fixed" (got ${ways.length === 0 ? 'none' : ways.join(', ')})`);
      argOf(o, 'flags', op, ['open_flags'], '"flags"');
      how = argOf(o, 'how', op, ['struct_in'], '"how" (struct open_how)');
      if (o.how !== undefined && o.size === undefined) r.err(op.key('size'), 'missing: the size argument of the struct open_how');
      if (o.size !== undefined && o.how === undefined) r.err(op.key('size'), 'only with "how"');
      argOf(o, 'size', op, ['size', 'ulong', 'uint'], '"size"');
      checkFlag(r, o, 'fixed', op);
    }
  } else if (kind === 'open') r.err(dp.key('open'), 'missing: kind "open" says where its open flags are (docs/TABLE.md)');

  /* fd */
  const fd = argOf(d, 'fd', dp, ['fd', 'dirfd'], '"fd"');

  /* paths */
  const listed = new Map<string, number>();
  const dirfds = new Set<string>();
  const roles: string[] = [];
  if (d.paths !== undefined) {
    const pp = dp.key('paths');
    if (!Array.isArray(d.paths)) r.err(pp, 'expected an array of paths');
    else {
      if (d.paths.length > 2) r.err(pp, `${d.paths.length} paths; a call has at most 2`);
      d.paths.forEach((p, i) => {
        const at2 = pp.index(i, isObj(p) ? p.arg : undefined);
        if (!isObj(p)) return r.err(at2, 'expected an object { "arg": ..., "role": ..., "follow": ... }');
        r.keys(p, at2, DOES_PATH_KEYS);
        r.oneOf(p, 'role', at2, 'role', PATH_ROLES);
        const content = p.role === 'content';
        if (typeof p.role === 'string') roles.push(p.role);
        if (p.arg === undefined) r.err(at2.key('arg'), 'missing');
        const arg = argOf(p, 'arg', at2, content ? ['path', 'str'] : ['path'], content ? 'a "content" path' : 'a path');
        if (arg !== undefined) {
          const other = listed.get(arg);
          if (other !== undefined) r.err(at2.key('arg'), `${show(arg)} is already paths[${other}]`);
          else listed.set(arg, i);
        }
        if (content) {
          for (const k of ['dirfd', 'follow', 'flags', 'nofollow', 'follow_flag', 'empty', 'null_is_fd', 'empty_needs_fd']) {
            if (p[k] !== undefined) r.err(at2.key(k), 'a "content" path is not looked up: it has no ' + k);
          }
          return;
        }
        if (typeof p.follow !== 'boolean') r.err(at2.key('follow'), p.follow === undefined ? 'missing (true or false: does the kernel follow a symlink in the last component?)' : 'expected true or false');
        const dirfd = argOf(p, 'dirfd', at2, ['dirfd'], '"dirfd"');
        if (dirfd !== undefined) dirfds.add(dirfd);
        if (p.flags !== undefined) {
          if (how !== undefined && p.flags === how) { /* openat2: the flags of struct open_how */ }
          else argOf(p, 'flags', at2, PATH_FLAG_TYPES, '"flags"');
        }
        for (const k of ['nofollow', 'follow_flag', 'empty']) {
          if (checkFlag(r, p, k, at2) && p.flags === undefined) r.err(at2.key(k), `${k} is a bit of "flags": name the flags argument`);
        }
        if (p.nofollow !== undefined && p.follow === false) r.err(at2.key('nofollow'), 'a path that is not followed has no flag to stop following');
        if (p.follow_flag !== undefined && p.follow === true) r.err(at2.key('follow_flag'), 'a path that is followed has no flag to start following');
        if (p.empty_needs_fd !== undefined) {
          if (typeof p.empty_needs_fd !== 'boolean') r.err(at2.key('empty_needs_fd'), 'expected true or false');
          else if (p.empty_needs_fd && p.empty === undefined) r.err(at2.key('empty_needs_fd'), 'says how the empty flag works: name the flag in "empty"');
        }
        if (p.null_is_fd !== undefined) {
          if (typeof p.null_is_fd !== 'boolean') r.err(at2.key('null_is_fd'), 'expected true or false');
          else if (p.null_is_fd && dirfd === undefined) r.err(at2.key('null_is_fd'), 'a NULL path acts on the dirfd: name the dirfd');
        }
      });
    }
  }

  /* every path, fd and dirfd argument is accounted for */
  for (const a of fileArgs) {
    const t = typeOf.get(a);
    if (kind === 'none') {
      r.err(dp.key('kind'), `kind "none" takes no path, fd or dirfd, but ${show(e.name)} has ${t} argument ${show(a)}`);
      continue;
    }
    if (t === 'path') {
      if (!listed.has(a)) r.err(dp.key('paths'), `path argument ${show(a)} is not in "paths"`);
    } else if (kind !== 'io' && a !== fd && !dirfds.has(a)) {
      r.err(dp, `${t} argument ${show(a)} is neither "fd" nor the "dirfd" of a path`);
    }
  }
  if (kind === 'none' && (d.paths !== undefined || d.fd !== undefined)) r.err(dp.key('kind'), 'kind "none" has no "paths" and no "fd"');
  if (kind === 'io') {
    if (d.fd === undefined) r.err(dp.key('fd'), 'missing: kind "io" names the descriptor it acts on');
    if (d.paths !== undefined) r.err(dp.key('paths'), 'kind "io" acts on a descriptor and has no paths');
  }
  const want = (k: string, shape: string[]) => {
    if (kind === k && (roles.length !== shape.length || [...shape].sort().join() !== [...roles].sort().join())) {
      r.err(dp.key('paths'), `kind ${show(k)} has two paths, roles ${shape.join(' and ')} (got ${roles.join(', ') || 'none'})`);
    }
  };
  want('rename', ['old', 'new']);
  want('link', ['object', 'new']);
  if (kind === 'create' && !roles.includes('new')) r.err(dp.key('paths'), 'kind "create" has a path of role "new"');
  if (kind === 'delete' && !roles.includes('old')) r.err(dp.key('paths'), 'kind "delete" has a path of role "old"');
  checkFacts(r, e, d, dp, args, argOf);
}

type ArgOf = (o: Obj, key: string, p: JsonPath, types: readonly string[], what: string) => string | undefined;

/** { flags: ARG, flag: "NAME" }: a bit of an argument */
function checkBit(r: Report, o: Obj, key: string, at: JsonPath, argOf: ArgOf): void {
  const v = o[key];
  if (v === undefined) return;
  const bp = at.key(key);
  if (!isObj(v)) return r.err(bp, 'expected { "flags": ARG, "flag": "NAME" }');
  r.keys(v, bp, ['flags', 'flag']);
  if (v.flags === undefined) r.err(bp.key('flags'), 'missing');
  argOf(v, 'flags', bp, PATH_FLAG_TYPES, '"flags"');
  if (v.flag === undefined) r.err(bp.key('flag'), 'missing');
  checkFlag(r, v, 'flag', bp);
}

/**
 * checkFacts -- the facts of "does" beyond the file system (docs/TABLE.md):
 * ids, time, xattr, node, exchange.
 */
function checkFacts(r: Report, e: Obj, d: Obj, dp: JsonPath, args: Obj[], argOf: ArgOf): void {
  const kind = d.kind;
  const only = (key: string, k: string) => {
    if (d[key] !== undefined && kind !== k) r.err(dp.key(key), `only kind "${k}" has "${key}"`);
  };
  only('ids', 'none');
  if (d.xattr !== undefined && isObj(d.xattr)) {
    const op = typeof d.xattr.op === 'string' ? d.xattr.op : 'set';
    const want = op === 'get' || op === 'list' ? 'read' : 'meta';
    if (kind !== want) r.err(dp.key('xattr'), `only kind "${want}" has "xattr" with op "${op}"`);
  }
  only('node', 'create');
  only('exchange', 'rename');

  /* ids */
  if (d.ids !== undefined) {
    const ip = dp.key('ids');
    const ids = d.ids;
    if (!isObj(ids)) r.err(ip, 'expected { "get" | "set": "uid" | "gid" | "groups", "which": [...] }');
    else {
      r.keys(ids, ip, ['get', 'set', 'which']);
      const ways = ['get', 'set'].filter((k) => ids[k] !== undefined);
      if (ways.length !== 1) r.err(ip, `exactly one of "get", "set" (got ${ways.length === 0 ? 'none' : ways.join(', ')})`);
      const way = ways[0];
      const of = way === undefined ? undefined : ids[way];
      if (way !== undefined) r.oneOf(ids, way, ip, 'ids', IDS_OF.slice(1));
      const which = ids.which;
      if (of === 'groups') {
        if (which !== undefined) r.err(ip.key('which'), 'the supplementary groups are one list: no "which"');
      } else if (of === 'uid' || of === 'gid') {
        if (!Array.isArray(which) || which.length === 0) r.err(ip.key('which'), `missing: the ids (${ID_WHICH.join(', ')}) in the order of the arguments`);
        else {
          which.forEach((w, i) => {
            if (typeof w !== 'string' || !(ID_WHICH as readonly string[]).includes(w)) r.err(ip.key('which').index(i), `unknown id ${show(w)} (expected one of ${ID_WHICH.join(' ')})`);
            else if (which.indexOf(w) !== i) r.err(ip.key('which').index(i), `duplicate id ${show(w)}`);
          });
          const carriers = args.filter((a) => (way === 'set' ? a.type === of : a.type === 'ptr'));
          if (way === 'get' && carriers.length === 0 ? which.length !== 1 : carriers.length !== which.length) {
            r.err(ip.key('which'), way === 'set'
              ? `${which.length} ids for ${carriers.length} ${String(of)} arguments of ${show(e.name)}`
              : `${which.length} ids for ${carriers.length} pointer arguments of ${show(e.name)} (none: it returns its one id)`);
          }
        }
      }
    }
  }

  /* time */
  if (d.time !== undefined) {
    const tp = dp.key('time');
    const t = d.time;
    if (!isObj(t)) r.err(tp, 'expected an object (docs/TABLE.md)');
    else {
      r.keys(t, tp, DOES_TIME_KEYS);
      const timeArg = (key: string, types: readonly string[], reprs: readonly TimeRepr[]) => {
        const a = argOf(t, key, tp, types, show(key));
        const spec = args.find((x) => x.name === a);
        if (a === undefined || spec === undefined) return;
        const rep = timeRepr(spec);
        if (rep === undefined || !reprs.includes(rep)) r.err(tp.key(key), `${show(a)} holds no ${reprs.join('/')}`);
      };
      timeArg('now', ['struct_out', 'ptr'], ['timespec', 'timeval', 'time_t']);
      timeArg('deadline', ['struct_in'], ['timespec', 'itimerspec']);
      timeArg('file_times', ['struct_in'], ['timespec', 'timeval', 'utimbuf']);
      argOf(t, 'timer_out', tp, ['ptr'], '"timer_out"');
      if (t.now_ret !== undefined && typeof t.now_ret !== 'boolean') r.err(tp.key('now_ret'), 'expected true or false');
      checkBit(r, t, 'abs', tp, argOf);
      if (t.abs !== undefined && t.deadline === undefined) r.err(tp.key('abs'), 'only with "deadline"');
      const onClock = ['now', 'now_ret', 'deadline', 'timer_out'].filter((k) => t[k] !== undefined);
      if (t.clock === undefined) {
        if (onClock.length > 0) r.err(tp.key('clock'), `missing: ${onClock.join(', ')} is a time on a clock`);
      } else if (!isObj(t.clock)) r.err(tp.key('clock'), 'expected { "arg" | "fixed" | "fd" | "timer": ... }');
      else {
        const cp = tp.key('clock');
        const c = t.clock;
        r.keys(c, cp, DOES_CLOCK_KEYS);
        const ways = DOES_CLOCK_KEYS.filter((k) => c[k] !== undefined);
        if (ways.length !== 1) r.err(cp, `exactly one of ${DOES_CLOCK_KEYS.map((k) => `"${k}"`).join(', ')} (got ${ways.length === 0 ? 'none' : ways.join(', ')})`);
        argOf(c, 'arg', cp, ['clockid'], '"arg"');
        argOf(c, 'fd', cp, ['fd'], '"fd"');
        argOf(c, 'timer', cp, ['int'], '"timer"');
        checkFlag(r, c, 'fixed', cp);
        if (onClock.length === 0) r.err(cp, 'a clock for nothing: no now, now_ret, deadline or timer_out');
      }
      if (Object.keys(t).length === 0) r.err(tp, 'empty');
    }
  }

  /* xattr */
  if (d.xattr !== undefined) {
    const xp = dp.key('xattr');
    const x = d.xattr;
    if (!isObj(x)) r.err(xp, 'expected { "name": ARG, "value": ARG, "size": ARG } or { "name": ARG, "args": ARG }');
    else {
      r.keys(x, xp, ['op', 'name', 'value', 'size', 'args']);
      const op = typeof x.op === 'string' ? x.op : x.op === undefined ? 'set' : String(x.op);
      if (!['set', 'get', 'list', 'remove'].includes(op)) r.err(xp.key('op'), `${show(op)} is not one of "set", "get", "list", "remove"`);
      if (op !== 'list' && x.name === undefined) r.err(xp.key('name'), 'missing');
      if (op === 'list' && x.name !== undefined) r.err(xp.key('name'), 'a list has no name');
      argOf(x, 'name', xp, ['str'], '"name"');
      if (op === 'remove') {
        for (const k of ['value', 'size', 'args']) if (x[k] !== undefined) r.err(xp.key(k), 'a remove has only a name');
      } else if (op === 'list') {
        if (x.value === undefined || x.size === undefined) r.err(xp, 'a list needs "value" (the buffer of names) and "size"');
        if (x.args !== undefined) r.err(xp.key('args'), 'a list has "value" and "size"');
      } else if ((x.value === undefined) === (x.args === undefined)) {
        r.err(xp, 'exactly one of "value" (with "size") and "args" (a struct xattr_args)');
      }
      if (x.value !== undefined && x.size === undefined && op !== 'list') r.err(xp.key('size'), 'missing: the size of "value"');
      argOf(x, 'value', xp, [op === 'set' ? 'buf_in' : 'buf_out'], '"value"');
      argOf(x, 'size', xp, ['size'], '"size"');
      const a = argOf(x, 'args', xp, ['struct_in'], '"args"');
      if (a !== undefined && args.find((y) => y.name === a)?.struct !== 'xattr_args') r.err(xp.key('args'), `${show(a)} is not a struct xattr_args`);
    }
  }

  /* node */
  if (d.node !== undefined) {
    const np = dp.key('node');
    const n = d.node;
    if (!isObj(n)) r.err(np, 'expected { "mode": ARG, "dev": ARG }');
    else {
      r.keys(n, np, ['mode', 'dev']);
      for (const k of ['mode', 'dev']) if (n[k] === undefined) r.err(np.key(k), 'missing');
      argOf(n, 'mode', np, ['mode'], '"mode"');
      argOf(n, 'dev', np, ['ulong', 'uint'], '"dev"');
    }
  }

  checkBit(r, d, 'exchange', dp, argOf);
}

/** validateTable -- check syscalls.json; returns it typed, or throws. */
export function validateTable(f: JsonFile): TableSpec {
  const r = new Report(f.file);
  const top = JsonPath.root();
  const d = f.data;
  if (!isObj(d)) throw new GenError(`${f.file}: ${top}: expected an object { "syscalls": [...] }`);
  r.keys(d, top, ['$comment', 'syscalls']);
  if (!Array.isArray(d.syscalls)) throw new GenError([...r.errors, `${f.file}: syscalls: expected an array`]);
  const names = new Map<string, string>();
  const nrs = { x86_64: new Map<number, string>(), aarch64: new Map<number, string>() };
  const libcSeen = new Map<string, string>();
  let prev: { nr: number; at: string } | undefined;
  d.syscalls.forEach((e, i) => {
    const at = top.key('syscalls').index(i, isObj(e) ? e.name : undefined);
    if (!isObj(e)) return r.err(at, 'expected an object');
    r.keys(e, at, ENTRY_KEYS);
    const name = r.ident(e, 'name', at, /^[a-z_][a-z0-9_]*$/);
    if (name !== undefined) {
      const other = names.get(name);
      if (other !== undefined) r.err(at.key('name'), `duplicate system call (also ${other})`);
      else names.set(name, at.toString());
    }
    checkNr(r, e, at, nrs);
    r.oneOf(e, 'family', at, 'family', FAMILIES);
    const argNames = checkArgs(r, e, at);
    r.oneOf(e, 'ret', at, 'return kind', RET_KINDS);
    checkLibc(r, e, argNames, at, libcSeen);
    checkDoes(r, e, at);
    if (e.note !== undefined && typeof e.note !== 'string') r.err(at.key('note'), 'expected a string');
    if (e.since !== undefined && (typeof e.since !== 'string' || !/^\d+\.\d+$/.test(e.since))) {
      r.err(at.key('since'), 'expected the Linux version that added the call, like "6.6"');
    }
    const x = isObj(e.nr) ? e.nr.x86_64 : undefined;
    if (typeof x === 'number') {
      if (prev !== undefined && x < prev.nr) {
        r.err(at.key('nr').key('x86_64'), `entries must be sorted by x86_64 number: ${x} comes after ${prev.nr} (${prev.at})`);
      }
      prev = { nr: x, at: at.toString() };
    }
  });
  if (r.errors.length > 0) throw new GenError(r.errors);
  return d as unknown as TableSpec;
}

/* ---- layers/*.json ---- */

const LAYER_KEYS = ['$comment', 'name', 'summary', 'options', 'example'];
const OPTION_KEYS = ['name', 'kind', 'required', 'choices', 'default', 'help', 'example'];

/** valueProblem -- why v is not a value of an option of kind (or undefined). */
export function valueProblem(o: OptionSpec, v: unknown): string | undefined {
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  switch (o.kind) {
    case 'string': case 'path': case 'newpath':
      return typeof v === 'string' ? undefined : 'expected a string';
    case 'path_list': case 'string_list':
      return strings(v) ? undefined : 'expected an array of strings';
    case 'path_map':
      return isObj(v) && Object.values(v).every((s) => typeof s === 'string') ? undefined : 'expected an object of strings';
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'expected true or false';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : 'expected an integer';
    case 'enum':
      return typeof v === 'string' && (o.choices ?? []).includes(v) ? undefined : `expected one of ${(o.choices ?? []).join(' ')}`;
    case 'object':
      return isObj(v) ? undefined : 'expected an object';
    case 'string_or_number':
      return typeof v === 'string' || typeof v === 'number' ? undefined : 'expected a string or a number';
  }
}

function checkOption(r: Report, o: Obj, at: JsonPath, names: string[], i: number): void {
  r.keys(o, at, OPTION_KEYS);
  const name = r.ident(o, 'name', at);
  if (name === 'type') r.err(at.key('name'), '"type" names the layer itself and cannot be an option');
  else if (name !== undefined && names.indexOf(name) !== i) r.err(at.key('name'), `duplicate option ${show(name)}`);
  r.oneOf(o, 'kind', at, 'kind', OPT_KINDS);
  if (o.required !== undefined && typeof o.required !== 'boolean') r.err(at.key('required'), 'expected true or false');
  if (o.kind === 'enum') {
    const c = o.choices;
    if (!Array.isArray(c) || c.length === 0 || c.some((s) => typeof s !== 'string') || new Set(c).size !== c.length) {
      r.err(at.key('choices'), 'an enum option needs a non-empty array of distinct strings');
    }
  } else if (o.choices !== undefined) r.err(at.key('choices'), 'only enum options have choices');
  r.str(o, 'help', at, true);
  if (!OPT_KINDS.includes(o.kind as never)) return;
  const spec = o as unknown as OptionSpec;
  if (o.default !== undefined) {
    if (o.required === true) r.err(at.key('default'), 'a required option has no default');
    const p = valueProblem(spec, o.default);
    if (p !== undefined) r.err(at.key('default'), `${p}, got ${show(o.default)}`);
  }
  if (o.example !== undefined) {
    const p = valueProblem(spec, o.example);
    if (p !== undefined) r.err(at.key('example'), `${p}, got ${show(o.example)}`);
  }
}

function validateLayer(f: JsonFile): { spec?: LayerSpec; errors: string[] } {
  const r = new Report(f.file);
  const top = JsonPath.root();
  const d = f.data;
  if (!isObj(d)) return { errors: [`${f.file}: ${top}: expected an object`] };
  r.keys(d, top, LAYER_KEYS);
  const name = r.ident(d, 'name', top, /^[a-z][a-z0-9_]*$/);
  const stem = path.basename(f.file, '.json');
  if (name !== undefined && name !== stem) r.err(top.key('name'), `${show(name)} does not match the file name (${show(stem)})`);
  r.str(d, 'summary', top, true);
  if (!Array.isArray(d.options)) r.err(top.key('options'), d.options === undefined ? 'missing' : 'expected an array');
  else {
    const names = d.options.map((o) => (isObj(o) && typeof o.name === 'string' ? o.name : ''));
    d.options.forEach((o, i) => {
      const at = top.key('options').index(i);
      if (!isObj(o)) r.err(at, 'expected an object');
      else checkOption(r, o, at, names, i);
    });
    if (d.example !== undefined) {
      // a whole layer: only its options, each of the right kind (vu check tries it: test/cli)
      const ex = d.example;
      if (!isObj(ex)) r.err(top.key('example'), 'expected an object (a layer without its "type")');
      else
        for (const [k, v] of Object.entries(ex)) {
          const o = d.options.find((x) => isObj(x) && x.name === k);
          if (!o || !isObj(o)) r.err(top.key('example').key(k), `not an option of this layer (options: ${names.join(', ')})`);
          else {
            const p = OPT_KINDS.includes(o.kind as never) ? valueProblem(o as unknown as OptionSpec, v) : undefined;
            if (p !== undefined) r.err(top.key('example').key(k), `${p}, got ${show(v)}`);
          }
        }
    }
  }
  return r.errors.length > 0 ? { errors: r.errors } : { spec: d as unknown as LayerSpec, errors: [] };
}

/** validateLayers -- check every manifest; returns them typed, or throws. */
export function validateLayers(files: JsonFile[]): LayerFile[] {
  const errors: string[] = [];
  const out: LayerFile[] = [];
  for (const f of files) {
    const v = validateLayer(f);
    errors.push(...v.errors);
    if (v.spec) out.push({ file: f.file, spec: v.spec });
  }
  if (errors.length > 0) throw new GenError(errors);
  return out.sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
}

/* ---- generator/decode.json ---- */

const DECODE_KEYS = ['$comment', 'tables'];
const XLAT_KEYS = ['name', 'kind', 'headers', 'types', 'field', 'zero', 'values', 'note'];
const MACRO_RE = /^[A-Z_][A-Z0-9_]*$/;
const HEADER_RE = /^[a-z0-9_]+(\/[a-z0-9_]+)*\.h$/;

/** One list of names: macros, or { name, value } with a C expression. */
function checkEntries(r: Report, list: unknown, at: JsonPath, seen: Set<string>): void {
  if (!Array.isArray(list) || list.length === 0) return r.err(at, 'expected a non-empty array of names');
  list.forEach((v, i) => {
    const ep = at.index(i, typeof v === 'string' ? v : isObj(v) ? v.name : undefined);
    let name: unknown = v;
    if (isObj(v)) {
      r.keys(v, ep, ['name', 'value']);
      name = v.name;
      const val = v.value;
      const expr = (x: unknown) => typeof x === 'string' && x.trim() !== '';
      if (isObj(val)) {
        r.keys(val, ep.key('value'), ARCHES);
        for (const arch of ARCHES) if (!expr(val[arch])) r.err(ep.key('value').key(arch), 'expected a C expression');
      } else if (!expr(val)) r.err(ep.key('value'), 'expected a C expression, or one per architecture');
    }
    if (typeof name !== 'string' || !MACRO_RE.test(name)) return r.err(ep, `${show(name)} is not a macro name`);
    if (seen.has(name)) r.err(ep, `${show(name)} is listed twice`);
    seen.add(name);
  });
}

function checkXlat(r: Report, x: Obj, at: JsonPath, typeOwner: Map<string, string>): void {
  r.keys(x, at, XLAT_KEYS);
  r.ident(x, 'name', at, /^[a-z][a-z0-9_]*$/);
  r.oneOf(x, 'kind', at, 'kind', XLAT_KINDS);
  if (!Array.isArray(x.headers) || x.headers.some((h) => typeof h !== 'string' || !HEADER_RE.test(h))) {
    r.err(at.key('headers'), 'expected an array of header names like "sys/stat.h"');
  }
  if (x.types !== undefined) {
    if (!Array.isArray(x.types)) r.err(at.key('types'), 'expected an array of argument types');
    else x.types.forEach((t, i) => {
      if (typeof t !== 'string' || !DECODABLE_TYPES.includes(t as never)) {
        return r.err(at.key('types').index(i), `${show(t)} is not an argument type a table decodes (${DECODABLE_TYPES.join(' ')})`);
      }
      const other = typeOwner.get(t);
      if (other !== undefined) r.err(at.key('types').index(i), `type ${show(t)} is already decoded by ${other}`);
      else typeOwner.set(t, at.toString());
    });
  }
  const seen = new Set<string>();
  if (x.field !== undefined) {
    if (x.kind !== 'flags') r.err(at.key('field'), 'only flags tables have a field');
    else if (!isObj(x.field)) r.err(at.key('field'), 'expected { "mask": "C expression", "values": [...] }');
    else {
      r.keys(x.field, at.key('field'), ['mask', 'values']);
      r.str(x.field, 'mask', at.key('field'), true);
      checkEntries(r, x.field.values, at.key('field').key('values'), seen);
    }
  }
  if (x.zero !== undefined) {
    if (x.kind !== 'flags') r.err(at.key('zero'), 'only flags tables name zero');
    else if (typeof x.zero !== 'string' || !MACRO_RE.test(x.zero)) r.err(at.key('zero'), `${show(x.zero)} is not a macro name`);
  }
  checkEntries(r, x.values, at.key('values'), seen);
  if (x.note !== undefined && typeof x.note !== 'string') r.err(at.key('note'), 'expected a string');
}

/** validateDecode -- check generator/decode.json; returns it typed, or throws. */
export function validateDecode(f: JsonFile): DecodeSpec {
  const r = new Report(f.file);
  const top = JsonPath.root();
  const d = f.data;
  if (!isObj(d)) throw new GenError(`${f.file}: ${top}: expected an object { "tables": [...] }`);
  r.keys(d, top, DECODE_KEYS);
  if (!Array.isArray(d.tables)) throw new GenError([...r.errors, `${f.file}: tables: expected an array`]);
  const names = new Map<string, string>();
  const typeOwner = new Map<string, string>();
  d.tables.forEach((x, i) => {
    const at = top.key('tables').index(i, isObj(x) ? x.name : undefined);
    if (!isObj(x)) return r.err(at, 'expected an object');
    checkXlat(r, x, at, typeOwner);
    if (typeof x.name === 'string') {
      const other = names.get(x.name);
      if (other !== undefined) r.err(at.key('name'), `duplicate table (also ${other})`);
      else names.set(x.name, at.toString());
    }
  });
  if (r.errors.length > 0) throw new GenError(r.errors);
  return d as unknown as DecodeSpec;
}

/** The "decode" of every argument names a table of decode.json. */
function checkDecodeRefs(tableFile: string, t: TableSpec, d: DecodeSpec): string[] {
  const r = new Report(tableFile);
  const known = d.tables.map((x) => x.name);
  t.syscalls.forEach((s, i) => s.args.forEach((a, j) => {
    if (a.decode !== undefined && !known.includes(a.decode)) {
      r.err(JsonPath.root().key('syscalls').index(i, s.name).key('args').index(j).key('decode'),
        `unknown decode table ${show(a.decode)} (tables: ${known.join(' ')})`);
    }
  }));
  return r.errors;
}

/** validate -- every input; all messages of all of them in one error. */
export function validate(table: JsonFile, layers: JsonFile[], decode: JsonFile): Inputs {
  const errors: string[] = [];
  let t: TableSpec | undefined;
  let l: LayerFile[] = [];
  let d: DecodeSpec | undefined;
  const collect = (fn: () => void) => {
    try { fn(); } catch (e) { if (e instanceof GenError) errors.push(...e.messages); else throw e; }
  };
  collect(() => { t = validateTable(table); });
  collect(() => { l = validateLayers(layers); });
  collect(() => { d = validateDecode(decode); });
  if (t !== undefined && d !== undefined) errors.push(...checkDecodeRefs(table.file, t, d));
  if (errors.length > 0 || t === undefined || d === undefined) throw new GenError(errors);
  return { table: t, layers: l, decode: d };
}
