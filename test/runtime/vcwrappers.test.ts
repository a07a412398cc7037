/**
 * Every libc wrapper that asks the verdict cache before it builds a call
 * (generated-c/vu_libc.c: a vu_vc_hit block; generator/model.ts says which)
 * answers a repeated call as the first one, and as glibc answers the same
 * call on the remap's target natively: each is called three times through
 * its own symbol (python's ctypes), with an absolute and a relative name,
 * in both modes, the cache on and off. The list of wrappers is read from
 * the generated file, so a wrapper that gains a hit path without a case
 * here fails the test.
 */
import test from 'ava';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run, tmpdir, writeConfig } from '../helpers.js';

/** name -> python expression of one call, on path p (bytes) */
const CALLS: Record<string, string> = {
  access: 'c.access(p, 4)',
  faccessat: 'c.faccessat(-100, p, 4, 0)',
  truncate: 'c.truncate(p, 5)',
  truncate64: 'c.truncate64(p, 5)',
  creat: 'fdres(c.creat(p, 0o644))',
  creat64: 'fdres(c.creat64(p, 0o644))',
  readlink: 'rl(lambda b: c.readlink(q, b, 64))',
  readlinkat: 'rl(lambda b: c.readlinkat(-100, q, b, 64))',
  chmod: 'c.chmod(p, 0o644)',
  chown: 'c.chown(p, -1, -1)',
  lchown: 'c.lchown(p, -1, -1)',
  fchownat: 'c.fchownat(-100, p, -1, -1, 0)',
  statfs: 'sb(lambda b: c.statfs(p, b), 0)',
  statfs64: 'sb(lambda b: c.statfs64(p, b), 0)',
  listxattr: 'c.listxattr(p, None, 0)',
  llistxattr: 'c.llistxattr(p, None, 0)',
  inotify_add_watch: 'c.inotify_add_watch(ino, p, 0x20)',
  open: 'rd(c.open(p, 0))',
  open64: 'rd(c.open64(p, 0))',
  __open_2: 'rd(c.__open_2(p, 0))',
  __open64_2: 'rd(c.__open64_2(p, 0))',
  openat: 'rd(c.openat(-100, p, 0))',
  openat64: 'rd(c.openat64(-100, p, 0))',
  __openat_2: 'rd(c.__openat_2(-100, p, 0))',
  __openat64_2: 'rd(c.__openat64_2(-100, p, 0))',
  stat: 'sb(lambda b: c.stat(p, b), 8)',
  stat64: 'sb(lambda b: c.stat64(p, b), 8)',
  lstat: 'sb(lambda b: c.lstat(q, b), 8)',
  lstat64: 'sb(lambda b: c.lstat64(q, b), 8)',
  fstatat: 'sb(lambda b: c.fstatat(-100, p, b, 0), 8)',
  fstatat64: 'sb(lambda b: c.fstatat64(-100, p, b, 0), 8)',
  statx: 'sb(lambda b: c.statx(-100, p, 0, 0x7ff, b), 32)',
  // the path fixed by the function (newfstatat(fd, "", AT_EMPTY_PATH)): a
  // descriptor opened on p, the same one for the three calls
  fstat: 'sb(lambda b: c.fstat(fdof(p), b), 8)',
  fstat64: 'sb(lambda b: c.fstat64(fdof(p), b), 8)',
};

/** the wrappers with a hit path, from the generated file */
function hitWrappers(): string[] {
  const text = readFileSync(join(ROOT, 'generated-c', 'vu_libc.c'), 'utf8');
  const out: string[] = [];
  let fn = '';
  for (const line of text.split('\n')) {
    const m = /^(?:static __attribute__\(\(noinline\)\) VU_NO_ASAN|VU_EXPORT) .*?\b(?:vu_slow_)?([a-z_0-9]+)\(/.exec(line);
    if (m) fn = m[1];
    if (/vu_vc_hit\(VU_NR/.test(line)) out.push(fn);
  }
  return out;
}

const PY = `
import ctypes, os, sys
c = ctypes.CDLL(None, use_errno=True)
c.readlink.restype = c.readlinkat.restype = c.listxattr.restype = c.llistxattr.restype = ctypes.c_ssize_t
ino = os.inotify_init() if hasattr(os, 'inotify_init') else c.inotify_init()
def err(r):
    return r if r >= 0 else os.strerror(ctypes.get_errno())
def fdres(fd):
    if fd < 0: return err(fd)
    os.close(fd); return 'fd'
def rd(fd):
    if fd < 0: return err(fd)
    s = os.read(fd, 64).decode(); os.close(fd); return s.strip()
def rl(f):
    b = ctypes.create_string_buffer(64); n = f(b); return err(n) if n < 0 else b.raw[:n].decode()
fds = {}
def fdof(p):
    if p not in fds: fds[p] = os.open(p, 0)
    return fds[p]
def sb(f, off):
    b = ctypes.create_string_buffer(512); r = f(b)
    return err(r) if r < 0 else int.from_bytes(b.raw[off:off + 8], 'little')
for name, expr, p, q in zip(sys.argv[1::4], sys.argv[2::4], sys.argv[3::4], sys.argv[4::4]):
    p, q = p.encode(), q.encode()
    out = []
    for _ in range(3):
        ctypes.set_errno(0)
        out.append(str(eval(expr)))
    print(name, ' '.join(out))
`;

test('every wrapper with a hit path has a case here', (t) => {
  t.deepEqual(hitWrappers().sort(), Object.keys(CALLS).sort());
});

for (const mode of ['libc', 'all'] as const) {
  test(`${mode}: every wrapper with a hit path answers three identical calls as glibc does on the remap's target, by absolute and relative name, the cache on and off`, (t) => {
    const root = realpathSync(tmpdir('vu-vcwrap-'));
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd/target'), 'TARGET\n');
    symlinkSync('target', join(root, 'd/link'));
    const config = writeConfig({
      intercept: mode,
      layers: [{ type: 'remap', map: { [join(root, 'alias')]: join(root, 'd/target'), [join(root, 'lalias')]: join(root, 'd/link') } }],
    });
    const names = Object.keys(CALLS);
    const args = (p: string, q: string) => names.flatMap((n) => [n, CALLS[n], p, q]);
    const native = run('python3', ['-c', PY, ...args(join(root, 'd/target'), join(root, 'd/link'))], { vu: false, cwd: root });
    t.is(native.status, 0, native.stderr);
    t.is(native.stdout.split('\n').filter(Boolean).length, names.length);
    for (const cache of ['1', '0']) {
      for (const [p, q] of [[join(root, 'alias'), join(root, 'lalias')], ['alias', 'lalias']]) {
        const r = run('python3', ['-c', PY, ...args(p, q)], { config, cwd: root, env: { VU_VERDICT_CACHE: cache } });
        t.is(r.status, 0, r.stderr);
        t.is(r.stdout, native.stdout, `${mode}, VU_VERDICT_CACHE=${cache}, ${p}`);
      }
    }
  });
}
