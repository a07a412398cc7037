/**
 * The hide layer: its paths do not exist. Each program runs under vu on a
 * home that holds the hidden paths, then natively on the same home with
 * them deleted: the two runs must print the same.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, Result, RunOpts, tmpdir, writeConfig } from '../helpers.js';

interface Home { base: string; home: string; config: string; hidden: string[] }

function sh(script: string, args: string[] = []): void {
  const r = spawnSync('sh', ['-ec', script, 'sh', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`setup failed: ${r.stderr}`);
}

/** home/ with .ssh/ and .aws/ (hidden), and look-alikes that are not. */
function makeHome(paths: string[] = ['~/.ssh', '~/.aws', '~/bin-secret']): Home {
  const base = tmpdir('vu-hide-');
  const home = join(base, 'home');
  sh(`mkdir -p "$1/.ssh" "$1/.aws" "$1/.sshd" "$1/visible" "$1/bin-secret" "$1/bin"
      echo KEY > "$1/.ssh/id_rsa"; echo hosts > "$1/.ssh/known_hosts"
      echo CRED > "$1/.aws/credentials"; echo d > "$1/.sshd/conf"; echo two > "$1/.ssh2"
      echo v > "$1/visible/f"; echo notes > "$1/notes.txt"
      printf '#!/bin/sh\\necho secret tool\\n' > "$1/bin-secret/tool"; chmod +x "$1/bin-secret/tool"
      printf '#!/bin/sh\\necho public tool\\n' > "$1/bin/ptool"; chmod +x "$1/bin/ptool"`, [home]);
  const config = writeConfig({ layers: [{ type: 'hide', paths }] }, base);
  const hidden = paths.map((p) => p.replace(/^~/, home));
  return { base, home, config, hidden };
}

/** run under vu with the paths hidden, then natively with them deleted */
function both(h: Home, cmd: string, args: string[], o: RunOpts = {}): [Result, Result] {
  const env = { HOME: h.home, ...o.env };
  const v = run(cmd, args, { cwd: h.base, ...o, env, config: h.config });
  for (const p of h.hidden) rmSync(p, { recursive: true, force: true });
  const n = run(cmd, args, { cwd: h.base, ...o, env, vu: false });
  return [v, n];
}

function same(t: { is: (a: unknown, b: unknown, m?: string) => void }, [v, n]: [Result, Result]): void {
  t.is(v.stderr, n.stderr);
  t.is(v.stdout, n.stdout);
  t.is(v.status, n.status);
}

const sorted = (s: string) => s.split('\n').sort().join('\n');

/* ---- listings ---- */

const listings: Array<[string, (h: Home) => [string, string[]]]> = [
  ['ls -a', (h) => ['ls', ['-a', h.home]]],
  ['ls -aF', (h) => ['ls', ['-aF', h.home]]],
  ['ls -aR', (h) => ['ls', ['-aR', h.home]]],
  ['bash glob ~/.* ~/*', () => ['bash', ['-c', 'echo ~/.* ~/*']]],
  ['python3 os.listdir', (h) => ['python3', ['-c', `import os; print(sorted(os.listdir(${JSON.stringify(h.home)})))`]]],
  ['python3 os.scandir', (h) => ['python3', ['-c', `import os; print(sorted((e.name, e.is_dir()) for e in os.scandir(${JSON.stringify(h.home)})))`]]],
  ['python3 os.walk', (h) => ['python3', ['-c', `import os; print(sorted(os.path.join(d, n) for d, ds, fs in os.walk(${JSON.stringify(h.home)}) for n in ds + fs))`]]],
  ['raw getdents64', (h) => [probe('rawls'), ['32768', h.home]]],
  ['raw getdents (old)', (h) => [probe('rawls'), ['old', '32768', h.home]]],
  ['raw getdents64 with a 64-byte buffer', (h) => [probe('rawls'), ['64', h.home]]],
  ['du -a', (h) => ['du', ['-a', '--apparent-size', h.home]]],
  ['tar c', (h) => ['bash', ['-c', `tar cf - -C ${h.home} . | tar tf - | sort`]]],
];

