/* signals -- the program does what breaks naive SUD runtimes: blocks every
 * signal, installs its own SIGSYS handler, tries to switch SUD off, sends
 * itself SIGSYS, uses sigaltstack. It must keep running and its raw reads
 * must stay virtualized. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include "probe.h"

static volatile int got_sysc, got_usr1;

static void on_sys(int s, siginfo_t *si, void *uc)
{
	(void)s; (void)uc;
	got_sysc = si->si_code == SI_TKILL || si->si_code == SI_USER ? 1 : 2;
}

static void on_usr1(int s)
{
	char buf[65536];

	(void)s;
	/* raw syscalls in a handler that interrupted a wrapper */
	got_usr1 = raw_slurp("/etc/passwd", buf, sizeof(buf)) > 0 ? 1 : -1;
}

static void line(const char *who)
{
	char buf[65536], *nl;
	long n = raw_slurp("/etc/passwd", buf, sizeof(buf));

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

static void *thr(void *a)
{
	line(a);
	return NULL;
}

int main(void)
{
	sigset_t all, cur;
	struct sigaction sa = { 0 };
	pthread_t t;
	stack_t ss = { 0 }, old = { 0 };
	static char altstack[1 << 16];

	sigfillset(&all);
	CHECK(sigprocmask(SIG_BLOCK, &all, NULL) == 0);
	line("blocked");
	CHECK(raw6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, 8, 0, 0) == 0);
	line("raw-blocked");
	CHECK(pthread_create(&t, NULL, thr, "thread-blocked") == 0);
	pthread_join(t, NULL);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("usr1 blocked: %d\n", sigismember(&cur, SIGUSR1));
	CHECK(sigprocmask(SIG_UNBLOCK, &all, NULL) == 0);

	sa.sa_sigaction = on_sys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	line("own-sigsys-handler");
	raise(SIGSYS);
	printf("handler saw kill: %d\n", got_sysc);

	signal(SIGSYS, SIG_DFL);
	line("sigsys-dfl");

	{
		int r = prctl(59, 0, 0, 0, 0);

		printf("prctl off: %d %s\n", r, r ? "refused" : "accepted");
	}
	line("after-prctl");

	sa.sa_handler = on_usr1;
	sa.sa_flags = 0;
	sigfillset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	raise(SIGUSR1);
	printf("usr1 handler read: %d\n", got_usr1);

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	CHECK(sigaltstack(&ss, NULL) == 0);
	CHECK(sigaltstack(NULL, &old) == 0);
	printf("altstack: %s\n", old.ss_sp == altstack && old.ss_size == sizeof(altstack) ? "mine" : "other");
	line("end");
	return 0;
}
