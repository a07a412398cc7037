/**
 * VU_STATS=FILE (runtime/core/stats.c), the counter behind the bench's "SUD
 * traps per 1,000 system calls": each process image appends one line with
 * its libc-wrapper entries, its SUD traps and which calls trapped.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, seedConfig, tmpdir } from '../helpers.js';

interface Line {
  pid: number;
  libc: number;
  sud: number;
  exe: string;
  traps: Record<string, number>;
  sites: Array<{ at: string; call: string; n: number; sud: string }>;
}

/** rewriting off: each trap is counted where it happens, every time */
function stats(cmd: string, args: string[], config: string): { lines: Line[]; stdout: string } {
  const file = join(tmpdir(), 'stats.jsonl');
  const r = run(cmd, args, { config, env: { VU_STATS: file, VU_REWRITE: '0' } });
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return { lines: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), stdout: r.stdout };
}

function sum(lines: Line[], k: 'libc' | 'sud'): number {
  return lines.reduce((a, l) => a + l[k], 0);
}

test('stats: inline-syscall opens are counted as SUD traps, by name', (t) => {
  const { lines, stdout } = stats(probe('rawopen'), ['/etc/passwd'], seedConfig());
  t.is(stdout, readFileSync('/etc/hostname', 'utf8'));
  t.true(lines.length >= 1);
  t.true(lines.every((l) => l.exe === probe('rawopen')));
  const traps: Record<string, number> = {};
  for (const l of lines) for (const [k, v] of Object.entries(l.traps)) traps[k] = (traps[k] ?? 0) + v;
  t.true((traps.open ?? 0) >= 1);
  t.true((traps.openat ?? 0) >= 1);
  t.is(sum(lines, 'sud'), Object.values(traps).reduce((a, b) => a + b, 0));
});

test('stats: "libc" mode counts wrapper entries and no traps', (t) => {
  const { lines } = stats('cat', ['/etc/passwd'], seedConfig({ intercept: 'libc' }));
  t.true(sum(lines, 'libc') > 0);
  t.is(sum(lines, 'sud'), 0);
});

test('stats: every image of a process tree writes its line', (t) => {
  const { lines, stdout } = stats('sh', ['-c', 'cat /etc/passwd; ls / > /dev/null'], seedConfig());
  t.is(stdout, readFileSync('/etc/hostname', 'utf8'));
  const exes = new Set(lines.map((l) => l.exe.split('/').pop()));
  t.true(exes.has('cat'));
  t.true(exes.has('ls'));
  t.true(new Set(lines.map((l) => l.pid)).size >= 2);
});

test('stats: each trapping site is named (module+offset, call, count, why it is not on the fast path)', (t) => {
  const { lines } = stats(probe('rawopen'), ['/etc/passwd'], seedConfig());
  const sites = lines.flatMap((l) => l.sites);
  // the probe's own inline syscall instructions
  const own = sites.filter((s) => s.at.startsWith('rawopen+0x'));
  t.true(own.some((s) => s.call === 'openat' && s.n >= 1), JSON.stringify(sites));
  t.true(own.every((s) => s.sud === 'an inline syscall instruction in the program'));
  // glibc's internal calls (exit_group at least) are named as glibc's
  t.true(sites.some((s) => s.at.startsWith('libc.so.6+0x') && /inside glibc/.test(s.sud)));
  // the counts of the sites add up to the traps of each line
  for (const l of lines) t.is(l.sites.reduce((a, s) => a + s.n, 0), l.sud);
});
