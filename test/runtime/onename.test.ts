/**
 * One name of a folder held open (fstatat(dirfd, "name", AT_SYMLINK_NOFOLLOW),
 * as tar, find and rm -r walk a tree) skips the layers when every layer
 * that wants the call said which names it acts on and none holds this one
 * (vu_layer_names_only, runtime/core/verdict.c). The class: every form of
 * such a call through glibc and as an inline system call, followed and
 * not, reads and writes, on plain names and on every name a layer of the
 * four-layer stack acts on (hidden, remapped, the bind target, a symlink
 * into the hidden tree, a read-only file), in both modes: the answers are
 * the model's (the native run, with each layer's change), the same with
 * the shortcut off (VU_VERDICT_CACHE=0: every call goes down the layers),
 * and VU_STATS shows the shortcut answering the plain names.
 */
import test from 'ava';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const NAMES = ['f', 'secret', 'rk', 'bt', 'ln', 'lnf', 'lnro', 'missing', '.', '..', 'f/', 'sub', 'rt'];
// the forms that follow a symlink in the last name
const FOLLOWED = new Set(['fstatat', 'faccessat', 'openat', 'raw-newfstatat']);

function tree(): string {
  const T = realpathSync(tmpdir('vu-onename-'));
  for (const d of ['d', 'd/sub', 'ro', 'src']) mkdirSync(join(T, d));
  writeFileSync(join(T, 'd/f'), 'F\n');
  writeFileSync(join(T, 'd/secret'), 'SECRET\n');
  writeFileSync(join(T, 'd/rk'), 'KEY-AS-ON-DISK\n');
  writeFileSync(join(T, 'd/rt'), 'REMAPPED\n');
  writeFileSync(join(T, 'ro/g'), 'G\n');
  writeFileSync(join(T, 'src/inside'), 'I\n');
  symlinkSync('secret', join(T, 'd/ln'));
  symlinkSync('f', join(T, 'd/lnf'));
  symlinkSync('../ro/g', join(T, 'd/lnro'));
  return T;
}

/** "form name: answer" lines -> Map of "form name" -> answer */
function answers(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of out.trim().split('\n')) {
    const i = l.indexOf(': ');
    m.set(l.slice(0, i), l.slice(i + 2));
  }
  return m;
}

