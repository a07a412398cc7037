/*
 * verdict.c -- the verdict cache: what the stack did with a call, kept so
 * the next identical call skips the layers.
 *
 * Most calls a program makes are repeats (a build stats the same headers,
 * a shell looks the same names up along PATH, a loop opens one file), and
 * for the path layers (remap, bind, hide, readonly) the answer to a call is
 * a function of the call alone: its number, its number-like arguments, the
 * text of its path and the working directory. When every layer that wants a
 * call says so (wants() answers VU_WANTS_PURE: no leave hook, enter pure),
 * the call has exactly one path argument, and no layer stopped it or said
 * vu_call_nocache, dispatch records the path the stack handed to the
 * bottom. The next call with the same number, arguments and path text goes
 * straight to the bottom with that path, without decoding, normalizing or
 * entering any layer.
 *
 * What makes an entry stale, and how vu sees it:
 * - the working directory (relative paths): every chdir kind goes through
 *   the dispatcher while layers are active (vu_core_wants) and forgets;
 *   a process whose threads stop sharing one working directory (clone
 *   with CLONE_VM and without CLONE_FS, unshare(CLONE_FS)) or that shares
 *   it with another process (CLONE_FS without CLONE_VM) stops caching
 *   relative paths; a posix_spawn child (CLONE_VFORK, it shares vu's
 *   memory) never uses or fills the cache;
 * - names made, moved or removed, mounts (only hide's answers depend on
 *   them, and hide wants every such call): those calls forget too, after
 *   the kernel made them;
 * - a path relative to a directory descriptor: never cached (the number
 *   may name another directory next time); nor is "" (the descriptor).
 * Forgetting is a generation number: an entry of another generation is no
 * entry. Changes made by other processes are not seen, as hide's own
 * cache does not see them (layers/hide.md).
 *
 * Entries are slots of a direct-mapped table, each behind a sequence
 * number (a seqlock: a reader that saw it move reads nothing): no lock,
 * no allocation, async-signal-safe. The table is zero pages until used.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include "vu_core.h"

#define VC_SLOTS 256
#define VC_PATH 104	/* the path as written, at most (with its NUL) */
#define VC_OUT 208	/* the path handed to the bottom, at most */

struct vc_slot {
	unsigned seq;		/* odd while written */
	unsigned gen;
	short nr;
	unsigned char plen;	/* the path's length */
	unsigned char olen;	/* 0: handed on as written, else out's length + 1 */
	unsigned pad;
	unsigned long hash;
	long args[6];		/* the number-like arguments (others 0) */
	char path[VC_PATH];
	char out[VC_OUT];
};

static struct vc_slot slots[VC_SLOTS];
static unsigned vc_gen = 1;
static int vc_rel_off;		/* relative paths are not cached */
int vu_vc_off;			/* VU_VERDICT_CACHE=0 (init.c) */
int vu_vc_spawning;		/* a CLONE_VFORK child was started (vfork_pending may be set) */

/* per call: 1 + the path argument when the cache serves it, else 0 */
unsigned char vu_vc_on[VU_NR_COUNT];
/* per call: the number-like arguments (all ones), the others (0) */
static long kmask[VU_NR_COUNT][6];
/* per call: 1 + its dirfd argument, or 0 */
static unsigned char dirfd_arg[VU_NR_COUNT];

/* vu_vc_forgets -- the calls after which every entry is forgotten */
int vu_vc_forgets(long nr)
{
	switch (vu_sem_kind[nr]) {
	case VU_OP_CREATE:
	case VU_OP_DELETE:
	case VU_OP_RENAME:
	case VU_OP_LINK:
	case VU_OP_CHDIR:
	case VU_OP_MOUNT:
	case VU_OP_UNKNOWN:
		return 1;
	}
	return nr == SYS_unshare || nr == SYS_setns || nr == SYS_chroot || nr == SYS_pivot_root ||
	       nr == SYS_clone;
}

/* the shape of call nr: one path argument, number-like arguments and
 * results only; 1 + the path argument, or 0 */
