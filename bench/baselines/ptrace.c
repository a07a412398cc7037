/*
 * baseline-ptrace PROGRAM ARGS -- the seed virtualization with plain
 * ptrace: PTRACE_SYSCALL stops the program (and its children) at the entry
 * and the exit of every system call; at the entry of open/openat of
 * /etc/passwd the tracer writes "/etc/hostname" below the tracee's stack
 * pointer and points the path register at it, and puts the register back
 * at the exit. Every other call costs the two stops and a GETREGS.
 */
#include "baseline.h"
#include "tracees.h"
#include <signal.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child, pid;
	int st, code = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: baseline-ptrace PROGRAM ARGS\n");
		return 2;
	}
	child = fork();
	if (child < 0)
		bl_die("baseline-ptrace", "fork");
	if (child == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			bl_die("baseline-ptrace", "PTRACE_TRACEME");
		raise(SIGSTOP);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "baseline-ptrace: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st))
		bl_die("baseline-ptrace", "first stop");
	if (ptrace(PTRACE_SETOPTIONS, child, 0, BL_TRACE_OPTS))
		bl_die("baseline-ptrace", "PTRACE_SETOPTIONS");
	bl_tracee(child, 1, NULL);
	ptrace(PTRACE_SYSCALL, child, 0, 0);
	while ((pid = waitpid(-1, &st, __WALL)) != -1 || errno == EINTR) {
		struct tracee *t;
		int fresh, sig, inject = 0;

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
		if (sig == (SIGTRAP | 0x80)) {
			if (t && !t->in_syscall) {
				t->in_syscall = 1;
				bl_rewrite(t);
			} else if (t) {
				t->in_syscall = 0;
				bl_restore(t);
			}
		} else if (st >> 16) {
			/* fork/clone/exec event: nothing to do */
		} else if (!(fresh && sig == SIGSTOP)) {
			inject = sig;	/* a real signal: deliver it */
		}
		ptrace(PTRACE_SYSCALL, pid, 0, inject);
	}
	return code;
}
