/*
 * vu_wrap.h -- what the generated libc wrappers (generated-c/vu_libc.c) use
 * from the runtime. Kept small: a wrapper checks whether anything in vu
 * wants its system call, and either calls the real libc function with the
 * SUD selector at ALLOW (fast path) or builds a struct vu_call and hands it
 * to the dispatcher with a "bottom" that makes the real call.
 */
#ifndef VU_WRAP_H
#define VU_WRAP_H

#include <errno.h>
#include <sys/mman.h>
#include "vu_layer.h"
#include "vu_fncalls.h"

/* In a sanitizer build (test/robust/asan.sh) the wrappers can run before
 * ASan has mapped its shadow memory: ASan's own start-up calls getrlimit,
 * which is vu's. The wrappers and the path they take before vu_init are
 * therefore not instrumented. */
#if defined(__SANITIZE_ADDRESS__)
#define VU_NO_ASAN __attribute__((no_sanitize_address))
#else
#define VU_NO_ASAN
#endif
#define VU_EXPORT __attribute__((visibility("default"))) VU_NO_ASAN
#define VU_HIDDEN __attribute__((visibility("hidden")))

/* Nonzero when a layer or the core wants system call nr: 2 for every call
 * before vu_init, 3 for a call not worked out yet (vu_wanted, at its first
 * use), else 0 or 1. */
extern unsigned char vu_interest[VU_NR_COUNT] VU_HIDDEN;

/* 0 when a wrapper may tail-call the real function and nothing else:
 * nothing in vu wants call nr, SUD is never armed in this process ("libc"
 * mode: the selector is not looked at) and VU_STATS is off. 1 for every
 * call until vu_init has run (vu_interest_compute). */
extern unsigned char vu_direct[VU_NR_COUNT] VU_HIDDEN;

/* Per-thread SUD selector: SYSCALL_DISPATCH_FILTER_ALLOW (0) or BLOCK (1). */
extern __thread unsigned char vu_selector
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;

/* Per thread: nr + 1 of a call the stack has already seen, which glibc's
 * function in a wrapper's bottom is about to make: its trap (or rewritten
 * site) goes to the kernel without a second pass (sud.c, rewrite.c);
 * 0: none */
extern __thread long vu_pass_nr1
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;

typedef long vu_bottom_fn(struct vu_call *c);

/* 1 once SUD was armed in this process (sud.c; a fork keeps it): before,
 * and in "libc" mode, the wrappers leave the selector alone */
extern int vu_sud_used VU_HIDDEN;
/* what vu_allow_for and vu_allow_bottom return when they did not touch it */
#define VU_SEL_UNTOUCHED 0xff

/* vu_libc_call -- run c through the stack; bottom makes the real call
 * (NULL: issue it through the gate). Returns the result or -errno. */
long vu_libc_call(struct vu_call *c, vu_bottom_fn *bottom) VU_HIDDEN VU_NO_ASAN;

/* The verdict cache (core/verdict.c), asked by a wrapper before it builds
 * a call: vu_vc_on[nr] is 1 + the path argument of a call the cache may
 * answer (with VU_VC_WRAPPER when a wrapper may ask), else 0; vu_vc_hit the path to hand glibc's function (out:
 * VU_VC_OUT bytes), or NULL (go the whole way). */
#define VU_VC_OUT 208
#define VU_VC_WRAPPER 0x80	/* in vu_vc_on: the wrapper may ask */
extern unsigned char vu_vc_on[VU_NR_COUNT] VU_HIDDEN;
/* a call's place in the cache, worked out once (verdict.c) */
struct vu_vc_key {
	int ok;			/* the call may be remembered (2: its folder too, verdict.c) */
	int pi;			/* its path argument */
	unsigned len;
	int looked;		/* vu_vc_hit looked (and missed): no second look */
	unsigned long tag;	/* generation, call and length */
	unsigned long hash;
	const char *path;	/* as the program wrote it */
};
const char *vu_vc_hit(long nr, const long *a, char *out, struct vu_vc_key *k) VU_HIDDEN VU_NO_ASAN;
/* vu_libc_call after vu_vc_hit missed: k is what it worked out */
long vu_libc_call_vc(struct vu_call *c, vu_bottom_fn *bottom, const struct vu_vc_key *k) VU_HIDDEN VU_NO_ASAN;

/* vu_libc_sym -- glibc's own definition of name (start-up only). */
void *vu_libc_sym(const char *name) VU_HIDDEN;
/* the same, hash being the name's ELF GNU hash (worked out by vu-gen) */
void *vu_libc_sym_hashed(const char *name, unsigned hash) VU_HIDDEN;
/* vu_libc_sym_lazy -- the same at a wrapper's first use (signal-safe),
 * into *out: 1 when that is the answer for good; vu_libc_lazy_ok --
 * whether the wrappers may wait for it (sym.c) */
