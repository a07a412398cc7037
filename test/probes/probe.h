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

/* ---- answers, as onename and pathnames print them (a probe that
 * defines PROBE_ANSWERS before including this header: strerrorname_np
 * needs _GNU_SOURCE before every libc header) ---- */
#ifdef PROBE_ANSWERS
#include <sys/stat.h>

/* an errno's name ("ENOENT") */
static inline const char *answer_err(long e)
{
	static char buf[32];
	const char *s = strerrorname_np((int)e);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "errno %ld", e);
	return buf;
}

static inline const char *answer_type(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "link" : "other";
}

/* a libc call's result as a system call's: r, or -errno */
static inline long libc_r(int r)
{
	return r < 0 ? -errno : r;
}

/* "FORM NAME: ok TYPE SIZE", or the error (r: 0 or -errno) */
static inline void answer_stat(const char *form, const char *name, long r, const struct stat *st)
{
	if (r)
		printf("%s %s: %s\n", form, name, answer_err(-r));
	else
		printf("%s %s: ok %s %lld\n", form, name, answer_type(st->st_mode),
		       S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
}

/* "FORM NAME: read \"LINE\"" (a file's first line), "open TYPE", or the
 * error (fd: a descriptor, closed here, or -errno) */
static inline void answer_open(const char *form, const char *name, long fd)
{
	char buf[64];
	struct stat st;
	long n;

	if (fd < 0) {
		printf("%s %s: %s\n", form, name, answer_err(-fd));
		return;
	}
	if (fstat((int)fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		printf("%s %s: open %s\n", form, name, answer_type(st.st_mode));
	} else {
		n = read((int)fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("%s %s: read \"%s\"\n", form, name, buf);
	}
	close((int)fd);
}
#endif

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); exit(2); } } while (0)
#endif
