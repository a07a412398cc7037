/**
 * The trace layer: one line per system call (JSON, or strace's syntax),
 * appended by every process and thread of the tree to one file, with the
 * arguments decoded from the table. Real programs run under libvu.so; the
 * program's own output must not change.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig, have, missing } from '../helpers.js';

const hostname = readFileSync('/etc/hostname', 'utf8');
const passwd = readFileSync('/etc/passwd', 'utf8');
/* the interpreter itself, not a shim script in front of it */
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

interface Line {
  pid: number;
  tid: number;
  time: number;
  dur_us?: number;
  src: 'libc' | 'sud';
  name: string;
  args?: Record<string, unknown>;
  ret: number | string | null;
  errno?: string;
  unfinished?: boolean;
  resumed?: boolean;
}

/** A config with one trace layer (and maybe more) in a new folder. */
function traceConfig(opts: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, more: unknown[] = []) {
  const dir = tmpdir('vu-trace-');
  const config = writeConfig({ ...extra, layers: [{ type: 'trace', output: 'trace.out', ...opts }, ...more] }, dir);
  return { dir, config, out: join(dir, 'trace.out') };
}

/** Every line of a JSON trace, parsed: one that does not parse fails the test. */
function lines(file: string): Line[] {
  const text = readFileSync(file, 'utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error('the trace does not end with a newline');
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Line);
}

const opensOf = (ls: Line[], path: string) => ls.filter((l) => l.name === 'openat' && l.args?.filename === path);

test('trace: cat /etc/hostname -> its openat decoded, its read shown, output as native', (t) => {
  const { config, out } = traceConfig();
  const native = run('cat', ['/etc/hostname', '/etc/passwd'], { vu: false });
  const r = run('cat', ['/etc/hostname', '/etc/passwd'], { config });
  t.deepEqual(r, native);
  const ls = lines(out);
  const [open] = opensOf(ls, '/etc/hostname');
  t.truthy(open, 'openat of /etc/hostname');
  t.deepEqual(open.args, { dfd: 'AT_FDCWD', filename: '/etc/hostname', flags: 'O_RDONLY', mode: '000' });
  t.is(open.ret, 3);
  t.is(open.src, 'libc');
  t.is(open.pid, open.tid);
  t.true(open.time > 1.6e9 && open.time < 4e9, 'seconds since the epoch');
  t.true(typeof open.dur_us === 'number' && open.dur_us >= 0);
  const fd = open.ret as number;
  const read = ls.slice(ls.indexOf(open)).find((l) => l.name === 'read' && l.args?.fd === fd)!;
  t.is(read.args?.buf, hostname.length <= 32 ? hostname : `${hostname.slice(0, 32)}...`);
  t.is(read.ret, hostname.length);
  /* a longer buffer: 32 bytes and "..." */
  const long = ls.find((l) => l.name === 'read' && (l.ret as number) === passwd.length)!;
  t.is(long.args?.buf, `${passwd.slice(0, 32)}...`);
  const exit = ls[ls.length - 1];
  t.is(exit.name, 'exit_group');
  t.is(exit.ret, null);
});

test('trace: python3 open() -> O_RDONLY|O_CLOEXEC, in JSON and in strace format', (t) => {
  const code = "print(open('/etc/hostname').read(), end='')";
  const json = traceConfig();
  t.is(run(python, ['-c', code], { config: json.config }).stdout, hostname);
  const [open] = opensOf(lines(json.out), '/etc/hostname');
  t.is(open.args?.flags, 'O_RDONLY|O_CLOEXEC');
  t.is(typeof open.ret, 'number');
  const st = traceConfig({ format: 'strace' });
  t.is(run(python, ['-c', code], { config: st.config }).stdout, hostname);
  const text = readFileSync(st.out, 'utf8');
  t.regex(text, /^\d+ openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\|O_CLOEXEC\) += \d+$/m);
});

/** strace's line for calls on path, without pid and padding. */
function normal(line: string): string {
  return line.replace(/^\d+ /, '').replace(/\s+=\s+/, ' = ').trim();
}

