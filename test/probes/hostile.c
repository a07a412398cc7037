/* hostile -- a program that does everything a runtime living in its process
 * would rather it did not: blocks every signal, installs its own SIGSYS
 * handler, turns SUD off with prctl, installs a seccomp filter (uname ->
 * EPERM, getpriority -> SIGSYS trap that its handler emulates), runs
 * handlers on a small sigaltstack (and checks they do), dup2s over and
 * closes every descriptor, then starts a thread and a child. Each step
 * prints what it saw; reads of /etc/passwd use inline syscalls. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "probe.h"

static const char *path = "/etc/passwd";
static volatile int traps, usr1_ok, usr2_ok, usr2_nested;
static char *alt;
static size_t altsz;

static void line(const char *who)
{
	char buf[65536], *nl;
	long n = raw_slurp(path, buf, sizeof(buf));

	if (n < 0) {
		printf("%s: %s\n", who, strerror(-n));
	} else {
		nl = strchr(buf, '\n');
		if (nl)
			*nl = 0;
		printf("%s: %s\n", who, buf);
	}
	fflush(stdout);
}

static int on_alt(void *p)
{
	return (char *)p > alt && (char *)p <= alt + altsz;
}

/* seccomp RET_TRAP: emulate getpriority -> 42 */
static void on_sys(int s, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)s;
	if (si->si_code == 1 /* SYS_SECCOMP */ && si->si_syscall == SYS_getpriority) {
		traps++;
		uc->uc_mcontext.gregs[REG_RAX] = 42;
	}
}

static void on_usr2(int s)
{
	char here;
	stack_t cur;

	(void)s;
	raw6(SYS_sigaltstack, 0, (long)&cur, 0, 0, 0, 0);
	usr2_ok = on_alt(&here) && (cur.ss_flags & SS_ONSTACK);
}

static void on_usr1(int s)
{
	char here, buf[4096];

	(void)s;
	usr1_ok = on_alt(&here);
	/* trapped calls and a nested signal, all on the small stack */
	usr1_ok &= raw_slurp(path, buf, sizeof(buf)) > 0;
	raise(SIGUSR2);
	usr2_nested = usr2_ok;
	/* a change while on the stack is refused, as by the kernel */
	{
		stack_t ss = { .ss_sp = alt, .ss_size = altsz };

		usr1_ok &= raw6(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0) == -EPERM;
	}
}

static void *thr(void *a)
{
	line(a);
	return NULL;
}

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return (int)raw6(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0, 0, 0);
}

int main(int argc, char **argv)
{
	sigset_t all;
	struct sigaction sa = { 0 };
	pthread_t t;
	struct utsname u;
	stack_t ss;
	pid_t pid;
	int st;

	if (argc > 1)
		path = argv[1];
	sigfillset(&all);
	CHECK(sigprocmask(SIG_BLOCK, &all, NULL) == 0);
	CHECK(raw6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, 8, 0, 0) == 0);
	line("all signals blocked");

	sa.sa_sigaction = on_sys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	line("own SIGSYS handler");

	printf("prctl(SUD off): %s\n", prctl(59, 0, 0, 0, 0) ? "refused" : "accepted");
	line("after prctl");

	/* a trapping filter needs SIGSYS deliverable (natively too) */
	CHECK(sigprocmask(SIG_UNBLOCK, &all, NULL) == 0);
	printf("seccomp filter: %d\n", install_filter());
	{
		long r;
		int e;

		errno = 0;
		r = uname(&u);
		e = errno;
		printf("uname: %ld %s\n", r, strerror(e));
		r = raw6(SYS_uname, (long)&u, 0, 0, 0, 0, 0);
		printf("raw uname: %s\n", strerror(-r));
		r = raw6(SYS_getpriority, PRIO_PROCESS, 0, 0, 0, 0, 0);
		printf("getpriority trapped: %ld (traps %d)\n", r, traps);
		r = getpriority(PRIO_PROCESS, 0);
		printf("getpriority libc: %ld (traps %d)\n", r, traps);
	}
	line("under seccomp");
	CHECK(pthread_create(&t, NULL, thr, "thread under seccomp") == 0);
	pthread_join(t, NULL);

	/* a small signal stack: handlers must run on it, with trapped calls */
	altsz = 16384;
	alt = malloc(altsz);
	ss.ss_sp = alt;
	ss.ss_size = altsz;
	ss.ss_flags = 0;
	CHECK(sigaltstack(&ss, NULL) == 0);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	sa.sa_handler = on_usr2;
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
	raise(SIGUSR1);
	printf("usr1 on small altstack: %d, nested usr2 on it: %d\n", usr1_ok, usr2_nested);
	{
		stack_t cur;

		CHECK(sigaltstack(NULL, &cur) == 0);
		printf("altstack after: %s flags %d\n", cur.ss_sp == alt ? "mine" : "other", cur.ss_flags);
	}

	/* every descriptor: dup2 over, then close */
	for (int fd = 3; fd < 4096; fd++)
		dup2(1, fd);
	for (int fd = 3; fd < 4096; fd++)
		close(fd);
	raw6(SYS_close_range, 3, ~0U, 0, 0, 0, 0);
	line("after closing everything");

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/usr/bin/head", "head", "-n1", path, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
