/**
 * "does" (docs/TABLE.md): what each call does to the file system. Its
 * validation, the vu_sems[] vu-gen generates from it, VU_SC_WRITES derived
 * from it, and `vu-gen add --does`. Needs `tsc -p tsconfig.json` first (the
 * CLI is dist/generator/cli.js).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenError } from '../../generator/errors.js';
import { generate } from '../../generator/generate.js';
import { readJson } from '../../generator/load.js';
import { writes } from '../../generator/model.js';
import { defaultPaths } from '../../generator/paths.js';
import { promptDoes } from '../../generator/prompt.js';
import type { SyscallSpec } from '../../generator/types.js';
import { validateTable } from '../../generator/validate.js';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const BIN = join(ROOT, 'bin', 'vu-gen.js');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const REAL = readJson(join(ROOT, 'syscalls.json'), 'syscalls.json');

type Entry = Record<string, unknown> & { name: string; does?: unknown };

/** The fixture table with entry `name` changed by edit; the messages of validateTable ([] when valid). */
function problems(name: string, edit: (e: Entry) => void): string[] {
  const data = JSON.parse(readFileSync(join(FIXTURES, 'syscalls.json'), 'utf8')) as { syscalls: Entry[] };
  const e = data.syscalls.find((s) => s.name === name);
  if (e === undefined) throw new Error(`${name} is not in the fixture`);
  edit(e);
  try {
    validateTable({ file: 'syscalls.json', text: '', data });
    return [];
  } catch (err) {
    if (err instanceof GenError) return err.messages;
    throw err;
  }
}

test('validation: the fixture and the real table pass', (t) => {
  t.deepEqual(problems('read', () => {}), []);
  t.notThrows(() => validateTable(REAL));
});

test('validation: an entry with a path and no "does" fails, naming the entry', (t) => {
  const m = problems('openat', (e) => { delete e.does; });
  t.is(m.length, 1);
  t.regex(m[0], /^syscalls\.json: syscalls\[\d+\] \(openat\)\.does: missing: "openat" takes a path, fd or dirfd argument \(dfd, filename\)/);
  t.regex(m[0], /docs\/TABLE\.md/);
  /* fd only: the same */
  t.regex(problems('fstat', (e) => { delete e.does; })[0], /\(fstat\)\.does: missing/);
  /* no path, fd or dirfd: may go without */
  t.deepEqual(problems('getpid', (e) => { delete e.does; }), []);
});