for (const [title, cmd] of listings) {
  test(`hide: ${title} does not list a hidden file`, (t) => {
    const h = makeHome();
    const [c, args] = cmd(h);
    const [v, n] = both(h, c, args);
    t.is(v.stderr, n.stderr);
    t.is(sorted(v.stdout), sorted(n.stdout));
    t.is(v.status, n.status);
    t.notRegex(v.stdout, /\.ssh\b(?!d|2)|\.aws|bin-secret|id_rsa|credentials/);
    t.regex(v.stdout, /\.sshd/);
  });
}

test('hide: find does not list or enter a hidden folder', (t) => {
  const h = makeHome();
  const [v, n] = both(h, 'find', [h.home, '-printf', '%p %y %s\n']);
  t.is(v.stderr, '');
  t.is(sorted(v.stdout), sorted(n.stdout));
  t.regex(v.stdout, /\.sshd\/conf/);
});

test('hide: git status does not show a hidden file', (t) => {
  const h = makeHome(['~/repo/secret.txt']);
  sh('git init -q "$1/repo" && echo a > "$1/repo/a" && echo s > "$1/repo/secret.txt"', [h.home]);
  same(t, both(h, 'git', ['-C', join(h.home, 'repo'), 'status', '--porcelain', '-uall']));
});

/* ---- the hidden paths do not exist ---- */

test('hide: stat, cat, ls, cd, test -e of a hidden path say what they say of a missing one', (t) => {
  const h = makeHome();
  const script = 'stat ~/.ssh; cat ~/.ssh/id_rsa; ls ~/.aws; cd ~/.ssh; test -e ~/.ssh || echo absent; ' +
    'realpath -e ~/.ssh/id_rsa; cat ~/.ssh2 ~/.sshd/conf; head -c3 ~/.aws/credentials; echo end';
  const [v, n] = both(h, 'bash', ['-c', script]);
  same(t, [v, n]);
  t.regex(v.stderr, /cannot statx '.*\.ssh': No such file or directory/);
  t.is(v.stdout, 'absent\ntwo\nd\nend\n');
});

for (const mode of ['libc', 'raw']) {
  test(`hide: every path-taking call (${mode}) gives ENOENT as for a missing path`, (t) => {
    const h = makeHome();
    const paths = [join(h.home, '.ssh'), join(h.home, '.ssh/id_rsa'), join(h.home, '.aws/credentials'), join(h.home, '.ssh/nosuch')];
    const [v, n] = both(h, probe('pathcases'), [mode, ...paths]);
    same(t, [v, n]);
    t.regex(v.stdout, /^open .*id_rsa: ENOENT$/m);
    t.notRegex(v.stdout, /: OK$/m);
  });
}

test('hide: relative paths, .. and dirfds lead nowhere', (t) => {
  const h = makeHome();
  const script = 'cat .ssh/id_rsa; cat ./visible/../.ssh//id_rsa; cat visible/../../home/.aws/credentials; ' +
    'cd visible && cat ../.ssh/known_hosts; cd / && cat home/.ssh/id_rsa; echo end';
  const [v, n] = both(h, 'bash', ['-c', script], { cwd: h.home });
  same(t, [v, n]);
  t.is(v.stdout, 'end\n');
  const py = "import os\nd = os.open('.', os.O_RDONLY)\ntry: os.open('.ssh/id_rsa', os.O_RDONLY, dir_fd=d)\nexcept OSError as e: print(e.strerror)";
  t.is(run('python3', ['-c', py], { cwd: h.home, config: h.config, env: { HOME: h.home } }).stdout, 'No such file or directory\n');
});

test('hide: a hidden program cannot be run, by path or through PATH', (t) => {
  const h = makeHome();
  const script = 'PATH="$HOME/bin-secret:$HOME/bin:$PATH"; tool; ptool; $HOME/bin-secret/tool; env tool; echo end';
  const [v, n] = both(h, 'bash', ['-c', script]);
  same(t, [v, n]);
  t.regex(v.stdout, /public tool/);
  t.notRegex(v.stdout, /secret tool/);
});

