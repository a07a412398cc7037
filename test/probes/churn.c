/* churn -- create and join N short threads one after another (each does a
 * trapped open of FILE); vu maps a block per thread and unmaps it when the
 * thread exits. VmRSS and the number of mappings after N/10 and after N
 * threads must not grow. usage: churn N FILE */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include "probe.h"

static const char *file;

static void *fn(void *a)
{
	long fd = raw6(SYS_openat, AT_FDCWD, (long)file, O_RDONLY, 0, 0, 0);

	(void)a;
	if (fd >= 0)
		raw3(SYS_close, fd, 0, 0);
	return (void *)(long)(fd >= 0);
}

static long status_kb(const char *key)
{
	char buf[8192], *p;
	int fd = open("/proc/self/status", O_RDONLY);
	long n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, key);
	return p ? atol(p + strlen(key)) : -1;
}

static int maps(void)
{
	char buf[65536];
	int fd = open("/proc/self/maps", O_RDONLY), lines = 0;
	long n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (long i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

int main(int argc, char **argv)
{
	int n = atoi(argv[1]), okc = 0, m1 = 0;
	long r1 = 0;

	CHECK(argc == 3);
	file = argv[2];
	for (int i = 1; i <= n; i++) {
		pthread_t t;
		void *res;

		CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
		CHECK(pthread_join(t, &res) == 0);
		okc += res != NULL;
		if (i == n / 10) {
			r1 = status_kb("VmRSS:");
			m1 = maps();
		}
	}
	printf("threads: %d, opened: %d\n", n, okc);
	printf("mappings growth: %d\n", maps() - m1);
	printf("rss growth: %ld kB\n", status_kb("VmRSS:") - r1);
	return 0;
}
