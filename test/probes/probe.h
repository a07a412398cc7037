/* probe.h -- helpers for the probe programs: raw system calls that no libc
 * wrapper sees (only SUD can catch them) and a few checks. */
#ifndef PROBE_H
#define PROBE_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define raw3(n, a, b, c) raw6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* read a whole file with inline syscall instructions; returns bytes or -errno */
static inline long raw_slurp(const char *path, char *buf, size_t len)
{
	long fd = raw6(SYS_openat, -100, (long)path, 0, 0, 0, 0), n, got = 0;

	if (fd < 0)
		return fd;
	while ((n = raw3(SYS_read, fd, buf + got, len - 1 - got)) > 0)
		got += n;
	raw3(SYS_close, fd, 0, 0);
	buf[got] = 0;
	return n < 0 ? n : got;
}

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); exit(2); } } while (0)
#endif