test('hide: names that only start like a hidden one, and the same name elsewhere, stay visible', (t) => {
  const h = makeHome();
  mkdirSync(join(h.base, 'other', '.ssh'), { recursive: true });
  writeFileSync(join(h.base, 'other', '.ssh', 'id_rsa'), 'other\n');
  const r = run('bash', ['-c', `cat ~/.ssh2 ~/.sshd/conf ${h.base}/other/.ssh/id_rsa; ls -a ${h.base}/other`], { config: h.config, env: { HOME: h.home } });
  t.is(r.stderr, '');
  t.is(r.stdout, 'two\nd\nother\n.\n..\n.ssh\n');
});

test('hide: a hidden path is hidden under its real path too', (t) => {
  const h = makeHome();
  const alias = join(h.base, 'alias');
  symlinkSync(h.home, alias);
  const config = writeConfig({ layers: [{ type: 'hide', paths: ['~/.ssh'] }] }, tmpdir());
  const r = run('bash', ['-c', `cat ${h.home}/.ssh/id_rsa ${alias}/.ssh/id_rsa; ls -a ${h.home} ${alias}/`], { config, env: { HOME: alias } });
  t.is(r.stderr.match(/No such file or directory/g)?.length, 2, r.stderr);
  t.notRegex(r.stdout, /\.ssh\n/);
});

test('hide: a process started inside a hidden folder does not see it either', (t) => {
  const h = makeHome();
  const r = run('bash', ['-c', 'cat id_rsa; ls; cat ../notes.txt'], { cwd: join(h.home, '.ssh'), config: h.config, env: { HOME: h.home } });
  t.regex(r.stderr, /cat: id_rsa: No such file or directory/);
  t.regex(r.stderr, /ls: cannot open directory '\.': No such file or directory/);
  t.is(r.stdout, 'notes\n');
});

test('hide: a whole process tree (env -i, another $HOME, xargs, python subprocess) sees the same', (t) => {
  const h = makeHome();
  const script = `env -i /bin/ls -a ${h.home}; HOME=/ cat ${h.home}/.ssh/id_rsa; echo ${h.home}/.ssh/id_rsa | xargs cat; ` +
    `python3 -c "import subprocess; subprocess.run(['cat', '${h.home}/.aws/credentials'])"`;
  same(t, both(h, 'bash', ['-c', script]));
});

/* ---- getdents: PITFALLS K1 ---- */

function crowd(keep: number[], n = 400): Home {
  const base = tmpdir('vu-hide-k1-');
  const home = join(base, 'home');
  mkdirSync(join(home, 'big'), { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `f${String(i).padStart(3, '0')}`);
  for (const name of names) writeFileSync(join(home, 'big', name), name);
  const hidden = names.filter((_, i) => !keep.includes(i)).map((name) => join(home, 'big', name));
  const config = writeConfig({ layers: [{ type: 'hide', paths: hidden }] }, base);
  return { base, home, config, hidden };
}

for (const size of ['64', '280', '32768']) {
  test(`hide: with 399 of 400 entries hidden, a ${size}-byte getdents64 buffer still finds the last one (K1)`, (t) => {
    const h = crowd([200]);
    const [v, n] = both(h, probe('rawls'), [size, join(h.home, 'big')]);
    same(t, [v, n]);
    t.is(v.stdout, '.\n..\nf200\ncalls>0: 1\nend\n');
  });
}

test('hide: with everything hidden, ls -a and readdir show only . and .. (K1)', (t) => {
  const h = crowd([]);
  const [v, n] = both(h, 'bash', ['-c', `ls -a ${h.home}/big; ${probe('rawls')} old 64 ${h.home}/big; python3 -c "import os; print(os.listdir('${h.home}/big'))"`]);
  same(t, [v, n]);
  t.is(v.stdout, '.\n..\n.\n..\ncalls>0: 1\nend\n[]\n');
});

// names of every length from 1 to 60 (the record's last 8 bytes hold the
// name's NUL: layers/hide.c rec_name_len), every third hidden, beside
// look-alikes one byte shorter or longer: every listing shows exactly the
// others, through readdir, getdents64 with a roomy and a tiny (96-byte) buffer, the
// old getdents, and python
test('hide: names of every length from 1 to 60, every third hidden, leave exactly the others in every listing (K1)', (t) => {
  const base = tmpdir('vu-hide-len-');
  const home = join(base, 'home');
  mkdirSync(join(home, 'big'), { recursive: true });
  const names: string[] = [];
  for (let n = 1; n <= 60; n++) names.push(Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((n + i) % 26))).join(''));
  for (const name of names) writeFileSync(join(home, 'big', name), name);
  const hidden = names.filter((_, i) => i % 3 === 0).map((name) => join(home, 'big', name));
  const h: Home = { base, home, config: writeConfig({ layers: [{ type: 'hide', paths: hidden }] }, base), hidden };
  const dir = join(home, 'big');
  const py = `import os; print(sorted(os.listdir('${dir}')))`;
  const [v, n] = both(h, 'bash', ['-c', `ls -a ${dir}; ${probe('rawls')} 32768 ${dir}; ${probe('rawls')} 96 ${dir}; ${probe('rawls')} old 100 ${dir}; python3 -c "${py}"`]);
  same(t, [v, n]);
  const visible = names.filter((_, i) => i % 3 !== 0);
  t.is(v.stdout.split('\n').filter((l) => visible.includes(l)).length, 4 * visible.length, 'each visible name in each raw and ls listing');
  for (const p of hidden) t.false(v.stdout.split('\n').includes(p.slice(dir.length + 1)), p);
});

