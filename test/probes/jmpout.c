/* jmpout -- time out a blocking open() of a FIFO with alarm + siglongjmp,
 * N times (usage: jmpout FIFO FILE N [raw]; raw: the open is an inline
 * syscall), then open FILE: the escapes must not leave the runtime unable
 * to handle further calls. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include "probe.h"

static sigjmp_buf env;

static void on_alrm(int s)
{
	(void)s;
	siglongjmp(env, 1);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	volatile int timeouts = 0;
	int n, fd;
	char buf[64] = "";

	CHECK(argc == 4 || argc == 5);
	n = atoi(argv[3]);
	sa.sa_handler = on_alrm;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	for (volatile int i = 0; i < n; i++) {
		struct itimerval it = { { 0, 0 }, { 0, 20000 } };

		if (sigsetjmp(env, 1) == 0) {
			setitimer(ITIMER_REAL, &it, NULL);
			if (argc == 5)	/* no writer: blocks */
				raw6(SYS_openat, AT_FDCWD, (long)argv[1], O_RDONLY, 0, 0, 0);
			else
				open(argv[1], O_RDONLY);
			printf("open returned\n");
		} else {
			timeouts++;
		}
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || read(fd, buf, 20) < 0)
		printf("timeouts: %d, then open: %s\n", timeouts, strerror(errno));
	else
		printf("timeouts: %d, then read: %.20s\n", timeouts, buf);
	return 0;
}
