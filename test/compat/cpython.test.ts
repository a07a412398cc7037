/**
 * A peer's test suite: a short subset of CPython's own regression tests,
 * natively and under a pass-through vu stack, compared test by test
 * (test/compat/cpython.sh; the full run of 18 modules is that script with
 * no arguments).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

test('compat: CPython test_posix, test_tempfile, test_fileio: every test has the same result under vu', (t) => {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.VU_CONFIG;
  const r = spawnSync(join(ROOT, 'test', 'compat', 'cpython.sh'), ['test_posix', 'test_tempfile', 'test_fileio'], {
    encoding: 'utf8', env, timeout: 170_000,
  });
  t.is(r.status, 0, r.stdout + r.stderr);
  const total = /\| \*\*total\*\* \| (\d+) \| (\d+)\/(\d+)\/(\d+)\/(\d+) \| ([\d/]+) \| 0 \|/.exec(r.stdout);
  t.truthy(total, r.stdout);
  t.true(Number(total![1]) > 300, 'the modules ran');
  t.true(Number(total![2]) > 250, 'most tests passed natively');
  t.is(total![6], total!.slice(2, 6).join('/'));
});
