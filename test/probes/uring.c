/* uring -- set up an io_uring with a raw syscall and say what happened. */
#include <linux/io_uring.h>
#include "probe.h"

int main(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = raw6(SYS_io_uring_setup, 4, (long)&p, 0, 0, 0, 0);
	printf("io_uring_setup: %s\n", fd >= 0 ? "ok" : strerror(-fd));
	return 0;
}
