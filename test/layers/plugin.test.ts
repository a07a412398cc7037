/**
 * plugin: a user's layer built as a shared object against runtime/api/vu_layer.h
 * (the example in examples/plugin/, built here with its Makefile; broken
 * ones with gcc), loaded at start-up with its options; what cannot be
 * loaded is a config error at the path's position.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, ROOT, run, tmpdir, VU, writeConfig } from '../helpers.js';

const BUILD = tmpdir('vu-plugin-');
/** this libvu's layer ABI, as its header says */
const ABI = Number(/#define VU_ABI_VERSION (\d+)/.exec(readFileSync(join(ROOT, 'runtime/api/vu_layer.h'), 'utf8'))![1]);
const CONTENTS = 'hello from a plugin\n';

/** gcc -shared src -> BUILD/name.so, against the layer headers */
function build(name: string, src: string): string {
  const out = join(BUILD, `${name}.so`);
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror',
    '-I', join(ROOT, 'runtime', 'api'), '-I', join(ROOT, 'generated-c'), '-o', out, src]);
  return out;
}

function srcFile(name: string, text: string): string {
  const f = join(BUILD, `${name}.c`);
  writeFileSync(f, text);
  return f;
}

// the example, built the way its README says
execFileSync('make', ['-s', '-C', join(ROOT, 'examples', 'plugin'), `OUT=${BUILD}`]);
const hello = join(BUILD, 'hello.so');
const nosym = build('nosym', srcFile('nosym', 'int not_a_plugin = 1;\n'));
const oldabi = build('oldabi', srcFile('oldabi', [
  '#include "vu_layer.h"',
  'static const struct vu_layer_ops ops = { .abi = VU_ABI_VERSION };',
  'const struct vu_plugin vu_plugin = { VU_ABI_VERSION + 1, "old", &ops };',
  '',
].join('\n')));

/** a config folder holding hello.so, referred to relatively */
function helloConfig(options: Record<string, unknown> = { path: '/hello.txt', contents: CONTENTS },
  top: Record<string, unknown> = {}): string {
  const dir = tmpdir();
  copyFileSync(hello, join(dir, 'hello.so'));
  return writeConfig({ ...top, layers: [{ type: 'plugin', path: './hello.so', options }] }, dir);
}

test('plugin: cat, python3 and an inline open read the file the example plugin makes appear', (t) => {
  const config = helloConfig();
  t.false(existsSync('/hello.txt'));
  for (const [cmd, args] of [
    ['cat', ['/hello.txt']],
    ['python3', ['-c', "print(open('/hello.txt').read(), end='')"]],
    [probe('rawopen'), ['/hello.txt']],
  ] as const) {
    const r = run(cmd, [...args], { config });
    t.is(r.stderr, '', cmd);
    t.is(r.stdout, CONTENTS, cmd);
  }
});

test('plugin: relative paths reach the plugin absolute; other files are as native', (t) => {
  const config = helloConfig();
  t.is(run('cat', ['hello.txt'], { config, cwd: '/' }).stdout, CONTENTS);
  t.deepEqual(run('cat', ['/etc/hostname'], { config }), run('cat', ['/etc/hostname'], { vu: false }));
  t.deepEqual(run('ls', ['/'], { config }), run('ls', ['/'], { vu: false }));
});

test('plugin: writing the plugin\'s file fails as the plugin says (EROFS)', (t) => {
  const r = run('sh', ['-c', 'echo x > /hello.txt'], { config: helloConfig() });
  t.is(r.status, 2);
  t.regex(r.stderr, /cannot create \/hello\.txt: Read-only file system/);
});

test('plugin: "intercept": "libc" serves libc opens and not inline ones', (t) => {
  const config = helloConfig(undefined, { intercept: 'libc' });
  t.is(run('cat', ['/hello.txt'], { config }).stdout, CONTENTS);
  t.is(run(probe('rawopen'), ['/hello.txt'], { config }).stdout, 'open: No such file or directory\n');
});

test('plugin: VU_DEBUG shows it loaded and its own log lines', (t) => {
  const r = run('cat', ['/hello.txt'], { config: helloConfig(), env: { VU_DEBUG: '1' } });
  t.regex(r.stderr, /vu\[\d+\]: plugin hello loaded from .*\/hello\.so\n/);
  t.regex(r.stderr, /vu\[\d+\]: hello: \/hello\.txt -> 3\n/);
});

test('plugin: vu check and vu run load it', (t) => {
  const config = helloConfig();
  const check = run('node', [VU, 'check', config], { vu: false });
  t.is(check.status, 0, check.stderr);
  const r = run('node', [VU, 'run', '-c', config, '--', 'cat', '/hello.txt'], { vu: false });
  t.is(r.stdout, CONTENTS);
});

