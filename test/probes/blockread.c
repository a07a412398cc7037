/* blockread -- block in read(0) (libc or inline syscall) until a signal
 * comes: with no handler SIGINT ends the program as natively; with a
 * handler the read returns EINTR (no SA_RESTART) or goes on reading
 * (SA_RESTART). Prints "ready" before it blocks.
 * usage: blockread libc|raw [dfl|handler|restart] */
#define _GNU_SOURCE
#include <signal.h>
#include "probe.h"

static void on_int(int s)
{
	(void)s;
	raw3(SYS_write, 2, "handler\n", 8);
}

int main(int argc, char **argv)
{
	int raw = argc > 1 && !strcmp(argv[1], "raw");
	const char *mode = argc > 2 ? argv[2] : "dfl";
	char buf[64];
	long r;

	if (strcmp(mode, "dfl")) {
		struct sigaction sa = { 0 };

		sa.sa_handler = on_int;
		sa.sa_flags = !strcmp(mode, "restart") ? SA_RESTART : 0;
		CHECK(sigaction(SIGINT, &sa, NULL) == 0);
	}
	printf("ready\n");
	fflush(stdout);
	if (raw)
		r = raw3(SYS_read, 0, buf, sizeof(buf));
	else
		r = read(0, buf, sizeof(buf)) < 0 ? -errno : 0;
	printf("read: %s\n", r < 0 ? strerror(-r) : "data");
	return 0;
}
