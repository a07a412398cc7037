/**
 * Small signal stacks (issue 13 item 2): every sigaltstack size the kernel
 * accepts, from its floor (2048 on x86, glibc's MINSIGSTKSZ constant) and
 * AT_MINSIGSTKSZ up through 8 KiB and beyond, behaves as natively under vu:
 * the call's result (ENOMEM below the floor), SS_DISABLE, and an SA_ONSTACK
 * handler that runs on that stack, makes inline and libc system calls there
 * (trapped in "all" mode: vu's SIGSYS work must stay on vu's own stack; a
 * guard page under the program's stack would catch an overflow) and returns,
 * plus a nested SA_ONSTACK signal on the largest.
 */
import test from 'ava';
import { probe, run, seedConfig, writeConfig } from '../helpers.js';

const native = run(probe('smallaltstack'), [], { vu: false });

test('altstack: the native run sees what the probe is built to check', (t) => {
  t.is(native.status, 0, native.stderr);
  t.is(native.stderr, '');
  const lines = native.stdout.trim().split('\n');
  t.is(lines.length, 8);
  t.regex(lines[0], /^1: sigaltstack Cannot allocate memory$/);
  t.regex(lines[1], /^2047: sigaltstack Cannot allocate memory$/);
  t.regex(lines[2], /^MINSIGSTKSZ\(2048\): sigaltstack ok, query same, .*disable ok$/);
  for (const l of lines.slice(4))
    t.regex(l, /sigaltstack ok, query same, handler ran, on altstack, SS_ONSTACK yes, raw getppid ok, libc getppid ok, (nested on altstack, )?disable ok$/);
  t.regex(lines[7], /^65536: .*nested on altstack/);
});

const configs: Array<[string, () => string]> = [
  ['"intercept": "all" with a remap layer', () => seedConfig({ intercept: 'all' })],
  ['"intercept": "libc" with a remap layer', () => seedConfig({ intercept: 'libc' })],
  ['a pass-through config {"layers":[]}', () => writeConfig({ layers: [] })],
  ['a pass-through config in "all" mode', () => writeConfig({ intercept: 'all', layers: [] })],
];

for (const [name, config] of configs) {
  test(`altstack: sizes 1 .. 65536 under ${name}: same as native`, (t) => {
    const r = run(probe('smallaltstack'), [], { config: config() });
    t.is(r.stderr, '');
    t.is(r.status, 0);
    t.is(r.stdout, native.stdout);
  });
}
