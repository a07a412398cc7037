/**
 * Bad configuration never runs the program: "vu: FILE:LINE:COL: message"
 * on stderr and exit status 125, before main. Config lookup: VU_CONFIG,
 * else the nearest vu.json upward, else none; relative paths are relative
 * to the config's folder; children get the absolute path.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, writeConfig } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8');
const pass = readFileSync('/etc/passwd', 'utf8');

const bad: Array<[string, string, RegExp]> = [
  ['syntax error', '{\n  "layers": [\n    { "type": "remap", }\n  ]\n}\n', /vu\.json:3:22: trailing comma/],
  ['not an object', '[1, 2]', /vu\.json:1:1: the config must be an object, not an array/],
  ['unknown top-level key', '{ "layer": [] }', /vu\.json:1:3: unknown key "layer" \(did you mean "layers"\?\)/],
  ['unknown layer type', '{"layers": [\n {"type": "remapp"}]}', /vu\.json:2:11: unknown layer type "remapp" \(did you mean "remap"\?\) \(known: .*remap/],
  ['unknown option', '{"layers": [{"type": "remap", "map": {}, "mapp": 1}]}', /vu\.json:1:42: unknown option "mapp" for layer remap \(did you mean "map"\?\) \(options: map\)/],
  ['missing option', '{"layers": [{"type": "remap"}]}', /vu\.json:1:13: layer remap needs option "map"/],
  ['wrong type', '{"layers": [{"type": "remap", "map": ["/a"]}]}', /vu\.json:1:38: remap\.map must be an object, not an array/],
  ['missing target path', '{"layers": [{"type": "remap", "map": {"/etc/passwd": "/no/such/file"}}]}', /vu\.json:1:54: remap\.map: \/no\/such\/file: No such file or directory/],
  ['bad intercept', '{"intercept": "some", "layers": []}', /vu\.json:1:15: "intercept" must be "all" or "libc", not "some"/],
  ['not UTF-8', '{"layers": [{"type": "remap", "map": {"/etc/p\xff": "/etc/hostname"}}]}', /vu\.json:1:\d+: string is not valid UTF-8/],
  ['empty file', '', /vu\.json:1:1: unexpected end of file/],
  ['deep nesting', '['.repeat(100) + ']'.repeat(100), /vu\.json:1:65: nested too deeply/],
];

for (const [title, text, expect] of bad) {
  test(`config: ${title} -> exit 125 with FILE:LINE:COL, program not run`, (t) => {
    const dir = tmpdir();
    const file = join(dir, 'vu.json');
    writeFileSync(file, Buffer.from(text, 'latin1'));
    const marker = join(dir, 'ran');
    const r = run('touch', [marker], { config: file });
    t.is(r.status, 125);
    t.regex(r.stderr, /^vu: /);
    t.regex(r.stderr, expect);
    t.true(r.stderr.includes(`vu: ${file}:`));
    t.false(existsSync(marker), 'the program must not run');
  });
}

test('config: a missing VU_CONFIG file is an error, not pass-through', (t) => {
  const dir = tmpdir();
  const r = run('touch', [join(dir, 'ran')], { config: join(dir, 'nope.json') });
  t.is(r.status, 125);
  t.regex(r.stderr, /nope\.json:1:1: cannot read config: No such file or directory/);
  t.false(existsSync(join(dir, 'ran')));
});

test('config: every error is reported, not just the first', (t) => {
  const file = writeConfig('{"layers": [{"type": "x"}, {"type": "remap", "map": 3}], "zz": 1}');
  const r = run('true', [], { config: file });
  t.is(r.status, 125);
  t.regex(r.stderr, /unknown key "zz"/);
  t.regex(r.stderr, /unknown layer type "x"/);
  t.regex(r.stderr, /remap\.map must be an object/);
});

test('config: the nearest vu.json upward is used, relative paths from its folder', (t) => {
  const dir = tmpdir();
  mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  writeFileSync(join(dir, 'target.txt'), 'target\n');
  writeFileSync(join(dir, 'vu.json'), JSON.stringify({ layers: [{ type: 'remap', map: { '/etc/passwd': 'target.txt' } }] }));
  const r = run('cat', ['/etc/passwd'], { cwd: join(dir, 'a', 'b') });
  t.is(r.stdout, 'target\n');
  // a child started elsewhere with a scrubbed environment keeps the same config
  const c = run('sh', ['-c', 'cd / && env -i /bin/cat /etc/passwd'], { cwd: join(dir, 'a') });
  t.is(c.stdout, 'target\n');
  // VU_CONFIG="" means no config
  t.is(run('cat', ['/etc/passwd'], { cwd: join(dir, 'a'), config: null }).stdout, pass);
});

test('config: relative VU_CONFIG is made absolute for children', (t) => {
  const dir = tmpdir();
  writeFileSync(join(dir, 'my.json'), JSON.stringify({ layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] }));
  const r = run('sh', ['-c', 'cd / && echo $VU_CONFIG && cat /etc/passwd'], { cwd: dir, config: 'my.json' });
  t.is(r.stdout, `${join(dir, 'my.json')}\n${host}`);
});
