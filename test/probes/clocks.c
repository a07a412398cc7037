/* clocks -- what a program sees of time, through libc and through inline
 * syscall instructions, and how long absolute realtime deadlines take.
 *
 *   clocks now             one "name seconds.nanoseconds" line per way of reading
 *   clocks wait KIND       sleep until realtime now + 300 ms with KIND
 *                          (nanosleep-libc, nanosleep-raw, condwait, futex-raw,
 *                          timerfd, timer); prints "KIND ELAPSED_MS"
 *   clocks touch FILE      utimensat(FILE, NULL) raw, then FILE's mtime
 *
 * A 5 s alarm ends a wait that a wrong deadline would make hang. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include "probe.h"

static double ts(const struct timespec *t)
{
	return t->tv_sec + t->tv_nsec / 1e9;
}

static void show(const char *name, struct timespec t)
{
	printf("%s %ld.%09ld\n", name, (long)t.tv_sec, (long)t.tv_nsec);
}

static void now(void)
{
	struct timespec t;
	struct timeval tv;
	time_t s;

	clock_gettime(CLOCK_REALTIME, &t);
	show("libc-realtime", t);
	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	show("libc-realtime-coarse", t);
	clock_gettime(CLOCK_TAI, &t);
	show("libc-tai", t);
	gettimeofday(&tv, NULL);
	show("libc-gettimeofday", (struct timespec){ tv.tv_sec, tv.tv_usec * 1000 });
	s = time(NULL);
	show("libc-time", (struct timespec){ s, 0 });
	timespec_get(&t, TIME_UTC);
	show("libc-timespec_get", t);
	CHECK(raw3(SYS_clock_gettime, CLOCK_REALTIME, &t, 0) == 0);
	show("raw-realtime", t);
	CHECK(raw3(SYS_gettimeofday, &tv, 0, 0) == 0);
	show("raw-gettimeofday", (struct timespec){ tv.tv_sec, tv.tv_usec * 1000 });
	s = 0;
	show("raw-time", (struct timespec){ raw3(SYS_time, &s, 0, 0), 0 });
	show("raw-time-arg", (struct timespec){ s, 0 });
	clock_gettime(CLOCK_MONOTONIC, &t);
	show("libc-monotonic", t);
	CHECK(raw3(SYS_clock_gettime, CLOCK_MONOTONIC, &t, 0) == 0);
	show("raw-monotonic", t);
	clock_gettime(CLOCK_BOOTTIME, &t);
	show("libc-boottime", t);
}

static struct timespec deadline(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 300 * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_nsec -= 1000000000L;
		t.tv_sec++;
	}
	return t;
}

static void wait_kind(const char *kind)
{
	struct timespec t0, t1, d = deadline();
	uint32_t word = 0;
	long r = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(kind, "nanosleep-libc")) {
		r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &d, NULL);
	} else if (!strcmp(kind, "nanosleep-raw")) {
		r = raw6(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, (long)&d, 0, 0, 0);
	} else if (!strcmp(kind, "condwait")) {
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		pthread_cond_t c = PTHREAD_COND_INITIALIZER;

		pthread_mutex_lock(&m);
		r = pthread_cond_timedwait(&c, &m, &d);
		CHECK(r == ETIMEDOUT);
		pthread_mutex_unlock(&m);
	} else if (!strcmp(kind, "futex-raw")) {
		r = raw6(SYS_futex, (long)&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0,
			 (long)&d, 0, FUTEX_BITSET_MATCH_ANY);
		CHECK(r == -ETIMEDOUT);
	} else if (!strcmp(kind, "timerfd")) {
		int fd = timerfd_create(CLOCK_REALTIME, 0);
		struct itimerspec it = { .it_value = d };
		uint64_t ticks;

		CHECK(fd >= 0);
		CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &it, NULL) == 0);
		CHECK(read(fd, &ticks, sizeof(ticks)) == sizeof(ticks));
	} else if (!strcmp(kind, "timer")) {
		struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
		struct itimerspec it = { .it_value = d };
		sigset_t set;
		timer_t id;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		CHECK(timer_create(CLOCK_REALTIME, &ev, &id) == 0);
		CHECK(timer_settime(id, TIMER_ABSTIME, &it, NULL) == 0);
		CHECK(sigwait(&set, &sig) == 0 && sig == SIGUSR1);
	} else {
		fprintf(stderr, "unknown kind %s\n", kind);
		exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(r == 0 || r == ETIMEDOUT || r == -ETIMEDOUT);
	printf("%s %.0f\n", kind, (ts(&t1) - ts(&t0)) * 1000);
}

int main(int argc, char **argv)
{
	alarm(5);
	if (argc >= 2 && !strcmp(argv[1], "now")) {
		now();
	} else if (argc >= 3 && !strcmp(argv[1], "wait")) {
		wait_kind(argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "touch")) {
		struct stat st;
		long r = raw6(SYS_utimensat, AT_FDCWD, (long)argv[2], 0, 0, 0, 0);

		CHECK(r == 0);
		CHECK(stat(argv[2], &st) == 0);
		printf("mtime %ld\n", (long)st.st_mtime);
	} else {
		fprintf(stderr, "usage: clocks now | wait KIND | touch FILE\n");
		return 2;
	}
	return 0;
}
