/*
 * timeit [-e NAME=VALUE]... [-C DIR] [-o] -- PROGRAM ARGS -- run PROGRAM
 * once and print {"ns":wall,"status":..,"maxrss_kb":..,"user_ns":..,"sys_ns":..}.
 * The environment changes apply to PROGRAM only (timeit itself is never
 * under vu); the clock runs from just before fork to the end of wait4.
 * PROGRAM's stdout goes to /dev/null unless -o is given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double tv_ns(struct timeval tv)
{
	return tv.tv_sec * 1e9 + tv.tv_usec * 1e3;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int keep_out = 0, i, st;
	struct rusage ru;
	double t0, t1;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-e") && i + 1 < argc)
			putenv(argv[++i]);
		else if (!strcmp(argv[i], "-u") && i + 1 < argc)
			unsetenv(argv[++i]);
		else if (!strcmp(argv[i], "-C") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "-o"))
			keep_out = 1;
		else {
			fprintf(stderr, "timeit: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: timeit [-e N=V] [-u N] [-C DIR] [-o] -- PROGRAM ARGS\n");
		return 2;
	}
	fflush(stdout);
	t0 = now();
	pid = fork();
	if (pid == 0) {
		if (dir && chdir(dir))
			_exit(126);
		if (!keep_out) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			close(fd);
		}
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "timeit: %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return 125;
	t1 = now();
	printf("{\"ns\":%.0f,\"status\":%d,\"maxrss_kb\":%ld,\"user_ns\":%.0f,\"sys_ns\":%.0f}\n", t1 - t0,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), ru.ru_maxrss, tv_ns(ru.ru_utime),
	       tv_ns(ru.ru_stime));
	return 0;
}