test('plugin: one built against the old header name (vu_plugin.h, vu_debug_log) still builds and logs', (t) => {
  const old = build('oldname', srcFile('oldname', [
    '#include "vu_plugin.h"',
    'static int old_wants(struct vu_layer *self, long nr) { (void)self; return nr == VU_NR_openat; }',
    'static enum vu_action old_enter(struct vu_layer *self, struct vu_call *c)',
    '{ (void)self; vu_debug_log("oldname: %s", vu_arg_str(c, 1)); return VU_CONTINUE; }',
    'static const struct vu_layer_ops ops = { .abi = VU_ABI_VERSION, .wants = old_wants, .enter = old_enter };',
    'VU_PLUGIN("oldname", &ops);',
    '',
  ].join('\n')));
  const r = run('cat', ['/etc/hostname'], { config: writeConfig(pluginText(old)), env: { VU_DEBUG: '1' } });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /vu\[\d+\]: oldname: \/etc\/hostname\n/);
});

test('plugin: VU_WANTS_ENTER skips leave for that call; VU_WANTS keeps it; vu_call_path and vu_call_names agree with the path', (t) => {
  const p = build('wantsenter', srcFile('wantsenter', [
    '#include "vu_layer.h"',
    '/* openat: enter only; newfstatat: enter and leave */',
    'static int w(struct vu_layer *self, long nr)',
    '{ (void)self; return nr == VU_NR_openat ? VU_WANTS_ENTER : nr == VU_NR_newfstatat ? VU_WANTS : 0; }',
    'static enum vu_action en(struct vu_layer *self, struct vu_call *c)',
    '{',
    '	long n; unsigned long h; const char *p; const struct vu_names *nm;',
    '	(void)self;',
    '	if (c->nr != VU_NR_openat) return VU_CONTINUE;',
    '	p = vu_call_path(c, 1, &n, &h);',
    '	nm = vu_call_names(c, 1);',
    '	if (p && vu_strlen(p) == (unsigned long)n && h == vu_strmap_hash(p, n) && nm)',
    '		vu_log("enter openat %s names %u last %d", p, nm->n, nm->hash[nm->n - 1] == vu_name_hash("passwd", 6));',
    '	return VU_CONTINUE;',
    '}',
    'static void lv(struct vu_layer *self, struct vu_call *c) { (void)self; vu_log("leave %s", vu_syscall_info(c->nr)->name); }',
    'static const struct vu_layer_ops ops = { .abi = VU_ABI_VERSION, .wants = w, .enter = en, .leave = lv };',
    'VU_PLUGIN("wantsenter", &ops);',
    '',
  ].join('\n')));
  const r = run('python3', ['-c', 'import os; open("/etc/./passwd").close(); os.stat("/etc/hostname")'],
    { config: writeConfig({ intercept: 'libc', layers: [{ type: 'plugin', path: p }] }) });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /enter openat \/etc\/passwd names 3 last 1\n/, 'the path normalized, its names as written (etc . passwd)');
  t.notRegex(r.stderr, /leave openat/);
  t.regex(r.stderr, /leave newfstatat/);
});

function pluginText(path: string, options = ''): string {
  return `{"layers": [\n  {"type": "plugin",\n   "path": ${JSON.stringify(path)}${options}}]}`;
}

const notElf = join(BUILD, 'text.so');
writeFileSync(notElf, 'not a shared object\n');

const bad: Array<[string, string, RegExp]> = [
  ['a missing file', pluginText('./nope.so'), /vu\.json:3:12: plugin\.path: .*\/nope\.so: No such file or directory/],
  ['a file that is not a shared object', pluginText(notElf), /vu\.json:3:12: layer plugin: cannot load it: .*text\.so/],
  ['a shared object without vu_plugin', pluginText(nosym), /vu\.json:3:12: layer plugin: .*nosym\.so does not export `const struct vu_plugin vu_plugin`/],
  ['another layer ABI', pluginText(oldabi), new RegExp(`vu\\.json:3:12: layer plugin: .*oldabi\\.so was built for layer ABI ${ABI + 1}, this libvu has ABI ${ABI}`)],
  ['options the plugin refuses', pluginText(hello, ',\n   "options": {"path": "relative"}'),
    /vu\.json:4:15: layer plugin: hello: options\.path: an absolute path \(a string\) is needed/],
  ['options that are not an object', pluginText(hello, ', "options": []'), /vu\.json:3:\d+: plugin\.options must be an object, not an array/],
];

for (const [title, text, expect] of bad) {
  test(`plugin: ${title} -> exit 125 with FILE:LINE:COL`, (t) => {
    const dir = tmpdir();
    const file = writeConfig(text, dir);
    const r = run('touch', [join(dir, 'ran')], { config: file });
    t.is(r.status, 125);
    t.regex(r.stderr, expect);
    t.true(r.stderr.startsWith(`vu: ${file}:`));
    t.false(existsSync(join(dir, 'ran')));
    // and vu check says the same
    const check = run('node', [VU, 'check', file], { vu: false });
    t.is(check.status, 1);
    t.regex(check.stderr, expect);
  });
}
