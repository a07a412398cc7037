/* smallaltstack -- sigaltstack with every size the kernel accepts, from its
 * minimum up: the call's result, SS_DISABLE, and a SIGUSR1 handler
 * registered with SA_ONSTACK that must run on that stack and make system
 * calls there (inline ones: trapped under "all" mode, whose SIGSYS work must
 * not land on the small stack) and return. With the largest size the handler
 * also takes a nested SA_ONSTACK signal. One line per size.
 *
 * A signal is raised only with sizes of at least AT_MINSIGSTKSZ: below it
 * the kernel accepts the stack (its floor is 2048) but may not fit its
 * frame there, and kills the program with SIGSEGV. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include "probe.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

static char *lo, *hi;		/* the altstack being tried */
static volatile int ran, on_stack, flags_on, raw_ok, libc_ok, nested_ran, nested_on;
static long ppid;

static int in_stack(const void *p)
{
	return (const char *)p >= lo && (const char *)p < hi;
}

static void on_usr2(int sig)
{
	volatile char here = 0;

	(void)sig;
	nested_ran = 1;
	nested_on = in_stack((const void *)&here) && raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) == ppid;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	volatile char here = 0;
	stack_t cur;

	(void)sig;
	(void)si;
	(void)uc;
	ran = 1;
	on_stack = in_stack((const void *)&here);
	raw_ok = raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) == ppid;
	libc_ok = getppid() == ppid;
	flags_on = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK) &&
		   cur.ss_sp == lo && cur.ss_size == (size_t)(hi - lo);
	if (hi - lo >= 65536)
		raise(SIGUSR2);
}

static void try(const char *label, size_t size, size_t minsig)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = (size + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	char *map = mmap(NULL, len + (size_t)pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss, old;
	int r, e;

	CHECK(map != MAP_FAILED);
	/* a guard page right below the stack: an overflow faults */
	CHECK(mprotect(map, (size_t)pg, PROT_NONE) == 0);
	lo = map + pg;
	hi = lo + size;
	ss.ss_sp = lo;
	ss.ss_size = size;
	ss.ss_flags = 0;
	errno = 0;
	r = sigaltstack(&ss, NULL);
	e = errno;
	printf("%s: sigaltstack %s", label, r == 0 ? "ok" : strerror(e));
	if (r == 0) {
		CHECK(sigaltstack(NULL, &old) == 0);
		printf(", query %s", old.ss_sp == lo && old.ss_size == size && old.ss_flags == 0 ?
					     "same" : "differs");
		if (size >= minsig) {
			ran = on_stack = flags_on = raw_ok = libc_ok = 0;
			nested_ran = nested_on = 0;
			raise(SIGUSR1);
			printf(", handler %s, %s altstack, SS_ONSTACK %s, raw getppid %s, libc getppid %s",
			       ran ? "ran" : "did not run", on_stack ? "on" : "not on",
			       flags_on ? "yes" : "no", raw_ok ? "ok" : "wrong",
			       libc_ok ? "ok" : "wrong");
			if (size >= 65536)
				printf(", nested %s", nested_ran && nested_on ? "on altstack" : "wrong");
		} else {
			printf(", no signal (below AT_MINSIGSTKSZ)");
		}
		ss.ss_sp = NULL;
		ss.ss_size = 0;
		ss.ss_flags = SS_DISABLE;
		CHECK(sigaltstack(&ss, NULL) == 0);
		CHECK(sigaltstack(NULL, &old) == 0);
		printf(", disable %s", old.ss_flags == SS_DISABLE ? "ok" : "wrong");
	}
	printf("\n");
	fflush(stdout);
	CHECK(munmap(map, len + (size_t)pg) == 0);
}

int main(void)
{
	size_t minsig = getauxval(AT_MINSIGSTKSZ);
	struct sigaction sa;
	char label[64];

	if (minsig < 2048)
		minsig = 2048;	/* an old kernel: none given */
	ppid = getppid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_ONSTACK;
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);

	try("1", 1, minsig);
	try("2047", 2047, minsig);
	try("MINSIGSTKSZ(2048)", 2048, minsig);
	snprintf(label, sizeof(label), "AT_MINSIGSTKSZ-1");
	try(label, minsig - 1, minsig);
	try("AT_MINSIGSTKSZ", minsig, minsig);
	try("4096", 4096, minsig);
	try("8192", 8192, minsig);
	try("65536", 65536, minsig);
	return 0;
}
