/**
 * glob and glob64 see the layers in both modes (issue 13: glibc's glob
 * opens and reads directories with its own internal calls, which "libc"
 * mode used to miss; runtime/libc/glob.c hands it vu's opendir, readdir and
 * stat through GLOB_ALTDIRFUNC). Natively, under a config with no layers,
 * and under hide and bind, in "libc" and "all" modes, with every flag the
 * probe knows.
 */
import test from 'ava';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const P = probe('globber');
const MODES = ['libc', 'all'] as const;
const FLAGSETS = [[], ['-mark'], ['-onlydir'], ['-brace'], ['-nocheck'], ['-period'], ['-64'], ['-64', '-mark']];

function tree(): string {
  const root = realpathSync(tmpdir('vu-glob-'));
  for (const d of ['a', 'b', 'secret', 'src', 'a/deep']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['a/one.txt', 'a/two.c', 'a/.dot', 'b/three.txt', 'secret/key.txt', 'a/deep/four.txt', 'src/s1.txt', 'src/s2.c', 'top.txt'])
    writeFileSync(join(root, f), `${f}\n`);
  return root;
}

function patterns(root: string): string[] {
  return [`${root}/*`, `${root}/*/*.txt`, `${root}/a/*`, `${root}/secret/*`, `${root}/{a,secret}/*`, `${root}/*/deep/*`, `${root}/nope*`,
    `${root}/a/.*`, `${root}/mnt/*`, `${root}/mnt/*.c`];
}

function globs(config: string | null, root: string, flags: string[]): string {
  const r = run(P, [...flags, ...patterns(root)], config === null ? { vu: false } : { config });
  if (r.status !== 0) throw new Error(`globber: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

test('glob: a config with no layers changes nothing, in both modes, with every flag', (t) => {
  const root = tree();
  for (const flags of FLAGSETS) {
    const native = globs(null, root, flags);
    for (const mode of MODES)
      t.is(globs(writeConfig({ intercept: mode, layers: [] }), root, flags), native, `${mode} ${flags.join(' ')}`);
  }
});

test('glob: a hidden folder is neither listed nor entered, in both modes, with every flag', (t) => {
  const root = tree();
  for (const flags of FLAGSETS) {
    const native = globs(null, root, flags);
    t.regex(native, /\/secret/, 'natively the folder is there');
    for (const mode of MODES) {
      const got = globs(writeConfig({ intercept: mode, layers: [{ type: 'hide', paths: [join(root, 'secret')] }] }), root, flags);
      // (GLOB_NOCHECK answers a pattern that matches nothing with itself)
      const matches = got.split('\n').filter((l) => !/: (\d+|nomatch|error \d+)$/.test(l) && !patterns(root).includes(l));
      t.false(matches.some((l) => /\/secret/.test(l)), `${mode} ${flags.join(' ')}: ${got}`);
      t.notRegex(got, /gl_flags has GLOB_ALTDIRFUNC/);
    }
  }
});

test('glob: a bound folder is listed with the source\'s contents, in both modes', (t) => {
  const root = tree();
  const want = globs(null, root, []).split('\n').filter((l) => l.startsWith(`${root}/src/`)).map((l) => l.replace('/src/', '/mnt/'));
  t.true(want.length > 0);
  for (const mode of MODES) {
    const got = globs(writeConfig({ intercept: mode, layers: [{ type: 'bind', source: join(root, 'src'), target: join(root, 'mnt') }] }), root, []);
    for (const w of want) t.true(got.split('\n').includes(w), `${mode}: ${w} in ${got}`);
  }
});
