/**
 * syscalls.json and generator/catalog.json against the installed kernel
 * headers: every name is a real x86_64 system call with the right number,
 * the aarch64 number is the one asm-generic/unistd.h gives arm64 (and absent
 * exactly when arm64 lacks the call), entries are sorted and unique, and
 * every libc entry only names arguments its system call has.
 *
 * The headers are parsed here, independently of generator/headers.ts.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABLE = join(ROOT, 'syscalls.json');
const CATALOG = join(ROOT, 'generator', 'catalog.json');

const X86_HEADER = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm/unistd_64.h'].find((f) => existsSync(f));
const GENERIC_HEADER = ['/usr/include/asm-generic/unistd.h'].find((f) => existsSync(f));

/* ---- the vocabulary of docs/DESIGN.md ---- */

const ARG_TYPES = new Set([
  'int', 'uint', 'long', 'ulong', 'size', 'ssize', 'off', 'fd', 'dirfd', 'path', 'open_flags', 'at_flags', 'mode',
  'buf_in', 'buf_out', 'str', 'struct_in', 'struct_out', 'ptr', 'argv', 'envp', 'pid', 'uid', 'gid', 'signum',
  'sigset', 'clockid',
]);
const LEN_TYPES = new Set(['buf_in', 'buf_out', 'struct_in', 'struct_out']);
const STRUCT_TYPES = new Set(['struct_in', 'struct_out']);
const RET_KINDS = new Set(['int', 'long', 'fd', 'size', 'off', 'ptr', 'noreturn']);
const FAMILIES = new Set(['file', 'desc', 'fs', 'process', 'signal', 'memory', 'net', 'time', 'ipc', 'id', 'system', 'sched', 'misc']);
const ENTRY_KEYS = new Set(['name', 'nr', 'since', 'family', 'args', 'ret', 'libc', 'does', 'note']);
const ARG_KEYS = new Set(['name', 'type', 'ctype', 'len', 'struct', 'decode', 'note']);
/* "decode" (generator/README.md) names a table of generator/decode.json */
const DECODE_TABLES = new Set(
  (JSON.parse(readFileSync(join(ROOT, 'generator', 'decode.json'), 'utf8')) as { tables: { name: string }[] }).tables.map((x) => x.name),
);
const LIBC_KEYS = new Set(['name', 'args', 'fixed', 'variadic', 'ret', 'errors', 'custom', 'lazy', 'ctypes', 'note', 'proto']);

/** Calls the brief asks for by name; fchmodat2 only when the headers know it. */
const REQUIRED = `open creat stat lstat fstat newfstatat statx access faccessat faccessat2 readlink readlinkat
  unlink unlinkat rename renameat renameat2 mkdir mkdirat rmdir link linkat symlink symlinkat chmod fchmod fchmodat
  fchmodat2 chown lchown fchown fchownat truncate ftruncate utime utimes futimesat utimensat mknod mknodat chdir fchdir
  getcwd chroot getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr removexattr
  lremovexattr fremovexattr statfs fstatfs openat openat2 name_to_handle_at open_by_handle_at execve execveat
  inotify_add_watch fanotify_mark mount umount2 pivot_root swapon acct quotactl
  clone clone3 fork vfork exit exit_group wait4 waitid kill tgkill rt_sigaction rt_sigprocmask rt_sigreturn
  rt_sigsuspend sigaltstack prctl arch_prctl seccomp set_tid_address set_robust_list rseq
  clock_gettime gettimeofday time clock_nanosleep nanosleep clock_settime settimeofday adjtimex clock_adjtime
  timer_create timer_settime timer_gettime timer_getoverrun timer_delete timerfd_create timerfd_settime timerfd_gettime
  getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid setresgid getresuid getresgid getgroups
  setgroups uname sethostname io_uring_setup io_uring_enter io_uring_register ptrace
  socket connect bind accept4 sendto recvfrom sendmsg recvmsg getsockname getpeername socketpair setsockopt getsockopt
  shutdown listen read write close`.split(/\s+/).filter(Boolean);

/* ---- the headers ---- */

