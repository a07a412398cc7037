/*
 * compat.c -- libc entry points that glibc builds on its own internal
 * calls, rebuilt here on vu's exported wrappers (syscalls.json marks them
 * "custom"):
 *
 *   - the signal() family: glibc's signal, bsd_signal, sysv_signal and
 *     siginterrupt call the internal __sigaction, which no PLT wrapper sees;
 *     in "all" mode each call trapped (make: 480 rt_sigaction traps in a
 *     `make -j2` of three files, gcc 99). Here they call vu's sigaction().
 *     siginterrupt's set of interrupting signals (glibc's _sigintr) is kept
 *     here, since signal() reads it.
 *   - the pre-2.33 stat ABI: __xstat, __lxstat, __fxstat, __fxstatat and
 *     their 64 aliases are compat symbols in glibc 2.36 that binaries built
 *     against older glibc still import (Debian 12's make, node's official
 *     builds do); they make the stat/lstat/fstat system calls inline. Here
 *     they make the same calls through the stack after glibc's version
 *     check (0 and 1 accepted, else EINVAL).
 *
 *   - vfork: a real vfork in "libc" mode when every layer of the stack
 *     is a path layer that said when it acts (vu_layer_names_only: bind,
 *     readonly, hide, remap keep no per-process state a child sharing
 *     their memory could change), else a fork (a trapped vfork is one in
 *     "all" mode too). A child sharing the parent's memory shares the
 *     thread's vu state: each wrapped call it makes before its exec takes
 *     a dispatch level that the parent gets back at its next call
 *     (vfork_pending, as after spawn.c's children; without it, after three
 *     `subprocess.run` in python, "libc" mode had no scratch left:
 *     ENOMEM); its exec's environment is built in the call's scratch
 *     (exec.c); the verdict cache is neither asked nor written from it. A
 *     fork instead costs the parent's page tables and a copy-on-write
 *     fault for each page it writes afterwards: ~5 ms a gcc -c here (its
 *     driver vforks cc1 and as).
 *
 * Results and errors are glibc's; the tests run each against glibc itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

typedef void (*vu_handler)(int);

#define VU_STR_(x) #x
#define VU_STR(x) VU_STR_(x)

#ifndef SA_INTERRUPT
#define SA_INTERRUPT 0x20000000
#endif

static unsigned long long sigintr;	/* bit sig - 1: siginterrupt(sig, 1) */

/* glibc refuses the signals it keeps for itself (cancellation, setxid) */
static int bad_signal(int sig)
{
	return sig < 1 || sig >= _NSIG || sig == 32 || sig == 33;
}

