/**
 * Lazy rewriting of trapping syscall sites (runtime/core/rewrite.c, on by
 * default, VU_REWRITE=0 turns it off): the probe's hand-written asm sites
 * trap once, are rewritten into a jump to a trampoline, and later calls
 * enter vu as a function call; VU_STATS tells which (sites[].sud
 * "rewritten", rewritten[] with the calls made through the trampoline, "rw"
 * the total). Each test has its own learned-sites cache (VU_CACHE_DIR) and
 * patches at the first trap (VU_REWRITE_AFTER=1) unless it says otherwise.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIB, missing, probe, run, tmpdir, writeConfig } from '../helpers.js';

const P = probe('rewrite');

interface Site { at: string; call: string; n: number; sud: string }
interface Line { pid: number; exe: string; libc: number; sud: number; rw?: number; rw_allow?: number; sites: Site[]; rewritten?: Array<{ at: string; call: string; n: number }> }

const config = writeConfig({ intercept: 'all', layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] });

function under(args: string[], rewrite = true, cache = tmpdir(), after = '1') {
  const file = join(tmpdir(), 'stats.jsonl');
  const r = run(P, args, { config, env: { VU_STATS: file, VU_REWRITE: rewrite ? '1' : '0', VU_REWRITE_AFTER: after, VU_CACHE_DIR: cache } });
  const lines = existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)
    : [];
  /** traps and rewritten calls at the probe's own sites */
  const own = (l: Line) => ({
    traps: l.sites.filter((s) => s.at.startsWith('rewrite+')),
    rw: (l.rewritten ?? []).filter((s) => s.at.startsWith('rewrite+')),
  });
  return { r, lines, own };
}

test('a site traps once, is rewritten, and later calls do not trap', (t) => {
  const { r, lines, own } = under(['getppid', '1000']);
  t.is(r.stdout, 'ok\n');
  const main = lines.find((l) => own(l).traps.length);
  t.truthy(main);
  const o = own(main!);
  t.deepEqual(o.traps.map((s) => [s.call, s.n, s.sud]), [['getppid', 1, 'rewritten']]);
  t.is(o.rw.reduce((a, s) => a + s.n, 0), 999);
  // without VU_REWRITE: every call traps, same answers
  const off = under(['getppid', '1000'], false);
  t.is(off.r.stdout, 'ok\n');
  t.is(off.lines.flatMap((l) => off.own(l).traps).reduce((a, s) => a + s.n, 0), 1000);
});

test('a wrapped call reaches glibc\'s own site, patched in its image, and goes straight to the kernel', (t) => {
  // vu's getppid wrapper opens the selector and runs glibc's getppid, whose
  // syscall instruction the C library's image patched: its trampoline sees
  // the open selector and makes the call itself; before, every such call
  // came back into vu (rewrite_entry.S: the whole register file saved with
  // xsave, ~200 ns a call) only to be let through ("rw_allow" counts those)
  // (and calls of every kind: a pipe, open/fstat/close, a signal's return,
  // fork and posix_spawn's vfork, each answer checked by the probe)
  const { r, lines } = under(['libc', '3000']);
  t.is(r.stdout, 'ok\n', r.stderr);
  t.true(lines.reduce((a, l) => a + l.libc, 0) >= 3000 * 9);
  t.is(lines.reduce((a, l) => a + (l.rw_allow ?? -1), 0), 0);
  const off = under(['libc', '3000'], false);
  t.is(off.r.stdout, 'ok\n');
});

test('a site whose function has a branch into the patched bytes stays on SUD', (t) => {
  const { r, lines, own } = under(['jt', '100']);
  t.is(r.stdout, 'ok\n');
  const traps = lines.flatMap((l) => own(l).traps);
  t.is(traps.length, 1);
  t.is(traps[0].n, 100);
  t.regex(traps[0].sud, /branch .* inside an instruction/);
});

test('many threads in the same site while it is patched', (t) => {
  const { r, lines, own } = under(['threads', '8', '20000']);
  t.is(r.stdout, 'ok\n');
  const traps = lines.flatMap((l) => own(l).traps).reduce((a, s) => a + s.n, 0);
  const rw = lines.flatMap((l) => own(l).rw).reduce((a, s) => a + s.n, 0);
  t.is(traps + rw, 8 * 20000);
  // the threads that trap while the first patch goes in depend on the
  // machine's load (1,000 on a quiet machine, 3,000 on a loaded one): a
  // loose bound, the point being that most calls go through the jump
  t.true(traps < (8 * 20000) / 4, `${traps} traps`);
});

test('a signal interrupts a rewritten blocking read: SA_RESTART restarts it, else EINTR', (t) => {
  const a = under(['read', 'restart']);
  t.is(a.r.stdout, 'read 1 x alarms yes\n');
  const b = under(['read', 'intr']);
  t.is(b.r.stdout, 'read -4 Interrupted system call alarms yes\n');
  for (const x of [a, b]) {
    const site = x.lines.flatMap((l) => x.own(l).traps).find((s) => s.call === 'read');
    t.is(site?.sud, 'rewritten');
  }
});