function x86Numbers(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/** What arch/arm64/include/uapi/asm/unistd.h sets before including asm-generic/unistd.h. */
const ARM64 = [
  '__ARCH_WANT_RENAMEAT', '__ARCH_WANT_NEW_STAT', '__ARCH_WANT_SET_GET_RLIMIT',
  '__ARCH_WANT_TIME32_SYSCALLS', '__ARCH_WANT_SYS_CLONE3', '__ARCH_WANT_MEMFD_SECRET',
];

/** The value of an #if expression: defined(), integers, ! == != < > <= >= && || and parentheses. */
function evalIf(expr: string, macros: Map<string, string>): boolean {
  const toks = expr.match(/defined|[A-Za-z_]\w*|\d+|\|\||&&|==|!=|<=|>=|[()!<>]/g) ?? [];
  let i = 0;
  const num = (name: string): number => {
    const v = macros.get(name)?.trim();
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
  };
  const primary = (): number => {
    const t = toks[i++];
    if (t === '(') { const v = or(); i++; return v; }
    if (t === '!') return primary() ? 0 : 1;
    if (t === 'defined') {
      const paren = toks[i] === '(';
      if (paren) i++;
      const v = macros.has(toks[i++]) ? 1 : 0;
      if (paren) i++;
      return v;
    }
    return /^\d+$/.test(t) ? Number(t) : num(t);
  };
  const cmp = (): number => {
    let v = primary();
    for (;;) {
      const op = toks[i];
      if (!['==', '!=', '<', '>', '<=', '>='].includes(op)) return v;
      i++;
      const w = primary();
      v = Number(op === '==' ? v === w : op === '!=' ? v !== w : op === '<' ? v < w : op === '>' ? v > w : op === '<=' ? v <= w : v >= w);
    }
  };
  const and = (): number => { let v = cmp(); while (toks[i] === '&&') { i++; const w = cmp(); v = Number(v !== 0 && w !== 0); } return v; };
  const or = (): number => { let v = and(); while (toks[i] === '||') { i++; const w = and(); v = Number(v !== 0 || w !== 0); } return v; };
  return or() !== 0;
}

/** asm-generic/unistd.h through a preprocessor just big enough for it, as arm64 sees it. */
function genericNumbers(text: string): Map<string, number> {
  const macros = new Map<string, string>([['__BITS_PER_LONG', '64'], ...ARM64.map((d): [string, string] => [d, '1'])]);
  const stack: { outer: boolean; taken: boolean; active: boolean }[] = [];
  const active = () => stack.every((f) => f.active);
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const m = /^\s*#\s*(\w+)\s*(.*)$/.exec(raw.replace(/\/\*.*?\*\//g, ''));
    if (!m) continue;
    const [, dir, rest] = m;
    if (dir === 'if' || dir === 'ifdef' || dir === 'ifndef') {
      const outer = active();
      const c = dir === 'if' ? evalIf(rest, macros) : dir === 'ifdef' ? macros.has(rest.trim()) : !macros.has(rest.trim());
      stack.push({ outer, taken: c, active: outer && c });
    } else if (dir === 'elif') {
      const f = stack[stack.length - 1];
      const c = !f.taken && evalIf(rest, macros);
      f.active = f.outer && c;
      f.taken ||= c;
    } else if (dir === 'else') {
      const f = stack[stack.length - 1];
      f.active = f.outer && !f.taken;
      f.taken = true;
    } else if (dir === 'endif') {
      stack.pop();
    } else if (!active()) {
      continue;
    } else if (dir === 'define') {
      const d = /^(\w+)(\()?\s*(.*)$/.exec(rest);
      if (d && d[2] === undefined) macros.set(d[1], d[3].trim());
    } else if (dir === 'undef') {
      macros.delete(rest.trim());
    }
  }
  const value = (v: string, depth = 0): number | undefined => {
    if (/^\d+$/.test(v)) return Number(v);
    const next = macros.get(v);
    return next === undefined || depth > 8 ? undefined : value(next.trim(), depth + 1);
  };
  const out = new Map<string, number>();
  for (const [name, v] of macros) {
    if (!name.startsWith('__NR_') || name === '__NR_syscalls' || name === '__NR_arch_specific_syscall') continue;
    const n = value(v.trim());
    if (n !== undefined) out.set(name.slice(5), n);
  }
  return out;
}

const X86 = X86_HEADER ? x86Numbers(readFileSync(X86_HEADER, 'utf8')) : new Map<string, number>();
const GENERIC = GENERIC_HEADER ? genericNumbers(readFileSync(GENERIC_HEADER, 'utf8')) : new Map<string, number>();

/* ---- the two files ---- */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Arg { name: string; type: string; ctype: string; len?: string; struct?: string; decode?: string }
interface Libc { name: string; args?: string[]; fixed?: Record<string, string>; variadic?: string; ret?: string; errors?: string; custom?: boolean }
interface Entry { name: string; nr: { x86_64: number; aarch64?: number }; since?: string; family: string; args: Arg[]; ret: string; libc?: Libc[]; note?: string }

function load(file: string): { top: Obj; entries: Entry[] } {
  const top = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!isObj(top) || !Array.isArray(top.syscalls)) throw new Error(`${file}: expected { "syscalls": [...] }`);
  return { top, entries: top.syscalls as Entry[] };
}

