/**
 * A config that is not a regular file -- a FIFO (with or without a writer),
 * a UNIX socket, a character device, a /proc file, a directory, a symlink
 * loop, a dangling symlink, a file growing while read -- is refused before
 * the program's main: "vu: FILE: not a regular file (...)" (or a precise
 * reason) and exit 125, by libvu (VU_CONFIG, or a vu.json found in the cwd)
 * and by the CLI (`vu check FILE` exits 1 with the same line, `vu run -c
 * FILE` exits 125). Nothing may block: the real expectation is well under a
 * second; the bound asserted (5 s) is only there to catch a hang without
 * being flaky.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { VU, run, tmpdir } from '../helpers.js';

const BOUND_MS = 5000;

/** A fresh folder for the program, with a marker it would create if it ran. */
function sandbox() {
  const dir = tmpdir();
  return { dir, marker: join(dir, 'ran') };
}

/** `touch MARKER` under libvu.so: with VU_CONFIG=file, or (file undefined)
 * finding vu.json in cwd. */
function underLib(file: string | undefined, cwd?: string) {
  const s = sandbox();
  const t0 = Date.now();
  const r = run('touch', [s.marker], { config: file, cwd: cwd ?? s.dir, timeout: 20_000 });
  return { ...r, ms: Date.now() - t0, ran: existsSync(s.marker) };
}

