/* cancel -- pthread_cancel of a thread blocked in read() on an empty pipe
 * and of one blocked in open() of a FIFO (usage: cancel [FIFO]); each must
 * be cancelled and joined. A watchdog alarm kills a hang. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include "probe.h"

static int pfd[2];
static const char *fifo;

static void *reader(void *a)
{
	char c;

	(void)a;
	for (;;)
		if (read(pfd[0], &c, 1) < 0)
			break;
	return NULL;
}

static void *opener(void *a)
{
	(void)a;
	open(fifo, O_RDONLY);	/* no writer: blocks */
	return (void *)1;
}

static void cancel_one(const char *what, void *(*fn)(void *))
{
	pthread_t t;
	void *res;
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
	nanosleep(&ts, NULL);
	CHECK(pthread_cancel(t) == 0);
	CHECK(pthread_join(t, &res) == 0);
	printf("%s: %s\n", what, res == PTHREAD_CANCELED ? "cancelled" : "returned");
}

int main(int argc, char **argv)
{
	alarm(10);
	CHECK(pipe(pfd) == 0);
	for (int i = 0; i < 3; i++)
		cancel_one("read", reader);
	if (argc > 1) {
		fifo = argv[1];
		for (int i = 0; i < 3; i++)
			cancel_one("open fifo", opener);
	}
	return 0;
}
