/*
 * tracees.h -- the two ptrace baselines' bookkeeping: per traced thread,
 * whether it is inside a system call and which path register the tracer
 * rewrote (to put back at syscall exit: the syscall instruction preserves
 * rdi/rsi, and compiled code relies on it).
 */
#ifndef TRACEES_H
#define TRACEES_H

#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>

#define BL_MAXT 4096
#define BL_TOMB (-1)

struct tracee {
	pid_t pid;		/* 0: free, BL_TOMB: was used */
	int in_syscall;
	int arg;		/* path argument rewritten (0 or 1), or -1 */
	unsigned long saved;	/* its original value */
};

static struct tracee bl_tab[BL_MAXT];

/* find pid's entry; create it when create is set. *fresh: it was new. */
static inline struct tracee *bl_tracee(pid_t pid, int create, int *fresh)
{
	struct tracee *free_slot = NULL;

	if (fresh)
		*fresh = 0;
	for (unsigned i = 0; i < BL_MAXT; i++) {
		struct tracee *t = &bl_tab[((unsigned)pid + i) % BL_MAXT];

		if (t->pid == pid)
			return t;
		if (t->pid == BL_TOMB && !free_slot)
			free_slot = t;
		if (t->pid == 0) {
			if (!free_slot)
				free_slot = t;
			break;
		}
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->pid = pid;
	free_slot->in_syscall = 0;
	free_slot->arg = -1;
	if (fresh)
		*fresh = 1;
	return free_slot;
}

static inline void bl_forget(pid_t pid)
{
	struct tracee *t = bl_tracee(pid, 0, NULL);

	if (t)
		t->pid = BL_TOMB;
}

static inline unsigned long *bl_arg_reg(struct user_regs_struct *r, int arg)
{
	return arg == 0 ? (unsigned long *)&r->rdi : (unsigned long *)&r->rsi;
}

/* at a stop before the open: if its path is SEED_FROM, point the path
 * register at a SEED_TO placed in the tracee. Returns 1 when rewritten. */
static inline int bl_rewrite(struct tracee *t)
{
	struct user_regs_struct r;
	unsigned long *reg, addr;
	int a;

	if (ptrace(PTRACE_GETREGS, t->pid, 0, &r))
		return 0;
	a = bl_path_arg((long)r.orig_rax);
	if (a < 0)
		return 0;
	reg = bl_arg_reg(&r, a);
	if (!bl_is_seed(t->pid, *reg) || !(addr = bl_place_seed(t->pid, r.rsp)))
		return 0;
	t->arg = a;
	t->saved = *reg;
	*reg = addr;
	return !ptrace(PTRACE_SETREGS, t->pid, 0, &r);
}

/* at the syscall-exit stop of a rewritten call: put the register back */
static inline void bl_restore(struct tracee *t)
{
	struct user_regs_struct r;

	if (t->arg < 0)
		return;
	if (!ptrace(PTRACE_GETREGS, t->pid, 0, &r)) {
		*bl_arg_reg(&r, t->arg) = t->saved;
		ptrace(PTRACE_SETREGS, t->pid, 0, &r);
	}
	t->arg = -1;
}

/* exit status of the launcher: the program's, or 128+signal */
static inline int bl_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define BL_TRACE_OPTS                                                                     \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
	 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

#endif
