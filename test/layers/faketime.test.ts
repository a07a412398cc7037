/**
 * faketime: the realtime clocks show the configured time through every
 * path (libc entry points that answer from the vDSO, inline syscalls), run
 * on from there, agree across a process tree; absolute realtime deadlines
 * are translated back; monotonic clocks and file times stay real.
 */
import test from 'ava';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

const AT = '2020-01-01T00:00:00Z';
const AT_S = Date.parse(AT) / 1000;

function faketime(opts: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  return writeConfig({ ...top, layers: [{ type: 'faketime', ...opts }] });
}

/** the probe's "name seconds" lines */
function clocks(stdout: string): Record<string, number> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => {
    const [k, v] = l.split(' ');
    return [k, Number(v)];
  }));
}

const REALTIME = ['libc-realtime', 'libc-realtime-coarse', 'libc-tai', 'libc-gettimeofday', 'libc-time',
  'libc-timespec_get', 'raw-realtime', 'raw-gettimeofday', 'raw-time', 'raw-time-arg'];

type T = { true: (v: boolean, m?: string) => void };

function near(t: T, got: number, want: number, slack: number, what: string) {
  t.true(Math.abs(got - want) <= slack, `${what}: ${got} is not within ${slack} s of ${want}`);
}

/** a fake reading taken by a process started just now: at or a few
 * seconds after it (process start-up on a loaded 2-core machine) */
function fresh(t: T, got: number, at: number, what: string) {
  t.true(got >= at && got <= at + 5, `${what}: ${got} is ${got - at} s after ${at}`);
}

test('faketime: date, python3 time.time() and node Date.now() start at "at"', (t) => {
  const config = faketime({ at: AT });
  t.is(run('date', ['-u', '+%Y-%m-%dT%H:%M'], { config }).stdout, '2020-01-01T00:00\n');
  fresh(t, Number(run('python3', ['-c', 'import time; print(time.time())'], { config }).stdout), AT_S, 'python3');
  fresh(t, Number(run('node', ['-e', 'console.log(Date.now())'], { config }).stdout) / 1000, AT_S, 'node');
});

test('faketime: libfaketime\'s start-and-run form "@2020-01-01 12:00:00" is local time (TZ); with a zone, that zone', (t) => {
  const at = (v: string, tz: string) =>
    run('date', ['-u', '+%Y-%m-%dT%H:%M'], { config: faketime({ at: v }), env: { TZ: tz } }).stdout;
  t.is(at('@2020-01-01 09:00:00', 'Asia/Tokyo'), '2020-01-01T00:00\n', 'JST is UTC+9');
  t.is(at('@2020-01-01 09:00', 'UTC'), '2020-01-01T09:00\n');
  t.is(at('@2020-01-01', 'Asia/Tokyo'), '2019-12-31T15:00\n', 'a date alone: local midnight');
  t.is(at('@2020-01-01 12:00:00+02:00', 'Asia/Tokyo'), '2020-01-01T10:00\n', 'a zone given wins');
  t.is(at('2020-01-01T00:00:00Z', 'Asia/Tokyo'), '2020-01-01T00:00\n', 'ISO with Z: TZ does not matter');
  // a grandchild after env -i (no TZ: UTC) keeps the instant the tree read
  t.is(run('sh', ['-c', 'env -i /usr/bin/env /usr/bin/date -u +%Y-%m-%dT%H:%M'], { config: faketime({ at: '@2020-01-01 09:00:00' }), env: { TZ: 'Asia/Tokyo' } }).stdout,
    '2020-01-01T00:00\n', 'env -i: the tree\'s instant');
  const bad = run('true', [], { config: faketime({ at: '2020-01-01T12:00:00' }) });
  t.is(bad.status, 125);
  t.regex(bad.stderr, /at: "2020-01-01T12:00:00" needs a time zone: "Z" or an offset like "\+02:00" \(or "@2020-01-01T12:00:00": local time, as libfaketime\)/);
});

