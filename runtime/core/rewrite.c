/*
 * rewrite.c -- rewriting of trapping syscall sites (issue 11 item 2).
 * On by default (VU_REWRITE=0 turns it off); "all" mode, dynamic programs
 * (foreign mode -- static programs -- stays on SUD).
 *
 * The first time a syscall instruction traps, vu_rewrite_trap looks at it:
 * - it must lie in the executable, non-writable PT_LOAD of an ELF object
 *   ld.so knows (_dl_find_object, async-signal-safe): JIT and anonymous
 *   code, the vDSO and writable text stay on SUD;
 * - its function is found in .eh_frame_hdr (glibc has no .symtab) and
 *   decoded whole (x86len.c): an unknown instruction, a direct branch into
 *   the middle of an instruction (but past a lock prefix), or a syscall
 *   that is not an instruction start, and the site stays on SUD.
 * Then one of two patches, both entering the same kind of trampoline:
 * - the jump method (preferred): the 2-byte syscall becomes jmp rel8 to a
 *   padding instruction within 128 bytes that nothing executes (after a
 *   ret/jmp/ud2, in the function or in the gap before or after it, no
 *   branch landing in it), where a 5-byte jmp to the trampoline goes (the
 *   rest of that padding becomes one-byte nops). A thread blocked in the
 *   call returns to the unchanged bytes after it; one about to run it runs
 *   the whole new jump.
 * - the window method: back from the syscall over simple register moves
 *   (and lea/mov with a RIP-relative operand, moved) to an instruction of 5
 *   bytes or more (the head), whose first 5 bytes become jmp rel32; every
 *   later instruction keeps its bytes, so a thread inside the window runs
 *   the original code (and traps, as before).
 * The bytes change with one atomic 16-byte store (lock cmpxchg16b: another
 * thread fetches all old or all new bytes), then every thread serializes
 * (membarrier SYNC_CORE). A patch that would cross a 16-byte block is a
 * plain store, made only when the process has one thread (or at start-up).
 *
 * The trampoline re-runs the window's instructions (if any), steps over
 * the red zone and calls vu_rw_entry (rewrite_entry.S), which keeps every
 * register a syscall keeps, runs vu_rw_call on vu's stack and returns the
 * result in rax with rcx/r11 as the kernel sets them; then it jumps after
 * the syscall. The call goes through vu_dispatch as a trapped one (source
 * VU_SRC_SUD, no signal frame): the real call is made from the gate with
 * the program's signal mask, so a signal during it runs the program's
 * handler and SA_RESTART restarts it, as on the trap path. With the
 * selector at ALLOW (a libc wrapper running glibc's function), the call
 * goes straight to the kernel, as the untrapped instruction did. A call
 * that needs the signal frame or the program's own stack (clone, fork,
 * vfork, exit, rt_sigreturn, execve: keeps_trap) is decided by its number
 * at run time: vu_rw_call returns to the trampoline's own syscall
 * instruction (R2), which traps (or, at ALLOW, runs) as the site did.
 *
 * Sites rewritten are remembered per user and build ID (the learned-sites
 * cache, below) and patched at the next start-up before the program runs.
 * Patched text is private copy-on-write memory: a fork child runs it.
 */
#include <dlfcn.h>
#include <sched.h>
#include <fcntl.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_core.h"
#include "vu_x86len.h"

int vu_rewrite_on VU_HIDDEN = 1;	/* VU_REWRITE=0 turns it off */
unsigned long vu_rw_xsave_size VU_HIDDEN = 512;
unsigned char vu_rw_xsave VU_HIDDEN;
void vu_rw_entry(void) VU_HIDDEN;

_Static_assert(offsetof(struct vu_thread, altstack) == 4096 && VU_ALTSTACK_SIZE == 1048576 &&
	       offsetof(struct vu_thread, rw_top) == 1183976 &&
	       offsetof(struct vu_thread, tls_shared) == 1183984,
	       "rewrite_entry.S knows where vu's signal stack is, and rw_top (RW_TOP)");

#define VU_RW_MARK 0x7277L	/* c->core_tmp[1] of a rewritten call */

/* the sites vu has looked at, by the address after the syscall */
#define RW_SITES 2048
struct rw_site {
	unsigned long at;	/* 0: free */
	long nr;
	const char *why;	/* NULL: rewritten */
	unsigned long calls;	/* through the trampoline */
	unsigned long r2;	/* its trampoline's R2 (tramp_make) */
	unsigned long r2_traps;	/* VU_STATS: traps of R2's syscall */
	unsigned long stub, head;	/* how it was patched (struct window) */
	int mod;		/* mods[]: its object; -1 unknown */
	int fresh;		/* rewritten here, not yet in the cache file */
	unsigned long traps;	/* before it was decided */
};
static struct rw_site rw_sites[RW_SITES] VU_BIG_BSS;
/* the entries taken, in the order taken: a fork child resets their counts
 * without touching the rest (writing all of rw_sites was 40 pages, ~80 us,
 * in every fork child) */
static unsigned short rw_taken[RW_SITES] VU_BIG_BSS;
static unsigned rw_ntaken;

/* how many of rw_taken are written (an entry is taken before its index
 * is stored: a thread racing with this one may miss the newest) */
static unsigned taken(void)
{
	unsigned n = __atomic_load_n(&rw_ntaken, __ATOMIC_ACQUIRE);

	return n < RW_SITES ? n : RW_SITES;
}

/* images (below): the C library's and the loader's code with every
 * provable site patched, in a file every process maps */
#define IMG_SITE 0x40000000L	/* a pushed idx: an image's site, by offset from its code */
struct image {
	unsigned long text, text_end;	/* the object's code, mapped from the image */
	unsigned long tramp, tramp_end;	/* its trampolines */
};
static struct image images[4];
static int nimages;

/* the address after an image site's syscall, from its trampoline's call */
static unsigned long img_site_at(unsigned long idx, unsigned long ret)
{
	for (int i = 0; i < nimages; i++)
		if (ret >= images[i].tramp && ret < images[i].tramp_end)
			return images[i].text + (idx & (IMG_SITE - 1)) + 2;
	return 0;
}
static int rw_lock;
/* analyze() of a site in an image that it can prove: the image patched it */
static const char image_why[] = "in its library's shared image, not patched when the image was built";
#define CACHE_PATH_MAX 4096
static char cache_none[1];
static char *cache_path = cache_none;	/* the learned-sites file, or "" (in vu_keep's area) */
static char exe_id[41];		/* the program's build ID: the file's key */
/* a site is patched at its rw_after-th trap: patching costs a copy of its
 * page (about 30 us here, as much as 12 traps), worth it for a site that
 * keeps trapping, not for one a process passes once (VU_REWRITE_AFTER) */
static unsigned long rw_after = 32;
static const char not_hot_why[] =
	"not hot: fewer traps than VU_REWRITE_AFTER (32; patching copies its page)";
int vu_rewrite_fresh;		/* a site not yet in it (dispatch.c saves at exit, exec) */

struct vu_rw_regs {
	unsigned long rbp, rbx, r11, rcx, r9, r8, r10, rdx, rsi, rdi, rax, flags, ret, site;
};
long vu_rw_call(struct vu_rw_regs *r) VU_HIDDEN;
static int keeps_trap(long nr, unsigned long a0, unsigned long a1, int allow);
static int pad_insn(const unsigned char *p, const struct vu_x86i *in);
#define VU_RW_R2 13	/* R2 - R1 in a trampoline (tramp_emit); rewrite_entry.S's too */

static struct rw_site *site_get(unsigned long at, int add)
{
	unsigned long h = (at * 0x9E3779B97F4A7C15UL) >> 53;

