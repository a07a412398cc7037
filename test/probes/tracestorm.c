/* tracestorm -- P processes x T threads, each making N getppid calls, half
 * through libc and half with an inline syscall instruction: a trace of all
 * of them must hold P*T*N getppid lines, each whole. Prints "ok <calls>". */
#include <pthread.h>
#include <sys/wait.h>
#include "probe.h"

static int threads = 8, iters = 500;

static void *worker(void *arg)
{
	for (int i = 0; i < iters; i++) {
		if ((i + (long)arg) & 1)
			CHECK(getppid() > 0);
		else
			CHECK(raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) > 0);
	}
	return NULL;
}

static void process(void)
{
	pthread_t t[64];

	for (long i = 0; i < threads; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < threads; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
}

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 8, status;

	threads = argc > 2 ? atoi(argv[2]) : 8;
	iters = argc > 3 ? atoi(argv[3]) : 500;
	CHECK(procs > 0 && procs <= 64 && threads > 0 && threads <= 64);
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			process();
			exit(0);
		}
	}
	for (int p = 0; p < procs; p++) {
		CHECK(wait(&status) > 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	printf("ok %d\n", procs * threads * iters);
	return 0;
}
