/**
 * ftw, nftw and their 64 names see the layers in both modes (issue 13:
 * glibc's walker opens, reads and stats with internal calls, which "libc"
 * mode used to miss; runtime/libc/ftw.c is glibc 2.36's walk on vu's
 * wrappers). A tree with nested folders, symlinks to a file, to a folder,
 * dangling and in a loop, walked with every flag and several nopenfd
 * values: under a config with no layers the walk is the native one,
 * callback for callback (flags, level, base, stat, the working directory
 * with FTW_CHDIR, the result); under hide a hidden folder is neither
 * reported nor entered; under bind a bound folder is walked with the
 * source's contents.
 */
import test from 'ava';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const P = probe('walker');
const MODES = ['libc', 'all'] as const;
const HOWS = ['-nftw', '-nftw64', '-ftw', '-ftw64'];
const FLAGS = [[], ['-phys'], ['-depth'], ['-chdir'], ['-mount'], ['-action'], ['-phys', '-depth', '-chdir'], ['-action', '-depth'],
  ['-nopenfd', '1'], ['-nopenfd', '2', '-chdir'], ['-nopenfd', '1', '-phys', '-depth']];

function tree(): string {
  const root = realpathSync(tmpdir('vu-ftw-'));
  for (const d of ['t/a/b/c', 't/secret/inner', 't/skipme/x', 't/d', 'src/sub']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['t/top', 't/a/one', 't/a/b/two', 't/a/b/c/three', 't/secret/key', 't/secret/inner/deep', 't/skipme/x/y',
    't/d/siblings', 't/d/after', 'src/s1', 'src/sub/s2'])
    writeFileSync(join(root, f), `${f}\n`);
  symlinkSync('a/one', join(root, 't/lfile'));
  symlinkSync('a/b', join(root, 't/ldir'));
  symlinkSync('nowhere', join(root, 't/ldangling'));
  symlinkSync('..', join(root, 't/a/b/c/lloop'));
  return root;
}

function walk(config: string | null, root: string, args: string[], dir: string): string {
  const r = run(P, [...args, dir], config === null ? { vu: false, cwd: root } : { config, cwd: root });
  if (r.status !== 0) throw new Error(`walker: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

test('ftw: a config with no layers walks as natively, every entry point, flag and nopenfd, in both modes', (t) => {
  const root = tree();
  for (const how of HOWS)
    for (const flags of how.startsWith('-nftw') ? FLAGS : [[], ['-nopenfd', '1']]) {
      const args = [how, ...flags];
      for (const dir of [join(root, 't'), 't/', join(root, 't/a/one'), join(root, 't/ldangling'), join(root, 'nope')]) {
        const native = walk(null, root, args, dir);
        for (const mode of MODES)
          t.is(walk(writeConfig({ intercept: mode, layers: [] }), root, args, dir), native, `${mode} ${args.join(' ')} ${dir}`);
      }
    }
});

test('ftw: a hidden folder is neither reported nor entered, in both modes', (t) => {
  const root = tree();
  for (const how of HOWS)
    for (const flags of how.startsWith('-nftw') ? FLAGS : [[]]) {
      const args = [how, ...flags];
      const native = walk(null, root, args, join(root, 't'));
      t.regex(native, /\/secret/);
      const want = native.split('\n').filter((l) => !/\/t\/secret(\/|\s|$)/.test(l)).join('\n');
      for (const mode of MODES) {
        const got = walk(writeConfig({ intercept: mode, layers: [{ type: 'hide', paths: [join(root, 't/secret')] }] }), root, args, join(root, 't'));
        t.is(got, want, `${mode} ${args.join(' ')}`);
      }
    }
});

test('ftw: a bound folder is walked with the source\'s contents, in both modes', (t) => {
  const root = tree();
  const want = walk(null, root, ['-nftw'], join(root, 'src')).split('\n').filter((l) => / file /.test(l))
    .map((l) => l.replace(`${root}/src`, `${root}/t/mnt`).replace(/ level=\d+ base=\d+/, ''));
  t.true(want.length >= 2);
  for (const mode of MODES) {
    const got = walk(writeConfig({ intercept: mode, layers: [{ type: 'bind', source: join(root, 'src'), target: join(root, 't/mnt') }] }),
      root, ['-nftw'], join(root, 't')).split('\n').map((l) => l.replace(/ level=\d+ base=\d+/, ''));
    for (const w of want) t.true(got.includes(w), `${mode}: ${w}`);
  }
});
