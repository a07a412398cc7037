/**
 * Every way of naming libvu in LD_PRELOAD starts vu (init.c, preloaded():
 * the list is read in place; an entry is libvu when it is ld.so's own name
 * for it, its base name as a bare name, or the same file by device and
 * inode): absolute, through a symlink, relative with a slash, a bare name
 * found through LD_LIBRARY_PATH (under libvu's name and under another),
 * second in a colon or space separated list, with empty entries. Each run
 * must see the remap, in both modes; a name of another file must not
 * start it (natively: the real file).
 */
import test from 'ava';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { LIB, ROOT, run, tmpdir, writeConfig } from '../helpers.js';

const HOST = readFileSync('/etc/hostname', 'utf8');
const PASSWD = readFileSync('/etc/passwd', 'utf8');

for (const intercept of ['libc', 'all'] as const) {
  test(`every way of naming libvu in LD_PRELOAD starts vu (${intercept})`, (t) => {
    const dir = tmpdir();
    const config = writeConfig({ intercept, layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] }, dir);
    symlinkSync(LIB, join(dir, 'link.so'));
    symlinkSync(LIB, join(dir, 'other-name.so'));
    // (ld.so names a preloaded library as LD_PRELOAD wrote it, made absolute
    // by vu when relative: the relative form is the one compared by file)
    const forms: [string, Record<string, string>, string][] = [
      ['absolute', { LD_PRELOAD: LIB }, ROOT],
      ['through a symlink', { LD_PRELOAD: join(dir, 'link.so') }, ROOT],
      ['relative, with a slash', { LD_PRELOAD: `./${relative(ROOT, LIB)}` }, ROOT],
      ['a bare name on LD_LIBRARY_PATH', { LD_PRELOAD: basename(LIB), LD_LIBRARY_PATH: dirname(LIB) }, ROOT],
      ['a bare name of a symlink on LD_LIBRARY_PATH', { LD_PRELOAD: 'other-name.so', LD_LIBRARY_PATH: dir }, ROOT],
      ['second in a colon list, with empty entries', { LD_PRELOAD: `::${join(dir, 'link.so')}::${LIB}:` }, ROOT],
      ['in a space separated list', { LD_PRELOAD: `  ${LIB}  ` }, ROOT],
    ];
    for (const [what, env, cwd] of forms) {
      const r = run('cat', ['/etc/passwd'], { vu: false, cwd, env: { ...env, VU_CONFIG: config } });
      t.is(r.status, 0, `${what}: ${r.stderr}`);
      t.is(r.stdout, HOST, `${what}: LD_PRELOAD=${env.LD_PRELOAD}`);
    }
  });
}

test('a preloaded copy of libvu under another file is still libvu; VU_CONFIG without libvu preloaded changes nothing', (t) => {
  const dir = tmpdir();
  const config = writeConfig({ layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] }, dir);
  const copy = join(dir, 'copy.so');
  copyFileSync(LIB, copy);
  const r = run('cat', ['/etc/passwd'], { vu: false, env: { LD_PRELOAD: copy, VU_CONFIG: config } });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, HOST);
  const n = run('cat', ['/etc/passwd'], { vu: false, env: { VU_CONFIG: config } });
  t.is(n.stdout, PASSWD);
});
