/**
 * remap, hide and readonly with thousands of entries (issue 12: the path
 * tables are hash maps built at start-up): the answers are the ones a
 * plain list would give, for random maps of 1 to 10,000 entries, with
 * paths written with "..", "//" and trailing slashes in the config and by
 * the program.
 */
import test from 'ava';
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, writeConfig } from '../helpers.js';

/** a deterministic random generator, so a failure can be re-run */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

/** a way of writing an absolute path that names the same file */
function spell(p: string, r: () => number): string {
  const parts = p.split('/').filter(Boolean);
  const k = Math.floor(r() * 4);
  if (k === 0) return p;
  if (k === 1) return '/' + parts.join('//');
  if (k === 2 && parts.length > 1) return '/' + [...parts.slice(0, -1), 'x', '..', parts[parts.length - 1]].join('/');
  return '/' + parts.slice(0, -1).join('/') + '/./' + parts[parts.length - 1];
}

const pyRead = `
import sys
for p in sys.argv[1:]:
    try:
        print(open(p).read().strip())
    except OSError as e:
        print('E%d' % e.errno)
`;

for (const n of [1, 100, 10000]) {
  test.serial(`remap with ${n} entries gives the answers of a plain list`, (t) => {
    const r = rng(n);
    const dir = tmpdir();
    mkdirSync(join(dir, 'd'));
    mkdirSync(join(dir, 'd', 'x'));
    writeFileSync(join(dir, 'target'), 'target');
    const files = Array.from({ length: 200 }, (_, i) => join(dir, 'd', `f${i}`));
    files.forEach((f, i) => writeFileSync(f, `own${i}`));
    const map: Record<string, string> = {};
    const mapped = new Set<string>();
    for (let i = 0; i < n; i++) {
      const real = i < files.length && r() < 0.5 ? files[i] : join(dir, 'd', `ghost${i}`);
      map[spell(real, r)] = join(dir, 'target');
      mapped.add(real);
    }
    const config = writeConfig({ layers: [{ type: 'remap', map }] }, dir);
    const ask = [...files, ...Array.from({ length: 50 }, (_, i) => join(dir, 'd', `ghost${Math.floor(r() * n)}`))];
    const want = ask.map((p) => (mapped.has(p) ? 'target' : p.includes('ghost') ? 'E2' : `own${files.indexOf(p)}`));
    const got = run('python3', ['-c', pyRead, ...ask.map((p) => spell(p, r))], { config });
    t.is(got.stderr, '');
    t.deepEqual(got.stdout.trim().split('\n'), want);
  });

  test.serial(`hide and readonly with ${n} paths give the answers of a plain list`, (t) => {
    const r = rng(n + 7);
    const dir = tmpdir();
    mkdirSync(join(dir, 'd'));
    mkdirSync(join(dir, 'd', 'x'));
    const files = Array.from({ length: 200 }, (_, i) => join(dir, 'd', `f${i}`));
    files.forEach((f, i) => writeFileSync(f, `own${i}`));
    symlinkSync(join(dir, 'd', 'f1'), join(dir, 'd', 'link-to-f1'));
    const hidden = new Set<string>();
    const paths: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = i < files.length && r() < 0.5 ? files[i] : join(dir, 'd', `ghost${i}`);
      if (i < files.length && p === files[i]) hidden.add(p);
      paths.push(spell(p, r) + (r() < 0.2 ? '/' : ''));
    }
    const config = writeConfig({ layers: [{ type: 'hide', paths }] }, dir);
    const want = files.map((p, i) => (hidden.has(p) ? 'E2' : `own${i}`));
    const got = run('python3', ['-c', pyRead, ...files.map((p) => spell(p, r))], { config });
    t.is(got.stderr, '');
    t.deepEqual(got.stdout.trim().split('\n'), want);
    // the listing leaves exactly the hidden ones out, and a symlink to a hidden file leads nowhere
    const ls = run('python3', ['-c', `import os; print(sorted(os.listdir('${join(dir, 'd')}')))`], { config });
    const names = ['link-to-f1', 'x', ...files.filter((p) => !hidden.has(p)).map((p) => p.split('/').pop()!)].sort();
    t.is(ls.stdout.trim(), `[${names.map((s) => `'${s}'`).join(', ')}]`);
    const viaLink = run('python3', ['-c', pyRead, join(dir, 'd', 'link-to-f1')], { config });
    t.is(viaLink.stdout.trim(), hidden.has(files[1]) ? 'E2' : 'own1');
    // readonly with the same list: writes to listed files fail, others work
    const ro = writeConfig({ layers: [{ type: 'readonly', paths }] }, tmpdir());
    const pyWrite = `
import sys
for p in sys.argv[1:]:
    try:
        open(p, 'a').close(); print('ok')
    except OSError as e:
        print('E%d' % e.errno)
`;
    const w = run('python3', ['-c', pyWrite, ...files.slice(0, 50)], { config: ro });
    t.deepEqual(w.stdout.trim().split('\n'), files.slice(0, 50).map((p) => (hidden.has(p) ? 'E30' : 'ok')));
  });
}
