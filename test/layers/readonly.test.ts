/**
 * The readonly layer: under its paths every change fails as on a read-only
 * bind mount (EROFS, in the kernel's order of errors) and the tree is left
 * exactly as it was; reads work as natively. Where this machine lets us
 * (root, unshare -m), each command also runs natively under a real
 * read-only bind mount of the same tree, and vu must say the same.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, RunOpts, Result, tmpdir, writeConfig } from '../helpers.js';

/* ---- a tree to protect ---- */

interface Tree { base: string; T: string; O: string; config: string }

const gitEnv = {
  GIT_AUTHOR_NAME: 'vu', GIT_AUTHOR_EMAIL: 'vu@example.invalid',
  GIT_COMMITTER_NAME: 'vu', GIT_COMMITTER_EMAIL: 'vu@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent',
};

function sh(script: string, args: string[] = []): void {
  const r = spawnSync('sh', ['-ec', script, 'sh', ...args], { encoding: 'utf8', env: { ...process.env, ...gitEnv } });
  if (r.status !== 0) throw new Error(`setup failed: ${r.stderr}`);
}

/** T: the tree (file, dir/inner, empty/, link, dangling, fifo, out -> O, a git repo); O beside it. */
function makeTree(opts: { git?: boolean } = {}): Tree {
  const base = tmpdir('vu-ro-');
  const T = join(base, 'T');
  const O = join(base, 'O');
  sh(`mkdir -p "$1/dir" "$1/empty" "$2"
      echo hello > "$1/file"; echo inner > "$1/dir/inner"
      ln -s file "$1/link"; ln -s nosuch "$1/dangling"; mkfifo "$1/fifo"
      ln -s "$2/made" "$1/out"
      echo x > "$2/x"; ln -s "$1/file" "$2/tolink"; ln -s "$1/newfile" "$2/todangle"`, [T, O]);
  if (opts.git) {
    sh(`git init -q "$1/repo"; echo a > "$1/repo/a"; git -C "$1/repo" add a; git -C "$1/repo" commit -qm init`, [T]);
  }
  const config = writeConfig({ layers: [{ type: 'readonly', paths: [T] }] }, base);
  return { base, T, O, config };
}

/** Everything about a tree that a change could touch: names, types,
 * modes, owners, link counts, sizes, mtime and ctime in ns, symlink
 * targets, xattrs and a SHA-256 of every file's bytes. */
const MANIFEST = `
import hashlib, os, stat, sys
root = sys.argv[1]
def line(p):
    st = os.lstat(p)
    f = [os.path.relpath(p, root), oct(st.st_mode), st.st_uid, st.st_gid, st.st_nlink, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    if stat.S_ISLNK(st.st_mode): f.append(os.readlink(p))
    if stat.S_ISREG(st.st_mode): f.append(hashlib.sha256(open(p, 'rb').read()).hexdigest())
    if not stat.S_ISLNK(st.st_mode):
        f.append(sorted((n, os.getxattr(p, n)) for n in os.listxattr(p)))
    return ' '.join(map(str, f))
out = [line(root)]
for dp, dns, fns in os.walk(root):
    for n in dns + fns: out.append(line(os.path.join(dp, n)))
out.sort()
print('\\n'.join(out))
print(hashlib.sha256('\\n'.join(out).encode()).hexdigest())
`;