const table = load(TABLE);
const catalog = load(CATALOG);

test('the kernel headers are there and parse', (t) => {
  t.truthy(X86_HEADER, 'asm/unistd_64.h not found (install linux-libc-dev)');
  t.truthy(GENERIC_HEADER, 'asm-generic/unistd.h not found (install linux-libc-dev)');
  t.true(X86.size > 300, `only ${X86.size} x86_64 calls parsed`);
  t.true(GENERIC.size > 250, `only ${GENERIC.size} generic calls parsed`);
  /* spot checks of the preprocessing (stable since Linux 3.x / 5.3) */
  t.is(X86.get('openat'), 257);
  t.is(GENERIC.get('openat'), 56);
  t.is(GENERIC.get('newfstatat'), 79); // __NR3264_fstatat under __ARCH_WANT_NEW_STAT
  t.is(GENERIC.get('fstat'), 80);
  t.is(GENERIC.get('renameat'), 38); // __ARCH_WANT_RENAMEAT
  t.is(GENERIC.get('sync_file_range'), 84); // not the ..._RANGE2 variant
  t.is(GENERIC.get('clone3'), 435);
  t.is(GENERIC.get('lseek'), 62);
  for (const absent of ['open', 'stat', 'lstat', 'fork', 'vfork', 'access', 'readlink', 'sync_file_range2', 'fstat64', 'llseek']) {
    t.false(GENERIC.has(absent), `${absent} should not exist on arm64`);
  }
});

test('top level is { "$comment", "syscalls" }', (t) => {
  for (const [file, { top }] of [[TABLE, table], [CATALOG, catalog]] as const) {
    t.deepEqual(Object.keys(top).sort(), ['$comment', 'syscalls'], file);
    t.is(typeof top.$comment, 'string', file);
  }
});

test('syscalls.json has at least 150 entries and the required ones', (t) => {
  t.true(table.entries.length >= 150, `${table.entries.length} entries`);
  const names = new Set(table.entries.map((e) => e.name));
  const missing = REQUIRED.filter((n) => X86.has(n) && !names.has(n));
  t.deepEqual(missing, []);
});