	for (int k = 0; k < 64; k++) {
		struct rw_site *s = &rw_sites[(h + k) % RW_SITES];
		unsigned long cur = __atomic_load_n(&s->at, __ATOMIC_ACQUIRE);

		if (cur == at)
			return s;
		if (cur == 0) {
			if (!add)
				return NULL;
			if (__atomic_compare_exchange_n(&s->at, &cur, at, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				rw_taken[__atomic_fetch_add(&rw_ntaken, 1, __ATOMIC_RELAXED)] =
					(unsigned short)(s - rw_sites);
				return s;
			}
			if (cur == at)
				return s;
		}
	}
	return NULL;
}

/* ---- the call, from a trampoline ---- */
long vu_rw_call(struct vu_rw_regs *r)
{
	struct rw_site *s = r->site & IMG_SITE ? NULL : &rw_sites[r->site];
	struct vu_thread *t = vu_self;
	int saved_errno = errno;
	struct vu_call c;
	long ret;

	if (keeps_trap((long)r->rax, r->rdi, r->rsi, vu_selector != 1)) {
		r->ret += VU_RW_R2;	/* to the trampoline's own syscall */
		return (long)r->rax;
	}
	r->rcx = s ? s->at : img_site_at(r->site, r->ret);	/* what the syscall instruction leaves */
	r->r11 = r->flags;
	if (vu_selector != 1) {	/* ALLOW (a signal came between the trampoline's test and here) */
		if (__builtin_expect(vu_stats_on, 0))
			__atomic_fetch_add(&vu_stats_rw_allow, 1, __ATOMIC_RELAXED);
		return vu_app_syscall6((long)r->rax, r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9);
	}
	if (__builtin_expect(r->rax == SYS_fcntl && vu_quiet_fd1 && r->rdi == (unsigned long)(long)(vu_quiet_fd1 - 1), 0))
		return vu_app_syscall6((long)r->rax, r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9);
	if (__builtin_expect(vu_pass_nr1, 0) && (long)r->rax + 1 == vu_pass_nr1) {
		vu_pass_nr1 = 0;	/* seen by the stack in the wrapper: once */
		return vu_app_syscall6((long)r->rax, r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9);
	}
	if (s)
		__atomic_fetch_add(&s->calls, 1, __ATOMIC_RELAXED);
	c.nr = (long)r->rax;
	c.args[0] = (long)r->rdi;
	c.args[1] = (long)r->rsi;
	c.args[2] = (long)r->rdx;
	c.args[3] = (long)r->r10;
	c.args[4] = (long)r->r8;
	c.args[5] = (long)r->r9;
	c.ret = 0;
	c.source = VU_SRC_SUD;
	c.depth = 0;
	c.scratch = 0;
	c.scratch_used = 0;
	c.core_tmp[0] = (long)r;	/* vu_rewrite_clone */
	c.core_tmp[1] = VU_RW_MARK;
	c.op = 0;
	if (t) {
		unsigned long prev = t->sud_rsp;

		t->sud_rsp = (unsigned long)(&r->site + 1) + 128;	/* the program's sp */
		ret = vu_dispatch(&c, NULL, NULL);
		t->sud_rsp = prev;
	} else {
		ret = vu_dispatch(&c, NULL, NULL);
	}
	errno = saved_errno;
	return ret;
}

/* vu_rewrite_clone -- procmodel.c: a clone with a new stack from a
 * rewritten site (c is vu_rw_call's). As on the trap path, the call is
 * made again by vu_clone_tramp with every register the program's: the
 * child returns from the top of its stack to after the site's syscall,
 * the parent through vu_clone_ret into its trampoline. Returns the number
 * (rax for vu_clone_tramp's syscall). */
long vu_rewrite_clone(struct vu_call *c)
{
	struct vu_rw_regs *r = (struct vu_rw_regs *)c->core_tmp[0];
	unsigned long sp = (unsigned long)c->args[1];

	*(unsigned long *)(sp - 8) = r->rcx;	/* the address after the syscall */
	r->rsi = sp - 8;
	vu_clone_ret = r->ret;
	r->ret = (unsigned long)vu_clone_tramp;
	return c->nr;
}

/* vu_rewrite_marked -- stats.c: was c made from a rewritten site? */
int vu_rewrite_marked(const struct vu_call *c)
{
	return c->core_tmp[1] == VU_RW_MARK;
}

/* ---- .eh_frame_hdr: the function that holds pc ---- */
static int read_enc(const unsigned char **pp, unsigned enc, unsigned long base_pc,
		    unsigned long data, unsigned long *out)
{
	const unsigned char *p = *pp;
	unsigned long v;

	if (enc == 0xff)
		return -1;
	switch (enc & 0x0f) {
	case 0x00: memcpy(&v, p, 8); p += 8; break;
	case 0x02: { unsigned short x; memcpy(&x, p, 2); v = x; p += 2; break; }
	case 0x03: { unsigned x; memcpy(&x, p, 4); v = x; p += 4; break; }
	case 0x04: memcpy(&v, p, 8); p += 8; break;
	case 0x0a: { short x; memcpy(&x, p, 2); v = (unsigned long)(long)x; p += 2; break; }
	case 0x0b: { int x; memcpy(&x, p, 4); v = (unsigned long)(long)x; p += 4; break; }
	case 0x0c: memcpy(&v, p, 8); p += 8; break;
	default: return -1;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += base_pc; break;
	case 0x30: v += data; break;
	default: return -1;
	}
	*pp = p;
	*out = v;
	return 0;
}

static unsigned long uleb(const unsigned char **pp)
{
	unsigned long v = 0;
	int sh = 0;
	const unsigned char *p = *pp;

	while (*p & 0x80) {
		v |= (unsigned long)(*p++ & 0x7f) << sh;
		sh += 7;
	}
	v |= (unsigned long)(*p++ & 0x7f) << sh;
	*pp = p;
	return v;
}

/* the range [*lo, *hi) an FDE covers; 0 when read */
static int fde_parse(const unsigned char *fde, unsigned long *lo, unsigned long *hi)
{
	const unsigned char *cie, *aug, *q;
	unsigned long a, r;
	unsigned enc_fde = 0;

	{
		unsigned len4;
		int cie_off;

		memcpy(&len4, fde, 4);
		if (len4 == 0 || len4 == 0xffffffffu)
			return -1;
		memcpy(&cie_off, fde + 4, 4);
		cie = fde + 4 - cie_off;
	}
	/* the CIE: its 'R' augmentation gives the FDE's pointer encoding */
	q = cie + 8;
	if (*q != 1 && *q != 3)
		return -1;
	aug = ++q;
	while (*q)
		q++;
	q++;
	uleb(&q);		/* code alignment */
	uleb(&q);		/* data alignment (sleb: only skipped) */
	if (cie[8] == 1)
		q++;
	else
		uleb(&q);
	if (aug[0] == 'z') {
		uleb(&q);
		for (const unsigned char *c = aug + 1; *c; c++) {
			if (*c == 'R') {
				enc_fde = *q++;
			} else if (*c == 'P') {
				unsigned e = *q++;
				unsigned long dummy;

				if (read_enc(&q, e & 0x7f, (unsigned long)q, 0, &dummy))
					return -1;
			} else if (*c == 'L') {
				q++;
			} else if (*c != 'S' && *c != 'B') {
				return -1;
			}
		}
	}
	q = fde + 8;
	if (read_enc(&q, enc_fde, (unsigned long)q, 0, &a) ||
	    read_enc(&q, enc_fde & 0x0f, 0, 0, &r))
		return -1;
	*lo = a;
	*hi = a + r;
	return 0;
}

/* [*lo, *hi) of the FDE that covers pc, *next the start of the next one
 * and [*prev_lo, *prev_hi) the one before (or 0); 0 when found */
static int fde_range(const unsigned char *hdr, unsigned long pc, unsigned long *lo, unsigned long *hi,
		     unsigned long *next, unsigned long *prev_lo, unsigned long *prev_hi)
{
	const unsigned char *p = hdr + 4;
	unsigned long ehf, count, base = (unsigned long)hdr;
	long nlo, nhi, at = -1;

	*next = *prev_lo = *prev_hi = 0;
	if (hdr[0] != 1 || hdr[3] != 0x3b)	/* table: datarel sdata4 */
		return -1;
	if (read_enc(&p, hdr[1], (unsigned long)p, base, &ehf) ||
	    read_enc(&p, hdr[2], (unsigned long)p, base, &count) || !count)
		return -1;
	nlo = 0;
	nhi = (long)count - 1;
	while (nlo <= nhi) {	/* last entry with start <= pc */
		long mid = (nlo + nhi) / 2;
		const int *e = (const int *)(p + mid * 8);

		if (base + (long)e[0] <= pc) {
			at = mid;
			nlo = mid + 1;
		} else {
			nhi = mid - 1;
		}
	}
	if (at < 0)
		return -1;
	{
		const int *e = (const int *)(p + at * 8);
		const int *e0 = e;
		long at0 = at;
		unsigned long nlo2, nhi2;

		if (fde_parse((const unsigned char *)(base + (long)e[1]), lo, hi) || pc < *lo)
			return -1;
		if (pc >= *hi) {
			/* a short hole between two FDEs, as glibc's clone and
			 * clone3 leave around their syscall (cfi_endproc before
			 * it: the child's unwind information would be wrong):
			 * the two and the hole are decoded as one function */
			if ((unsigned long)at + 1 >= count ||
			    fde_parse((const unsigned char *)(base + (long)e[3]), &nlo2, &nhi2) ||
			    pc >= nlo2 || nlo2 - *hi > 32 || nlo2 < *hi)
				return -1;
			*hi = nhi2;
			at++;
			e += 2;
		}
		if ((unsigned long)at + 1 < count)
			*next = base + (long)e[2];
		if (at0 > 0 && fde_parse((const unsigned char *)(base + (long)e0[-1]), prev_lo, prev_hi))
			*prev_lo = *prev_hi = 0;
	}
	return 0;
}

/* ---- the window before a syscall instruction ---- */
/* a simple instruction: no memory access, no branch, position-free.
 * *dest: the register written (-1 none); *cst: 1 and *val when it sets a
 * constant. */
static int simple(const unsigned char *p, int len, const struct vu_x86i *in, int *dest,
		  int *cst, unsigned long *val)
{
	const unsigned char *o = p + in->op_at;
	int mat = in->op_at + (in->map == 1 ? 2 : 1);	/* the ModRM byte */
	unsigned rex = in->rex, m = len > mat ? p[mat] : 0;
	unsigned mod = m >> 6, reg = ((m >> 3) & 7) | (rex & 4 ? 8 : 0), rm = (m & 7) | (rex & 1 ? 8 : 0);

	*dest = -1;
	*cst = 0;
	if (in->riprel && in->map == 0 && !in->prefixes && (in->op == 0x8d || in->op == 0x8b) &&
	    (m & 0xc7) == 0x05 && len == mat + 5) {
		*dest = (int)reg;	/* lea/mov d(%rip),%reg: the trampoline moves d */
		return 1;
	}
	if (pad_insn(p, in) && !(in->map == 0 && in->op == 0xcc))
		return 1;	/* a nop of any length (66 90, nopw ...): copied as it is */
	if (in->prefixes || in->riprel || (in->map != 0 && in->map != 1))
		return 0;
	if (in->map == 0) {
		if (in->op >= 0xb8 && in->op <= 0xbf) {
			*dest = (int)((in->op & 7) | (rex & 1 ? 8 : 0));
			*cst = 1;
			if (rex & 8)
				memcpy(val, o + 1, 8);
			else {
				unsigned v;

				memcpy(&v, o + 1, 4);
				*val = v;
			}
			return 1;
		}
		if (in->op == 0xc7 && mod == 3 && ((m >> 3) & 7) == 0) {
			int v;

			memcpy(&v, o + 2, 4);
			*dest = (int)rm;
			*cst = 1;
			*val = rex & 8 ? (unsigned long)(long)v : (unsigned)v;
			return 1;
		}
		if ((in->op == 0x89 || in->op == 0x31) && mod == 3) {
			*dest = (int)rm;
			if (in->op == 0x31 && rm == reg)
				*cst = 1, *val = 0;
			return 1;
		}
		if ((in->op == 0x8b || in->op == 0x33 || in->op == 0x63) && mod == 3) {
			*dest = (int)reg;
			if (in->op == 0x33 && rm == reg)
				*cst = 1, *val = 0;
			return 1;
		}
		if (in->op == 0x8d && mod != 3) {
			*dest = (int)reg;
			return 1;
		}
		if (in->op == 0x90 && !rex)
			return 1;
		return 0;
	}
	if ((in->op == 0xb6 || in->op == 0xb7 || in->op == 0xbe || in->op == 0xbf) && mod == 3) {
		*dest = (int)reg;
		return 1;
	}
	if (in->op == 0x1f)	/* nopl */
		return 1;
	return 0;
}

/* calls that need the SIGSYS frame or the program's own stack: sigreturn
 * reads its frame there; exec is left to the trap too. A trampoline runs
 * these with a syscall instruction of its own, which traps as the site did.
 * Through vu (selector BLOCK) a fork-like clone, fork and vfork are vu's
 * fork (procmodel.c do_fork: the child returns as the parent does); a
 * clone with a new stack goes out through vu_clone_tramp as from the trap
 * path (vu_rewrite_clone); clone3 is refused (glibc falls back to clone);
 * a thread's exit frees vu's block from vu's stack (vu_exit_unmap); the
 * signal mask, handler and stack calls are emulated as from a libc
 * wrapper, without a frame. At ALLOW (the call goes to the kernel from
 * vu_rw_call) anything that shares the stack, and exit, keep the
 * trampoline's own syscall. */
static int keeps_trap(long nr, unsigned long a0, unsigned long a1, int allow)
{
	switch (nr) {
	case SYS_rt_sigreturn: case SYS_execve: case SYS_execveat:
		return 1;
	case SYS_exit: case SYS_clone3: case SYS_vfork:
		return allow;
	case SYS_clone:
		return allow && (a1 != 0 || (a0 & (CLONE_VM | CLONE_VFORK)));
	}
	return 0;
}

#define FN_MAX 65536
static unsigned char fn_start[FN_MAX / 8] VU_BIG_BSS, fn_target[FN_MAX / 8] VU_BIG_BSS, fn_dead[FN_MAX / 8] VU_BIG_BSS;
static unsigned char fn_taken[FN_MAX / 8] VU_BIG_BSS;	/* bytes an image's planned patch takes */
static unsigned fn_insn[FN_MAX] VU_BIG_BSS;
#define BIT(m, i) ((m)[(i) >> 3] & (1 << ((i) & 7)))
#define SETBIT(m, i) ((m)[(i) >> 3] |= (unsigned char)(1 << ((i) & 7)))

struct window {
	int mod;		/* mods[] */
	unsigned long head;	/* the window method: first displaced instruction */
	unsigned long sys;	/* the syscall instruction */
	unsigned long stub;	/* the jump method: 5 dead bytes a jmp rel8 from sys reaches */
	int prot;		/* the segment's protection */
	int straddle;		/* the patched bytes cross a 16-byte block */
};

/* padding: a nop of any length, or int3 */
static int pad_insn(const unsigned char *p, const struct vu_x86i *in)
{
	if (in->map == 0 && in->op == 0x90)
		return !(in->rex & 1);	/* not xchg %r8,%rax */
	if (in->map == 0 && in->op == 0xcc)
		return 1;
	return in->map == 1 && in->op == 0x1f && p[in->op_at] == 0x0f;	/* not VEX */
}

/* an instruction after which the next byte is reached only by a branch */
static int no_fallthrough(const unsigned char *p, const struct vu_x86i *in)
{
	if (in->branch == VU_X86_RET || in->branch == VU_X86_JMP || in->branch == VU_X86_JMPI)
		return 1;
	if (in->map == 0 && (in->op == 0xf4 || in->op == 0xcc))	/* hlt, int3 */
		return 1;
	return in->map == 1 && in->op == 0x0b && p[in->op_at] == 0x0f;	/* ud2 */
}

/* [a, b) is padding only, after code that does not fall through into it */
static int gap_pad(unsigned long a, unsigned long b)
{
	if (b <= a || b - a > 256)
		return 0;
	while (a < b) {
		struct vu_x86i in;
		int len = vu_x86_decode((const unsigned char *)a, (const unsigned char *)b, &in);

		if (len <= 0 || !pad_insn((const unsigned char *)a, &in))
			return 0;
		a += (unsigned long)len;
	}
	return 1;
}

/* does the function [lo, hi) end with an instruction that does not fall
 * through (decoded from its start)? */
static int ends_dead(unsigned long lo, unsigned long hi)
{
	int dead = 0;

	if (hi <= lo || hi - lo > FN_MAX)
		return 0;
	while (lo < hi) {
		struct vu_x86i in;
		int len = vu_x86_decode((const unsigned char *)lo, (const unsigned char *)hi, &in);

		if (len <= 0)
			return 0;
		dead = no_fallthrough((const unsigned char *)lo, &in) || (dead && pad_insn((const unsigned char *)lo, &in));
		lo += (unsigned long)len;
	}
	return dead;
}

/* branch targets of the function outside it (checked against the gaps) */
#define OUT_MAX 32
static unsigned long out_target[OUT_MAX];
static int n_out;

/* the end of the padding instructions from a (an instruction start) that
 * cover [a, a + 5); 0 if they are not all padding. The stub goes at a and
 * the rest of them becomes one-byte nops, so the code around stays
 * decodable (a later analysis of the same function decodes it). */
static unsigned long pad_end(unsigned long a, unsigned long limit)
{
	unsigned long p = a;

	while (p < a + 5) {
		struct vu_x86i in;
		int len = vu_x86_decode((const unsigned char *)p, (const unsigned char *)limit, &in);

		if (len <= 0 || !pad_insn((const unsigned char *)p, &in))
			return 0;
		p += (unsigned long)len;
	}
	return p;
}


/* patches planned while an image is built: analyze sees them as made */
struct plan {
	unsigned long sys;		/* the site */
	unsigned long lo, hi;		/* the bytes it takes (stub and its padding, or the head) */
};
static struct plan *plans;
static int nplans;

static void rw_config(void);
static void cache_mkdir(void);

static int planned(unsigned long a, unsigned long e)
{
	for (int i = 0; i < nplans; i++)
		if (a < plans[i].hi && plans[i].lo < e)
			return 1;
	return 0;
}

static int in_image_tramp(unsigned long a)
{
	for (int i = 0; i < nimages; i++)
		if (a >= images[i].tramp && a < images[i].tramp_end)
			return 1;
	return 0;
}

static int in_image(unsigned long a)
{
	for (int i = 0; i < nimages; i++)
		if (a >= images[i].text && a < images[i].text_end)
			return 1;
	return 0;
}

static int out_hit(unsigned long a, unsigned long e)
{
	if (n_out < 0 || planned(a, e))
		return 1;	/* too many branches out to prove a gap; or taken */
	for (int j = 0; j < n_out; j++)
		if (out_target[j] >= a && out_target[j] < e)
			return 1;
	return 0;
}

/* the jump method: a padding instruction never executed (after an
 * instruction that does not fall through, in the function or in the gap
 * before or after it; no branch lands in it or in the padding it covers),
 * within a jmp rel8 of the syscall, with 5 bytes or more to its padding's
 * end; 0 if none */
static unsigned long find_stub(unsigned long sys, unsigned long lo, unsigned long hi, unsigned long next,
			       int last_dead, unsigned long prev_lo, unsigned long prev_hi)
{
	unsigned long best = 0, from = sys + 2 - 128, to = sys + 2 + 127, e;

#define CLOSER(a) (!best || ((a) > sys ? (a) - sys : sys - (a)) < (best > sys ? best - sys : sys - best))
	/* the gap after the function, from its end */
	if (last_dead && next > hi && hi >= from && hi <= to && gap_pad(hi, next) &&
	    (e = pad_end(hi, next)) && !out_hit(hi, e) && CLOSER(hi))
		best = hi;
	/* the gap before it: the last padding instruction with room */
	if (prev_hi && prev_hi < lo && lo - prev_hi <= 256 && gap_pad(prev_hi, lo) && ends_dead(prev_lo, prev_hi)) {
		unsigned long a = prev_hi, cand = 0;

		while (a < lo) {
			struct vu_x86i in;
			int len = vu_x86_decode((const unsigned char *)a, (const unsigned char *)lo, &in);

			if (len <= 0)
				break;
			if ((e = pad_end(a, lo)) && a >= from && a <= to && !out_hit(a, e))
				cand = a;
			a += (unsigned long)len;
		}
		if (cand && CLOSER(cand))
			best = cand;
	}
	/* inside: dead padding instructions */
	for (unsigned long off = 0; lo + off < hi && lo + off <= to; off++) {
		unsigned long a = lo + off;
		int hit = 0;

		if (!BIT(fn_start, off) || !BIT(fn_dead, off) || a < from || !(e = pad_end(a, hi)))
			continue;
		for (unsigned long x = off; x < e - lo; x++)
			hit |= !BIT(fn_dead, x) || BIT(fn_target, x) || BIT(fn_taken, x);
		if (!hit && CLOSER(a))
			best = a;
	}
#undef CLOSER
	return best;
}

/* ---- the objects sites are in, by build ID (the learned-sites cache) ---- */
#define MODS 64
struct rw_mod {
	unsigned long base;	/* l_addr */
	char id[41];		/* build ID, hex */
};
static struct rw_mod mods[MODS] VU_BIG_BSS;
static int nmods;

/* the hex build ID of the object whose ELF header is at eh, or "" */
static void build_id(const ElfW(Ehdr) *eh, unsigned long l_addr, char out[41])
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);

	out[0] = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const unsigned char *n, *end;

		if (ph[i].p_type != PT_NOTE)
			continue;
		n = (const unsigned char *)(l_addr + ph[i].p_vaddr);
		end = n + ph[i].p_memsz;
		while (n + 12 <= end) {
			unsigned namesz, descsz, type;

			memcpy(&namesz, n, 4);
			memcpy(&descsz, n + 4, 4);
			memcpy(&type, n + 8, 4);
			if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(n + 12, "GNU", 4) &&
			    descsz >= 8 && descsz <= 20) {
				const unsigned char *d = n + 16;

				for (unsigned k = 0; k < descsz; k++) {
					out[2 * k] = "0123456789abcdef"[d[k] >> 4];
					out[2 * k + 1] = "0123456789abcdef"[d[k] & 15];
				}
				out[2 * descsz] = 0;
				return;
			}
			n += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
		}
	}
}

