/**
 * overlay: copy-on-write over a lower directory. Every test builds a fresh
 * lower tree, checksums it (names, types, modes, owners, sizes, mtimes,
 * ctimes, inodes, contents, link targets) before and after, and requires
 * the two sums to be equal: whatever the programs do, lower never changes.
 * Where a real overlayfs mount can be made (root, unshare -m), the probes'
 * transcripts are compared with it.
 */
import test, { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync,
  symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { VU, probe, run, tmpdir, writeConfig } from '../helpers.js';

interface Ovl {
  root: string;
  lower: string;
  upper: string;
  config: string;
}

/** the tree the tests start from (the same as test/probes/ovlops.c expects) */
function makeTree(d: string): void {
  for (const sub of ['dir/sub', 'empty', 'big']) mkdirSync(join(d, sub), { recursive: true });
  writeFileSync(join(d, 'file'), 'lower\n');
  writeFileSync(join(d, 'ro'), 'ro\n');
  writeFileSync(join(d, 'gone'), 'bye\n');
  writeFileSync(join(d, 'dir/x'), 'x\n');
  writeFileSync(join(d, 'dir/y'), 'y\n');
  writeFileSync(join(d, 'dir/sub/z'), 'z\n');
  symlinkSync('file', join(d, 'link'));
  for (let i = 1; i <= 300; i++) writeFileSync(join(d, `big/f${i}`), `${i}\n`);
  chmodSync(join(d, 'ro'), 0o640);
  utimesSync(join(d, 'ro'), 1_000_000_000, 1_000_000_000);
}

/** everything about a tree that a change could touch (not atime) */
function treeSum(dir: string): string {
  const h = createHash('sha256');
  const walk = (p: string, rel: string): void => {
    const s = lstatSync(p, { bigint: true });
    h.update(`${rel} ${s.mode} ${s.uid} ${s.gid} ${s.size} ${s.mtimeNs} ${s.ctimeNs} ${s.ino} ${s.nlink}\n`);
    if (s.isSymbolicLink()) h.update(readlinkSync(p));
    else if (s.isFile()) h.update(readFileSync(p));
    else if (s.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e), `${rel}/${e}`);
  };
  walk(dir, '.');
  return h.digest('hex');
}

function overlay(fill: (lower: string) => void = makeTree): Ovl {
  const root = tmpdir('vu-ovl-');
  const lower = join(root, 'lower');
  mkdirSync(lower);
  fill(lower);
  mkdirSync(join(root, 'cfg'));
  const config = writeConfig({ layers: [{ type: 'overlay', lower: '../lower', upper: '../upper' }] }, join(root, 'cfg'));
  return { root, lower, upper: join(root, 'upper'), config };
}

/** run body with a fresh overlay; lower's checksum must not change */
function withOverlay(t: ExecutionContext, body: (o: Ovl) => void, fill?: (lower: string) => void): void {
  const o = overlay(fill);
  const before = treeSum(o.lower);
  body(o);
  t.is(treeSum(o.lower), before, 'lower changed');
}

/** sh -c script under vu, in the lower directory */
function sh(o: Ovl, script: string, env: Record<string, string> = {}) {
  return run('sh', ['-c', script], { config: o.config, cwd: o.lower, env });
}

/** the same script natively in a plain copy of lower (made by cp -a) */
function shCopy(o: Ovl, script: string, env: Record<string, string> = {}) {
  const copy = join(o.root, 'copy');
  if (!existsSync(copy)) spawnSync('cp', ['-a', o.lower, copy]);
  return { copy, r: run('sh', ['-c', script], { vu: false, cwd: copy, env }) };
}

function ok(t: ExecutionContext, r: { status: number | null; stderr: string }): void {
  t.is(r.status, 0, r.stderr);
}

/** diff -r of the merged view (under vu) against a plain copy */
function sameAsCopy(t: ExecutionContext, o: Ovl, copy: string, extra: string[] = []): void {
  const r = run('diff', ['-r', '--no-dereference', ...extra, o.lower, copy], { config: o.config });
  t.is(r.stdout + r.stderr, '');
  t.is(r.status, 0);
}