function cli(args: string[], cwd?: string) {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.VU_CONFIG;
  const t0 = Date.now();
  const r = spawnSync('node', [VU, ...args], { encoding: 'utf8', env, cwd, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** file is refused with "vu: FILE: <why>" by libvu, vu check and vu run. */
function refusedEverywhere(t: any, file: string, why: RegExp) {
  const line = (stderr: string) => stderr.split('\n')[0];
  const prefix = `vu: ${file}: `;

  const r = underLib(file);
  t.is(r.status, 125, `libvu: ${r.stderr}`);
  t.false(r.ran, 'libvu: the program must not run');
  t.true(line(r.stderr).startsWith(prefix), line(r.stderr));
  t.regex(line(r.stderr), why);
  t.regex(r.stderr, /vu: not running the program: its configuration has 1 error\n$/);
  t.true(r.ms < BOUND_MS, `libvu took ${r.ms} ms`);

  const c = cli(['check', file]);
  t.is(c.status, 1, `vu check: ${c.stderr}`);
  t.true(line(c.stderr).startsWith(prefix), line(c.stderr));
  t.regex(line(c.stderr), why);
  t.true(c.ms < BOUND_MS, `vu check took ${c.ms} ms`);

  const s = sandbox();
  const u = cli(['run', '-c', file, '--', 'touch', s.marker]);
  t.is(u.status, 125, `vu run: ${u.stderr}`);
  t.false(existsSync(s.marker), 'vu run: the program must not run');
  t.true(line(u.stderr).startsWith(prefix), line(u.stderr));
  t.regex(line(u.stderr), why);
  t.true(u.ms < BOUND_MS, `vu run took ${u.ms} ms`);
}

function mkfifo(path: string) {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}

test('config kinds: a FIFO without a writer is refused, not waited on (expect < 1 s)', (t) => {
  const fifo = join(tmpdir(), 'vu.json');
  mkfifo(fifo);
  refusedEverywhere(t, fifo, /: not a regular file \(a FIFO\)$/);
});

test('config kinds: a FIFO with a writer holding it open (and valid JSON in it) is refused (expect < 1 s)', (t) => {
  const fifo = join(tmpdir(), 'vu.json');
  mkfifo(fifo);
  const fd = openSync(fifo, 'r+'); // a writer (and reader), so an open would not block
  try {
    writeSync(fd, '{"layers": []}');
    refusedEverywhere(t, fifo, /: not a regular file \(a FIFO\)$/);
  } finally {
    closeSync(fd);
  }
});

test('config kinds: a UNIX socket is refused (expect < 1 s)', async (t) => {
  const sock = join(tmpdir(), 'vu.json');
  const server = createServer();
  await new Promise<void>((ok) => server.listen(sock, ok));
  try {
    refusedEverywhere(t, sock, /: not a regular file \(a socket\)$/);
  } finally {
    server.close();
  }
});

for (const dev of ['/dev/zero', '/dev/null', '/dev/tty']) {
  (existsSync(dev) ? test : test.skip)(`config kinds: the character device ${dev} is refused (expect < 1 s)${existsSync(dev) ? '' : ` [skipped: ${dev} does not exist here]`}`, (t) => {
    refusedEverywhere(t, dev, /: not a regular file \(a character device\)$/);
  });
}

test('config kinds: /proc/self/status (size 0, yet content) is refused (expect < 1 s)', (t) => {
  t.is(statSync('/proc/self/status').size, 0);
  refusedEverywhere(t, '/proc/self/status', /: not a regular file \(a \/proc file\)$/);
});

test('config kinds: a directory is refused (expect < 1 s)', (t) => {
  const dir = join(tmpdir(), 'vu.json');
  mkdirSync(dir);
  refusedEverywhere(t, dir, /: not a regular file \(a directory\)$/);
});

test('config kinds: a symlink loop is refused with that reason (expect < 1 s)', (t) => {
  const dir = tmpdir();
  symlinkSync('b.json', join(dir, 'a.json'));
  symlinkSync('a.json', join(dir, 'b.json'));
  refusedEverywhere(t, join(dir, 'a.json'), /: symbolic link loop \(Too many levels of symbolic links\)$/);
});

test('config kinds: a dangling symlink is refused with that reason (expect < 1 s)', (t) => {
  const dir = tmpdir();
  symlinkSync('gone.json', join(dir, 'vu.json'));
  refusedEverywhere(t, join(dir, 'vu.json'), /: dangling symbolic link \(to gone\.json, which does not exist\)$/);
});

test('config kinds: a symlink (and a chain of them) to a regular file still works', (t) => {
  const dir = tmpdir();
  writeFileSync(join(dir, 'real.json'), '{"layers": []}');
  symlinkSync('real.json', join(dir, 'link1.json'));
  symlinkSync(join(dir, 'link1.json'), join(dir, 'vu.json'));
  const r = underLib(join(dir, 'vu.json'));
  t.is(r.status, 0, r.stderr);
  t.true(r.ran);
  const c = cli(['check', join(dir, 'vu.json')]);
  t.is(c.status, 0, c.stderr);
  // found as the nearest vu.json too
  const f = underLib(undefined, dir);
  t.is(f.status, 0, f.stderr);
  t.true(f.ran);
});

test.serial('config kinds: a file growing while read is refused: changed while read (expect < 1 s)', async (t) => {
  const file = join(tmpdir(), 'vu.json');
  const head = '{"layers": []}';
  writeFileSync(file, head + ' '.repeat(600_000));
  // a writer appending blanks without pause (the JSON stays valid: only the
  // change can refuse it), cut back to 600,000 bytes before 1 MiB
  const code = `
    const fs = require('fs');
    const fd = fs.openSync(process.argv[1], 'a');
    const b = Buffer.from(' ');
    for (;;) {
      for (let i = 0; i < 4096; i++) fs.writeSync(fd, b);
      if (fs.fstatSync(fd).size > 900000) fs.ftruncateSync(fd, 600000);
    }`;
  const writer = spawn('node', ['-e', code, file], { stdio: 'ignore' });
  try {
    const start = statSync(file).size;
    for (let i = 0; i < 200 && statSync(file).size === start; i++) await new Promise((ok) => setTimeout(ok, 25));
    t.not(statSync(file).size, start, 'the writer is writing');
    refusedEverywhere(t, file, /: changed while read \((it grew past its \d+ bytes|it shrank from \d+ to \d+ bytes|its size or time changed|it is still being written)\)$/);
  } finally {
    writer.kill('SIGKILL');
  }
});

test('config kinds: a FIFO, a socket or a dangling symlink named vu.json in the cwd is refused, not waited on or skipped (expect < 1 s)', async (t) => {
  const kinds: Array<[string, (p: string) => unknown, RegExp]> = [
    ['FIFO', (p) => mkfifo(p), /: not a regular file \(a FIFO\)$/],
    ['directory', (p) => mkdirSync(p), /: not a regular file \(a directory\)$/],
    ['dangling symlink', (p) => symlinkSync('nowhere.json', p), /: dangling symbolic link/],
  ];
  for (const [kind, make, why] of kinds) {
    const dir = tmpdir();
    const file = join(dir, 'vu.json');
    make(file);
    const work = join(dir, 'sub');
    mkdirSync(work);
    // libvu, from a subfolder: the nearest vu.json upward
    const r = underLib(undefined, work);
    t.is(r.status, 125, `${kind}: ${r.stderr}`);
    t.false(r.ran, `${kind}: the program must not run`);
    const first = r.stderr.split('\n')[0];
    t.true(first.startsWith(`vu: ${file}: `), first);
    t.regex(first, why);
    t.true(r.ms < BOUND_MS, `${kind}: libvu took ${r.ms} ms`);
    // the CLI finds the same file and says the same
    const c = cli(['check'], work);
    t.is(c.status, 1, `${kind}: ${c.stderr}`);
    t.is(c.stderr.split('\n')[0], first);
    const marker = join(dir, 'ran-cli');
    const u = cli(['run', '--', 'touch', marker], work);
    t.is(u.status, 125, `${kind}: ${u.stderr}`);
    t.false(existsSync(marker));
    t.is(u.stderr.split('\n')[0], first);
    t.true(c.ms < BOUND_MS && u.ms < BOUND_MS, `${kind}: ${c.ms} / ${u.ms} ms`);
  }
});
