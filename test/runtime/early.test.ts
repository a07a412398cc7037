/**
 * Calls made by other libraries' constructors (issue 15). libvu is linked
 * with -z initfirst: ld.so runs its constructor before every other
 * library's (and before the C library's own initialization), so a
 * library's constructor sees the view main sees, whether it calls a
 * wrapped function or makes a raw syscall instruction ("all" mode). Before
 * that -z initfirst, ld.so ran the program's libraries' constructors
 * first: a wrapped call started vu there (vu_wants_early), a raw syscall
 * reached the kernel untouched. What vu sets in the environment while the
 * C library is not initialized yet is set again when the program starts
 * (__libc_start_main): the program and its children see it.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, writeConfig } from '../helpers.js';

const host = readFileSync('/etc/hostname', 'utf8').split('\n')[0];
const pass = readFileSync('/etc/passwd', 'utf8').split('\n')[0];

const lib = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static void first_line(const char *how, int fd)
{
	char buf[256];
	long n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = 0;
	*strchrnul(buf, '\\n') = 0;
	printf("%s: %s\\n", how, buf);
	close(fd);
}

void report(const char *who)
{
	char buf[256], what[64];
	struct stat st;
	FILE *f;

	snprintf(what, sizeof(what), "%s open", who);
	first_line(what, open("/etc/passwd", O_RDONLY));
	f = fopen("/etc/passwd", "r");
	if (f && fgets(buf, sizeof(buf), f)) {
		*strchrnul(buf, '\\n') = 0;
		printf("%s fopen: %s\\n", who, buf);
	}
	if (f)
		fclose(f);
	printf("%s stat: %s\\n", who, stat("/etc/passwd", &st) == 0 && st.st_size == ${readFileSync('/etc/hostname').length} ? "hostname's size" : "another size");
}

__attribute__((constructor)) static void early(void)
{
	if (getenv("EARLY_RAW")) {
		long fd;

		/* an inline syscall instruction: no libc function at all */
		__asm__ volatile("syscall" : "=a"(fd) : "0"((long)SYS_openat), "D"((long)AT_FDCWD),
				 "S"("/etc/passwd"), "d"((long)O_RDONLY) : "rcx", "r11", "memory");

		first_line("raw first", (int)fd);
	}
	report("constructor");
}
`;

const main = `
void report(const char *who);
int main(void)
{
	report("main");
	return 0;
}
`;

function build(): string {
  const dir = tmpdir();
  writeFileSync(join(dir, 'early.c'), lib);
  writeFileSync(join(dir, 'main.c'), main);
  for (const args of [
    ['-shared', '-fPIC', '-o', join(dir, 'libearly.so'), join(dir, 'early.c')],
    ['-o', join(dir, 'early'), join(dir, 'main.c'), `-L${dir}`, '-learly', `-Wl,-rpath,${dir}`],
  ]) {
    const r = spawnSync('gcc', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  return join(dir, 'early');
}

const prog = build();

for (const mode of ['all', 'libc']) {
  test(`a library's constructor that runs before libvu's sees the view main sees ("${mode}")`, (t) => {
    const config = writeConfig({ intercept: mode, layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] });
    const native = run(prog, [], { vu: false });
    t.is(native.status, 0, native.stderr);
    t.true(native.stdout.includes(`constructor open: ${pass}`));
    const r = run(prog, [], { config });
    t.is(r.status, 0, r.stderr);
    for (const who of ['constructor', 'main']) {
      t.true(r.stdout.includes(`${who} open: ${host}`), r.stdout);
      t.true(r.stdout.includes(`${who} fopen: ${host}`), r.stdout);
      t.true(r.stdout.includes(`${who} stat: hostname's size`), r.stdout);
    }
    // the constructor really ran first
    t.true(r.stdout.indexOf('constructor open') < r.stdout.indexOf('main open'));
  });
}

test('a raw syscall instruction in another library\'s constructor, before any wrapped call, is virtualized ("all")', (t) => {
  const config = writeConfig({ intercept: 'all', layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] });
  const r = run(prog, [], { config, env: { EARLY_RAW: '1' } });
  t.is(r.status, 0, r.stderr);
  t.true(r.stdout.includes(`raw first: ${host}`), r.stdout);
  const native = run(prog, [], { vu: false, env: { EARLY_RAW: '1' } });
  t.true(native.stdout.includes(`raw first: ${pass}`), native.stdout);
});

test('what vu puts in the environment before the C library starts is there for the program and its children', (t) => {
  // VU_HOME (what "~" means in the config: the first vu's HOME) is set by
  // vu at start-up when it changes; a shell reads its environment in main,
  // after the C library set environ again
  const dir = tmpdir();
  writeFileSync(join(dir, 'vu.json'), JSON.stringify({ layers: [] }));
  const r = run('/bin/sh', ['-c', 'echo "sh: $VU_HOME"; /usr/bin/env | grep "^VU_HOME="'], { cwd: dir, env: { VU_CONFIG: join(dir, 'vu.json'), HOME: dir, VU_HOME: '' } });
  t.is(r.status, 0, r.stderr);
  t.true(r.stdout.includes(`sh: ${dir}`), r.stdout);
  t.true(r.stdout.includes(`VU_HOME=${dir}`), r.stdout);
});