static int shape(long nr, unsigned char *keys, unsigned char *dirfd)
{
	const struct vu_syscall_info *si = &vu_syscalls[nr];
	int path = -1;

	*keys = 0;
	*dirfd = 0;
	if (!si->name[0] || vu_vc_forgets(nr) || vu_sem_kind[nr] == VU_OP_EXEC)
		return 0;
	for (int i = 0; i < si->nargs && i < 6; i++) {
		switch (si->args[i].kind) {
		case VU_ARG_PATH:
			if (path >= 0)
				return 0;
			path = i;
			break;
		case VU_ARG_DIRFD:
			*dirfd = (unsigned char)(i + 1);
			/* fall through */
		case VU_ARG_INT:
		case VU_ARG_UINT:
		case VU_ARG_LONG:
		case VU_ARG_ULONG:
		case VU_ARG_SIZE:
		case VU_ARG_OFF:
		case VU_ARG_FD:
		case VU_ARG_OPEN_FLAGS:
		case VU_ARG_AT_FLAGS:
		case VU_ARG_MODE:
		case VU_ARG_UID:
		case VU_ARG_GID:
			*keys |= (unsigned char)(1U << i);
			break;
		case VU_ARG_BUF_OUT:
		case VU_ARG_STRUCT_OUT:
			break;	/* where the result goes: not the question */
		default:
			return 0;	/* a string, a structure, a list: not a key */
		}
	}
	/* the dirfd must be the path's own (the argument before it) */
	if (*dirfd && *dirfd != path)
		return 0;
	return path + 1;
}

/* vu_vc_compute -- at call nr's first use: may the cache serve it? pure:
 * every layer that wants it answered VU_WANTS_PURE; leaves: the layers
 * whose leave hook wants it */
void vu_vc_compute(long nr, int pure, unsigned long long leaves)
{
	unsigned char keys, dfd;
	int p = shape(nr, &keys, &dfd);

	for (int i = 0; i < 6; i++)
		kmask[nr][i] = keys & (1U << i) ? -1L : 0;
	dirfd_arg[nr] = dfd;
	vu_vc_on[nr] = (unsigned char)(pure && !leaves && p && !vu_core_wants(nr) && !vu_debug_on &&
				       !vu_vc_off ? p : 0);
}

/* vu_vc_forget -- every entry is stale */
void vu_vc_forget(void)
{
	__atomic_add_fetch(&vc_gen, 1, __ATOMIC_RELEASE);
}

/* vu_vc_after -- call c went down the dispatcher and to the kernel: does
 * it change what a remembered answer was worked out from? */
void vu_vc_after(const struct vu_call *c)
{
	unsigned long fl = (unsigned long)c->args[0];

	if (c->nr == SYS_clone && ((fl & (CLONE_VM | CLONE_FS)) == CLONE_VM ||
				   (fl & (CLONE_VM | CLONE_FS)) == CLONE_FS))
		vc_rel_off = 1;		/* one cwd, several processes; or threads with their own */
	else if (c->nr == SYS_unshare && (fl & CLONE_FS))
		vc_rel_off = 1;
	vu_vc_forget();
}

/* word-at-a-time: aligned 8-byte loads never cross into an unmapped page
 * (util.c; not for ASan's eyes) */
#define ONES 0x0101010101010101UL
#define HIGHS 0x8080808080808080UL
#define HAS_ZERO(w) (((w) - ONES) & ~(w) & HIGHS)
typedef unsigned long __attribute__((may_alias)) vc_word;
#if defined(__SANITIZE_ADDRESS__)
#define VC_WORDWISE __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VC_WORDWISE __attribute__((no_sanitize_address))
#endif
#endif
#ifndef VC_WORDWISE
#define VC_WORDWISE
#endif
#define K1 0xff51afd7ed558ccdUL

/* the length of s, one aligned word at a time; VC_PATH when it is at
 * least that long */
static inline VC_WORDWISE size_t path_len(const char *s)
{
	const vc_word *w = (const vc_word *)((unsigned long)s & ~7UL);
	unsigned long shift = ((unsigned long)s & 7) * 8;
	unsigned long t = *w | (shift ? ~0UL >> (64 - shift) : 0), z;	/* bytes before s: not NUL */
	const vc_word *end = w + VC_PATH / 8 + 1;

	while (!(z = HAS_ZERO(t))) {
		if (++w == end)
			return VC_PATH;
		t = *w;
	}
	return (size_t)((const char *)w + (__builtin_ctzl(z) >> 3) - s);
}

/* the hash of the n bytes at s, wherever they lie: 8 at a time, the last
 * 1 to 7 as one word */
static inline unsigned long path_hash(const char *s, size_t n, unsigned long h)
{
	unsigned long w = 0;
	size_t left = n;

	for (; left >= 8; left -= 8, s += 8) {
		__builtin_memcpy(&w, s, 8);
		h = (h ^ w) * K1;
		h ^= h >> 32;
	}
	if (left) {
		if (n >= 8) {
			__builtin_memcpy(&w, s + left - 8, 8);
			w >>= 8 * (8 - left);
		} else {
			for (size_t i = 0; i < left; i++)
				w |= (unsigned long)(unsigned char)s[i] << (8 * i);
		}
		h = (h ^ w) * K1;
		h ^= h >> 32;
	}
	return h;
}