test('faketime: libfaketime\'s absolute form "2020-01-01 12:00:00" stops the clock, in local time, for the whole tree', (t) => {
  const config = faketime({ at: '2020-01-01 09:00:00' });
  const env = { TZ: 'Asia/Tokyo' };
  const want = AT_S;	// 09:00 JST is 00:00 UTC
  // date twice with a pause, in one shell and in a child with another TZ
  const r = run('sh', ['-c', 'date +%s.%N; sleep 0.3; date +%s.%N; TZ=UTC date -u +%FT%T; env -i /usr/bin/date +%s'], { config, env });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [`${want}.000000000`, `${want}.000000000`, '2020-01-01T00:00:00', `${want}`]);
  // python and node: the same instant, however long they run
  t.is(run('python3', ['-c', 'import time; a = time.time(); time.sleep(0.2); print(a, time.time())'], { config, env }).stdout, `${want}.0 ${want}.0\n`);
  t.is(run('node', ['-e', 'const a = Date.now(); setTimeout(() => console.log(a, Date.now()), 200)'], { config, env }).stdout, `${want * 1000} ${want * 1000}\n`);
  // every realtime reading, libc and raw, is the instant; monotonic runs
  const v = clocks(run(probe('clocks'), ['now'], { config, env }).stdout);
  for (const k of REALTIME) t.is(v[k], want, k);
  t.true(v['libc-monotonic'] > 0 && v['raw-monotonic'] > 0);
  // touch stores the frozen now
  const dir = tmpdir();
  t.is(run('touch', [join(dir, 'f')], { config, env }).status, 0);
  t.is(Math.floor(statSync(join(dir, 'f')).mtimeMs / 1000), want);
  // VU_DEBUG says so
  t.regex(run('true', [], { config, env: { ...env, VU_DEBUG: '1' } }).stderr, new RegExp(`faketime: frozen at ${want} s \\+ 0 ns`));
});

test('faketime: every way of reading realtime is faked, libc and raw; monotonic and boottime are native', (t) => {
  const nat = clocks(run(probe('clocks'), ['now'], { vu: false }).stdout);
  const r = run(probe('clocks'), ['now'], { config: faketime({ at: AT }) });
  t.is(r.status, 0, r.stderr);
  const v = clocks(r.stdout);
  for (const k of REALTIME) fresh(t, v[k], AT_S - (k.includes('coarse') ? 0.01 : 0), k);
  for (const k of ['libc-monotonic', 'raw-monotonic', 'libc-boottime']) near(t, v[k], nat[k], 10, k);
  near(t, v['libc-monotonic'], v['raw-monotonic'], 0.5, 'libc and raw monotonic agree');
});

test('faketime: "intercept": "libc" fakes the libc entry points (the fast path) and not inline syscalls', (t) => {
  const r = run(probe('clocks'), ['now'], { config: faketime({ at: AT }, { intercept: 'libc' }) });
  t.is(r.status, 0, r.stderr);
  const v = clocks(r.stdout);
  const now = Date.now() / 1000;
  for (const k of REALTIME) {
    if (k.startsWith('libc-')) fresh(t, v[k], AT_S - (k.includes('coarse') ? 0.01 : 0), k);
    else near(t, v[k], now, 5, k);
  }
});

test('faketime: offsets as a string with units and as a number of seconds', (t) => {
  for (const [offset, secs] of [['-1d', -86400], ['+3h', 10800], ['1d12h', 129600], [-3600, -3600], [90.5, 90.5]] as const) {
    const v = Number(run('python3', ['-c', 'import time; print(time.time())'], { config: faketime({ offset }) }).stdout);
    near(t, v, Date.now() / 1000 + secs, 5, `offset ${offset}`);
  }
});

test('faketime: the fake clock runs on', (t) => {
  const r = run('sh', ['-c', 'date +%s.%N; sleep 1.2; date +%s.%N'], { config: faketime({ at: AT }) });
  const [a, b] = r.stdout.trim().split('\n').map(Number);
  fresh(t, a, AT_S, 'first');
  t.true(b - a >= 1.2 && b - a < 5, `ran on ${b - a} s`);
});

test('faketime: a child started later, even with env -i, continues the tree\'s clock', (t) => {
  const r = run('sh', ['-c', 'sleep 1.5; env -i /bin/date +%s'], { config: faketime({ at: AT }) });
  const v = Number(r.stdout);
  // a child that took its own start as "at" would print AT_S
  t.true(v >= AT_S + 1 && v <= AT_S + 6, `child saw ${v - AT_S} s after at`);
});

test('faketime: VU_FAKETIME_BASE is the real start of the tree', (t) => {
  const base = Math.floor(Date.now() / 1000) - 100;
  const r = run('date', ['+%s'], { config: faketime({ at: AT }), env: { VU_FAKETIME_BASE: `${base}.000000000` } });
  fresh(t, Number(r.stdout), AT_S + 100, 'date');
});

