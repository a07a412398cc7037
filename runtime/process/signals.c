/*
 * signals.c -- the program's signal handlers under SUD ("all" mode).
 *
 * - Every handler vu installs returns through vu_restorer, inside the gate
 *   region: glibc's __restore_rt would trap on rt_sigreturn.
 * - Program handlers run behind vu_sig_tramp, which sets the selector to
 *   BLOCK while they run: a signal may land while a libc wrapper has it at
 *   ALLOW, and the handler's own calls must still be seen.
 * - SIGSYS belongs to vu: the program's SIGSYS disposition is kept virtual
 *   and signals that are not syscall-dispatch traps (seccomp RET_TRAP,
 *   kill -SYS) are forwarded to it. No handler mask may block SIGSYS.
 */
#include <sys/syscall.h>
#include "vu_core.h"

#define VU_NSIG 65

static struct vu_ksigaction app_act[VU_NSIG];	/* what the program asked for */
static unsigned char app_known[VU_NSIG];
/* the process whose dispositions app_act holds: a vfork-style child shares
 * this memory but not its parent's dispositions, and must not write here */
static long owner_pid;

/* vu_signals_owner -- this process owns the table (start-up, after fork) */
void vu_signals_owner(void)
{
	owner_pid = vu_sys0(SYS_getpid);
}

/* a child sharing our memory (posix_spawn, vfork): dispositions go straight
 * to the kernel, with vu's restorer */
static long direct(int sig, const struct vu_ksigaction *act, struct vu_ksigaction *oact)
{
	struct vu_ksigaction k;

	if (!act)
		return vu_sys4(SYS_rt_sigaction, sig, 0, oact, 8);
	k = *act;
	k.mask &= ~VU_SIGBIT(SIGSYS);
	k.flags |= VU_SA_RESTORER;
	k.restorer = (void *)vu_restorer;
	return vu_sys4(SYS_rt_sigaction, sig, &k, oact, 8);
}

/*
 * The program's signal stack is virtual (vu's own is the armed one), but a
 * handler registered with SA_ONSTACK must run on the program's: Go checks
 * that its handler runs on the stack it gave. app_handler_sp says where the
 * kernel would have put it: the top of the program's altstack, or below the
 * interrupted sp when the program already runs on it. 0: stay here.
 */
static unsigned long app_handler_sp(struct vu_thread *t, const struct vu_ksigaction *a,
				    ucontext_t *uc)
{
	unsigned long sp, here = (unsigned long)__builtin_frame_address(0);

	if (!(a->flags & SA_ONSTACK) || !t || !t->own_altstack ||
	    !t->app_altstack.ss_size || vu_app_altstack_has(t, here))
		return 0;
	sp = uc->uc_mcontext.gregs[REG_RSP];
	if (vu_altstack_has(t, sp))
		sp = t->sud_rsp;	/* vu was interrupted: where the program was */
	if (vu_app_altstack_has(t, sp))
		sp -= 128 + 256;	/* below its red zone */
	else
		sp = (unsigned long)t->app_altstack.ss_sp + t->app_altstack.ss_size;
	return sp & ~15UL;
}

