/**
 * vu.json compiled once per process tree (runtime/config/compiled.c): the
 * first process that starts with a config (at least 2 s old) writes what
 * it made of it into the cache folder, later ones read that back instead
 * of parsing. The answers must not change: the same program sees the same
 * view from a parsed and from a compiled config; a config changed in any
 * way (even with its size and modification time put back), deleted, or
 * whose paths are gone is parsed again and says what a parse says; a
 * compiled file of another format or libvu, cut short, damaged or garbage
 * is never misread: it is made again.
 */
import test from 'ava';
import { chownSync, mkdirSync, symlinkSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir } from '../helpers.js';

const MODES = ['libc', 'all'] as const;

interface Setup {
  root: string;
  cache: string;
  config: (mode: string) => string;
}

/** root/secret (hidden), root/ro (read-only), root/alias -> root/target, and
 * 200 more hidden paths (a list the compiled form carries); the configs are
 * written, then 2.2 s pass (a config younger than 2 s is not compiled) */
async function setup(): Promise<Setup> {
  const root = realpathSync(tmpdir('vu-compiled-'));
  const cache = join(root, 'cache');
  mkdirSync(join(root, 'secret'));
  writeFileSync(join(root, 'secret/s'), 'S\n');
  mkdirSync(join(root, 'ro'));
  writeFileSync(join(root, 'target'), 'T\n');
  const more = Array.from({ length: 200 }, (_, i) => join(root, `more/d${i % 7}/p${i}`));
  for (const mode of MODES) {
    writeFileSync(join(root, `vu-${mode}.json`), JSON.stringify({
      intercept: mode,
      layers: [
        { type: 'hide', paths: [join(root, 'secret'), ...more] },
        { type: 'readonly', paths: ['ro', '~/nothing-here'] },	// relative to the config, and "~"
        { type: 'remap', map: { [join(root, 'alias')]: join(root, 'target') } },
      ],
    }, null, 2));
  }
  await new Promise((r) => setTimeout(r, 2200));
  return { root, cache, config: (mode) => join(root, `vu-${mode}.json`) };
}

const SCRIPT = 'cat alias; ls secret 2>&1 | sed "s/^.*: //"; touch ro/x 2>&1 | sed "s/^.*: //"; cat secret/s 2>&1 | sed "s/^.*: //"; echo end';

/** the script's view (without VU_DEBUG: its lines would mix with the output) */
function view(s: Setup, mode: string, env: Record<string, string> = {}) {
  const r = run('sh', ['-c', SCRIPT], { config: s.config(mode), cwd: s.root, env: { VU_CACHE_DIR: s.cache, ...env } });
  return { status: r.status, out: r.stdout, stderr: r.stderr };
}

/** what one process (true) did with the compiled form: wrote it, read it */
function start(s: Setup, mode: string, env: Record<string, string> = {}) {
  const r = run('true', [], { config: s.config(mode), cwd: s.root, env: { VU_CACHE_DIR: s.cache, VU_DEBUG: '1', ...env } });
  return {
    status: r.status,
    compiledInto: /config: .* compiled into /.test(r.stderr),
    compiledIn: /config: .* compiled in /.test(r.stderr),
    stderr: r.stderr.split('\n').filter((l) => / config: |vu-(libc|all)\.json/.test(l)).join('\n'),
  };
}

function compiledFiles(s: Setup): string[] {
  try {
    return readdirSync(s.cache).filter((f) => /^config-[0-9a-f]{16}\.1$/.test(f)).map((f) => join(s.cache, f));
  } catch {
    return [];
  }
}

const WANT = 'T\nNo such file or directory\nRead-only file system\nNo such file or directory\nend\n';

test('compiled: the first process compiles the config, later ones read it back and see the same view (both modes)', async (t) => {
  const s = await setup();
  for (const mode of MODES) {
    const none = start(s, mode, { VU_CACHE_DIR: '' });
    t.false(none.compiledInto || none.compiledIn, 'VU_CACHE_DIR="": nothing compiled');
    t.is(compiledFiles(s).length, mode === 'libc' ? 0 : 1);
    const parsed = view(s, mode, { VU_CACHE_DIR: '' });
    t.is(parsed.out, WANT, `${mode}: ${parsed.stderr}`);
    const first = start(s, mode);
    t.true(first.compiledInto, `${mode}: the first process writes it: ${first.stderr}`);
    const second = start(s, mode);
    t.true(second.compiledIn, `${mode}: the next one reads it: ${second.stderr}`);
    t.false(second.compiledInto);
    t.is(view(s, mode).out, WANT, `${mode}: from the compiled form`);
  }
  t.is(compiledFiles(s).length, 2, 'one file per config');
});

