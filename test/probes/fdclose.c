/* fdclose -- close every descriptor above 2 in all the ways programs do
 * (close_range, a close() loop, dup2 over high numbers), then open a file:
 * vu's own descriptors (its log) must survive. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include "probe.h"

int main(void)
{
	struct rlimit rl;
	char buf[256];
	int fd;
	long n;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	raw6(SYS_close_range, 3, ~0U, 0, 0, 0, 0);
	for (unsigned fd = 3; fd < rl.rlim_cur && fd < 65536; fd++)
		close(fd);
	for (unsigned fd = 3; fd < rl.rlim_cur && fd < 65536; fd++)
		dup2(1, fd);
	for (unsigned fd = 3; fd < rl.rlim_cur && fd < 65536; fd++)
		close(fd);
	fd = open("/etc/passwd", O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n >= 0);
	buf[n] = 0;
	*strchrnul(buf, '\n') = 0;
	printf("read: %s\n", buf);
	return 0;
}