test('fork after patching: the child runs the patched code', (t) => {
  const { r, lines, own } = under(['fork', '50']);
  t.is(r.stdout, 'child ok\nparent ok\n');
  // the child's line comes first; its count holds the 2 the parent made
  // through the trampoline before the fork (the counters are copied)
  const child = lines.find((l) => own(l).rw.some((s) => s.n >= 50));
  t.truthy(child, JSON.stringify(lines.map(own)));
  t.is(own(child!).traps.length, 0);
});

test('exec: the new image patches the sites learned before it at start-up, so only the first image traps', (t) => {
  const cache = tmpdir();
  const { r, lines, own } = under(['exec', '50'], true, cache);
  t.is(r.stdout, 'ok\n');
  const images = lines.filter((l) => own(l).traps.length);
  t.is(images.length, 1);
  t.is(own(images[0]).traps[0].n, 1);
  // the second image made its calls through the trampoline all the same
  t.true(lines.filter((l) => !own(l).traps.length).some((l) => own(l).rw.reduce((a, s) => a + s.n, 0) >= 50),
    JSON.stringify(lines.map(own)));
  // the file: "PROGRAM-BUILDID BUILDID OFFSET j|w OFFSET" lines
  const text = readFileSync(join(cache, 'sites.1'), 'utf8');
  t.regex(text, /^[0-9a-f]{16,40} [0-9a-f]{16,40} [0-9a-f]+ [jw] [0-9a-f]+$/m);
  // a run with the file in place: no trap at all
  const again = under(['exec', '50'], true, cache);
  t.is(again.r.stdout, 'ok\n');
  t.is(again.lines.flatMap((l) => again.own(l).traps).length, 0);
});

test('exec with no writable cache: each image traps once and rewrites again', (t) => {
  const { r, lines, own } = under(['exec', '50'], true, '/proc/vu-no-cache');
  t.is(r.stdout, 'ok\n');
  const images = lines.filter((l) => own(l).traps.length);
  t.is(images.length, 2);
  t.deepEqual(images.map((l) => own(l).traps[0].n), [1, 1]);
});

test('a cache file with garbage, wrong offsets or bytes that changed is ignored line by line', (t) => {
  const cache = tmpdir();
  const first = under(['getppid', '10'], true, cache);
  t.is(first.r.stdout, 'ok\n');
  const file = join(cache, 'sites.1');
  const good = readFileSync(file, 'utf8');
  const id = good.split(' ').slice(0, 2).join(' ');	// the program's and the object's build IDs
  // offsets that are no syscall, stubs out of reach, other build IDs, junk
  writeFileSync(file, [`${id} 0 j 10`, `${id} 10 w 0`, `${id} ffffffffff j 0`, 'zz 1 j 2', 'x'.repeat(300), `${id} 1 q 2`, `${id.split(' ')[1]} ${id}  1 j 2`, ''].join('\n') + good);
  for (let i = 0; i < 2; i++) {
    const { r, lines, own } = under(['getppid', '1000'], true, cache);
    t.is(r.stdout, 'ok\n');
    const traps = lines.flatMap((l) => own(l).traps).reduce((a, s) => a + s.n, 0);
    const rw = lines.flatMap((l) => own(l).rw).reduce((a, s) => a + s.n, 0);
    t.is(traps + rw, 1000);
    t.is(traps, 0);
  }
});

test('with no padding within a short jump, the window method moves the head: a register move, or a RIP-relative lea', (t) => {
  for (const m of ['window', 'riprel']) {
    const { r, lines, own } = under([m, '100']);
    t.is(r.stdout, 'ok\n', `${m}: ${r.stderr}`);
    t.deepEqual(lines.flatMap((l) => own(l).traps).map((s) => [s.n, s.sud]), [[1, 'rewritten']], m);
    t.is(lines.flatMap((l) => own(l).rw).reduce((a, s) => a + s.n, 0), 99, m);
  }
  // rewriting off: the same answers, every call trapped
  const off = under(['window', '5'], false);
  t.is(off.r.stdout, 'ok\n');
});

test('raw forks from a rewritten site are vu\'s fork: children run, later forks do not trap', (t) => {
  const { r, lines, own } = under(['rawfork', '20']);
  t.is(r.stdout, 'ok\n', r.stderr);
  // one trap for the fork site in the whole tree (a child's line starts
  // from zero), then 19 forks through the trampoline
  const forkTraps = lines.flatMap((l) => own(l).traps).filter((s) => s.call === 'fork');
  t.deepEqual(forkTraps.map((s) => [s.n, s.sud]), [[1, 'rewritten']], JSON.stringify(lines.map(own)));
  t.is(lines.flatMap((l) => own(l).rw).filter((s) => s.call === 'fork').reduce((a, s) => a + s.n, 0), 19);
});