test('validation: unknown kind, role, key and argument names fail with their JSON path', (t) => {
  t.regex(problems('mkdir', (e) => { e.does = { kind: 'makes', paths: [{ arg: 'pathname', role: 'new', follow: false }] }; }).join('\n'),
    /\(mkdir\)\.does\.kind: unknown kind "makes" \(expected one of none io read/);
  t.regex(problems('mkdir', (e) => { e.does = { kind: 'create', paths: [{ arg: 'pathname', role: 'fresh', follow: false }] }; }).join('\n'),
    /\(mkdir\)\.does\.paths\[0\] \(pathname\)\.role: unknown role "fresh"/);
  t.regex(problems('mkdir', (e) => { e.does = { kind: 'create', paths: [{ arg: 'path', role: 'new', follow: false }] }; }).join('\n'),
    /\(mkdir\)\.does\.paths\[0\] \(path\)\.arg: "path" is not an argument of "mkdir"/);
  t.regex(problems('mkdir', (e) => { e.does = { kind: 'create', paths: [{ arg: 'pathname', role: 'new', follow: false, folow: true }] }; }).join('\n'),
    /\.does\.paths\[0\] \(pathname\)\.folow: unknown key/);
  t.regex(problems('openat', (e) => { (e.does as { fd: string }).fd = 'flags'; }).join('\n'),
    /\(openat\)\.does\.fd: "flags" is a open_flags argument; "fd" names a fd\/dirfd argument/);
});

test('validation: every path argument is in "paths"; every fd and dirfd is "fd" or a dirfd', (t) => {
  const m = problems('renameat', (e) => {
    e.does = { kind: 'rename', paths: [{ arg: 'oldname', dirfd: 'olddfd', role: 'old', follow: false }] };
  }).join('\n');
  t.regex(m, /\(renameat\)\.does\.paths: path argument "newname" is not in "paths"/);
  t.regex(m, /\(renameat\)\.does: dirfd argument "newdfd" is neither "fd" nor the "dirfd" of a path/);
  t.regex(m, /kind "rename" has two paths, roles old and new/);
  t.regex(problems('truncate', (e) => { e.does = { kind: 'none' }; }).join('\n'),
    /\(truncate\)\.does\.kind: kind "none" takes no path, fd or dirfd, but "truncate" has path argument "path"/);
  t.regex(problems('read', (e) => { e.does = { kind: 'io' }; }).join('\n'), /\(read\)\.does\.fd: missing: kind "io" names the descriptor/);
  /* io: one fd is enough */
  t.deepEqual(problems('mmap', (e) => { e.does = { kind: 'io', fd: 'fd' }; }), []);
});

test('validation: flags are C names, bits of a named flags argument; open says where its flags are', (t) => {
  const at = (x: Record<string, unknown>) => problems('newfstatat', (e) => {
    e.does = { kind: 'read', paths: [{ arg: 'filename', dirfd: 'dfd', role: 'object', follow: true, flags: 'flag', ...x }] };
  }).join('\n');
  t.is(at({ nofollow: 'AT_SYMLINK_NOFOLLOW', empty: 'AT_EMPTY_PATH' }), '');
  t.regex(at({ nofollow: 'AT_SYMLINK_NOFOLLOW | 0x100' }), /\.nofollow: "AT_SYMLINK_NOFOLLOW \| 0x100" is not a C flag name/);
  t.regex(at({ nofollow: 'at-nofollow' }), /is not a C flag name/);
  t.regex(at({ empty: 'WEIRD_EMPTY' }), /\.empty: no header is known for WEIRD_EMPTY/);
  t.regex(at({ follow_flag: 'AT_SYMLINK_FOLLOW' }), /\.follow_flag: a path that is followed has no flag to start following/);
  t.regex(at({ flags: 'statbuf' }), /\.flags: "statbuf" is a struct_out argument/);
  t.regex(problems('newfstatat', (e) => {
    e.does = { kind: 'read', paths: [{ arg: 'filename', dirfd: 'dfd', role: 'object', follow: true, nofollow: 'AT_SYMLINK_NOFOLLOW' }] };
  }).join('\n'), /\.nofollow: nofollow is a bit of "flags": name the flags argument/);
  t.regex(problems('openat', (e) => { delete (e.does as { open?: unknown }).open; }).join('\n'),
    /\(openat\)\.does\.open: missing: kind "open" says where its open flags are/);
  t.regex(problems('openat', (e) => { (e.does as { open: unknown }).open = { flags: 'flags', fixed: 'O_RDONLY' }; }).join('\n'),
    /\.does\.open: exactly one of "flags", "how", "fixed" \(got flags, fixed\)/);
});

test('validation: ids, time, xattr, node and exchange are checked, naming entry and JSON path', (t) => {
  const m = (name: string, edit: (d: Record<string, unknown>) => void) =>
    problems(name, (e) => { edit(e.does as Record<string, unknown>); }).join('\n');
  /* the fixture's real ones pass */
  t.deepEqual(problems('clock_gettime', (e) => { e.does = { kind: 'none', time: { clock: { arg: 'which_clock' }, now: 'tp' } }; }), []);
  t.deepEqual(problems('renameat2', (e) => { (e.does as Record<string, unknown>).exchange = { flags: 'flags', flag: 'RENAME_EXCHANGE' }; }), []);
  /* ids */
  t.regex(m('getpid', (d) => { d.ids = { get: 'uid', set: 'gid', which: ['real'] }; }), /\(getpid\)\.does\.ids: exactly one of "get", "set" \(got get, set\)/);
  t.regex(m('getpid', (d) => { d.ids = { get: 'pid', which: ['real'] }; }), /\(getpid\)\.does\.ids\.get: unknown ids "pid"/);
  t.regex(m('getpid', (d) => { d.ids = { get: 'uid', which: ['real', 'own'] }; }), /\.does\.ids\.which\[1\]: unknown id "own"/);
  t.regex(m('getpid', (d) => { d.ids = { get: 'uid', which: ['real', 'saved'] }; }), /\.does\.ids\.which: 2 ids for 0 pointer arguments of "getpid"/);
  t.regex(m('getpid', (d) => { d.ids = { set: 'groups', which: ['real'] }; }), /\.does\.ids\.which: the supplementary groups are one list/);
  t.regex(m('chmod', (d) => { d.ids = { get: 'uid', which: ['real'] }; }), /\(chmod\)\.does\.ids: only kind "none" has "ids"/);
  /* time */
  t.regex(m('clock_gettime', (d) => { d.time = { now: 'tp' }; }), /\(clock_gettime\)\.does\.time\.clock: missing: now is a time on a clock/);
  t.regex(m('clock_gettime', (d) => { d.time = { clock: { arg: 'tp' }, now: 'tp' }; }), /\.does\.time\.clock\.arg: "tp" is a struct_out argument; "arg" names a clockid argument/);
  t.regex(m('clock_gettime', (d) => { d.time = { clock: { arg: 'which_clock', fixed: 'CLOCK_REALTIME' }, now: 'tp' }; }), /\.does\.time\.clock: exactly one of "arg", "fixed", "fd", "timer" \(got arg, fixed\)/);
  t.regex(m('gettimeofday', (d) => { d.time = { clock: { fixed: 'CLOCK_REALTIME' }, now: 'tz' }; }), /\(gettimeofday\)\.does\.time\.now: "tz" holds no timespec\/timeval\/time_t/);
  t.regex(m('clock_gettime', (d) => { d.time = { clock: { arg: 'which_clock' }, now: 'tp', abs: { flags: 'which_clock', flag: 'TIMER_ABSTIME' } }; }), /\.does\.time\.abs: only with "deadline"/);
  t.regex(m('clock_gettime', (d) => { d.time = { clock: { fixed: 'REALTIME' }, now: 'tp' }; }), /\.does\.time\.clock\.fixed: no header is known for REALTIME/);
  t.regex(m('clock_gettime', (d) => { d.time = { clock: { arg: 'which_clock' }, then: 'tp' }; }), /\.does\.time\.then: unknown key/);
  /* xattr, node, exchange */
  t.regex(m('chmod', (d) => { d.xattr = { name: 'filename', value: 'mode' }; }).split('\n').join(' '),
    /\(chmod\)\.does\.xattr\.name: "filename" is a path argument; "name" names a str argument.*\.xattr\.size: missing: the size of "value"/);
  t.regex(m('chmod', (d) => { d.xattr = { op: 'get', name: 'filename' }; }), /\(chmod\)\.does\.xattr: only kind "read" has "xattr" with op "get"/);
  t.regex(m('chmod', (d) => { d.xattr = { op: 'drop', name: 'filename' }; }), /\(chmod\)\.does\.xattr\.op: "drop" is not one of "set", "get", "list", "remove"/);
  t.regex(m('chmod', (d) => { d.xattr = { op: 'remove', name: 'filename', size: 'mode' }; }), /\.does\.xattr\.size: a remove has only a name/);
  t.regex(m('access', (d) => { d.xattr = { op: 'list', name: 'filename' }; }), /\(access\)\.does\.xattr\.name: a list has no name/);
  t.regex(m('mkdir', (d) => { d.node = { mode: 'mode', dev: 'pathname' }; }), /\(mkdir\)\.does\.node\.dev: "pathname" is a path argument/);
  t.regex(m('rename', (d) => { d.exchange = { flags: 'newname', flag: 'RENAME_EXCHANGE' }; }), /\(rename\)\.does\.exchange\.flags: "newname" is a path argument/);
  t.regex(m('renameat2', (d) => { d.exchange = { flags: 'flags' }; }), /\(renameat2\)\.does\.exchange\.flag: missing/);
  t.regex(m('mkdir', (d) => { d.exchange = { flags: 'mode', flag: 'RENAME_EXCHANGE' }; }), /\(mkdir\)\.does\.exchange: only kind "rename" has "exchange"/);
});

test('the build fails on a path call without "does", naming it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vu-does-'));
  const data = JSON.parse(readFileSync(join(FIXTURES, 'syscalls.json'), 'utf8')) as { syscalls: Entry[] };
  delete data.syscalls.find((s) => s.name === 'unlinkat')!.does;
  writeFileSync(join(dir, 'syscalls.json'), JSON.stringify(data, null, 2));
  cpSync(join(FIXTURES, 'layers'), join(dir, 'layers'), { recursive: true });
  const r = spawnSync(process.execPath, [BIN, '--table', join(dir, 'syscalls.json'), '--layers', join(dir, 'layers'), '--out', dir], { cwd: dir, encoding: 'utf8' });
  t.is(r.status, 1);
  t.regex(r.stderr, /syscalls\.json: syscalls\[\d+\] \(unlinkat\)\.does: missing/);
  rmSync(dir, { recursive: true });
});

