/*
 * baseline-sud / baseline-sudfloor PROGRAM ARGS -- run PROGRAM with
 * sud-preload.so (next to this launcher) preloaded: "trap" mode (every
 * call traps; the handler virtualizes the seed) or, built with -DFLOOR,
 * "floor" mode (armed, selector ALLOW, nothing traps).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef FLOOR
#define MODE "floor"
#define NAME "baseline-sudfloor"
#else
#define MODE "trap"
#define NAME "baseline-sud"
#endif

int main(int argc, char **argv)
{
	char self[PATH_MAX], pre[2 * PATH_MAX + 2];
	const char *old = getenv("LD_PRELOAD");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (argc < 2) {
		fprintf(stderr, "usage: " NAME " PROGRAM ARGS\n");
		return 2;
	}
	if (n <= 0)
		return 125;
	self[n] = 0;
	slash = strrchr(self, '/');
	*slash = 0;
	snprintf(pre, sizeof(pre), "%s/sud-preload.so%s%s", self, old && *old ? ":" : "",
		 old && *old ? old : "");
	setenv("LD_PRELOAD", pre, 1);
	setenv("BASELINE_SUD", MODE, 1);
	execvp(argv[1], argv + 1);
	fprintf(stderr, NAME ": %s: %s\n", argv[1], strerror(errno));
	return 127;
}
