/*
 * baseline-seccomp-ptrace PROGRAM ARGS -- the seed virtualization with
 * seccomp + ptrace: a filter returns SECCOMP_RET_TRACE for open/openat
 * only, so the tracer stops the program only there (PTRACE_EVENT_SECCOMP);
 * every other call runs at native speed. For /etc/passwd the tracer
 * rewrites the path register as baseline-ptrace does, and resumes with
 * PTRACE_SYSCALL to get the one syscall-exit stop where it puts it back.
 */
#include "baseline.h"
#include "tracees.h"
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

static void child_main(char **argv)
{
	struct sock_filter f[] = BL_FILTER(SECCOMP_RET_TRACE);
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (ptrace(PTRACE_TRACEME, 0, 0, 0))
		bl_die("baseline-seccomp-ptrace", "PTRACE_TRACEME");
	raise(SIGSTOP);		/* the tracer sets PTRACE_O_TRACESECCOMP first */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		bl_die("baseline-seccomp-ptrace", "seccomp");
	execvp(argv[1], argv + 1);
	fprintf(stderr, "baseline-seccomp-ptrace: %s: %s\n", argv[1], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	pid_t child, pid;
	int st, code = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: baseline-seccomp-ptrace PROGRAM ARGS\n");
		return 2;
	}
	child = fork();
	if (child < 0)
		bl_die("baseline-seccomp-ptrace", "fork");
	if (child == 0)
		child_main(argv);
	if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st))
		bl_die("baseline-seccomp-ptrace", "first stop");
	if (ptrace(PTRACE_SETOPTIONS, child, 0, BL_TRACE_OPTS | PTRACE_O_TRACESECCOMP))
		bl_die("baseline-seccomp-ptrace", "PTRACE_SETOPTIONS");
	bl_tracee(child, 1, NULL);
	ptrace(PTRACE_CONT, child, 0, 0);
	while ((pid = waitpid(-1, &st, __WALL)) != -1 || errno == EINTR) {
		struct tracee *t;
		int fresh, sig, inject = 0;
		enum __ptrace_request resume = PTRACE_CONT;

		if (pid < 0)
			continue;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == child)
				code = bl_status(st);
			bl_forget(pid);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		t = bl_tracee(pid, 1, &fresh);
		sig = WSTOPSIG(st);
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
			if (t && bl_rewrite(t))
				resume = PTRACE_SYSCALL;	/* stop once more at its exit */
		} else if (sig == (SIGTRAP | 0x80)) {
			if (t)
				bl_restore(t);
		} else if (st >> 16) {
			/* fork/clone/exec event */
		} else if (!(fresh && sig == SIGSTOP)) {
			inject = sig;
		}
		ptrace(resume, pid, 0, inject);
	}
	return code;
}
