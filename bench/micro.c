/*
 * micro -- the one workload binary of the micro benchmarks. Every runner
 * (native, vu in both modes, each baseline launcher, proot) runs this same
 * program, so they differ only in what stands between it and the kernel.
 *
 * usage: micro OP [MS] [PATH]
 *   OP is one of
 *     orc-libc  orc-raw      open+read(4 KiB)+close of PATH (/etc/passwd)
 *     getppid-libc getppid-raw                 a call nobody virtualizes
 *     stat-libc stat-raw     stat of PATH (/etc/passwd)
 *     read-libc read-raw     read of 4 KiB from an open fd (/dev/zero)
 *   "-libc" goes through the libc function, "-raw" through an inline
 *   syscall instruction (what Syscall User Dispatch has to catch).
 *   Runs for about MS milliseconds (default 200) after a warm-up, as 5
 *   batches, and prints {"op":..,"ns":<ns per op, best batch>,
 *   "ns_mean":<over all batches>,"n":<ops>,"size":<bytes read or st_size>}:
 *   "size" tells the harness which file was really opened.
 *
 *   micro exec N      execs itself N times; prints {"op":"exec","ns":<mean ns
 *                     per exec>,"best_ns":<the fastest exec>}
 *   micro rss         prints {"op":"rss","rss_kb":..,"hwm_kb":..} after a few
 *                     calls through every path
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *path = "/etc/passwd";
static int zero_fd = -1;
static long last_size;

static long raw(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "micro: %s failed\n", what);
	exit(1);
}

static void orc_libc(void)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf))) < 0)
		die("open/read");
	last_size = n;
	close(fd);
}

static void orc_raw(void)
{
	char buf[4096];
	long fd = raw(SYS_openat, AT_FDCWD, (long)path, O_RDONLY, 0);
	long n;

	if (fd < 0 || (n = raw(SYS_read, fd, (long)buf, sizeof(buf), 0)) < 0)
		die("raw open/read");
	last_size = n;
	raw(SYS_close, fd, 0, 0, 0);
}

static void ppid_libc(void)
{
	if (getppid() < 0)
		die("getppid");
}

static void ppid_raw(void)
{
	if (raw(SYS_getppid, 0, 0, 0, 0) < 0)
		die("raw getppid");
}

static void stat_libc(void)
{
	struct stat st;

	if (stat(path, &st))
		die("stat");
	last_size = st.st_size;
}

static void stat_raw(void)
{
	struct stat st;

	if (raw(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, 0))
		die("raw stat");
	last_size = st.st_size;
}

static void read_libc(void)
{
	char buf[4096];

	if (read(zero_fd, buf, sizeof(buf)) != sizeof(buf))
		die("read");
	last_size = sizeof(buf);
}

static void read_raw(void)
{
	char buf[4096];

	if (raw(SYS_read, zero_fd, (long)buf, sizeof(buf), 0) != sizeof(buf))
		die("raw read");
	last_size = sizeof(buf);
}

static const struct {
	const char *name;
	void (*fn)(void);
} ops[] = {
	{ "orc-libc", orc_libc },	{ "orc-raw", orc_raw },
	{ "getppid-libc", ppid_libc },	{ "getppid-raw", ppid_raw },
	{ "stat-libc", stat_libc },	{ "stat-raw", stat_raw },
	{ "read-libc", read_libc },	{ "read-raw", read_raw },
};

static double run(void (*fn)(void), long n)
{
	double t0 = now();

	for (long i = 0; i < n; i++)
		fn();
	return now() - t0;
}

/* time fn for about ms milliseconds: warm up for a tenth of that, size
 * the loop from the warm-up, then time it as 5 batches and keep the best
 * batch (another process taking the CPU only ever adds time) */
static void timed(const char *name, void (*fn)(void), double ms)
{
	double budget = ms * 1e6, t = 0, best = 1e300, total = 0;
	long n = 0, step = 1;

	while (t < budget / 10 && n < 1000000000L) {
		t += run(fn, step);
		n += step;
		step *= 2;
	}
	n = (long)(budget / 5 / (t / n));
	if (n < 3)
		n = 3;
	for (int b = 0; b < 5; b++) {
		double tb = run(fn, n);

		total += tb;
		if (tb < best)
			best = tb;
	}
	printf("{\"op\":\"%s\",\"ns\":%.1f,\"ns_mean\":%.1f,\"n\":%ld,\"size\":%ld}\n", name,
	       best / n, total / (5 * n), 5 * n, last_size);
}

/* exec chain: micro exec N [T_BEFORE BEST SUM TOTAL]. Each image times
 * its own hop (from just before the previous image's execve to its main)
 * and passes the best and the sum along; the last prints both. */
static int exec_chain(int argc, char **argv)
{
	long left = argc > 2 ? atol(argv[2]) : 100, total = left;
	double best = 1e300, sum = 0;
	char nbuf[32], tbuf[64], bbuf[64], sbuf[64], totbuf[32];

	if (argc > 6) {
		double hop = now() - atof(argv[3]);

		best = atof(argv[4]);
		sum = atof(argv[5]) + hop;
		total = atol(argv[6]);
		if (hop < best)
			best = hop;
	}
	if (left > 0) {
		snprintf(nbuf, sizeof(nbuf), "%ld", left - 1);
		snprintf(bbuf, sizeof(bbuf), "%.0f", best < 1e300 ? best : 1e18);
		snprintf(sbuf, sizeof(sbuf), "%.0f", sum);
		snprintf(totbuf, sizeof(totbuf), "%ld", total);
		snprintf(tbuf, sizeof(tbuf), "%.0f", now());
		execl("/proc/self/exe", "micro", "exec", nbuf, tbuf, bbuf, sbuf, totbuf, (char *)NULL);
		die("exec");
	}
	printf("{\"op\":\"exec\",\"ns\":%.1f,\"best_ns\":%.1f,\"n\":%ld}\n", total ? sum / total : 0,
	       best < 1e300 ? best : 0, total);
	return 0;
}

/* VmRSS and VmHWM, read in one pass of /proc/self/status */
static int rss(void)
{
	char line[256];
	long rss_kb = -1, hwm_kb = -1;
	FILE *f;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		ops[i].fn();
	f = fopen("/proc/self/status", "r");
	if (!f)
		die("fopen /proc/self/status");
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmRSS:", 6))
			rss_kb = atol(line + 6);
		else if (!strncmp(line, "VmHWM:", 6))
			hwm_kb = atol(line + 6);
	}
	fclose(f);
	printf("{\"op\":\"rss\",\"rss_kb\":%ld,\"hwm_kb\":%ld}\n", rss_kb, hwm_kb);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	double ms = argc > 2 ? atof(argv[2]) : 200;

	if (argc > 3)
		path = argv[3];
	if (!strcmp(op, "exec"))
		return exec_chain(argc, argv);
	zero_fd = open("/dev/zero", O_RDONLY);
	if (zero_fd < 0)
		die("open /dev/zero");
	if (!strcmp(op, "rss"))
		return rss();
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].name)) {
			timed(op, ops[i].fn, ms > 0 ? ms : 200);
			return 0;
		}
	fprintf(stderr, "usage: micro OP [MS] [PATH] | micro exec N | micro rss\n"
			"OP: orc|getppid|stat|read, each -libc or -raw\n");
	return 2;
}
