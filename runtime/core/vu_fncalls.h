/*
 * vu_fncalls.h -- which system calls a glibc function can make (fncalls.c):
 * a shortcut that runs glibc's function with the SUD selector open is
 * taken only when no layer wants any of them (issue 15).
 *
 * The functions are those of generated-c/vu_fn.def (one id each); the
 * calls each can make are worked out from the C library's binary when
 * libvu is built (tools/libc-calls.mjs -> vu_fncalls.c).
 */
#ifndef VU_FNCALLS_H
#define VU_FNCALLS_H

enum vu_fn {
#define VU_FN(name) VU_FN_##name,
#include "vu_fn.def"
#undef VU_FN
	VU_FN_COUNT
};

/* the table vu_fncalls.c holds (made at build time) */
extern const unsigned char vu_fncalls_build_id[] __attribute__((visibility("hidden")));
extern const unsigned vu_fncalls_build_id_len __attribute__((visibility("hidden")));
extern const unsigned vu_fncalls_count __attribute__((visibility("hidden")));
extern const unsigned short vu_fncalls_at[] __attribute__((visibility("hidden")));
extern const unsigned short vu_fncalls_nrs[] __attribute__((visibility("hidden")));

/* per function and state: 0 not worked out, 1 quiet, 2 a layer wants one
 * of its calls */
extern unsigned char vu_fn_state[VU_FN_COUNT][2] __attribute__((visibility("hidden")));

/* vu_fn_loud_slow -- work vu_fn_state[fn][buffered] out; own: a call to
 * leave out (the wrapper's own, which it has asked about), or -1 */
int vu_fn_loud_slow(unsigned fn, long own, int buffered) __attribute__((visibility("hidden")));

/* vu_fn_loud -- does a layer want a call glibc's function fn can make
 * (other than own)? buffered: fn works on a plain file stream that has
 * its buffer already. Signal-safe; no allocation, no lock. */
static inline int vu_fn_loud(unsigned fn, long own, int buffered)
{
	unsigned char s = __atomic_load_n(&vu_fn_state[fn][buffered], __ATOMIC_RELAXED);

	if (__builtin_expect(s, 1))
		return s == 2;
	return vu_fn_loud_slow(fn, own, buffered);
}

/* vu_fncalls_setup -- at start-up: is the table about the C library this
 * process runs on? (its build id) */
void vu_fncalls_setup(void) __attribute__((visibility("hidden")));
/* vu_fncalls_reset -- the stack changed: every answer is worked out again */
void vu_fncalls_reset(void) __attribute__((visibility("hidden")));

#endif
