/*
 * procmodel.c -- the bottom of the stack: calls that vu itself must handle
 * rather than pass to the kernel as they are. In "all" mode that is the
 * process model (threads, fork, signal masks and handlers, SUD itself); in
 * both modes exec (LD_PRELOAD and VU_CONFIG go to the child) and vu's own
 * file descriptors.
 */
#include <sched.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include "vu_core.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif

long vu_exec_bottom(struct vu_call *c, vu_bottom_fn *bottom) VU_HIDDEN;

int vu_core_wants(long nr)
{
	/* a new working directory or root: the verdict cache forgets */
	if (vu.nlayers > 0 && (vu_sem_kind[nr] == VU_OP_CHDIR || nr == SYS_unshare || nr == SYS_setns))
		return 1;
	switch (nr) {
	case SYS_execve:
	case SYS_execveat:
		return vu.mode != VU_MODE_OFF;
	case SYS_close:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_close_range:
		return vu_fd_count() > 0;
	case SYS_io_uring_setup:
		return vu.nlayers > 0;
	case SYS_seccomp:
		return vu.mode != VU_MODE_OFF;	/* (seccomp.c: vu's own calls stay possible) */
	case SYS_clone:
	case SYS_clone3:
	case SYS_fork:
	case SYS_vfork:
	case SYS_exit:
	case SYS_rt_sigaction:
	case SYS_rt_sigprocmask:
	case SYS_rt_sigsuspend:
	case SYS_ppoll:
	case SYS_pselect6:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_sigaltstack:
	case SYS_prctl:
		return vu.mode == VU_MODE_ALL;
	case SYS_arch_prctl:
	case SYS_brk:
	case SYS_readlink:
	case SYS_readlinkat:
	case SYS_exit_group:
		return vu_foreign;
	}
	return 0;
}

static long real(struct vu_call *c, vu_bottom_fn *bottom)
{
	return bottom ? bottom(c) : vu_gate_call(c);
}

static void after_fork_child(void)
{
	if (vu_self)
		vu_self->tid = vu_sys0(SYS_gettid);
	vu_signals_owner();
	vu_stats_forked();
	vu_rewrite_forked();
	if (vu_sud_arm())
		vu_sys1(SYS_exit_group, 125);	/* never run unvirtualized */
}

static long do_fork(unsigned long flags, long ptid, long ctid, long tls)
{
	long r = vu_sys5(SYS_clone, flags & ~(CLONE_VM | CLONE_VFORK), 0, ptid, ctid, tls);

	if (r == 0)
		after_fork_child();
	return r;
}

/* clone with a new stack: re-issued by vu_clone_tramp after sigreturn, so
 * the child starts on its own stack and not inside this signal frame. */
/* the thread pointer a CLONE_SETTLS child starts with: 0 when vu can run
 * on it (a C library thread block: its first word points at itself, and
 * vu's own slot in it is free), 1 when vu's slot is taken by a live thread
 * (whose block the child then shares, as a child without CLONE_SETTLS
 * shares its parent's), -1 when vu cannot use it (no such block: vu's code
 * could not find its own state from it). Read with process_vm_readv: a bad
 * pointer gives EFAULT, not a fault. */
static int tls_state(unsigned long tls, struct vu_thread **owner)
{
	unsigned long tp, off, got[2] = { 0, 0 };
	struct iovec local[2] = { { &got[0], 8 }, { &got[1], 8 } }, remote[2];
	long n;

	__asm__("movq %%fs:0, %0" : "=r"(tp));
	off = (unsigned long)&vu_self - tp;
	remote[0] = (struct iovec){ (void *)tls, 8 };
	remote[1] = (struct iovec){ (void *)(tls + off), 8 };
	n = vu_sys6(SYS_process_vm_readv, vu_sys0(SYS_getpid), local, 2, remote, 2, 0);
	if (n == -ENOSYS || n == -EPERM || n == -EACCES)
		return 0;	/* cannot look (a filter): as before */
	if (n != 16 || got[0] != tls)
		return -1;
	*owner = (struct vu_thread *)got[1];
	return got[1] ? 1 : 0;
}