test('faketime: touch stores the fake now (libc and raw); touch -d and other files\' times stay real', (t) => {
  const dir = tmpdir();
  const config = faketime({ at: AT });
  const old = join(dir, 'old');
  writeFileSync(old, 'x');
  t.is(run('touch', [join(dir, 'a')], { config }).status, 0);
  fresh(t, statSync(join(dir, 'a')).mtimeMs / 1000, AT_S, 'touch a (new)');
  t.is(run('touch', [old], { config }).status, 0);
  fresh(t, statSync(old).mtimeMs / 1000, AT_S, 'touch old');
  t.is(run('python3', ['-c', `import os; os.utime('${join(dir, 'a')}')`], { config }).status, 0);
  fresh(t, statSync(join(dir, 'a')).mtimeMs / 1000, AT_S, 'os.utime');
  const raw = run(probe('clocks'), ['touch', join(dir, 'a')], { config });
  fresh(t, Number(raw.stdout.split(' ')[1]), AT_S, 'raw utimensat');
  t.is(run('touch', ['-d', '@1000000000', join(dir, 'b')], { config }).status, 0);
  t.is(statSync(join(dir, 'b')).mtimeMs, 1000000000 * 1000);
  // stat of a file is not faked: the same as natively
  writeFileSync(join(dir, 'c'), 'x');
  t.is(run('stat', ['-c', '%Y %X', join(dir, 'c')], { config }).stdout, run('stat', ['-c', '%Y %X', join(dir, 'c')], { vu: false }).stdout);
});

const WAITS = ['nanosleep-libc', 'nanosleep-raw', 'condwait', 'futex-raw', 'timerfd', 'timer'];
for (const kind of WAITS) {
  test(`faketime: an absolute realtime deadline 300 ms ahead waits 300 ms (${kind})`, (t) => {
    // in the past (at) an untranslated deadline returns at once; in the
    // future (offset) it would wait a day (the probe's alarm ends it)
    for (const opts of [{ at: AT }, { offset: '+1d' }, { at: '2020-01-01 00:00:00' }]) {
      const r = run(probe('clocks'), ['wait', kind], { config: faketime(opts) });
      t.is(r.status, 0, `${JSON.stringify(opts)}: ${r.stderr} ${r.signal}`);
      const ms = Number(r.stdout.split(' ')[1]);
      t.true(ms >= 250 && ms < 2000, `${JSON.stringify(opts)}: waited ${ms} ms`);
    }
  });
}

const bad: Array<[string, string, RegExp]> = [
  ['both at and offset', '{"layers": [{"type": "faketime", "at": "2020-01-01", "offset": 5}]}',
    /vu\.json:1:64: layer faketime: needs exactly one of "at" and "offset"/],
  ['neither at nor offset', '{"layers": [{"type": "faketime"}]}', /vu\.json:1:13: layer faketime: needs exactly one of "at" and "offset"/],
  ['at without a time zone', '{"layers": [{"type": "faketime",\n "at": "2020-01-01T00:00:00"}]}',
    /vu\.json:2:8: layer faketime: at: "2020-01-01T00:00:00" needs a time zone/],
  ['at not a date', '{"layers": [{"type": "faketime", "at": "yesterday"}]}', /vu\.json:1:40: layer faketime: at: "yesterday" is not an ISO 8601 time/],
  ['at on February 30th', '{"layers": [{"type": "faketime", "at": "2021-02-30T00:00:00Z"}]}', /vu\.json:1:40: layer faketime: at: .* is not an ISO 8601 time/],
  ['offset with an unknown unit', '{"layers": [{"type": "faketime", "offset": "-1x"}]}', /vu\.json:1:44: layer faketime: offset: "-1x" is not seconds/],
  ['offset a boolean', '{"layers": [{"type": "faketime", "offset": true}]}', /vu\.json:1:44: faketime\.offset must be a string or a number, not a boolean/],
];

for (const [title, text, expect] of bad) {
  test(`faketime: ${title} -> exit 125 with FILE:LINE:COL`, (t) => {
    const dir = tmpdir();
    const file = writeConfig(text, dir);
    const r = run('touch', [join(dir, 'ran')], { config: file });
    t.is(r.status, 125);
    t.regex(r.stderr, expect);
    t.true(r.stderr.startsWith(`vu: ${file}:`));
    t.false(existsSync(join(dir, 'ran')));
  });
}

