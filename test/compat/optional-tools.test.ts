/**
 * `npm test` on a machine without an optional tool: the tests that need it
 * are a visible skip with the reason, the others run, and the suite passes.
 * VU_TEST_WITHOUT (test/helpers.ts) hides the tool from the suite.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

function ava(files: string[], match: string[], without: string) {
  const env = { ...process.env, VU_TEST_WITHOUT: without };
  delete env.LD_PRELOAD;
  delete env.VU_CONFIG;
  return spawnSync(process.execPath, [join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'), ...files, ...match.flatMap((m) => ['--match', m]), '--tap'], {
    cwd: ROOT, env, encoding: 'utf8', timeout: 110_000,
  });
}

test('without go: the compat matrix skips the Go tests with the reason, runs the rest, and passes', (t) => {
  const r = ava(['test/compat/matrix-programs.test.ts'], ['*go*', '*perl*'], 'go');
  t.is(r.status, 0, r.stdout + r.stderr);
  t.notRegex(r.stdout + r.stderr, /go build|not ok/);
  const skipped = r.stdout.split('\n').filter((l) => /# SKIP/.test(l));
  t.is(skipped.length, 5, r.stdout);
  for (const l of skipped) t.regex(l, /\[skipped: no go \(apt-get install golang-go\)\]/);
  t.regex(r.stdout, /^ok \d+ - compat: perl: pass-through and remap stacks match native$/m);
});

test('without go and musl-gcc: the static-program tests that need them are skipped with the reason', (t) => {
  const r = ava(['test/runtime/static.test.ts'], ['*Go program*', '*musl*'], 'go,musl-gcc');
  t.is(r.status, 0, r.stdout + r.stderr);
  const skipped = r.stdout.split('\n').filter((l) => /# SKIP/.test(l));
  t.is(skipped.length, 2, r.stdout);
  t.regex(r.stdout, /\[no go: apt-get install golang-go\].*# SKIP/);
  t.regex(r.stdout, /\[no musl-gcc: apt-get install musl-tools\].*# SKIP/);
});