test('hide: a buffer too small for one entry is still EINVAL (K1)', (t) => {
  const h = makeHome();
  const [v, n] = both(h, probe('rawls'), ['8', h.home]);
  same(t, [v, n]);
  t.is(v.stdout, 'calls>0: 0\nEINVAL\n');
});

test('hide: telldir/seekdir positions around hidden entries stay usable (K1)', (t) => {
  const h = crowd([0, 1, 50, 51, 52, 200, 398, 399]);
  const [v, n] = both(h, probe('dirseek'), [join(h.home, 'big')]);
  same(t, [v, n]);
  t.regex(v.stdout, /^entries: 10$/m);
  t.notRegex(v.stdout, /\(end\)/);
});

/* ---- modes and config ---- */

test('hide: "intercept": "libc" still hides paths from glibc calls', (t) => {
  const h = makeHome();
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'hide', paths: ['~/.ssh'] }] }, tmpdir());
  const r = run('bash', ['-c', 'cat ~/.ssh/id_rsa; stat -c %n ~/.ssh; cat ~/.ssh2'], { config, env: { HOME: h.home } });
  t.is(r.stdout, 'two\n');
  t.is(r.stderr.match(/No such file or directory/g)?.length, 2, r.stderr);
});

test('hide: "intercept": "libc" leaves hidden entries out of ls (the own readdir of vu sends getdents64 through the dispatcher)', (t) => {
  const h = makeHome();
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'hide', paths: ['~/.ssh'] }] }, tmpdir());
  const r = run('ls', ['-a', h.home], { config, env: { HOME: h.home } });
  t.notRegex(r.stdout, /^\.ssh$/m);
});

test('hide: by default a symlink made to a hidden folder does not lead into it (hide judges the object the kernel reaches)', (t) => {
  const h = makeHome();
  const r = run('bash', ['-c', `ln -s ~/.ssh ${h.base}/way; cat ${h.base}/way/id_rsa`], { config: h.config, env: { HOME: h.home } });
  t.notRegex(r.stdout, /KEY/);
  t.regex(r.stderr, /way\/id_rsa: No such file or directory/);
});

test('hide: "strict": false compares names only (the opt-in, cheaper): the symlink reaches the file', (t) => {
  const h = makeHome();
  const config = writeConfig({ layers: [{ type: 'hide', paths: ['~/.ssh'], strict: false }] }, h.base);
  const r = run('bash', ['-c', `ln -s ~/.ssh ${h.base}/way; cat ${h.base}/way/id_rsa; cat ~/.ssh/id_rsa`], { config, env: { HOME: h.home } });
  t.regex(r.stdout, /KEY/);
  t.regex(r.stderr, /\.ssh\/id_rsa: No such file or directory/);
});

test('hide: a relative path in the config is relative to its folder', (t) => {
  const h = makeHome();
  const config = writeConfig({ layers: [{ type: 'hide', paths: ['home/.ssh'] }] }, h.base);
  const r = run('cat', [join(h.home, '.ssh/id_rsa')], { config });
  t.regex(r.stderr, /No such file or directory/);
  t.true(existsSync(join(h.home, '.ssh/id_rsa')));
});

