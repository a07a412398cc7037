/* pathbench -- ns per call of the calls the path layers look at, through
 * glibc (vu's fast path): stat, open+close for reading, open(O_CREAT|
 * O_TRUNC)+close and unlink of a new file, and getdents64 of a folder of
 * 100 entries. Best of 5 rounds of N calls each.
 *
 * usage: pathbench DIR [N] (DIR: a scratch folder)
 * build: cc -O2 -o pathbench bench/pathbench.c */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define BENCH(name, body) do { \
	double best = 1e30; \
	for (int r = 0; r < 5; r++) { \
		double t0 = now(); \
		for (long i = 0; i < n; i++) { body; } \
		double t = (now() - t0) / n; \
		if (t < best) best = t; \
	} \
	printf("%-22s %8.0f ns\n", name, best); \
} while (0)

int main(int argc, char **argv)
{
	char file[8300], sub[8300], dir[4096], buf[32768];
	long n = argc > 2 ? atol(argv[2]) : 20000;
	struct stat st;
	int dfd;

	if (argc < 2) {
		fprintf(stderr, "usage: pathbench DIR [N]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%.4000s/many", argv[1]);
	mkdir(dir, 0755);
	for (int i = 0; i < 100; i++) {
		snprintf(sub, sizeof(sub), "%s/entry-%03d", dir, i);
		close(open(sub, O_CREAT | O_WRONLY, 0644));
	}
	snprintf(file, sizeof(file), "%s/entry-042", dir);
	snprintf(sub, sizeof(sub), "%s/new", argv[1]);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	BENCH("stat", stat(file, &st));
	BENCH("open+close (read)", close(open(file, O_RDONLY)));
	BENCH("open(CREAT)+close", close(open(sub, O_CREAT | O_WRONLY | O_TRUNC, 0644)));
	BENCH("chmod", chmod(sub, 0644));
	BENCH("getdents64 (100)", lseek(dfd, 0, SEEK_SET); while (getdents64(dfd, buf, sizeof(buf)) > 0););
	return 0;
}
