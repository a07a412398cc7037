/*
 * ctypes.ts -- small facts about C types that validation and the model
 * share: what a libc entry point returns, which spellings are accepted.
 */
import type { LibcSpec, RetKind, SyscallSpec } from './types.js';

/** Plain C types: words, spaces and stars (arrays are written as pointers). */
export const CTYPE_RE = /^[A-Za-z_][A-Za-z0-9_ *]*$/;

export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Words a C parameter may not be called here: keywords, and macros that
 * gnu11 or the included headers define. */
export const C_RESERVED = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do',
  'double', 'else', 'enum', 'extern', 'float', 'for', 'goto', 'if', 'inline',
  'int', 'long', 'register', 'restrict', 'return', 'short', 'signed',
  'sizeof', 'static', 'struct', 'switch', 'typedef', 'union', 'unsigned',
  'void', 'volatile', 'while', 'errno', 'linux', 'unix', 'stdin', 'stdout',
  'stderr', 'environ', 'NULL',
]);

/** The C return type a ret kind gives a libc entry point by default. */
const RET_CTYPE: Record<RetKind, string> = {
  int: 'int',
  fd: 'int',
  long: 'long',
  size: 'ssize_t',
  off: 'off_t',
  ptr: 'void *',
  noreturn: 'void',
};

/** Normalise spacing: "const char*" -> "const char *". */
export function normCtype(t: string): string {
  return t
    .replace(/\s+/g, ' ')
    .replace(/([A-Za-z0-9_])\*/g, '$1 *')
    .replace(/\*\s+(?=\*)/g, '*')
    .trim();
}

export function isPointer(ctype: string): boolean {
  return ctype.includes('*');
}

/** The glibc large-file twin of a type, for entry points named *64. */
const LFS_TWINS: Record<string, string> = {
  off_t: 'off64_t',
  'off_t *': 'off64_t *',
  'struct stat *': 'struct stat64 *',
  'struct statfs *': 'struct statfs64 *',
  'struct statvfs *': 'struct statvfs64 *',
  'struct rlimit *': 'struct rlimit64 *',
  'const struct rlimit *': 'const struct rlimit64 *',
  'struct dirent *': 'struct dirent64 *',
  ino_t: 'ino64_t',
};

/** isLfsName -- open64, __open64_2, pread64, fstatat64 ... */
export function isLfsName(name: string): boolean {
  return /64(_2)?$/.test(name);
}

/** lfsType -- the type glibc's *64 entry point uses where the plain one has t. */
export function lfsType(t: string, entry: string): string {
  const n = normCtype(t);
  return isLfsName(entry) ? (LFS_TWINS[n] ?? n) : n;
}

/** libcRetType -- the C return type of a libc entry point. */
export function libcRetType(sys: SyscallSpec, entry: LibcSpec): string {
  if (entry.ret !== undefined) return normCtype(entry.ret);
  return lfsType(RET_CTYPE[sys.ret], entry.name);
}
