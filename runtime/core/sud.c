/*
 * sud.c -- Syscall User Dispatch: per-thread arming, vu's per-thread block
 * (signal stack and scratch), and the SIGSYS handler that turns a trapped
 * syscall instruction into a struct vu_call.
 *
 * The selector byte is per thread and BLOCK by default; only code inside the
 * gate region (gate.S) may issue system calls while it is BLOCK.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "vu_core.h"
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif
#define VU_SEL_BLOCK 1

__thread unsigned char vu_selector __attribute__((tls_model("initial-exec"))) = VU_SEL_BLOCK;
__thread struct vu_thread *vu_self __attribute__((tls_model("initial-exec")));
__thread unsigned long vu_clone_ret __attribute__((tls_model("initial-exec")));
/* fd + 1 while vu's own fopen has glibc's fdopen make a stream on fd: its
 * fcntl on that fd is vu's business (glibc's fopen makes none), not the
 * program's call, and goes to the kernel without the stack (0: none) */
__thread int vu_quiet_fd1 __attribute__((tls_model("initial-exec")));
__thread long vu_pass_nr1 __attribute__((tls_model("initial-exec")));

/* vu_selector_allow, vu_selector_restore -- vu_allow and vu_restore of
 * vu_wrap.h (inline in the wrappers) for layers and plugins. */
unsigned char vu_selector_allow(void)
{
	return vu_allow();
}

void vu_selector_restore(unsigned char s)
{
	vu_restore(s);
}

/* vu_thread_new -- map a fresh vu block (not yet installed anywhere). */
struct vu_thread *vu_thread_new(void)
{
	long p = vu_sys6(SYS_mmap, 0, sizeof(struct vu_thread), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p < 0 && p > -4096)
		return NULL;
	vu_sys3(SYS_mprotect, p, VU_GUARD_SIZE, PROT_NONE);
	return (struct vu_thread *)p;
}

/* In "libc" mode no exit system call of a thread is seen: a thread's
 * block is given back by a thread-specific data destructor instead (one
 * more block per thread, 1.1 MiB of address space, stayed mapped: 300
 * short python threads grew the process by 330 MiB). A wrapped call in a
 * later destructor maps a block again, which glibc's next destructor round
 * gives back. In "all" mode the trapped exit unmaps it (vu_exit_unmap). */
static pthread_key_t block_key;
static int block_key_ok;

static void block_free(void *b)
{
	if (vu_self == b)
		vu_self = NULL;
	vu_sys2(SYS_munmap, b, sizeof(struct vu_thread));
}

/* vu_thread_blocks_freed -- at start-up, "libc" mode */
void vu_thread_blocks_freed(void)
{
	block_key_ok = !pthread_key_create(&block_key, block_free);
	if (block_key_ok && vu_self)
		pthread_setspecific(block_key, vu_self);
}

/* vu_thread_self -- this thread's block, mapped on first use. */
struct vu_thread *vu_thread_self(void)
{
	if (!vu_self) {
		vu_self = vu_thread_new();
		if (vu_self) {
			vu_self->tid = vu_sys0(SYS_gettid);
			if (block_key_ok)
				pthread_setspecific(block_key, vu_self);
		}
	}
	return vu_self;
}

/* vu_altstack_full -- vu's whole signal stack, as installed. SS_AUTODISARM:
 * while a handler runs on it the thread has no armed altstack, so nested
 * signals stack below on the current stack, a handler may be moved to the
 * program's own altstack without a nested signal landing on top of it, and
 * the frame's uc_stack says what sigreturn re-arms. */
void vu_altstack_full(struct vu_thread *t, stack_t *ss)
{
	ss->ss_sp = t->altstack;
	ss->ss_flags = SS_AUTODISARM;
	ss->ss_size = VU_ALTSTACK_SIZE;
}

int vu_altstack_has(const struct vu_thread *t, unsigned long sp)
{
	return t && sp >= (unsigned long)t->altstack &&
	       sp <= (unsigned long)t->altstack + VU_ALTSTACK_SIZE;
}

int vu_app_altstack_has(const struct vu_thread *t, unsigned long sp)
{
	unsigned long lo;

	if (!t || !t->app_altstack.ss_size)
		return 0;
	lo = (unsigned long)t->app_altstack.ss_sp;
	return sp > lo && sp <= lo + t->app_altstack.ss_size;
}

static int install_altstack(struct vu_thread *t)
{
	stack_t ss;
	long r;

	vu_altstack_full(t, &ss);
	r = vu_sys2(SYS_sigaltstack, &ss, 0);

	if (!r)
		t->own_altstack = 1;
	return (int)r;
}

/* vu_sud_arm -- turn dispatch on for the calling thread. */
int vu_sud_used;

int vu_sud_arm(void)
{
	vu_sud_used = 1;
	vu_selector = VU_SEL_BLOCK;
	return (int)vu_sys5(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			    (unsigned long)vu_gate_start,
			    (unsigned long)(vu_gate_end - vu_gate_start), &vu_selector);
}

/* vu_thread_child -- first thing a clone child runs (from vu_clone_tramp):
 * threads get their own vu block and signal stack, then SUD is armed. */
void vu_thread_child(unsigned long flags)
{
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
		struct vu_thread *t = vu_thread_new();

		if (t) {
			t->tid = vu_sys0(SYS_gettid);
			install_altstack(t);
			/* a thread without its own TLS shares the parent's
			 * vu_self, one on a live thread's TLS that thread's
			 * (procmodel.c tls_state): leave those alone */
			if ((flags & CLONE_SETTLS) && !vu_self)
				vu_self = t;
		}
	}
	if (!(flags & CLONE_VM))
		vu_signals_owner();	/* a copy of memory: a process of its own */
	if (vu_sud_arm())
		vu_sys1(SYS_exit_group, 125);	/* never run unvirtualized */
}