void vu_sig_tramp(int sig, siginfo_t *si, void *ucv) VU_HIDDEN;
void vu_sig_tramp(int sig, siginfo_t *si, void *ucv)
{
	unsigned char s = vu_selector;
	struct vu_thread *t = vu_self;
	struct vu_ksigaction a;
	unsigned long sp;

	vu_selector = 1;
	a = app_act[sig];
	if (a.flags & SA_RESETHAND)
		app_act[sig].handler = SIG_DFL;
	if (a.handler == SIG_DFL || a.handler == SIG_IGN) {
		vu_selector = s;
		return;
	}
	sp = app_handler_sp(t, &a, ucv);
	if (sp) {
		unsigned long here = (unsigned long)__builtin_frame_address(0);

		/* vu's stack is disarmed while this handler runs on it: arm the
		 * part below this frame, so the program's trapped calls and
		 * nested signals land there and not on its (maybe small) stack;
		 * sigreturn re-arms what the frame's uc_stack holds */
		if (vu_altstack_has(t, here) && here - (unsigned long)t->altstack > 65536) {
			stack_t sub = { .ss_sp = t->altstack, .ss_flags = SS_AUTODISARM,
					.ss_size = here - 4096 - (unsigned long)t->altstack };

			vu_sys2(SYS_sigaltstack, &sub, 0);
		}
		unsigned long rw_top = t->rw_top, low = rw_top ? rw_top :
			(unsigned long)t->altstack + VU_ALTSTACK_SIZE / 2;
		unsigned long isp = ((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RSP];

		/* a rewritten site's call from the handler starts below the
		 * live vu frames: this one, and the call this signal
		 * interrupted (a rewritten site's, in the middle of the stack) */
		if (vu_altstack_has(t, here) && here - 4096 < low)
			low = here - 4096;
		if (vu_altstack_has(t, isp) && isp - 512 < low)
			low = isp - 512;
		if (low != (rw_top ? rw_top : (unsigned long)t->altstack + VU_ALTSTACK_SIZE / 2))
			t->rw_top = low & ~63UL;
		t->on_app_stack++;
		if (vu_foreign)
			vu_call_app(sp, a.handler, sig, si, ucv);
		else
			vu_call_on_stack(sp, a.handler, sig, si, ucv);
		t->on_app_stack--;
		t->rw_top = rw_top;
	} else if (vu_foreign) {
		vu_call_app(0, a.handler, sig, si, ucv);	/* the program's %fs */
	} else if (a.flags & SA_SIGINFO) {
		((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, ucv);
	} else {
		((void (*)(int))a.handler)(sig);
	}
	vu_selector = s;
}

static long query(int sig)
{
	long r = 0;

	if (!app_known[sig]) {
		r = vu_sys4(SYS_rt_sigaction, sig, 0, &app_act[sig], 8);
		if (!r)
			app_known[sig] = 1;
	}
	return r;
}

/* vu_sigaction_emul -- rt_sigaction as the program sees it. */
long vu_sigaction_emul(int sig, const struct vu_ksigaction *act,
		       struct vu_ksigaction *oact, size_t size)
{
	struct vu_ksigaction old, k;
	long r;

	if (size != 8)
		return -EINVAL;
	if (sig < 1 || sig >= VU_NSIG)
		return -EINVAL;
	if (sig == SIGSYS) {
		if (!app_known[sig]) {
			app_act[sig].handler = SIG_DFL;
			app_known[sig] = 1;
		}
		old = app_act[sig];
		if (act) {
			app_act[sig] = *act;
			app_act[sig].flags &= VU_SA_UAPI;
		}
		if (oact)
			*oact = old;
		return 0;
	}
	if (sig == SIGKILL || sig == SIGSTOP)
		return vu_sys4(SYS_rt_sigaction, sig, act, oact, size);
	if (vu_sys0(SYS_getpid) != owner_pid)
		return direct(sig, act, oact);
	r = query(sig);
	if (r)
		return r;
	old = app_act[sig];
	if (act) {
		k = *act;
		k.mask &= ~VU_SIGBIT(SIGSYS);
		k.flags |= VU_SA_RESTORER;
		k.restorer = (void *)vu_restorer;
		if (k.handler != SIG_DFL && k.handler != SIG_IGN) {
			k.handler = vu_foreign ? (void *)vu_foreign_entry_sigtramp :
						 (void *)vu_sig_tramp;
			k.flags |= SA_SIGINFO;
		}
		app_act[sig] = *act;	/* before: a signal may come at once */
		app_act[sig].flags &= VU_SA_UAPI;
		r = vu_sys4(SYS_rt_sigaction, sig, &k, 0, 8);
		if (r) {
			app_act[sig] = old;
			return r;
		}
	}
	if (oact)
		*oact = old;
	return 0;
}

/* vu_sigsys_forward -- a SIGSYS that is not vu's: give it to the program's
 * disposition. */
void vu_sigsys_forward(int sig, siginfo_t *si, ucontext_t *uc)
{
	struct vu_ksigaction a = app_act[SIGSYS];

	if (!app_known[SIGSYS] || a.handler == SIG_DFL) {
		/* the default action: die of SIGSYS, with a core like the kernel */
		struct vu_ksigaction dfl = { .handler = SIG_DFL, .flags = VU_SA_RESTORER,
					     .restorer = (void *)vu_restorer };
		unsigned long m = VU_SIGBIT(SIGSYS);

		vu_sys4(SYS_rt_sigaction, SIGSYS, &dfl, 0, 8);
		vu_sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, 0, 8);
		vu_sys3(SYS_tgkill, vu_sys0(SYS_getpid), vu_sys0(SYS_gettid), SIGSYS);
		vu_sys1(SYS_exit_group, 128 + SIGSYS);
	}
	if (a.handler == SIG_IGN)
		return;
	if (a.flags & SA_RESETHAND)
		app_act[SIGSYS].handler = SIG_DFL;
	{
		unsigned char s = vu_selector;

		vu_selector = 1;
		if (vu_foreign)
			vu_call_app(0, a.handler, sig, si, uc);
		else if (a.flags & SA_SIGINFO)
			((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, uc);
		else
			((void (*)(int))a.handler)(sig);
		vu_selector = s;
	}
}

/*
 * sigaction -- glibc's, on the fast path. glibc's struct sigaction is not
 * the kernel's (a 128-byte mask, another field order), so this converts,
 * and sends the call through the dispatcher as the rt_sigaction it is: in
 * "all" mode the core emulates it (vu_sigaction_emul) without a trap.
 */
VU_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
	struct vu_ksigaction k, ko;
	struct vu_call c = VU_CALL(SYS_rt_sigaction, sig, 0, 0, 8);
	long r;

	if (act) {
		k.handler = (void *)act->sa_handler;
		k.flags = (unsigned long)act->sa_flags | VU_SA_RESTORER;
		k.restorer = (void *)act->sa_restorer;
		if (!(act->sa_flags & VU_SA_RESTORER) || !k.restorer)
			k.restorer = (void *)vu_restorer;
		vu_memcpy(&k.mask, &act->sa_mask, sizeof(k.mask));
		c.args[1] = (long)&k;
	}
	if (oact)
		c.args[2] = (long)&ko;
	r = vu_libc_call(&c, NULL);
	if (r < 0)
		return (int)vu_set_errno(r);
	if (oact) {
		char *m = (char *)&oact->sa_mask;

		for (size_t i = 0; i < sizeof(oact->sa_mask); i++)
			m[i] = 0;
		oact->sa_handler = (void (*)(int))ko.handler;
		oact->sa_flags = (int)ko.flags;
		oact->sa_restorer = (void (*)(void))ko.restorer;
		vu_memcpy(&oact->sa_mask, &ko.mask, sizeof(ko.mask));
	}
	return 0;
}
