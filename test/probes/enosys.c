/* enosys -- unknown system calls answer exactly ENOSYS, with and without vu;
 * a thread still starts when clone3 is refused. */
#include <pthread.h>
#include "probe.h"

static void *thr(void *a)
{
	return a;
}

int main(void)
{
	pthread_t t;
	void *r;

	printf("nr 1000: %s\n", strerror(-raw6(1000, 0, 0, 0, 0, 0, 0)));
	printf("nr 511: %s\n", strerror(-raw6(511, 0, 0, 0, 0, 0, 0)));
	CHECK(pthread_create(&t, NULL, thr, (void *)42) == 0);
	CHECK(pthread_join(t, &r) == 0);
	printf("thread: %ld\n", (long)r);
	return 0;
}