void vu_sigsys(int sig, siginfo_t *si, void *ucv) VU_HIDDEN;

/* vu_sud_install -- SIGSYS handler, signal stack, dispatch for the main
 * thread. Returns 0 or -errno. */
int vu_sud_install(void)
{
	struct vu_ksigaction ka = {
		.handler = (void *)vu_sigsys,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART | VU_SA_RESTORER,
		.restorer = (void *)vu_restorer,
		.mask = 0,
	};
	unsigned long unblock = VU_SIGBIT(SIGSYS);
	struct vu_thread *t = vu_thread_self();
	long r;

	if (!t)
		return -ENOMEM;
	vu_signals_owner();
	r = vu_sys4(SYS_rt_sigaction, SIGSYS, &ka, 0, 8);
	if (r)
		return (int)r;
	/* exec keeps the blocked mask: SIGSYS must be deliverable */
	vu_sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, 0, 8);
	install_altstack(t);
	return vu_sud_arm();
}

/* vu_sud_foreign_install -- foreign mode (static.c): the SIGSYS handler
 * behind its %fs-switching entry. */
int vu_sud_foreign_install(void)
{
	struct vu_ksigaction ka = {
		.handler = (void *)vu_foreign_entry_sigsys,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART | VU_SA_RESTORER,
		.restorer = (void *)vu_restorer,
		.mask = 0,
	};

	return (int)vu_sys4(SYS_rt_sigaction, SIGSYS, &ka, 0, 8);
}

/* vu_foreign_thread_child -- vu_thread_child in foreign mode (from
 * vu_clone_tramp_foreign, with vu's fs): the block and thread pointer the
 * parent made for this thread (fx), or none for a vfork child. */
void vu_foreign_thread_child(unsigned long flags, struct vu_fx *fx)
{
	if (fx) {
		struct vu_thread *t = fx->block;

		vu_self = t;
		t->tid = vu_sys0(SYS_gettid);
		install_altstack(t);
	}
	if (!(flags & CLONE_VM))
		vu_signals_owner();
	if (vu_sud_arm())
		vu_sys1(SYS_exit_group, 125);	/* never run unvirtualized */
}

void vu_sigsys_forward(int sig, siginfo_t *si, ucontext_t *uc) VU_HIDDEN;

void vu_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved_errno = errno;
	struct vu_call c;

#if defined(__SANITIZE_ADDRESS__)
	/* sanitizer build: frames abandoned on this stack (a vfork child's
	 * exec, a longjmp) left their redzones poisoned; below this frame the
	 * stack is free */
	if (vu_self && vu_altstack_has(vu_self, (unsigned long)__builtin_frame_address(0)))
		__asan_unpoison_memory_region(vu_self->altstack,
					      (char *)__builtin_frame_address(0) - 512 -
					      vu_self->altstack);
#endif
	if (si->si_code != SYS_USER_DISPATCH) {
		vu_sigsys_forward(sig, si, uc);
		return;
	}
	c.nr = g[REG_RAX];
	c.args[0] = g[REG_RDI];
	c.args[1] = g[REG_RSI];
	c.args[2] = g[REG_RDX];
	c.args[3] = g[REG_R10];
	c.args[4] = g[REG_R8];
	c.args[5] = g[REG_R9];
	c.ret = 0;
	c.source = VU_SRC_SUD;
	c.depth = 0;
	c.scratch = 0;
	c.scratch_used = 0;
	c.core_tmp[0] = c.core_tmp[1] = 0;
	c.op = 0;
	if (__builtin_expect(vu_stats_on, 0))
		vu_stats_site((unsigned long)g[REG_RIP], c.nr);
	if (vu_rewrite_on)
		vu_rewrite_trap((unsigned long)g[REG_RIP], c.nr);	/* later calls: a function call */
	if (__builtin_expect(vu_pass_nr1, 0) && c.nr + 1 == vu_pass_nr1) {
		vu_pass_nr1 = 0;	/* seen by the stack in the wrapper: once */
		g[REG_RAX] = vu_app_syscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5]);
		errno = saved_errno;
		return;
	}
	if (__builtin_expect(c.nr == SYS_fcntl && vu_quiet_fd1, 0) && c.args[0] == vu_quiet_fd1 - 1) {
		g[REG_RAX] = vu_app_syscall6(c.nr, c.args[0], c.args[1], c.args[2], 0, 0, 0);
		errno = saved_errno;
		return;
	}
	if (vu_self) {
		unsigned long prev = vu_self->sud_rsp;

		vu_self->sud_rsp = g[REG_RSP];
		/* the program at its own top level: sigreturn re-arms all of
		 * vu's signal stack (a handler left by longjmp may have left
		 * a smaller part of it armed). Only on that stack: a thread
		 * sharing this block (no TLS of its own) runs on its own, and
		 * given this one's it would write its frames over this
		 * thread's live ones. */
		if (vu_self->own_altstack && !vu_self->on_app_stack &&
		    vu_altstack_has(vu_self, (unsigned long)__builtin_frame_address(0)) &&
		    !vu_altstack_has(vu_self, g[REG_RSP]) &&
		    !vu_app_altstack_has(vu_self, g[REG_RSP]))
			vu_altstack_full(vu_self, &uc->uc_stack);
		g[REG_RAX] = vu_dispatch(&c, NULL, uc);
		vu_self->sud_rsp = prev;
	} else {
		g[REG_RAX] = vu_dispatch(&c, NULL, uc);
	}
	errno = saved_errno;
}