static int mod_of(const ElfW(Ehdr) *eh, unsigned long l_addr)
{
	for (int i = 0; i < nmods; i++)
		if (mods[i].base == l_addr)
			return i;
	if (nmods == MODS)
		return -1;
	build_id(eh, l_addr, mods[nmods].id);
	if (!mods[nmods].id[0])
		return -1;
	mods[nmods].base = l_addr;
	return nmods++;
}

static const char *analyze(unsigned long sys, struct window *w)
{
	struct dl_find_object fo;
	const ElfW(Ehdr) *eh;
	const ElfW(Phdr) *ph;
	const struct link_map *lm;
	unsigned long lo, hi, next = 0, prev_lo = 0, prev_hi = 0, size;
	int k = -1, n = 0, found = 0, dead = 0;

	w->head = w->stub = 0;
	w->straddle = 0;
	w->mod = -1;
	w->prot = PROT_READ | PROT_EXEC;
	w->sys = sys;
	if (_dl_find_object((void *)sys, &fo) || !fo.dlfo_link_map)
		return "not in an ELF object ld.so loaded (JIT or anonymous code)";
	lm = fo.dlfo_link_map;
	if (lm->l_name && !strncmp(lm->l_name, "linux-", 6))
		return "the vDSO";
	if ((unsigned long)vu_rw_entry >= (unsigned long)fo.dlfo_map_start &&
	    (unsigned long)vu_rw_entry < (unsigned long)fo.dlfo_map_end)
		return "vu's own code";
	eh = fo.dlfo_map_start;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return "no ELF header at the object's start";
	ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		unsigned long a = lm->l_addr + ph[i].p_vaddr;

		if (ph[i].p_type == PT_LOAD && sys >= a && sys + 2 <= a + ph[i].p_memsz) {
			if ((ph[i].p_flags & PF_W) || !(ph[i].p_flags & PF_X))
				return "writable or not executable segment";
			w->prot = PROT_EXEC | (ph[i].p_flags & PF_R ? PROT_READ : 0);
			found = 1;
		}
	}
	if (!found)
		return "not in a loadable segment";
	w->mod = mod_of(eh, lm->l_addr);
	if (!fo.dlfo_eh_frame || fde_range(fo.dlfo_eh_frame, sys, &lo, &hi, &next, &prev_lo, &prev_hi))
		return "no unwind information (.eh_frame_hdr) for its function";
	size = hi - lo;
	if (size > FN_MAX)
		return "function too large to decode";
	memset(fn_start, 0, (size + 7) / 8);
	memset(fn_target, 0, (size + 7) / 8);
	memset(fn_dead, 0, (size + 7) / 8);
	memset(fn_taken, 0, (size + 7) / 8);
	n_out = 0;
	for (unsigned long off = 0; off < size;) {
		struct vu_x86i in;
		const unsigned char *p = (const unsigned char *)lo + off;
		int len = vu_x86_decode(p, (const unsigned char *)hi, &in);

		if (len <= 0)
			return "its function has an instruction vu does not decode";
		SETBIT(fn_start, off);
		if (p[0] == 0xf0 && len > 1)
			SETBIT(fn_start, off + 1);	/* je 1f; lock; 1: cmpxchg (glibc's locks) */
		if (lo + off == sys)
			k = n;
		fn_insn[n++] = (unsigned)off;
		if (in.branch == VU_X86_JMP || in.branch == VU_X86_JCC || in.branch == VU_X86_CALL) {
			long t = (long)off + in.target;

			if (t >= 0 && (unsigned long)t < size)
				SETBIT(fn_target, t);
			else if (in.branch == VU_X86_CALL)
				;	/* a call goes to a function's start */
			else if (n_out >= 0 && n_out < OUT_MAX)
				out_target[n_out++] = lo + (unsigned long)t;
			else
				n_out = -1;
		}
		/* padding after an instruction that does not fall through */
		dead = dead && pad_insn(p, &in);
		if (dead)
			for (int b = 0; b < len; b++)
				SETBIT(fn_dead, off + (unsigned long)b);
		if (no_fallthrough(p, &in))
			dead = 1;
		off += (unsigned long)len;
	}
	/* the sites of this function rewritten already: their trampolines
	 * come back after the syscall (a target no instruction shows) */
	for (unsigned k = 0, n = taken(); k < n; k++) {
		const struct rw_site *x = &rw_sites[rw_taken[k]];
		unsigned long a = __atomic_load_n(&x->at, __ATOMIC_ACQUIRE);

		if (a > lo && a - lo < size && !x->why && x->nr)
			SETBIT(fn_target, a - lo);
	}
	for (int i = 0; i < nplans; i++) {	/* an image's, as if made */
		if (plans[i].sys + 2 > lo && plans[i].sys + 2 - lo < size)
			SETBIT(fn_target, plans[i].sys + 2 - lo);
		for (unsigned long x = plans[i].lo; x < plans[i].hi; x++)
			if (x >= lo && x - lo < size)
				SETBIT(fn_taken, x - lo);	/* taken: not a stub */
	}
	for (unsigned long off = 0; off < size; off++)
		if (BIT(fn_target, off) && !BIT(fn_start, off))
			return "a branch in its function lands inside an instruction";
	if (k < 0)
		return "the syscall is not an instruction start of its function";
	{
		const unsigned char *p = (const unsigned char *)sys;

		if (p[0] != 0x0f || p[1] != 0x05)
			return "not a syscall instruction";
	}
	/* a dead run that reaches the function's end, after an instruction
	 * that does not fall through, continues into the padding after it */
	{
		struct vu_x86i in;
		unsigned long last = lo + fn_insn[n - 1];
		int last_dead = 0;

		vu_x86_decode((const unsigned char *)last, (const unsigned char *)hi, &in);
		last_dead = no_fallthrough((const unsigned char *)last, &in) || BIT(fn_dead, fn_insn[n - 1]);
		w->stub = find_stub(sys, lo, hi, next, last_dead, prev_lo, prev_hi);
	}
	if ((w->stub || k >= 0) && in_image(sys))	/* (k: always) */
		return image_why;
	if (w->stub) {
		w->straddle = (sys & 15) == 15;
		return NULL;
	}
	/* the window method: back from the syscall over simple instructions
	 * to a head of 5 bytes or more; only the head's first 5 bytes change */
	for (int j = k - 1; j >= 0 && j >= k - 12; j--) {
		unsigned long a = lo + fn_insn[j];
		int len = (int)(fn_insn[j + 1] - fn_insn[j]), dest, cst;
		unsigned long val;
		struct vu_x86i in;

		vu_x86_decode((const unsigned char *)a, (const unsigned char *)hi, &in);
		if (!simple((const unsigned char *)a, len, &in, &dest, &cst, &val))
			break;
		if (len >= 5) {
			w->straddle = (a & 15) > 11;
			w->head = a;
			return NULL;
		}
	}
	return "no padding within a short jump and no relocatable instruction of 5 bytes or more just before the syscall";
}