for (const mode of ['libc', 'all'] as const) {
  test(`${mode}: one name of a folder held open, every form, plain names and each layer's, gets the layers' answers with the shortcut on and off`, (t) => {
    const N = tree();
    const nat = run(probe('onename'), ['1', join(N, 'd'), ...NAMES], { vu: false });
    t.is(nat.status, 0, nat.stderr);
    const natRo = run(probe('onename'), ['1', join(N, 'ro'), 'g'], { vu: false });
    t.is(natRo.status, 0, natRo.stderr);
    const native = answers(nat.stdout);
    const nativeRo = answers(natRo.stdout);
    const forms = [...new Set([...native.keys()].map((k) => k.split(' ')[0]))];
    t.true(forms.length >= 15, forms.join(' '));

    // the model: what each name answers under the stack
    const model = new Map<string, string>();
    for (const form of forms) {
      for (const nm of NAMES) {
        const key = `${form} ${nm}`;
        let a = native.get(key)!;
        const seen = mode === 'all' || !form.startsWith('raw-');	// libc mode: inline calls reach the kernel
        if (seen) {
          if (nm === 'secret') a = 'ENOENT';
          else if (nm === 'rk') a = native.get(`${form} rt`)!;	// remapped to d/rt
          else if (nm === 'bt') a = native.get(`${form} sub`)!;	// the bind's source, a folder like d/sub
          else if (nm === 'ln' && FOLLOWED.has(form)) a = 'ENOENT';	// leads into the hidden tree
        }
        model.set(key, a);
      }
    }
    const modelRo = new Map(nativeRo);
    for (const form of ['fchownat-nofollow', 'utimensat-nofollow', 'openat-write-nofollow']) modelRo.set(`${form} g`, 'EROFS');

    const T = tree();
    const config = writeConfig({
      intercept: mode,
      layers: [
        { type: 'bind', source: join(T, 'src'), target: join(T, 'd/bt') },
        { type: 'readonly', paths: [join(T, 'ro')] },
        { type: 'hide', paths: [join(T, 'd/secret')] },
        { type: 'remap', map: { [join(T, 'd/rk')]: join(T, 'd/rt') } },
      ],
    });
    const outs: string[] = [];
    for (const cache of ['1', '0']) {
      const stats = join(tmpdir(), 'stats.jsonl');
      const r = run(probe('onename'), ['3', join(T, 'd'), ...NAMES], { config, env: { VU_VERDICT_CACHE: cache, VU_STATS: stats } });
      t.is(r.status, 0, r.stderr);
      const got = answers(r.stdout);
      t.is(got.size, model.size);
      for (const [k, v] of model) t.is(got.get(k), v, `${k}, VU_VERDICT_CACHE=${cache}`);
      t.is(r.stdout.split('\n').length, 3 * model.size + 1, 'three rounds');
      // (every round the same)
      const lines = r.stdout.trim().split('\n');
      t.deepEqual(lines.slice(0, model.size), lines.slice(2 * model.size), 'round 1 = round 3');
      outs.push(r.stdout);
      const cached = readFileSync(stats, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cached: number })
        .reduce((a, j) => a + j.cached, 0);
      // not followed, plain: f, lnf, lnro, missing, sub, rt -- 3 rounds of
      // fstatat, statx and openat (O_NOFOLLOW, O_PATH, O_DIRECTORY: no
      // write, so readonly lets them by) through glibc, and the inline
      // newfstatat and openat in "all" (faccessat: readonly looks after
      // it, readlinkat: bind does; writes: readonly judges them)
      if (cache === '1') t.true(cached >= 3 * 6 * (mode === 'all' ? 7 : 5), `the shortcut answered ${cached} calls`);
      else t.is(cached, 0, 'VU_VERDICT_CACHE=0: every call went down the layers');

      const ro = run(probe('onename'), ['2', join(T, 'ro'), 'g'], { config, env: { VU_VERDICT_CACHE: cache } });
      t.is(ro.status, 0, ro.stderr);
      const gotRo = answers(ro.stdout);
      for (const [k, v] of modelRo) {
        const seen = mode === 'all' || !k.startsWith('raw-');
        t.is(gotRo.get(k), seen ? v : nativeRo.get(k), `ro: ${k}, VU_VERDICT_CACHE=${cache}`);
      }
    }
    t.is(outs[0], outs[1], 'the shortcut on and off: the same answers');
  });
}

// a layer that did not name its names (deny: not even a pure one) keeps
// the shortcut off for the calls it wants: a denied fstatat is denied for
// every name (readonly, which judges writes by the object, is the other
// case: the read-only file above)
test('libc: a stack whose layers did not all name their names never skips them', (t) => {
  const T = tree();
  const config = writeConfig({
    layers: [
      { type: 'hide', paths: [join(T, 'd/secret')] },
      { type: 'deny', syscalls: ['newfstatat'], errno: 'EACCES' },
    ],
  });
  const stats = join(tmpdir(), 'stats.jsonl');
  const r = run(probe('onename'), ['2', join(T, 'd'), 'f', 'missing', 'secret'], { config, env: { VU_STATS: stats } });
  t.is(r.status, 0, r.stderr);
  const got = answers(r.stdout);
  for (const nm of ['f', 'missing']) {
    t.is(got.get(`fstatat-nofollow ${nm}`), 'EACCES', nm);
    t.is(got.get(`fstatat ${nm}`), 'EACCES', nm);
  }
  // (hide, above deny, answers first)
  t.is(got.get('fstatat-nofollow secret'), 'ENOENT');
  t.is(got.get('statx-nofollow f'), 'ok file 2');
  t.is(got.get('openat-nofollow f'), 'read "F"');
  t.is(got.get('openat-nofollow secret'), 'ENOENT');
});