(have('strace') ? test : test.skip)(`trace: strace format gives the line strace -e openat gives for the same calls${missing(['strace'], 'apt-get install strace')}`, (t) => {
  const dir = tmpdir();
  const real = join(dir, 'strace.out');
  const args = ['/etc/hostname', '/no/such/file'];
  const s = spawnSync('strace', ['-e', 'trace=openat', '-o', real, 'cat', ...args], { encoding: 'utf8' });
  t.falsy(s.error);
  const { config, out } = traceConfig({ format: 'strace' });
  run('cat', args, { config });
  const ours = readFileSync(out, 'utf8').split('\n');
  const theirs = readFileSync(real, 'utf8').split('\n');
  for (const path of args) {
    const want = theirs.filter((l) => l.startsWith(`openat(AT_FDCWD, "${path}"`)).map(normal);
    const got = ours.map(normal).filter((l) => l.startsWith(`openat(AT_FDCWD, "${path}"`));
    t.is(want.length, 1, `strace saw ${path} once`);
    t.deepEqual(got, want);
  }
  t.regex(ours.join('\n'), /^\d+ openat\(AT_FDCWD, "\/no\/such\/file", O_RDONLY\) += -1 ENOENT \(No such file or directory\)$/m);
});

test('trace: "syscalls" keeps the names and families listed, "!" leaves out', (t) => {
  const only = traceConfig({ syscalls: ['openat', 'close'] });
  run('cat', ['/etc/hostname'], { config: only.config });
  const names = new Set(lines(only.out).map((l) => l.name));
  t.deepEqual([...names].sort(), ['close', 'openat']);

  const fam = traceConfig({ syscalls: ['%file', '!openat'] });
  run('cat', ['/etc/hostname'], { config: fam.config });
  const fnames = new Set(lines(fam.out).map((l) => l.name));
  t.true(fnames.has('newfstatat'), 'file family: newfstatat');
  t.false(fnames.has('openat'), '!openat');
  t.false(fnames.has('read'), 'read is desc, not file');

  const not = traceConfig({ syscalls: ['!read', '!write'] });
  run('cat', ['/etc/hostname'], { config: not.config });
  const nnames = new Set(lines(not.out).map((l) => l.name));
  t.true(nnames.has('openat') && nnames.has('close'));
  t.false(nnames.has('read') || nnames.has('write'));
});

test('trace: 8 processes x 8 threads x 500 calls -> every line whole JSON, none lost', (t) => {
  const { config, out } = traceConfig();
  const r = run(probe('tracestorm'), ['8', '8', '500'], { config, timeout: 120_000 });
  t.is(r.stderr, '');
  t.is(r.stdout, 'ok 32000\n');
  const ls = lines(out); /* throws on a torn or mixed line */
  const calls = ls.filter((l) => l.name === 'getppid');
  t.is(calls.length, 32000);
  const byPid = new Map<number, Set<number>>();
  for (const l of calls) {
    if (!byPid.has(l.pid)) byPid.set(l.pid, new Set());
    byPid.get(l.pid)!.add(l.tid);
    t.is(typeof l.ret, 'number');
  }
  t.is(byPid.size, 8, 'eight processes, each with its own pid');
  for (const tids of byPid.values()) t.is(tids.size, 8);
  t.is(calls.filter((l) => l.src === 'sud').length, 16000, 'half made with inline syscalls');
  t.is(calls.filter((l) => l.src === 'libc').length, 16000);
});

for (const way of ['close_range', 'closefrom', 'dup2', 'close']) {
  test(`trace: the trace file survives ${way} over every descriptor`, (t) => {
    const { config, out } = traceConfig({ syscalls: ['openat', 'close_range', 'dup2'] });
    const r = run(probe('tracefds'), [way, '/etc/hostname'], { config });
    t.is(r.stderr, '');
    t.is(r.stdout, `read: ${hostname.split('\n')[0]}\n`);
    const ls = lines(out);
    t.is(opensOf(ls, '/etc/hostname').length, 1, 'the open after the sweep is in the trace');
    if (way === 'close_range' || way === 'closefrom') {
      const cr = ls.find((l) => l.name === 'close_range')!;
      t.deepEqual(cr.args, { fd: 3, max_fd: 4294967295, flags: '0' });
      t.is(cr.src, way === 'close_range' ? 'sud' : 'libc');
    }
    if (way === 'dup2') t.true(ls.filter((l) => l.name === 'dup2').length > 100);
  });
}

