/*
 * sud-preload.so -- the bare Syscall User Dispatch baselines, preloaded by
 * baseline-sud and baseline-sudfloor (SUD lives in the process and is
 * cleared by exec, so it has to come in with the program).
 *
 * BASELINE_SUD=trap: the selector is BLOCK, every system call outside this
 * library's gate traps; the SIGSYS handler rewrites the path /etc/passwd
 * to /etc/hostname in open, openat and the stat family and issues every call from the gate. No
 * layers, no libc wrappers, no process model: the cost of one trap.
 * BASELINE_SUD=floor: SUD is armed the same way but the selector stays
 * ALLOW, so nothing traps: what arming alone costs each system call (the
 * kernel takes its slow syscall-entry path), the floor of vu's "all" mode.
 *
 * Like the other baselines it is minimal on purpose: threads and fork
 * children run unarmed until they exec (SUD is per task). What any SUD
 * tool must do to survive a shell is here: program handlers return
 * through the gate's restorer, and SIGSYS is never blocked (SA_NODEFER:
 * a SIGCHLD handler may run on top of this one; masks are edited in the
 * signal frame, which sigreturn would otherwise restore).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif
#define SEED_FROM "/etc/passwd"
#define SEED_TO "/etc/hostname"

/* the gate: the only code allowed to make system calls while BLOCK */
long bl_gate(long nr, long a, long b, long c, long d, long e, long f)
	__attribute__((visibility("hidden")));
void bl_restorer(void) __attribute__((visibility("hidden")));
extern char bl_gate_start[] __attribute__((visibility("hidden")));
extern char bl_gate_end[] __attribute__((visibility("hidden")));
__asm__(".pushsection .text.bl_gate,\"ax\",@progbits\n"
	".globl bl_gate_start\n.hidden bl_gate_start\nbl_gate_start:\n"
	".globl bl_gate\n.hidden bl_gate\n.type bl_gate,@function\nbl_gate:\n"
	"\tmov %rdi, %rax\n\tmov %rsi, %rdi\n\tmov %rdx, %rsi\n\tmov %rcx, %rdx\n"
	"\tmov %r8, %r10\n\tmov %r9, %r8\n\tmov 8(%rsp), %r9\n\tsyscall\n\tret\n"
	".globl bl_restorer\n.hidden bl_restorer\n.type bl_restorer,@function\nbl_restorer:\n"
	"\tmov $15, %eax\n\tsyscall\n"
	"\tud2\n"	/* the kernel checks the address after the syscall */
	".globl bl_gate_end\n.hidden bl_gate_end\nbl_gate_end:\n"
	".popsection\n");

static __thread volatile unsigned char selector
	__attribute__((tls_model("initial-exec"))) = SYSCALL_DISPATCH_FILTER_ALLOW;
static volatile int trapped;

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static int is_seed(const char *p)
{
	const char *s = SEED_FROM;

	while (*s && *p == *s)
		p++, s++;
	return !*s && !*p;
}

#define SIGSYS_BIT (1UL << (SIGSYS - 1))

/* rt_sigprocmask, applied to the mask sigreturn will restore */
static long procmask(ucontext_t *uc, long how, const unsigned long *set, unsigned long *old)
{
	unsigned long *cur = (unsigned long *)&uc->uc_sigmask, nw = *cur;

	if (set) {
		switch (how) {
		case SIG_BLOCK: nw |= *set; break;
		case SIG_UNBLOCK: nw &= ~*set; break;
		case SIG_SETMASK: nw = *set; break;
		default: return -EINVAL;
		}
	}
	if (old)
		*old = *cur;
	*cur = nw & ~SIGSYS_BIT;
	return 0;
}

static void sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = g[REG_RAX], a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX],
				       g[REG_R10], g[REG_R8], g[REG_R9] };

	(void)sig;
	(void)si;
	trapped++;
	if (nr == SYS_clone3) {	/* a thread must not start inside this frame */
		g[REG_RAX] = -ENOSYS;
		return;
	}
	if (nr == SYS_rt_sigreturn) {
		/* a program handler's restorer: issuing it here would unwind
		 * this frame; resume at the gate's restorer instead, with the
		 * stack pointer still at the program's signal frame */
		g[REG_RIP] = (greg_t)bl_restorer;
		return;
	}
	if (nr == SYS_rt_sigprocmask) {
		g[REG_RAX] = procmask(uc, a[0], (const unsigned long *)a[1], (unsigned long *)a[2]);
		return;
	}
	if (nr == SYS_rt_sigaction && a[1]) {
		struct ksigaction act = *(const struct ksigaction *)a[1];

		if (a[0] == SIGSYS) {	/* keep ours */
			g[REG_RAX] = 0;
			return;
		}
		act.mask &= ~SIGSYS_BIT;
		a[1] = (long)&act;
		g[REG_RAX] = bl_gate(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		return;
	}
	switch (nr) {
	case SYS_open:
	case SYS_stat:
	case SYS_lstat:
		if (a[0] && is_seed((const char *)a[0]))
			a[0] = (long)SEED_TO;
		break;
	case SYS_openat:
	case SYS_newfstatat:
	case SYS_statx:
		if (a[1] && is_seed((const char *)a[1]))
			a[1] = (long)SEED_TO;
		break;
	}
	g[REG_RAX] = bl_gate(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* a raw getppid from outside the gate (for BASELINE_VERIFY) */
static long outside(long nr)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

__attribute__((constructor)) static void bl_sud_init(void)
{
	const char *mode = getenv("BASELINE_SUD");
	struct ksigaction ka = { (void *)sigsys, SA_SIGINFO | SA_NODEFER | 0x04000000 /* SA_RESTORER */,
				 (void *)bl_restorer, 0 };
	int floor;

	if (!mode)
		return;
	floor = !strcmp(mode, "floor");
	if (bl_gate(SYS_rt_sigaction, SIGSYS, (long)&ka, 0, 8, 0, 0) ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)bl_gate_start,
		  (unsigned long)(bl_gate_end - bl_gate_start), &selector)) {
		static const char msg[] = "sud-preload: cannot arm Syscall User Dispatch\n";

		bl_gate(SYS_write, 2, (long)msg, sizeof(msg) - 1, 0, 0, 0);
		bl_gate(SYS_exit_group, 125, 0, 0, 0, 0, 0);
	}
	if (getenv("BASELINE_VERIFY")) {
		/* one trapped call proves SUD is armed with this handler */
		static const char ok[] = "sud-preload: armed, a trapped call reached the handler\n";

		selector = SYSCALL_DISPATCH_FILTER_BLOCK;
		outside(SYS_getppid);
		selector = SYSCALL_DISPATCH_FILTER_ALLOW;
		if (trapped)
			bl_gate(SYS_write, 2, (long)ok, sizeof(ok) - 1, 0, 0, 0);
	}
	if (!floor)
		selector = SYSCALL_DISPATCH_FILTER_BLOCK;
}