static long clone_via_tramp(struct vu_call *c, ucontext_t *uc)
{
	greg_t *g = uc ? uc->uc_mcontext.gregs : NULL;
	unsigned long sp = (unsigned long)c->args[1];
	struct vu_thread *owner = NULL;

	if ((c->args[0] & (CLONE_VM | CLONE_SETTLS)) == (CLONE_VM | CLONE_SETTLS) && !vu_foreign) {
		switch (tls_state((unsigned long)c->args[4], &owner)) {
		case -1:
			vu_log("clone: refused a thread whose thread pointer (CLONE_SETTLS 0x%lx) is "
			       "not a C library thread block: vu could not find its own state from it", c->args[4]);
			return -EINVAL;
		case 1:
			owner->tls_shared = 1;	/* the child runs on a live thread's TLS */
			break;
		}
	}
	if ((c->args[0] & CLONE_VM) && !(c->args[0] & (CLONE_VFORK | CLONE_SETTLS)) && vu_self)
		vu_self->tls_shared = 1;	/* the child runs on this thread's TLS */
	if ((c->args[0] & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK) && vu_self) {
		vu_self->vfork_depth = vu_self->depth - 1;	/* this call's level */
		vu_self->vfork_pending = 1;
		vu_vc_spawning = 1;	/* (the verdict cache looks at vfork_pending from now on) */
	}
	if (!g)
		return vu_rewrite_clone(c);	/* from a rewritten site: its registers */
	*(unsigned long *)(sp - 8) = g[REG_RIP];
	g[REG_RSI] = sp - 8;
	if (vu_foreign) {
		/* the child's own block and vu thread pointer, made here: it
		 * cannot run vu's code before it has them (static.c) */
		struct vu_fx *fx = NULL;

		if ((c->args[0] & CLONE_VM) && !(c->args[0] & CLONE_VFORK) &&
		    !(fx = vu_foreign_new_thread()))
			return -EAGAIN;
		*(unsigned long *)(sp - 16) = (unsigned long)fx;
		g[REG_RSI] = sp - 16;
		vu_self->fx.clone_ret = g[REG_RIP];
		g[REG_RIP] = (greg_t)vu_clone_tramp_foreign;
		return c->nr;
	}
	vu_clone_ret = g[REG_RIP];
	g[REG_RIP] = (greg_t)vu_clone_tramp;
	return c->nr;	/* rax must hold the syscall number again */
}

static long sigprocmask_uc(struct vu_call *c, ucontext_t *uc)
{
	unsigned long *cur = (unsigned long *)&uc->uc_sigmask;
	const unsigned long *set = (const unsigned long *)c->args[1];
	unsigned long *oset = (unsigned long *)c->args[2];
	unsigned long old = *cur, nw = old;

	if (c->args[3] != 8)
		return -EINVAL;
	if (set) {
		switch (c->args[0]) {
		case SIG_BLOCK: nw = old | *set; break;
		case SIG_UNBLOCK: nw = old & ~*set; break;
		case SIG_SETMASK: nw = *set; break;
		default: return -EINVAL;
		}
	}
	if (oset)
		*oset = old;
	*cur = nw & ~(VU_SIGBIT(SIGSYS) | VU_SIGBIT(SIGKILL) | VU_SIGBIT(SIGSTOP));
	return 0;
}

/* replace the sigset argument i by a copy without SIGSYS */
static void strip_sigsys_arg(struct vu_call *c, int i)
{
	const unsigned long *set = (const unsigned long *)c->args[i];

	if (!set)
		return;
	c->core_tmp[0] = *set & ~VU_SIGBIT(SIGSYS);
	c->args[i] = (long)&c->core_tmp[0];
}

static long pselect_strip(struct vu_call *c, vu_bottom_fn *bottom)
{
	/* the 6th argument points to { const sigset_t *ss; size_t ss_len; } */
	const long *data = (const long *)c->args[5];
	long copy[2];

	if (data && data[0]) {
		c->core_tmp[0] = *(const unsigned long *)data[0] & ~VU_SIGBIT(SIGSYS);
		copy[0] = (long)&c->core_tmp[0];
		copy[1] = data[1];
		c->args[5] = (long)copy;
	}
	return real(c, bottom);
}

