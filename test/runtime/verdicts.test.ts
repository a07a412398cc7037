/**
 * The verdict cache (runtime/core/verdict.c) under real programs: one
 * process (bash, python) asks the same path again and again -- open,
 * stat, lstat, access, readlink -- relative to a working directory that
 * cd, os.chdir and os.fchdir move, and through a folder it swaps for a
 * symlink; the answers must be those of the same program natively, with
 * the remap applied (the model), in both modes, with the cache on and off
 * (VU_VERDICT_CACHE=0), and VU_STATS must show the cache answering.
 */
import test from 'ava';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const MODES = ['libc', 'all'] as const;

/** root/a/x "A", root/b/x "B", root/t "T" (the remap target of root/a/x) */
function tree(): string {
  const root = realpathSync(tmpdir('vu-verdicts-'));
  for (const d of ['a', 'b']) mkdirSync(join(root, d));
  writeFileSync(join(root, 'a/x'), 'A\n');
  writeFileSync(join(root, 'b/x'), 'B\n');
  writeFileSync(join(root, 't'), 'T\n');
  return root;
}

// every call kind of one path argument the cache serves, relative and
// absolute, from three working directories, three times over, then with
// a swapped for a symlink to b and back
const PY = `
import os, sys
root = sys.argv[1]
def ask(tag, p):
    out = []
    try:
        with open(p) as f: out.append(f.read().strip())
    except OSError as e: out.append(e.strerror)
    try: out.append(str(os.stat(p).st_size))
    except OSError as e: out.append(e.strerror)
    try: out.append(str(os.lstat(p).st_size))
    except OSError as e: out.append(e.strerror)
    out.append(str(os.access(p, os.R_OK)))
    try: out.append(os.readlink(p))
    except OSError as e: out.append(e.strerror)
    print(tag, p, ' '.join(out))
for rnd in range(3):
    for d in ('a', 'b', ''):
        os.chdir(os.path.join(root, d))
        ask(f'{rnd} cd {d}', 'x'); ask(f'{rnd} cd {d}', root + '/a/x')
    fd = os.open(os.path.join(root, 'a'), os.O_RDONLY)
    os.chdir(root); ask(f'{rnd} cd ', 'x'); os.fchdir(fd); os.close(fd)
    ask(f'{rnd} fchdir a', 'x')
    os.chdir(root + '/b'); ask(f'{rnd} cd b', 'x')
os.chdir(root)
for rnd in range(2):
    ask(f'{rnd} before swap', 'a/x')
os.rename('a', 'a0'); os.symlink('b', 'a')
for rnd in range(2):
    ask(f'{rnd} swapped', 'a/x'); ask(f'{rnd} swapped', root + '/a/x')
os.unlink('a'); os.rename('a0', 'a')
for rnd in range(2):
    ask(f'{rnd} back', 'a/x')
`;

const SH = 'for i in 1 2 3; do cd "$1/a"; read l < x; echo "a $l"; cd ../b; read l < x; echo "b $l"; cd ..; read l < a/x; echo "root $l"; done';

for (const mode of MODES) {
  test(`${mode}: python and bash asking one path again and again get the remap's answers across chdir, fchdir and a folder swapped for a symlink, the cache on and off`, (t) => {
    const native = tree();
    const T = tree();
    const script = join(T, 'ask.py');
    writeFileSync(script, PY);
    const nat = run('python3', [script, native], { vu: false });
    t.is(nat.status, 0, nat.stderr);
    const natSh = run('bash', ['-c', SH, 'sh', native], { vu: false });
    t.is(natSh.status, 0, natSh.stderr);
    // the model: natively, with root/a/x (lexically: remap follows no
    // symlink, so not a0/x, and a/x through the symlink is a/x still)
    // reading as t; stat sizes are 2 either way
    const model = (out: string, root: string) => out.split(native).join(root)
      .split('\n').map((l) => {
        const m = /^(\d+ )(cd a|cd b|cd |fchdir a|before swap|swapped|back) (\S+) (.*)$/.exec(l);
        if (!m) return l;
        const [, rnd, where, p, rest] = m;
        const abs = p.startsWith('/') ? p : join(T, where.startsWith('cd ') || where.startsWith('fchdir') ? where.replace(/^(cd|fchdir) ?/, '') : '', p);
        return abs === join(T, 'a/x') ? `${rnd}${where} ${p} ${rest.replace(/^[AB] /, 'T ')}` : l;
      }).join('\n');
    const cfg = writeConfig({ intercept: mode, layers: [{ type: 'remap', map: { [join(T, 'a/x')]: join(T, 't') } }] });
    for (const cache of ['1', '0']) {
      const stats = join(tmpdir(), 'stats.jsonl');
      const py = run('python3', [script, T], { config: cfg, env: { VU_VERDICT_CACHE: cache, VU_STATS: stats } });
      t.is(py.status, 0, py.stderr);
      t.is(py.stdout, model(nat.stdout, T), `python, VU_VERDICT_CACHE=${cache}`);
      const cached = readFileSync(stats, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { exe: string; cached: number })
        .filter((j) => j.exe.includes('python')).reduce((a, j) => a + j.cached, 0);
      if (cache === '1') t.true(cached > 50, `python: the cache answered ${cached} calls`);
      else t.is(cached, 0, 'VU_VERDICT_CACHE=0: never answered');
      const sh = run('bash', ['-c', SH, 'sh', T], { config: cfg, env: { VU_VERDICT_CACHE: cache } });
      t.is(sh.status, 0, sh.stderr);
      t.is(sh.stdout, natSh.stdout.replace(/^a A$/gm, 'a T').replace(/^root A$/gm, 'root T'), `bash, VU_VERDICT_CACHE=${cache}`);
    }
  });
}