for (const [label, file, { entries }] of [['syscalls.json', TABLE, table], ['catalog.json', CATALOG, catalog]] as const) {
  test(`${label}: names and numbers match the headers`, (t) => {
    const problems: string[] = [];
    for (const e of entries) {
      const x = X86.get(e.name);
      if (x === undefined && e.since !== undefined) continue; // newer than the headers: the next test
      if (x === undefined) { problems.push(`${e.name}: not in unistd_64.h`); continue; }
      if (!isObj(e.nr)) { problems.push(`${e.name}: nr missing`); continue; }
      const extra = Object.keys(e.nr).filter((k) => k !== 'x86_64' && k !== 'aarch64');
      if (extra.length > 0) problems.push(`${e.name}: unknown nr keys ${extra.join(',')}`);
      if (e.nr.x86_64 !== x) problems.push(`${e.name}: x86_64 ${e.nr.x86_64}, header says ${x}`);
      const a = GENERIC.get(e.name);
      if (a === undefined && e.nr.aarch64 !== undefined) problems.push(`${e.name}: aarch64 ${e.nr.aarch64}, but arm64 has no such call`);
      if (a !== undefined && e.nr.aarch64 !== a) problems.push(`${e.name}: aarch64 ${String(e.nr.aarch64)}, header says ${a}`);
    }
    t.deepEqual(problems, [], file);
  });

  test(`${label}: sorted by x86_64 number, no duplicates`, (t) => {
    const problems: string[] = [];
    const names = new Set<string>();
    entries.forEach((e, i) => {
      if (names.has(e.name)) problems.push(`${e.name}: listed twice`);
      names.add(e.name);
      if (i > 0 && !(e.nr.x86_64 > entries[i - 1].nr.x86_64)) {
        problems.push(`${e.name} (${e.nr.x86_64}) after ${entries[i - 1].name} (${entries[i - 1].nr.x86_64})`);
      }
    });
    const a64 = entries.map((e) => e.nr.aarch64).filter((n): n is number => n !== undefined);
    if (new Set(a64).size !== a64.length) problems.push('an aarch64 number is used twice');
    t.deepEqual(problems, [], file);
  });

  test(`${label}: entries follow the ENTRY schema`, (t) => {
    const problems: string[] = [];
    for (const e of entries) {
      const p = (m: string) => problems.push(`${e.name}: ${m}`);
      for (const k of Object.keys(e)) if (!ENTRY_KEYS.has(k)) p(`unknown key ${k}`);
      if (!FAMILIES.has(e.family)) p(`family ${e.family}`);
      if (!RET_KINDS.has(e.ret)) p(`ret ${e.ret}`);
      if (e.note !== undefined && typeof e.note !== 'string') p('note is not a string');
      if (!Array.isArray(e.args)) { p('args missing'); continue; }
      if (e.args.length > 6) p(`${e.args.length} args`);
      const names = e.args.map((a) => a.name);
      e.args.forEach((a, i) => {
        for (const k of Object.keys(a)) if (!ARG_KEYS.has(k)) p(`${a.name}: unknown key ${k}`);
        if (typeof a.name !== 'string' || !/^[A-Za-z_]\w*$/.test(a.name)) p(`arg ${i}: bad name`);
        if (names.indexOf(a.name) !== i) p(`${a.name}: duplicate argument`);
        if (!ARG_TYPES.has(a.type)) p(`${a.name}: type ${a.type}`);
        if (typeof a.ctype !== 'string' || !/^[A-Za-z_][A-Za-z0-9_ *]*$/.test(a.ctype)) p(`${a.name}: ctype ${a.ctype}`);
        if (a.len !== undefined && (!LEN_TYPES.has(a.type) || !names.includes(a.len) || a.len === a.name)) p(`${a.name}: len ${a.len}`);
        if (STRUCT_TYPES.has(a.type) !== (a.struct !== undefined)) p(`${a.name}: struct ${String(a.struct)} on ${a.type}`);
        if (a.struct !== undefined && !/^[A-Za-z_]\w*$/.test(a.struct)) p(`${a.name}: struct ${a.struct}`);
        if (a.decode !== undefined && !DECODE_TABLES.has(a.decode)) p(`${a.name}: decode ${a.decode}`);
      });
    }
    t.deepEqual(problems, [], file);
  });
}

