/*
 * seccomp.c -- the program's own seccomp filters (issue 13 item 3).
 *
 * vu makes system calls of its own inside the program: rt_sigreturn after
 * every trapped call, the mappings and signal stack of each thread, its
 * exit, getcwd and readlinkat to make a relative path absolute. A filter
 * the program installs judges those too: one that refuses rt_sigreturn (a
 * program with no signals of its own) made every trapped call a SIGSEGV,
 * and SECCOMP_MODE_STRICT killed the program at vu's first own call.
 *
 * So a filter the program installs through vu is installed behind a short
 * prefix: a call made from one of vu's own syscall instructions (the
 * addresses after them: vu_ip_own, vu_ip_restorer, vu_ip_unmap, vu_ip_exit,
 * all in gate.S) whose number is one vu needs for itself (own_nrs) is
 * allowed; everything else -- every call the program makes, directly or
 * through vu (vu_gate_call uses another instruction, vu_app_syscall6) --
 * goes to the program's filter as it was written. Strict mode becomes the
 * filter it is (read, write, exit, rt_sigreturn; anything else kills the
 * thread) behind the same prefix, with no_new_privs set first (a filter
 * needs it; a strict thread cannot exec anyway).
 *
 * Differences from native (test/compat/KNOWN.md): the program's filter sees
 * vu's gate as the instruction pointer of its calls; a strict-mode
 * violation kills with SIGSYS, not SIGKILL; filters installed before vu
 * started (by a parent) have no prefix.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "vu_core.h"

extern char vu_ip_own[], vu_ip_restorer[], vu_ip_unmap[], vu_ip_exit[] VU_HIDDEN;

/* the calls vu makes for itself (never on the program's behalf) */
static const unsigned own_nrs[] = {
	SYS_rt_sigreturn, SYS_exit, SYS_munmap, SYS_mmap, SYS_mprotect, SYS_gettid, SYS_getpid,
	SYS_getcwd, SYS_readlink, SYS_readlinkat, SYS_rt_sigprocmask, SYS_sigaltstack,
	SYS_membarrier, SYS_process_vm_readv, SYS_prctl,
};
#define N_OWN (sizeof(own_nrs) / sizeof(own_nrs[0]))
#define N_IP 4
#define PREFIX (9 + N_IP + N_OWN)	/* instructions before the program's */

static struct sock_filter stmt(unsigned short code, unsigned k)
{
	return (struct sock_filter){ code, 0, 0, k };
}

static struct sock_filter jump(unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
	return (struct sock_filter){ code, jt, jf, k };
}

/* the prefix, at f[0 .. PREFIX): falls through to f[PREFIX] with A = X = 0
 * unless the call is one of vu's own */
static int prefix(struct sock_filter *f)
{
	const unsigned long ips[N_IP] = {
		(unsigned long)vu_ip_own, (unsigned long)vu_ip_restorer,
		(unsigned long)vu_ip_unmap, (unsigned long)vu_ip_exit,
	};
	int i = 0;
	/* the program's part starts at PREFIX - 2 (A and X reset first) */
#define TO(target) ((unsigned char)((target) - i - 1))
	const int prog = PREFIX - 2, allow = PREFIX - 3;

	for (int k = 1; k < N_IP; k++)
		if (ips[k] >> 32 != ips[0] >> 32)
			return -1;	/* (vu's gate is one small region) */
	f[i] = stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), i++;
	f[i] = jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, TO(prog)), i++;
	f[i] = stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4), i++;
	f[i] = jump(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)(ips[0] >> 32), 0, TO(prog)), i++;
	f[i] = stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)), i++;
	for (int k = 0; k < N_IP; k++) {
		int nr_at = 5 + N_IP;	/* the load of the number */

		f[i] = jump(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)ips[k], TO(nr_at), k == N_IP - 1 ? TO(prog) : 0);
		i++;
	}
	f[i] = stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), i++;
	for (unsigned k = 0; k < N_OWN; k++) {
		f[i] = jump(BPF_JMP | BPF_JEQ | BPF_K, own_nrs[k], TO(allow), k == N_OWN - 1 ? TO(prog) : 0);
		i++;
	}
	f[i] = stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), i++;
	f[i] = stmt(BPF_LD | BPF_IMM, 0), i++;
	f[i] = stmt(BPF_LDX | BPF_W | BPF_IMM, 0), i++;