/* ---- trampoline memory, within 2 GiB of the site ---- */
#define REGION 65536
struct region {
	unsigned long base, used;
};
static struct region regions[64];
static int nregions;

static int near(unsigned long a, unsigned long b)
{
	long d = (long)(a - b);

	return d > -0x7ff00000L && d < 0x7ff00000L;
}

/* a trampoline's slot page: vu_rw_entry's address, then (at SEL_TPOFF)
 * where this thread's selector is from the thread pointer (tramp_emit) */
#define SEL_TPOFF 8	/* in a slot's page, after vu_rw_entry's address */
static unsigned long sel_tpoff(void)
{
	unsigned long tp;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return (unsigned long)&vu_selector - tp;
}

static unsigned char *tramp_alloc(unsigned long site, size_t len, unsigned long *slot)
{
	struct region *r = NULL;
	unsigned char *p;

	for (int i = 0; i < nregions; i++)
		if (near(regions[i].base, site) && near(regions[i].base + REGION, site) &&
		    regions[i].used + len <= REGION)
			r = &regions[i];
	if (!r) {
		long got = -1;

		if (nregions == (int)(sizeof(regions) / sizeof(regions[0])))
			return NULL;
		for (long d = 1; d < 4096 && (got < 0 || !near((unsigned long)got, site)); d++) {
			/* alternately below and above the site, 1 MiB steps */
			unsigned long hint = (site & ~0xfffffUL) + (d & 1 ? -(d / 2 + 1) : (d / 2 + 16)) * 0x100000L;

			if (hint < 0x10000000UL)
				continue;	/* never near page 0 */
			got = vu_sys6(SYS_mmap, hint, REGION, PROT_READ | PROT_WRITE | PROT_EXEC,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (got < 0 && got > -4096)
				got = -1;
			else if (!near((unsigned long)got, site)) {
				vu_sys2(SYS_munmap, got, REGION);
				got = -1;
			}
		}
		if (got < 0)
			return NULL;
		/* the slot first, then the region is published: a fork child
		 * (which may find rw_lock taken and resets it) never sees a
		 * region whose slot is not written */
		*(unsigned long *)got = (unsigned long)vu_rw_entry;
		*(unsigned long *)(got + SEL_TPOFF) = sel_tpoff();
		r = &regions[nregions];
		r->base = (unsigned long)got;
		r->used = 16;
		__atomic_store_n(&nregions, nregions + 1, __ATOMIC_RELEASE);
	}
	p = (unsigned char *)r->base + r->used;
	*slot = r->base;
	r->used = (r->used + len + 15) & ~15UL;
	return p;
}

static int in_regions(unsigned long a)
{
	for (int i = 0; i < nregions; i++)
		if (a - regions[i].base < REGION)
			return 1;
	for (int i = 0; i < nimages; i++)
		if (a >= images[i].tramp && a < images[i].tramp_end)
			return 1;
	return 0;
}

static void sync_cores(void)
{
	/* MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, registered on first
	 * use (and again in a fork child: registration is per mm) */
	if (vu_sys2(SYS_membarrier, 32, 0) == -EPERM &&
	    vu_sys2(SYS_membarrier, 64, 0) == 0)
		vu_sys2(SYS_membarrier, 32, 0);
}

static void put32(unsigned char *p, long v)
{
	int x = (int)v;

	memcpy(p, &x, 4);
}

static const char straddle_why[] =
	"the patched bytes would straddle a 16-byte block (patched at the next start-up, or with one thread)";

/* does the process have one thread? (/proc/self/stat, field 20) */
static int single_threaded(void)
{
	char buf[1024];
	long fd = vu_sys4(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC, 0), n;
	const char *p;
	int field = 2;

	if (fd < 0)
		return 0;
	n = vu_sys3(SYS_read, fd, buf, sizeof(buf) - 1);
	vu_sys1(SYS_close, fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* after comm, which may hold spaces */
	if (!p)
		return 0;
	for (p++; *p && field < 20; p++)
		if (*p == ' ')
			field++;
	return field == 20 && p[0] == '1' && p[1] == ' ';
}

/* store the 16 bytes at chunk (16-aligned) if they still hold old: one
 * lock cmpxchg16b, so another thread fetches all old or all new bytes */
static int store16(unsigned long chunk, unsigned long old[2], unsigned long nw[2])
{
	int ok;

	__asm__ volatile("lock cmpxchg16b %1\n\tsete %b0"
			 : "=q"(ok), "+m"(*(unsigned __int128 *)chunk), "+a"(old[0]), "+d"(old[1])
			 : "b"(nw[0]), "c"(nw[1])
			 : "memory", "cc");
	return ok & 1;
}

/* a site's trampoline:
 *	[the window's displaced instructions]
 *	mov slot+8(%rip),%rcx; movzbl %fs:(%rcx),%ecx; jrcxz A
 *	lea -128(%rsp),%rsp; push $idx; call *slot(%rip)
 * R1:	lea 136(%rsp),%rsp; jmp sys+2
 * R2:	lea 136(%rsp),%rsp; syscall; jmp sys+2
 * A:	syscall; jmp sys+2
 * vu_rw_call returns to R2 (R1 + VU_RW_R2) for a call that keeps the trap
 * path: the syscall instruction there traps as the site did (or, with the
 * selector at ALLOW, goes to the kernel), with every register as the
 * program set it.
 * The first three instructions read this thread's selector (slot + 8 holds
 * its offset from the thread pointer, SEL_TPOFF): at ALLOW -- glibc's
 * function run by a wrapper, or by vu itself -- the call goes to the
 * kernel from A, as the untouched site would, instead of through
 * vu_rw_entry (which saves the whole register file with xsave: +200 ns a
 * call here, measured on getppid behind its wrapper). They change rcx
 * only, which the syscall clobbers anyway, and no flags (jrcxz), so the
 * program sees what the bare instruction leaves. */
/* tramp_emit -- write w's trampoline at dst, for the address at (where it
 * will run; slot holds vu_rw_entry's address); its length, or 0 */
static size_t tramp_emit(const struct window *w, long idx, unsigned char *dst, unsigned long at,
			 unsigned long slot, unsigned long *r2)
{
	size_t wl = w->head ? w->sys - w->head : 0;
	unsigned char *p = dst, *allow;
	long delta = (long)at - (long)(unsigned long)dst;	/* final - written */
#define FINAL(q) ((long)(unsigned long)(q) + delta)

	memcpy(p, (void *)w->head, wl);			/* the displaced instructions */
	for (size_t off = 0; off < wl;) {		/* RIP-relative: the same target */
		struct vu_x86i in;
		int len = vu_x86_decode(p + off, p + wl, &in);
		int d;
		long nd;

		if (len <= 0)
			return 0;
		if (in.riprel) {	/* lea/mov only (simple()): the displacement ends it */
			memcpy(&d, p + off + len - 4, 4);
			nd = (long)d + (long)(w->head + off) - FINAL(p + off);
			if (nd != (int)nd)
				return 0;
			put32(p + off + len - 4, nd);
		}
		off += (size_t)len;
	}
	p += wl;
	memcpy(p, "\x48\x8b\x0d", 3);			/* mov slot+8(%rip),%rcx */
	p += 3;
	put32(p, (long)(slot + SEL_TPOFF) - FINAL(p + 4));
	p += 4;
	memcpy(p, "\x64\x0f\xb6\x09", 4);			/* movzbl %fs:(%rcx),%ecx */
	p += 4;
	*p++ = 0xe3;					/* jrcxz A (set below) */
	allow = p++;
	memcpy(p, "\x48\x8d\x64\x24\x80", 5);		/* lea -128(%rsp),%rsp */
	p += 5;
	*p++ = 0x68;					/* push $idx */
	put32(p, idx);
	p += 4;
	*p++ = 0xff;					/* call *slot(%rip) */
	*p++ = 0x15;
	put32(p, (long)slot - FINAL(p + 4));
	p += 4;
	for (int r = 0; r < 2; r++) {
		if (r && r2)
			*r2 = (unsigned long)FINAL(p);
		memcpy(p, "\x48\x8d\xa4\x24\x88\x00\x00\x00", 8);	/* lea 136(%rsp),%rsp */
		p += 8;
		if (r) {
			*p++ = 0x0f;				/* syscall */
			*p++ = 0x05;
		}
		*p++ = 0xe9;					/* jmp after the syscall */
		put32(p, (long)(w->sys + 2) - FINAL(p + 4));
		p += 4;
	}
	*allow = (unsigned char)(p - (allow + 1));		/* A: */
	*p++ = 0x0f;						/* syscall */
	*p++ = 0x05;
	*p++ = 0xe9;						/* jmp after the syscall */
	put32(p, (long)(w->sys + 2) - FINAL(p + 4));
	p += 4;
#undef FINAL
	return (size_t)(p - dst);
}

#define TRAMP_LEN 64	/* tramp_emit's bytes past the window's */
static unsigned char *tramp_make(struct window *w, long idx, unsigned long *r2)
{
	size_t wl = w->head ? w->sys - w->head : 0;
	unsigned long slot = 0;
	unsigned char *t = tramp_alloc(w->sys, wl + TRAMP_LEN, &slot);

	if (!t || !tramp_emit(w, idx, t, (unsigned long)t, slot, r2))
		return NULL;
	return t;
}

/* batch: the caller made the pages writable and serializes (eager) */
static const char *install(struct window *w, long idx, unsigned long *r2, int batch)
{
	unsigned long at = w->stub ? w->sys : w->head;
	unsigned long chunk = at & ~15UL, lo_page, hi_page, old[2], nw[2], stub_end;
	unsigned char *t, *b;
	const char *why = NULL;

	if (w->straddle && !batch && !single_threaded())
		return straddle_why;
	t = tramp_make(w, idx, r2);
	if (!t)
		return "no trampoline memory within 2 GiB";
	stub_end = w->stub ? pad_end(w->stub, w->stub + 20) : 0;
	if (w->stub && !stub_end)
		return "its padding changed under vu";
	lo_page = (w->stub && w->stub < at ? w->stub : at) & ~4095UL;
	hi_page = ((stub_end > at + 5 ? stub_end : at + 5) + 4095) & ~4095UL;
	if (!batch && vu_sys3(SYS_mprotect, lo_page, hi_page - lo_page, w->prot | PROT_WRITE))
		return "cannot make its page writable";
	if (w->stub) {
		/* the jump method: first the stub (dead bytes: nothing runs
		 * them), then the syscall becomes jmp rel8 to it */
		unsigned char stub[5];

		stub[0] = 0xe9;
		put32(stub + 1, (long)(unsigned long)t - (long)(w->stub + 5));
		memset((void *)(w->stub + 5), 0x90, stub_end - w->stub - 5);
		memcpy((void *)w->stub, stub, 5);
	}
	if (!batch)
		sync_cores();
	memcpy(old, (void *)chunk, 16);
	memcpy(nw, old, 16);
	b = (unsigned char *)nw + (at - chunk);
	if (w->stub) {
		b[0] = 0xeb;
		b[1] = (unsigned char)(signed char)((long)w->stub - (long)(w->sys + 2));
	} else {
		b[0] = 0xe9;
		put32(b + 1, (long)(unsigned long)t - (long)(w->head + 5));
	}
	if (w->straddle) {
		/* a plain store: only when no other thread can fetch the bytes
		 * (start-up, or the process has one thread; this thread is at
		 * the syscall, past the head, and the head changes whole) */
		const unsigned char *src = w->stub ? (const unsigned char *)"\xeb" : (const unsigned char *)"\xe9";
		unsigned char j[5];

		j[0] = src[0];
		if (w->stub)
			j[1] = (unsigned char)(signed char)((long)w->stub - (long)(w->sys + 2));
		else
			put32(j + 1, (long)(unsigned long)t - (long)(w->head + 5));
		memcpy((void *)at, j, w->stub ? 2 : 5);
	} else if (!store16(chunk, old, nw))
		why = "its bytes changed under vu";
	if (!why && !w->stub) {
		/* the rest of the head: dead now (every thread serialized after
		 * the jump went in), one-byte nops so that the function still
		 * decodes for the next site in it */
		struct vu_x86i in;
		int len = vu_x86_decode(t, t + 16, &in);	/* its copy */

		if (!batch)
			sync_cores();
		if (len > 5)
			memset((void *)(w->head + 5), 0x90, (size_t)len - 5);
	}
	if (!batch) {
		vu_sys3(SYS_mprotect, lo_page, hi_page - lo_page, w->prot);
		sync_cores();
	}
	return why;
}

/* vu_rewrite_trap -- from the SIGSYS handler, before the call is
 * dispatched: at is the address after the syscall instruction */
void vu_rewrite_trap(unsigned long at, long nr)
{
	struct rw_site *s;
	struct window w;
	const char *why;
	int unlocked = 0;

	if (vu_foreign || vu.mode != VU_MODE_ALL || in_regions(at))
		return;		/* a trampoline's own syscall: its site is decided */
	s = site_get(at, rw_after > 1);
	if (s && __atomic_load_n(&s->nr, __ATOMIC_ACQUIRE))
		return;		/* decided: rewritten (a thread was inside the window) or refused */
	if (s && __atomic_add_fetch(&s->traps, 1, __ATOMIC_RELAXED) < rw_after)
		return;		/* not hot (yet): its page stays shared */
	if (!__atomic_compare_exchange_n(&rw_lock, &unlocked, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another thread is patching: this call traps */
	s = site_get(at, 1);
	if (s && !s->nr) {
		why = analyze(at - 2, &w);
		if (!why)
			why = install(&w, s - rw_sites, &s->r2, 0);
		s->why = why;
		if (!why || why == straddle_why) {	/* one for the cache */
			s->stub = w.stub;
			s->head = w.head;
			s->mod = w.mod;
			s->fresh = w.mod >= 0 && cache_path[0];
			vu_rewrite_fresh |= s->fresh;
		}
		__atomic_store_n(&s->nr, nr ? nr : -1000, __ATOMIC_RELEASE);
		vu_debug("rewrite 0x%lx (%ld): %s", at - 2, nr, why ? why : w.stub ? "rewritten (jump)" : "rewritten (window)");
	}
	__atomic_store_n(&rw_lock, 0, __ATOMIC_RELEASE);
}

/* ---- the learned-sites cache ----
 * A site rewritten here is appended, at exit or exec, to one file
 * (VU_CACHE_DIR/sites.1, by default cache/sites.1 beside libvu.so: never in
 * a folder the program lists, as ~/.cache would be; VU_CACHE_DIR="" turns
 * it off; the number changes when the rules of analyze() do):
 * "EXEID BUILDID OFF j STUB"
 * (the jump method) or "... w HEAD" (the window method), offsets from the
 * object's load address, per program (EXEID: the program's build ID): only
 * sites that became hot (rw_after traps) are learned, and a program
 * patches at start-up only the sites it made hot before -- each patched
 * page costs a private copy (about 30 us here), so the file must not make
 * every program pay for every other program's sites. The file is read and
 * written with vu's own calls (no layer sees them); lines are appended
 * whole (O_APPEND), repeats are skipped. Unwritable: nothing is learned. */
/* the cache's folder (and its parent) */
static void cache_mkdir(void)
{
	char dir[CACHE_PATH_MAX];
	char *slash;

	vu_stpcpy(dir, cache_path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = 0;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		vu_sys3(SYS_mkdirat, AT_FDCWD, dir, 0755);
		*slash = '/';
	}
	vu_sys3(SYS_mkdirat, AT_FDCWD, dir, 0755);
}

void vu_rewrite_save(void)
{
	char line[200];
	long fd;

	if (!__atomic_exchange_n(&vu_rewrite_fresh, 0, __ATOMIC_ACQ_REL) || !cache_path[0] || !exe_id[0])
		return;
	fd = vu_sys4(SYS_openat, AT_FDCWD, cache_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		cache_mkdir();
		fd = vu_sys4(SYS_openat, AT_FDCWD, cache_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			cache_path[0] = 0;
			return;
		}
	}
	for (unsigned k = 0, nk = taken(); k < nk; k++) {
		struct rw_site *x = &rw_sites[rw_taken[k]];
		int n;

		if (!x->fresh || (x->why && x->why != straddle_why) || x->mod < 0 || x->mod >= nmods)
			continue;
		x->fresh = 0;
		n = vu_format(line, sizeof(line), "%s %s %lx %c %lx\n", exe_id, mods[x->mod].id,
			      x->at - 2 - mods[x->mod].base, x->stub ? 'j' : 'w',
			      (x->stub ? x->stub : x->head) - mods[x->mod].base);
		if (n > 0 && n < (int)sizeof(line))
			vu_sys3(SYS_write, fd, line, n);
	}
	vu_sys1(SYS_close, fd);
}

/* a cached site still looks as it did when it was analyzed */
static int cached_ok(struct window *w, unsigned long lo, unsigned long hi)
{
	const unsigned char *p = (const unsigned char *)w->sys;

	if (w->sys < lo || w->sys + 2 > hi || p[0] != 0x0f || p[1] != 0x05)
		return 0;
	if (w->stub) {
		long d = (long)w->stub - (long)(w->sys + 2);

		if (d < -128 || d > 127 || w->stub < lo || w->stub + 5 > hi)
			return 0;
		w->straddle = (w->sys & 15) == 15;
		if (!pad_end(w->stub, w->stub + 20))
			return 0;	/* padding instructions from the stub on */
		return 1;
	}
	if (w->head < lo || w->head >= w->sys || w->sys - w->head > 64)
		return 0;
	w->straddle = (w->head & 15) > 11;
	for (unsigned long a = w->head, first = 1; a < w->sys; first = 0) {
		struct vu_x86i in;
		int len = vu_x86_decode((const unsigned char *)a, (const unsigned char *)w->sys, &in), dest, cst;
		unsigned long val;

		if (len <= 0 || !simple((const unsigned char *)a, len, &in, &dest, &cst, &val) || (first && len < 5))
			return 0;
		a += (unsigned long)len;
		if (a > w->sys)
			return 0;
	}
	return 1;
}

struct eager {
	const char *data;
	long len;
	int patched;
	int single;	/* one thread: a straddling patch is a plain store */
};

static int hexnum(const char **pp, const char *end, unsigned long *v)
{
	const char *p = *pp;
	int n = 0;

	*v = 0;
	while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
		*v = *v * 16 + (unsigned long)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		p++;
		n++;
	}
	*pp = p;
	return n > 0 && n <= 16;
}

/* one loaded object: patch its cached sites (pages writable once) */
static int eager_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct eager *e = arg;
	const ElfW(Ehdr) *eh = NULL;
	unsigned long lo = 0, hi = 0;
	int prot = 0, m, nw = 0;
	static struct window ws[256] VU_BIG_BSS;
	char id[41];

	(void)size;
	if (!info->dlpi_name || !strncmp(info->dlpi_name, "linux-", 6))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && ph->p_offset == 0)
			eh = (const ElfW(Ehdr) *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && !(ph->p_flags & PF_W) && !hi) {
			lo = info->dlpi_addr + ph->p_vaddr;
			hi = lo + ph->p_memsz;
			prot = PROT_EXEC | (ph->p_flags & PF_R ? PROT_READ : 0);
		}
	}
	if (!eh || !hi || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    ((unsigned long)vu_rw_entry >= lo && (unsigned long)vu_rw_entry < hi))
		return 0;
	build_id(eh, info->dlpi_addr, id);
	if (!id[0])
		return 0;
	for (const char *p = e->data, *end = e->data + e->len; p < end && nw < 256;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		unsigned long off, aux;
		char kind;
		size_t idl = strlen(id);

		if (!eol)
			break;
		size_t el = strlen(exe_id);

		/* "EXEID LIBID OFF kind AUX": this program's lines for this object */
		if ((size_t)(eol - p) > el + 1 + idl && !memcmp(p, exe_id, el) && p[el] == ' ' &&
		    !memcmp(p + el + 1, id, idl) && p[el + 1 + idl] == ' ') {
			struct window w = { 0 };

			q = p + el + 1 + idl + 1;
			if (hexnum(&q, eol, &off) && q + 3 < eol && q[0] == ' ' && q[2] == ' ') {
				kind = q[1];
				q += 3;
				if (hexnum(&q, eol, &aux) && q == eol && (kind == 'j' || kind == 'w')) {
					w.sys = info->dlpi_addr + off;
					w.prot = prot;
					if (kind == 'j')
						w.stub = info->dlpi_addr + aux;
					else
						w.head = info->dlpi_addr + aux;
					if (w.sys >= lo && w.sys + 2 <= hi && !site_get(w.sys + 2, 0)) {
						int dup = 0;

						for (int k = 0; k < nw; k++)
							dup |= ws[k].sys == w.sys;
						if (!dup)
							ws[nw++] = w;
					}
				}
			}
		}
		p = eol + 1;
	}
	if (!nw)
		return 0;
	m = mod_of(eh, info->dlpi_addr);
	{
		unsigned long plo = lo & ~4095UL, phi = (hi + 4095) & ~4095UL;

		if (vu_sys3(SYS_mprotect, plo, phi - plo, prot | PROT_WRITE))
			return 0;
		for (int k = 0; k < nw; k++) {
			struct rw_site *x = site_get(ws[k].sys + 2, 1);

			if (!x || x->nr || !cached_ok(&ws[k], lo, hi))
				continue;	/* (checked on the bytes as the patches so far left them) */
			if (ws[k].straddle && e->single < 0)
				e->single = single_threaded();
			if (ws[k].straddle && !e->single)
				continue;	/* another thread runs already: leave it to the trap */
			ws[k].mod = m;
			if (install(&ws[k], x - rw_sites, &x->r2, 1)) {
				x->why = "its cached patch did not apply";
			} else {
				x->stub = ws[k].stub;
				x->head = ws[k].head;
				x->mod = m;
				e->patched++;
			}
			__atomic_store_n(&x->nr, -1001, __ATOMIC_RELEASE);	/* call number unknown */
		}
		vu_sys3(SYS_mprotect, plo, phi - plo, prot);
	}
	return 0;
}