test('fork while other threads run (and patch) the same site: every child and thread gets the right answers', (t) => {
  for (let i = 0; i < 3; i++) {
    const { r } = under(['forkwhile', '4', '20']);
    t.is(r.stdout, 'ok\n', r.stderr);
  }
});

test('by default a site is patched at its 32nd trap: one a process passes a few times keeps its page shared', (t) => {
  const few = under(['getppid', '20'], true, tmpdir(), '');
  t.is(few.r.stdout, 'ok\n');
  const a = few.lines.flatMap((l) => few.own(l).traps);
  t.deepEqual(a.map((s) => s.n), [20]);
  t.regex(a[0].sud, /^not hot/);
  t.is(few.lines.flatMap((l) => few.own(l).rw).length, 0);
  const many = under(['getppid', '100'], true, tmpdir(), '');
  t.is(many.r.stdout, 'ok\n');
  const b = many.lines.flatMap((l) => many.own(l).traps);
  t.deepEqual(b.map((s) => [s.n, s.sud]), [[32, 'rewritten']]);
  t.is(many.lines.flatMap((l) => many.own(l).rw).reduce((x, s) => x + s.n, 0), 68);
});

test('a program reading its own code sees the jump vu wrote', (t) => {
  const { r } = under(['bytes']);
  // the syscall instruction (0f 05) became jmp rel8 (eb) to a 5-byte jmp
  // in the padding after the function; the mov before it keeps its bytes
  t.is(r.stdout, 'before b8 0f\nafter b8 eb\n');
});

test('layers still see rewritten calls (remap)', (t) => {
  const { r, lines, own } = under(['open', '/etc/passwd']);
  const host = readFileSync('/etc/hostname', 'utf8');
  t.is(r.stdout, host + host);
  const site = lines.flatMap((l) => own(l).traps).find((s) => s.call === 'openat');
  t.is(site?.sud, 'rewritten');
});

const noGdb = missing(['gdb'], 'apt-get install gdb');
(noGdb ? test.skip : test)(`every instruction of vu_rw_entry runs on a stack a signal can be delivered on${noGdb}`, (t) => {
  // a signal that lands on an instruction where rsp is not a stack cannot
  // be delivered: the kernel kills the process with SIGSEGV. vu_rw_entry
  // once loaded the thread's rw_top into rsp and only then tested it for
  // 0 (a 10 kHz timer hit that instruction: the storm test, 1 run in ~15
  // under load). Here gdb steps through a real entry (over the call into
  // vu_rw_call) and reads the 4 KiB below rsp at every instruction.
  const nm = spawnSync('nm', ['-S', LIB], { encoding: 'utf8' }).stdout.split('\n').find((l) => / t vu_rw_entry$/.test(l));
  t.truthy(nm, 'vu_rw_entry in nm -S');
  const size = parseInt(nm!.split(/\s+/)[1], 16);
  const script = join(tmpdir(), 'steps.py');
  writeFileSync(script, `
import gdb
gdb.execute('set pagination off')
gdb.execute('set breakpoint pending on')
gdb.execute('handle SIGSYS nostop noprint pass')
gdb.execute('break vu_rw_entry')
gdb.execute('run', to_string=True)
lo = int(gdb.parse_and_eval('(long)&vu_rw_entry'))
inf = gdb.selected_inferior()
steps = bad = 0
while True:
    pc = int(gdb.parse_and_eval('$pc'))
    if pc < lo or pc >= lo + ${size}:
        break
    sp = int(gdb.parse_and_eval('$rsp'))
    try:
        if sp < 4096:
            raise gdb.MemoryError('no stack')
        inf.read_memory(sp - 4096, 4096 + 8)
    except gdb.MemoryError:
        bad += 1
        print('BAD pc +%d rsp %#x' % (pc - lo, sp))
    steps += 1
    gdb.execute('nexti', to_string=True)
print('STEPS %d BAD %d' % (steps, bad))
gdb.execute('kill')
`);
  const env: Record<string, string> = { VU_CONFIG: config, VU_REWRITE_AFTER: '1', VU_CACHE_DIR: tmpdir() };
  const r = spawnSync('gdb', ['-q', '-batch', '-nx', ...Object.entries({ LD_PRELOAD: LIB, ...env }).flatMap(([k, v]) => ['-ex', `set environment ${k}=${v}`]),
    '-x', script, '--args', P, 'getppid', '50'], { encoding: 'utf8', timeout: 120_000 });
  const m = /STEPS (\d+) BAD (\d+)/.exec(r.stdout);
  t.truthy(m, r.stdout + r.stderr);
  t.true(Number(m![1]) > 30, `${m![1]} instructions stepped`);
  t.is(Number(m![2]), 0, r.stdout.split('\n').filter((l) => l.startsWith('BAD')).join('\n'));
});
