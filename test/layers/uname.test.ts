/**
 * uname: uname(2), gethostname and getdomainname answer the configured
 * fields through libc and inline syscalls; the fields nobody configured are
 * what the kernel says.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run, tmpdir, writeConfig } from '../helpers.js';

function uname(fields: Record<string, string>, top: Record<string, unknown> = {}): string {
  return writeConfig({ ...top, layers: [{ type: 'uname', ...fields }] });
}

const native = (flag: string) => run('uname', [flag], { vu: false }).stdout;

test('uname: uname -a shows the configured fields, the others as native', (t) => {
  const config = uname({ nodename: 'sandbox', release: '9.9.9-vu' });
  const r = run('uname', ['-a'], { config });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, run('uname', ['-a'], { vu: false }).stdout
    .replace(` ${native('-n').trim()} `, ' sandbox ')
    .replace(` ${native('-r').trim()} `, ' 9.9.9-vu '));
  for (const flag of ['-s', '-v', '-m']) t.is(run('uname', [flag], { config }).stdout, native(flag), flag);
  t.is(run('uname', ['-n'], { config }).stdout, 'sandbox\n');
  t.is(run('uname', ['-r'], { config }).stdout, '9.9.9-vu\n');
});

test('uname: every field can be set', (t) => {
  const config = uname({ sysname: 'Plan9', nodename: 'n', release: 'r', version: 'v 1', machine: 'mips' });
  t.is(run('uname', ['-s', '-n', '-r', '-v', '-m'], { config }).stdout, 'Plan9 n r v 1 mips\n');
});

for (const intercept of ['all', 'libc']) {
  test(`uname: hostname and python3 platform.node() show the nodename ("intercept": "${intercept}")`, (t) => {
    const config = uname({ nodename: 'sandbox', domainname: 'example.org' }, { intercept });
    t.is(run('hostname', [], { config }).stdout, 'sandbox\n');
    t.is(run('python3', ['-c', 'import platform, os; print(platform.node(), os.uname().nodename)'], { config }).stdout, 'sandbox sandbox\n');
    t.is(run('domainname', [], { config }).stdout, 'example.org\n');
  });
}

test('uname: an inline uname syscall sees the fields in "all" mode and the kernel\'s in "libc" mode', (t) => {
  const n = native('-n').trim();
  const all = run(probe('names'), [], { config: uname({ nodename: 'sandbox' }) });
  t.is(all.status, 0, all.stderr);
  t.regex(all.stdout, /^libc uname: [^|]*\|sandbox\|/m);
  t.regex(all.stdout, /^raw uname: [^|]*\|sandbox\|/m);
  const libc = run(probe('names'), [], { config: uname({ nodename: 'sandbox' }, { intercept: 'libc' }) });
  t.regex(libc.stdout, /^libc uname: [^|]*\|sandbox\|/m);
  t.regex(libc.stdout, new RegExp(`^raw uname: [^|]*\\|${n}\\|`, 'm'));
});

test('uname: gethostname and getdomainname keep glibc\'s truncation and errors', (t) => {
  // configured with the real values, every answer for every buffer size is native
  const nat = run(probe('names'), [], { vu: false });
  const dom = /^libc uname: (?:[^|]*\|){5}(.*)$/m.exec(nat.stdout)![1];
  const same = run(probe('names'), [], { config: uname({ nodename: native('-n').trim(), domainname: dom }) });
  t.is(same.stdout, nat.stdout);
  // and with a longer name, the short buffers fail as glibc makes them fail
  const r = run(probe('names'), [], { config: uname({ nodename: 'sandbox-host', domainname: 'example.org' }) });
  t.regex(r.stdout, /^gethostname\(12\): -1 File name too long "sandbox-host"$/m);
  t.regex(r.stdout, /^gethostname\(256\): 0 ok "sandbox-host"$/m);
  t.regex(r.stdout, /^getdomainname\(4\): 0 "exam"$/m);
  t.regex(r.stdout, /^getdomainname\(256\): 0 "example.org"$/m);
});

test('uname: with no fields configured everything is native', (t) => {
  const nat = run(probe('names'), [], { vu: false });
  t.deepEqual(run(probe('names'), [], { config: uname({}) }), nat);
  t.deepEqual(run('uname', ['-a'], { config: uname({}) }), run('uname', ['-a'], { vu: false }));
});

const bad: Array<[string, string, RegExp]> = [
  ['a 65-byte nodename', `{"layers": [{"type": "uname",\n  "nodename": "${'x'.repeat(65)}"}]}`,
    /vu\.json:2:15: layer uname: nodename is 65 bytes long; the kernel's fields hold at most 64/],
  ['a long machine after a good field', `{"layers": [{"type": "uname", "sysname": "a", "machine": "${'é'.repeat(33)}"}]}`,
    /vu\.json:1:58: layer uname: machine is 66 bytes long/],
  ['a number', '{"layers": [{"type": "uname", "release": 5}]}', /vu\.json:1:42: uname\.release must be a string, not a number/],
  ['an unknown field', '{"layers": [{"type": "uname", "hostname": "x"}]}', /vu\.json:1:31: unknown option "hostname" for layer uname/],
];

for (const [title, text, expect] of bad) {
  test(`uname: ${title} -> exit 125 with FILE:LINE:COL`, (t) => {
    const dir = tmpdir();
    const file = writeConfig(text, dir);
    const r = run('touch', [join(dir, 'ran')], { config: file });
    t.is(r.status, 125);
    t.regex(r.stderr, expect);
    t.true(r.stderr.startsWith(`vu: ${file}:`));
    t.false(existsSync(join(dir, 'ran')));
  });
}

test('uname: a 64-byte field is accepted whole', (t) => {
  const name = 'h'.repeat(64);
  t.is(run('uname', ['-n'], { config: uname({ nodename: name }) }).stdout, `${name}\n`);
});