/* many repeated lines (processes that learned the same sites at the same
 * time, fork children): write the file anew, each line once (a temporary
 * file renamed over it; a line appended meanwhile is learned again) */
static void compact(const char *buf, long len)
{
	static unsigned long seen[8192] VU_BIG_BSS;
	static char out[262144] VU_BIG_BSS;
	char tmp[CACHE_PATH_MAX + 32];
	long n = 0, lines = 0, kept = 0, fd;
	unsigned long size = 128;	/* of seen used: twice the lines, a power of two */

	/* the file is rewritten only when it has at least 64 lines: a smaller
	 * one costs nothing here (zeroing all of seen was 16 pages written, ~30 us,
	 * in every process) */
	for (const char *p = buf; p < buf + len && (p = memchr(p, '\n', (size_t)(buf + len - p))); p++)
		lines++;
	if (lines < 64)
		return;
	while (size < 8192 && size < 2 * (unsigned long)lines)
		size *= 2;
	lines = 0;
	memset(seen, 0, size * sizeof(seen[0]));
	for (const char *p = buf, *eol; p < buf + len && (eol = memchr(p, '\n', (size_t)(buf + len - p))); p = eol + 1) {
		unsigned long h = 1469598103934665603UL, i;
		int dup = 0;

		for (const char *q = p; q < eol; q++)
			h = (h ^ (unsigned char)*q) * 1099511628211UL;
		h |= 1;
		lines++;
		for (i = h % size; seen[i]; i = (i + 1) % size)
			if (seen[i] == h) {
				dup = 1;
				break;
			}
		if (dup || kept >= 4096)
			continue;
		seen[i] = h;
		memcpy(out + n, p, (size_t)(eol - p + 1));
		n += eol - p + 1;
		kept++;
	}
	if (lines < 2 * kept + 64)
		return;
	vu_format(tmp, sizeof(tmp), "%s.%ld", cache_path, vu_sys0(SYS_getpid));
	fd = vu_sys4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (vu_sys3(SYS_write, fd, out, n) == n && !vu_sys1(SYS_close, fd)) {
		if (vu_sys4(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, cache_path))
			vu_sys3(SYS_unlinkat, AT_FDCWD, tmp, 0);
		return;
	}
	vu_sys1(SYS_close, fd);
	vu_sys3(SYS_unlinkat, AT_FDCWD, tmp, 0);
}