/*
 * altstack_kernel_ok -- would the kernel arm stack n? Its checks are its
 * own: MINSIGSTKSZ (2048 on x86; not glibc's, which under _GNU_SOURCE is
 * sysconf(_SC_SIGSTKSZ), four times AT_MINSIGSTKSZ or 8 KiB, and refused
 * every classic size) and, on x86 with dynamic xstate (AMX), room for the
 * whole signal frame. So ask it: arm n, then put back what was armed (vu's
 * stack, or none while vu's SS_AUTODISARM handler runs on it), with every
 * signal blocked so none lands on n meanwhile. vu itself needs nothing on
 * the program's stack: the kernel's frames go on vu's own.
 */
static long altstack_kernel_ok(const stack_t *n)
{
	unsigned long all = ~0UL, mask;
	stack_t cur;
	long r;

	vu_sys4(SYS_rt_sigprocmask, SIG_BLOCK, &all, &mask, 8);
	r = vu_sys2(SYS_sigaltstack, n, &cur);
	if (!r)
		vu_sys2(SYS_sigaltstack, &cur, 0);
	vu_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &mask, 0, 8);
	return r;
}

/* sigaltstack as the kernel does it (kernel/signal.c do_sigaltstack), on
 * the program's virtual stack: vu's own stays armed. sp is where the
 * program runs (SS_ONSTACK, EPERM while on it). */
static long altstack_emul(struct vu_call *c)
{
	struct vu_thread *t = vu_self;
	const stack_t *ss = (const stack_t *)c->args[0];
	stack_t *old = (stack_t *)c->args[1];
	unsigned long sp = c->source == VU_SRC_SUD ? t->sud_rsp :
			   (unsigned long)__builtin_frame_address(0);
	int autodisarm, on;
	stack_t prev = { 0 };

	if (!t || !t->own_altstack)
		return vu_gate_call(c);
	autodisarm = (t->app_altstack.ss_flags & SS_AUTODISARM) != 0;
	on = !autodisarm && vu_app_altstack_has(t, sp);
	prev.ss_sp = t->app_altstack.ss_sp;
	prev.ss_size = t->app_altstack.ss_size;
	prev.ss_flags = (!prev.ss_size ? SS_DISABLE : on ? SS_ONSTACK : 0) |
			(t->app_altstack.ss_flags & SS_AUTODISARM);
	if (ss) {
		stack_t n = *ss;
		int mode = n.ss_flags & ~SS_AUTODISARM;

		if (on)
			return -EPERM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			n.ss_sp = 0;
			n.ss_size = 0;
		} else {
			long r = altstack_kernel_ok(&n);

			if (r)
				return r;
		}
		t->app_altstack = n;
	}
	if (old)
		*old = prev;
	return 0;
}

/* (not instrumented in a sanitizer build: ASan would call into libc,
 * which traps, right before the noreturn exit while SIGSYS is blocked) */
static VU_NO_ASAN long thread_exit(struct vu_call *c)
{
	struct vu_thread *t = vu_self;
	unsigned long all = ~0UL;

	if (!t || !t->own_altstack || t->tid != vu_sys0(SYS_gettid))
		return vu_gate_call(c);
	/* no signal may land on the stack about to be unmapped */
	vu_sys4(SYS_rt_sigprocmask, SIG_BLOCK, &all, 0, 8);
	vu_exit_unmap(t, sizeof(*t), (int)c->args[0]);
}