/* ---- can this machine mount a real overlayfs (to compare with)? ---- */
function realOverlay(cmd: string[], fill: (lower: string) => void): { out: string; ok: boolean } {
  const root = tmpdir('vu-ovl-real-');
  for (const d of ['l', 'u', 'w', 'm']) mkdirSync(join(root, d));
  fill(join(root, 'l'));
  const m = join(root, 'm');
  const script = `mount -t overlay overlay -o lowerdir=${root}/l,upperdir=${root}/u,workdir=${root}/w ${m} && exec "$@"`;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', ...cmd.map((a) => a.replace('@M', m))], { encoding: 'utf8' });
  return { out: r.stdout + r.stderr, ok: r.status === 0 };
}
const canMount = process.getuid?.() === 0 && realOverlay(['true'], () => {}).ok;
const real = canMount ? test : test.skip;

/* ---- the basics, with real programs ---- */

test('overlay: a write to a lower file lands in upper, lower is unchanged', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'echo more >> file && cat file');
    ok(t, r);
    t.is(r.stdout, 'lower\nmore\n');
    t.is(readFileSync(join(o.upper, 'file'), 'utf8'), 'lower\nmore\n');
    t.is(readFileSync(join(o.lower, 'file'), 'utf8'), 'lower\n');
  });
});

test('overlay: copy-up on an open for writing keeps data, mode, owner and times', (t) => {
  withOverlay(t, (o) => {
    const before = run('stat', ['-c', '%a %u %g %Y %s', 'ro'], { vu: false, cwd: o.lower }).stdout;
    // O_RDWR without writing anything: copied up all the same
    const r = sh(o, `python3 -c "import os; os.close(os.open('ro', os.O_RDWR))" && stat -c '%a %u %g %Y %s' ro && cat ro`);
    ok(t, r);
    t.is(r.stdout, `${before}ro\n`);
    t.true(existsSync(join(o.upper, 'ro')));
    t.is(run('stat', ['-c', '%a %u %g %Y %s', join(o.upper, 'ro')], { vu: false }).stdout, before);
  });
});

test('overlay: truncate, chmod, chown, touch and setxattr copy up; lower is unchanged', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, [
      'truncate -s 2 file', 'chmod 600 ro', 'chown 123:456 gone', 'touch -d 2001-02-03T04:05:06Z dir/x',
      `python3 -c "import os; os.setxattr('dir/y', 'user.vu', b'1'); print(os.getxattr('dir/y', 'user.vu'))"`,
      "stat -c '%n %a %u %g %s %Y' file ro gone dir/x",
    ].join(' && '));
    ok(t, r);
    const lines = r.stdout.split('\n');
    t.is(lines[0], "b'1'");
    t.regex(lines[1], /^file 644 0 0 2 \d+$/);
    t.regex(lines[2], /^ro 600 /);
    t.regex(lines[3], /^gone 644 123 456 4 /);
    t.is(lines[4], 'dir/x 644 0 0 2 981173106');
    for (const f of ['file', 'ro', 'gone', 'dir/x', 'dir/y']) t.true(existsSync(join(o.upper, f)), f);
  });
});

test('overlay: rm hides a lower file from stat, open and listings', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'rm gone && ls && (cat gone; stat gone; test -e gone || echo absent) 2>&1');
    ok(t, r);
    t.is(r.stdout, 'big\ndir\nempty\nfile\nlink\nro\n' +
      "cat: gone: No such file or directory\nstat: cannot statx 'gone': No such file or directory\nabsent\n");
    t.true(existsSync(join(o.upper, '.wh.gone')));
  });
});

test('overlay: rm -rf dir then mkdir dir gives an empty (opaque) directory', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'rm -rf dir && mkdir dir && ls -A dir && echo new > dir/n && find dir | sort');
    ok(t, r);
    t.is(r.stdout, 'dir\ndir/n\n');
    // and in a second run, from the state on disk
    t.is(sh(o, 'ls -A dir').stdout, 'n\n');
  });
});

