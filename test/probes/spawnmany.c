/* spawnmany -- posix_spawn (a CLONE_VM|CLONE_VFORK child that shares the
 * parent's memory until it execs) N times, each followed by an opendir(".")
 * and an open of FILE: every one must work. usage: spawnmany N FILE */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include "probe.h"

extern char **environ;

int main(int argc, char **argv)
{
	int n, bad = 0;

	CHECK(argc == 3);
	n = atoi(argv[1]);
	for (int i = 0; i < n; i++) {
		char *args[] = { "true", NULL };
		pid_t pid;
		DIR *d;
		int fd, st;

		CHECK(posix_spawnp(&pid, "true", NULL, NULL, args, environ) == 0);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		d = opendir(".");
		fd = open(argv[2], O_RDONLY);
		if (!d || fd < 0) {
			printf("after %d spawns: %s\n", i + 1, strerror(errno));
			bad++;
		}
		if (d)
			closedir(d);
		if (fd >= 0)
			close(fd);
	}
	printf("spawns: %d, failed calls after them: %d\n", n, bad);
	return 0;
}