int vu_libc_sym_lazy(const char *name, unsigned hash, void **out) VU_HIDDEN VU_NO_ASAN;
int vu_libc_lazy_ok(void) VU_HIDDEN;

/* vu_gate_call -- issue c as a raw system call through the gate. */
long vu_gate_call(struct vu_call *c) VU_HIDDEN VU_NO_ASAN;

/* VU_STATS (stats.c): set once at start-up; counts wrapper entries. */
extern int vu_stats_on VU_HIDDEN;
extern unsigned long vu_stats_libc VU_HIDDEN;

/* vu_wants_early -- the first wrapper entered before libvu's constructor
 * starts vu (init.c), then answers; 0 while vu_init itself runs */
int vu_wants_early(long nr) VU_HIDDEN VU_NO_ASAN;

static inline VU_NO_ASAN int vu_wants(long nr)
{
	unsigned char w;

	if (__builtin_expect(vu_stats_on, 0))
		__atomic_fetch_add(&vu_stats_libc, 1, __ATOMIC_RELAXED);
	w = vu_interest[nr];
	if (__builtin_expect(w > 1, 0))	/* 2: vu not started yet */
		return vu_wants_early(nr);
	return w;
}

/* Open the selector for a real libc call; returns the previous state. */
static inline VU_NO_ASAN unsigned char vu_allow(void)
{
	unsigned char s = vu_selector;
	vu_selector = 0;
	__asm__ __volatile__("" ::: "memory");
	return s;
}

/* vu_allow_for -- the same before running glibc's function fn, whose own
 * call own (or -1) no layer wants: unless a layer wants another call fn
 * can make (vu_fncalls.h); then the selector stays as it is, and in "all"
 * mode those calls trap and go through the stack */
static inline VU_NO_ASAN unsigned char vu_allow_for(unsigned fn, long own)
{
	unsigned char s;

	if (!vu_sud_used)
		return VU_SEL_UNTOUCHED;	/* no SUD in this process: no selector to open */
	s = vu_selector;
	if (!vu_fn_loud(fn, own, 0))
		vu_selector = 0;
	__asm__ __volatile__("" ::: "memory");
	return s;
}

static inline VU_NO_ASAN void vu_restore(unsigned char s)
{
	__asm__ __volatile__("" ::: "memory");
	if (s != VU_SEL_UNTOUCHED)
		vu_selector = s;
}

/* vu_allow_bottom -- a wrapper's bottom runs glibc's function fn, whose
 * own call nr the stack has just seen: the selector opens, unless a layer
 * wants another call fn can make; then it stays closed and only the own
 * call is let through once (vu_pass_nr1), so in "all" mode the others
 * trap and go through the stack */
struct vu_bottom_state {
	unsigned char selector;
	long pass;
};

static inline VU_NO_ASAN struct vu_bottom_state vu_allow_bottom(unsigned fn, long nr)
{
	struct vu_bottom_state s = { VU_SEL_UNTOUCHED, 0 };

	if (!vu_sud_used)
		return s;	/* no SUD in this process: no selector to open */
	s.selector = vu_selector;
	s.pass = vu_pass_nr1;
	if (s.selector == 1 && vu_fn_loud(fn, nr, 0))
		vu_pass_nr1 = nr + 1;
	else
		vu_selector = 0;
	__asm__ __volatile__("" ::: "memory");
	return s;
}

static inline VU_NO_ASAN void vu_restore_bottom(struct vu_bottom_state s)
{
	__asm__ __volatile__("" ::: "memory");
	if (s.selector != VU_SEL_UNTOUCHED) {
		vu_selector = s.selector;
		vu_pass_nr1 = s.pass;
	}
}

/* libc result (-1 and errno) -> -errno or the value */
static inline VU_NO_ASAN long vu_take_errno(long r)
{
	return r == -1 ? -(long)errno : r;
}

static inline VU_NO_ASAN long vu_take_errno_ptr(void *p)
{
	return p == MAP_FAILED ? -(long)errno : (long)p;
}

/* -errno or the value -> libc result; errno set once, here */
static inline VU_NO_ASAN long vu_set_errno(long r)
{
	if ((unsigned long)r > -4096UL) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static inline VU_NO_ASAN void *vu_set_errno_ptr(long r)
{
	if ((unsigned long)r > -4096UL) {
		errno = (int)-r;
		return MAP_FAILED;
	}
	return (void *)r;
}

#define VU_CALL(NR, ...) { .nr = (NR), .args = { __VA_ARGS__ }, .ret = 0, \
	.source = VU_SRC_LIBC, .depth = 0, .scratch = 0, .scratch_used = 0, .core_tmp = { 0, 0 }, .op = 0 }

#endif
