/* micro -- ns per operation of the seed workloads, the way the survey
 * measured them: open+read+close of /etc/passwd and getppid, each through
 * libc and through inline syscall instructions. Best of 5 rounds.
 * usage: micro [iterations] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long raw(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void orc_libc(void)
{
	char buf[4096];
	int fd = open("/etc/passwd", O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
		exit(1);
	close(fd);
}

static void orc_raw(void)
{
	char buf[4096];
	long fd = raw(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY);

	if (fd < 0 || raw(SYS_read, fd, (long)buf, sizeof(buf)) < 0)
		exit(1);
	raw(SYS_close, fd, 0, 0);
}

static void ppid_libc(void)
{
	getppid();
}

static void ppid_raw(void)
{
	raw(SYS_getppid, 0, 0, 0);
}

static double best(void (*fn)(void), long n)
{
	double b = 1e18;

	for (int r = 0; r < 5; r++) {
		double t0 = now();

		for (long i = 0; i < n; i++)
			fn();
		double t = (now() - t0) / n;

		if (t < b)
			b = t;
	}
	return b;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;

	printf("{\"orc_libc\": %.1f, \"orc_raw\": %.1f, \"getppid_libc\": %.1f, \"getppid_raw\": %.1f}\n",
	       best(orc_libc, n), best(orc_raw, n), best(ppid_libc, n * 5), best(ppid_raw, n * 5));
	return 0;
}