/* the program's build ID (the first object dl_iterate_phdr names) */
static int exe_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && info->dlpi_phdr[i].p_offset == 0) {
			const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);

			if (!memcmp(eh->e_ident, ELFMAG, SELFMAG))
				build_id(eh, info->dlpi_addr, exe_id);
			break;
		}
	return 1;	/* the first one only */
}

/* at start-up: patch the cached sites of every loaded object */
static void eager_patch(void)
{
	static char buf[262144] VU_BIG_BSS;
	struct eager e = { buf, 0, 0, -1 };
	long fd = vu_sys4(SYS_openat, AT_FDCWD, cache_path, O_RDONLY | O_CLOEXEC, 0), r;

	if (fd < 0)
		return;
	while (e.len < (long)sizeof(buf) && (r = vu_sys3(SYS_read, fd, buf + e.len, sizeof(buf) - e.len)) > 0)
		e.len += r;
	vu_sys1(SYS_close, fd);
	if (e.len <= 0)
		return;
	dl_iterate_phdr(eager_object, &e);
	if (e.patched)
		sync_cores();
	compact(buf, e.len);
	vu_debug("rewrite: %d cached sites patched at start-up", e.patched);
}

/* ---- images ----
 * The sites of the C library and the loader -- where the calls glibc makes
 * inside itself are -- patched in place cost a private copy of each page
 * they touch (about 30 us a page on this VM, 12 traps' worth), in every
 * process. Instead, vu writes once, per build ID, a file holding the
 * object's code with every site analyze() proves patched, and the
 * trampolines, and every process maps it over the object's code
 * (MAP_PRIVATE, never written: the page cache shares it, and a page costs
 * the same fault as the original's). The trampolines are IMG_DIST below
 * the code (rel32 jumps fixed in the file), with a private page below them
 * holding vu_rw_entry's address. The file: a header page, the code at the
 * object's own file offset (so /proc/self/maps offsets stay the object's),
 * the trampolines after it. Its name starts with the object's (stats.c
 * names sites by it). Anything that does not match -- version, build ID,
 * sizes, the address range taken -- and the object is left as it is. */