function manifest(dir: string): string {
  const r = spawnSync('python3', ['-c', MANIFEST, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/* ---- native runs under a real read-only bind mount ---- */

const canMount = (() => {
  const d = tmpdir('vu-ro-probe-');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && ! touch "$0/x" 2>/dev/null', d]);
  return r.status === 0;
})();
const native = canMount ? test : test.skip;

/** cmd run natively with T bind-mounted read-only onto itself. */
function runRoMount(T: string, cmd: string, args: string[], o: RunOpts = {}): Result {
  return run('unshare', ['-m', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', T, cmd, ...args], { ...o, vu: false });
}

/* ---- every change fails and the tree stays as it was ---- */

type Cmd = (T: string, O: string) => [string, string[]];
const py = (code: string): Cmd => (T) => ['python3', ['-c', `import os, shutil; T = ${JSON.stringify(T)}\n${code}`]];

const changes: Array<[string, Cmd]> = [
  ['rm', (T) => ['rm', [`${T}/file`]]],
  ['rm -r', (T) => ['rm', ['-r', `${T}/dir`]]],
  ['rm -rf of the whole tree', (T) => ['rm', ['-rf', T]]],
  ['mv inside the tree', (T) => ['mv', [`${T}/file`, `${T}/file2`]]],
  ['mv out of the tree', (T, O) => ['mv', [`${T}/file`, O]]],
  ['mv into the tree', (T, O) => ['mv', [`${O}/x`, T]]],
  ['cp into the tree', (T, O) => ['cp', [`${O}/x`, `${T}/`]]],
  ['cp over a file', (T, O) => ['cp', [`${O}/x`, `${T}/file`]]],
  ['cp -r into the tree', (T, O) => ['cp', ['-r', O, `${T}/`]]],
  ['touch of a file', (T) => ['touch', [`${T}/file`]]],
  ['touch of a new file', (T) => ['touch', [`${T}/new`]]],
  ['echo >', (T) => ['bash', ['-c', `echo hi > ${T}/file`]]],
  ['echo >>', (T) => ['bash', ['-c', `echo hi >> ${T}/file`]]],
  ['echo > new file', (T) => ['bash', ['-c', `echo hi > ${T}/new`]]],
  ['mkdir', (T) => ['mkdir', [`${T}/newdir`]]],
  ['mkdir -p', (T) => ['mkdir', ['-p', `${T}/a/b/c`]]],
  ['rmdir', (T) => ['rmdir', [`${T}/empty`]]],
  ['chmod', (T) => ['chmod', ['600', `${T}/file`]]],
  ['chmod -R', (T) => ['chmod', ['-R', 'go-rwx', T]]],
  ['chown', (T) => ['chown', ['1:1', `${T}/file`]]],
  ['chown -h of a symlink', (T) => ['chown', ['-h', '1:1', `${T}/link`]]],
  ['truncate', (T) => ['truncate', ['-s', '0', `${T}/file`]]],
  ['ln', (T) => ['ln', [`${T}/file`, `${T}/hardlink`]]],
  ['ln -s', (T) => ['ln', ['-s', 'file', `${T}/symlink`]]],
  ['ln -sf over a file', (T) => ['ln', ['-sf', 'file', `${T}/dir/inner`]]],
  ['python3 open(p, "w")', py(`open(T + '/file', 'w')`)],
  ['python3 open(p, "a")', py(`open(T + '/file', 'a')`)],
  ['python3 open(new, "x")', py(`open(T + '/new', 'x')`)],
  ['python3 os.rename', py(`os.rename(T + '/file', T + '/f2')`)],
  ['python3 os.setxattr', py(`os.setxattr(T + '/file', 'user.vu', b'1')`)],
  ['python3 os.utime', py(`os.utime(T + '/file', (0, 0))`)],
  ['python3 shutil.rmtree', py(`shutil.rmtree(T + '/dir')`)],
  ['git commit', (T) => ['git', ['-C', `${T}/repo`, 'commit', '--allow-empty', '-qm', 'more']]],
  ['git add', (T) => ['bash', ['-c', `cd ${T}/repo && git add -A && git status --short`]]],
  ['dd of=', (T) => ['dd', ['if=/dev/zero', `of=${T}/file`, 'bs=1', 'count=1', 'status=none']]],
  ['sed -i', (T) => ['sed', ['-i', 's/hello/bye/', `${T}/file`]]],
  ['tar x into the tree', (T, O) => ['bash', ['-c', `tar cf - -C ${O} x | tar xf - -C ${T}`]]],
];
const hasSetfattr = spawnSync('sh', ['-c', 'command -v setfattr']).status === 0;
if (hasSetfattr) changes.push(['setfattr', (T) => ['setfattr', ['-n', 'user.vu', '-v', '1', `${T}/file`]]]);
else test.todo('readonly: setfattr (install Debian\'s attr package to run this one)');

for (const [title, cmd] of changes) {
  test(`readonly: ${title} fails with EROFS and the tree is unchanged`, (t) => {
    const tr = makeTree({ git: title.startsWith('git') });
    const [c, args] = cmd(tr.T, tr.O);
    const before = manifest(tr.T);
    const r = run(c, args, { config: tr.config, env: gitEnv, cwd: tr.base });
    t.not(r.status, 0, r.stderr);
    t.regex(r.stderr + r.stdout, /Read-only file system|Errno 30|EROFS/);
    t.is(manifest(tr.T), before);
    if (canMount) {
      // the same words and status as under a real read-only bind mount
      const tn = makeTree({ git: title.startsWith('git') });
      const [cn, argsn] = cmd(tn.T, tn.O);
      const m = runRoMount(tn.T, cn, argsn, { env: gitEnv, cwd: tn.base });
      t.is(r.status, m.status);
      const words = (s: string, base: string) => s.replaceAll(base, 'BASE').replace(/\/sed\w{6}/g, '/sedXXXXXX');
      t.is(words(r.stderr, tr.base), words(m.stderr, tn.base));
    }
  });
}

/* ---- reads work as natively ---- */

const reads: Array<[string, Cmd]> = [
  ['cat', (T) => ['cat', [`${T}/file`, `${T}/link`, `${T}/dir/inner`]]],
  ['ls -la', (T) => ['ls', ['-la', '--time-style=full-iso', T, `${T}/dir`]]],
  ['stat', (T) => ['stat', [T, `${T}/file`, `${T}/link`, `${T}/fifo`]]],
  ['find', (T) => ['find', [T, '-printf', '%p %y %m %s %T@\n']]],
  ['git status', (T) => ['git', ['-C', `${T}/repo`, 'status']]],
  ['git log', (T) => ['git', ['-C', `${T}/repo`, 'log', '--format=%s']]],
  ['python3 read and scandir', py(`print(open(T + '/file').read(), sorted(e.name for e in os.scandir(T)), os.access(T + '/file', os.R_OK))`)],
  ['sha256sum', (T) => ['sha256sum', [`${T}/file`, `${T}/dir/inner`]]],
  ['cp out of the tree', (T, O) => ['bash', ['-c', `cp ${T}/file ${O}/copy && cat ${O}/copy`]]],
  ['tar c of the tree', (T) => ['bash', ['-c', `tar cf - -C ${T} file dir | tar tvf - --full-time`]]],
];

for (const [title, cmd] of reads) {
  test(`readonly: ${title} works as natively`, (t) => {
    const tr = makeTree({ git: title.startsWith('git') });
    const [c, args] = cmd(tr.T, tr.O);
    const before = manifest(tr.T);
    const r = run(c, args, { config: tr.config, env: gitEnv, cwd: tr.base });
    const n = run(c, args, { vu: false, env: gitEnv, cwd: tr.base });
    t.is(r.stderr, n.stderr);
    t.is(r.status, 0);
    t.is(r.stdout, n.stdout);
    if (!title.startsWith('git')) t.is(manifest(tr.T), before);
  });
}

/* ---- every system call, through glibc and raw ---- */

const expected = readFileSync(new URL('./readonly.rocases.txt', import.meta.url), 'utf8');

for (const mode of ['libc', 'raw']) {
  test(`readonly: each call (${mode}) fails with the errno of a read-only bind mount`, (t) => {
    const tr = makeTree();
    const before = manifest(tr.T);
    const r = run(probe('rocases'), [mode, tr.T, tr.O], { config: tr.config });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    t.is(r.stdout, expected);
    t.is(manifest(tr.T), before);
  });

  native(`readonly: the expected errnos (${mode}) are those of a real read-only bind mount`, (t) => {
    const tr = makeTree();
    const m = runRoMount(tr.T, probe('rocases'), [mode, tr.T, tr.O]);
    t.is(m.stderr, '');
    t.is(m.stdout, expected);
  });
}

test('readonly: raw fchmodat2, setxattrat and removexattrat (newer than Debian 12\'s headers) fail with EROFS', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const r = run(probe('rocases'), ['newer', tr.T, tr.O], { config: tr.config });
  t.is(r.stdout, 'fchmodat2 NOFOLLOW file: EROFS\nsetxattrat file: EROFS\nremovexattrat file: EROFS\n');
  t.is(manifest(tr.T), before);
});

native('readonly: the expected errnos of the newer calls are those of a real read-only bind mount', (t) => {
  const tr = makeTree();
  const m = runRoMount(tr.T, probe('rocases'), ['newer', tr.T, tr.O]);
  t.is(m.stderr, '');
  t.is(m.stdout, 'fchmodat2 NOFOLLOW file: EROFS\nsetxattrat file: EROFS\nremovexattrat file: EROFS\n');
});

/* ---- borders ---- */

test('readonly: a folder whose name starts like the tree\'s is writable', (t) => {
  const tr = makeTree();
  const sib = `${tr.T}2`;
  mkdirSync(sib);
  const r = run('sh', ['-c', `echo a > ${sib}/f && mkdir ${sib}/d && mv ${sib}/f ${sib}/d/ && rm -r ${sib}/d && echo done`], { config: tr.config });
  t.is(r.stderr, '');
  t.is(r.stdout, 'done\n');
});

test('readonly: writes beside the tree work', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const r = run('sh', ['-c', `cp ${tr.T}/file ${tr.O}/copy && echo more >> ${tr.O}/copy && ln -s x ${tr.O}/l && touch ${tr.O}/t && cat ${tr.O}/copy`], { config: tr.config });
  t.is(r.stderr, '');
  t.is(r.stdout, 'hello\nmore\n');
  t.is(manifest(tr.T), before);
});

test('readonly: a symlink from outside into the tree opens no way in', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const r = run('sh', ['-c', `echo x > ${tr.O}/tolink; chmod 600 ${tr.O}/tolink; touch ${tr.O}/todangle; ln -s ${tr.T}/dir ${tr.O}/d; rm ${tr.O}/d/inner; echo end`], { config: tr.config });
  t.is(r.stdout, 'end\n');
  t.is(r.stderr.match(/Read-only file system/g)?.length, 4, r.stderr);
  t.is(manifest(tr.T), before);
});

test('readonly: a symlink inside the tree that leads out is followed, as with a mount', (t) => {
  const tr = makeTree();
  const r = run('sh', ['-c', `echo made > ${tr.T}/out && cat ${tr.O}/made`], { config: tr.config });
  t.is(r.stderr, '');
  t.is(r.stdout, 'made\n');
});

test('readonly: a relative path and a dirfd inside the tree are caught', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const r = run('sh', ['-c', 'rm file; mkdir d; echo x > dir/inner; cd dir && touch ../new; echo end'], { config: tr.config, cwd: tr.T });
  t.is(r.stdout, 'end\n');
  t.is(r.stderr.match(/Read-only file system/g)?.length, 4, r.stderr);
  const py = run('python3', ['-c', `import os\nd = os.open('.', os.O_RDONLY)\ntry: os.unlink('file', dir_fd=d)\nexcept OSError as e: print(e.errno)`], { config: tr.config, cwd: tr.T });
  t.is(py.stdout, '30\n');
  t.is(manifest(tr.T), before);
});

test('readonly: the root of the tree is a mount point: rmdir and mv give EBUSY, so does mv of its parent', (t) => {
  const tr = makeTree();
  const r = run('sh', ['-c', `rmdir ${tr.T}; mv ${tr.T} ${tr.O}/moved; mv ${tr.base} ${tr.base}.moved; echo end`], { config: tr.config });
  t.is(r.stdout, 'end\n');
  t.is(r.stderr.match(/Device or resource busy/g)?.length, 3, r.stderr);
  t.true(existsSync(join(tr.T, 'file')));
});

test('readonly: test -w says no, statvfs says ST_RDONLY, and /dev/null stays writable under "/"', (t) => {
  const tr = makeTree();
  const r = run('sh', ['-c', `test -w ${tr.T}/file || echo not-writable; test -w ${tr.O}/x && echo writable; stat -f -c %T ${tr.T} >/dev/null`], { config: tr.config });
  t.is(r.stdout, 'not-writable\nwritable\n');
  const flags = 'import os, sys; print([bool(os.statvfs(p).f_flag & os.ST_RDONLY) for p in sys.argv[1:]])';
  t.is(run('python3', ['-c', flags, tr.T, tr.O], { config: tr.config }).stdout, '[True, False]\n');
  const all = writeConfig({ layers: [{ type: 'readonly', paths: ['/'] }] });
  const d = run('sh', ['-c', `echo x > /dev/null && echo ok; touch ${tr.O}/nope`], { config: all });
  t.is(d.stdout, 'ok\n');
  t.regex(d.stderr, /Read-only file system/);
  t.false(existsSync(join(tr.O, 'nope')));
});

test('readonly: a process tree (fork, exec, env -i) is covered', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const r = run('bash', ['-c', `(env -i /bin/rm -f ${tr.T}/file) ; bash -c "xargs rm -f <<< ${tr.T}/link"; python3 -c "import subprocess; subprocess.run(['touch', '${tr.T}/new'])"`], { config: tr.config });
  t.is(r.stderr.match(/Read-only file system/g)?.length, 3, r.stderr);
  t.is(manifest(tr.T), before);
});