// 8 threads asking 600 paths in turn (more than the cache's 256 slots: slots
// rewritten while others read them), half of them remapped, while a thread
// makes and removes a file (every entry forgotten, again and again): each
// answer is the model's, in both modes, from the wrapper's hit path
for (const mode of MODES) {
  test(`${mode}: 8 threads asking 600 paths at once, the cache rewritten and forgotten under them, get every answer right`, (t) => {
    const root = realpathSync(tmpdir('vu-vcstorm-'));
    const map: Record<string, string> = {};
    for (let i = 0; i <= 600; i++) {
      writeFileSync(join(root, `f${i}`), `${i}\n`);
      if (i & 1) map[join(root, `a${i}`)] = join(root, `f${i + 1}`);
    }
    const config = writeConfig({ intercept: mode, layers: [{ type: 'remap', map }] });
    for (const cache of ['1', '0']) {
      const r = run(probe('vcstorm'), [root, '8', '600', '20'], { config, env: { VU_VERDICT_CACHE: cache }, timeout: 120_000 });
      t.is(r.stdout, `right ${8 * 600 * 20} wrong 0 failed 0\n`, `${mode}, VU_VERDICT_CACHE=${cache}: ${r.stderr}`);
      t.is(r.status, 0);
    }
  });
}

// fstat(fd) is newfstatat(fd, "", AT_EMPTY_PATH): the descriptor is the
// question, its number in the key. Descriptors reused for other files
// (closed and opened again: the same number), dup'ed, opened on a remapped
// path: every answer is the kernel's for the file open now, the cache on
// and off, under four layers that all answer purely; and the cache answers.
const FSTAT_PY = `
import os, sys
root = sys.argv[1]
names = ['s1', 's22', 's333', 'a/x', 'r/big']
for rnd in range(40):
    for n in names:
        fd = os.open(os.path.join(root, n), os.O_RDONLY)
        d = os.dup(fd)
        print(rnd, n, fd - 3, os.fstat(fd).st_size, os.stat(d).st_size, os.fstat(d).st_ino == os.fstat(fd).st_ino)
        os.close(d); os.close(fd)
`;
for (const mode of MODES) {
  test(`${mode}: fstat of descriptors reused for other files gets each file's answer, the cache on and off`, (t) => {
    const setup = () => {
      const root = tree();
      writeFileSync(join(root, 's1'), '1');
      writeFileSync(join(root, 's22'), '22');
      writeFileSync(join(root, 's333'), '333');
      mkdirSync(join(root, 'r'));
      writeFileSync(join(root, 'r/big'), 'x'.repeat(5000));
      writeFileSync(join(root, 'hidden'), 'h');
      return root;
    };
    const native = setup();
    const nat = run('python3', ['-c', FSTAT_PY, native], { vu: false });
    t.is(nat.status, 0, nat.stderr);
    const T = setup();
    const cfg = writeConfig({ intercept: mode, layers: [
      { type: 'readonly', paths: [join(T, 'r')] },
      { type: 'hide', paths: [join(T, 'hidden')] },
      { type: 'remap', map: { [join(T, 'a/x')]: join(T, 't') } },
    ] });
    // natively a/x is "A\\n" and t "T\\n": the same size, another inode
    for (const cache of ['1', '0']) {
      const stats = join(tmpdir(), 'stats.jsonl');
      const r = run('python3', ['-c', FSTAT_PY, T], { config: cfg, env: { VU_VERDICT_CACHE: cache, VU_STATS: stats } });
      t.is(r.status, 0, r.stderr);
      t.is(r.stdout, nat.stdout, `VU_VERDICT_CACHE=${cache}`);
      const cached = readFileSync(stats, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { exe: string; cached: number })
        .filter((j) => j.exe.includes('python')).reduce((a, j) => a + j.cached, 0);
      if (cache === '1') t.true(cached > 800, `the cache answered ${cached} calls (the paths alone: ~300)`);
      else t.is(cached, 0);
    }
  });
}