test('syscalls.json: every libc entry names arguments of its system call', (t) => {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const e of table.entries) {
    if (!Array.isArray(e.libc)) { problems.push(`${e.name}: libc missing`); continue; }
    const names = e.args.map((a) => a.name);
    for (const l of e.libc) {
      const p = (m: string) => problems.push(`${e.name}/${l.name}: ${m}`);
      for (const k of Object.keys(l)) if (!LIBC_KEYS.has(k)) p(`unknown key ${k}`);
      if (typeof l.name !== 'string' || !/^[A-Za-z_]\w*$/.test(l.name)) p('bad name');
      if (seen.has(l.name)) p(`also listed under ${seen.get(l.name)}`);
      seen.set(l.name, e.name);
      const listed = l.args ?? names;
      for (const a of l.args ?? []) if (!names.includes(a)) p(`args: ${a} is not an argument`);
      if (new Set(listed).size !== listed.length) p('args: duplicate');
      for (const a of Object.keys(l.fixed ?? {})) {
        if (!names.includes(a)) p(`fixed: ${a} is not an argument`);
        if (listed.includes(a)) p(`fixed: ${a} is also in args`);
        if (typeof l.fixed?.[a] !== 'string' || l.fixed[a].trim() === '') p(`fixed: ${a} is not a C expression`);
      }
      if (l.variadic !== undefined && listed.indexOf(l.variadic) < 1) p(`variadic: ${l.variadic} is not a listed argument after the first`);
      if (l.errors !== undefined && l.errors !== 'errno' && l.errors !== 'return') p(`errors: ${l.errors}`);
      if (l.custom !== undefined && typeof l.custom !== 'boolean') p('custom is not a boolean');
      if (l.lazy !== undefined && (l.lazy !== true || l.custom !== true)) p('lazy: true, on a custom entry only');
      if (l.ret !== undefined && !/^[A-Za-z_][A-Za-z0-9_ *]*$/.test(l.ret)) p(`ret: ${l.ret}`);
    }
  }
  t.deepEqual(problems, []);
});

test('catalog.json: no libc, nothing from syscalls.json, and with it every x86_64 call', (t) => {
  const inTable = new Set(table.entries.map((e) => e.name));
  const inCatalog = new Set(catalog.entries.map((e) => e.name));
  t.deepEqual(catalog.entries.filter((e) => e.libc !== undefined).map((e) => e.name), []);
  t.deepEqual([...inCatalog].filter((n) => inTable.has(n)), []);
  t.deepEqual([...X86.keys()].filter((n) => !inTable.has(n) && !inCatalog.has(n)), []);
});

/** Linux version of the running kernel, as [major, minor] */
const KERNEL = (readFileSync('/proc/sys/kernel/osrelease', 'utf8').match(/^(\d+)\.(\d+)/) ?? ['', '0', '0']).slice(1).map(Number);
const atLeast = (v: string) => { const [a, b] = v.split('.').map(Number); return KERNEL[0] > a || (KERNEL[0] === a && KERNEL[1] >= b); };

test('syscalls.json: calls newer than the headers ("since") have the upstream numbers, which the running kernel knows', (t) => {
  const newer = table.entries.filter((e) => e.since !== undefined && !X86.has(e.name));
  t.true(newer.length >= 3, 'fchmodat2 and the *xattrat calls at least');
  const maxX86 = Math.max(...X86.values());
  const problems: string[] = [];
  for (const e of newer) {
    // since Linux 5.x a new call gets one number on every architecture
    if (e.nr.aarch64 !== e.nr.x86_64) problems.push(`${e.name}: aarch64 ${String(e.nr.aarch64)} != x86_64 ${e.nr.x86_64}`);
    if (!(e.nr.x86_64 > maxX86)) problems.push(`${e.name}: ${e.nr.x86_64} is not above the headers' last call (${maxX86})`);
    if (!/^\d+\.\d+$/.test(e.since!)) problems.push(`${e.name}: since ${e.since}`);
  }
  t.deepEqual(problems, []);
  // the kernel answers each number with something other than ENOSYS (bad
  // arguments: EBADF, EFAULT, EINVAL...) when it is as new as "since"
  const known = newer.filter((e) => atLeast(e.since!));
  if (known.length === 0) { t.log(`kernel ${KERNEL.join('.')} predates them all`); return; }
  const py = `import ctypes,sys\nl=ctypes.CDLL(None,use_errno=True)\nfor n in sys.argv[1:]:\n  r=l.syscall(*[ctypes.c_long(x) for x in (int(n),-1,0,0,0,0,0)])\n  print(n, ctypes.get_errno() if r<0 else 0)`;
  const r = spawnSync('python3', ['-c', py, ...known.map((e) => String(e.nr.x86_64))], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  for (const line of r.stdout.trim().split('\n')) {
    const [nr, errno] = line.split(' ').map(Number);
    t.not(errno, 38, `${known.find((e) => e.nr.x86_64 === nr)!.name} (${nr}): ENOSYS from kernel ${KERNEL.join('.')}`);
  }
});
