/*
 * rewrite.c -- lazy rewriting of trapping syscall sites (issue 11 item 2).
 * Opt-in: VU_REWRITE=1 (or "rewrite": true in vu.json), "all" mode, dynamic
 * programs only (foreign mode, static programs, stays on SUD).
 *
 * The first time a syscall instruction traps, vu_rewrite_trap looks at it:
 * - it must lie in the executable, non-writable PT_LOAD of an ELF object
 *   ld.so knows (_dl_find_object, async-signal-safe): JIT and anonymous
 *   code, the vDSO and writable text stay on SUD;
 * - its function is found in .eh_frame_hdr (glibc has no .symtab) and
 *   decoded whole (x86len.c): an unknown instruction, a direct branch into
 *   the middle of an instruction, or a syscall that is not an instruction
 *   start, and the site stays on SUD;
 * - the window: going back from the syscall over simple register moves
 *   (mov/xor/lea/movzx between registers, mov $imm) to the nearest such
 *   instruction of 5 bytes or more (the head); the call number must be a
 *   constant set in the window (mov $nr,%eax ...), equal to the trapped one,
 *   and not one whose emulation needs the signal frame (clone, fork,
 *   vfork, exit, rt_sigreturn, execve, sigaltstack, rt_sigaction,
 *   rt_sigprocmask, arch_prctl...).
 * Only the first 5 bytes of the head change (jmp rel32 to a trampoline
 * mapped within 2 GiB): every later instruction of the window, the syscall
 * included, keeps its bytes, so a thread stopped inside the window or a
 * branch to one of its instructions runs the original code (and traps, as
 * before). The 5 bytes are written with one atomic 16-byte store
 * (lock cmpxchg16b: another thread fetches the old instruction or the new
 * one, never a mix), then every thread serializes (membarrier
 * SYNC_CORE). A head whose 5 bytes straddle a 16-byte block is not
 * patched (stays on SUD, reported).
 *
 * The trampoline re-runs the window's instructions, steps over the red
 * zone, and calls vu_rw_entry (rewrite_entry.S), which keeps every register
 * a syscall keeps, runs vu_rw_call on vu's stack, and returns the result in
 * rax with rcx/r11 as the kernel sets them; then it jumps after the
 * syscall. The call goes through vu_dispatch as a trapped one (source
 * VU_SRC_SUD, no signal frame): the real call is made from the gate with
 * the program's signal mask, so a signal during it runs the program's
 * handler and SA_RESTART restarts it, as on the trap path. With the
 * selector at ALLOW (a libc wrapper running glibc's function), the call
 * goes straight to the kernel, as the untrapped instruction did.
 *
 * Patched text is private copy-on-write memory: a fork child runs it; an
 * exec starts from the files again.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "vu_core.h"
#include "vu_x86len.h"

int vu_rewrite_on VU_HIDDEN;
unsigned long vu_rw_xsave_size VU_HIDDEN = 512;
unsigned char vu_rw_xsave VU_HIDDEN;
void vu_rw_entry(void) VU_HIDDEN;

_Static_assert(offsetof(struct vu_thread, altstack) == 4096 && VU_ALTSTACK_SIZE == 1048576,
	       "rewrite_entry.S knows where vu's signal stack is");

#define VU_RW_MARK 0x7277L	/* c->core_tmp[1] of a rewritten call */

/* the sites vu has looked at, by the address after the syscall */
#define RW_SITES 2048
struct rw_site {
	unsigned long at;	/* 0: free */
	long nr;
	const char *why;	/* NULL: rewritten */
	unsigned long calls;	/* through the trampoline */
};
static struct rw_site rw_sites[RW_SITES];
static int rw_lock;

struct vu_rw_regs {
	unsigned long rbp, rbx, r11, rcx, r9, r8, r10, rdx, rsi, rdi, rax, flags, ret, site;
};
long vu_rw_call(struct vu_rw_regs *r) VU_HIDDEN;

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
							__ATOMIC_ACQUIRE) || cur == at)
				return s;
		}
	}
	return NULL;
}

