/**
 * Compatibility matrix, part 1: coreutils, findutils, tar and bash scripts
 * (pipes, subshells, here-docs, redirections, job control) -- natively,
 * under a pass-through stack and under a remap stack, byte for byte.
 * The table: test/compat/matrix.sh.
 */
import test from 'ava';
import { cases, runCase } from './matrix.js';

const mine = cases.filter((c) => /^(coreutils|findutils|tar|bash)/.test(c.program));

for (const c of mine) {
  test(`compat: ${c.name}: pass-through and remap stacks match native`, (t) => {
    const native = runCase(c, 'native');
    t.is(native.status, 0, native.stderr);
    t.not(native.stdout, '');
    t.deepEqual(runCase(c, 'pass'), native, 'pass-through');
    t.deepEqual(runCase(c, 'remap'), native, 'remap stack');
  });
}
