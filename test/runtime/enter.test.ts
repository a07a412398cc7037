/**
 * Nothing runs unvirtualized in silence (issue 11, "bad input and
 * limits"): a program vu cannot enter -- set-user-ID or set-group-ID of
 * another owner, file capabilities, an ELF of another class or machine --
 * started from inside vu is refused at the exec with a `vu:` line and an
 * errno, unless vu.json's "run_unvirtualized" names its class. Each case is
 * also run natively, where it runs.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, VU, writeConfig } from '../helpers.js';

const remap = { type: 'remap', map: { '/etc/passwd': '/etc/hostname' } };
const isRoot = process.getuid?.() === 0;
const hasSetcap = spawnSync('sh', ['-c', 'command -v setcap && command -v setpriv']).status === 0;

/** a copy of /bin/true owned by nobody with the set-user-ID bit */
function setuidTrue(dir: string): string {
  const p = join(dir, 'suid-true');
  copyFileSync('/bin/true', p);
  chownSync(p, 65534, 65534);
  chmodSync(p, 0o4755);
  return p;
}

/** an ELF header of a 32-bit i386 program (the kernel says ENOEXEC natively too: no segments) */
function elf32(dir: string): string {
  const p = join(dir, 'prog32');
  const h = Buffer.alloc(52);
  h.write('\x7fELF', 0, 'latin1');
  h[4] = 1; h[5] = 1; h[6] = 1;
  h.writeUInt16LE(2, 16); h.writeUInt16LE(3, 18); h.writeUInt32LE(1, 20); h.writeUInt16LE(52, 40);
  writeFileSync(p, h);
  chmodSync(p, 0o755);
  return p;
}

(isRoot ? test : test.skip)('enter: a set-user-ID program of another owner is refused at exec with a vu: line and EACCES', (t) => {
  const dir = tmpdir();
  const prog = setuidTrue(dir);
  t.is(run(prog, [], { vu: false }).status, 0);
  const config = writeConfig({ layers: [remap] }, dir);
  const r = run('sh', ['-c', `${prog}; echo "status $?"`], { config });
  t.regex(r.stderr, new RegExp(`^vu: ${prog}: a set-user-ID, set-group-ID or file-capability program.*"run_unvirtualized": \\["setuid"\\] in ${config}`, 'm'));
  t.regex(r.stderr, /Permission denied/);
  t.regex(r.stdout, /status 126/);
  // a raw execve (SUD) is refused the same way
  const py = run('python3', ['-c', `import os\ntry:\n os.execv('${prog}', ['x'])\nexcept OSError as e:\n print(e.errno)`], { config });
  t.is(py.stdout.trim(), '13');
});

(isRoot ? test : test.skip)('enter: "run_unvirtualized": ["setuid"] lets it run, and vu check shows it', (t) => {
  const dir = tmpdir();
  const prog = setuidTrue(dir);
  const config = writeConfig({ run_unvirtualized: ['setuid'], layers: [remap] }, dir);
  const r = run('sh', ['-c', `${prog}; echo "status $?"`], { config });
  t.is(r.stdout, 'status 0\n');
  t.is(r.stderr, '');
  const check = run('node', [VU, 'check', config], { vu: false });
  t.is(check.status, 0);
  t.regex(check.stdout, /run_unvirtualized: setuid/);
});

(isRoot ? test : test.skip)('enter: with no layers nothing is refused (there is no view to escape)', (t) => {
  const dir = tmpdir();
  const prog = setuidTrue(dir);
  const config = writeConfig({ layers: [] }, dir);
  t.is(run('sh', ['-c', `${prog}; echo "status $?"`], { config }).stdout, 'status 0\n');
});

(isRoot && hasSetcap ? test : test.skip)('enter: a program with file capabilities run by another user is refused', (t) => {
  const dir = tmpdir();
  chmodSync(dir, 0o755);
  const prog = join(dir, 'cap-true');
  copyFileSync('/bin/true', prog);
  chmodSync(prog, 0o755);
  execFileSync('setcap', ['cap_net_raw+ep', prog]);
  const config = writeConfig({ layers: [remap] }, dir);
  chmodSync(config, 0o644);
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `${prog}; echo "status $?"`];
  t.is(run('setpriv', asNobody, { vu: false }).stdout, 'status 0\n');
  const r = run('setpriv', asNobody, { config });
  t.regex(r.stderr, /^vu: .*cap-true: a set-user-ID, set-group-ID or file-capability program/m);
  t.regex(r.stdout, /status 126/);
  // root itself is not in secure-execution mode for it: it runs under vu
  t.is(run('sh', ['-c', `${prog}; echo "status $?"`], { config }).stdout, 'status 0\n');
});

test('enter: a 32-bit ELF is refused with ENOEXEC and a vu: line (its loader would ignore libvu)', (t) => {
  const dir = tmpdir();
  const prog = elf32(dir);
  const native = run('python3', ['-c', `import os\ntry:\n os.execv('${prog}', ['x'])\nexcept OSError as e:\n print(e.errno)`], { vu: false });
  t.is(native.stdout.trim(), '8');
  const config = writeConfig({ layers: [remap] }, dir);
  const r = run('python3', ['-c', `import os\ntry:\n os.execv('${prog}', ['x'])\nexcept OSError as e:\n print(e.errno)`], { config });
  t.is(r.stdout.trim(), '8');
  t.regex(r.stderr, /^vu: .*prog32: an ELF of another class or machine/m);
});

test('enter: a #! script is judged by its interpreter', (t) => {
  const dir = tmpdir();
  const prog = elf32(dir);
  const script = join(dir, 'script');
  writeFileSync(script, `#!${prog}\n`);
  chmodSync(script, 0o755);
  const config = writeConfig({ layers: [remap] }, dir);
  const exec = `import os\ntry:\n os.execv('${script}', ['x'])\nexcept OSError as e:\n print(e.errno)`;
  t.is(run('python3', ['-c', exec], { vu: false }).stdout.trim(), '8');
  const r = run('python3', ['-c', exec], { config });
  t.regex(r.stderr, /^vu: .*prog32: an ELF of another class or machine/m);
  t.is(r.stdout.trim(), '8');
  // an ordinary script runs
  writeFileSync(script, '#!/bin/sh\nhead -n1 /etc/passwd\n');
  t.is(run(script, [], { config }).stdout, run('head', ['-n1', '/etc/hostname'], { vu: false }).stdout);
});

const bad: Array<[string, unknown, RegExp]> = [
  ['an unknown class', { run_unvirtualized: ['suid'], layers: [] }, /vu\.json:3:5: "run_unvirtualized" takes "setuid", "static" or "foreign", not "suid"/],
  ['not a list', { run_unvirtualized: 'setuid', layers: [] }, /vu\.json:2:24: "run_unvirtualized" must be an array/],
];
for (const [title, cfg, re] of bad) {
  test(`enter: run_unvirtualized: ${title} -> exit 125 with FILE:LINE:COL`, (t) => {
    const config = writeConfig(cfg);
    const r = run('true', [], { config });
    t.is(r.status, 125);
    t.regex(r.stderr, re);
  });
}
