/*
 * stats.c -- VU_STATS=FILE: how many calls came in through the libc
 * wrappers and how many trapped (SUD), per process, for the bench's
 * "traps per 1,000 system calls". Off unless the variable is set at
 * start-up; then the counters are relaxed atomics, and each process appends
 * {"pid":..,"libc":N,"sud":M,"exe":"..","traps":{"openat":K,..}} to FILE
 * before exec and at exit (a line per image; lines of one process add up).
 * "traps" names the calls that still trapped: what the fast path misses.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "vu_core.h"

int vu_stats_on;
unsigned long vu_stats_libc;
static unsigned long stats_sud;
static unsigned long stats_nr[VU_NR_COUNT];
static char stats_path[PATH_MAX];

/* vu_stats_flush -- append this image's counts to the file and start over
 * from zero (signal-safe: gate calls only). */
static void vu_stats_flush(void)
{
	char exe[PATH_MAX], line[PATH_MAX + 8192];
	unsigned long libc = __atomic_exchange_n(&vu_stats_libc, 0, __ATOMIC_RELAXED);
	unsigned long sud = __atomic_exchange_n(&stats_sud, 0, __ATOMIC_RELAXED);
	long n = vu_sys4(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof(exe) - 1);
	long fd;
	int len;

	exe[n > 0 ? n : 0] = 0;
	for (char *p = exe; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '?';
	len = vu_format(line, sizeof(line), "{\"pid\":%ld,\"libc\":%lu,\"sud\":%lu,\"exe\":\"%s\",\"traps\":{",
		     vu_sys0(SYS_getpid), libc, sud, exe);
	for (long nr = 0, sep = 0; nr < VU_NR_COUNT; nr++) {
		unsigned long k = __atomic_exchange_n(&stats_nr[nr], 0, __ATOMIC_RELAXED);

		if (k && (size_t)len + 64 < sizeof(line))
			len += vu_format(line + len, sizeof(line) - len, "%s\"%s\":%lu", sep++ ? "," : "",
				      vu_syscalls[nr].name[0] ? vu_syscalls[nr].name : "?", k);
	}
	len += vu_format(line + len, sizeof(line) - len, "}}\n");
	fd = vu_sys4(SYS_openat, AT_FDCWD, stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	vu_sys3(SYS_write, fd, line, len);
	vu_sys1(SYS_close, fd);
}

/* vu_stats_note -- from the dispatcher, only when VU_STATS is on. */
void vu_stats_note(const struct vu_call *c)
{
	if (c->source == VU_SRC_SUD) {
		__atomic_fetch_add(&stats_sud, 1, __ATOMIC_RELAXED);
		if (c->nr >= 0 && c->nr < VU_NR_COUNT)
			__atomic_fetch_add(&stats_nr[c->nr], 1, __ATOMIC_RELAXED);
	}
	if (c->nr == SYS_exit_group || c->nr == SYS_execve || c->nr == SYS_execveat)
		vu_stats_flush();
}

/* a fork child starts with the parent's counts: they are the parent's */
static void stats_child(void)
{
	__atomic_store_n(&vu_stats_libc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&stats_sud, 0, __ATOMIC_RELAXED);
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		__atomic_store_n(&stats_nr[nr], 0, __ATOMIC_RELAXED);
}

__attribute__((constructor(102))) static void vu_stats_init(void)
{
	const char *f = getenv("VU_STATS");
	char cwd[PATH_MAX];

	if (!vu.lib_path || !f || !*f)
		return;		/* not preloaded, or not asked */
	if (f[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(stats_path, sizeof(stats_path), "%s", f);
	else
		snprintf(stats_path, sizeof(stats_path), "%s/%s", cwd, f);
	pthread_atfork(NULL, NULL, stats_child);
	vu_stats_on = 1;
}

/* vu_stats_exit -- a static program's exit_group (static.c): vu-static
 * runs no destructor */
void vu_stats_exit(void) VU_HIDDEN;
void vu_stats_exit(void)
{
	if (vu_stats_on)
		vu_stats_flush();
}

__attribute__((destructor)) static void vu_stats_fini(void)
{
	if (vu_stats_on)
		vu_stats_flush();
}