test('faketime: "at" with time zones, fractions or only a date, and offsets, give exact offsets', (t) => {
  // with a known tree start the offset is exact: VU_DEBUG prints it
  const base = 1700000000;
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ at: AT }, `${AT_S - base} s + 0 ns`],
    [{ at: '2020-01-01T02:00:00+02:00' }, `${AT_S - base} s + 0 ns`],
    [{ at: '2020-01-01' }, `${AT_S - base} s + 0 ns`],
    [{ at: '2019-12-31T23:59:59.25-00:30' }, `${AT_S - base + 1800 - 1} s + 250000000 ns`],
    [{ at: '2020-02-29t12:00:00z' }, `${Date.parse('2020-02-29T12:00:00Z') / 1000 - base} s + 0 ns`],
    [{ offset: '-1d' }, '-86400 s + 0 ns'],
    [{ offset: '1w2d3h4m5s' }, `${9 * 86400 + 3 * 3600 + 4 * 60 + 5} s + 0 ns`],
    [{ offset: '+1y' }, `${365 * 86400} s + 0 ns`],
    [{ offset: -1.5 }, '-2 s + 500000000 ns'],
    [{ offset: '90' }, '90 s + 0 ns'],
  ];
  for (const [opts, want] of cases) {
    const r = run('true', [], { config: faketime(opts), env: { VU_DEBUG: '1', VU_FAKETIME_BASE: `${base}.000000000` } });
    t.regex(r.stderr, new RegExp(`faketime: real \\+ ${want.replace('+', '\\+')}\n`), JSON.stringify(opts));
  }
});

/* setting the clock: a deny layer below faketime refuses whatever reaches
 * it, so a miss can never set this machine's real clock */
const SAFE = [{ type: 'deny', syscalls: ['clock_settime', 'settimeofday', 'clock_adjtime', 'adjtimex'] }];
function settable(opts: Record<string, unknown>, intercept = 'all'): string {
  return writeConfig({ intercept, layers: [{ type: 'faketime', ...opts }, ...SAFE] });
}

for (const intercept of ['all', 'libc']) {
  test(`faketime: date -s sets the fake clock for the whole tree -- the shell that ran it, later children, env -i (${intercept})`, (t) => {
    const config = settable({ at: AT }, intercept);
    const realYear = new Date().getUTCFullYear();
    const r = run('bash', ['-c', [
      'date -u +%F',
      'date -u -s "2030-06-01 12:00:00" >/dev/null && echo set',
      'printf "%(%F)T\\n" -1',	// bash itself, started before the change
      'date -u +%F',
      'bash -c \'bash -c "date -u +%F"\'',
      'python3 -c "import time; print(time.strftime(\'%F\', time.gmtime()))"',
      'env -i /usr/bin/date -u +%F',
    ].join('; ')], { config, env: { TZ: 'UTC' } });
    t.is(r.status, 0, r.stderr);
    t.deepEqual(r.stdout.trim().split('\n'), ['2020-01-01', 'set', '2030-06-01', '2030-06-01', '2030-06-01', '2030-06-01', '2030-06-01']);
    // the clock runs on from the time set; the real one was not touched
    t.is(new Date().getUTCFullYear(), realYear);
  });
}

test('faketime: a stopped clock set with date -s stands at the new time; a bad time is EINVAL as natively', (t) => {
  const config = settable({ at: '2020-01-01 00:00:00' });
  const r = run('sh', ['-c', 'date -u -s "2031-01-02 03:04:05" >/dev/null; date -u +%FT%T.%N; sleep 0.2; date -u +%s'], { config, env: { TZ: 'UTC' } });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['2031-01-02T03:04:05.000000000', String(Date.parse('2031-01-02T03:04:05Z') / 1000)]);
  const bad = "import time, errno\ntry:\n    time.clock_settime(time.CLOCK_REALTIME, -5)\nexcept OSError as e:\n    print(errno.errorcode[e.errno])\n";
  t.is(run('python3', ['-c', bad], { config: settable({ at: AT }) }).stdout, 'EINVAL\n');
  t.is(run('python3', ['-c', bad], { vu: false }).stdout, 'EINVAL\n');
});

test('faketime: the tree\'s clock is one memfd every process keeps as vu\'s own descriptor', (t) => {
  const r = run('bash', ['-c', 'ls -l /proc/self/fd | grep -c vu-faketime; exec 4000>&-; exec 4001>&-; exec 4002>&-; date -u -s "2030-01-01" >/dev/null; date -u +%Y'], { config: settable({ at: AT }), env: { TZ: 'UTC' } });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['1', '2030']);
});

