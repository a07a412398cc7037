/* threads.c -- static-probe: 8 threads read argv[1]; a signal handler runs;
 * a forked child reads it too. Prints what each saw. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *path;
static volatile sig_atomic_t got;

static void on_usr1(int s)
{
	got = s;
}

static char *slurp(void)
{
	char *b = calloc(1, 256);
	int fd = open(path, O_RDONLY);

	if (fd < 0 || read(fd, b, 255) < 0)
		strcpy(b, "ERR\n");
	if (fd >= 0)
		close(fd);
	return b;
}

static void *run(void *a)
{
	return slurp();
}

int main(int argc, char **argv)
{
	pthread_t t[8];
	int st;
	pid_t p;

	if (argc < 2)
		return 2;
	path = argv[1];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], 0, run, 0);
	for (int i = 0; i < 8; i++) {
		char *r;

		pthread_join(t[i], (void **)&r);
		printf("thread %d: %s", i, r);
		free(r);
	}
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	printf("signal %d\n", got);
	fflush(stdout);
	p = fork();
	if (!p) {
		printf("child: %s", slurp());
		fflush(stdout);
		_exit(3);
	}
	waitpid(p, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	return 0;
}
