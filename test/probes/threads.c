/* threads -- T threads each read a file N times, half through libc
 * (open/read/close) and half through inline syscalls; every read must give
 * the same bytes. Prints "ok <reads> <first line>". */
#include <fcntl.h>
#include <pthread.h>
#include "probe.h"

static const char *path = "/etc/passwd";
static int iters = 1000;
static char expect[65536];
static long expect_len;

static void *worker(void *arg)
{
	char buf[65536];
	long id = (long)arg;

	for (int i = 0; i < iters; i++) {
		long n;

		if ((i + id) & 1) {
			int fd = open(path, O_RDONLY);

			CHECK(fd >= 0);
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
		} else {
			n = raw_slurp(path, buf, sizeof(buf));
		}
		if (n != expect_len || memcmp(buf, expect, n)) {
			fprintf(stderr, "thread %ld iteration %d: got %ld bytes, expected %ld\n",
				id, i, n, expect_len);
			exit(3);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 16;
	pthread_t t[256];
	char *nl;

	if (argc > 2)
		iters = atoi(argv[2]);
	if (argc > 3)
		path = argv[3];
	expect_len = raw_slurp(path, expect, sizeof(expect));
	CHECK(expect_len >= 0 && nthreads <= 256);
	for (long i = 0; i < nthreads; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	nl = strchr(expect, '\n');
	if (nl)
		*nl = 0;
	printf("ok %d %s\n", nthreads * iters, expect);
	return 0;
}