static long all_mode(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc, int *handled)
{
	*handled = 1;
	switch (c->nr) {
	case SYS_clone3:
		return -ENOSYS;		/* glibc falls back to clone */
	case SYS_clone:
		if (c->args[1] && (uc || vu_rewrite_marked(c)))
			return clone_via_tramp(c, uc);
		if (!uc && (bottom || c->args[1]))
			break;	/* glibc's clone behind a wrapper */
		return do_fork(c->args[0], c->args[2], c->args[3], c->args[4]);
	case SYS_fork:
	case SYS_vfork:
		return do_fork(SIGCHLD, 0, 0, 0);
	case SYS_rt_sigprocmask:
		if (uc)
			return sigprocmask_uc(c, uc);
		strip_sigsys_arg(c, 1);
		return real(c, bottom);
	case SYS_rt_sigaction:
		if (c->core_tmp[1] == VU_REAL_MARK)
			break;	/* spawn.c's child: the kernel's, not the emulation */
		return vu_sigaction_emul((int)c->args[0], (const void *)c->args[1],
					 (void *)c->args[2], c->args[3]);
	case SYS_rt_sigsuspend:
		strip_sigsys_arg(c, 0);
		return real(c, bottom);
	case SYS_ppoll:
		strip_sigsys_arg(c, 3);
		return real(c, bottom);
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		strip_sigsys_arg(c, 4);
		return real(c, bottom);
	case SYS_pselect6:
		return pselect_strip(c, bottom);
	case SYS_sigaltstack:
		return altstack_emul(c);
	case SYS_prctl:
		if (c->args[0] == PR_SET_SYSCALL_USER_DISPATCH) {
			vu_debug("refused the program's prctl(PR_SET_SYSCALL_USER_DISPATCH)");
			return -EPERM;
		}
		break;
	case SYS_exit:
		if (uc || vu_rewrite_marked(c))	/* (rewrite.c: on vu's stack) */
			return thread_exit(c);
		break;
	}
	*handled = 0;
	return 0;
}

/* the calls whose bottom is more than the real call (1), worked out with
 * the interest (vu_core_bottom_compute): 1 for all in "all" mode and in
 * foreign mode */
unsigned char vu_core_special[VU_NR_COUNT] = { [0 ... VU_NR_COUNT - 1] = 1 };

void vu_core_bottom_compute(void)
{
	static const long special[] = { SYS_execve, SYS_execveat, SYS_seccomp, SYS_prctl, SYS_io_uring_setup,
					SYS_close, SYS_dup2, SYS_dup3, SYS_close_range };

	/* (a fill and nine stores: a loop of comparisons was 4,000 instructions
	 * of every start-up) */
	__builtin_memset(vu_core_special, vu.mode == VU_MODE_ALL || vu_foreign, sizeof(vu_core_special));
	for (unsigned i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (special[i] >= 0 && special[i] < VU_NR_COUNT)
			vu_core_special[special[i]] = 1;
}

/* vu_core_bottom -- below the last layer. */
long vu_core_bottom(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc)
{
	int handled = 0;
	long r;

	if (c->nr >= 0 && c->nr < VU_NR_COUNT && !vu_core_special[c->nr])
		return bottom ? bottom(c) : vu_gate_call(c);
	switch (c->nr) {
	case SYS_execve:
	case SYS_execveat:
		return vu_exec_bottom(c, bottom);
	case SYS_seccomp:
		return vu_seccomp_bottom(c, bottom);
	case SYS_prctl:
		if (c->args[0] == PR_SET_SECCOMP)
			return vu_seccomp_bottom(c, bottom);
		break;
	case SYS_io_uring_setup:
		if (!vu.nlayers)
			break;
		/* io_uring submits opens, stats and reads that no wrapper and
		 * no trap would see: refuse it while layers are active, so that
		 * libuv, liburing users and others fall back to system calls */
		vu_debug("refused io_uring_setup: layers are active");
		return -ENOSYS;
	case SYS_close:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_close_range:
		r = vu_fd_bottom(c, &handled);
		if (handled)
			return r;
		break;
	}
	if (vu_foreign) {
		r = vu_foreign_bottom(c, uc, &handled);
		if (handled)
			return r;
	}
	if (vu.mode == VU_MODE_ALL) {
		r = all_mode(c, bottom, uc, &handled);
		if (handled)
			return r;
	}
	return real(c, bottom);
}
