/* tracefds -- close every descriptor above 2 the way argv[1] says
 * (close_range, closefrom, dup2 over all, close all), then open argv[2]
 * and print its first line: a tracer's own descriptor must survive, and
 * the open must still be traced. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include "probe.h"

int main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned lim;
	char buf[256];
	long n;
	int fd;

	CHECK(argc == 3);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	lim = rl.rlim_cur < 65536 ? (unsigned)rl.rlim_cur : 65536;
	if (!strcmp(argv[1], "close_range")) {
		CHECK(raw6(SYS_close_range, 3, ~0U, 0, 0, 0, 0) == 0);
	} else if (!strcmp(argv[1], "closefrom")) {
		closefrom(3);
	} else if (!strcmp(argv[1], "dup2")) {
		for (unsigned i = 3; i < lim; i++)
			dup2(1, i);
		for (unsigned i = 3; i < lim; i++)
			close(i);
	} else if (!strcmp(argv[1], "close")) {
		for (unsigned i = 3; i < lim; i++)
			close(i);
	} else {
		fprintf(stderr, "tracefds: unknown way %s\n", argv[1]);
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n >= 0);
	buf[n] = 0;
	*strchrnul(buf, '\n') = 0;
	printf("read: %s\n", buf);
	return 0;
}
