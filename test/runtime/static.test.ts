/**
 * vu's own loader for static programs (issue 11 item 1): a static program
 * (no PT_INTERP) started under vu -- from a dynamic parent, from another
 * static program, or by `vu run` -- runs through build/Release/vu-static,
 * with libvu armed in "foreign mode", and sees the layers as the same
 * source built dynamic does. Probes: test/probes/static/, built here with
 * gcc -static (and musl-gcc, busybox-static, Go where installed).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { have, ROOT, run, tmpdir, VU, writeConfig } from '../helpers.js';

const SRC = join(ROOT, 'test', 'probes', 'static');
const OUT = tmpdir('vu-static-');
const has = have;
const HOST = readFileSync('/etc/hostname', 'utf8');

function build(name: string, cc: string, flags: string[]): string {
  const exe = join(OUT, `${name}-${cc.replace(/\W/g, '')}${flags.join('').replace(/\W/g, '')}`);
  const r = spawnSync(cc, ['-O1', '-pthread', ...flags, '-o', exe, join(SRC, `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cc} ${name}: ${r.stderr}`);
  return exe;
}
const stat = (name: string) => build(name, 'gcc', ['-static']);
const dyn = (name: string) => build(name, 'gcc', []);

function goProbe(): string {
  const exe = join(OUT, 'go-static');
  const r = spawnSync('go', ['build', '-o', exe, '.'], {
    cwd: join(SRC, 'go'),
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0', GOCACHE: join(OUT, 'gocache'), GOFLAGS: '-mod=mod' },
  });
  if (r.status !== 0) throw new Error(`go build: ${r.stderr}`);
  return exe;
}

const remap = (dir: string) => {
  const f = join(dir, 'seen.txt');
  writeFileSync(f, 'remapped\n');
  return writeConfig({ layers: [{ type: 'remap', map: { '/etc/passwd': f } }] }, dir);
};

/** the probe's output without its first line (argv0, comm, exe) */
const body = (s: string) => s.split('\n').slice(1).join('\n');

test('static: remap seen by a gcc -static program from a dynamic parent (sh -c), as by the dynamic build', (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const s = stat('cat'), d = dyn('cat');
  const rs = run('sh', ['-c', `${s} /etc/passwd`], { config });
  const rd = run('sh', ['-c', `${d} /etc/passwd`], { config });
  t.is(rs.stderr, '');
  t.is(body(rs.stdout), 'remapped\n');
  t.is(body(rs.stdout), body(rd.stdout));
  // argv[0], comm and /proc/self/exe are the program's
  t.is(rs.stdout.split('\n')[0], `argv0=${s} comm=${s.split('/').pop()!.slice(0, 15)} exe=${s}`);
  // natively (no vu) it reads the real file
  t.not(body(run(s, ['/etc/passwd'], { vu: false }).stdout), 'remapped\n');
});

test('static: a static-pie program is loaded at a base of its own and virtualized', (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const s = build('cat', 'gcc', ['-static-pie']);
  const r = run('sh', ['-c', `${s} /etc/passwd`], { config });
  t.is(body(r.stdout), 'remapped\n', r.stderr);
});

