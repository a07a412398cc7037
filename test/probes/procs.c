/* procs -- every way a new task starts must stay virtualized: a pthread, a
 * raw clone thread, fork, vfork, posix_spawn (with an addopen file action),
 * clone3. Each prints the first line of the file it read with inline
 * syscalls. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include "probe.h"

static const char *path = "/etc/passwd";

static void first_line(const char *who)
{
	char buf[65536], *nl;
	long n = raw_slurp(path, buf, sizeof(buf));

	if (n < 0) {
		printf("%s: %s\n", who, strerror(-n));
		return;
	}
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	printf("%s: %s\n", who, buf);
	fflush(stdout);
}

static void *thread_fn(void *a)
{
	first_line(a);
	return NULL;
}

static int clone_fn(void *a)
{
	first_line(a);
	return 0;
}

extern char **environ;

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t pid;
	int st;

	if (argc > 1)
		path = argv[1];
	first_line("main");
	CHECK(pthread_create(&t, NULL, thread_fn, "pthread") == 0);
	pthread_join(t, NULL);

	/* raw clone thread sharing memory, with its own stack */
	{
		size_t sz = 256 * 1024;
		char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		pid = clone(clone_fn, stack + sz, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD,
			    "clone");
		CHECK(pid > 0);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	}

	pid = fork();
	if (pid == 0) {
		first_line("fork");
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));

	pid = vfork();
	if (pid == 0) {
		char *args[] = { "head", "-n1", (char *)path, NULL };

		execv("/usr/bin/head", args);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));

	/* posix_spawn: the child's stdin is the file, opened by a file action */
	{
		posix_spawn_file_actions_t fa;
		char *args[] = { "head", "-n1", NULL };

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, path, O_RDONLY, 0);
		printf("spawn: ");
		fflush(stdout);
		CHECK(posix_spawnp(&pid, "head", &fa, NULL, args, environ) == 0);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	}

	/* clone3 from the program itself: fork-like */
	{
		struct clone_args ca = { .exit_signal = SIGCHLD };
		long r = raw6(SYS_clone3, (long)&ca, sizeof(ca), 0, 0, 0, 0);

		if (r == 0) {
			first_line("clone3");
			_exit(0);
		}
		if (r < 0) {
			printf("clone3: %s\n", strerror(-r));
		} else {
			CHECK(waitpid(r, &st, 0) == r && WIFEXITED(st));
		}
	}
	return 0;
}
