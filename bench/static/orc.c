/*
 * orc-static FILE N -- the static programs' workload (built with gcc
 * -static; orc.go is the same in Go): N iterations of open+read+close and
 * stat of FILE, after a warm-up of N/10, as 5 batches timed inside the
 * process. Prints {"op":"orc-stat","ns":<ns per iteration, best batch>,
 * "ns_mean":..,"n":N,"size":<bytes read>,"sum":<sum of the bytes read>}:
 * "sum" tells the harness which file was really read.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static long size, sum;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void once(void)
{
	unsigned char buf[4096];
	struct stat st;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf))) < 0 || close(fd) || stat(path, &st)) {
		perror(path);
		exit(1);
	}
	size = n;
	sum = 0;
	for (ssize_t i = 0; i < n; i++)
		sum += buf[i];
}

int main(int argc, char **argv)
{
	long n, batch, i;
	double best = 0, total = 0;

	if (argc != 3 || (n = atol(argv[2])) < 5) {
		fprintf(stderr, "usage: orc-static FILE N (N >= 5)\n");
		return 2;
	}
	path = argv[1];
	for (i = 0; i < n / 10 + 1; i++)
		once();
	batch = n / 5;
	for (int b = 0; b < 5; b++) {
		double t0 = now(), t;

		for (i = 0; i < batch; i++)
			once();
		t = now() - t0;
		total += t;
		if (!b || t < best)
			best = t;
	}
	printf("{\"op\":\"orc-stat\",\"ns\":%.1f,\"ns_mean\":%.1f,\"n\":%ld,\"size\":%ld,\"sum\":%ld}\n",
	       best / batch, total / (batch * 5), batch * 5, size, sum);
	return 0;
}
