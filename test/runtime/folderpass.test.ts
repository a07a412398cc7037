/**
 * A path of several names, not followed (git status lstat()s each file of
 * a tree once), skips the layers when they all said their answer is the
 * folder's for a name none of them holds (VU_NAMES_ONLY_FOLDER) and one
 * name of that folder already went down them and on unchanged
 * (runtime/core/verdict.c, "folders"). The class: every such form through
 * glibc and inline, absolute, relative and names of the working directory,
 * in plain folders, folders with hidden, remapped and bound names, folders
 * reached through a symlink (to a visible folder, into the hidden tree),
 * read-only folders (reads skip, writes never), a folder swapped for a
 * symlink into the hidden tree after it was remembered, a chdir between two
 * names of the working directory, and hide with visible parts (except),
 * which never says so -- in both modes, with the shortcut on and off
 * (VU_VERDICT_CACHE=0: every call goes down the layers, the answers this
 * must not change), and against the native run where no layer acts.
 */
import test from 'ava';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

function tree(): string {
  const T = realpathSync(tmpdir('vu-folderpass-'));
  for (const d of ['d', 'd/sub', 'd/many', 'hid', 'hid/pub', 'vis', 'ro', 'src']) mkdirSync(join(T, d));
  for (const f of ['x', 'y', 'z']) writeFileSync(join(T, 'd/sub', f), `${f.toUpperCase()}\n`);
  for (let i = 0; i < 200; i++) writeFileSync(join(T, 'd/many', `f${i}`), `${i}\n`);
  writeFileSync(join(T, 'd/f'), 'F\n');
  writeFileSync(join(T, 'd/secret'), 'SECRET\n');
  writeFileSync(join(T, 'd/rk'), 'KEY-AS-ON-DISK\n');
  writeFileSync(join(T, 'd/rt'), 'REMAPPED\n');
  writeFileSync(join(T, 'hid/h1'), 'H1\n');
  writeFileSync(join(T, 'hid/pub/p1'), 'P1\n');
  for (const f of ['v1', 'v2', 'v3', 'h1']) writeFileSync(join(T, 'vis', f), `${f}\n`);
  writeFileSync(join(T, 'ro/g1'), 'G1\n');
  writeFileSync(join(T, 'ro/g2'), 'G2\n');
  writeFileSync(join(T, 'src/i1'), 'I1\n');
  writeFileSync(join(T, 'src/i2'), 'I2\n');
  symlinkSync('vis', join(T, 'lvis'));
  symlinkSync('hid', join(T, 'lhid'));
  return T;
}

function steps(T: string): string[] {
  return [
    `@cd:${T}`,
    'd/sub/x', 'd/sub/y', 'd/sub/z', join(T, 'd/sub/x'), join(T, 'd/sub/y'),
    'd/f', 'd/secret', 'd/rk', 'd/rt', 'd/f',
    'd/bt/i1', 'd/bt/i2',
    'lvis/v1', 'lvis/v2', 'lvis/h1',
    'lhid/h1', 'lhid/nope', 'hid/h1', 'hid/pub/p1', 'lhid/pub/p1',
    'ro/g1', 'ro/g2', join(T, 'ro/g1'),
    `@cd:${join(T, 'vis')}`, 'v1', 'v2', 'v3', `@cd:${join(T, 'd')}`, 'v1', 'f', 'rk',
    `@cd:${T}`, 'vis/v1', 'vis/v2', 'vis/h1',
    '@mv:vis:vis0', '@ln:hid:vis', 'vis/v1', 'vis/h1', '@rm:vis', '@mv:vis0:vis', 'vis/h1',
  ];
}

function answers(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of out.trim().split('\n')) {
    const i = l.indexOf(': ');
    if (i < 0) continue;
    const k = l.slice(0, i);
    m.set(k, [...(m.get(k) ?? []), l.slice(i + 2)]);
  }
  return m;
}

function layers(T: string, except: boolean) {
  return [
    { type: 'bind', source: join(T, 'src'), target: join(T, 'd/bt') },
    { type: 'readonly', paths: [join(T, 'ro')] },
    { type: 'hide', paths: [join(T, 'd/secret'), join(T, 'hid')], ...(except ? { except: [join(T, 'hid/pub')] } : {}) },
    { type: 'remap', map: { [join(T, 'd/rk')]: join(T, 'd/rt') } },
  ];
}