/* are the n bytes at a and b the same? */
static inline int same(const char *a, const char *b, size_t n)
{
	unsigned long u, v, d = 0;

	if (n < 8) {
		for (; n; n--)
			d |= (unsigned long)(*a++ ^ *b++);
		return !d;
	}
	for (size_t k = 0; k + 8 <= n; k += 8) {
		__builtin_memcpy(&u, a + k, 8);
		__builtin_memcpy(&v, b + k, 8);
		d |= u ^ v;
	}
	__builtin_memcpy(&u, a + n - 8, 8);
	__builtin_memcpy(&v, b + n - 8, 8);
	return !(d | (u ^ v));
}

/* vu_vc_lookup -- c's entry, when one is there: the call is made as
 * remembered (*ret: its result) and 1 returned. Else 0, and k holds what
 * vu_vc_record needs (k->ok 0: not to be remembered). */
int vu_vc_lookup(struct vu_call *c, struct vu_vc_key *k, vu_bottom_fn *bottom, ucontext_t *uc, long *ret)
{
	long nr = c->nr;
	int pi = vu_vc_on[nr] - 1;
	const char *p = (const char *)c->args[pi];
	const long *km = kmask[nr];
	const struct vc_slot *s;
	unsigned long h;
	unsigned seq, gen;
	size_t n;
	char out[VC_OUT];
	int olen;

	k->ok = 0;
	if (!p || !p[0])
		return 0;
	if (p[0] != '/') {
		if (vc_rel_off)
			return 0;
		if (dirfd_arg[nr] && (int)c->args[dirfd_arg[nr] - 1] != AT_FDCWD)
			return 0;	/* relative to a descriptor */
	}
	if (__builtin_expect(vu_vc_spawning, 0) && vu_self && vu_self->vfork_pending)
		return 0;	/* a posix_spawn child, or its parent before its next call */
	n = path_len(p);
	if (n >= VC_PATH)
		return 0;
	h = path_hash(p, n, (unsigned long)nr * 0x9e3779b97f4a7c15UL ^ n);
	gen = __atomic_load_n(&vc_gen, __ATOMIC_ACQUIRE);
	s = &slots[h % VC_SLOTS];
	seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	if ((seq & 1) || s->gen != gen || s->hash != h || s->plen != n ||
	    ((c->args[0] & km[0]) ^ s->args[0]) | ((c->args[1] & km[1]) ^ s->args[1]) |
	    ((c->args[2] & km[2]) ^ s->args[2]) | ((c->args[3] & km[3]) ^ s->args[3]) |
	    ((c->args[4] & km[4]) ^ s->args[4]) | ((c->args[5] & km[5]) ^ s->args[5]) ||
	    s->nr != nr || !same(s->path, p, n)) {
		k->ok = 1;
		k->gen = gen;
		k->hash = h;
		k->len = (unsigned)n;
		k->path = p;
		k->pi = pi;
		return 0;
	}
	olen = s->olen;
	if (olen)
		vu_memcpy(out, s->out, (size_t)olen);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq)
		return 0;	/* written meanwhile */
	if (olen)
		c->args[pi] = (long)out;
	if (!vu_core_special[nr] && bottom)
		*ret = c->ret = bottom(c);
	else
		*ret = c->ret = vu_core_bottom(c, bottom, uc);
	c->args[pi] = (long)p;
	return 1;
}

/* vu_vc_record -- c went down every layer that wants it, which let it on
 * with no more than its path argument changed (orig: the arguments as the
 * program made the call): remember it */
void vu_vc_record(const struct vu_call *c, const struct vu_vc_key *k, const long *orig)
{
	struct vc_slot *s = &slots[k->hash % VC_SLOTS];
	const char *out = (const char *)c->args[k->pi];
	size_t olen = 0;
	unsigned seq;

	for (int i = 0; i < 6; i++)
		if (i != k->pi && c->args[i] != orig[i])
			return;		/* a layer changed another argument */
	if (out != k->path) {
		if (!out)
			return;
		olen = vu_strlen(out) + 1;
		if (olen > VC_OUT || olen > 255)
			return;
	}
	seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	if ((seq & 1) ||
	    !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another thread writes it: leave it */
	s->gen = k->gen;
	s->hash = k->hash;
	s->nr = (short)c->nr;
	s->plen = (unsigned char)k->len;
	s->olen = (unsigned char)olen;
	for (int i = 0; i < 6; i++)
		s->args[i] = orig[i] & kmask[c->nr][i];
	vu_memcpy(s->path, k->path, k->len);
	if (olen)
		vu_memcpy(s->out, out, olen);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}
