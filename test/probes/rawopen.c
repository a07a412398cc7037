/* rawopen -- print a file read with inline syscall instructions (SYS_open
 * and SYS_openat), bypassing every libc wrapper. */
#include <fcntl.h>
#include "probe.h"

int main(int argc, char **argv)
{
	char buf[65536];
	const char *path = argc > 1 ? argv[1] : "/etc/passwd";
	long fd = raw6(SYS_open, (long)path, O_RDONLY, 0, 0, 0, 0), n;

	if (fd < 0) {
		printf("open: %s\n", strerror(-fd));
		return 1;
	}
	raw3(SYS_close, fd, 0, 0);
	n = raw_slurp(path, buf, sizeof(buf));
	if (n < 0) {
		printf("openat: %s\n", strerror(-n));
		return 1;
	}
	fputs(buf, stdout);
	return 0;
}