test('overlay: rename of a lower file; a lower directory gives EXDEV and mv copies it', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'mv file file2 && cat file2 && test ! -e file && ' +
      `python3 -c "import os
try: os.rename('dir', 'dir2')
except OSError as e: print(e.strerror)" && mv dir dir2 && find dir2 | sort && test ! -e dir`);
    ok(t, r);
    t.is(r.stdout, 'lower\nInvalid cross-device link\ndir2\ndir2/sub\ndir2/sub/z\ndir2/x\ndir2/y\n');
  });
});

test('overlay: rmdir of a directory with only lower entries is ENOTEMPTY, then works once they are gone', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'rmdir dir 2>&1; rm dir/x dir/y dir/sub/z && rmdir dir/sub && rmdir dir && test ! -e dir && echo gone');
    ok(t, r);
    t.is(r.stdout, "rmdir: failed to remove 'dir': Directory not empty\ngone\n");
  });
});

test('overlay: listings merge lower and upper, no duplicates and no deleted entries (ls, find, python)', (t) => {
  withOverlay(t, (o) => {
    const script = 'echo n > new && echo m >> file && rm gone big/f7 && mkdir dir/n2 && rm -r dir/sub';
    ok(t, sh(o, script));
    const { copy, r } = shCopy(o, script);
    ok(t, r);
    const list = 'ls -a . big dir | sort | uniq -c | md5sum; find . | sort; ' +
      `python3 -c "import os; print(sorted(e.name for e in os.scandir('.')), len(os.listdir('big')))"`;
    const a = sh(o, list);
    ok(t, a);
    t.is(a.stdout, run('sh', ['-c', list], { vu: false, cwd: copy }).stdout);
    t.regex(a.stdout, /'ro'\] 299\n$/);
    sameAsCopy(t, o, copy);
  });
});

test('overlay: a directory with 500 of 501 lower entries deleted lists the survivor (raw getdents64 too)', (t) => {
  withOverlay(t, (o) => {
    ok(t, sh(o, 'cd many && rm $(seq -f f%g 1 500)'));
    const r = sh(o, 'ls -a many');
    t.is(r.stdout, '.\n..\nf501\n');
    const raw = run(probe('ovlops'), ['raw', o.lower], { config: o.config });
    t.is(raw.status, 0, raw.stderr);
  }, (d) => {
    makeTree(d);
    mkdirSync(join(d, 'many'));
    for (let i = 1; i <= 501; i++) writeFileSync(join(d, `many/f${i}`), '');
  });
});

real('overlay: libc and raw syscalls give the same transcript as a real overlayfs mount', (t) => {
  for (const mode of ['libc', 'raw']) {
    const ref = realOverlay([probe('ovlops'), mode, '@M'], makeTree);
    t.true(ref.ok, ref.out);
    t.regex(ref.out, /\ndone\n$/);
    withOverlay(t, (o) => {
      const r = run(probe('ovlops'), [mode, o.lower], { config: o.config });
      t.is(r.stderr, '');
      t.is(r.stdout, ref.out, mode);
    });
  }
});

real('overlay: descriptors opened before a copy-up behave as on a real overlayfs mount', (t) => {
  const fill = (d: string) => {
    writeFileSync(join(d, 'a'), 'lower\n');
    writeFileSync(join(d, 'b'), 'lower\n');
  };
  const ref = realOverlay([probe('ovlfd'), '@M'], fill);
  t.true(ref.ok, ref.out);
  // overlayfs re-opens the upper file for reads; a MAP_SHARED mapping keeps the lower one
  t.regex(ref.out, /^ro fd opened before the copy-up: UPPER-A\n/);
  t.regex(ref.out, /MAP_SHARED mapping made before: lower\n/);
  t.regex(ref.out, /b through the parent's ro fd: CHILD\n/);
  withOverlay(t, (o) => {
    const r = run(probe('ovlfd'), [o.lower], { config: o.config });
    t.is(r.stderr, '');
    t.is(r.stdout, ref.out);
  }, fill);
});

test('overlay: writes through /proc/self/fd/N, /dev/fd/N and /proc/PID/cwd copy up (the kernel would follow them to lower)', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'exec 3<file; echo fd >> /dev/fd/3 && echo proc >> /proc/self/fd/3 && ' +
      'echo cwd >> /proc/self/cwd/ro && chmod 600 /proc/$$/cwd/gone && cat file ro - <&3 && stat -c %a gone && ' +
      'readlink /proc/self/fd/3');
    ok(t, r);
    t.is(r.stdout, `lower\nfd\nproc\nro\ncwd\nlower\nfd\nproc\n600\n${join(o.lower, 'file')}\n`);
  });
});