test('static: vu run starts a static program through vu-static', (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const s = stat('cat');
  const r = spawnSync('node', [VU, 'run', '-c', config, '--', s, '/etc/passwd'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(body(r.stdout), 'remapped\n');
  t.regex(r.stdout, new RegExp(`^argv0=${s} `));
});

test('static: chains static -> dynamic -> static keep the layers', (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const ex = stat('exec'), s = stat('cat');
  const r = run('sh', ['-c', `${ex} /bin/sh -c '${ex} ${s} /etc/passwd; cat /etc/passwd'`], { config });
  t.is(r.stderr, '');
  t.is(body(r.stdout), 'remapped\nremapped\n');
});

test('static: readonly, hide and trace layers on a static program match the dynamic build', (t) => {
  const dir = tmpdir();
  const ro = join(dir, 'ro');
  const secret = join(dir, 'secret');
  mkdirSync(ro);
  writeFileSync(secret, 'x\n');
  const trace = join(dir, 'trace.jsonl');
  const config = writeConfig({
    layers: [
      { type: 'trace', output: trace },
      { type: 'readonly', paths: [ro] },
      { type: 'hide', paths: [secret] },
    ],
  }, dir);
  const w = stat('write'), wd = dyn('write'), c = stat('cat'), cd = dyn('cat');
  const rw = run('sh', ['-c', `${w} ${ro}/a ${dir}/b`], { config });
  const rwd = run('sh', ['-c', `${wd} ${ro}/a ${dir}/c`], { config });
  t.is(rw.stdout, `${ro}/a ERR 30\n${dir}/b ok\n`);	// EROFS
  t.is(rwd.stdout.split('\n')[0], rw.stdout.split('\n')[0]);
  const rc = run('sh', ['-c', `${c} ${secret}`], { config });
  const rcd = run('sh', ['-c', `${cd} ${secret}`], { config });
  t.is(body(rc.stdout), `${secret}: ERR 2\n`);	// ENOENT
  t.is(body(rc.stdout), body(rcd.stdout));
  const lines = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.true(lines.some((l) => l.name === 'openat' && JSON.stringify(l).includes(`${ro}/a`) && l.src === 'sud'),
    'the static program\'s openat is traced (SUD)');
});

test('static: threads (pthreads), a signal handler and fork in a static program', (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const s = stat('threads');
  const r = run('sh', ['-c', `${s} /etc/passwd`], { config });
  t.is(r.stderr, '');
  const want = Array.from({ length: 8 }, (_, i) => `thread ${i}: remapped\n`).join('') +
    'signal 10\nchild: remapped\nchild exit 3\n';
  t.is(r.stdout, want);
});

test('static: a static ELF vu cannot load is refused at exec with a vu: line and ENOEXEC', (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const bad = join(dir, 'bad-static');
  copyFileSync(stat('cat'), bad);
  const b = readFileSync(bad);
  b.writeUInt16LE(4, 16);	// e_type ET_CORE: no PT_INTERP, not loadable
  writeFileSync(bad, b);
  chmodSync(bad, 0o755);
  const ex = dyn('exec');
  const r = run(ex, [bad], { config });
  t.regex(r.stderr, new RegExp(`^vu: ${bad}: a static ELF that is neither an executable nor a static-pie; vu cannot enter it, so it is not run`, 'm'));
  t.is(r.stdout, 'ERR 8\n');	// ENOEXEC
});

(has('musl-gcc') ? test : test.skip)(`static: musl static programs (threads, fork, remap)${has('musl-gcc') ? '' : ' [no musl-gcc: apt-get install musl-tools]'}`, (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const c = build('cat', 'musl-gcc', ['-static']);
  const th = build('threads', 'musl-gcc', ['-static']);
  t.is(body(run('sh', ['-c', `${c} /etc/passwd`], { config }).stdout), 'remapped\n');
  const r = run('sh', ['-c', `${th} /etc/passwd`], { config });
  t.regex(r.stdout, /thread 7: remapped\nsignal 10\nchild: remapped\nchild exit 3\n$/, r.stderr);
});

const busybox = spawnSync('sh', ['-c', 'f=$(command -v busybox) && file -L "$f" | grep -q "statically linked" && echo "$f"'], { encoding: 'utf8' }).stdout.trim();
(busybox ? test : test.skip)(`static: busybox-static (sh, applets, exec of static and dynamic programs) sees the layers${busybox ? '' : ' [no static busybox: apt-get install busybox-static]'}`, (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const s = stat('cat');
  const r = run('sh', ['-c', `${busybox} sh -c 'cat /etc/passwd; busybox cat /etc/passwd; ${s} /etc/passwd; /bin/cat /etc/passwd'`], { config });
  t.is(r.stderr, '');
  t.is(r.stdout, `remapped\nremapped\nargv0=${s} comm=${s.split('/').pop()!.slice(0, 15)} exe=${s}\nremapped\nremapped\n`);
});

(has('go') ? test : test.skip)(`static: a Go program (CGO_ENABLED=0): goroutines on many threads and a child see the layers${has('go') ? '' : ' [no go: apt-get install golang-go]'}`, (t) => {
  const dir = tmpdir();
  const config = remap(dir);
  const g = goProbe();
  const r = run('sh', ['-c', `GOMAXPROCS=8 ${g} /etc/passwd`], { config });
  t.is(r.stderr, '');
  t.is(r.stdout, 'true "remapped\\n" child="remapped\\n" <nil>\n');
});

/** fsops (test/probes/static/fsops.c) static and dynamic under the same
 * layer, from a dynamic shell: the same lines, and what the layer says */
function both(config: string, args: string, prep?: () => void) {
  const s = build('fsops', 'gcc', ['-static']), d = build('fsops', 'gcc', []);
  prep?.();
  const rs = run('sh', ['-c', `${s} ${args}`], { config });
  prep?.();
  const rd = run('sh', ['-c', `${d} ${args}`], { config });
  return { s: rs.stdout, d: rd.stdout, err: rs.stderr + rd.stderr };
}

test('static: bind -- a static program sees the source at the target, reads and writes there, as the dynamic build', (t) => {
  const dir = tmpdir();
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'f'), 'from src');
  const config = writeConfig({ layers: [{ type: 'bind', source: join(dir, 'src'), target: '/vu-bound' }] }, dir);
  const r = both(config, 'read /vu-bound/f -- write /vu-bound/new x -- ls /vu-bound');
  t.is(r.s, 'read /vu-bound/f: from src\nwrite /vu-bound/new: ok\nls /vu-bound: f new\n', r.err);
  t.is(r.d, r.s);
  t.is(readFileSync(join(dir, 'src', 'new'), 'utf8'), 'x');
});

