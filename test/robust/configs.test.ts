/**
 * Bad input: every broken vu.json in test/robust/configs/ (and a few made
 * here: too large, unreadable, huge but fast to reject) stops the program
 * before its main with exit 125 and "vu: FILE:LINE:COL: message"; the
 * program never runs.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIB, ROOT, VU, run, tmpdir } from '../helpers.js';

const DIR = join(ROOT, 'test', 'robust', 'configs');

/** file -> [LINE:COL, what the message says] */
const expected: Record<string, [string, RegExp]> = {
  'bom-utf16be.json': ['1:1', /UTF-16 byte order mark: vu\.json must be UTF-8/],
  'bom-utf16le.json': ['1:1', /UTF-16 byte order mark: vu\.json must be UTF-8/],
  'bom-utf8-then-error.json': ['1:14', /trailing comma/],
  'deep-nesting.json': ['1:91', /nested too deeply/],
  'duplicate-key.json': ['3:3', /duplicate key in object/],
  'duplicate-map-key.json': ['1:71', /duplicate key in object/],
  'empty-path.json': ['1:39', /remap\.map must not be empty/],
  'empty.json': ['1:1', /unexpected end of file/],
  'latin1-key.json': ['1:4', /string is not valid UTF-8/],
  'missing-option.json': ['1:13', /layer remap needs option "map"/],
  'missing-target.json': ['1:54', /remap\.map: \/no\/such\/vu-target: No such file or directory/],
  'missing-type.json': ['1:13', /layers\[0\]: missing "type"/],
  'non-utf8-overlong.json': ['1:29', /string is not valid UTF-8/],
  'non-utf8-surrogate.json': ['1:29', /string is not valid UTF-8/],
  'non-utf8.json': ['1:46', /string is not valid UTF-8/],
  'nul-byte.json': ['2:17', /NUL byte in file/],
  'nul-only.json': ['1:1', /NUL byte in file/],
  'number-huge-integer.json': ['1:12', /"layers" must be an array, not a number/],
  'number-out-of-range.json': ['1:15', /"intercept" must be a string, not a number/],
  'path-too-long.json': ['1:39', /remap\.map is too long/],
  'syntax-bad-escape.json': ['1:30', /bad escape in string/],
  'syntax-comment.json': ['2:3', /expected a "key" in object/],
  'syntax-control-char.json': ['1:30', /control character in string/],
  'syntax-escaped-nul.json': ['1:51', /\\u0000 is not allowed/],
  'syntax-leading-zero.json': ['1:28', /numbers may not start with 0/],
  'syntax-lone-surrogate.json': ['1:29', /unpaired surrogate/],
  'syntax-missing-colon.json': ['1:11', /expected ':' after key/],
  'syntax-single-quotes.json': ['1:2', /expected a "key" in object/],
  'syntax-trailing-comma.json': ['3:32', /trailing comma/],
  'syntax-trailing-text.json': ['2:1', /unexpected text after the JSON value/],
  'syntax-truncated.json': ['1:51', /expected ',' or '}' in object/],
  'syntax-unterminated-string.json': ['1:28', /unterminated string/],
  'too-many-layers.json': ['1:12', /at most 64 layers/],
  'top-level-array.json': ['1:1', /the config must be an object, not an array/],
  'top-level-null.json': ['1:1', /the config must be an object, not null/],
  'unknown-layer.json': ['2:12', /unknown layer type "remapp" \(did you mean "remap"\?\) \(known: .*remap/],
  'unknown-option.json': ['2:32', /unknown option "maps" for layer remap/],
  'unknown-top-key.json': ['1:16', /unknown key "layer" \(did you mean "layers"\?\)/],
  'whitespace-only.json': ['3:1', /unexpected end of file/],
  'wrong-type-intercept.json': ['1:15', /"intercept" must be a string, not a boolean/],
  'wrong-type-layer-item.json': ['1:13', /layers\[0\] must be an object, not a string/],
  'wrong-type-layers.json': ['1:12', /"layers" must be an array, not an object/],
  'wrong-type-map-value.json': ['1:54', /remap\.map must be a string, not a number/],
  'wrong-type-map.json': ['1:38', /remap\.map must be an object, not an array/],
  'wrong-type-type.json': ['1:22', /"type" must be a string, not a number/],
  'wrong-value-intercept.json': ['1:15', /"intercept" must be "all" or "libc", not "ALL"/],
};

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Run `touch MARKER` under libvu.so with VU_CONFIG=file (as nobody when asked). */
function attempt(file: string, asNobody = false) {
  const dir = tmpdir();
  chmodSync(dir, 0o777);
  const marker = join(dir, 'ran');
  const r = asNobody
    ? run('setpriv', [...NOBODY, 'touch', marker], { config: file, cwd: dir, timeout: 20_000 })
    : run('touch', [marker], { config: file, cwd: dir, timeout: 20_000 });
  return { ...r, ran: existsSync(marker) };
}

function refused(t: any, r: ReturnType<typeof attempt>, file: string, at: string, what: RegExp) {
  t.is(r.status, 125, r.stderr);
  t.false(r.ran, 'the program must not run');
  const first = r.stderr.split('\n')[0];
  t.is(first.slice(0, `vu: ${file}:${at}: `.length), `vu: ${file}:${at}: `, first);
  t.regex(first, what);
  t.regex(r.stderr, /vu: not running the program: its configuration has \d+ errors?\n$/);
}

test('configs: the corpus and the expectations name the same files', (t) => {
  t.deepEqual(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort(), Object.keys(expected).sort());
});

for (const [name, [at, what]] of Object.entries(expected)) {
  test(`configs: ${name} -> exit 125 at ${at}, program not run`, (t) => {
    const file = join(DIR, name);
    refused(t, attempt(file), file, at, what);
  });
}

test('configs: vu check reports the same FILE:LINE:COL and exits 1', (t) => {
  for (const name of ['syntax-trailing-comma.json', 'nul-byte.json', 'unknown-option.json', 'non-utf8.json']) {
    const file = join(DIR, name);
    const env = { ...process.env };
    delete env.LD_PRELOAD;
    delete env.VU_CONFIG;
    const r = spawnSync('node', [VU, 'check', file], { encoding: 'utf8', env });
    t.is(r.status, 1, name);
    t.true(r.stdout.concat(r.stderr).includes(`${file}:${expected[name][0]}: `), r.stdout + r.stderr);
  }
});

test('configs: a file over 1 MiB is refused without being parsed', (t) => {
  const file = join(tmpdir(), 'vu.json');
  writeFileSync(file, `{"layers": [], "$comment": "${'x'.repeat(1 << 20)}"}`);
  refused(t, attempt(file), file, '1:1', /cannot read config: file too large \(\d+ bytes, at most 1048576\)/);
});

test('configs: a 1 MiB one-line file is rejected in linear time (no quadratic column count)', (t) => {
  // ~500,000 values on one line, the error at its very end
  const body = `{"layers": [], "$comment": [${'0,'.repeat(520_000)}]}`;
  const file = join(tmpdir(), 'vu.json');
  writeFileSync(file, body);
  const t0 = Date.now();
  const r = attempt(file);
  const ms = Date.now() - t0;
  refused(t, r, file, `1:${body.length - 2}`, /trailing comma/);
  t.true(ms < 5000, `took ${ms} ms`);
});

test('configs: an object with 90,000 keys is checked for duplicates in linear time', (t) => {
  const keys = Array.from({ length: 90_000 }, (_, i) => `"${i}":0`);
  keys.push('"17":1');
  const body = `{"layers": [], "$comment": {${keys.join(',')}}}`;
  const file = join(tmpdir(), 'vu.json');
  writeFileSync(file, body);
  const t0 = Date.now();
  const r = attempt(file);
  const ms = Date.now() - t0;
  refused(t, r, file, `1:${body.length - 7}`, /duplicate key in object/);
  t.true(ms < 5000, `took ${ms} ms`);
});

test('configs: a directory or a device is not a config (every other kind: config-kinds.test.ts)', (t) => {
  for (const [file, kind] of [[tmpdir(), 'a directory'], ['/dev/null', 'a character device']]) {
    const r = attempt(file);
    t.is(r.status, 125, r.stderr);
    t.false(r.ran, 'the program must not run');
    t.is(r.stderr.split('\n')[0], `vu: ${file}: not a regular file (${kind})`);
  }
});

test('configs: unreadable config and unreachable paths, as a user without rights (setpriv nobody)', (t) => {
  const dir = tmpdir();
  chmodSync(dir, 0o755);
  // a config nobody cannot read
  const unreadable = join(dir, 'unreadable.json');
  writeFileSync(unreadable, '{"layers": []}');
  chmodSync(unreadable, 0o600);
  refused(t, attempt(unreadable, true), unreadable, '1:1', /cannot read config: Permission denied/);
  // a config inside a folder nobody cannot search
  const closed = join(dir, 'closed');
  mkdirSync(closed, { mode: 0o700 });
  const inside = join(closed, 'vu.json');
  writeFileSync(inside, '{"layers": []}');
  refused(t, attempt(inside, true), inside, '1:1', /cannot read config: Permission denied/);
  // a readable config whose remap target nobody cannot reach
  writeFileSync(join(closed, 'target'), 'x\n');
  const target = join(dir, 'target.json');
  writeFileSync(target, JSON.stringify({ layers: [{ type: 'remap', map: { '/etc/passwd': join(closed, 'target') } }] }));
  chmodSync(target, 0o644);
  refused(t, attempt(target, true), target, '1:49', /remap\.map: .*\/closed\/target: Permission denied/);
  // the same config is fine for its owner: the program runs
  const ok = attempt(target);
  t.is(ok.status, 0, ok.stderr);
  t.true(ok.ran);
});
