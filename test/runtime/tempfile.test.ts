/**
 * glibc's temporary files (mkstemp family, mkdtemp, mktemp, tempnam,
 * tmpnam, tmpfile) make their calls inside glibc; vu rebuilds them on its
 * own wrappers (runtime/libc/tempfile.c) so the layers see them in "libc"
 * mode too. The probe prints each result with the random letters checked
 * and masked: natively and under vu the outputs must be the same.
 */
import test from 'ava';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const MODES = ['libc', 'all'] as const;

/** DIR's entries with their six random letters masked */
function names(dir: string): string[] {
  return readdirSync(dir).map((n) => n.replace(/[A-Za-z0-9]{6}(\.suf|\.c|-x)?$/, '??????$1')).sort();
}

function native() {
  const dir = tmpdir('vu-tempfile-native-');
  const r = run(probe('tempfile'), [dir], { vu: false });
  return { r, dir };
}

for (const mode of MODES) {
  test(`tempfile: "${mode}" mode, pass-through configs: the same results as natively`, (t) => {
    const n = native();
    t.is(n.r.status, 0, n.r.stderr);
    t.regex(n.r.stdout, /^mkstemp: DIR\/stemp\.\?{6}, file 0600, rdwr, by name: same$/m);
    t.regex(n.r.stdout, /^mkdtemp: DIR\/dtemp\.\?{6}, dir 0700$/m);
    t.regex(n.r.stdout, /^mkstemps\(-1\): -1 Invalid argument, template DIR\/bad\.XXXXXX\.suf$/m);
    const unrelated = tmpdir('vu-tempfile-unrelated-');
    const configs = [
      writeConfig({ intercept: mode, layers: [] }),
      // layers that want every open, mkdir and stat, and pass them down
      writeConfig({ intercept: mode, layers: [{ type: 'readonly', paths: [unrelated] }, { type: 'hide', paths: [join(unrelated, 'x')] }] }),
    ];
    for (const config of configs) {
      const dir = tmpdir('vu-tempfile-');
      const r = run(probe('tempfile'), [dir], { config });
      t.is(r.stderr, '');
      t.is(r.status, 0);
      t.is(r.stdout, n.r.stdout);
      t.deepEqual(names(dir), names(n.dir));
    }
  });

  test(`tempfile: "${mode}" mode, under a bind the files land in the source`, (t) => {
    const n = native();
    const base = tmpdir('vu-tempfile-bind-');
    const src = join(base, 'src');
    mkdirSync(src);
    const tgt = `/etc/vu-tempfile-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const config = writeConfig({ intercept: mode, layers: [{ type: 'bind', source: './src', target: tgt }] }, base);
    const r = run(probe('tempfile'), [tgt], { config });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    t.is(r.stdout, n.r.stdout);
    t.deepEqual(names(src), names(n.dir));
    t.true(names(src).includes('stemp.??????'));
    t.false(existsSync(tgt), 'nothing is created on the host at the target');
  });

  test(`tempfile: "${mode}" mode, under readonly creation fails with EROFS (tmpfile too)`, (t) => {
    const dir = tmpdir('vu-tempfile-ro-');
    const config = writeConfig({ intercept: mode, layers: [{ type: 'readonly', paths: [dir, '/tmp'] }] });
    const r = run(probe('tempfile'), [dir], { config });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    for (const fn of ['mkstemp', 'mkstemp64', 'mkostemp\\(O_APPEND\\|O_CLOEXEC\\)', 'mkstemps\\(4\\)', 'mkostemps64\\(0, O_APPEND\\)'])
      t.regex(r.stdout, new RegExp(`^${fn}: -1 Read-only file system, template DIR/`, 'm'));
    t.regex(r.stdout, /^mkdtemp: NULL Read-only file system$/m);
    t.regex(r.stdout, /^mkstemp\(5 X\): -1 Invalid argument, template DIR\/bad\.XXXXX$/m);
    t.regex(r.stdout, /^mktemp: DIR\/mtemp\.\?{6}, exists: no$/m);
    t.regex(r.stdout, /^tmpfile: NULL Read-only file system$/m);
    t.regex(r.stdout, /^tmpfile64: Read-only file system$/m);
    t.deepEqual(readdirSync(dir), []);
  });

  test(`tempfile: "${mode}" mode, under hide the hidden folder is ENOENT`, (t) => {
    const base = tmpdir('vu-tempfile-hide-');
    const dir = join(base, 'secret');
    mkdirSync(dir);
    const config = writeConfig({ intercept: mode, layers: [{ type: 'hide', paths: [dir] }] });
    const r = run(probe('tempfile'), [dir], { config });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    for (const fn of ['mkstemp', 'mkostemp64\\(O_SYNC\\|O_WRONLY\\)', 'mkstemps64\\(2\\)', 'mkostemps\\(2, O_CLOEXEC\\)'])
      t.regex(r.stdout, new RegExp(`^${fn}: -1 No such file or directory, template DIR/`, 'm'));
    t.regex(r.stdout, /^mkdtemp: NULL No such file or directory$/m);
    // tempnam's folder does not exist for the program: it falls back to P_tmpdir
    t.regex(r.stdout, /^tempnam\(DIR, pfxlong\): \/tmp\/pfxlo\?{6}$/m);
    t.regex(r.stdout, /^tmpfile: file 0600, links 0, read back hello$/m);
    t.deepEqual(readdirSync(dir), []);
  });
}

test('tempfile: git init/add/commit in a bound work tree in "libc" mode', (t) => {
  const base = tmpdir('vu-tempfile-git-');
  const src = join(base, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'hello\n');
  writeFileSync(join(src, 'sub', 'b.txt'), 'world\n');
  const tgt = `/work/vu-tempfile-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'bind', source: src, target: tgt }] }, base);
  const env = { GIT_AUTHOR_NAME: 'vu', GIT_AUTHOR_EMAIL: 'vu@example.org', GIT_COMMITTER_NAME: 'vu', GIT_COMMITTER_EMAIL: 'vu@example.org', HOME: base };
  const script = [
    `cd ${tgt}`,
    'git init -q .',
    'git add -A',
    'git commit -q -m first',
    'echo more >> a.txt',
    'git commit -q -am second',
    'git log --format=%s',
    'git ls-files',
    'git status --porcelain',
  ].join(' && ');
  const r = run('bash', ['-c', script], { config, env, cwd: base });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, 'second\nfirst\na.txt\nsub/b.txt\n');
  t.true(existsSync(join(src, '.git', 'HEAD')));
  t.false(existsSync(tgt), 'nothing is created on the host at the target');
  // the source is a git repository the host's git reads as well
  const host = run('git', ['-C', src, 'log', '--format=%s'], { vu: false, env });
  t.is(host.stdout, 'second\nfirst\n');
});
