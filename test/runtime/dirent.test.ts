/**
 * vu's own dirent family (runtime/libc/dirent.c) keeps glibc's contract:
 * fdopendir checks and sets what glibc's does, in its order -- fstat
 * (ENOTDIR), F_GETFL, and F_SETFD FD_CLOEXEC on the descriptor it was
 * given (without it, descriptors of directories a program walked leaked
 * into the programs it ran; a trace of find missed those calls).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const P = probe('fdopendir');

for (const intercept of ['all', 'libc']) {
  test(`fdopendir under vu ("${intercept}") behaves as glibc's: ENOTDIR, close-on-exec set, O_PATH accepted`, (t) => {
    const native = run(P, [], { vu: false });
    t.is(native.stdout.split('\n')[0], 'dir: cloexec 1, entries>0 1, errno 0');
    const config = writeConfig({ intercept, layers: [{ type: 'remap', map: { '/etc/nonexist': '/etc/hostname' } }] });
    const r = run(P, [], { config });
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout, native.stdout);
  });
}

test('fdopendir: a trace shows its fcntl(F_SETFD, FD_CLOEXEC), as strace does natively', (t) => {
  const out = join(tmpdir(), 'trace.jsonl');
  const config = writeConfig({ layers: [{ type: 'trace', output: out }] });
  const r = run(P, [], { config });
  t.is(r.status, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l: string) => JSON.parse(l));
  const setfd = lines.filter((l: { name: string; args: { cmd?: string } }) => l.name === 'fcntl' && l.args.cmd === 'F_SETFD');
  t.is(setfd.length, 3);	// dir, opath, dir-cloexec (the file fails fstat's check first)
});

test('fopen (vu\'s, on glibc\'s fdopen): a trace shows its openat and, as natively, no fcntl(F_GETFL) on the stream\'s descriptor', (t) => {
  const out = join(tmpdir(), 'trace.jsonl');
  const config = writeConfig({ layers: [{ type: 'trace', output: out }] });
  const r = run('sed', ['-n', '1p', '/etc/hostname'], { config });	// GNU sed: ck_fopen
  t.is(r.status, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l: string) => JSON.parse(l));
  const open = lines.find((l: { name: string; args: { filename?: string } }) => l.name === 'openat' && l.args.filename === '/etc/hostname');
  t.truthy(open);
  t.false(lines.some((l: { name: string; args: { fd?: number; cmd?: string } }) => l.name === 'fcntl' && l.args.fd === open.ret && l.args.cmd === 'F_GETFL'));
  const native = run('strace', ['-f', '-e', 'trace=fcntl', 'sed', '-n', '1p', '/etc/hostname'], { vu: false });
  t.notRegex(native.stderr, /F_GETFL/);
});