test('overlay: raw fchmodat2, setxattrat, getxattrat and removexattrat (newer than Debian 12\'s headers) copy up; lower is unchanged', (t) => {
  // glibc 2.36 never makes these calls; glibc 2.39 makes fchmodat2 for fchmodat(AT_SYMLINK_NOFOLLOW)
  withOverlay(t, (o) => {
    const py = [
      'import ctypes, struct, os',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def call(*a):',
      '    # syscall() is variadic: every argument a full register (a C int would leave garbage above it)',
      '    r = libc.syscall(*[ctypes.c_long(x) if isinstance(x, int) else x for x in a])',
      '    return r if r >= 0 else -ctypes.get_errno()',
      "print(call(452, -100, b'ro', 0o600, 0))",
      "v = ctypes.create_string_buffer(b'42')",
      "args = ctypes.create_string_buffer(struct.pack('QII', ctypes.addressof(v), 2, 0))",
      "print(call(463, -100, b'file', 0, b'user.vu', args, 16))",
      "out = ctypes.create_string_buffer(8)",
      "gargs = ctypes.create_string_buffer(struct.pack('QII', ctypes.addressof(out), 8, 0))",
      "print(call(464, -100, b'file', 0, b'user.vu', gargs, 16), out.value)",
      "print(call(466, -100, b'file', 0, b'user.vu'))",
      "print(call(464, -100, b'file', 0, b'user.vu', gargs, 16))",
      "print(oct(os.stat('ro').st_mode & 0o777))",
    ].join('\n');
    const r = run('python3', ['-c', py], { config: o.config, cwd: o.lower });
    ok(t, r);
    t.is(r.stdout, `0\n0\n2 b'42'\n0\n-${61}\n0o600\n`);
    t.true(existsSync(join(o.upper, 'ro')), 'ro copied up');
    t.true(existsSync(join(o.upper, 'file')), 'file copied up');
  });
});

real('overlay: hard links in lower split on copy-up, as on a real overlayfs mount', (t) => {
  const fill = (d: string) => {
    writeFileSync(join(d, 'a'), 'one\n');
    spawnSync('ln', [join(d, 'a'), join(d, 'b')]);
  };
  const script = 'cd "$1" && echo two >> a && cat a b && stat -c "%n %h" a b && ln b c && stat -c "%n %h" b c && cat c';
  const ref = realOverlay(['sh', '-c', script, 'sh', '@M'], fill);
  t.true(ref.ok, ref.out);
  withOverlay(t, (o) => {
    const r = run('sh', ['-c', script, 'sh', o.lower], { config: o.config });
    t.is(r.stdout + r.stderr, ref.out);
  }, fill);
});

test('overlay: two processes appending to the same lower file lose nothing (concurrent copy-up)', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'for p in a b c d; do (for i in $(seq 1 100); do echo $p$i >> file; done) & done; wait; ' +
      'wc -l < file; sort file | uniq -d | wc -l; ls -A | grep -c wh; true');
    ok(t, r);
    t.is(r.stdout, '401\n0\n0\n');
  });
});

test('overlay: a long-running process sees directory changes made by other processes', (t) => {
  withOverlay(t, (o) => {
    const py = `import os, subprocess
def see(): return [os.path.exists(p) for p in ('dir/x', 'dir/sub/z', 'dir/new')]
print(see())
subprocess.run(['sh', '-c', 'touch dir/new'], check=True)
print(see())
subprocess.run(['sh', '-c', 'rm -rf dir && mkdir -p dir/sub && touch dir/new'], check=True)
print(see(), sorted(os.listdir('dir')))
`;
    const r = sh(o, `python3 -c "${py.replaceAll('"', '\\"')}"`);
    ok(t, r);
    t.is(r.stdout, "[True, True, False]\n[True, True, True]\n[False, False, True] ['new', 'sub']\n");
  });
});

