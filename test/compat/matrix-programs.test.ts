/**
 * Compatibility matrix, part 2: python3, perl, git, make -j2 + gcc, node
 * and Go -- natively, under a pass-through stack and under a remap stack,
 * byte for byte. Go: a cgo binary (its runtime makes raw syscalls, clones
 * its own threads, runs its handlers on its own sigaltstack) works and sees
 * a remap; a static one cannot be entered by LD_PRELOAD (KNOWN.md).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, seedConfig } from '../helpers.js';
import { buildGo, cases, runCase } from './matrix.js';

const mine = cases.filter((c) => !/^(coreutils|findutils|tar|bash)/.test(c.program));
const host = readFileSync('/etc/hostname', 'utf8').split('\n')[0];
const pass = readFileSync('/etc/passwd', 'utf8').split('\n')[0];
let goDir: string | undefined;

test.before(() => {
  // go is a test dependency (.ci/run installs golang-go): a missing go fails
  goDir = buildGo(mkdtempSync(join(tmpdir(), 'vu-compat-go-')));
  process.env.VU_COMPAT_GO = goDir;
});

for (const c of mine) {
  test(`compat: ${c.name}: pass-through and remap stacks match native`, (t) => {
    const native = runCase(c, 'native');
    t.is(native.status, 0, native.stderr);
    t.not(native.stdout, '');
    t.deepEqual(runCase(c, 'pass'), native, 'pass-through');
    t.deepEqual(runCase(c, 'remap'), native, 'remap stack');
  });
}

test('compat: go (cgo) sees the remap through os.ReadFile', (t) => {
  t.is(run(join(goDir!, 'cgo'), ['-read', '/etc/passwd'], { vu: false }).stdout, `${pass}\n`);
  const r = run(join(goDir!, 'cgo'), ['-read', '/etc/passwd'], { config: seedConfig() });
  t.is(r.stderr, '');
  t.is(r.stdout, `${host}\n`);
});

test('compat: go static (CGO_ENABLED=0) is statically linked: ld.so never runs, LD_PRELOAD cannot enter it', (t) => {
  const f = spawnSync('file', [join(goDir!, 'static')], { encoding: 'utf8' }).stdout;
  t.regex(f, /statically linked/);
  // what happens today: it runs, unvirtualized (KNOWN.md; `vu run` is to refuse it)
  const r = run(join(goDir!, 'static'), ['-read', '/etc/passwd'], { config: seedConfig() });
  t.is(r.stdout, `${pass}\n`);
});

test.failing('compat: go static (CGO_ENABLED=0) sees the remap -- fails: LD_PRELOAD cannot enter a static binary (KNOWN.md)', (t) => {
  const r = run(join(goDir!, 'static'), ['-read', '/etc/passwd'], { config: seedConfig() });
  t.is(r.stdout, `${host}\n`);
});
