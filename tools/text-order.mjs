#!/usr/bin/env node
/**
 * tools/text-order.mjs -- writes runtime/text-order.ld: the functions of
 * libvu.so a process runs at start-up and on its common calls, first in
 * its code (between __vu_hot_start and __vu_hot_end).
 *
 * Why: the kernel maps a file's pages 64 KiB around each page a process
 * first touches (fault-around). Start-up ran ~120 functions spread over
 * the whole 580 KiB of code, so 7 of its 64 KiB windows -- ~450 KiB --
 * became resident in every process under vu; gathered, they fill three.
 * The order changes where code lies, never what it does: a stale list
 * costs memory, not correctness (functions it names that no longer exist
 * match nothing).
 *
 * The script is an INSERT script (ld's default script stays) whose .text
 * statement comes before the default one and takes every code section:
 * the listed functions first, then what the default .text takes, in its
 * order (binutils 2.40). The default .text is left empty and dropped, so
 * the library keeps one .text (valgrind reads symbols and lines only in
 * the section named .text: a separate section for the hot code left
 * callgrind's profiles without files for it).
 *
 * How: each program below runs under gdb with libvu preloaded and a
 * breakpoint at every function of libvu's (from nm, placed when the
 * loader has mapped it); a breakpoint hit is noted and removed. Both
 * modes ("all" runs SUD, which gdb does not disturb), the four-layer
 * stack. First the functions start-up runs (in the order first run), then
 * those the programs' calls add.
 *
 * usage: node tools/text-order.mjs [--check] [build/Release/libvu.so]  (needs gdb, nm)
 * --check: write nothing; list the functions start-up runs that lie outside
 * [__vu_hot_start, __vu_hot_end), and exit 1 if there are any
 * (test/runtime/textorder.test.ts)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const check = process.argv.includes('--check');
const lib = resolve(process.argv.slice(2).find((a) => a !== '--check') ?? join(root, 'build/Release/libvu.so'));
const dir = mkdtempSync(join(tmpdir(), 'vu-order-'));
const hide = join(dir, 'secret');
writeFileSync(hide, 'x\n');
const layers = [
  { type: 'bind', source: '/usr/share', target: join(dir, 'bound') },
  { type: 'readonly', paths: ['/usr/share', join(dir, 'ro')] },
  { type: 'hide', paths: [hide] },
  { type: 'remap', map: { '/etc/passwd': '/etc/hostname' } },
];
const configs = ['libc', 'all'].map((mode) => {
  const f = join(dir, `${mode}.json`);
  writeFileSync(f, JSON.stringify({ intercept: mode, layers }));
  return f;
});
// the same stack with 300 hidden and 300 read-only paths: start-up's maps
// grow and collide (strmap's slower paths run, as they do for some
// configs' paths and not others)
const many = join(dir, 'many.json');
{
  const ps = Array.from({ length: 300 }, (_, k) => join(dir, `p${k}`, `name${k * 7919 % 1000}`));
  writeFileSync(many, JSON.stringify({ intercept: 'libc', layers: [layers[0],
    { type: 'readonly', paths: ps.map((p) => `${p}.ro`) }, { type: 'hide', paths: ps }, layers[3]] }));
}

// every function of libvu's with its offset (nm -S: value size type name)
const fns = new Map(), sizes = new Map();
for (const line of execFileSync('nm', ['-S', '--defined-only', lib], { encoding: 'utf8' }).split('\n')) {
  const [value, size, type, name] = line.split(/\s+/);
  if (!name || !/^[tT]$/.test(type) || !parseInt(size, 16)) continue;
  fns.set(parseInt(value, 16), name);
  sizes.set(name, (sizes.get(name) ?? 0) + parseInt(size, 16));
}
const offsets = join(dir, 'offsets');
writeFileSync(offsets, [...fns.keys()].join('\n') + '\n');

const script = join(dir, 'order.py');
writeFileSync(script, `
import gdb
offsets = [int(l) for l in open(${JSON.stringify(offsets)})]
base = None
hits = []
gdb.execute('set pagination off')
gdb.execute('set breakpoint always-inserted on')
gdb.execute('set stop-on-solib-events 1')
gdb.execute('run', to_string=True)
while True:
    try:
        pc = int(gdb.parse_and_eval('$pc'))
    except gdb.error:
        break
    if base is None:
        maps = gdb.execute('info proc mappings', to_string=True).splitlines()
        at = [l.split() for l in maps if l.strip().endswith(${JSON.stringify(lib)})]
        at = [int(f[0], 16) for f in at if int(f[3], 16) == 0]
        if at:
            base = at[0]
            gdb.execute('set stop-on-solib-events 0')
            for off in offsets:
                gdb.execute('tbreak *%d' % (base + off), to_string=True)
    else:
        hits.append(pc - base)
    try:
        gdb.execute('continue', to_string=True)
    except gdb.error:
        break
print('HITS ' + ' '.join(str(h) for h in hits))
`);

// vu's cache as users have it (the compiled config, "all" mode's rewritten
// images and learned sites), made before the runs that are counted: their
// start-up is the common one, which reads it
const cache = join(dir, 'cache');
const vuEnv = (config, cold = false) => ({ ...process.env, LD_PRELOAD: lib, VU_CONFIG: config, VU_CACHE_DIR: cold ? '' : cache });
let settled = false;
function warm(config) {
  // a config is compiled only once it is 2 s old (compiled.c)
  if (!settled) spawnSync('sleep', ['2.2']);
  settled = true;
  for (let i = 0; i < 2; i++) spawnSync('/bin/true', [], { env: vuEnv(config) });
}

/** the functions, in the order first run, of cmd under config */
function order(config, cmd, cold = false) {
  if (!cold) warm(config);
  const r = spawnSync('gdb', ['-q', '-batch', '-nx', '-x', script, '--args', ...cmd], {
    encoding: 'utf8',
    env: vuEnv(config, cold),
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  const m = /^HITS (.*)$/m.exec(r.stdout);
  if (!m) throw new Error(`gdb ${cmd.join(' ')}: no result\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return m[1].split(' ').filter(Boolean).map((o) => fns.get(Number(o))).filter(Boolean);
}

const startup = [], calls = [];
if (check) {
  // the hot part's bounds, from the symbols the script defines
  const sym = new Map();
  for (const line of execFileSync('nm', ['--defined-only', lib], { encoding: 'utf8' }).split('\n')) {
    const [value, , name] = line.split(/\s+/);
    if (name === '__vu_hot_start' || name === '__vu_hot_end') sym.set(name, parseInt(value, 16));
  }
  if (sym.size !== 2) {
    process.stdout.write(`${lib} has no __vu_hot_start and __vu_hot_end (not linked with runtime/text-order.ld)\n`);
    process.exit(1);
  }
  const lo = sym.get('__vu_hot_start'), hi = sym.get('__vu_hot_end');
  const byName = new Map([...fns].map(([o, n]) => [n, o]));
  const out = new Set();
  for (const config of configs)
    for (const cold of [false, true])
      for (const n of order(config, ['/bin/true'], cold)) if (!(byName.get(n) >= lo && byName.get(n) < hi)) out.add(n);
  // a few small functions outside (a path the list's runs did not take:
  // a hash collision in this run's temporary paths) cost a fault at most;
  // more than 512 bytes of them is start-up code the list misses
  const bytes = [...out].reduce((a, n) => a + (sizes.get(n) ?? 0), 0);
  if (!out.size) process.stdout.write('start-up runs in the hot part only\n');
  else if (bytes <= 512) process.stdout.write(`start-up runs in the hot part but for ${bytes} bytes: ${[...out].join(' ')}\n`);
  else process.stdout.write(`outside the hot part, ${bytes} bytes: ${[...out].join(' ')}\n`);
  process.exit(bytes > 512 ? 1 : 0);
}
// start-up with the cache made (every process but a tree's first) first,
// then what a process without it (a tree's first: the config parsed and
// compiled, the images built) adds
startup.push(...order(many, ['/bin/true']));
for (const config of configs) startup.push(...order(config, ['/bin/true']));
for (const config of [many, ...configs]) startup.push(...order(config, ['/bin/true'], true));
for (const config of configs) {
  for (const cmd of [['ls', '-la', '/usr/share/doc/bash', '/etc'], ['cat', '/etc/passwd', '/etc/hostname'],
    ['stat', '/usr', '/tmp'], ['sh', '-c', 'cd /usr/share && test -d doc && echo $PWD']])
    calls.push(...order(config, cmd));
}
// a section name is .text.NAME, or .text.NAME.SUFFIX for a function GCC
// made of another (NAME.constprop.0, NAME.isra.0, NAME.part.0)
const names = [...new Set([...startup, ...calls].map((n) => n.replace(/\..*$/, '')))];
const out = [
  '/* runtime/text-order.ld -- written by tools/text-order.mjs (run it again when',
  ' * start-up changes much; then node-gyp rebuild): the functions a process',
  ' * runs at start-up and on its common calls, first in the code, so that',
  ' * start-up maps them in one call (init.c: MADV_POPULATE_READ), not a page',
  ' * fault per 64 KiB window, and few pages of libvu. A place, never a',
  ' * behaviour. This .text comes before ld\'s default one and takes every code',
  ' * section (the rest in the default\'s order, binutils 2.40), so the default',
  ' * one is left empty and dropped: one .text, as valgrind wants. */',
  'SECTIONS',
  '{',
  '  .text :',
  '  {',
  '    HIDDEN(__vu_hot_start = .);',
  '    *(.text.vu_gate)', // gate.S: the gate every call of vu's own leaves by
  // libc_nonshared.a's pthread_atfork, linked in (its archive's plain .text)
  '    *libc_nonshared.a:*(.text .text.*)',
  // crtbeginS.o's frame_dummy (an .init_array entry) and its .fini_array
  // twin: run in every process
  '    *crtbeginS.o(.text .text.*)',
  // GCC's sections: .text.NAME (.NAME.constprop.0 and such for the copies it
  // makes), .text.startup.NAME for constructors, .text.exit.NAME for
  // destructors
  ...names.map((n) => `    *(.text.${n} .text.${n}.* .text.startup.${n} .text.exit.${n})`),
  '    HIDDEN(__vu_hot_end = .);',
  '    *(.text.unlikely .text.*_unlikely .text.unlikely.*)',
  '    *(.text.exit .text.exit.*)',
  '    *(.text.startup .text.startup.*)',
  '    *(.text.hot .text.hot.*)',
  '    *(SORT(.text.sorted.*))',
  '    *(.text .stub .text.* .gnu.linkonce.t.*)',
  '    *(.gnu.warning)',
  '  }',
  '}',
  'INSERT BEFORE .text;',
  // where .rodata, .data and .bss lie, for start-up's MADV_POPULATE calls
  // (init.c; a marker may lie before its section's alignment: rounded up)
  ...[['__vu_rodata_start', 'BEFORE .rodata'], ['__vu_rodata_end', 'AFTER .rodata'],
    ['__vu_data_start', 'BEFORE .data'], ['__vu_bss_end', 'AFTER .bss']]
    .flatMap(([sym, where]) => ['SECTIONS', '{', `  HIDDEN(${sym} = .);`, '}', `INSERT ${where};`]),
  '',
];
writeFileSync(join(root, 'runtime/text-order.ld'), out.join('\n'));
process.stdout.write(`runtime/text-order.ld: ${names.length} functions (${new Set(startup).size} at start-up)\n`);
