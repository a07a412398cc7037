/* smallstack -- a thread with a 16 KiB stack makes trapped system calls
 * after using most of its stack: the ~3 KiB SIGSYS frame must not land on
 * it. */
#define _GNU_SOURCE
#include <pthread.h>
#include "probe.h"

static long deep(int depth)
{
	volatile char pad[1024];
	char buf[64];

	pad[0] = (char)depth;
	if (depth > 0)
		return deep(depth - 1) + pad[0] - (char)depth;
	/* ~10 KiB of the stack used: now a trapped call */
	return raw_slurp("/etc/hostname", buf, sizeof(buf));
}

static void *thr(void *a)
{
	(void)a;
	return (void *)deep(9);
}

int main(void)
{
	pthread_attr_t at;
	pthread_t t;
	void *ret;

	pthread_attr_init(&at);
	CHECK(pthread_attr_setstacksize(&at, 16384) == 0);
	CHECK(pthread_create(&t, &at, thr, NULL) == 0);
	CHECK(pthread_join(t, &ret) == 0);
	printf("small stack thread read %ld bytes\n", (long)ret > 0 ? 1L : (long)ret);
	return 0;
}