/* ---- the call, from a trampoline ---- */
long vu_rw_call(struct vu_rw_regs *r)
{
	struct rw_site *s = &rw_sites[r->site];
	struct vu_thread *t = vu_self;
	int saved_errno = errno;
	struct vu_call c;
	long ret;

	r->rcx = s->at;		/* what the syscall instruction leaves */
	r->r11 = r->flags;
	if (vu_selector != 1)	/* ALLOW: glibc's function behind a wrapper */
		return vu_syscall6((long)r->rax, r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9);
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
	c.core_tmp[0] = 0;
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

/* [*lo, *hi) of the FDE that covers pc; 0 when found */
static int fde_range(const unsigned char *hdr, unsigned long pc, unsigned long *lo, unsigned long *hi)
{
	const unsigned char *p = hdr + 4, *fde, *cie, *aug, *q;
	unsigned long ehf, count, base = (unsigned long)hdr, a, f, l, r;
	unsigned enc_fde = 0;
	long nlo, nhi;

	if (hdr[0] != 1 || hdr[3] != 0x3b)	/* table: datarel sdata4 */
		return -1;
	if (read_enc(&p, hdr[1], (unsigned long)p, base, &ehf) ||
	    read_enc(&p, hdr[2], (unsigned long)p, base, &count) || !count)
		return -1;
	nlo = 0;
	nhi = (long)count - 1;
	f = 0;
	while (nlo <= nhi) {	/* last entry with start <= pc */
		long mid = (nlo + nhi) / 2;
		const int *e = (const int *)(p + mid * 8);

		if (base + (long)e[0] <= pc) {
			f = base + (long)e[1];
			nlo = mid + 1;
		} else {
			nhi = mid - 1;
		}
	}
	if (!f)
		return -1;
	fde = (const unsigned char *)f;
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
	l = a + r;
	if (pc < a || pc >= l)
		return -1;
	*lo = a;
	*hi = l;
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
	unsigned rex = in->rex, m = len > in->op_at + 1 ? o[1] : 0;
	unsigned mod = m >> 6, reg = ((m >> 3) & 7) | (rex & 4 ? 8 : 0), rm = (m & 7) | (rex & 1 ? 8 : 0);

	*dest = -1;
	*cst = 0;
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

/* calls whose emulation needs the SIGSYS frame, or that never return */
static int keeps_trap(long nr)
{
	switch (nr) {
	case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork:
	case SYS_rt_sigreturn: case SYS_exit: case SYS_exit_group:
	case SYS_execve: case SYS_execveat: case SYS_sigaltstack:
	case SYS_rt_sigaction: case SYS_rt_sigprocmask: case SYS_arch_prctl:
	case SYS_prctl: case SYS_seccomp:
		return 1;
	}
	return 0;
}

#define FN_MAX 65536
static unsigned char fn_start[FN_MAX / 8], fn_target[FN_MAX / 8];
static unsigned fn_insn[FN_MAX];
#define BIT(m, i) ((m)[(i) >> 3] & (1 << ((i) & 7)))
#define SETBIT(m, i) ((m)[(i) >> 3] |= (unsigned char)(1 << ((i) & 7)))

struct window {
	unsigned long head;	/* first displaced instruction */
	unsigned long sys;	/* the syscall instruction */
	int prot;		/* the segment's protection */
};

static const char *analyze(unsigned long sys, long nr, struct window *w)
{
	struct dl_find_object fo;
	const ElfW(Ehdr) *eh;
	const ElfW(Phdr) *ph;
	const struct link_map *lm;
	unsigned long lo, hi, size;
	int k = -1, n = 0, found = 0, cst_ok = 0;
	unsigned long rax = 0;

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
	if (!fo.dlfo_eh_frame || fde_range(fo.dlfo_eh_frame, sys, &lo, &hi))
		return "no unwind information (.eh_frame_hdr) for its function";
	size = hi - lo;
	if (size > FN_MAX)
		return "function too large to decode";
	memset(fn_start, 0, (size + 7) / 8);
	memset(fn_target, 0, (size + 7) / 8);
	for (unsigned long off = 0; off < size;) {
		struct vu_x86i in;
		int len = vu_x86_decode((const unsigned char *)lo + off, (const unsigned char *)hi, &in);

		if (len <= 0)
			return "its function has an instruction vu does not decode";
		SETBIT(fn_start, off);
		if (lo + off == sys)
			k = n;
		fn_insn[n++] = (unsigned)off;
		if (in.branch == VU_X86_JMP || in.branch == VU_X86_JCC || in.branch == VU_X86_CALL) {
			long t = (long)off + in.target;

			if (t >= 0 && (unsigned long)t < size)
				SETBIT(fn_target, t);
		}
		off += (unsigned long)len;
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
	/* back from the syscall over simple instructions: first to the last
	 * write of rax (a constant: the number), then on to a head of 5 bytes
	 * or more */
	for (int j = k - 1, have_rax = 0; j >= 0 && j >= k - 12; j--) {
		unsigned long a = lo + fn_insn[j];
		int len = (int)(fn_insn[j + 1] - fn_insn[j]), dest, cst;
		unsigned long val;
		struct vu_x86i in;

		vu_x86_decode((const unsigned char *)a, (const unsigned char *)hi, &in);
		if (!simple((const unsigned char *)a, len, &in, &dest, &cst, &val))
			break;
		if (dest == 0 && !have_rax) {
			have_rax = 1;
			if (!cst)
				return "the call number is not a constant in the window";
			rax = val;
			cst_ok = 1;
		}
		if (have_rax && len >= 5) {
			w->head = a;
			w->sys = sys;
			if ((long)rax != nr)
				return "the window's call number is not the trapped one";
			if (keeps_trap(nr))
				return "a call whose emulation needs the signal frame (keeps the trap path)";
			if ((w->head & 15) > 11)
				return "the patched bytes would straddle a 16-byte block";
			return NULL;
		}
	}
	if (!cst_ok)
		return "the call number is not a constant set just before the syscall";
	return "no relocatable instruction of 5 bytes or more just before the syscall";
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
		r = &regions[nregions++];
		r->base = (unsigned long)got;
		r->used = 16;
		*(unsigned long *)r->base = (unsigned long)vu_rw_entry;
	}
	p = (unsigned char *)r->base + r->used;
	*slot = r->base;
	r->used = (r->used + len + 15) & ~15UL;
	return p;
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

static const char *install(struct window *w, long idx)
{
	size_t wl = w->sys - w->head;
	unsigned long slot = 0;
	unsigned char *t = tramp_alloc(w->head, wl + 32, &slot), *p;
	unsigned long chunk = w->head & ~15UL, page = w->head & ~4095UL;
	unsigned long old[2], nw[2];
	unsigned char *b;
	int ok;

	if (!t)
		return "no trampoline memory within 2 GiB";
	p = t;
	memcpy(p, (void *)w->head, wl);			/* the displaced instructions */
	p += wl;
	memcpy(p, "\x48\x8d\x64\x24\x80", 5);		/* lea -128(%rsp),%rsp */
	p += 5;
	*p++ = 0x68;					/* push $idx */
	put32(p, idx);
	p += 4;
	*p++ = 0xff;					/* call *slot(%rip) */
	*p++ = 0x15;
	put32(p, (long)slot - (long)(unsigned long)(p + 4));
	p += 4;
	memcpy(p, "\x48\x8d\xa4\x24\x88\x00\x00\x00", 8);	/* lea 136(%rsp),%rsp */
	p += 8;
	*p++ = 0xe9;					/* jmp after the syscall */
	put32(p, (long)(w->sys + 2) - (long)(unsigned long)(p + 4));
	p += 4;
	sync_cores();
	/* the head: jmp rel32 to t, one atomic store */
	memcpy(old, (void *)chunk, 16);
	memcpy(nw, old, 16);
	b = (unsigned char *)nw + (w->head - chunk);
	b[0] = 0xe9;
	put32(b + 1, (long)(unsigned long)t - (long)(w->head + 5));
	if (vu_sys3(SYS_mprotect, page, 4096, w->prot | PROT_WRITE))
		return "cannot make its page writable";
	__asm__ volatile("lock cmpxchg16b %1\n\tsete %b0"
			 : "=q"(ok), "+m"(*(unsigned __int128 *)chunk), "+a"(old[0]), "+d"(old[1])
			 : "b"(nw[0]), "c"(nw[1])
			 : "memory", "cc");
	vu_sys3(SYS_mprotect, page, 4096, w->prot);
	if (!(ok & 1))
		return "its bytes changed under vu";
	sync_cores();
	return NULL;
}

/* vu_rewrite_trap -- from the SIGSYS handler, before the call is
 * dispatched: at is the address after the syscall instruction */
void vu_rewrite_trap(unsigned long at, long nr)
{
	struct rw_site *s;
	struct window w;
	const char *why;
	int unlocked = 0;

	if (vu_foreign || vu.mode != VU_MODE_ALL)
		return;
	s = site_get(at, 0);
	if (s && __atomic_load_n(&s->nr, __ATOMIC_ACQUIRE))
		return;		/* decided: rewritten (a thread was inside the window) or refused */
	if (!__atomic_compare_exchange_n(&rw_lock, &unlocked, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another thread is patching: this call traps */
	s = site_get(at, 1);
	if (s && !s->nr) {
		why = analyze(at - 2, nr, &w);
		if (!why)
			why = install(&w, s - rw_sites);
		s->why = why;
		__atomic_store_n(&s->nr, nr ? nr : -1000, __ATOMIC_RELEASE);
		vu_debug("rewrite %#lx (%ld): %s", at - 2, nr, why ? why : "rewritten");
	}
	__atomic_store_n(&rw_lock, 0, __ATOMIC_RELEASE);
}

/* vu_rewrite_why -- stats.c: what became of the site at (after the
 * syscall): "rewritten", why it stays on SUD, or NULL (never looked at) */
const char *vu_rewrite_why(unsigned long at)
{
	struct rw_site *s;

	if (!vu_rewrite_on)
		return NULL;
	s = site_get(at, 0);
	if (!s || !__atomic_load_n(&s->nr, __ATOMIC_ACQUIRE))
		return NULL;
	return s->why ? s->why : "rewritten";
}

/* vu_rewrite_next -- stats.c: the rewritten sites, from *i on; their
 * calls through the trampoline (then zeroed) */
int vu_rewrite_next(int *i, unsigned long *at, long *nr, unsigned long *calls)
{
	for (; *i < RW_SITES; (*i)++) {
		struct rw_site *s = &rw_sites[*i];

		if (s->at && s->nr && !s->why) {
			*at = s->at;
			*nr = s->nr == -1000 ? 0 : s->nr;
			*calls = __atomic_exchange_n(&s->calls, 0, __ATOMIC_RELAXED);
			(*i)++;
			return 1;
		}
	}
	return 0;
}

__attribute__((constructor(103))) static void vu_rewrite_init(void)
{
	const char *e = getenv("VU_REWRITE");
	unsigned a, b, c, d;

	if (e && *e)
		vu_rewrite_on = strcmp(e, "0") != 0;
	if (!vu_rewrite_on)
		return;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (c & (1u << 27)) {	/* OSXSAVE */
		__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
		if (b >= 576) {
			vu_rw_xsave = 1;
			vu_rw_xsave_size = (b + 63) & ~63u;
		}
	}
}
