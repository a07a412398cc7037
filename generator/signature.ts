/*
 * signature.ts -- turn a C prototype ("long name(int fd, const char *path)")
 * into syscalls.json arguments, guessing each argument's semantic type
 * from its C type and name. The guesses are the common kernel spellings;
 * the entry can be edited after `vu-gen add` wrote it.
 */
import { normCtype } from './ctypes.js';
import { GenError } from './errors.js';
import type { ArgSpec, ArgType, RetKind } from './types.js';

export interface ParsedSignature {
  name: string;
  ret: RetKind;
  args: ArgSpec[];
}

/** Calls whose result is a new file descriptor. */
const RETURNS_FD = new Set([
  'open', 'openat', 'openat2', 'creat', 'dup', 'dup2', 'dup3', 'socket',
  'accept', 'accept4', 'epoll_create', 'epoll_create1', 'eventfd',
  'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'memfd_create',
  'memfd_secret', 'inotify_init', 'inotify_init1', 'fanotify_init',
  'pidfd_open', 'pidfd_getfd', 'open_tree', 'fsopen', 'fsmount', 'fspick',
  'open_by_handle_at', 'userfaultfd', 'perf_event_open', 'io_uring_setup',
  'landlock_create_ruleset',
]);

/** Calls whose libc function returns ssize_t. */
const RETURNS_SIZE = new Set([
  'read', 'write', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv',
  'pwritev', 'preadv2', 'pwritev2', 'readlink', 'readlinkat', 'getxattr',
  'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr',
  'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'getrandom',
  'recvfrom', 'sendto', 'recvmsg', 'sendmsg', 'process_vm_readv',
  'process_vm_writev', 'getdents64', 'msgrcv',
]);

/** Kernel-only spellings and the user-space types glibc declares instead. */
const USER_TYPES: [RegExp, string][] = [
  [/\bumode_t\b/g, 'mode_t'],
  [/\bloff_t\b/g, 'off_t'],
  [/\bold_uid_t\b/g, 'uid_t'],
  [/\bold_gid_t\b/g, 'gid_t'],
  [/\bu32\b/g, 'unsigned int'],
  [/\bs32\b/g, 'int'],
  [/\bu64\b/g, 'uint64_t'],
  [/\bs64\b/g, 'int64_t'],
  [/\b__kernel_old_time_t\b/g, 'time_t'],
  [/\bstruct __kernel_timespec\b/g, 'struct timespec'],
  [/\bstruct __kernel_old_timeval\b/g, 'struct timeval'],
  [/\bstruct old_utsname\b/g, 'struct utsname'],
];

function userType(t: string): string {
  return normCtype(USER_TYPES.reduce((acc, [re, to]) => acc.replace(re, to), t));
}

const PATH_NAMES = /^(path|pathname|filename|oldpath|newpath|oldname|newname|linkpath|dir_name|dev_name|specialfile|library)$/;
const FD_NAMES = /^(fd|oldfd|newfd|in_fd|out_fd|fd_in|fd_out|epfd|ufd|pidfd|sockfd|s)$|fd$/;
const DIRFD_NAMES = /^(dfd|dirfd|olddfd|newdfd|olddirfd|newdirfd|from_dfd|to_dfd)$/;
const LEN_NAMES = /^(count|len|size|bufsiz|nbytes|length|buflen|addrlen|optlen|sigsetsize|usize)$/;

function retKind(ret: string, name: string): RetKind {
  const t = normCtype(ret.replace(/\b(extern|static|asmlinkage|_Noreturn|noreturn)\b/g, ''));
  if (/\b(_Noreturn|noreturn)\b/.test(ret)) return 'noreturn';
  if (t.includes('*')) return 'ptr';
  if (RETURNS_FD.has(name)) return 'fd';
  if (t === 'ssize_t' || t === 'size_t' || RETURNS_SIZE.has(name)) return 'size';
  if (t === 'off_t' || t === 'loff_t' || t === 'off64_t' || name === 'lseek') return 'off';
  /* every kernel prototype says long; most libc functions return int */
  if (t === 'long' || t === 'long int' || t === 'int') return 'int';
  return 'long';
}

