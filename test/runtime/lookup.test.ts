/**
 * vu's path lookups against a model of them, on random maps and lists of 1
 * to 10,000 entries (issue 12): every query a real open of
 * test/probes/lookup.c, under vu in both modes, and natively.
 *
 * - remap: a query reaches the target of the entry its lexical absolute
 *   path names (the cwd or the dirfd joined, "." and ".." and "//" and a
 *   trailing "/" removed, symlinks not followed: layers/remap.md), and
 *   otherwise what it reaches natively.
 * - hide: a query whose lexical absolute path, or the real path of what
 *   it reaches, is a hidden path or below one fails with ENOENT, and
 *   otherwise reaches what it reaches natively.
 * - readonly: an open for writing of a file whose real path is at or below
 *   a read-only path fails with EROFS, and otherwise does what it does
 *   natively.
 *
 * The queries name each entry in every way a path can: as written, with
 * "//", "/./", "x/../", a trailing "/", relative to the cwd and to a
 * dirfd, through a symlinked folder, and files that are no entry. Each
 * list is asked twice in one process: the second time vu's verdict cache
 * answers (runtime/core/verdict.c), and must answer the same; relative
 * queries come from two working directories.
 */
import test from 'ava';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const P = probe('lookup');
const SIZES = [1, 10, 1000, 10000];
const MODES = ['libc', 'all'] as const;

/** A deterministic generator (the same queries every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Tree {
  root: string;
  files: string[];
  dirs: string[];
  targets: string[];
}

/** root/t/T0..T9 (targets), root/a/b/c/f0..f9 and root/a/b/g0..g4 (files),
 * root/link -> a/b, root/a/flink -> b/c/f1 */
function tree(): Tree {
  const root = realpathSync(tmpdir('vu-lookup-'));
  const targets: string[] = [];
  const files: string[] = [];
  mkdirSync(join(root, 't'));
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  for (let i = 0; i < 10; i++) {
    targets.push(join(root, 't', `T${i}`));
    writeFileSync(targets[i], `T${i}\n`);
    files.push(join(root, 'a/b/c', `f${i}`));
    writeFileSync(files[i], `real c/f${i}\n`);
  }
  for (let i = 0; i < 5; i++) {
    files.push(join(root, 'a/b', `g${i}`));
    writeFileSync(join(root, 'a/b', `g${i}`), `real b/g${i}\n`);
  }
  symlinkSync('a/b', join(root, 'link'));
  symlinkSync('b/c/f1', join(root, 'a/flink'));
  return { root, files, dirs: [join(root, 'a'), join(root, 'a/b'), join(root, 'a/b/c')], targets };
}

/** lexical absolute path of a query (as remap and hide's name look see it) */
function lexical(q: string, cwd: string): string {
  if (q.startsWith('@') || q.startsWith('~') || q.startsWith('%')) {
    const [d, p] = q.slice(1).split('\t');
    return posix.resolve(d, p);
  }
  return posix.resolve(cwd, q);
}

/** the ways of naming abs (an absolute path) that the queries use */
function forms(abs: string, root: string, r: () => number): string[] {
  const parts = abs.split('/');
  const cut = 1 + Math.floor(r() * (parts.length - 1));
  const head = parts.slice(0, cut).join('/') || '/';
  const tail = parts.slice(cut).join('/');
  const out = [abs, `${head}//${tail}`, `${head}/./${tail}`, `${head}/zz/../${tail}`, `${abs}/`];
  if (abs.startsWith(root + '/')) {
    const rel = abs.slice(root.length + 1);
    // relative to the cwd as it is (the probe's home is root), after a
    // chdir or fchdir elsewhere (the same text names another file there),
    // and back
    out.push(rel, `%${root}/a/b\t${rel}`, `~${root}/a\t${rel}`, `~${root}\t${rel}`, `@${root}/a\t../${rel}`, `~${root}/a/b\t../../${rel}`);
  }
  return out;
}

/** the real path of what a query reaches, or null */
function realOf(abs: string): string | null {
  try {
    return realpathSync(abs.replace(/\/+$/, '') || '/');
  } catch {
    return null;
  }
}

function lines(file: string, qs: string[]): void {
  writeFileSync(file, qs.join('\n') + '\n');
}

