/**
 * The audit of "libc" mode, made by a program (tools/libc-audit.ts, issue
 * 13): glibc's exported functions that reach a path or descriptor call
 * inside glibc. Each is either rebuilt by vu (libvu.so exports it, so its
 * calls go through the stack in both modes) or a documented gap
 * (test/compat/libc-gaps.json, with the reason). A new glibc function, or
 * one vu stops exporting, fails here until it is wrapped or documented.
 * Then the functions vu rebuilt for this, run in "libc" mode under layers
 * they must obey.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { audit } from '../../tools/libc-audit.js';
import { ROOT, run, tmpdir, writeConfig } from '../helpers.js';

const groups = JSON.parse(readFileSync(join(ROOT, 'test/compat/libc-gaps.json'), 'utf8')).groups as Array<{ name: string; why: string; functions: string[] }>;
const matchers = groups.map((g) => ({ name: g.name, re: new RegExp(`^(${g.functions.join('|')})$`) }));

test('libc audit: every glibc function that opens, stats or makes a descriptor inside glibc is rebuilt by vu or a documented gap', (t) => {
  const a = audit();
  t.true(a.functions > 1000, `${a.functions} exported functions`);
  const wrapped = a.rows.filter((r) => r.status === 'wrapped').map((r) => r.fn);
  // what vu rebuilt for exactly this reason is found by the audit
  for (const fn of ['fopen', 'opendir', 'mkstemp', 'tmpfile', 'mkdtemp', 'realpath', 'getcwd', 'remove', 'mkfifo', 'euidaccess', 'scandir', 'posix_spawn'])
    t.true(wrapped.includes(fn) || !a.rows.some((r) => r.fn === fn), fn);
  const undocumented = a.rows.filter((r) => r.status === 'gap' && !matchers.some((m) => m.re.test(r.fn)));
  t.deepEqual(undocumented.map((r) => `${r.fn} (${r.calls.join(', ')})`), []);
  // the report is the audit's, and says how many of each
  const report = readFileSync(join(ROOT, 'docs/LIBC-AUDIT.md'), 'utf8');
  t.regex(report, /Made by `npm run audit:libc`/);
});

test('libc audit: remove, mkfifo, mkfifoat, lchmod and euidaccess go through the stack in "libc" mode', (t) => {
  const dir = tmpdir();
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  writeFileSync(join(ro, 'f'), 'x');
  mkdirSync(join(ro, 'd'));
  const src = join(dir, 'p.c');
  writeFileSync(src, `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static void say(const char *w, int r) { printf("%s: %s\\n", w, r == 0 ? "ok" : strerrorname_np(errno)); }
int main(int c, char **v) {
  char p[4096];
  snprintf(p, sizeof p, "%s/f", v[1]); say("remove file", remove(p));
  snprintf(p, sizeof p, "%s/d", v[1]); say("remove dir", remove(p));
  snprintf(p, sizeof p, "%s/fifo", v[1]); say("mkfifo", mkfifo(p, 0600));
  say("mkfifoat", mkfifoat(AT_FDCWD, p, 0600));
  snprintf(p, sizeof p, "%s/f", v[1]); say("lchmod", lchmod(p, 0600));
  snprintf(p, sizeof p, "%s/f", v[1]); say("euidaccess W", euidaccess(p, W_OK));
  return c > 9;
}
`);
  const exe = join(dir, 'p');
  const cc = spawnSync('gcc', ['-o', exe, src], { encoding: 'utf8' });
  t.is(cc.status, 0, cc.stderr);
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'readonly', paths: [ro] }] });
  const r = run(exe, [ro], { config });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, ['remove file: EROFS', 'remove dir: EROFS', 'mkfifo: EROFS', 'mkfifoat: EROFS', 'lchmod: EROFS', 'euidaccess W: EROFS', ''].join('\n'));
  t.true(existsSync(join(ro, 'f')) && existsSync(join(ro, 'd')));
  // natively (no layer) they do what glibc's do
  const n = run(exe, [ro], { vu: false });
  t.is(n.stdout.split('\n')[0], 'remove file: ok');
  t.is(n.stdout.split('\n')[1], 'remove dir: ok');
  t.is(n.stdout.split('\n')[2], 'mkfifo: ok');
  t.is(n.stdout.split('\n')[3], 'mkfifoat: EEXIST');
});
