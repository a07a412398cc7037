/* manyopens -- THREADS threads each open+read+close FILE ROUNDS times (odd
 * threads with inline syscalls, even ones through libc). After round 1,000
 * and after the last, main notes VmRSS and the number of open descriptors:
 * a leak in vu's per-call or per-thread state shows up as growth.
 * usage: manyopens THREADS ROUNDS FILE */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include "probe.h"

static int rounds;
static const char *file;
static pthread_barrier_t bar;
static char expect[256];
static long bad;

static long rss_kb(void)
{
	char buf[8192], *p;
	int fd = open("/proc/self/status", O_RDONLY);
	long n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, "VmRSS:");
	return p ? atol(p + 6) : -1;
}

static int nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void *worker(void *a)
{
	long id = (long)a;
	char buf[256];

	for (int i = 1; i <= rounds; i++) {
		long n;

		if (id & 1) {
			long fd = raw6(SYS_openat, AT_FDCWD, (long)file, O_RDONLY, 0, 0, 0);

			n = fd < 0 ? fd : raw3(SYS_read, fd, buf, sizeof(buf) - 1);
			if (fd >= 0)
				raw3(SYS_close, fd, 0, 0);
		} else {
			int fd = open(file, O_RDONLY);

			n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
			if (fd >= 0)
				close(fd);
		}
		buf[n > 0 ? n : 0] = 0;
		if (strcmp(buf, expect))
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		if (i == 1000 || i == rounds)
			pthread_barrier_wait(&bar);
		if (i == 1000)
			pthread_barrier_wait(&bar);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = atoi(argv[1]);
	pthread_t t[1024];
	long rss1, rss2;
	int fd1, fd2;

	CHECK(argc == 4);
	rounds = atoi(argv[2]);
	file = argv[3];
	{
		int fd = open(file, O_RDONLY);
		long n = read(fd, expect, sizeof(expect) - 1);

		close(fd);
		expect[n > 0 ? n : 0] = 0;
	}
	CHECK(rounds >= 1000 && threads <= 1024);
	pthread_barrier_init(&bar, NULL, threads + 1);
	for (long i = 0; i < threads; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	pthread_barrier_wait(&bar);	/* all at round 1,000 */
	rss1 = rss_kb();
	fd1 = nfds();
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);	/* all done */
	rss2 = rss_kb();
	fd2 = nfds();
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("opens: %ld, wrong reads: %ld\n", (long)threads * rounds, bad);
	printf("fds after 1000 rounds: %d, after %d: %d\n", fd1, rounds, fd2);
	printf("rss growth: %ld kB (%ld -> %ld)\n", rss2 - rss1, rss1, rss2);
	return 0;
}
