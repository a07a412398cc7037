/* storm -- a 10 kHz SIGALRM (setitimer) while the program reads a pipe and
 * opens a file, through libc and with inline syscalls. With SA_RESTART no
 * call may fail with EINTR; without it the blocking pipe reads must see
 * EINTR and file opens never. Prints one line per kind of call.
 * usage: storm restart|norestart [FILE] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include "probe.h"

static volatile long ticks;
static int pfd[2];
static volatile int stop;

static void on_alrm(int s)
{
	(void)s;
	ticks++;
	raw6(SYS_getpid, 0, 0, 0, 0, 0, 0);	/* a trapped call in the handler */
}

/* writes one byte every 300 us; never takes SIGALRM */
static void *writer(void *a)
{
	sigset_t m;
	struct timespec ts = { 0, 300000 };

	(void)a;
	sigemptyset(&m);
	sigaddset(&m, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	while (!stop) {
		if (write(pfd[1], "x", 1) != 1)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int restart = argc > 1 && !strcmp(argv[1], "restart");
	const char *file = argc > 2 ? argv[2] : "/etc/passwd";
	struct sigaction sa = { 0 };
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	long eintr[4] = { 0 }, ok[4] = { 0 }, other = 0;
	const char *names[4] = { "libc read", "raw read", "libc open", "raw open" };
	pthread_t t;
	char c;

	CHECK(pipe(pfd) == 0);
	sa.sa_handler = on_alrm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	CHECK(pthread_create(&t, NULL, writer, NULL) == 0);
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	for (int i = 0; i < 1500; i++) {
		long r;

		r = read(pfd[0], &c, 1) < 0 ? -errno : 1;
		r == 1 ? ok[0]++ : r == -EINTR ? eintr[0]++ : other++;
		r = raw3(SYS_read, pfd[0], &c, 1);
		r == 1 ? ok[1]++ : r == -EINTR ? eintr[1]++ : other++;
		r = open(file, O_RDONLY);
		r >= 0 ? (close(r), ok[2]++) : errno == EINTR ? eintr[2]++ : other++;
		r = raw6(SYS_openat, AT_FDCWD, (long)file, O_RDONLY, 0, 0, 0);
		r >= 0 ? (raw3(SYS_close, r, 0, 0), ok[3]++) : r == -EINTR ? eintr[3]++ : other++;
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	stop = 1;
	pthread_join(t, NULL);
	for (int k = 0; k < 4; k++)
		printf("%s: %s\n", names[k], eintr[k] ? "EINTR seen" : "no EINTR");
	printf("other errors: %ld, signals: %s\n", other, ticks > 100 ? "many" : "few");
	return 0;
}
