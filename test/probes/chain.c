/* chain -- exec chains: each level prints the first line of FILE (read
 * with inline syscalls) and starts the next level with another way of
 * making a process: fork, vfork, posix_spawn, clone3 (fork-like; glibc's
 * fallback to fork on ENOSYS), raw clone(CLONE_VM|CLONE_VFORK) on its own
 * stack; each child execs this program again.
 * usage: chain DEPTH FILE */
#define _GNU_SOURCE
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include "probe.h"

extern char **environ;
static char *self, *file, next[16];

static void first_line(int level)
{
	char buf[65536], *nl;
	long n = raw_slurp(file, buf, sizeof(buf));

	if (n < 0)
		snprintf(buf, sizeof(buf), "%s", strerror(-n));
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	printf("level %d (pid %s): %s\n", level, level ? "child" : "top", buf);
	fflush(stdout);
}

static void run_next(void)
{
	char *args[] = { self, next, file, NULL };

	execve(self, args, environ);
	_exit(127);
}

static int clone_fn(void *a)
{
	(void)a;
	run_next();
	return 0;
}

int main(int argc, char **argv)
{
	int depth = atoi(argv[1]), st;
	static const char *how[] = { "fork", "vfork", "posix_spawn", "clone3", "clone-vfork" };
	pid_t pid = -1;

	CHECK(argc == 3);
	self = argv[0];
	file = argv[2];
	first_line(5 - depth);
	if (depth == 0)
		return 0;
	snprintf(next, sizeof(next), "%d", depth - 1);
	printf("starting level %d with %s\n", 6 - depth, how[depth % 5]);
	fflush(stdout);
	switch (depth % 5) {
	case 0:
		pid = fork();
		if (pid == 0)
			run_next();
		break;
	case 1:
		pid = vfork();
		if (pid == 0)
			run_next();
		break;
	case 2: {
		char *args[] = { self, next, file, NULL };

		CHECK(posix_spawn(&pid, self, NULL, NULL, args, environ) == 0);
		break;
	}
	case 3: {
		struct clone_args ca = { .exit_signal = SIGCHLD };

		pid = raw6(SYS_clone3, (long)&ca, sizeof(ca), 0, 0, 0, 0);
		if (pid == -ENOSYS)
			pid = fork();	/* what glibc does */
		if (pid == 0)
			run_next();
		break;
	}
	case 4: {
		size_t sz = 256 * 1024;
		char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		pid = clone(clone_fn, stack + sz, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		break;
	}
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