static vu_handler install(int sig, vu_handler h, int flags, int mask_self)
{
	struct sigaction act, old;

	if (h == SIG_ERR || bad_signal(sig)) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	sigemptyset(&act.sa_mask);
	if (mask_self)
		sigaddset(&act.sa_mask, sig);
	act.sa_flags = flags;
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

static int interrupts(int sig)
{
	return (int)(__atomic_load_n(&sigintr, __ATOMIC_RELAXED) >> (sig - 1) & 1);
}

/* signal -- glibc's is BSD's: the signal blocked in its handler, calls
 * restarted unless siginterrupt said otherwise. */
VU_EXPORT vu_handler signal(int sig, vu_handler h)
{
	return install(sig, h, !bad_signal(sig) && interrupts(sig) ? 0 : SA_RESTART, 1);
}

VU_EXPORT vu_handler bsd_signal(int sig, vu_handler h)
{
	return signal(sig, h);
}

/* sysv_signal -- System V's: reset to SIG_DFL on delivery, not blocked in
 * its handler, calls interrupted. */
VU_EXPORT vu_handler sysv_signal(int sig, vu_handler h)
{
	return install(sig, h, SA_RESETHAND | SA_NODEFER | SA_INTERRUPT, 0);
}

VU_EXPORT vu_handler __sysv_signal(int sig, vu_handler h)
{
	return sysv_signal(sig, h);
}

VU_EXPORT int siginterrupt(int sig, int interrupt)
{
	struct sigaction act;

	if (sigaction(sig, NULL, &act) < 0)
		return -1;
	if (interrupt) {
		__atomic_fetch_or(&sigintr, 1ULL << (sig - 1), __ATOMIC_RELAXED);
		act.sa_flags &= ~SA_RESTART;
	} else {
		__atomic_fetch_and(&sigintr, ~(1ULL << (sig - 1)), __ATOMIC_RELAXED);
		act.sa_flags |= SA_RESTART;
	}
	return sigaction(sig, &act, NULL) < 0 ? -1 : 0;
}

/* ---- the stat ABI before glibc 2.33 ---- */

static int version_ok(int vers)
{
	if (vers == 0 || vers == 1)
		return 1;
	errno = EINVAL;
	return 0;
}

/* the system call glibc's compat function makes (stat, lstat, fstat where
 * the architecture has them: a trace and the layers see what strace sees
 * natively), through the stack */
static int old_stat(long nr, long a0, struct stat *buf)
{
	struct vu_call c = VU_CALL(nr, a0, (long)buf);

	return (int)vu_set_errno(vu_libc_call(&c, NULL));
}

VU_EXPORT int __xstat(int vers, const char *path, struct stat *buf)
{
	if (!version_ok(vers))
		return -1;
#ifdef VU_NR_stat
	return old_stat(VU_NR_stat, (long)path, buf);
#else
	return fstatat(AT_FDCWD, path, buf, 0);
#endif
}

VU_EXPORT int __xstat64(int vers, const char *path, struct stat *buf)
{
	return __xstat(vers, path, buf);
}

VU_EXPORT int __lxstat(int vers, const char *path, struct stat *buf)
{
	if (!version_ok(vers))
		return -1;
#ifdef VU_NR_lstat
	return old_stat(VU_NR_lstat, (long)path, buf);
#else
	return fstatat(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
#endif
}

VU_EXPORT int __lxstat64(int vers, const char *path, struct stat *buf)
{
	return __lxstat(vers, path, buf);
}

VU_EXPORT int __fxstat(int vers, int fd, struct stat *buf)
{
	if (!version_ok(vers))
		return -1;
#ifdef VU_NR_fstat
	return old_stat(VU_NR_fstat, fd, buf);
#else
	return fstat(fd, buf);
#endif
}

VU_EXPORT int __fxstat64(int vers, int fd, struct stat *buf)
{
	return __fxstat(vers, fd, buf);
}

VU_EXPORT int __fxstatat(int vers, int dirfd, const char *path, struct stat *buf, int flags)
{
	return version_ok(vers) ? fstatat(dirfd, path, buf, flags) : -1;
}

VU_EXPORT int __fxstatat64(int vers, int dirfd, const char *path, struct stat *buf, int flags)
{
	return __fxstatat(vers, dirfd, path, buf, flags);
}

/* ---- vfork ---- */

/* vu_vfork_fork -- vfork as a fork: a child that only execs or exits
 * cannot tell one from the other (POSIX allows either); pthread_atfork
 * handlers do not run, as with glibc's vfork. */
pid_t vu_vfork_fork(void) VU_HIDDEN;
pid_t vu_vfork_fork(void)
{
	struct vu_call c = VU_CALL(SYS_vfork);
	long r;

	if (vu.mode == VU_MODE_ALL)
		return (pid_t)vu_set_errno(vu_libc_call(&c, NULL));	/* procmodel's fork */
	r = vu_sys2(SYS_clone, SIGCHLD, 0);
	if (r == 0 && vu_self)
		vu_self->tid = vu_sys0(SYS_gettid);	/* this copy of the block is the child's */
	return (pid_t)vu_set_errno(r);
}

/* vu_vfork_begin -- may vfork be a real one? Then the parent's next call
 * puts its dispatch depth back (dispatch.c), as after spawn.c's children */
int vu_vfork_begin(void) VU_HIDDEN;
int vu_vfork_begin(void)
{
	struct vu_thread *t = vu_self ? vu_self : vu_thread_self();	/* (made at a thread's first dispatch) */

	/* (VU_DEBUG, VU_STATS, vu's own descriptors: the child would log,
	 * count and move them in the parent's memory; a fork keeps each
	 * process's own) */
	if (vu_init_state != VU_INIT_DONE || vu.mode == VU_MODE_ALL || !t || vu_debug_on || vu_stats_on ||
	    vu_fd_count() || !vu_layers_names_only())
		return 0;
	vu_vfork_settle(t);	/* (the last child's level, when no call put it back yet) */
	if (t->vfork_pending)
		return 0;	/* that child vforking: a fork then */
	t->vfork_depth = t->depth;
	t->vfork_pending = 1;
	vu_vc_spawning = 1;	/* (the verdict cache looks at vfork_pending from now on) */
	return 1;
}

/* vu_vfork_failed -- the kernel refused the vfork (r: -errno) */
pid_t vu_vfork_failed(long r) VU_HIDDEN;
pid_t vu_vfork_failed(long r)
{
	if (vu_self)
		vu_self->vfork_pending = 0;
	return (pid_t)vu_set_errno(r);
}

/* vfork, __vfork -- glibc's way (the return address held in a register
 * across the call: the child runs on this stack and returns first), after
 * vu_vfork_begin, or vu_vfork_fork. (The call's frame keeps the stack
 * aligned for the C functions.) */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	".globl __vfork\n"
	".type __vfork, @function\n"
	"vfork:\n"
	"__vfork:\n"
	".cfi_startproc\n"
	"	subq $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call vu_vfork_begin\n"
	"	addq $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"	testl %eax, %eax\n"
	"	jz vu_vfork_fork\n"
	"	popq %rdi\n"
	".cfi_adjust_cfa_offset -8\n"
	".cfi_register rip, rdi\n"
	"	movl $" VU_STR(SYS_vfork) ", %eax\n"
	"	syscall\n"
	"	pushq %rdi\n"
	".cfi_adjust_cfa_offset 8\n"
	".cfi_rel_offset rip, 0\n"
	"	cmpq $-4095, %rax\n"
	"	jae 1f\n"
	"	ret\n"
	"1:	movq %rax, %rdi\n"
	"	jmp vu_vfork_failed\n"
	".cfi_endproc\n"
	".size vfork, .-vfork\n"
	".size __vfork, .-__vfork\n");