for (const mode of ['libc', 'all'] as const) {
  for (const except of [false, true]) {
    test(`${mode}${except ? ', hide with except' : ''}: paths of several names, not followed, get the layers' answers with the folder shortcut on and off`, (t) => {
      const N = tree();
      const nat = run(probe('pathnames'), ['2', ...steps(N)], { vu: false });
      t.is(nat.status, 0, nat.stderr);
      const T = tree();
      const config = writeConfig({ intercept: mode, layers: layers(T, except) });
      const outs: string[] = [];
      for (const cache of ['1', '0']) {
        const r = run(probe('pathnames'), ['2', ...steps(T)], { config, env: { VU_VERDICT_CACHE: cache } });
        t.is(r.status, 0, r.stderr);
        outs.push(r.stdout.split(T).join('T'));
      }
      // the shortcut changes no answer
      const on = outs[0].split('\n');
      const off = outs[1].split('\n');
      t.is(on.length, off.length);
      for (let i = 0; i < on.length; i++) if (on[i] !== off[i]) t.is(on[i], off[i], `line ${i + 1}`);

      // and the answers are the layers'
      const got = answers(outs[0]);
      const native = answers(nat.stdout.split(N).join('T'));
      const seen = (form: string) => mode === 'all' || !form.startsWith('raw-');
      const forms = [...new Set([...got.keys()].map((k) => k.split(' ')[0]))];
      t.true(forms.length >= 13, forms.join(' '));
      for (const form of forms) {
        // plain folders, and a folder reached through a symlink to a visible one: the native answers
        for (const p of ['d/sub/x', 'd/sub/y', 'd/sub/z', 'T/d/sub/y', 'd/f', 'lvis/v1', 'lvis/h1', 'v2', 'f', 'vis/v2'])
          t.deepEqual(got.get(`${form} ${p}`), native.get(`${form} ${p}`), `${form} ${p}`);
        if (!seen(form)) continue;
        for (const p of ['d/secret', 'lhid/h1', 'hid/h1'])
          t.deepEqual(got.get(`${form} ${p}`), ['ENOENT', 'ENOENT'], `${form} ${p}: hidden`);
        // vis/h1: no such file, then vis is a symlink into the hidden tree
        // (still hidden), then vis again
        t.deepEqual(got.get(`${form} vis/h1`), native.get(`${form} vis/h1`)!.map((a, i) => (i % 3 === 1 ? 'ENOENT' : a)),
          `${form} vis/h1 before, while and after vis leads into the hidden tree`);
        for (const p of ['hid/pub/p1', 'lhid/pub/p1'])
          t.deepEqual(got.get(`${form} ${p}`), except ? native.get(`${form} ${p}`) : ['ENOENT', 'ENOENT'], `${form} ${p}`);
        if (form.startsWith('open-write') || form.startsWith('fchownat') || form.startsWith('utimensat'))
          t.deepEqual(got.get(`${form} ro/g1`), ['EROFS', 'EROFS'], `${form} ro/g1: read-only`);
        if (['lstat', 'fstatat-nofollow', 'statx-nofollow', 'raw-lstat', 'raw-newfstatat-nofollow'].includes(form)) {
          t.deepEqual(got.get(`${form} d/rk`), native.get(`${form} d/rt`), `${form} d/rk: remapped`);
          t.deepEqual(got.get(`${form} rk`), native.get(`${form} d/rt`), `${form} rk (in d): remapped`);
          t.deepEqual(got.get(`${form} d/bt/i1`), ['ok file 3', 'ok file 3'], `${form} d/bt/i1: bound`);
          t.deepEqual(got.get(`${form} v1`), native.get(`${form} v1`), `${form} v1: the cwd's, then d's (none)`);
        }
      }
      t.deepEqual(got.get('open-nofollow d/bt/i2'), ['read "I2"', 'read "I2"']);
      t.deepEqual(got.get('open-nofollow d/rk'), ['read "REMAPPED"', 'read "REMAPPED"']);
      if (except) {
        // through a symlink to a hidden folder on the way to an excepted
        // path: the excepted names, and only those
        t.deepEqual(got.get('open-nofollow lhid/h1'), ['ENOENT', 'ENOENT']);
      }
    });
  }
}

// a folder of 200 files, each asked once: after the first name, each goes
// on without the layers (VU_STATS counts it with the cache's answers)
for (const mode of ['libc', 'all'] as const) {
  test(`${mode}: 200 names of one folder, each asked once, skip the layers after the first`, (t) => {
    const T = tree();
    const config = writeConfig({ intercept: mode, layers: layers(T, false) });
    const names = Array.from({ length: 200 }, (_, i) => `d/many/f${i}`);
    for (const cache of ['1', '0']) {
      const stats = join(tmpdir(), 'stats.jsonl');
      const r = run(probe('pathnames'), ['1', `@cd:${T}`, ...names], { config, env: { VU_VERDICT_CACHE: cache, VU_STATS: stats } });
      t.is(r.status, 0, r.stderr);
      const got = answers(r.stdout);
      for (let i = 0; i < 200; i += 37) t.deepEqual(got.get(`open-nofollow d/many/f${i}`), [`read "${i}"`]);
      const cached = readFileSync(stats, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cached: number })
        .reduce((a, j) => a + j.cached, 0);
      // lstat, fstatat, statx, open O_NOFOLLOW / O_PATH / O_DIRECTORY (+
      // the inline lstat, newfstatat and openat in "all"); lstat and
      // fstatat are the same call
      if (cache === '1') t.true(cached >= 199 * (mode === 'all' ? 8 : 6), `the shortcut answered ${cached} calls`);
      else t.is(cached, 0);
    }
  });
}
