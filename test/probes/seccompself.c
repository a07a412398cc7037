/* seccompself -- a program under its own seccomp filter, as sandboxed
 * programs are (issue 13 item 3):
 *   seccompself deny NR [prctl]  a filter (seccomp(2), or prctl) that fails
 *                                system call NR with EPERM; then reads FILE
 *                                raw, through stdio, by a relative name,
 *                                from a thread, and (unless NR is
 *                                rt_sigreturn) in a signal handler
 *   seccompself strict           SECCOMP_MODE_STRICT, then a raw read and
 *                                write, then exit (the only calls allowed)
 *   seccompself strict-violate   the same, then getpid: the kernel kills it
 * FILE is /etc/passwd; each line is "what: first line" or "what: ERRNO". */
#include "probe.h"
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>

static void first(const char *what, long n, const char *buf)
{
	const char *nl;

	if (n < 0) {
		printf("%s: %s\n", what, strerrorname_np((int)-n));
		return;
	}
	nl = strchr(buf, '\n');
	printf("%s: %.*s\n", what, nl ? (int)(nl - buf) : (int)strlen(buf), buf);
}

static long stdio_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	buf[0] = 0;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	return (long)strlen(buf);
}

static void *thread_fn(void *a)
{
	static char buf[65536];

	(void)a;
	first("thread", raw_slurp("/etc/passwd", buf, sizeof(buf)), buf);
	return NULL;
}

static volatile long in_handler = 1;
static char hbuf[65536];

static void on_usr1(int sig)
{
	(void)sig;
	in_handler = raw_slurp("/etc/passwd", hbuf, sizeof(hbuf));
}

int main(int argc, char **argv)
{
	static char buf[65536];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strncmp(argv[1], "strict", 6)) {
		static const char ok[] = "strict: ok\n";
		long n;

		fflush(stdout);
		CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) == 0);
		n = raw3(SYS_read, 0, buf, sizeof(buf));
		raw3(SYS_write, 1, ok, sizeof(ok) - 1);
		raw3(SYS_write, 1, buf, n > 0 ? n : 0);
		if (!strcmp(argv[1], "strict-violate"))
			raw3(SYS_getpid, 0, 0, 0);
		for (;;)
			raw3(SYS_exit, 0, 0, 0);
	}
	if (argc > 2 && !strcmp(argv[1], "deny")) {
		int nr = atoi(argv[2]);
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog fp = { sizeof(f) / sizeof(f[0]), f };
		pthread_t t;

		CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
		if (argc > 3 && !strcmp(argv[3], "prctl"))
			CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == 0);
		else
			CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0);
		first("raw", raw_slurp("/etc/passwd", buf, sizeof(buf)), buf);
		first("stdio", stdio_read("/etc/passwd", buf, sizeof(buf)), buf);
		if (chdir("/etc") == 0)
			first("relative", raw_slurp("passwd", buf, sizeof(buf)), buf);
		else
			printf("relative: %s\n", strerrorname_np(errno));
		if (pthread_create(&t, NULL, thread_fn, NULL) == 0)
			pthread_join(t, NULL);
		else
			printf("thread: failed\n");
		if (nr != SYS_rt_sigreturn) {
			signal(SIGUSR1, on_usr1);
			raise(SIGUSR1);
			first("handler", in_handler, hbuf);
		}
		printf("getpid: %s\n", raw3(SYS_getpid, 0, 0, 0) > 0 ? "ok" : "failed");
		return 0;
	}
	fprintf(stderr, "usage: seccompself deny NR [prctl] | strict | strict-violate\n");
	return 2;
}