const bad: Array<[string, unknown, RegExp]> = [
  ['paths not an array', { type: 'hide', paths: '~/.ssh' }, /hide\.paths must be an array, not a string/],
  ['paths missing', { type: 'hide' }, /layer hide needs option "paths"/],
  ['an empty list', { type: 'hide', paths: [] }, /hide\.paths is empty/],
  ['"/" in the list', { type: 'hide', paths: ['/tmp/..'] }, /hide\.paths: "\/" would hide everything/],
  ['a number in the list', { type: 'hide', paths: [1] }, /hide\.paths must be a string, not a number/],
];
for (const [title, layer, re] of bad) {
  test(`hide: ${title} -> exit 125 with FILE:LINE:COL, program not run`, (t) => {
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

test('hide: the calls newer than Debian 12\'s headers (fchmodat2, the *xattrat calls, file_getattr, open_tree_attr) see ENOENT as if deleted', (t) => {
  const h = makeHome();
  const py = [
    'import ctypes, struct, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'def call(*a):',
    '    # syscall() is variadic: every argument a full register (a C int would leave garbage above it)',
    '    r = libc.syscall(*[ctypes.c_long(x) if isinstance(x, int) else x for x in a])',
    '    return r if r >= 0 else -ctypes.get_errno()',
    'p = sys.argv[1].encode()',
    "buf = ctypes.create_string_buffer(256)",
    "args = ctypes.create_string_buffer(struct.pack('QII', ctypes.addressof(buf), 256, 0))",
    'fa = ctypes.create_string_buffer(64)',
    "print('fchmodat2', call(452, -100, p, 0o600, 0))",
    "print('getxattrat', call(464, -100, p, 0, b'user.x', args, 16))",
    "print('listxattrat', call(465, -100, p, 0, buf, 256))",
    "print('setxattrat', call(463, -100, p, 0, b'user.x', args, 16))",
    "print('removexattrat', call(466, -100, p, 0, b'user.x'))",
    "print('file_getattr', call(468, -100, p, fa, 24, 0) == -2)",
    "print('open_tree_attr', call(467, -100, p, 1, None, 0) == -2)",
  ].join('\n');
  same(t, both(h, 'python3', ['-c', py, join(h.home, '.ssh', 'id_rsa')]));
  const v = run('python3', ['-c', py, join(h.home, '.aws', 'credentials')], { config: h.config, env: { HOME: h.home } });
  t.is(v.stdout, 'fchmodat2 -2\ngetxattrat -2\nlistxattrat -2\nsetxattrat -2\nremovexattrat -2\nfile_getattr True\nopen_tree_attr True\n');
});

test('hide: "strict": true -- a symlink made to a hidden folder or file leads nowhere: no content, no cd, no create, no exec', (t) => {
  const h = makeHome();
  const config = writeConfig({ layers: [{ type: 'hide', paths: ['~/.ssh', '~/bin-secret'], strict: true }] }, h.base);
  const script = [
    `ln -s ~/.ssh ${h.base}/way`, `ln -s ~/.ssh/id_rsa ${h.base}/key`, `ln -s ~/bin-secret/tool ${h.base}/tool`,
    `cat ${h.base}/way/id_rsa ${h.base}/key`, `(cd ${h.base}/way && echo entered)`,
    `echo x > ${h.base}/way/new`, `${h.base}/tool`,
    `python3 -c "import os; os.open('${h.base}/way/known_hosts', os.O_RDONLY)"`,
    `${'$'}{RAWOPEN} ${h.base}/key`,
    'cat ~/notes.txt ~/visible/f',
  ].join('; ');
  const r = run('bash', ['-c', script], { config, env: { HOME: h.home, RAWOPEN: probe('rawopen') } });
  t.notRegex(r.stdout, /KEY|entered|secret tool|hosts/);
  // rawopen (inline syscalls, "all" mode) is refused too; other files read as usual
  t.is(r.stdout, 'open: No such file or directory\nnotes\nv\n');
  t.regex(r.stderr, /way\/id_rsa: No such file or directory/);
  t.regex(r.stderr, /key: No such file or directory/);
  t.regex(r.stderr, /cd: .*way: No such file or directory/);
  t.regex(r.stderr, /FileNotFoundError/);
  t.false(existsSync(join(h.home, '.ssh', 'new')), 'nothing created through the symlink');
});

test('hide: a folder remembered as crossing no symlink is forgotten when the program puts a symlink in its place', (t) => {
  const h = makeHome();
  // ~/.aws is hidden; work/d is first a real folder, then a symlink to ~/.aws
  const script = [
    'import os',
    `os.chdir('${h.base}')`,
    "os.makedirs('work/d', exist_ok=True)",
    "open('work/d/credentials', 'w').write('mine')",
    "print(open('work/d/credentials').read())",
    "os.rename('work/d', 'work/d.old')",
    `os.symlink('${h.home}/.aws', 'work/d')`,
    'try:',
    "    print(open('work/d/credentials').read())",
    'except OSError as e:',
    '    print(e.errno)',
    `os.chdir('${h.base}/work')`,
    'try:',
    "    print(open('d/credentials').read())",
    'except OSError as e:',
    '    print(e.errno)',
  ].join('\n');
  const r = run('python3', ['-c', script], { config: h.config, env: { HOME: h.home } });
  t.is(r.stdout, 'mine\n2\n2\n');
});

for (const mode of ['all', 'libc'] as const) {
  test(`hide: "except" keeps paths below a hidden one visible, and the folders on the way list only those ("${mode}")`, (t) => {
    const root = tmpdir('vu-hide-except-');
    const home = join(root, 'home');
    for (const d of ['project/src', '.ssh', 'other', 'a/b/keep', 'a/b/drop']) mkdirSync(join(home, d), { recursive: true });
    for (const f of ['project/src/main.c', '.ssh/id', 'other/x', 'top', 'a/b/keep/k', 'a/b/drop/d', 'a/b/file']) writeFileSync(join(home, f), `${f}\n`);
    const config = writeConfig({ intercept: mode, layers: [{ type: 'hide', paths: [home], except: [join(home, 'project'), join(home, 'a/b/keep')] }] });
    const script = [
      `ls -A ${home}`, `ls -A ${home}/a ${home}/a/b`, `cat ${home}/project/src/main.c ${home}/a/b/keep/k`,
      `cat ${home}/top ${home}/.ssh/id ${home}/a/b/file 2>&1 | sed 's/^cat: //'`, `test -e ${home}/other || echo other-hidden`,
      `cd ${home} && pwd && cd project && touch made && ls`, `touch ${home}/new 2>&1 | sed 's/^touch: //'`,
      `find ${home} | sort`,
    ].join('; ');
    const r = run('bash', ['-c', script], { config });
    t.is(r.stdout, [
      'a', 'project',
      `${home}/a:`, 'b', '', `${home}/a/b:`, 'keep',
      'project/src/main.c', 'a/b/keep/k',
      `${home}/top: No such file or directory`, `${home}/.ssh/id: No such file or directory`, `${home}/a/b/file: No such file or directory`,
      'other-hidden',
      home, 'made', 'src',
      `cannot touch '${home}/new': No such file or directory`,
      home, `${home}/a`, `${home}/a/b`, `${home}/a/b/keep`, `${home}/a/b/keep/k`, `${home}/project`, `${home}/project/made`,
      `${home}/project/src`, `${home}/project/src/main.c`, '',
    ].join('\n'), r.stderr);
    t.true(existsSync(join(home, 'project/made')), 'an excepted path is written for real');
    t.false(existsSync(join(home, 'new')));
  });
}

test('hide: an "except" path not below a hidden one -> exit 125 with FILE:LINE:COL', (t) => {
  const root = tmpdir('vu-hide-except-bad-');
  const config = writeConfig({ layers: [{ type: 'hide', paths: [join(root, 'a')], except: [join(root, 'b')] }] });
  const r = run('true', [], { config });
  t.is(r.status, 125);
  t.regex(r.stderr, /vu\.json:\d+:\d+: layer hide: hide\.except: .*\/b is not below a hidden path/);
});
