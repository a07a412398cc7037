/*
 * cfgparse LIBVU CONFIG [N] -- the cost of reading and checking a vu.json:
 * dlopen libvu.so (not preloaded: nothing is armed) and time N calls of
 * its exported vu_config_check, the function `vu check` and start-up use,
 * as 5 batches of N/5. Prints {"ns":<per parse, best batch>,"n":N,"errors":<count>}.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef int check_fn(const char *path, char *out, int outlen);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 3 ? atol(argv[3]) : 2000;
	char err[4096];
	void *h;
	check_fn *check;
	int errors = 0;
	double best = 1e300;

	if (argc < 3) {
		fprintf(stderr, "usage: cfgparse LIBVU CONFIG [N]\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW);
	check = h ? (check_fn *)dlsym(h, "vu_config_check") : NULL;
	if (!check) {
		fprintf(stderr, "cfgparse: %s\n", dlerror());
		return 1;
	}
	errors = check(argv[2], err, sizeof(err));	/* warm-up */
	if (n < 5)
		n = 5;
	for (int b = 0; b < 5; b++) {
		double t0 = now(), t;

		for (long i = 0; i < n / 5; i++)
			check(argv[2], err, sizeof(err));
		t = (now() - t0) / (n / 5);
		if (t < best)
			best = t;
	}
	printf("{\"ns\":%.0f,\"n\":%ld,\"errors\":%d}\n", best, n, errors);
	if (errors)
		fprintf(stderr, "%s", err);
	return 0;
}
