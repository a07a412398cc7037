/**
 * vfork (runtime/process/compat.c): a real vfork in "libc" mode when every
 * layer is a path layer that said when it acts (vu_layer_names_only), a
 * fork otherwise (and in "all" mode). Children that do what gcc's driver
 * and python's _posixsubprocess do between vfork and exec (dup2, close,
 * open, a failing exec then execvp, _exit) see the layers, 300 rounds of
 * them leave the parent's dispatch levels and answers as they were, and
 * strace shows which it was.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missing, probe, run, tmpdir, writeConfig } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8');

function configs(mode: string): Array<[string, string, boolean]> {
  const remap = { type: 'remap', map: { '/etc/passwd': '/etc/hostname' } };
  const hide = { type: 'hide', paths: [join(tmpdir(), 'nothing-here')] };
  return [
    // [what, config, a real vfork expected]
    ['remap + hide', writeConfig({ intercept: mode, layers: [hide, remap] }), mode === 'libc'],
    ['remap + trace', writeConfig({ intercept: mode, layers: [{ type: 'trace', output: join(tmpdir(), 'trace.txt') }, remap] }), false],
  ];
}

for (const mode of ['libc', 'all'] as const) {
  test(`${mode}: vfork children that dup2, close, open, exec by PATH (a failing one first) or _exit see the layers, 300 rounds, and the parent's calls stay right`, (t) => {
    for (const [what, config] of configs(mode)) {
      const r = run(probe('vforker'), ['300', '/etc/passwd'], { config, timeout: 120_000 });
      t.is(r.status, 0, `${what}: ${r.stderr}`);
      t.is(r.stdout, [
        `child 0: status 0: ${host}`,
        'child 1: status 7: ',
        `child 2: status 0: ${host}`,
        `child 3: status 0: ${host}`,
        'rounds like the first: 300 of 300',
        `parent: ${host}(size ${host.length})`,
        `parent: ${host}(size ${host.length})`,
        '',
      ].join('\n'), what);
    }
  });
}

const noStrace = missing(['strace'], 'apt-get install strace');
(noStrace ? test.skip : test)(`libc: a stack of path layers that said when they act vforks for real; with another layer (trace) it forks${noStrace}`, (t) => {
  for (const [what, config, real] of configs('libc')) {
    const out = join(tmpdir(), 'strace.txt');
    const r = run('strace', ['-f', '-o', out, '-e', 'trace=vfork,clone,clone3', probe('vforker'), '3', '/etc/passwd'], { config });
    t.is(r.status, 0, r.stderr);
    const s = readFileSync(out, 'utf8');
    const vforks = (s.match(/ vfork\(/g) ?? []).length;
    const forks = (s.match(/clone\(child_stack=NULL, flags=SIGCHLD\)/g) ?? []).length;
    if (real) {
      t.is(vforks, 12, `${what}: vfork 12 times`);
      t.is(forks, 0, `${what}: no fork`);
    } else {
      t.is(vforks, 0, `${what}: no vfork`);
      t.true(forks >= 12, `${what}: forks ${forks}`);
    }
  }
});

// a posix_spawn child (spawn.c: it shares the parent's memory) whose file
// action dup2()s over vu's own descriptor (the trace file's) moves vu's
// copy in its own table; the parent keeps tracing to its file after it
const SPAWN_PY = `
import os, sys
trace = sys.argv[1]
fd = [int(f) for f in os.listdir('/proc/self/fd') if os.path.realpath('/proc/self/fd/' + f) == trace][0]
pid = os.posix_spawn('/bin/true', ['true'], os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, 1, fd)])
os.waitpid(pid, 0)
open(os.path.join(sys.argv[2], 'after-the-' + 'sp' + 'awn')).close()   # (a name the trace shows only from this open)
print(os.path.realpath('/proc/self/fd/%d' % fd) == trace)
`;

for (const mode of ['libc', 'all'] as const) {
  test(`${mode}: a spawned child's dup2 over vu's own descriptor leaves the parent's as it was (the trace goes on)`, (t) => {
    const dir = tmpdir();
    const trace = join(dir, 'trace.txt');
    const marker = join(dir, 'after-the-spawn');
    writeFileSync(marker, 'm\n');
    const config = writeConfig({ intercept: mode, layers: [{ type: 'trace', output: trace }] });
    const r = run('python3', ['-c', SPAWN_PY, trace, dir], { config });
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout, 'True\n');
    t.true(readFileSync(trace, 'utf8').includes('after-the-spawn'), 'the parent\'s open after the spawn is in the trace');
  });
}