#undef TO
	return i == PREFIX ? 0 : -1;
}

/* strict mode as a filter: read, write, exit, rt_sigreturn; else the
 * thread dies */
static const struct sock_filter strict_prog[] = {
	{ BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr) },
	{ BPF_JMP | BPF_JEQ | BPF_K, 4, 0, SYS_read },
	{ BPF_JMP | BPF_JEQ | BPF_K, 3, 0, SYS_write },
	{ BPF_JMP | BPF_JEQ | BPF_K, 2, 0, SYS_exit },
	{ BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SYS_rt_sigreturn },
	{ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_THREAD },
	{ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW },
};

/* copy n bytes from the program's memory at src: 0, or -1 (unreadable) */
static int read_own(void *dst, const void *src, size_t n)
{
	struct iovec l = { dst, n }, r = { (void *)src, n };

	return vu_sys6(SYS_process_vm_readv, vu_sys0(SYS_getpid), &l, 1, &r, 1, 0) == (long)n ? 0 : -1;
}

/* install prog (len instructions, maybe the program's: read with
 * process_vm_readv, a bad pointer is EFAULT as from the kernel) behind the
 * prefix, the way the program asked (seccomp(2) with flags, or prctl);
 * 1: not possible, the program's call goes as it is */
static long install(const struct sock_filter *prog, unsigned len, int via_prctl, unsigned long flags)
{
	size_t n = PREFIX + len, bytes = (n * sizeof(struct sock_filter) + 4095) & ~4095UL;
	struct sock_filter *f;
	struct sock_fprog fp;
	long r;

	if (n > BPF_MAXINSNS)
		return 1;	/* no room: the program's filter as it is */
	f = (struct sock_filter *)vu_sys6(SYS_mmap, 0, bytes, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)f > -4096UL)
		return (long)f;
	if (prefix(f)) {
		vu_sys2(SYS_munmap, f, bytes);
		return 1;
	}
	if (read_own(f + PREFIX, prog, len * sizeof(*prog))) {
		vu_sys2(SYS_munmap, f, bytes);
		return -EFAULT;
	}
	fp.len = (unsigned short)n;
	fp.filter = f;
	if (via_prctl)
		r = vu_app_syscall6(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (long)&fp, 0, 0, 0);
	else
		r = vu_app_syscall6(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
	vu_sys2(SYS_munmap, f, bytes);
	return r;
}

/* vu_seccomp_bottom -- seccomp(2) and prctl(PR_SET_SECCOMP) at the bottom
 * of the stack */
long vu_seccomp_bottom(struct vu_call *c, vu_bottom_fn *bottom)
{
	int via_prctl = c->nr == SYS_prctl;
	unsigned long mode = via_prctl ? (unsigned long)c->args[1] : (unsigned long)c->args[0];
	unsigned long flags = via_prctl ? 0 : (unsigned long)c->args[1];
	const struct sock_fprog *up = (const struct sock_fprog *)c->args[2];
	long r;

	if (via_prctl ? mode == SECCOMP_MODE_STRICT : mode == SECCOMP_SET_MODE_STRICT) {
		if (!via_prctl && (flags || c->args[2]))
			return -EINVAL;
		r = vu_sys5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (r)
			return r;
		r = install(strict_prog, sizeof(strict_prog) / sizeof(strict_prog[0]), 0, 0);
		if (r != 1)
			return r;
	} else if (via_prctl ? mode == SECCOMP_MODE_FILTER : mode == SECCOMP_SET_MODE_FILTER) {
		struct sock_fprog fp;

		/* a bad pointer or length: the kernel's own answer */
		if (!up || read_own(&fp, up, sizeof(fp)) || !fp.filter || !fp.len || fp.len > BPF_MAXINSNS)
			return bottom ? bottom(c) : vu_gate_call(c);
		r = install(fp.filter, fp.len, via_prctl, flags);
		if (r != 1)
			return r;
	}
	return bottom ? bottom(c) : vu_gate_call(c);
}