test('trace: inline syscalls are "src": "sud", libc calls "libc"; "intercept": "libc" sees only libc', (t) => {
  const all = traceConfig({ syscalls: ['open', 'openat'] });
  t.is(run(probe('rawopen'), ['/etc/hostname'], { config: all.config }).stdout, hostname);
  const raw = lines(all.out).filter((l) => l.args?.filename === '/etc/hostname');
  t.deepEqual(raw.map((l) => [l.name, l.src]), [['open', 'sud'], ['openat', 'sud']]);
  t.is(raw[0].args?.flags, 'O_RDONLY');

  const libc = traceConfig({ syscalls: ['open', 'openat'] }, { intercept: 'libc' });
  run(probe('rawopen'), ['/etc/hostname'], { config: libc.config });
  run('cat', ['/etc/hostname'], { config: libc.config });
  const seen = lines(libc.out).filter((l) => l.args?.filename === '/etc/hostname');
  t.deepEqual(seen.map((l) => [l.name, l.src]), [['openat', 'libc']], 'only cat\'s open');
});

test('trace: fork and exec -> the child\'s lines carry its pid, in the same file', (t) => {
  const { config, out } = traceConfig({ syscalls: ['%process', 'openat'] });
  const r = run('sh', ['-c', 'cat /etc/hostname & wait'], { config });
  t.is(r.stdout, hostname);
  const ls = lines(out);
  const [open] = opensOf(ls, '/etc/hostname');
  const shell = ls[0].pid;
  t.not(open.pid, shell, 'cat runs in the child');
  const exec = ls.find((l) => l.name === 'execve' && l.pid === open.pid)!;
  t.true(exec.unfinished);
  t.deepEqual(exec.args?.argv, ['cat', '/etc/hostname']);
  t.regex(String(exec.args?.envp), /^0x[0-9a-f]+ \/\* \d+ vars \*\/$/);
  /* the fork: once in the parent with the child's pid, once in the child with 0 */
  const forks = ls.filter((l) => l.name === 'clone');
  t.truthy(forks.find((l) => l.pid === shell && l.ret === open.pid));
  t.truthy(forks.find((l) => l.pid === open.pid && l.ret === 0));
});

test('trace: an exec that fails -> unfinished, then resumed with the error', (t) => {
  const { config, out } = traceConfig({ syscalls: ['execve'] });
  run(python, ['-c', "import os\ntry: os.execv('/no/such/prog', ['x'])\nexcept OSError: pass"], { config });
  const ls = lines(out).filter((l) => l.args?.filename === '/no/such/prog' || l.resumed);
  t.is(ls.length, 2);
  t.true(ls[0].unfinished);
  t.deepEqual(ls[0].args?.argv, ['x']);
  t.true(ls[1].resumed);
  t.is(ls[1].ret, -1);
  t.is(ls[1].errno, 'ENOENT');
  const st = traceConfig({ syscalls: ['execve'], format: 'strace' });
  run(python, ['-c', "import os\ntry: os.execv('/no/such/prog', ['x'])\nexcept OSError: pass"], { config: st.config });
  const text = readFileSync(st.out, 'utf8');
  t.regex(text, /^\d+ execve\("\/no\/such\/prog", \["x"\], 0x[0-9a-f]+ \/\* \d+ vars \*\/ <unfinished \.\.\.>$/m);
  t.regex(text, /^\d+ <\.\.\. execve resumed>\) += -1 ENOENT \(No such file or directory\)$/m);
});