// The class around fstat: every call of one path argument that names a
// descriptor by an empty path, through glibc's own functions (ctypes), on
// descriptors closed and reopened on other files: fstatat(fd, "",
// AT_EMPTY_PATH), statx(fd, "", AT_EMPTY_PATH), readlinkat(fd of a symlink,
// ""), fchownat(fd, "", AT_EMPTY_PATH) -- a write, which readonly judges by
// the object (EROFS inside its tree, every time, never remembered) -- and
// fstatat(fd, "", 0), ENOENT. Answers as natively (EROFS where the model
// says), the cache on and off, both modes.
const EMPTY_PY = `
import ctypes, os, sys
c = ctypes.CDLL(None, use_errno=True)
c.readlinkat.restype = ctypes.c_ssize_t
root = sys.argv[1]
AT_EMPTY_PATH = 0x1000
def err(r):
    return str(r) if r >= 0 else os.strerror(ctypes.get_errno())
def sb(f, off):
    b = ctypes.create_string_buffer(512); r = f(b)
    return err(r) if r < 0 else str(int.from_bytes(b.raw[off:off + 8], 'little'))
def rl(fd):
    b = ctypes.create_string_buffer(64); n = c.readlinkat(fd, b'', b, 64)
    return err(n) if n < 0 else b.raw[:n].decode()
for rnd in range(12):
    for n in ('s1', 's22', 'r/big', 'a/x'):
        fd = os.open(os.path.join(root, n), os.O_RDONLY)
        print(rnd, n, sb(lambda b: c.fstatat(fd, b'', b, AT_EMPTY_PATH), 48),
              sb(lambda b: c.statx(fd, b'', AT_EMPTY_PATH, 0x7ff, b), 40),
              sb(lambda b: c.fstatat(fd, b'', b, 0), 48),
              'chown', err(c.fchownat(fd, b'', os.getuid(), -1, AT_EMPTY_PATH)))
        os.close(fd)
    lfd = os.open(os.path.join(root, 'link'), os.O_PATH | os.O_NOFOLLOW)
    print(rnd, 'link', rl(lfd), sb(lambda b: c.fstatat(lfd, b'', b, AT_EMPTY_PATH), 48))
    os.close(lfd)
`;
for (const mode of MODES) {
  test(`${mode}: calls naming a descriptor by an empty path (fstatat, statx, readlinkat, fchownat) on reused descriptors answer as natively, readonly's EROFS every time, the cache on and off`, (t) => {
    const setup = () => {
      const root = tree();
      writeFileSync(join(root, 's1'), '1');
      writeFileSync(join(root, 's22'), '22');
      mkdirSync(join(root, 'r'));
      writeFileSync(join(root, 'r/big'), 'x'.repeat(5000));
      writeFileSync(join(root, 'hidden'), 'h');
      symlinkSync('s1', join(root, 'link'));
      return root;
    };
    const native = setup();
    const nat = run('python3', ['-c', EMPTY_PY, native], { vu: false });
    t.is(nat.status, 0, nat.stderr);
    t.regex(nat.stdout, /^0 s1 1 1 No such file or directory chown 0$/m);
    t.regex(nat.stdout, /^0 link s1 \d+$/m);
    // the model: readonly refuses the write on r/big (EROFS), nothing else
    // changes (a/x and its remap target t have the same size)
    const model = nat.stdout.replace(/^(\d+ r\/big .* chown) 0$/gm, '$1 Read-only file system');
    const T = setup();
    const cfg = writeConfig({ intercept: mode, layers: [
      { type: 'readonly', paths: [join(T, 'r')] },
      { type: 'hide', paths: [join(T, 'hidden')] },
      { type: 'remap', map: { [join(T, 'a/x')]: join(T, 't') } },
    ] });
    for (const cache of ['1', '0']) {
      const r = run('python3', ['-c', EMPTY_PY, T], { config: cfg, env: { VU_VERDICT_CACHE: cache } });
      t.is(r.status, 0, r.stderr);
      t.is(r.stdout, model, `VU_VERDICT_CACHE=${cache}`);
    }
  });
}