#define IMG_VERSION 3
#define IMG_DIST (1UL << 30)
#define IMG_TRAMP_MAX (256UL * 1024)
struct img_hdr {
	char magic[8];
	unsigned version, nsites;
	char id[48];
	unsigned long text_addr;	/* the code's start, from the load address (page) */
	unsigned long text_off;		/* its file offset (page) */
	unsigned long text_len, tramp_len, dist;
};

/* the code segment of an object: [*lo, *hi) pages, its file offset */
static int img_text(struct dl_phdr_info *info, unsigned long *lo, unsigned long *hi, unsigned long *off)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && !(ph->p_flags & PF_W)) {
			*lo = (info->dlpi_addr + ph->p_vaddr) & ~4095UL;
			*hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~4095UL;
			*off = ph->p_offset & ~4095UL;
			return (ph->p_vaddr & 4095) == (ph->p_offset & 4095) && ph->p_filesz == ph->p_memsz ? 0 : -1;
		}
	}
	return -1;
}

static int img_build(const char *path, struct dl_phdr_info *info, const char *id)
{
	unsigned long lo, hi, off, tramp, slot, used = 0;
	size_t tl, total;
	unsigned char *buf;
	struct img_hdr *h;
	char tmp[4200];
	long fd, w = 0;
	int n = 0;

	if (img_text(info, &lo, &hi, &off) || lo < IMG_DIST + 0x10000000UL)
		return -1;
	for (int i = 0; i < RW_SITES; i++)
		if (rw_sites[i].at > lo && rw_sites[i].at <= hi && rw_sites[i].nr && !rw_sites[i].why)
			return -1;	/* patched here already: not the object's own bytes */
	tl = hi - lo;
	tramp = lo - IMG_DIST;
	slot = tramp - 4096;
	total = off + tl + IMG_TRAMP_MAX;
	buf = (unsigned char *)vu_sys6(SYS_mmap, 0, 4096 + tl + IMG_TRAMP_MAX + 65536 * sizeof(struct plan),
				       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)buf > -4096UL)
		return -1;
	memcpy(buf + 4096, (void *)lo, tl);
	plans = (struct plan *)(buf + 4096 + tl + IMG_TRAMP_MAX);
	nplans = 0;
	for (unsigned long a = lo; a + 2 <= hi && nplans < 65536; a++) {
		struct window win;
		size_t len;
		unsigned char *t = buf + 4096 + tl + used;

		if (((unsigned char *)a)[0] != 0x0f || ((unsigned char *)a)[1] != 0x05 || analyze(a, &win))
			continue;
		if (used + 128 + TRAMP_LEN > IMG_TRAMP_MAX)
			break;
		len = tramp_emit(&win, IMG_SITE | (long)(a - lo), t, tramp + used, slot, NULL);
		if (!len)
			continue;
		if (win.stub) {
			unsigned long e = pad_end(win.stub, win.stub + 20);
			unsigned char *sb = buf + 4096 + (win.stub - lo), *jb = buf + 4096 + (a - lo);

			if (!e)
				continue;
			sb[0] = 0xe9;
			put32(sb + 1, (long)(tramp + used) - (long)(win.stub + 5));
			memset(sb + 5, 0x90, e - win.stub - 5);
			jb[0] = 0xeb;
			jb[1] = (unsigned char)(signed char)((long)win.stub - (long)(a + 2));
			plans[nplans++] = (struct plan){ a, win.stub, e };
		} else {
			struct vu_x86i in;
			int hl = vu_x86_decode((const unsigned char *)win.head, (const unsigned char *)a, &in);
			unsigned char *hb = buf + 4096 + (win.head - lo);

			if (hl < 5)
				continue;
			hb[0] = 0xe9;
			put32(hb + 1, (long)(tramp + used) - (long)(win.head + 5));
			memset(hb + 5, 0x90, (size_t)hl - 5);
			plans[nplans++] = (struct plan){ a, win.head, win.head + (unsigned long)hl };
		}
		used = (used + len + 15) & ~15UL;
		n++;
	}
	plans = NULL;
	nplans = 0;
	h = (struct img_hdr *)buf;
	memcpy(h->magic, "vu-img\0\1", 8);
	h->version = IMG_VERSION;
	h->nsites = (unsigned)n;
	vu_stpcpy(h->id, id);
	h->text_addr = lo - info->dlpi_addr;
	h->text_off = off;
	h->text_len = tl;
	h->tramp_len = (used + 4095) & ~4095UL;
	h->dist = IMG_DIST;
	vu_format(tmp, sizeof(tmp), "%s.%ld", path, vu_sys0(SYS_getpid));
	fd = vu_sys4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		cache_mkdir();
		fd = vu_sys4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd >= 0) {
		/* header, then the code at its own offset (a hole before), then
		 * the trampolines */
		w = vu_sys4(SYS_pwrite64, fd, buf, 4096, 0) == 4096 &&
		    vu_sys4(SYS_pwrite64, fd, buf + 4096, tl, off) == (long)tl &&
		    (!h->tramp_len || vu_sys4(SYS_pwrite64, fd, buf + 4096 + tl, h->tramp_len, off + tl) == (long)h->tramp_len);
		vu_sys1(SYS_close, fd);
		if (!w || vu_sys4(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, path))
			vu_sys3(SYS_unlinkat, AT_FDCWD, tmp, 0);
	}
	(void)total;
	vu_sys2(SYS_munmap, buf, 4096 + tl + IMG_TRAMP_MAX + 65536 * sizeof(struct plan));
	vu_debug("rewrite: image %s: %d sites", path, n);
	return w ? 0 : -1;
}

/* The image replaces the library's code mapping: every page of it the
 * process has used so far (the loader's and libc's start-up, vu's own)
 * would be faulted in again, one 64 KiB window at a time (~10 faults for
 * libc: 2-10 µs each). Which pages were mapped is read from
 * /proc/self/pagemap before (its present bit: no privilege needed); after,
 * they are mapped again from the image with MADV_POPULATE_READ, runs closer
 * than 64 KiB merged: a few calls. Without pagemap or on a kernel without
 * MADV_POPULATE_READ (5.14), the pages fault in as before. */
#define IMG_PM_MAX 1024	/* pages of code looked at: 4 MiB (libc's: 1.4 MiB) */
struct img_resident {
	unsigned long lo;
	unsigned n;
	unsigned long bits[IMG_PM_MAX / 64];
};

