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
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  // the first one met (the default waits for a site's 32nd trap)
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

test('VU_REWRITE=0 writes no site and no image in the cache; rewriting on writes the images of libc and ld.so', (t) => {
  const cache = tmpdir();
  under(['cat', '/etc/hostname'], { VU_REWRITE: '0', VU_CACHE_DIR: cache });
  // (a compiled config, runtime/config/compiled.c, may be there: not rewriting's)
  t.deepEqual(readdirSync(cache).filter((f) => !/^config-[0-9a-f]{16}\.1$/.test(f)), []);
  under(['cat', '/etc/hostname'], { VU_CACHE_DIR: cache });
  t.is(readdirSync(cache).filter((f) => f.includes('+vu-')).length, 2);
});

test('the C library\'s image: built by the first process, mapped over libc\'s code by every later one, which traps 0 times at glibc\'s sites', (t) => {
  const cache = tmpdir();
  const cmd = ['sh', '-c', 'cat /etc/passwd | grep -c root | sort | wc -l; grep -c "+vu-" /proc/self/maps'];
  const native = run('sh', ['-c', 'cat /etc/passwd | grep -c root | sort | wc -l'], { vu: false });
  // VU_REWRITE_AFTER is 8 here (the default): the image needs no warm-up
  const first = under(cmd, { VU_CACHE_DIR: cache, VU_REWRITE_AFTER: '8' });
  const images = readdirSync(cache).filter((f) => /^(libc\.so\.6|ld-linux-x86-64\.so\.2)\+vu-[0-9a-f]+\.\d+$/.test(f));
  t.is(images.length, 2, readdirSync(cache).join(' '));
  const second = under(cmd, { VU_CACHE_DIR: cache, VU_REWRITE_AFTER: '8' });
  for (const x of [first, second]) {
    t.is(x.r.status, 0, x.r.stderr);
    // the pipeline's answer, then grep's own /proc/self/maps: libc's and
    // ld.so's code and their trampolines from the images
    t.is(x.r.stdout.split('\n')[0], native.stdout.trim());
    t.is(x.r.stdout.split('\n')[1], '4');
    t.is(x.sud, 0, JSON.stringify(x.lines));
  }
});

test('a damaged image is never misread: it is made again, and the program runs as natively', (t) => {
  const cache = tmpdir();
  under(['cat', '/etc/hostname'], { VU_CACHE_DIR: cache });
  const libc = readdirSync(cache).find((f) => f.startsWith('libc.so.6+vu-'))!;
  t.truthy(libc);
  const file = join(cache, libc);
  const good = readFileSync(file);
  const host = readFileSync('/etc/hostname', 'utf8');
  // another build ID in the header; then a file cut short; then garbage
  const damaged = [Buffer.from(good), good.subarray(0, 8192), Buffer.alloc(good.length, 0x90)];
  damaged[0].write('0000000000', 16, 'latin1');
  for (const d of damaged) {
    writeFileSync(file, d);
    const r = under(['sh', '-c', 'cat /etc/hostname; grep -c "libc.so.6+vu-" /proc/self/maps'], { VU_CACHE_DIR: cache });
    t.is(r.r.stdout, host + '2\n');
    t.true(readFileSync(file).equals(good));
  }
});