/** argType -- the semantic type of a parameter from its C type and name. */
export function argType(ctype: string, name: string, sys: string, hasDirfd: boolean): ArgType {
  const t = normCtype(ctype);
  const isConst = /^const\b/.test(t);
  const base = t.replace(/^const /, '');
  if (t === 'const char *' && PATH_NAMES.test(name)) return 'path';
  if (/^(int|unsigned int|unsigned)$/.test(t) && DIRFD_NAMES.test(name)) return 'dirfd';
  if (/^(int|unsigned int|unsigned)$/.test(t) && FD_NAMES.test(name)) return 'fd';
  if (/^(char \*const \*|const char \*const \*|char \*\*|const char \*\*)$/.test(t)) {
    return /env/.test(name) ? 'envp' : 'argv';
  }
  if (t === 'const char *') return /buf/.test(name) ? 'buf_in' : 'str';
  if (/^(const )?(void|char|unsigned char) \*$/.test(t) && /buf|data|value|list|mem/.test(name)) return isConst ? 'buf_in' : 'buf_out';
  if (/^(const )?(sigset_t|kernel_sigset_t) \*$/.test(t)) return 'sigset';
  if (/^(const )?struct \w+ \*$/.test(t)) return isConst ? 'struct_in' : 'struct_out';
  if (t.includes('*')) return 'ptr';
  if ((name === 'flags' || name === 'oflag') && /^open/.test(sys)) return 'open_flags';
  if (hasDirfd && /^(flag|flags|atflags|at_flags)$/.test(name) && sys !== 'renameat2' && !/^open/.test(sys)) return 'at_flags';
  if (/^(mode_t|umode_t)$/.test(base)) return 'mode';
  if (base === 'pid_t') return 'pid';
  if (/^(uid_t|old_uid_t)$/.test(base)) return 'uid';
  if (/^(gid_t|old_gid_t)$/.test(base)) return 'gid';
  if (base === 'clockid_t') return 'clockid';
  if (base === 'size_t') return 'size';
  if (base === 'ssize_t') return 'ssize';
  if (/^(off_t|loff_t|off64_t)$/.test(base)) return 'off';
  if (base === 'int' && /^(sig|signum|signo)$/.test(name)) return 'signum';
  if (/^(unsigned int|unsigned|u32|uint32_t)$/.test(base)) return 'uint';
  if (/^(long|long int|s64|int64_t)$/.test(base)) return 'long';
  if (/^(unsigned long|unsigned long int|u64|uint64_t)$/.test(base)) return 'ulong';
  return 'int';
}

/** parseSignature -- "long name(int fd, const char *path)" to name, ret and args. */
export function parseSignature(sig: string): ParsedSignature {
  const s = sig.replace(/\b(__user|__restrict|restrict|__force)\b/g, '').replace(/;\s*$/, '').trim();
  const m = /^(.*?)\b([A-Za-z_]\w*)\s*\((.*)\)$/s.exec(s);
  if (!m || m[1].trim() === '') throw new GenError(`vu-gen add: cannot read the signature "${sig}" (expected e.g. 'long name(int fd, const char *path)')`);
  const [, ret, name, params] = m;
  if (params.includes('(')) throw new GenError(`vu-gen add: function-pointer parameters are not supported in "${sig}"`);
  const list = params.trim() === '' || params.trim() === 'void' ? [] : params.split(',');
  if (list.length > 6) throw new GenError(`vu-gen add: ${list.length} parameters in "${sig}"; a system call has at most 6`);
  const raw = list.map((p, i) => {
    const arr = /\[[^\]]*\]\s*$/.test(p);
    const q = p.replace(/\[[^\]]*\]\s*$/, '').trim();
    const pm = /^(.*?)([A-Za-z_]\w*)$/.exec(q);
    if (!pm || pm[1].trim() === '' || /^(int|long|char|unsigned|void|short)$/.test(pm[2]) && !/\*/.test(pm[1])) {
      throw new GenError(`vu-gen add: parameter ${i + 1} ("${p.trim()}") of "${sig}" has no name`);
    }
    return { name: pm[2], ctype: userType(`${pm[1]}${arr ? ' *' : ''}`) };
  });
  const hasDirfd = raw.some((p) => DIRFD_NAMES.test(p.name));
  const args: ArgSpec[] = raw.map((p) => ({ name: p.name, type: argType(p.ctype, p.name, name, hasDirfd), ctype: p.ctype }));
  /* buffers: the next size-like argument is their length; structs name their struct */
  args.forEach((a, i) => {
    if (a.type === 'buf_in' || a.type === 'buf_out') {
      const len = args.slice(i + 1).find((b) => LEN_NAMES.test(b.name) && ['size', 'int', 'uint', 'ulong', 'long'].includes(b.type));
      if (len) a.len = len.name;
    }
    if (a.type === 'struct_in' || a.type === 'struct_out') a.struct = /struct (\w+)/.exec(a.ctype)![1];
  });
  return { name, ret: retKind(ret, name), args };
}
