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
import { LIB, ROOT, missing } from '../helpers.js';

const noGdb = missing(['gdb'], 'apt-get install gdb');
(noGdb ? test.skip : test)(`start-up runs only code of the hot part, in both modes${noGdb}`, (t) => {
  const r = spawnSync('node', [join(ROOT, 'tools/text-order.mjs'), '--check', LIB], { encoding: 'utf8', timeout: 300_000 });
  t.regex(r.stdout, /^start-up runs in the hot part( only$| but for \d+ bytes)/m, r.stdout + r.stderr);
  t.is(r.status, 0);
});