test('readonly: with no descriptor left to look the file up, a change is refused (EMFILE), not let through', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const code = `import os, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
fds = []
try:
    while True: fds.append(os.open('/dev/null', os.O_RDONLY))
except OSError: pass
for f in (lambda: os.chmod(${JSON.stringify(tr.T)} + '/file', 0o600), lambda: os.unlink(${JSON.stringify(tr.T)} + '/file')):
    try: f(); print('changed')
    except OSError as e: print(os.strerror(e.errno))`;
  const r = run('python3', ['-c', code], { config: tr.config });
  t.is(r.stderr, '');
  t.is(r.stdout, 'Too many open files\nToo many open files\n');
  t.is(manifest(tr.T), before);
});

native('readonly: without /proc the layer cannot look files up: exit 125, the program does not run', (t) => {
  const tr = makeTree();
  const marker = join(tr.O, 'ran');
  const r = run('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /proc && exec "$@"', 'sh', 'touch', marker], { config: tr.config });
  t.is(r.status, 125);
  t.regex(r.stderr, /layer readonly: \/proc\/self\/fd does not give paths back/);
  t.false(existsSync(marker));
});

/* ---- config ---- */

test('readonly: relative paths are relative to the config\'s folder, ~ is $HOME', (t) => {
  const tr = makeTree();
  for (const p of ['T', '~/T']) {
    const config = writeConfig({ layers: [{ type: 'readonly', paths: [p] }] }, tr.base);
    const r = run('rm', [join(tr.T, 'file')], { config, env: { HOME: tr.base } });
    t.regex(r.stderr, /Read-only file system/);
  }
  t.true(existsSync(join(tr.T, 'file')));
});

