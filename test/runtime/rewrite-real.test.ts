/**
 * Rewriting on real programs (runtime/core/rewrite.c, on by default): the
 * same output as natively and under vu with rewriting off; the first run
 * fills vu's learned-sites cache (VU_CACHE_DIR/sites.1), and a later
 * run of the same programs makes its calls through the patched sites, so
 * an exec traps about never (issue 11 item 3: 78 traps per exec of cat
 * before). Forks from rewritten sites (a shell pipeline) are vu's fork, as
 * on the trap path.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, writeConfig } from '../helpers.js';

const stack = writeConfig({
  intercept: 'all',
  layers: [
    { type: 'readonly', paths: ['/usr'] },
    { type: 'hide', paths: ['/nonexistent-vu-test'] },
    { type: 'remap', map: { '/nonexistent-vu-a': '/tmp' } },
  ],
});

interface Line { pid: number; libc: number; sud: number; rw?: number; traps: Record<string, number> }

function under(cmd: string[], env: Record<string, string>) {
  const file = join(tmpdir(), 'stats.jsonl');
  // patched at the first trap, so that the second run shows every site
  // the first one met (the default waits for a site's 8th trap)
  const r = run(cmd[0], cmd.slice(1), { config: stack, env: { VU_STATS: file, VU_REWRITE_AFTER: '1', ...env } });
  const lines = existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)
    : [];
  const sum = (k: 'libc' | 'sud' | 'rw') => lines.reduce((a, l) => a + (l[k] ?? 0), 0);
  return { r, sud: sum('sud'), rw: sum('rw'), calls: sum('libc') + sum('sud') + sum('rw'), lines };
}

const programs: Array<[string, string[]]> = [
  ['cat', ['cat', '/etc/hostname']],
  ['a shell pipeline (forks from rewritten sites)', ['sh', '-c', 'cat /etc/passwd | grep -c root | sort | wc -l']],
  ['python3 imports', ['/usr/bin/python3', '-c', 'import json, email, sqlite3; print(len(json.dumps({"a": 1})))']],
  ['python3 subprocess', ['/usr/bin/python3', '-c', 'import subprocess; print(subprocess.run(["echo", "hi"], capture_output=True).stdout)']],
];

for (const [name, cmd] of programs) {
  test(`rewriting on real programs: ${name}: same output; a second run with the learned sites traps at most once per process`, (t) => {
    const native = run(cmd[0], cmd.slice(1), { vu: false });
    const cache = tmpdir();
    const off = under(cmd, { VU_REWRITE: '0', VU_CACHE_DIR: cache });
    const first = under(cmd, { VU_CACHE_DIR: cache });
    const second = under(cmd, { VU_CACHE_DIR: cache });
    for (const x of [off, first, second]) {
      t.is(x.r.status, native.status);
      t.is(x.r.stdout, native.stdout);
    }
    t.true(off.sud > 0, 'rewriting off: calls glibc makes inside itself trap');
    t.is(off.rw, 0);
    t.true(first.sud < off.sud, `${first.sud} traps with rewriting, ${off.sud} without`);
    const procs = new Set(second.lines.map((l) => l.pid)).size;
    t.true(second.sud <= procs, `${second.sud} traps in ${procs} processes, ${second.calls} calls`);
    t.true(second.rw > 0);
  });
}

test('VU_REWRITE=0 writes no learned-sites file; rewriting on writes one per user', (t) => {
  const cache = tmpdir();
  under(['cat', '/etc/hostname'], { VU_REWRITE: '0', VU_CACHE_DIR: cache });
  t.false(existsSync(join(cache, 'sites.1')));
  under(['cat', '/etc/hostname'], { VU_CACHE_DIR: cache });
  t.true(existsSync(join(cache, 'sites.1')));
});
