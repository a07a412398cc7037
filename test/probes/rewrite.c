/* rewrite.c -- probe for the lazy rewriter (runtime/core/rewrite.c):
 * syscall sites in hand-written asm whose layout is known, so the test
 * knows which are patchable.
 *   getppid N         call rw_getppid N times; print "ok" if each answer is getppid()
 *   jt N              the same through rw_jt (a branch into its mov: stays on SUD)
 *   libc N            N rounds of calls through glibc (vu's wrapper opens the
 *                     selector, glibc's own site, patched in its image, runs):
 *                     getppid, pipe write/read, open/fstat/close, and every
 *                     100th round a signal, fork and posix_spawn; "ok" if
 *                     every answer is right
 *   threads T N       T threads call rw_getppid N times each, all at once
 *   read restart|intr a blocking raw read of a pipe, interrupted by SIGALRM
 *   fork N            rewrite, then fork: the child calls N times
 *   exec N            rewrite, then exec itself with "getppid N"
 *   bytes             the first bytes of rw_getppid before and after (what a
 *                     program reading its own code sees)
 *   open PATH         raw openat+read of PATH twice (first traps, then rewritten)
 *   rawfork N         N raw forks from one site (rw_fork: the first traps, the
 *                     rest are vu's fork through the trampoline); each child
 *                     checks rw_getppid and exits with its status
 *   window N          getppid N times through rw_window: no padding within a
 *                     short jump, so the window method (a moved 5-byte head)
 *   riprel N          the same through rw_riprel, whose head is a RIP-relative
 *                     lea the trampoline moves: the register it sets is checked
 *   forkwhile T N     T threads call rw_getppid while the main thread forks N
 *                     children (through glibc) that call it 100 times each:
 *                     fork while the site is being patched
 */
#include "probe.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

long rw_getppid(void);
long rw_jt(long never);
long rw_read(long fd, void *buf, long len);
long rw_openat(long dfd, const char *path, long flags);
long rw_fork(void);
long rw_window(void);
long rw_riprel(void);
long rw_val;
const long *rw_seen;

__asm__(".text\n"
	".p2align 4\n"
	".globl rw_getppid\n.type rw_getppid,@function\n"
	"rw_getppid:\n.cfi_startproc\n"
	"\tmovl $110, %eax\n\tsyscall\n\tret\n"
	".cfi_endproc\n.size rw_getppid,.-rw_getppid\n"
	".p2align 4\n"
	".globl rw_jt\n.type rw_jt,@function\n"
	"rw_jt:\n.cfi_startproc\n"
	"\ttestq %rdi, %rdi\n\tjnz 1f+1\n"	/* never taken: into the mov below */
	"1:\tmovl $110, %eax\n\tsyscall\n\tret\n"
	".cfi_endproc\n.size rw_jt,.-rw_jt\n"
	".p2align 4\n"
	".globl rw_read\n.type rw_read,@function\n"
	"rw_read:\n.cfi_startproc\n"
	"\tmovl $0, %eax\n\tsyscall\n\tret\n"
	".cfi_endproc\n.size rw_read,.-rw_read\n"
	".p2align 4\n"
	".globl rw_openat\n.type rw_openat,@function\n"
	"rw_openat:\n.cfi_startproc\n"
	"\tmovl $257, %eax\n\tmovq %rcx, %r10\n\tsyscall\n\tret\n"
	".cfi_endproc\n.size rw_openat,.-rw_openat\n"
	".p2align 4\n"
	".globl rw_fork\n.type rw_fork,@function\n"
	"rw_fork:\n.cfi_startproc\n"
	"\tmovl $57, %eax\n\tsyscall\n\tret\n"
	".cfi_endproc\n.size rw_fork,.-rw_fork\n"
	/* 140 bytes of executed nops on each side: no padding a jmp rel8 reaches */
	".p2align 4\n"
	".globl rw_window\n.type rw_window,@function\n"
	"rw_window:\n.cfi_startproc\n"
	"\t.fill 140, 1, 0x90\n\tmovl $110, %eax\n\tsyscall\n\t.fill 140, 1, 0x90\n\tret\n"
	".cfi_endproc\n.size rw_window,.-rw_window\n"
	".p2align 4\n"
	".globl rw_riprel\n.type rw_riprel,@function\n"
	"rw_riprel:\n.cfi_startproc\n"
	"\t.fill 140, 1, 0x90\n\tmovl $110, %eax\n\ttestq %rdi, %rdi\n"
	"\tleaq rw_val(%rip), %rsi\n\tsyscall\n"
	"\tmovq %rsi, rw_seen(%rip)\n\t.fill 140, 1, 0x90\n\tret\n"
	".cfi_endproc\n.size rw_riprel,.-rw_riprel\n");

static long loops(long (*f)(void), long n)
{
	long want = getppid(), bad = 0;

	for (long i = 0; i < n; i++)
		if (f() != want)
			bad++;
	return bad;
}

static long jt(void)
{
	return rw_jt(0);
}

static long nper;
static volatile int go;
static void *thr(void *a __attribute__((unused)))
{
	while (!go)
		;
	return (void *)loops(rw_getppid, nper);
}

static volatile int alarms;
static void on_alarm(int s)
{
	(void)s;
	alarms++;
}