function probeRun(queries: string, config: string | null, cwd: string): string[] {
  const r = run(P, [queries], config === null ? { vu: false, cwd } : { config, cwd, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`lookup: status ${r.status}: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

for (const n of SIZES) {
  test(`remap with ${n.toLocaleString('en-US')} entries reaches what the model says, in both modes`, (t) => {
    const T = tree();
    const r = rng(n);
    const map: Record<string, string> = {};
    const keys: string[] = [];
    // entries that queries will name: files, folders, a missing name,
    // a path through the symlinked folder, the file symlink itself
    const named = [...T.files.slice(0, 8), T.dirs[2], join(T.root, 'a/x/missing'), join(T.root, 'link/c/f3'), join(T.root, 'a/flink')];
    for (const k of named.slice(0, Math.min(n, named.length))) {
      map[k] = T.targets[keys.length % 10];
      keys.push(k);
    }
    for (let i = keys.length; i < n; i++) map[join(T.root, 'fill', `d${Math.floor(i / 100)}`, `p${i % 100}`)] = T.targets[i % 10];
    const config = writeConfig({ layers: [{ type: 'remap', map }] });
    // queries: every form of every named entry, and of files that are none
    const plain = [...keys, ...T.files.slice(8), join(T.root, 'link/c/f0'), join(T.root, 'link/g1'), join(T.root, 'a/b/c/../g2')];
    const once = plain.flatMap((p) => forms(p, T.root, r));
    const qs = [...once, ...once];	// the second time from the verdict cache (runtime/core/verdict.c)
    const qfile = join(T.root, 'queries');
    lines(qfile, qs);
    const native = probeRun(qfile, null, T.root);
    const targetOut = probeRun((lines(join(T.root, 'tq'), T.targets), join(T.root, 'tq')), null, T.root);
    const expected = qs.map((q, i) => {
      const k = map[lexical(q, T.root)];
      return k === undefined ? native[i] : targetOut[T.targets.indexOf(k)];
    });
    t.true(expected.some((e, i) => e !== native[i]), 'the model remaps some queries');
    for (const mode of MODES) {
      const cfg = writeConfig({ intercept: mode, layers: [{ type: 'remap', map }] });
      const got = probeRun(qfile, cfg, T.root);
      const wrong = qs.map((q, i) => [q, got[i], expected[i]]).filter(([, g, e]) => g !== e);
      t.deepEqual(wrong, [], `${mode}: queries whose answer differs from the model`);
    }
    void config;
  });

  test(`hide with ${n.toLocaleString('en-US')} paths hides what the model says, in both modes`, (t) => {
    const T = tree();
    const r = rng(n + 7);
    const hidden: string[] = [];
    const named = [T.files[2], T.dirs[2], join(T.root, 'a/b/g3'), join(T.root, 't/T5')];
    for (const h of named.slice(0, Math.min(n, named.length))) hidden.push(h);
    for (let i = hidden.length; i < n; i++) hidden.push(join(T.root, 'fill', `d${Math.floor(i / 100)}`, `p${i % 100}`));
    const under = (p: string) => hidden.some((h) => p === h || p.startsWith(h + '/'));
    const plain = [...T.files, ...T.dirs, ...T.targets, join(T.root, 'link/c/f0'), join(T.root, 'link/g3'), join(T.root, 'a/flink'),
      join(T.root, 'link/c'), join(T.root, 'a/b/c/../g3'), join(T.root, 'a/b/c/missing')];
    const once = plain.flatMap((p) => forms(p, T.root, r));
    const qs = [...once, ...once];	// the second time from the verdict cache (runtime/core/verdict.c)
    const qfile = join(T.root, 'queries');
    lines(qfile, qs);
    const native = probeRun(qfile, null, T.root);
    const expected = qs.map((q, i) => {
      const abs = lexical(q, T.root);
      const real = realOf(abs);
      return under(abs.replace(/\/+$/, '') || '/') || (real !== null && under(real)) ? 'err:ENOENT' : native[i];
    });
    t.true(expected.some((e, i) => e !== native[i]), 'the model hides some queries');
    for (const mode of MODES) {
      const cfg = writeConfig({ intercept: mode, layers: [{ type: 'hide', paths: hidden }] });
      const got = probeRun(qfile, cfg, T.root);
      const wrong = qs.map((q, i) => [q, got[i], expected[i]]).filter(([, g, e]) => g !== e);
      t.deepEqual(wrong, [], `${mode}: queries whose answer differs from the model`);
    }
  });

  test(`readonly with ${n.toLocaleString('en-US')} paths refuses what the model says, in both modes`, (t) => {
    const T = tree();
    const r = rng(n + 13);
    const ro: string[] = [];
    const named = [T.files[4], T.dirs[2], join(T.root, 'a/b/g1'), join(T.root, 't')];
    for (const p of named.slice(0, Math.min(n, named.length))) ro.push(p);
    for (let i = ro.length; i < n; i++) ro.push(join(T.root, 'fill', `d${Math.floor(i / 100)}`, `p${i % 100}`));
    const under = (p: string) => ro.some((h) => p === h || p.startsWith(h + '/'));
    const plain = [...T.files, ...T.targets, join(T.root, 'link/c/f0'), join(T.root, 'link/g1'), join(T.root, 'a/flink'),
      join(T.root, 'a/b/c/../g1')];
    // each read first (let on, and remembered), then the same path for writing
    const once = plain.flatMap((p) => forms(p, T.root, r)).filter((q) => !q.endsWith('/')).flatMap((q) => [q, `!${q}`]);
    const qs = [...once, ...once];
    const qfile = join(T.root, 'queries');
    lines(qfile, qs);
    const native = probeRun(qfile, null, T.root);
    const expected = qs.map((q, i) => {
      if (!q.startsWith('!')) return native[i];
      const real = realOf(lexical(q.slice(1), T.root));
      return native[i] === 'written' && real !== null && under(real) ? 'err:EROFS' : native[i];
    });
    t.true(expected.some((e, i) => e !== native[i]), 'the model refuses some queries');
    for (const mode of MODES) {
      const cfg = writeConfig({ intercept: mode, layers: [{ type: 'readonly', paths: ro }] });
      const got = probeRun(qfile, cfg, T.root);
      const wrong = qs.map((q, i) => [q, got[i], expected[i]]).filter(([, g, e]) => g !== e);
      t.deepEqual(wrong, [], `${mode}: queries whose answer differs from the model`);
    }
  });
}

/* The verdict cache (runtime/core/verdict.c) remembers what the stack did
 * with a call; a process that then changes what the path reaches (a folder
 * moved away and a symlink put in its place) must get the new answer, not
 * the remembered one. Hide judges by the object the kernel reaches; the
 * same queries natively show what is reached. */
function swapTree(): { root: string; queries: string[] } {
  const root = realpathSync(tmpdir('vu-verdict-'));
  mkdirSync(join(root, 's'));
  writeFileSync(join(root, 's/x'), 'secret\n');
  mkdirSync(join(root, 'd'));
  writeFileSync(join(root, 'd/x'), 'plain\n');
  mkdirSync(join(root, 'ro'));
  writeFileSync(join(root, 'ro/x'), 'kept\n');
  const q = (p: string) => [p, p, `!${p}`];
  const queries = [
    ...q(join(root, 'd/x')), ...q('d/x'), ...q(join(root, 'd/./x')),
    `=${join(root, 'd')}\t${join(root, 'd2')}`, `>s\t${join(root, 'd')}`,
    ...q(join(root, 'd/x')), ...q('d/x'), ...q(join(root, 'd/./x')),
    `=${join(root, 'd')}\t${join(root, 'd3')}`, `>ro\t${join(root, 'd')}`,
    ...q(join(root, 'd/x')), ...q('d/x'),
    `=${join(root, 'd')}\t${join(root, 'd4')}`, `=${join(root, 'd2')}\t${join(root, 'd')}`,
    ...q(join(root, 'd/x')), ...q('d/x'),
  ];
  return { root, queries };
}

for (const mode of MODES) {
  test(`${mode}: a path's remembered answer is forgotten when the process moves a folder and puts a symlink in its place`, (t) => {
    const native = swapTree();
    const qn = join(native.root, 'queries');
    lines(qn, native.queries);
    const want = probeRun(qn, null, native.root);
    const T = swapTree();
    const qfile = join(T.root, 'queries');
    lines(qfile, T.queries);
    const cfg = writeConfig({ intercept: mode, layers: [
      { type: 'readonly', paths: [join(T.root, 'ro')] }, { type: 'hide', paths: [join(T.root, 's')] }] });
    const got = probeRun(qfile, cfg, T.root);
    // the model: what d is at each query (a folder, a link to s, a link
    // to ro, the folder again); natively the same queries read what it is
    let phase = 0;
    const expected = T.queries.map((q) => {
      if (q.startsWith('=') || q.startsWith('>')) {
        if (q.startsWith('>')) phase++;
        else if (q.includes('d2\t')) phase = 3;
        return 'ok';
      }
      const write = q.startsWith('!');
      return [write ? 'written' : 'file:plain', 'err:ENOENT', write ? 'err:EROFS' : 'file:kept', write ? 'written' : 'file:plain'][phase];
    });
    t.deepEqual(want.filter((w) => w.startsWith('file:')).filter((w, i, a) => a.indexOf(w) === i), ['file:plain', 'file:secret', 'file:kept'],
      'natively the queries reach d, then s, then ro, then d');
    const show = (q: string) => q.split(T.root).join('ROOT');
    t.deepEqual(T.queries.map((q, i) => `${show(q)} -> ${got[i]}`), T.queries.map((q, i) => `${show(q)} -> ${expected[i]}`));
  });
}