test('overlay: a merged directory has link count 1 and keeps its inode across copy-up', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, "stat -c '%i %h %a' dir && touch dir/new && stat -c '%i %h %a' dir && chmod 700 dir && " +
      "stat -c '%i %h %a' dir && python3 -c \"import os; s=os.stat('dir'); f=os.open('dir', os.O_RDONLY); t=os.fstat(f); print(s.st_ino==t.st_ino, t.st_nlink, oct(t.st_mode))\"");
    ok(t, r);
    const ino = lstatSync(join(o.lower, 'dir')).ino;
    t.is(r.stdout, `${ino} 3 755\n${ino} 1 755\n${ino} 1 700\nTrue 1 0o40700\n`);
  });
});

test('overlay: the cwd inside a copied-up directory reads as the lower path', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'touch dir/new && cd dir && pwd -P && /bin/pwd && readlink /proc/self/cwd && ' +
      "python3 -c 'import os; print(os.getcwd())' && node -e 'console.log(process.cwd())' && ls");
    ok(t, r);
    const d = join(o.lower, 'dir');
    t.is(r.stdout, `${d}\n${d}\n${d}\n${d}\n${d}\nnew\nsub\nx\ny\n`);
  });
});

test('overlay: scripts made in the overlay run, also through an interpreter that exists only in upper', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, `mkdir -p bin && printf '#!/bin/sh\\necho "$0 $1 $2"\\n' > bin/i && chmod +x bin/i && ` +
      `printf '#!${o.lower}/bin/i arg\\n' > s && chmod +x s && ./s x && ${o.lower}/s y`);
    ok(t, r);
    t.is(r.stdout, `${o.lower}/bin/i arg ./s\n${o.lower}/bin/i arg ${o.lower}/s\n`);
  });
});

test('overlay: symlinks resolve through the merged view; readlink gives the stored target', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'echo changed > file && cat link && ln -s dir/x lx && readlink lx && cat lx && ' +
      'ln -s ../file dir/up && cat dir/up && ln file hard && stat -c %h hard && cat hard');
    ok(t, r);
    t.is(r.stdout, 'changed\ndir/x\nx\nchanged\n2\nchanged\n');
  });
});

test('overlay: names starting with .wh. belong to vu', (t) => {
  withOverlay(t, (o) => {
    const r = sh(o, 'rm gone; ls -a | grep -c wh; touch .wh.x 2>&1; cat .wh.gone 2>&1; true');
    t.is(r.stdout, "0\ntouch: cannot touch '.wh.x': Operation not permitted\ncat: .wh.gone: No such file or directory\n");
  });
});

test('overlay: a second run sees the first run\'s changes', (t) => {
  withOverlay(t, (o) => {
    ok(t, sh(o, 'echo one > new && rm file && mkdir d2 && echo 2 > d2/f'));
    const r = sh(o, 'cat new d2/f; test -e file || echo no-file');
    t.is(r.stdout, 'one\n2\nno-file\n');
  });
});

