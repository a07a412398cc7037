/**
 * Where start-up's code lies (runtime/text-order.ld, written by
 * tools/text-order.mjs): every function libvu runs while /bin/true starts
 * under the four-layer stack, in both modes, is in the hot part the linker
 * puts first in the code ([__vu_hot_start, __vu_hot_end)). The kernel maps a file 64 KiB
 * around each page first touched: start-up spread over the whole code made
 * ~450 KiB of libvu resident in every process, gathered it is ~180 KiB
 * (the bench's resident-memory row). The check runs the real start-up
 * under gdb, a breakpoint on every function: a start-up function added
 * without running the tool again fails it, by name (small ones, up to
 * 512 bytes, pass: paths start-up takes for some configs' data only).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LIB, ROOT, missing, tmpdir, writeConfig } from '../helpers.js';

const noGdb = missing(['gdb'], 'apt-get install gdb');
(noGdb ? test.skip : test)(`start-up runs only code of the hot part, in both modes${noGdb}`, (t) => {
  const r = spawnSync('node', [join(ROOT, 'tools/text-order.mjs'), '--check', LIB], { encoding: 'utf8', timeout: 300_000 });
  t.regex(r.stdout, /^start-up runs in the hot part( only$| but for \d+ bytes)/m, r.stdout + r.stderr);
  t.is(r.status, 0);
});

// Start-up maps the pages it uses of libvu -- the hot code, .rodata, and
// .data + .bss, which it writes -- in three calls (init.c: populate_startup)
// instead of a page fault each (2-10 µs apiece, 12-19 fewer per process).
// The ranges come from the markers text-order.ld defines; a marker lost or
// a call failing (a range outside libvu's mappings) fails this.
const noStrace = missing(['strace'], 'apt-get install strace');
for (const intercept of ['libc', 'all']) {
  (noStrace ? test.skip : test)(`start-up populates libvu's code, read-only data and data in three calls (${intercept})${noStrace}`, (t) => {
    const dir = tmpdir();
    const config = writeConfig({ intercept, layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] }, dir);
    const r = spawnSync('strace', ['-e', 'trace=madvise', '-e', 'signal=none', '/bin/true'], {
      encoding: 'utf8', env: { ...process.env, LD_PRELOAD: LIB, VU_CONFIG: config, VU_CACHE_DIR: '' },
    });
    t.is(r.status, 0, r.stderr);
    const calls = r.stderr.split('\n').filter((l) => l.startsWith('madvise('));
    const read = calls.filter((l) => /MADV_POPULATE_READ\) = 0$/.test(l));
    const write = calls.filter((l) => /MADV_POPULATE_WRITE\) = 0$/.test(l));
    t.is(read.length, 2, r.stderr);
    t.is(write.length, 1, r.stderr);
    // the code's range covers the hot part (nm: __vu_hot_start .. __vu_hot_end)
    const sym = new Map(spawnSync('nm', [LIB], { encoding: 'utf8' }).stdout.split('\n')
      .map((l) => l.split(' ')).filter((f) => f.length === 3).map((f) => [f[2], parseInt(f[0], 16)]));
    const hot = sym.get('__vu_hot_end')! - (sym.get('__vu_hot_start')! & ~4095);
    t.true(hot > 0);
    t.true(Number(/, (\d+), MADV_POPULATE_READ/.exec(read[0])![1]) >= hot, read[0]);
  });
}

// "all" mode maps its patched image over libc's and the loader's code
// (rewrite.c): the pages of that code the process had mapped are mapped
// again from the image in a few calls (read from /proc/self/pagemap), not
// faulted in again a 64 KiB window at a time.
(noStrace ? test.skip : test)(`"all" mode maps again, from its images, the library code pages the process had mapped${noStrace}`, (t) => {
  const dir = tmpdir();
  const config = writeConfig({ intercept: 'all', layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] }, dir);
  const env = { ...process.env, LD_PRELOAD: LIB, VU_CONFIG: config, VU_CACHE_DIR: join(dir, 'cache') };
  spawnSync('/bin/true', [], { env });	// the images are built by the first process
  const r = spawnSync('strace', ['-e', 'trace=mmap,madvise,openat', '-e', 'signal=none', '/bin/true'], { encoding: 'utf8', env });
  t.is(r.status, 0, r.stderr);
  const lines = r.stderr.split('\n');
  // the image over the code: mmap(ADDR, LEN, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED, FD, OFF) = ADDR
  const images = lines.map((l) => /^mmap\((0x[0-9a-f]+), (\d+), PROT_READ\|PROT_EXEC, MAP_PRIVATE\|MAP_FIXED, \d+, 0x[0-9a-f]+\) = 0x/.exec(l))
    .filter((m): m is RegExpExecArray => !!m).map((m) => [parseInt(m[1], 16), parseInt(m[1], 16) + Number(m[2])]);
  t.true(images.length >= 1, r.stderr);	// libc's, and the loader's
  const populated = lines.map((l) => /^madvise\((0x[0-9a-f]+), (\d+), MADV_POPULATE_READ\) = 0$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m).map((m) => [parseInt(m[1], 16), parseInt(m[1], 16) + Number(m[2])]);
  for (const [lo, hi] of images) {
    const inside = populated.filter(([a, b]) => a >= lo && b <= hi);
    t.true(inside.length >= 1, `no populate inside the image at ${lo.toString(16)}\n${r.stderr}`);
    t.true(inside.length <= 16, `${inside.length} calls for one image`);
  }
  t.true(lines.some((l) => l.includes('"/proc/self/pagemap"')), r.stderr);
});