test('compiled: a config changed with its size and modification time put back is parsed again, and the change is seen', async (t) => {
  const s = await setup();
  const cfg = s.config('libc');
  t.true(start(s, 'libc').compiledInto);
  t.true(start(s, 'libc').compiledIn);
  t.is(view(s, 'libc').out, WANT);
  // hide "target" instead of "secret": the same length, the old mtime
  const before = statSync(cfg, { bigint: true });
  const text = readFileSync(cfg, 'utf8');
  const changed = text.replace(join(s.root, 'secret'), join(s.root, 'target'));
  t.is(changed.length, text.length);
  writeFileSync(cfg, changed);
  // (touch sets the nanoseconds too; Node's utimes rounds them)
  const ns = before.mtimeNs.toString().padStart(10, '0');
  t.is(run('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, cfg], { vu: false }).status, 0);
  t.is(statSync(cfg, { bigint: true }).mtimeNs, before.mtimeNs);
  t.is(statSync(cfg, { bigint: true }).size, before.size);
  t.false(start(s, 'libc').compiledIn, 'changed: parsed again');
  const after = view(s, 'libc');
  // secret is seen now (and alias still reaches target: remap is below hide)
  t.is(after.out, 'T\ns\nRead-only file system\nS\nend\n', after.stderr);
  t.is(view(s, 'libc', { VU_CACHE_DIR: '' }).out, after.out, 'as a parse of it');
  t.false(start(s, 'libc').compiledInto, 'changed less than 2 s ago: not compiled yet');
  await new Promise((r) => setTimeout(r, 2200));
  t.true(start(s, 'libc').compiledInto, 'compiled again');
  t.true(start(s, 'libc').compiledIn, 'and read back');
  t.is(view(s, 'libc').out, after.out);
});

test('compiled: a deleted config, and a config whose remap target is gone, say what a parse says (exit 125)', async (t) => {
  const s = await setup();
  t.true(start(s, 'libc').compiledInto);
  // the target must exist: gone, the compiled form is not used
  rmSync(join(s.root, 'target'));
  const gone = start(s, 'libc');
  const goneParsed = start(s, 'libc', { VU_CACHE_DIR: '' });
  t.is(gone.status, 125);
  t.is(goneParsed.status, 125);
  t.is(gone.stderr.replace(/vu\[\d+\]/g, 'vu'), goneParsed.stderr.replace(/vu\[\d+\]/g, 'vu'));
  t.regex(gone.stderr, /vu-libc\.json:\d+:\d+: .*target/);
  writeFileSync(join(s.root, 'target'), 'T\n');
  rmSync(s.config('libc'));
  const deleted = start(s, 'libc');
  t.is(deleted.status, 125);
  t.regex(deleted.stderr, /vu-libc\.json/);
  t.is(view(s, 'libc').out, '');
});

test('compiled: another format, another libvu, a file cut short, damaged or garbage is never misread: it is made again', async (t) => {
  const s = await setup();
  t.true(start(s, 'all').compiledInto);
  const [file] = compiledFiles(s);
  const good = readFileSync(file);
  const damage: [string, (b: Buffer) => Buffer][] = [
    ['another format', (b) => { const c = Buffer.from(b); c.writeUInt32LE(c.readUInt32LE(8) + 1, 8); return c; }],
    ['another libvu', (b) => { const c = Buffer.from(b); c[16] ^= 1; return c; }],
    ['cut short', (b) => b.subarray(0, Math.floor(b.length / 2) & ~7)],
    ['one byte of a path changed', (b) => { const c = Buffer.from(b); const at = c.indexOf(Buffer.from('/secret')); c[at + 1] = 'X'.charCodeAt(0); return c; }],
    ['garbage', (b) => Buffer.alloc(b.length, 0x41)],
    ['empty', () => Buffer.alloc(0)],
  ];
  for (const [what, f] of damage) {
    writeFileSync(file, f(good));
    const r = start(s, 'all');
    t.false(r.compiledIn, `${what}: not read: ${r.stderr}`);
    t.true(r.compiledInto, `${what}: made again`);
    writeFileSync(file, f(good));
    t.is(view(s, 'all').out, WANT, what);
    t.true(start(s, 'all').compiledIn, `${what}: and read back after`);
  }
  // a file another user owns (it could say anything): not read, made again
  if (process.getuid?.() === 0) {
    writeFileSync(file, good);
    chownSync(file, 65534, 65534);
    const r = start(s, 'all');
    t.false(r.compiledIn, 'another user\'s: not read');
    t.true(r.compiledInto);
    t.is(statSync(file).uid, 0);
  }
  // a truncate to a size that is not a whole number of words
  truncateSync(file, 13);
  t.false(start(s, 'all').compiledIn);
  t.is(view(s, 'all').out, WANT);
});

test('compiled: a config reached through a symlink that is pointed elsewhere, and a relative VU_CACHE_DIR (no cache), are never read from a compiled form', async (t) => {
  const s = await setup();
  // vu.json -> vu-libc.json, compiled; then vu.json -> vu-all.json (as old)
  const link = join(s.root, 'vu.json');
  symlinkSync(s.config('libc'), link);
  const viaLink = (env: Record<string, string> = {}) => {
    const r = run('true', [], { config: link, cwd: s.root, env: { VU_CACHE_DIR: s.cache, VU_DEBUG: '1', ...env } });
    return { into: /config: .* compiled into /.test(r.stderr), in: /config: .* compiled in /.test(r.stderr), mode: /mode (libc|all)/.exec(r.stderr)?.[1] };
  };
  t.true(viaLink().into);
  t.deepEqual(viaLink(), { into: false, in: true, mode: 'libc' });
  rmSync(link);
  symlinkSync(s.config('all'), link);
  const after = viaLink();
  t.false(after.in, 'another file behind the same name: parsed');
  t.is(after.mode, 'all');
  // VU_CACHE_DIR not absolute: no cache at all, as for rewriting
  const rel = run('true', [], { config: s.config('libc'), cwd: s.root, env: { VU_CACHE_DIR: 'cache', VU_DEBUG: '1' } });
  t.notRegex(rel.stderr, /config: .* compiled (in|into) /);
});