test('overlay: paths outside the overlay are untouched', (t) => {
  withOverlay(t, (o) => {
    const outside = tmpdir('vu-ovl-out-');
    const r = run('sh', ['-c', `cd ${outside} && echo a > f && mkdir d && mv f d/g && ls -R && cat d/g`], { config: o.config });
    ok(t, r);
    t.is(r.stdout, '.:\nd\n\n./d:\ng\na\n');
    t.is(readFileSync(join(outside, 'd/g'), 'utf8'), 'a\n');
    t.false(existsSync(join(o.upper, 'd')));
  });
});

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('overlay: a user who may not change a lower file may not change it through the overlay either', (t) => {
  withOverlay(t, (o) => {
    chmodSync(o.root, 0o755);
    spawnSync('chown', ['-R', '65534:65534', join(o.root, 'cfg')]);
    mkdirSync(o.upper);
    spawnSync('chown', ['65534:65534', o.upper]);
    const script = 'for c in "echo x >> rootfile" "rm rootdir/f" "chmod 777 rootfile" "touch rootdir/new" ' +
      '"touch -d 2000-01-01 rootfile" "mv rootfile mine/" "echo y >> mine/f" "rm mine/f" "mkdir mine/d"; ' +
      'do sh -c "$c" 2>&1; echo "$c: $?"; done; ls mine';
    const nobody = (cmd: string[]) => ['--reuid=65534', '--regid=65534', '--clear-groups', ...cmd];
    const { copy } = shCopy(o, 'true');
    const native = run('setpriv', nobody(['sh', '-c', script]), { vu: false, cwd: copy });
    const r = run('setpriv', nobody(['sh', '-c', script]), { config: o.config, cwd: o.lower });
    t.is(r.stdout, native.stdout);
    t.regex(r.stdout, /rm rootdir\/f: 1\n/);
    t.regex(r.stdout, /mkdir mine\/d: 0\nd\n$/);
  }, (d) => {
    mkdirSync(join(d, 'rootdir'));
    mkdirSync(join(d, 'mine'));
    writeFileSync(join(d, 'rootfile'), 'r\n');
    writeFileSync(join(d, 'rootdir/f'), 'r\n');
    writeFileSync(join(d, 'mine/f'), 'm\n');
    spawnSync('chown', ['-R', '65534:65534', join(d, 'mine')]);
  });
});

/* ---- real workloads, compared with the same commands on a plain copy ---- */

const gitEnv = {
  GIT_AUTHOR_NAME: 'vu', GIT_AUTHOR_EMAIL: 'vu@example.org', GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'vu', GIT_COMMITTER_EMAIL: 'vu@example.org', GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z',
  GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
};

test('overlay: git init, add -A and commit equal the same on a plain copy', (t) => {
  withOverlay(t, (o) => {
    const script = 'git init -q -b main && git add -A && git commit -qm init && git rev-parse HEAD && git status --porcelain';
    const { copy, r: ref } = shCopy(o, script, gitEnv);
    ok(t, ref);
    const r = sh(o, script, gitEnv);
    ok(t, r);
    t.is(r.stdout, ref.stdout);
    // the index holds inode numbers and ctimes: the only file that may differ
    sameAsCopy(t, o, copy, ['-x', 'index']);
  });
});

test('overlay: npm install of a local file: dependency equals a plain copy', (t) => {
  withOverlay(t, (o) => {
    const env = { npm_config_cache: join(o.root, 'npm-cache'), npm_config_update_notifier: 'false' };
    const script = 'cd app && npm install --offline --no-audit --no-fund --loglevel=error >/dev/null && node -e "console.log(require(\'dep\'))"';
    const { copy, r: ref } = shCopy(o, script, env);
    ok(t, ref);
    const r = sh(o, script, env);
    ok(t, r);
    t.is(r.stdout, ref.stdout);
    t.regex(r.stdout, /42\n$/);
    sameAsCopy(t, o, copy);
  }, (d) => {
    mkdirSync(join(d, 'app'));
    mkdirSync(join(d, 'dep'));
    writeFileSync(join(d, 'dep/package.json'), '{"name":"dep","version":"1.0.0","main":"index.js"}\n');
    writeFileSync(join(d, 'dep/index.js'), 'module.exports = 42;\n');
    writeFileSync(join(d, 'app/package.json'), '{"name":"app","version":"1.0.0","dependencies":{"dep":"file:../dep"}}\n');
  });
});

test('overlay: python3 -m venv v && v/bin/pip --version', (t) => {
  withOverlay(t, (o) => {
    const script = '/usr/bin/python3 -m venv v && v/bin/pip --version && v/bin/python -c "import sys; print(sys.prefix)" && ' +
      "find v -path '*__pycache__*' -prune -o -print | sort";
    const { copy, r: ref } = shCopy(o, script);
    ok(t, ref);
    const r = sh(o, script);
    ok(t, r);
    t.is(r.stdout.replaceAll(o.lower, 'ROOT'), ref.stdout.replaceAll(copy, 'ROOT'));
    t.regex(r.stdout, new RegExp(`^pip \\S+ from ${o.lower}/v/lib/`));
    t.true(existsSync(join(o.upper, 'v/pyvenv.cfg')));
  }, () => {});
});