static void img_resident_read(unsigned long lo, unsigned long hi, struct img_resident *r)
{
	unsigned long pm[128];	/* (1 KiB of the stack at a time) */
	long fd;

	r->lo = lo;
	r->n = 0;
	if (hi <= lo || (hi - lo) / 4096 > IMG_PM_MAX)
		return;
	fd = vu_sys4(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	for (unsigned long i = 0, n = (hi - lo) / 4096; i < n;) {
		unsigned long want = n - i < 128 ? n - i : 128;
		long got = vu_sys4(SYS_pread64, fd, pm, want * 8, (long)((lo / 4096 + i) * 8));

		if (got <= 0)
			break;
		for (long k = 0; k < got / 8; k++, i++)
			if (pm[k] >> 63)	/* present */
				r->bits[i / 64] |= 1UL << (i % 64);
		r->n = i;
	}
	vu_sys1(SYS_close, fd);
}

static void img_resident_populate(const struct img_resident *r)
{
	unsigned long i = 0, start, end;

	for (;;) {
		while (i < r->n && !(r->bits[i / 64] >> (i % 64) & 1))
			i++;
		if (i >= r->n)
			return;
		start = end = i;
		/* the run, and any next one less than 16 pages after it */
		for (; i < r->n && i <= end + 16; i++)
			if (r->bits[i / 64] >> (i % 64) & 1)
				end = i;
		vu_sys3(SYS_madvise, r->lo + start * 4096, (end - start + 1) * 4096, MADV_POPULATE_READ);
		i = end + 1;
	}
}

static int img_map(const char *path, struct dl_phdr_info *info, const char *id)
{
	struct img_resident res = { 0 };
	struct img_hdr h;
	struct stat st;
	unsigned long lo, hi, off, tramp, slot;
	long fd = vu_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), r;

	if (fd < 0)
		return -1;
	if (img_text(info, &lo, &hi, &off) || vu_sys4(SYS_pread64, fd, &h, sizeof(h), 0) != (long)sizeof(h) ||
	    memcmp(h.magic, "vu-img\0\1", 8) || h.version != IMG_VERSION || strcmp(h.id, id) ||
	    h.text_addr != lo - info->dlpi_addr || h.text_off != off || h.text_len != hi - lo ||
	    h.dist != IMG_DIST || h.tramp_len > IMG_TRAMP_MAX || vu_sys2(SYS_fstat, fd, &st) ||
	    (unsigned long)st.st_size < off + h.text_len + h.tramp_len || nimages == 4) {
		vu_sys1(SYS_close, fd);
		return -1;
	}
	tramp = lo - IMG_DIST;
	slot = tramp - 4096;
	r = vu_sys6(SYS_mmap, slot, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if ((unsigned long)r != slot) {
		if ((unsigned long)r < -4096UL)
			vu_sys2(SYS_munmap, r, 4096);
		vu_sys1(SYS_close, fd);
		return -1;
	}
	*(unsigned long *)slot = (unsigned long)vu_rw_entry;
	*(unsigned long *)(slot + SEL_TPOFF) = sel_tpoff();
	if (h.tramp_len) {
		r = vu_sys6(SYS_mmap, tramp, h.tramp_len, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, off + h.text_len);
		if ((unsigned long)r != tramp) {
			if ((unsigned long)r < -4096UL)
				vu_sys2(SYS_munmap, r, h.tramp_len);
			vu_sys2(SYS_munmap, slot, 4096);
			vu_sys1(SYS_close, fd);
			return -1;
		}
	}
	img_resident_read(lo, lo + h.text_len, &res);
	r = vu_sys6(SYS_mmap, lo, h.text_len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, off);
	vu_sys1(SYS_close, fd);
	if ((unsigned long)r != lo)
		vu_fatal(125, "cannot map vu's image %s over its library's code", path);
	img_resident_populate(&res);
	images[nimages++] = (struct image){ lo, hi, tramp, tramp + h.tramp_len };
	vu_debug("rewrite: image %s: %u sites", path, h.nsites);
	return 0;
}

/* the objects that get an image: the C library and the loader */
static int img_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *name = info->dlpi_name, *base = name;
	const ElfW(Ehdr) *eh = NULL;
	char id[41], path[4200];

	(void)size;
	(void)arg;
	for (const char *q = name; q && *q; q++)
		if (*q == '/')
			base = q + 1;
	if (!base || (strncmp(base, "libc.so.", 8) && strncmp(base, "ld-linux", 8)))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && info->dlpi_phdr[i].p_offset == 0)
			eh = (const ElfW(Ehdr) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return 0;
	build_id(eh, info->dlpi_addr, id);
	if (!id[0] || vu_strlen(cache_path) + vu_strlen(base) + 64 > sizeof(path))
		return 0;
	/* beside sites.1: BASE+vu-ID.VERSION */
	vu_stpcpy(path, cache_path);
	vu_format(strrchr(path, '/') + 1, 200, "%s+vu-%s.%d", base, id, IMG_VERSION);
	if (img_map(path, info, id) && !img_build(path, info, id))
		img_map(path, info, id);
	return 0;
}

/* vu_rewrite_images -- from vu_init, before SUD is armed: map (or build
 * first) the images of the C library and the loader */
void vu_rewrite_images(void)
{
	int unlocked = 0;

	rw_config();
	if (!vu_rewrite_on || !cache_path[0] || vu_foreign)
		return;
	if (!__atomic_compare_exchange_n(&rw_lock, &unlocked, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	dl_iterate_phdr(img_object, NULL);
	__atomic_store_n(&rw_lock, 0, __ATOMIC_RELEASE);
}

/* vu_rewrite_forked -- in a fork child (procmodel.c): the counts and the
 * sites to save are the parent's */
void vu_rewrite_forked(void)
{
	vu_rewrite_fresh = 0;
	rw_lock = 0;	/* a thread of the parent's may have held it */
	for (unsigned k = 0, n = taken(); k < n; k++) {
		struct rw_site *s = &rw_sites[rw_taken[k]];

		s->calls = 0;
		s->r2_traps = 0;
		s->fresh = 0;
	}
}

/* vu_rewrite_origin -- stats.c: the site whose trampoline holds at (after
 * its own syscall instruction), or at */
unsigned long vu_rewrite_origin(unsigned long at)
{
	if (!in_regions(at))
		return at;
	if (in_image_tramp(at) && *(const unsigned char *)at == 0xe9) {
		int d;	/* R2's syscall is followed by jmp sys+2 */

		memcpy(&d, (const void *)(at + 1), 4);
		return at + 5 + (unsigned long)(long)d;
	}
	for (int i = 0; i < RW_SITES; i++)
		if (rw_sites[i].r2 && rw_sites[i].r2 + 10 == at) {
			__atomic_fetch_add(&rw_sites[i].r2_traps, 1, __ATOMIC_RELAXED);
			return rw_sites[i].at;
		}
	return at;
}

/* vu_rewrite_why -- stats.c: what became of the site at (after the
 * syscall): "rewritten", why it stays on SUD, or NULL (never looked at) */
const char *vu_rewrite_why(unsigned long at)
{
	struct rw_site *s;

	if (!vu_rewrite_on)
		return NULL;
	if (in_image(at - 2)) {
		/* a trap at a site of glibc's image: the image patched it (the
		 * trap was its trampoline's own syscall), or analyze() says why
		 * it could not */
		static const char patched[] = "rewritten in the C library's image; the calls that need the signal "
					      "frame (sigreturn, exec, a thread on its parent's TLS) trap at its trampoline";
		int unlocked = 0;
		struct window w;
		const char *why;

		if (*(const unsigned char *)(at - 2) == 0xeb)
			return patched;	/* the jump method's jmp rel8 */
		if (!__atomic_compare_exchange_n(&rw_lock, &unlocked, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return NULL;
		why = analyze(at - 2, &w);
		__atomic_store_n(&rw_lock, 0, __ATOMIC_RELEASE);
		return why == image_why ? patched : why;	/* (the window method: its head) */
	}
	s = site_get(at, 0);
	if (s && !__atomic_load_n(&s->nr, __ATOMIC_ACQUIRE) && s->traps)
		return not_hot_why;
	if (!s || !__atomic_load_n(&s->nr, __ATOMIC_ACQUIRE))
		return NULL;
	if (s->why)
		return s->why;
	return s->r2_traps ? "rewritten; the calls that need the signal frame (clone, exec, signal masks) still trap" :
			     "rewritten";
}

/* vu_rewrite_next -- stats.c: the rewritten sites, from *i on; their
 * calls through the trampoline (then zeroed) */
int vu_rewrite_next(int *i, unsigned long *at, long *nr, unsigned long *calls)
{
	for (; *i < RW_SITES; (*i)++) {
		struct rw_site *s = &rw_sites[*i];

		if (s->at && s->nr && !s->why) {
			*at = s->at;
			*nr = s->nr == -1000 ? 0 : s->nr == -1001 ? -1 : s->nr;
			*calls = __atomic_exchange_n(&s->calls, 0, __ATOMIC_RELAXED);
			(*i)++;
			return 1;
		}
	}
	return 0;
}

/* rw_config -- once: VU_REWRITE, VU_REWRITE_AFTER, VU_CACHE_DIR, the CPU's
 * save area (from vu_init, before the constructors, or from the latter) */
static int rw_configured;
static void rw_config(void)
{
	const char *e = vu_getenv("VU_REWRITE");
	unsigned a, b, c, d;

	if (rw_configured)
		return;
	rw_configured = 1;
	if (e && *e)
		vu_rewrite_on = strcmp(e, "0") != 0;
	if (!vu_rewrite_on || !vu.lib_path || vu.mode != VU_MODE_ALL || vu_foreign) {
		vu_rewrite_on = vu_rewrite_on && vu.mode == VU_MODE_ALL && !vu_foreign;
		return;
	}
	e = vu_getenv("VU_REWRITE_AFTER");
	if (e && *e >= '1' && *e <= '9')
		rw_after = strtoul(e, NULL, 10);
	dl_iterate_phdr(exe_of, NULL);
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (c & (1u << 27)) {	/* OSXSAVE */
		__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
		if (b >= 576) {
			vu_rw_xsave = 1;
			vu_rw_xsave_size = (b + 63) & ~63u;
		}
	}
	{
		char *file = vu_keep_room(CACHE_PATH_MAX);	/* (in place: vu_keep_trim) */

		if (file && vu_cache_file("sites.1", file, CACHE_PATH_MAX) && vu_strlen(file) + 16 < CACHE_PATH_MAX) {
			vu_keep_trim(file, CACHE_PATH_MAX, vu_strlen(file) + 1);
			cache_path = file;
		} else if (file) {
			vu_keep_trim(file, CACHE_PATH_MAX, 0);
		}
	}
	pthread_atfork(NULL, NULL, vu_rewrite_forked);	/* glibc's fork; vu's calls it itself */
}

__attribute__((constructor(103))) static void vu_rewrite_init(void)
{
	rw_config();
	if (!vu_rewrite_on || !vu.lib_path)
		return;
	if (cache_path[0] && exe_id[0])
		eager_patch();
}
