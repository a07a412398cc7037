/**
 * `npm run bench -- --quick` runs end to end and writes its three outputs,
 * well-formed: results.json with a figure for every cell, BENCHMARKS.md
 * with its tables, chart.svg as balanced SVG. Keeps the bench from rotting;
 * the numbers themselves are not checked (a CI machine is not quiet).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmpdir } from '../helpers.js';

const out = tmpdir('vu-bench-');
let status: number | null = null;
let stderr = '';

test.before(async () => {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.VU_CONFIG;
  const p = spawn('node', ['--import=tsx', join(ROOT, 'bench', 'run.ts'), '--quick', '--no-install', '--out', out], {
    cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  status = await new Promise<number | null>((resolve) => p.on('close', resolve));
});

/** Every tag closed in order (a small check, no XML library). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  const body = svg.replace(/<\?xml[^>]*\?>/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (!close) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

test('bench: --quick exits 0 and writes results.json with every cell measured', (t) => {
  t.is(status, 0, stderr.slice(-3000));
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.true(res.quick);
  t.truthy(res.machine.cpu);
  t.truthy(res.machine.kernel);
  t.regex(res.machine.glibc, /\d+\.\d+/);
  for (const id of ['native', 'vu-libc', 'vu-all', 'ptrace', 'seccomp-ptrace', 'seccomp-unotify', 'sud', 'sudfloor'])
    t.true(res.micro.runners.some((r: { id: string }) => r.id === id), id);
  for (const c of res.micro.cells) {
    t.true(c.ns.length >= 5, `${c.runner} ${c.op}: ${c.errors.join('; ')}`);
    t.true(c.median > 0);
  }
  for (const c of res.real.cells) t.true(c.ms.length >= 3, `${c.workload} ${c.runner}: ${c.errors.join('; ')}`);
  t.true(res.real.workloads.length >= 3); // find, tar, node at least; the others when installed
  t.true(res.targets.length >= 8);
});

test('bench: --quick sees which calls each runner virtualizes', (t) => {
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const v = (runner: string, op: string) =>
    res.micro.cells.find((c: { runner: string; op: string }) => c.runner === runner && c.op === op).virtualized;
  t.false(v('native', 'orc-libc'));
  t.true(v('vu-libc', 'orc-libc'));
  t.false(v('vu-libc', 'orc-raw'));
  for (const r of ['vu-all', 'ptrace', 'seccomp-ptrace', 'seccomp-unotify', 'sud'])
    for (const op of ['orc-libc', 'orc-raw', 'stat-libc', 'stat-raw']) t.true(v(r, op), `${r} ${op}`);
  t.false(v('sudfloor', 'orc-raw'));
  // traps were counted for every workload (rewriting off: some trap; on,
  // with vu's learned sites: no more), and strace saw its calls
  for (const tc of res.traps) {
    t.true(tc.sud_off > 0, tc.workload);
    t.true(tc.sud >= 0, tc.workload);
    t.true(tc.syscalls === null || tc.syscalls > 0, tc.workload);
  }
  const total = (k: 'sud' | 'sud_off') => res.traps.reduce((a: number, tc: Record<string, number>) => a + tc[k], 0);
  t.true(total('sud') < total('sud_off'), `${total('sud')} traps with rewriting, ${total('sud_off')} without`);
});

test('bench: --quick writes BENCHMARKS.md and a well-formed chart.svg', (t) => {
  const md = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8');
  for (const h of ['## Machine', '## Targets', '## Micro benchmarks', '## Real workloads', '## SUD traps per workload', '## Costs of libvu itself', '## Method'])
    t.true(md.includes(h), h);
  t.regex(md, /\| native \| libc \| [\d,]+ \(1\.00×\)/);
  const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
  t.regex(svg, /^<\?xml[^>]*\?>\s*<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.true(balanced(svg));
  t.true((svg.match(/<rect /g) ?? []).length > 20);
  t.notRegex(svg, /NaN|undefined/);
});
