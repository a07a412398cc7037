/* spawnfirst -- posix_spawn "true" N times (glibc: clone with CLONE_VM and
 * CLONE_VFORK, so the child runs on the parent's memory until it execs),
 * then open argv[2] and print its first line or the error. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include "probe.h"

extern char **environ;

int main(int argc, char **argv)
{
	char *av[] = { "true", NULL }, buf[256];
	int n = argc > 1 ? atoi(argv[1]) : 8, fd, status;
	long got;

	CHECK(argc == 3);
	for (int i = 0; i < n; i++) {
		pid_t pid;

		CHECK(posix_spawnp(&pid, "true", NULL, NULL, av, environ) == 0);
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 0;
	}
	got = read(fd, buf, sizeof(buf) - 1);
	CHECK(got >= 0);
	buf[got] = 0;
	*strchrnul(buf, '\n') = 0;
	printf("read: %s\n", buf);
	return 0;
}