static void *writer(void *a)
{
	usleep(300000);
	if (write(*(int *)a, "x", 1) != 1)
		abort();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "getppid";
	long n = argc > 2 ? atol(argv[2]) : 100;

	if (!strcmp(m, "getppid") || !strcmp(m, "jt")) {
		long bad = loops(strcmp(m, "jt") ? rw_getppid : jt, n);

		printf(bad ? "bad %ld\n" : "ok\n", bad);
	} else if (!strcmp(m, "libc")) {
		/* calls of every kind through glibc, each answer checked: a
		 * plain call, a pipe's write and read, open + fstat + close, a
		 * signal and its handler's return, fork + wait, posix_spawn (a
		 * vfork inside glibc) + wait */
		long want = syscall(SYS_getppid), bad = 0;
		struct sigaction sa = { 0 };
		extern char **environ;

		sa.sa_handler = on_alarm;
		sigaction(SIGUSR1, &sa, NULL);
		for (long i = 0; i < n; i++) {
			int p[2], fd;
			char c = 0;
			struct stat st;

			bad += getppid() != want;
			if (pipe(p) || write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'x')
				bad++;
			close(p[0]);
			close(p[1]);
			fd = open("/etc/hostname", O_RDONLY);
			bad += fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode);
			close(fd);
			if (i % 100 == 0) {
				int before = alarms, status = -1;
				pid_t pid;
				char *args[] = { "true", NULL };

				kill(getpid(), SIGUSR1);
				bad += alarms != before + 1;
				pid = fork();
				if (pid == 0)
					_exit(getppid() == (pid_t)syscall(SYS_getppid) ? 7 : 1);
				bad += pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7;
				bad += posix_spawnp(&pid, "true", NULL, NULL, args, environ) != 0 ||
				       waitpid(pid, &status, 0) != pid || status != 0;
			}
		}
		printf(bad ? "bad %ld\n" : "ok\n", bad);
	} else if (!strcmp(m, "threads")) {
		long t = n;
		pthread_t th[64];
		long bad = 0;

		nper = argc > 3 ? atol(argv[3]) : 10000;
		for (long i = 0; i < t && i < 64; i++)
			pthread_create(&th[i], NULL, thr, NULL);
		go = 1;
		for (long i = 0; i < t && i < 64; i++) {
			void *r;

			pthread_join(th[i], &r);
			bad += (long)r;
		}
		printf(bad ? "bad %ld\n" : "ok\n", bad);
	} else if (!strcmp(m, "read")) {
		int p[2], restart = argc > 2 && !strcmp(argv[2], "restart");
		struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
		struct itimerval it = { { 0, 50000 }, { 0, 50000 } };
		pthread_t w;
		char c = 0;
		long r;

		if (pipe(p))
			return 1;
		if (write(p[1], "y", 1) != 1 || rw_read(p[0], &c, 1) != 1)	/* traps: rewritten */
			return 1;
		sigaction(SIGALRM, &sa, NULL);
		pthread_create(&w, NULL, writer, &p[1]);
		setitimer(ITIMER_REAL, &it, NULL);
		r = rw_read(p[0], &c, 1);
		it.it_value.tv_usec = it.it_interval.tv_usec = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		pthread_join(w, NULL);
		printf("read %ld %s alarms %s\n", r, r == 1 ? "x" : strerror((int)-r), alarms ? "yes" : "no");
	} else if (!strcmp(m, "fork")) {
		long bad = loops(rw_getppid, 3);
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			bad = loops(rw_getppid, n);
			printf(bad ? "child bad\n" : "child ok\n");
			fflush(stdout);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		printf(bad ? "parent bad\n" : "parent ok\n");
	} else if (!strcmp(m, "exec")) {
		char num[32];

		loops(rw_getppid, 3);
		snprintf(num, sizeof(num), "%ld", n);
		execl("/proc/self/exe", argv[0], "getppid", num, (char *)NULL);
		return 127;
	} else if (!strcmp(m, "window") || !strcmp(m, "riprel")) {
		int rip = !strcmp(m, "riprel");
		long bad = loops(rip ? rw_riprel : rw_window, n);

		if (rip && rw_seen != &rw_val)
			bad++;
		printf(bad ? "bad %ld\n" : "ok\n", bad);
	} else if (!strcmp(m, "rawfork")) {
		long bad = 0;

		for (long i = 0; i < n; i++) {
			long want = getpid(), pid = rw_fork();
			int st;

			if (pid == 0)
				_exit(getppid() == want && loops(rw_getppid, 10) == 0 ? 0 : 1);
			if (pid < 0 || waitpid((pid_t)pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
				bad++;
		}
		printf(bad ? "bad %ld\n" : "ok\n", bad);
	} else if (!strcmp(m, "forkwhile")) {
		long t = n, kids = argc > 3 ? atol(argv[3]) : 20, bad = 0;
		pthread_t th[64];

		nper = 20000;
		for (long i = 0; i < t && i < 64; i++)
			pthread_create(&th[i], NULL, thr, NULL);
		go = 1;
		for (long i = 0; i < kids; i++) {
			pid_t pid = fork();
			int st;

			if (pid == 0)
				_exit(loops(rw_getppid, 100) ? 1 : 0);
			if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
				bad++;
		}
		for (long i = 0; i < t && i < 64; i++) {
			void *r;

			pthread_join(th[i], &r);
			bad += (long)r;
		}
		printf(bad ? "bad %ld\n" : "ok\n", bad);
	} else if (!strcmp(m, "bytes")) {
		const unsigned char *p = (const unsigned char *)rw_getppid;

		printf("before %02x %02x\n", p[0], p[5]);
		loops(rw_getppid, 2);
		printf("after %02x %02x\n", p[0], p[5]);
	} else if (!strcmp(m, "open")) {
		for (int i = 0; i < 2; i++) {
			char buf[256];
			long fd = rw_openat(AT_FDCWD, argv[2], O_RDONLY), k;

			if (fd < 0) {
				printf("open %s\n", strerror((int)-fd));
				continue;
			}
			k = read((int)fd, buf, sizeof(buf) - 1);
			close((int)fd);
			buf[k > 0 ? k : 0] = 0;
			printf("%s", buf);
		}
	}
	return 0;
}