/* ---- generated C ---- */

const TABLE_C = generate(defaultPaths(ROOT)).get('generated-c/vu_syscall_table.c')!;

/** The initializer of vu_sems[VU_NR_name] up to its paths, one line a row, tabs as in the file. */
function sem(name: string): string {
  const start = TABLE_C.indexOf(`\t[VU_NR_${name}] = { VU_OP_`);
  if (start < 0) return '(none)';
  return TABLE_C.slice(start, TABLE_C.indexOf('\t},\n', start) + 3);
}

/** The rest of it (ids, time, xattr, node, exchange), on one line. */
function facts(name: string): string {
  const start = TABLE_C.indexOf(`\t[VU_NR_${name}] = { VU_OP_`);
  if (start < 0) return '(none)';
  const from = TABLE_C.indexOf('\t},\n', start) + 4;
  const end = TABLE_C.slice(from).search(/\n(\t\[VU_NR_|#|\};)/);
  return TABLE_C.slice(from, from + end).replace(/\s+/g, ' ').trim();
}

const NO_PATH = '\t\t{ -1, -1, -1, VU_ROLE_OBJECT, 0, 0, 0, 0, 0, 0 },\n';

test('vu_sems: openat, linkat, renameat2, openat2, creat, utimensat, symlink', (t) => {
  /* { kind, npaths, fd, oflags, how, howsize, oflags_fixed, { { arg, dirfd, flags, role, follow, null_is_fd, empty_needs_fd, nofollow, follow_flag, empty } x2 } } */
  t.is(sem('openat'), '\t[VU_NR_openat] = { VU_OP_OPEN, 1, -1, 2, -1, -1, 0, {\n'
    + '\t\t{ 1, 0, 2, VU_ROLE_OBJECT, 1, 0, 0, O_NOFOLLOW, 0, 0 },\n' + NO_PATH + '\t},');
  t.is(sem('linkat'), '\t[VU_NR_linkat] = { VU_OP_LINK, 2, -1, -1, -1, -1, 0, {\n'
    + '\t\t{ 1, 0, 4, VU_ROLE_OBJECT, 0, 0, 0, 0, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH },\n'
    + '\t\t{ 3, 2, -1, VU_ROLE_NEW, 0, 0, 0, 0, 0, 0 },\n\t},');
  t.is(sem('renameat2'), '\t[VU_NR_renameat2] = { VU_OP_RENAME, 2, -1, -1, -1, -1, 0, {\n'
    + '\t\t{ 1, 0, -1, VU_ROLE_OLD, 0, 0, 0, 0, 0, 0 },\n'
    + '\t\t{ 3, 2, -1, VU_ROLE_NEW, 0, 0, 0, 0, 0, 0 },\n\t},');
  t.is(sem('openat2'), '\t[VU_NR_openat2] = { VU_OP_OPEN, 1, -1, -1, 2, 3, 0, {\n'
    + '\t\t{ 1, 0, 2, VU_ROLE_OBJECT, 1, 0, 0, O_NOFOLLOW, 0, 0 },\n' + NO_PATH + '\t},');
  t.is(sem('creat'), '\t[VU_NR_creat] = { VU_OP_OPEN, 1, -1, -1, -1, -1, O_CREAT | O_WRONLY | O_TRUNC, {\n'
    + '\t\t{ 0, -1, -1, VU_ROLE_OBJECT, 1, 0, 0, 0, 0, 0 },\n' + NO_PATH + '\t},');
  t.is(sem('utimensat'), '\t[VU_NR_utimensat] = { VU_OP_META, 1, -1, -1, -1, -1, 0, {\n'
    + '\t\t{ 1, 0, 3, VU_ROLE_OBJECT, 1, 1, 0, AT_SYMLINK_NOFOLLOW, 0, AT_EMPTY_PATH },\n' + NO_PATH + '\t},');
  t.is(sem('symlink'), '\t[VU_NR_symlink] = { VU_OP_CREATE, 2, -1, -1, -1, -1, 0, {\n'
    + '\t\t{ 0, -1, -1, VU_ROLE_CONTENT, 0, 0, 0, 0, 0, 0 },\n'
    + '\t\t{ 1, -1, -1, VU_ROLE_NEW, 0, 0, 0, 0, 0, 0 },\n\t},');
  /* "" with AT_EMPTY_PATH needs a descriptor opened for real */
  t.is(sem('setxattrat').split('\n')[1], '\t\t{ 1, 0, 2, VU_ROLE_OBJECT, 1, 0, 1, AT_SYMLINK_NOFOLLOW, 0, AT_EMPTY_PATH },');
  /* kind none still has its -1s; io names its fd */
  t.is(sem('getpid'), `\t[VU_NR_getpid] = { VU_OP_NONE, 0, -1, -1, -1, -1, 0, {\n${NO_PATH}${NO_PATH}\t},`);
  t.regex(sem('read'), /^\t\[VU_NR_read\] = \{ VU_OP_IO, 0, 0, -1, -1, -1, 0, \{/);
  /* a call missing on aarch64 keeps its #ifdef */
  t.regex(TABLE_C, /#ifdef VU_NR_open\n\t\[VU_NR_open\] = \{ VU_OP_OPEN, /);
  /* the headers of the flags it prints */
  t.regex(TABLE_C, /#include <fcntl\.h>\n/);
  t.regex(TABLE_C, /#include <sys\/mount\.h>\n/);
});

test('vu_sems: ids, time, xattr, node and exchange of the real table', (t) => {
  const NO_IDS = '{ VU_IDS_NONE, 0, 0, { -1, -1, -1, -1 } },';
  const NO_TIME = '{ VU_CLOCK_SRC_NONE, -1, 0, -1, VU_TIME_NONE, 0, -1, VU_TIME_NONE, -1, 0, -1, VU_TIME_NONE, -1 },';
  const NO_REST = '{ -1, -1, -1, -1, VU_XATTR_NONE }, -1, -1, -1, 0 },';
  const BIT = (w: string) => `VU_ID_BIT(VU_ID_${w})`;
  /* { of, sets, which, { real, effective, saved, fs } } */
  t.is(facts('getuid'), `{ VU_IDS_UID, 0, ${BIT('REAL')}, { -1, -1, -1, -1 } }, ${NO_TIME} ${NO_REST}`);
  t.is(facts('getresgid'), `{ VU_IDS_GID, 0, ${BIT('REAL')} | ${BIT('EFFECTIVE')} | ${BIT('SAVED')}, { 0, 1, 2, -1 } }, ${NO_TIME} ${NO_REST}`);
  t.is(facts('setreuid'), `{ VU_IDS_UID, 1, ${BIT('REAL')} | ${BIT('EFFECTIVE')}, { 0, 1, -1, -1 } }, ${NO_TIME} ${NO_REST}`);
  t.is(facts('setfsgid'), `{ VU_IDS_GID, 1, ${BIT('FS')}, { -1, -1, -1, 0 } }, ${NO_TIME} ${NO_REST}`);
  t.is(facts('setgroups'), `{ VU_IDS_GROUPS, 1, 0, { -1, -1, -1, -1 } }, ${NO_TIME} ${NO_REST}`);
  /* { clock, clock_arg, clock_fixed, now, now_repr, now_ret, deadline, deadline_repr, abs_flags, abs, file_times, file_times_repr, timer_out } */
  t.is(facts('clock_gettime'), `${NO_IDS} { VU_CLOCK_SRC_ARG, 0, 0, 1, VU_TIME_TIMESPEC, 0, -1, VU_TIME_NONE, -1, 0, -1, VU_TIME_NONE, -1 }, ${NO_REST}`);
  t.is(facts('time'), `${NO_IDS} { VU_CLOCK_SRC_FIXED, -1, CLOCK_REALTIME, 0, VU_TIME_TIME_T, 1, -1, VU_TIME_NONE, -1, 0, -1, VU_TIME_NONE, -1 }, ${NO_REST}`);
  t.is(facts('clock_nanosleep'), `${NO_IDS} { VU_CLOCK_SRC_ARG, 0, 0, -1, VU_TIME_NONE, 0, 2, VU_TIME_TIMESPEC, 1, TIMER_ABSTIME, -1, VU_TIME_NONE, -1 }, ${NO_REST}`);
  t.is(facts('timerfd_settime'), `${NO_IDS} { VU_CLOCK_SRC_FD, 0, 0, -1, VU_TIME_NONE, 0, 2, VU_TIME_ITIMERSPEC, 1, TFD_TIMER_ABSTIME, -1, VU_TIME_NONE, -1 }, ${NO_REST}`);
  t.is(facts('timer_create'), `${NO_IDS} { VU_CLOCK_SRC_ARG, 0, 0, -1, VU_TIME_NONE, 0, -1, VU_TIME_NONE, -1, 0, -1, VU_TIME_NONE, 2 }, ${NO_REST}`);
  t.is(facts('timer_settime'), `${NO_IDS} { VU_CLOCK_SRC_TIMER, 0, 0, -1, VU_TIME_NONE, 0, 2, VU_TIME_ITIMERSPEC, 1, TIMER_ABSTIME, -1, VU_TIME_NONE, -1 }, ${NO_REST}`);
  t.is(facts('utime'), `${NO_IDS} { VU_CLOCK_SRC_NONE, -1, 0, -1, VU_TIME_NONE, 0, -1, VU_TIME_NONE, -1, 0, 1, VU_TIME_UTIMBUF, -1 }, ${NO_REST}`);
  /* { name, value, size, args }, node_mode, node_dev, exchange_flags, exchange */
  t.is(facts('fsetxattr'), `${NO_IDS} ${NO_TIME} { 1, 2, 3, -1, VU_XATTR_SET }, -1, -1, -1, 0 },`);
  t.is(facts('setxattrat'), `${NO_IDS} ${NO_TIME} { 3, -1, -1, 4, VU_XATTR_SET }, -1, -1, -1, 0 },`);
  t.is(facts('getxattr'), `${NO_IDS} ${NO_TIME} { 1, 2, 3, -1, VU_XATTR_GET }, -1, -1, -1, 0 },`);
  t.is(facts('getxattrat'), `${NO_IDS} ${NO_TIME} { 3, -1, -1, 4, VU_XATTR_GET }, -1, -1, -1, 0 },`);
  t.is(facts('flistxattr'), `${NO_IDS} ${NO_TIME} { -1, 1, 2, -1, VU_XATTR_LIST }, -1, -1, -1, 0 },`);
  t.is(facts('removexattr'), `${NO_IDS} ${NO_TIME} { 1, -1, -1, -1, VU_XATTR_REMOVE }, -1, -1, -1, 0 },`);
  t.is(facts('mknodat'), `${NO_IDS} ${NO_TIME} { -1, -1, -1, -1, VU_XATTR_NONE }, 2, 3, -1, 0 },`);
  t.is(facts('renameat2'), `${NO_IDS} ${NO_TIME} { -1, -1, -1, -1, VU_XATTR_NONE }, -1, -1, 4, RENAME_EXCHANGE },`);
  t.is(facts('getpid'), `${NO_IDS} ${NO_TIME} ${NO_REST}`);
  /* the headers of the new flags */
  t.regex(TABLE_C, /#include <time\.h>\n/);
  t.regex(TABLE_C, /#include <sys\/timerfd\.h>\n/);
  t.regex(TABLE_C, /#include <stdio\.h>\n/);
});

test('the real table: every id call and every clock reading says so', (t) => {
  const table = validateTable(REAL).syscalls;
  const by = new Map(table.map((s) => [s.name, s]));
  /* the id family: all but the capabilities */
  const idCalls = table.filter((s) => s.family === 'id' && !s.name.startsWith('cap')).map((s) => s.name);
  for (const n of idCalls) t.truthy(by.get(n)!.does?.ids, n);
  t.deepEqual(by.get('setresuid')!.does!.ids, { set: 'uid', which: ['real', 'effective', 'saved'] });
  /* metadata changes fakeroot records: every meta call with a uid, gid or mode argument, or an xattr */
  for (const n of ['setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat']) t.truthy(by.get(n)!.does?.xattr, n);
  for (const n of ['mknod', 'mknodat']) t.deepEqual(by.get(n)!.does?.node, { mode: 'mode', dev: 'dev' }, n);
  t.falsy(by.get('mkdir')!.does?.node);
  /* times: utime family, readings, absolute deadlines */
  for (const n of ['utime', 'utimes', 'utimensat', 'futimesat']) t.truthy(by.get(n)!.does?.time?.file_times, n);
  for (const n of ['clock_gettime', 'gettimeofday', 'time']) t.truthy(by.get(n)!.does?.time?.now, n);
  for (const n of ['clock_nanosleep', 'timerfd_settime', 'timer_settime']) t.truthy(by.get(n)!.does?.time?.abs, n);
  t.falsy(by.get('nanosleep')!.does?.time?.abs);
  t.falsy(by.get('clock_getres')!.does?.time);
});

test('vu_syscalls.h declares the enums and structs of TABLE.md', (t) => {
  const h = generate(defaultPaths(ROOT)).get('generated-c/vu_syscalls.h')!;
  t.regex(h, /enum vu_op_kind \{\n\tVU_OP_NONE = 0,\n\tVU_OP_IO,\n\tVU_OP_READ,\n\tVU_OP_OPEN,\n\tVU_OP_WRITE,\n\tVU_OP_CREATE,\n\tVU_OP_DELETE,\n\tVU_OP_RENAME,\n\tVU_OP_LINK,\n\tVU_OP_META,\n\tVU_OP_EXEC,\n\tVU_OP_CHDIR,\n\tVU_OP_MOUNT,\n\tVU_OP_UNKNOWN,\n\};/);
  t.regex(h, /enum vu_path_role \{\n\tVU_ROLE_OBJECT = 0,\n\tVU_ROLE_NEW,\n\tVU_ROLE_OLD,\n\tVU_ROLE_CONTENT,\n\};/);
  t.regex(h, /extern const struct vu_sem vu_sems\[VU_NR_COUNT\];/);
  t.regex(h, /enum vu_ids_of \{\n\tVU_IDS_NONE = 0,\n\tVU_IDS_UID,\n\tVU_IDS_GID,\n\tVU_IDS_GROUPS,\n\};/);
  t.regex(h, /enum vu_id \{\n\tVU_ID_REAL = 0,\n\tVU_ID_EFFECTIVE,\n\tVU_ID_SAVED,\n\tVU_ID_FS,\n\};/);
  t.regex(h, /enum vu_time_repr \{\n\tVU_TIME_NONE = 0,\n\tVU_TIME_TIMESPEC,\n\tVU_TIME_TIMEVAL,\n\tVU_TIME_TIME_T,\n\tVU_TIME_ITIMERSPEC,\n\tVU_TIME_UTIMBUF,\n\};/);
  t.regex(h, /enum vu_clock_src \{\n\tVU_CLOCK_SRC_NONE = 0,\n\tVU_CLOCK_SRC_ARG,\n\tVU_CLOCK_SRC_FIXED,\n\tVU_CLOCK_SRC_FD,\n\tVU_CLOCK_SRC_TIMER,\n\};/);
  /* appended: the fields op.c reads keep their places */
  t.regex(h, /\tstruct vu_sem_path path\[2\];\n\tstruct vu_sem_ids ids;/);
});

const gccHere = spawnSync('gcc', ['--version']).status === 0;
(gccHere ? test : test.skip)(`the real table: vu_syscall_table.c compiles with -Wall -Wextra -Werror${gccHere ? '' : ' [skipped: no gcc]'}`, (t) => {
  const r = spawnSync('gcc', ['-std=gnu11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
    `-I${join(ROOT, 'generated-c')}`, '-x', 'c', '-'], { input: TABLE_C, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
});

/* ---- VU_SC_WRITES ---- */

/** The hand list WRITES of model.ts before "does". */
const OLD_WRITES = [
  'creat', 'mknod', 'mknodat', 'mkdir', 'mkdirat', 'rmdir',
  'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'link', 'linkat', 'symlink', 'symlinkat',
  'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'fchown', 'lchown', 'fchownat',
  'truncate', 'ftruncate', 'fallocate',
  'utime', 'utimes', 'utimensat', 'futimesat',
  'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
  'removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat', 'file_setattr',
  'mount', 'umount2', 'move_mount', 'mount_setattr', 'pivot_root',
];
/* kind "mount" writes, and the old list did not have these */
const NEW_MOUNTS = ['swapon', 'swapoff', 'open_tree', 'fspick', 'open_tree_attr'];

test('VU_SC_WRITES from "does": the old WRITES list, plus the rest of kind mount', (t) => {
  const table = validateTable(REAL);
  const derived = table.syscalls.filter(writes).map((s) => s.name).sort();
  t.deepEqual(derived, [...OLD_WRITES, ...NEW_MOUNTS].sort());
  /* open, openat, openat2 write by their flags: not flagged; creat (fixed flags) is */
  const flagged = (n: string) => writes(table.syscalls.find((s) => s.name === n)!);
  t.false(flagged('openat'));
  t.false(flagged('openat2'));
  t.true(flagged('creat'));
  t.regex(TABLE_C, /\[VU_NR_rmdir\] = \{ "rmdir", 1, VU_RET_INT, VU_FAMILY_FILE, VU_SC_PATH \| VU_SC_WRITES,/);
  t.regex(TABLE_C, /\[VU_NR_openat\] = \{ "openat", 4, VU_RET_FD, VU_FAMILY_FILE, VU_SC_PATH \| VU_SC_FD, /);
});

test('the real table: the semantics the kernel has', (t) => {
  const by = new Map(validateTable(REAL).syscalls.map((s) => [s.name, s]));
  const path0 = (n: string) => by.get(n)!.does!.paths![0];
  const kind = (n: string) => by.get(n)!.does!.kind;
  t.is(path0('stat').follow, true);
  t.is(path0('lstat').follow, false);
  t.is(path0('chown').follow, true);
  t.is(path0('lchown').follow, false);
  for (const n of ['mkdir', 'mknod', 'unlink', 'rmdir', 'rename', 'mkdirat', 'unlinkat']) t.is(path0(n).follow, false, n);
  for (const n of ['newfstatat', 'fchownat', 'utimensat', 'statx', 'faccessat2', 'fchmodat2', 'setxattrat', 'execveat']) {
    t.like(path0(n), { follow: true, nofollow: 'AT_SYMLINK_NOFOLLOW', empty: 'AT_EMPTY_PATH' }, n);
  }
  t.like(path0('openat2'), { flags: 'how', nofollow: 'O_NOFOLLOW' });
  t.deepEqual(by.get('openat2')!.does!.open, { how: 'how', size: 'usize' });
  t.deepEqual(by.get('open_by_handle_at')!.does, { kind: 'open', fd: 'mountdirfd', open: { flags: 'flags' } });
  for (const n of ['mount', 'umount2', 'pivot_root', 'swapon', 'swapoff', 'move_mount', 'open_tree', 'fspick', 'mount_setattr', 'open_tree_attr']) t.is(kind(n), 'mount', n);
  for (const n of ['chroot', 'chdir', 'fchdir']) t.is(kind(n), 'chdir', n);
  for (const n of ['quotactl', 'name_to_handle_at', 'fanotify_mark', 'acct']) t.is(kind(n), 'unknown', n);
  for (const n of ['mmap', 'ioctl', 'fcntl', 'close', 'dup', 'dup2', 'dup3', 'connect', 'sendfile']) t.is(kind(n), 'io', n);
});

/* ---- vu-gen add ---- */

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vu-does-'));
  cpSync(join(FIXTURES, 'syscalls.json'), join(dir, 'syscalls.json'));
  cpSync(join(FIXTURES, 'layers'), join(dir, 'layers'), { recursive: true });
  writeFileSync(join(dir, 'catalog.json'), '{ "syscalls": [] }');
  return dir;
}

function gen(dir: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args, '--table', join(dir, 'syscalls.json'), '--layers', join(dir, 'layers'),
    '--out', dir, '--catalog', join(dir, 'catalog.json')], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('vu-gen add --does: the entry carries it, vu_sems has it', (t) => {
  const dir = workdir();
  const r = gen(dir, 'add', 'linkat', '--signature', 'long linkat(int olddfd, const char *oldname, int newdfd, const char *newname, int flags)',
    '--does', JSON.stringify({
      kind: 'link',
      paths: [
        { arg: 'oldname', dirfd: 'olddfd', role: 'object', follow: false, flags: 'flags', follow_flag: 'AT_SYMLINK_FOLLOW', empty: 'AT_EMPTY_PATH' },
        { arg: 'newname', dirfd: 'newdfd', role: 'new', follow: false },
      ],
    }));
  t.is(r.status, 0, r.stderr);
  const e = (JSON.parse(readFileSync(join(dir, 'syscalls.json'), 'utf8')) as { syscalls: SyscallSpec[] }).syscalls.find((s) => s.name === 'linkat')!;
  t.is(e.does?.kind, 'link');
  const c = readFileSync(join(dir, 'generated-c', 'vu_syscall_table.c'), 'utf8');
  t.regex(c, /\t\[VU_NR_linkat\] = \{ VU_OP_LINK, 2, -1, -1, -1, -1, 0, \{\n\t\t\{ 1, 0, 4, VU_ROLE_OBJECT, 0, 0, 0, 0, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH \},\n\t\t\{ 3, 2, -1, VU_ROLE_NEW, 0, 0, 0, 0, 0, 0 \},/);
  t.regex(c, /\[VU_NR_linkat\] = \{ "linkat", 5, VU_RET_INT, VU_FAMILY_FILE, VU_SC_PATH \| VU_SC_FD \| VU_SC_WRITES,/);
  t.is(gen(dir, '--check').status, 0);
  rmSync(dir, { recursive: true });
});

test('vu-gen add: no "does" and no terminal -> an error naming --does and docs/TABLE.md; nothing written', (t) => {
  const dir = workdir();
  const before = readFileSync(join(dir, 'syscalls.json'), 'utf8');
  const r = gen(dir, 'add', 'rmdir', '--signature', 'long rmdir(const char *pathname)');
  t.is(r.status, 1);
  t.regex(r.stderr, /vu-gen add: rmdir: takes a path, fd or dirfd.*--does '\{.*docs\/TABLE\.md/);
  const bad = gen(dir, 'add', 'rmdir', '--signature', 'long rmdir(const char *pathname)', '--does', '{"kind": "remove"}');
  t.is(bad.status, 1);
  t.regex(bad.stderr, /\(rmdir\)\.does\.kind: unknown kind "remove"/);
  t.regex(gen(dir, 'add', 'rmdir', '--signature', 'long rmdir(const char *pathname)', '--does', '{kind').stderr, /--does: invalid JSON/);
  t.is(readFileSync(join(dir, 'syscalls.json'), 'utf8'), before);
  /* a call with no path, fd or dirfd needs none: kind none */
  const ok = gen(dir, 'add', 'getegid', '--signature', 'long getegid(void)', '--no-libc');
  t.is(ok.status, 0, ok.stderr);
  t.regex(readFileSync(join(dir, 'syscalls.json'), 'utf8'), /"name": "getegid"[^]*?"does": \{ "kind": "none" \}/);
  rmSync(dir, { recursive: true });
});

test('vu-gen add on a terminal: the questions (kind, then each path\'s role and follow)', (t) => {
  const entry = {
    name: 'unlinkat', nr: { x86_64: 263 }, family: 'file', ret: 'int', libc: [],
    args: [
      { name: 'dfd', type: 'dirfd', ctype: 'int' },
      { name: 'pathname', type: 'path', ctype: 'const char *' },
      { name: 'flag', type: 'at_flags', ctype: 'int' },
    ],
  } as SyscallSpec;
  const answers = ['delete', 'old', 'n', ''];
  const asked: string[] = [];
  const does = promptDoes(entry, (q) => { asked.push(q); return answers.shift() ?? ''; }, () => {});
  t.deepEqual(does, { kind: 'delete', paths: [{ arg: 'pathname', role: 'old', follow: false, dirfd: 'dfd' }] });
  t.regex(asked[0], /^kind \[none\/io\/read\/open/);
  t.regex(asked[1], /^pathname: role/);
  t.regex(asked[2], /^pathname: does the kernel follow/);
});