test('static: fakeroot -- chown succeeds and stat shows the faked owner, as the dynamic build', (t) => {
  const dir = tmpdir();
  const f = join(dir, 'f');
  const config = writeConfig({ layers: [{ type: 'fakeroot', state: join(dir, 'state.db') }] }, dir);
  const r = both(config, `write ${f} x -- chown ${f} 0 0 -- stat ${f} -- chown ${f} 1234 5678 -- stat ${f}`, () => writeFileSync(f, ''));
  t.regex(r.s, new RegExp(`chown ${f}: ok\nstat ${f}: uid=0 gid=0 mode=100644 size=1\nchown ${f}: ok\nstat ${f}: uid=1234 gid=5678 `), r.err);
  t.is(r.d, r.s);
});

test('static: faketime -- time() and clock_gettime (the vDSO hidden from the static program: its calls trap) show the fake year, as the dynamic build', (t) => {
  const config = writeConfig({ layers: [{ type: 'faketime', at: '2020-06-01T00:00:00Z' }] });
  const r = both(config, 'year');
  t.is(r.s, 'year: time 2020, clock_gettime 2020\n', r.err);
  t.is(r.d, r.s);
  // natively the real year; a static program under a stack with no time
  // layer keeps its vDSO
  const y = new Date().getUTCFullYear();
  t.is(run(build('fsops', 'gcc', ['-static']), ['year'], { vu: false }).stdout, `year: time ${y}, clock_gettime ${y}\n`);
  const plain = writeConfig({ layers: [{ type: 'hide', paths: ['/vu-nothing'] }] });
  t.is(run('sh', ['-c', `${build('fsops', 'gcc', ['-static'])} year`], { config: plain }).stdout, `year: time ${y}, clock_gettime ${y}\n`);
  if (has('musl-gcc')) t.is(run('sh', ['-c', `${build('fsops', 'musl-gcc', ['-static'])} year`], { config }).stdout, 'year: time 2020, clock_gettime 2020\n');
});

test('static: overlay -- writes land in the upper folder, the lower one is untouched, listings merge, as the dynamic build', (t) => {
  const dir = tmpdir();
  const lower = join(dir, 'lower'), upper = join(dir, 'upper');
  mkdirSync(lower);
  writeFileSync(join(lower, 'a'), 'lower a');
  const config = writeConfig({ layers: [{ type: 'overlay', lower, upper }] }, dir);
  const r = both(config, `write ${lower}/a changed -- write ${lower}/b new -- read ${lower}/a -- ls ${lower}`);
  t.is(r.s, `write ${lower}/a: ok\nwrite ${lower}/b: ok\nread ${lower}/a: changed\nls ${lower}: a b\n`, r.err);
  t.is(r.d, r.s);
  t.is(readFileSync(join(lower, 'a'), 'utf8'), 'lower a');
  t.is(readFileSync(join(upper, 'a'), 'utf8'), 'changed');
});

test('static: native runs of the probes are unchanged (sanity)', (t) => {
  t.is(body(run(stat('cat'), ['/etc/hostname'], { vu: false }).stdout), HOST);
});