test('readonly: a tree given through a symlink is protected under its real path', (t) => {
  const tr = makeTree();
  const alias = join(tr.base, 'alias');
  symlinkSync(tr.T, alias);
  const config = writeConfig({ layers: [{ type: 'readonly', paths: [alias] }] }, tmpdir());
  const r = run('sh', ['-c', `rm ${tr.T}/file; rm ${alias}/file; echo end`], { config });
  t.is(r.stderr.match(/Read-only file system/g)?.length, 2, r.stderr);
  t.true(existsSync(join(tr.T, 'file')));
});

test('readonly: "intercept": "libc" still refuses changes made through glibc', (t) => {
  const tr = makeTree();
  const before = manifest(tr.T);
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'readonly', paths: [tr.T] }] }, tmpdir());
  const r = run('bash', ['-c', `rm ${tr.T}/file; echo x > ${tr.T}/file; mkdir ${tr.T}/d; echo end`], { config });
  t.is(r.stdout, 'end\n');
  t.is(r.stderr.match(/Read-only file system/g)?.length, 3, r.stderr);
  t.is(manifest(tr.T), before);
});

const bad: Array<[string, unknown, RegExp]> = [
  ['paths not an array', { type: 'readonly', paths: '/srv' }, /readonly\.paths must be an array, not a string/],
  ['paths missing', { type: 'readonly' }, /layer readonly needs option "paths"/],
  ['an empty list', { type: 'readonly', paths: [] }, /readonly\.paths is empty/],
  ['a number in the list', { type: 'readonly', paths: [3] }, /readonly\.paths must be a string, not a number/],
  ['an unknown option', { type: 'readonly', paths: ['/x'], path: '/y' }, /unknown option "path" for layer readonly/],
];
for (const [title, layer, re] of bad) {
  test(`readonly: ${title} -> exit 125 with FILE:LINE:COL, program not run`, (t) => {
    const dir = tmpdir();
    const config = writeConfig({ layers: [layer] }, dir);
    const marker = join(dir, 'ran');
    const r = run('touch', [marker], { config });
    t.is(r.status, 125);
    t.regex(r.stderr, new RegExp(`^vu: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    t.regex(r.stderr, re);
    t.false(existsSync(marker));
  });
}

test('readonly: a missing tree is fine, and stays uncreatable', (t) => {
  const dir = tmpdir();
  const config = writeConfig({ layers: [{ type: 'readonly', paths: ['later'] }] }, dir);
  const r = run('mkdir', [join(dir, 'later')], { config });
  t.regex(r.stderr, /Read-only file system/);
  t.false(existsSync(join(dir, 'later')));
  writeFileSync(join(dir, 'other'), '');
  t.is(run('rm', [join(dir, 'other')], { config }).status, 0);
});
