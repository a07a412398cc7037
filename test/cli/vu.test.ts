/**
 * The vu command: run, check, lib, driven as a user would.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir as osTmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LIB, ROOT, VU, seedConfig, tmpdir, writeConfig } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8');

function vu(args: string[], cwd = tmpdir()) {
  const env = { ...process.env };
  delete env.VU_CONFIG;
  delete env.LD_PRELOAD;
  return spawnSync('node', [VU, ...args], { cwd, env, encoding: 'utf8' });
}

test('vu lib prints the absolute path of libvu.so', (t) => {
  const r = vu(['lib']);
  t.is(r.status, 0);
  t.is(r.stdout, LIB + '\n');
  t.true(existsSync(r.stdout.trim()));
});

test('vu run -c runs the program under the stack and passes its status', (t) => {
  const config = seedConfig();
  const r = vu(['run', '-c', config, '--', 'cat', '/etc/passwd']);
  t.is(r.status, 0);
  t.is(r.stdout, host);
  t.is(vu(['run', '-c', config, '--', 'sh', '-c', 'exit 7']).status, 7);
});

test('vu run finds vu.json upward', (t) => {
  const config = seedConfig();
  const r = vu(['run', '--', 'cat', '/etc/passwd'], join(config, '..'));
  t.is(r.stdout, host);
});

test('vu run refuses a bad config with 125 and runs nothing', (t) => {
  const dir = tmpdir();
  const config = writeConfig('{"layers": [{"type": "nope"}]}', dir);
  const r = vu(['run', '-c', config, '--', 'touch', join(dir, 'ran')]);
  t.is(r.status, 125);
  t.regex(r.stderr, /vu: .*vu\.json:1:22: unknown layer type "nope"/);
  t.false(existsSync(join(dir, 'ran')));
});

test('vu run: command not found is 127', (t) => {
  const r = vu(['run', '-c', seedConfig(), '--', 'no-such-command-vu']);
  t.is(r.status, 127);
  t.regex(r.stderr, /no-such-command-vu: command not found/);
});

test('vu run: a missing program is 127 and a non-executable one 126, whatever the path form', (t) => {
  const dir = tmpdir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'vu-noexec'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  writeFileSync(join(bin, 'badinterp'), '#!/nonexistent/sh\necho hi\n', { mode: 0o755 });
  const cases: Array<[string[], number, RegExp, string?]> = [
    [['./nope'], 127, /^vu: \.\/nope: No such file or directory\n$/, bin],
    [[join(bin, 'nope')], 127, /^vu: \/.*\/bin\/nope: No such file or directory\n$/],
    [['no-such-command-vu'], 127, /^vu: no-such-command-vu: command not found\n$/],
    [['./vu-noexec'], 126, /^vu: \.\/vu-noexec: Permission denied\n$/, bin],
    [[join(bin, 'vu-noexec')], 126, /^vu: \/.*\/bin\/vu-noexec: Permission denied\n$/],
    [['vu-noexec'], 126, /^vu: \/.*\/bin\/vu-noexec: Permission denied\n$/],
    [[bin], 126, /^vu: \/.*\/bin: Is a directory\n$/],
    [['./badinterp'], 127, /^vu: \.\/badinterp: bad interpreter \/nonexistent\/sh: not found or not executable\n$/, bin],
  ];
  for (const [cmd, status, err, cwd] of cases) {
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.VU_CONFIG;
    delete env.LD_PRELOAD;
    const r = spawnSync('node', [VU, 'run', '-c', seedConfig(), '--', ...cmd], { cwd: cwd ?? dir, env, encoding: 'utf8' });
    t.is(r.status, status, `${cmd.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, err, cmd.join(' '));
  }
  // and an executable one still runs
  chmodSync(join(bin, 'vu-noexec'), 0o755);
  const ok = vu(['run', '-c', seedConfig(), '--', join(bin, 'vu-noexec')]);
  t.is(ok.status, 0, ok.stderr);
  t.is(ok.stdout, 'hi\n');
});

test('vu run says on stderr when it found no vu.json, and runs without layers', (t) => {
  const dir = tmpdir();
  const r = vu(['run', '--', 'cat', '/etc/hostname'], dir);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, host);
  t.is(r.stderr, `vu: no vu.json in ${dir} or its parents, and VU_CONFIG is not set: running without layers ('vu init' writes one)\n`);
  const l = vu(['run', '--layer', '{"type":"uname","nodename":"x"}', '--', 'true'], dir);
  t.is(l.status, 0, l.stderr);
  t.regex(l.stderr, /no vu\.json in .* running with the command-line layers only\n$/);
  // found one, or VU_CONFIG set (even empty): nothing said
  writeConfig('{"layers": []}', dir);
  t.is(vu(['run', '--', 'true'], dir).stderr, '');
  const env = { ...process.env, VU_CONFIG: '' };
  delete env.LD_PRELOAD;
  t.is(spawnSync('node', [VU, 'run', '--', 'true'], { cwd: tmpdir(), env, encoding: 'utf8' }).stderr, '');
});

test('vu check: did you mean, for a misspelt layer type, option, top-level key, errno and system call', (t) => {
  const bad = writeConfig(JSON.stringify({
    intercpt: 'all',
    layers: [
      { type: 'readonyl', paths: ['/tmp'] },
      { type: 'readonly', pathz: ['/tmp'] },
      { type: 'deny', syscalls: ['unlink'], errno: 'EPREM' },
      { type: 'deny', syscalls: ['unlnik'] },
      { type: 'zzzzzz' },
    ],
  }));
  const r = vu(['check', bad]);
  t.is(r.status, 1);
  t.regex(r.stderr, /unknown key "intercpt" \(did you mean "intercept"\?\)/);
  t.regex(r.stderr, /unknown layer type "readonyl" \(did you mean "readonly"\?\) \(known: bind, /);
  t.regex(r.stderr, /unknown option "pathz" for layer readonly \(did you mean "paths"\?\) \(options: paths\)/);
  t.regex(r.stderr, /layer deny: "EPREM" is not an errno name \(did you mean "EPERM"\?\)/);
  t.regex(r.stderr, /layer deny: unknown system call "unlnik" \(did you mean "unlink"\?\)/);
  // nothing near: no guess, the list only
  t.regex(r.stderr, /unknown layer type "zzzzzz" \(known: /);
  // and at run time, the same words
  const run = vu(['run', '-c', bad, '--', 'true']);
  t.is(run.status, 125);
  t.regex(run.stderr, /did you mean "readonly"/);
});

test('vu check: good config exits 0, bad config prints FILE:LINE:COL and exits 1', (t) => {
  const good = seedConfig();
  const ok = vu(['check', good]);
  t.is(ok.status, 0, ok.stderr);
  const bad = writeConfig('{\n "layers": [{"type": "remap", "map": {"/a": "/nonexistent/x"}}]\n}');
  const r = vu(['check', bad]);
  t.is(r.status, 1);
  t.is(r.stderr, `vu: ${bad}:2:45: remap.map: /nonexistent/x: No such file or directory\nvu: 1 error; 'vu layers' lists the layer types and their options\n`);
});

test('vu --version and --help', (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.is(vu(['--version']).stdout, `vu ${pkg.version}\n`);
  const h = vu(['--help']);
  t.is(h.status, 0);
  for (const c of ['run', 'check', 'init', 'layers', 'trace summary', 'lib']) t.true(h.stdout.includes(c), c);
  for (const c of ['run', 'check', 'init', 'layers', 'trace', 'lib']) {
    const r = vu([c, '--help']);
    t.is(r.status, 0, c);
    t.regex(r.stdout, new RegExp(`^usage: vu ${c}`), c);
  }
});

test('vu: usage errors exit 2 with a hint', (t) => {
  for (const args of [[], ['frobnicate'], ['run'], ['run', '--bogus', '--', 'true'], ['run', '--layer', '{nope', '--', 'true'], ['trace'], ['lib', 'x']]) {
    const r = vu(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, /^vu: /, args.join(' '));
    t.regex(r.stderr, /--help/, args.join(' '));
  }
});

test('vu: no colour when not on a terminal, and with NO_COLOR', (t) => {
  const r = vu(['check', writeConfig('{"layers": [{"type": "x"}]}')]);
  t.false(r.stderr.includes('\x1b['));
  const env = { ...process.env, FORCE_COLOR: '1', NO_COLOR: '1' };
  const r2 = spawnSync('node', [VU, 'layers'], { env, encoding: 'utf8' });
  t.false(r2.stdout.includes('\x1b['));
  const r3 = spawnSync('node', [VU, 'layers'], { env: { ...process.env, FORCE_COLOR: '1' }, encoding: 'utf8' });
  t.true(r3.stdout.includes('\x1b['));
});

test('vu check prints the resolved stack with absolute paths', (t) => {
  const dir = tmpdir();
  writeFileSync(join(dir, 'data.txt'), 'x');
  const file = writeConfig({ intercept: 'libc', layers: [{ type: 'remap', map: { '/etc/passwd': 'data.txt' } }] }, dir);
  const r = vu(['check'], dir);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, `${file}: ok, intercept libc, 1 layer\n  1. remap\n       map: {"/etc/passwd":"${join(dir, 'data.txt')}"}\n`);
});

test('vu check with no config anywhere says how to make one', (t) => {
  const r = vu(['check'], '/');
  t.is(r.status, 1);
  t.regex(r.stderr, /vu init/);
});

test('vu init writes a starter vu.json that checks and runs', (t) => {
  const dir = tmpdir();
  const r = vu(['init'], dir);
  t.is(r.status, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(dir, 'vu.json'), 'utf8')) as { $schema: string };
  t.true(existsSync(resolve(dir, cfg.$schema)), 'the $schema path resolves');
  t.is(vu(['check'], dir).status, 0);
  t.is(vu(['run', '--', 'cat', '/etc/passwd'], dir).stdout, host);
  const again = vu(['init'], dir);
  t.is(again.status, 1);
  t.regex(again.stderr, /exists; use --force/);
  t.is(vu(['init', '--force'], dir).status, 0);
});

test('vu layers lists every layer with options, and --json', (t) => {
  const r = vu(['layers']);
  t.is(r.status, 0);
  t.regex(r.stdout, /^remap -- /m);
  t.regex(r.stdout, /map\s+path_map\s+required/);
  t.regex(r.stdout, /example: \{"type":"remap","map":\{"\/etc\/passwd":"\/etc\/hostname"\}\}/);
  const j = JSON.parse(vu(['layers', '--json', 'remap']).stdout) as Array<{ name: string }>;
  t.deepEqual(j.map((m) => m.name), ['remap']);
  const bad = vu(['layers', 'nope']);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /unknown layer type nope \(known: /);
});

test('vu run --layer adds a layer; relative paths are from the current folder', (t) => {
  const dir = tmpdir();
  writeFileSync(join(dir, 'data.txt'), 'from the command line\n');
  const r = vu(['run', '--layer', '{"type":"remap","map":{"/etc/passwd":"data.txt"}}', '--', 'cat', '/etc/passwd'], dir);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'from the command line\n');
  const bad = vu(['run', '--layer', '{"type":"remap","map":{"/etc/passwd":"missing.txt"}}', '--', 'true'], dir);
  t.is(bad.status, 125);
  t.regex(bad.stderr, /missing\.txt: No such file or directory/);
});

test('vu run: the configs it writes for --layer are kept by content, and those unused for a week go', (t) => {
  const dir = join(osTmpdir(), `vu-${process.getuid?.() ?? 'u'}`);
  mkdirSync(dir, { recursive: true });
  const old = join(dir, 'run-00000000deadbeef.json');
  const recent = join(dir, 'run-00000000feedface.json');
  const other = join(dir, 'not-a-run-config.json');
  for (const f of [old, recent, other]) writeFileSync(f, '{}\n');
  const eightDays = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
  utimesSync(old, eightDays, eightDays);
  utimesSync(other, eightDays, eightDays);
  const r = vu(['run', '--layer', '{"type":"uname","nodename":"kept"}', '--', 'uname', '-n']);
  t.is(r.stdout, 'kept\n', r.stderr);
  t.false(existsSync(old), 'a config no run used for 8 days is gone');
  t.true(existsSync(recent), 'a recent one stays');
  t.true(existsSync(other), 'files vu run did not write stay');
  rmSync(recent, { force: true });
  rmSync(other, { force: true });
});

test('vu run: an error in a --layer names that --layer (its number and text), not the file vu run writes', (t) => {
  const dir = tmpdir();
  const r = vu(['run', '--trace', join(dir, 't.jsonl'), '--layer', '{"type":"hide","paths":["/x"]}', '--layer', '{"type":"remap","mapp":{}}', '--', 'true'], dir);
  t.is(r.status, 125);
  t.regex(r.stderr, /^vu: --layer 2 \{"type":"remap","mapp":\{\}\}: unknown option "mapp" for layer remap \(did you mean "map"\?\)/m);
  t.regex(r.stderr, /^vu: --layer 2 .*: layer remap needs option "map"$/m);
  t.notRegex(r.stderr, /run-[0-9a-f]+\.json/);
  const typo = vu(['run', '--layer', '{"type":"remapp"}', '--', 'true'], dir);
  t.regex(typo.stderr, /^vu: --layer 1 \{"type":"remapp"\}: unknown layer type "remapp" \(did you mean "remap"\?\)/m);
});

test('vu run runs a static binary through vu\'s loader (vu-static), virtualized', (t) => {
  const dir = tmpdir();
  const src = join(dir, 's.c');
  writeFileSync(src, '#include <stdio.h>\nint main(int c, char **v){FILE *f = fopen("/etc/passwd", "r"); char b[256] = {0}; fread(b, 1, 255, f); printf("%s|%s", v[0], b); return 7;}\n');
  const exe = join(dir, 'static-prog');
  const cc = spawnSync('gcc', ['-static', '-o', exe, src], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);
  const r = vu(['run', '-c', seedConfig(), '--', exe]);
  t.is(r.status, 7, r.stderr);
  t.is(r.stdout, `${exe}|${readFileSync('/etc/hostname', 'utf8')}`);
});

test('vu run refuses a set-user-ID program of another user', (t) => {
  const dir = tmpdir();
  const exe = join(dir, 'suid-true');
  copyFileSync('/bin/true', exe);
  chownSync(exe, 65534, 65534);
  chmodSync(exe, 0o4755);
  const r = vu(['run', '-c', seedConfig(), '--', exe]);
  t.is(r.status, 125);
  t.regex(r.stderr, /set-user-ID or set-group-ID: the loader runs it in secure-execution mode/);
});

test('vu run follows #! to the interpreter', (t) => {
  const dir = tmpdir();
  const script = join(dir, 'script');
  writeFileSync(script, '#!/bin/sh\ncat /etc/passwd\n', { mode: 0o755 });
  const r = vu(['run', '-c', seedConfig(), '--', script]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, host);
});

test('vu trace summary: errors for a missing file', (t) => {
  const r = vu(['trace', 'summary', '/nonexistent.jsonl']);
  t.is(r.status, 1);
  t.regex(r.stderr, /no such file/);
});

test('vu trace summary: a trace in the "strace" format, written by a real run, is read; a file that is no trace is refused (exit 1)', (t) => {
  const dir = tmpdir();
  const out = join(dir, 't.txt');
  const config = writeConfig({ layers: [{ type: 'trace', output: out, format: 'strace' }] }, dir);
  const r0 = spawnSync('sh', ['-c', 'cat /etc/hostname /nonexistent; true'], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: LIB, VU_CONFIG: config } });
  t.is(r0.status, 0, r0.stderr);
  const r = vu(['trace', 'summary', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /\bopenat\b/);
  t.regex(r.stdout, /\d+ process(es)?, \d+ calls, 0 through SUD traps\n/);
  t.notRegex(r.stdout, /unreadable/);
  t.regex(r.stdout, /1\s+\/nonexistent/);
  const j = JSON.parse(vu(['trace', 'summary', out, '--json']).stdout) as { calls: number; syscalls: Array<{ name: string; errors: number }> };
  t.true(j.calls > 5);
  t.true((j.syscalls.find((s) => s.name === 'openat')?.errors ?? 0) >= 1);
  writeFileSync(join(dir, 'junk'), 'hello\nworld\n');
  const bad = vu(['trace', 'summary', join(dir, 'junk')]);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /not a vu trace: none of its 2 lines are a trace line/);
});

test('vu trace summary counts calls, errors, SUD traps and paths', (t) => {
  const dir = tmpdir();
  const f = join(dir, 't.jsonl');
  const lines = [
    { pid: 1, tid: 1, name: 'openat', src: 'libc', dur_us: 4, args: { dfd: 'AT_FDCWD', filename: '/etc/passwd' }, ret: 3 },
    { pid: 1, tid: 1, name: 'openat', src: 'sud', dur_us: 6, args: { dfd: 'AT_FDCWD', filename: '/nope' }, ret: -1, errno: 'ENOENT' },
    { pid: 2, tid: 2, name: 'read', src: 'libc', dur_us: 1, args: { fd: 3 }, ret: 10 },
  ];
  writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n');
  const r = vu(['trace', 'summary', f]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /\s2\s+1\s+1\s+openat/);
  t.regex(r.stdout, /2 processes, 3 calls, 1 through SUD traps, 1 unreadable line/);
  t.regex(r.stdout, /1\s+\/etc\/passwd/);
  const j = JSON.parse(vu(['trace', 'summary', f, '--json']).stdout) as { calls: number; sud: number; syscalls: Array<{ name: string; errors: number }> };
  t.is(j.calls, 3);
  t.is(j.sud, 1);
  t.is(j.syscalls.find((s) => s.name === 'openat')?.errors, 1);
});