test('overlay: tar x, sed -i, rm -rf and recreate equal a plain copy', (t) => {
  withOverlay(t, (o) => {
    const tarball = join(o.root, 'src.tar');
    spawnSync('tar', ['cf', tarball, '-C', '/usr/share/doc', 'git', 'tar', 'sed']);
    const script = `mkdir -p t && tar xf ${tarball} -C t && tar xf ${tarball} -C dir && sed -i s/lower/LOWER/ file && ` +
      `sed -i s/^1$/one/ big/f1 && rm -rf dir/sub && rm -rf big && mkdir big && echo again > big/f1 && ` +
      'cp -a t/git dir/sub && rm -rf t/tar && find . | wc -l';
    const { copy, r: ref } = shCopy(o, script);
    ok(t, ref);
    const r = sh(o, script);
    ok(t, r);
    t.is(r.stdout, ref.stdout);
    sameAsCopy(t, o, copy);
  });
});

/* ---- configuration errors ---- */

const bad: Array<[string, (root: string) => unknown, RegExp]> = [
  ['lower missing', () => ({ type: 'overlay', lower: 'nope', upper: 'u' }), /overlay\.lower: .*nope: No such file or directory/],
  ['lower not a directory', () => ({ type: 'overlay', lower: 'vu.json', upper: 'u' }), /layer overlay: lower: .*vu\.json: not a directory/],
  ['upper inside lower', () => ({ type: 'overlay', lower: 'l', upper: 'l/u' }), /upper \(.*\/l\/u\) and lower \(.*\/l\) must not contain each other/],
  ['lower inside upper', () => ({ type: 'overlay', lower: 'l', upper: '.' }), /must not contain each other/],
  ['upper a file', () => ({ type: 'overlay', lower: 'l', upper: 'vu.json' }), /upper: .*vu\.json: not a directory/],
  ['upper missing', () => ({ type: 'overlay', lower: 'l' }), /layer overlay needs option "upper"/],
  ['upper not a string', () => ({ type: 'overlay', lower: 'l', upper: 7 }), /overlay\.upper must be a string, not a number/],
];

for (const [title, layer, expect] of bad) {
  test(`overlay: bad options: ${title} -> exit 125, nothing created`, (t) => {
    const root = tmpdir('vu-ovl-bad-');
    mkdirSync(join(root, 'l'));
    const config = writeConfig({ layers: [layer(root)] }, root);
    const r = run('touch', [join(root, 'l', 'ran')], { config });
    t.is(r.status, 125);
    t.regex(r.stderr, new RegExp(`^vu: ${config}:\\d+:\\d+: `));
    t.regex(r.stderr, expect);
    t.deepEqual(readdirSync(join(root, 'l')), []);
  });
}

test('overlay: vu check accepts a good config and creates nothing', (t) => {
  const root = tmpdir('vu-ovl-check-');
  mkdirSync(join(root, 'l'));
  const config = writeConfig({ layers: [{ type: 'overlay', lower: 'l', upper: 'state/u' }] }, root);
  const r = run('node', [VU, 'check', config], { vu: false });
  t.is(r.status, 0, r.stderr);
  t.false(existsSync(join(root, 'state')));
});

test('overlay: bad options: "intercept": "libc" -> exit 125 (glibc\'s fopen would write lower)', (t) => {
  const root = tmpdir('vu-ovl-bad-');
  mkdirSync(join(root, 'l'));
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'overlay', lower: 'l', upper: 'u' }] }, root);
  const r = run('touch', [join(root, 'l', 'ran')], { config });
  t.is(r.status, 125);
  t.regex(r.stderr, /layer overlay: needs "intercept": "all"/);
  t.deepEqual(readdirSync(join(root, 'l')), []);
});