test('trace: control characters and bytes that are not UTF-8 stay valid JSON', (t) => {
  const { config, out } = traceConfig({ syscalls: ['openat'] });
  const code = "import os\nfor p in [b'/tmp/vu\\xff\\x01\\n\"x', '/tmp/vu-\u00e9\u20ac'.encode()]:\n  try: os.open(p, os.O_RDONLY)\n  except OSError: pass";
  t.is(run(python, ['-c', code], { config }).status, 0);
  const names = lines(out).map((l) => l.args?.filename);
  t.true(names.includes('/tmp/vu\u00ff\u0001\n"x'), 'bad bytes as \\u00XX');
  t.true(names.includes('/tmp/vu-\u00e9\u20ac'), 'UTF-8 as it is');
  t.regex(readFileSync(out, 'utf8'), /\/tmp\/vu\\u00ff\\u0001\\n\\"x/);
});

test('trace: after 8 posix_spawn, a failed open is still decoded (scratch is not leaked)', (t) => {
  const { config, out } = traceConfig({ syscalls: ['openat'] }, {}, [
    { type: 'remap', map: { '/etc/passwd': '/etc/hostname' } },
  ]);
  const r = run(probe('spawnfirst'), ['8', '/etc/passwd'], { config });
  t.is(r.stdout, `read: ${hostname.split('\n')[0]}\n`, 'remap still has its scratch');
  run(probe('spawnfirst'), ['8', '/no/such/file'], { config });
  const [open] = opensOf(lines(out), '/no/such/file');
  t.truthy(open, 'the path of a failed open is read through the scratch copy');
  t.is(open.errno, 'ENOENT');
});

test('trace: "output" defaults to vu-trace.jsonl in the config\'s folder and is appended to', (t) => {
  const dir = tmpdir('vu-trace-');
  const config = writeConfig({ layers: [{ type: 'trace', syscalls: ['openat'] }] }, dir);
  const elsewhere = tmpdir();
  run('cat', ['/etc/hostname'], { config, cwd: elsewhere });
  run('cat', ['/etc/hostname'], { config, cwd: elsewhere });
  t.false(existsSync(join(elsewhere, 'vu-trace.jsonl')));
  t.is(opensOf(lines(join(dir, 'vu-trace.jsonl')), '/etc/hostname').length, 2);
});

const badOptions: Array<[string, Record<string, unknown>, RegExp]> = [
  ['an unknown format', { format: 'xml' }, /trace\.format: "xml" is not one of "jsonl", "strace"/],
  ['an output in a missing folder', { output: 'no/such/dir/t.jsonl' }, /layer trace: output: the folder .*\/no\/such\/dir does not exist/],
  ['an output that is a folder', { output: '.' }, /layer trace: output: .* is a folder/],
  ['an unknown system call', { syscalls: ['opnat'] }, /layer trace: syscalls: "opnat" is not a system call of x86_64 nor a family/],
];

for (const [what, opts, msg] of badOptions) {
  test(`trace: ${what} -> exit 125 with FILE:LINE:COL, program not run`, (t) => {
    const dir = tmpdir('vu-trace-');
    const config = writeConfig({ layers: [{ type: 'trace', ...opts }] }, dir);
    const marker = join(dir, 'ran');
    const r = run('touch', [marker], { config });
    t.is(r.status, 125);
    t.true(r.stderr.startsWith(`vu: ${config}:`), r.stderr);
    t.regex(r.stderr, /vu\.json:\d+:\d+: /);
    t.regex(r.stderr, msg);
    t.false(existsSync(marker));
  });
}

test('trace: a trace of a program that never traps nor calls libc is empty, and the file is created', (t) => {
  const dir = tmpdir('vu-trace-');
  mkdirSync(join(dir, 'sub'));
  const config = writeConfig({ layers: [{ type: 'trace', output: 'sub/t.jsonl', syscalls: ['mount'] }] }, dir);
  t.is(run('true', [], { config }).status, 0);
  t.is(readFileSync(join(dir, 'sub', 't.jsonl'), 'utf8'), '');
  writeFileSync(join(dir, 'sub', 't.jsonl'), 'kept\n');
  run('true', [], { config });
  t.is(readFileSync(join(dir, 'sub', 't.jsonl'), 'utf8'), 'kept\n', 'appended, never truncated');
});

test('trace: calls the table does not describe are whole JSON lines too, named from the catalog, their registers as "0x..." strings', (t) => {
  const dir = tmpdir();
  const src = join(dir, 'u.c');
  writeFileSync(src, '#include <unistd.h>\n#include <sys/syscall.h>\nint main(void){ char b[64]; syscall(103, 10, 0, 0); syscall(143, 0, b); syscall(29, 0, 4096, 0); return 0; }\n');
  const exe = join(dir, 'u');
  t.is(spawnSync('gcc', ['-o', exe, src]).status, 0);
  const out = join(dir, 't.jsonl');
  const r = run(exe, [], { config: writeConfig({ layers: [{ type: 'trace', output: out }] }, dir) });
  t.is(r.status, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));	// throws on a bad line
  const byName = (n: string) => lines.find((l) => l.name === n);
  t.deepEqual(byName('syslog')?.args, { a0: '0xa', a1: '0x0', a2: '0x0', a3: byName('syslog').args.a3, a4: byName('syslog').args.a4, a5: byName('syslog').args.a5 });
  t.truthy(byName('sched_getparam'));
  t.is(byName('sched_getparam').ret, 0);
  t.truthy(byName('shmget'));
  t.false(lines.some((l) => /^syscall_/.test(l.name)));
});
