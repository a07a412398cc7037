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
#define VC_OUT VU_VC_OUT	/* the path handed to the bottom, at most (vu_wrap.h) */

struct vc_slot {
	unsigned seq;		/* odd while written */
	unsigned char olen;	/* 0: handed on as written, else out's length + 1 */
	unsigned long tag;	/* TAG(generation, call, path length) */
	long args[6];		/* the number-like arguments (others 0) */
	char path[VC_PATH];
	char out[VC_OUT] __attribute__((aligned(8)));
};

/* a hash's slot: its high bits, which depend on every bit hashed */
#define SLOT(h) ((h) >> 56)
_Static_assert(VC_SLOTS == 256, "SLOT() takes 8 bits");

/* what a slot is for, in one word: generation, call number, path length */
#define TAG(gen, nr, n) ((unsigned long)(gen) << 32 | (unsigned long)(nr) << 8 | (unsigned long)(n))

static struct vc_slot slots[VC_SLOTS] VU_BIG_BSS;
static unsigned vc_gen = 1;
static int vc_rel_off;		/* relative paths are not cached */
int vu_vc_off;			/* VU_VERDICT_CACHE=0 (init.c) */
int vu_vc_spawning;		/* a CLONE_VFORK child was started (vfork_pending may be set) */

/* per call: 1 + the path argument when the cache serves it, else 0 */
unsigned char vu_vc_on[VU_NR_COUNT];
/* per call: the number-like arguments (all ones), the others (0) */
static long kmask[VU_NR_COUNT][6] VU_BIG_BSS;
/* per call: a number-like fifth or sixth argument */
static unsigned char wide[VU_NR_COUNT];
/* per call: 1 + its dirfd argument, or 0 */
static unsigned char dirfd_arg[VU_NR_COUNT];
/* per call the cache serves with a dirfd: may one name of a descriptor's
 * folder skip the layers (vu_layer_names_only: the layers that want the
 * call said when they act on one), and when is it followed */
#define SINGLE_FILTERS 4
static struct single {
	unsigned char on;	/* 1: the layers said */
	unsigned char follow;	/* followed when no flag says otherwise */
	unsigned char open;	/* open flags: O_CREAT | O_EXCL never follows, the
				 * flags say whether it writes */
	unsigned char writes;	/* it writes (not an open), or 0 when no layer
				 * acts on writes as such */
	unsigned char wlayer;	/* a layer acts on every call that writes */
	unsigned char folder;	/* 1: the layers' answer is the same for every name
				 * of a folder they let one name of by (struct fslot) */
	unsigned char nf;	/* filters in f */
	signed char flags;	/* the argument with the flags, or -1 */
	unsigned nofollow, follow_flag;	/* the bits that stop or start following */
	const struct vu_name_bits *f[SINGLE_FILTERS];	/* the names the layers act on */
} single[VU_NR_COUNT] VU_BIG_BSS;

/* per call: 1 when every entry is forgotten after it (vu_vc_forgets) */
unsigned char vu_vc_forget_after[VU_NR_COUNT];
/* the hash of a key asked once (a miss): remembered only when asked again,
 * so a path seen once (a tree walked) costs no copy */
static unsigned long seen[1024] VU_BIG_BSS;	/* (by the hash's high 10 bits) */

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
	/* (chroot is a chdir kind, pivot_root a mount, setns unknown) */
	return nr == SYS_unshare || nr == SYS_clone;
}

/* the shape of call nr: one path argument, number-like arguments and
 * results only; 1 + the path argument, or 0 */
static int shape(long nr, unsigned char *keys, unsigned char *dirfd)
{
	const struct vu_sc_shape *si = &vu_sc_shapes[nr];
	int path = -1;

	*keys = 0;
	*dirfd = 0;
	if (!(vu_sc_flags[nr] & VU_SC_KNOWN) || vu_vc_forgets(nr) || vu_sem_kind[nr] == VU_OP_EXEC)
		return 0;
	for (int i = 0; i < si->nargs && i < 6; i++) {
		switch (si->kind[i]) {
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
void vu_vc_compute(long nr, int pure, unsigned long long leaves, unsigned long long mask)
{
	unsigned char keys, dfd;
	int p = shape(nr, &keys, &dfd);

	wide[nr] = (keys & 0x30) != 0;
	dirfd_arg[nr] = dfd;
	vu_vc_forget_after[nr] = (unsigned char)vu_vc_forgets(nr);
	p = pure && !leaves && p && !vu_core_wants(nr) && !vu_debug_on && !vu_vc_off ? p : 0;
	/* read only for a call the cache serves: written only for those (all
	 * the calls a process makes were 5 pages written at start-up) */
	if (p)
		for (int i = 0; i < 6; i++)
			kmask[nr][i] = keys & (1U << i) ? -1L : 0;
	single[nr].on = single[nr].folder = 0;
	if (p) {
		const struct vu_sem *se = &vu_sems[nr];
		const struct vu_sem_path *sp = &se->path[0];
		struct single *o = &single[nr];
		int wl, folder, nf = vu_names_filters(mask, o->f, SINGLE_FILTERS, &wl, &folder);
		int shape_ok;

		o->follow = sp->follow;
		o->open = se->kind == VU_OP_OPEN;
		o->wlayer = (unsigned char)wl;
		o->writes = !o->open && vu_kind_writes(se->kind);
		o->flags = o->open ? se->oflags : sp->flags;
		o->nofollow = sp->nofollow;
		o->follow_flag = sp->follow_flag;
		o->nf = (unsigned char)(nf > 0 ? nf : 0);
		/* (a call that always writes, under a layer acting on every
		 * write, never skips) */
		shape_ok = nf >= 0 && !(o->writes && wl) && se->npaths == 1 && sp->arg == p - 1 &&
			   sp->dirfd == dfd - 1 && sp->role == VU_ROLE_OBJECT && !sp->null_is_fd &&
			   (se->kind != VU_OP_OPEN || (se->how < 0 && se->oflags >= 0));
		o->on = shape_ok && dfd;
		o->folder = shape_ok && folder;
	}
	/* the wrappers ask too, unless VU_STATS counts at the dispatcher or a
	 * static program's calls have another bottom */
	vu_vc_on[nr] = (unsigned char)(p && !vu_stats_on && !vu_foreign ? p | VU_VC_WRAPPER : p);
}

/* vu_vc_wrappers_off -- VU_STATS turned on: every call the cache answers
 * goes through the dispatcher, which counts it */
void vu_vc_wrappers_off(void)
{
	for (int nr = 0; nr < VU_NR_COUNT; nr++)
		vu_vc_on[nr] &= (unsigned char)~VU_VC_WRAPPER;
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

/* word-at-a-time (vu_core.h: VU_HAS_ZERO, vu_word, VU_WORDWISE) */
#define K1 0xff51afd7ed558ccdUL

/* the length of s (VC_PATH when it is at least that long) and, in *hp,
 * the hash of its text mixed into *hp: one pass of aligned 8-byte loads
 * (bytes before s and after its NUL masked out, so the hash is of the
 * text alone) */
static inline VU_WORDWISE size_t len_hash(const char *s, unsigned long *hp)
{
	const vu_word *w = (const vu_word *)((unsigned long)s & ~7UL);
	unsigned long shift = ((unsigned long)s & 7) * 8;
	unsigned long pre = shift ? ~0UL >> (64 - shift) : 0;	/* bytes before s */
	unsigned long raw = *w, z = VU_HAS_ZERO(raw | pre), h = *hp;
	const vu_word *end = w + VC_PATH / 8 + 1;
	size_t n;

	raw &= ~pre;
	while (!z) {
		h = (h ^ raw) * K1;
		if (++w == end)
			return VC_PATH;
		raw = *w;
		z = VU_HAS_ZERO(raw);
	}
	/* the bytes before the first NUL (z's lowest bit is exact), and the
	 * length: the high bits of the last product depend on all of them */
	raw &= ((z & -z) >> 7) - 1;
	n = (size_t)((const char *)w + (__builtin_ctzl(z) >> 3) - s);
	*hp = (h ^ raw ^ n) * K1;
	return n;
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

/* the length of s when it is one name (no "/", not "." or ".."), else 0:
 * aligned 8-byte loads, the bytes before s masked out */
static inline VU_WORDWISE size_t one_name(const char *s)
{
	const unsigned long slashes = 0x2f2f2f2f2f2f2f2fUL;
	const vu_word *w = (const vu_word *)((unsigned long)s & ~7UL);
	unsigned long shift = ((unsigned long)s & 7) * 8;
	unsigned long pre = shift ? ~0UL >> (64 - shift) : 0;
	unsigned long v = *w | pre, z = VU_HAS_ZERO(v), sl = VU_HAS_ZERO(v ^ slashes);
	size_t n;

	while (!z) {
		if (sl)
			return 0;	/* (a word without a NUL: any bit is a real "/") */
		v = *++w;
		z = VU_HAS_ZERO(v);
		sl = VU_HAS_ZERO(v ^ slashes);
	}
	/* the lowest bit of each is exact: a "/" before the NUL? */
	if (sl & ((z & -z) - 1))
		return 0;
	n = (size_t)((const char *)w + (__builtin_ctzl(z) >> 3) - s);
	if (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')))
		return 0;
	return n;
}

/* may call nr (arguments a) skip layers that said when they act
 * (vu_layer_names_only)? Not when the kernel would follow its last name (a
 * symlink may lead anywhere), not when it writes under a layer that acts
 * on every write */
static inline int passable(const struct single *o, const long *a)
{
	unsigned long fl = o->flags >= 0 ? (unsigned long)a[(int)o->flags] : 0;
	int follow = o->follow;

	if (o->nofollow && (fl & o->nofollow))
		follow = 0;
	if (o->follow_flag && (fl & o->follow_flag))
		follow = 1;
	if (o->open) {
		if ((fl & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
			follow = 0;	/* the kernel never follows then */
		if (o->wlayer && vu_open_writes(fl))
			return 0;
	}
	return !follow;
}

/* is the name (n bytes) in none of the layers' names? */
static inline int name_free(const struct single *o, const char *name, size_t n)
{
	unsigned h = vu_name_hash(name, n);

	for (int i = 0; i < o->nf; i++)
		if (vu_name_bits_may(o->f[i], h))
			return 0;
	return 1;
}

/* may call nr (arguments a), whose path p names one entry of a
 * descriptor's folder, skip the layers? (find() said the layers said:
 * SINGLE) */
static int names_pass(long nr, const long *a, const char *p)
{
	const struct single *o = &single[nr];
	size_t n;

	return passable(o, a) && (n = one_name(p)) && name_free(o, p, n);
}

/* vu_vc_hit's answer for such a call, out of line (vu_vc_hit stays a leaf:
 * no frame on its hit path): the path as written, or NULL */
static __attribute__((noinline)) const char *hit_single(long nr, const long *a, struct vu_vc_key *k)
{
	const char *p = (const char *)a[(vu_vc_on[nr] & 7) - 1];

	if (names_pass(nr, a, p))
		return p;
	k->ok = 0;
	k->looked = 1;
	return 0;
}

/* ---- folders ----
 *
 * When every layer that wants a call said that its answer for a path of
 * one or more names, not followed, is its answer for the folder part
 * whatever the last name, as long as that name is none of its names
 * (VU_NAMES_ONLY_FOLDER), a call the layers let on unchanged with such a
 * last name makes vu remember its folder (as written: absolute, or
 * relative to the working directory, "" for a name of the working
 * directory itself), with the call and its number-like arguments; the next
 * such call with another name of that folder goes on as written (git
 * status lstat()s each file of a tree once; each folder goes down the
 * layers once). Same key, same generations, same seqlock as the slots. */
#define FOLDERS 256
struct fslot {
	unsigned seq;
	unsigned long tag;	/* TAG(generation, call, folder length) */
	long args[6];
	char path[VC_PATH];
};
static struct fslot folders[FOLDERS] VU_BIG_BSS;

/* p's length when it is one or more plain names (no empty one, no "."
 * or "..", no trailing "/"), absolute or relative, and in *fl the length
 * of its folder part (up to its last "/", with it; 0: a name of the cwd);
 * else 0 */
static size_t split_folder(const char *p, size_t *fl)
{
	const char *q = p, *last = p;

	if (*q == '/')
		last = ++q;
	for (;;) {
		/* at the start of a name */
		if (*q == '/' || !*q || (q[0] == '.' && (q[1] == '/' || !q[1] || (q[1] == '.' && (q[2] == '/' || !q[2])))))
			return 0;
		while (*q && *q != '/')
			q++;
		if (!*q)
			break;
		last = ++q;
	}
	*fl = (size_t)(last - p);
	return (size_t)(q - p);
}

/* the slot of folder p (fl bytes) of call nr with arguments a, and its
 * tag; the same words as find()'s */
static inline struct fslot *fslot_of(long nr, const char *p, size_t fl, unsigned long *tag)
{
	unsigned long h = vu_strmap_hash(p, fl) ^ ((unsigned long)nr * 0x9e3779b97f4a7c15UL);

	*tag = TAG(__atomic_load_n(&vc_gen, __ATOMIC_ACQUIRE), nr, fl);
	return &folders[(h * K1) >> 56];
}

/* may call nr (arguments a), whose path p the cache did not know, go on
 * as written because the layers let a name of its folder by? (find() said
 * the layers said: FOLDER) */
static int folder_pass(long nr, const long *a, const char *p)
{
	const struct single *o = &single[nr];
	const long *km = kmask[nr];
	const struct fslot *s;
	unsigned long tag, d;
	unsigned seq;
	size_t n, fl;
	int hit;

	if (!(n = split_folder(p, &fl)) || fl >= VC_PATH || !name_free(o, p + fl, n - fl))
		return 0;	/* (find() asked passable()) */
	s = fslot_of(nr, p, fl, &tag);
	seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	d = ((a[0] & km[0]) ^ s->args[0]) | ((a[1] & km[1]) ^ s->args[1]) | ((a[2] & km[2]) ^ s->args[2]) |
	    ((a[3] & km[3]) ^ s->args[3]) | ((a[4] & km[4]) ^ s->args[4]) | ((a[5] & km[5]) ^ s->args[5]) |
	    (s->tag ^ tag) | (seq & 1);
	hit = !d && same(s->path, p, fl);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return hit && __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq;
}

/* vu_vc_hit's answer for such a call: the path as written, or NULL (k:
 * the miss, as find() worked it out) */
static __attribute__((noinline)) const char *hit_folder(long nr, const long *a)
{
	const char *p = (const char *)a[(vu_vc_on[nr] & 7) - 1];

	return folder_pass(nr, a, p) ? p : 0;
}

static inline void copy(char *a, const char *b, size_t n);

/* c (the program's arguments: orig) went down every layer and on, its
 * path p unchanged: remember its folder, when the layers said so */
static void folder_record(const struct vu_call *c, const long *orig, const char *p)
{
	const struct single *o = &single[c->nr];
	struct fslot *s;
	unsigned long tag;
	unsigned seq;
	size_t n, fl;

	if (!(n = split_folder(p, &fl)) || fl >= VC_PATH || !name_free(o, p + fl, n - fl))
		return;	/* (find() asked passable(): k->ok 2) */
	s = fslot_of(c->nr, p, fl, &tag);
	seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	if ((seq & 1) ||
	    !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another thread writes it: leave it */
	s->tag = tag;
	for (int i = 0; i < 6; i++)
		s->args[i] = orig[i] & kmask[c->nr][i];
	copy(s->path, p, fl);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* what find() returns for one name of a descriptor's folder that
 * names_pass may let on (not a slot: never read) */
#define SINGLE ((const struct vc_slot *)1)
/* and for a path it does not know whose folder folder_pass may know */
#define FOLDER ((const struct vc_slot *)2)

/* find -- the slot that remembers call nr with arguments a, or NULL;
 * *seqp: the slot's sequence number as read (vu_vc_record's key in k
 * when the call may be remembered: k->ok) */
static inline __attribute__((always_inline)) const struct vc_slot *find(long nr, const long *a,
									  struct vu_vc_key *k, unsigned *seqp)
{
	int pi = (vu_vc_on[nr] & 7) - 1;
	const char *p = (const char *)a[pi];
	const long *km = kmask[nr];
	const struct vc_slot *s;
	unsigned long h, d, tag;
	unsigned seq, gen;
	size_t n;

	k->ok = 0;
	if (!p)
		return 0;
	h = (unsigned long)nr * 0x9e3779b97f4a7c15UL;
	if (p[0] != '/') {
		if (!p[0]) {
			/* "": the descriptor itself (glibc's fstat is newfstatat(fd,
			 * "", AT_EMPTY_PATH)). A layer's pure answer depends on the
			 * descriptor's number, which is in the key; it is hashed too,
			 * so that the descriptors a program has open get slots of
			 * their own */
			if (!dirfd_arg[nr])
				return 0;
			h = ((unsigned long)a[dirfd_arg[nr] - 1] ^ h) * K1;
		} else if (vc_rel_off) {
			return 0;
		} else if (dirfd_arg[nr] && (int)a[dirfd_arg[nr] - 1] != AT_FDCWD) {
			/* relative to a descriptor: not remembered (the number
			 * may name another folder next time). One name of
			 * that folder, not followed, that no layer's names
			 * hold (a tree walk's fstatat) goes on as written */
			return single[nr].on ? SINGLE : 0;
		}
	}
	if (__builtin_expect(vu_vc_spawning, 0) && vu_self && vu_self->vfork_pending)
		return 0;	/* a posix_spawn child, or its parent before its next call */
	n = len_hash(p, &h);
	if (n >= VC_PATH)
		return 0;
	gen = __atomic_load_n(&vc_gen, __ATOMIC_ACQUIRE);
	tag = TAG(gen, nr, n);
	s = &slots[SLOT(h)];
	seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	d = ((a[0] & km[0]) ^ s->args[0]) | ((a[1] & km[1]) ^ s->args[1]) |
	    ((a[2] & km[2]) ^ s->args[2]) | ((a[3] & km[3]) ^ s->args[3]) |
	    (s->tag ^ tag) | (seq & 1);	/* (the text is compared: no hash kept) */
	if (__builtin_expect(wide[nr], 0))
		d |= ((a[4] & km[4]) ^ s->args[4]) | ((a[5] & km[5]) ^ s->args[5]);
	if (d || !same(s->path, p, n)) {
		k->ok = 1;
		k->tag = tag;
		k->hash = h;
		k->len = (unsigned)n;
		k->path = p;
		k->pi = pi;
		if (single[nr].folder && passable(&single[nr], a)) {
			k->ok = 2;	/* (and its folder may be remembered) */
			return FOLDER;
		}
		return 0;
	}
	*seqp = seq;
	return s;
}

/* the path a slot says to hand on, copied into out (VC_OUT bytes: another
 * thread may reuse the slot while the kernel reads it); NULL when the slot
 * was written meanwhile */
static inline __attribute__((always_inline)) const char *handed(const struct vc_slot *s, unsigned seq,
								 const char *p, char *out)
{
	int olen = s->olen;

	if (olen) {
		vu_word *o = (vu_word *)out;
		const vu_word *from = (const vu_word *)s->out;

		for (int i = 0; i < (olen + 7) / 8 && i < VC_OUT / 8; i++)
			o[i] = from[i];
		p = out;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq ? p : 0;
}

/* lookup -- c's entry, when one is there: the call is made as remembered
 * (c->ret: its result) and 1 returned. Else 0, and k holds what
 * vu_vc_record needs (k->ok 0: not to be remembered). */
static inline __attribute__((always_inline)) int lookup(struct vu_call *c, struct vu_vc_key *k,
							 vu_bottom_fn *bottom, ucontext_t *uc)
{
	int pi = (vu_vc_on[c->nr] & 7) - 1;
	long p = c->args[pi];
	char out[VC_OUT] __attribute__((aligned(8)));
	unsigned seq;
	const struct vc_slot *s = find(c->nr, c->args, k, &seq);
	const char *q;

	if (s == SINGLE || s == FOLDER) {
		if (!(s == SINGLE ? names_pass(c->nr, c->args, (const char *)p)
				  : folder_pass(c->nr, c->args, (const char *)p)))
			return 0;
		q = (const char *)p;	/* a name no layer holds: as written */
	} else if (!s || !(q = handed(s, seq, (const char *)p, out))) {
		return 0;
	}
	c->args[pi] = (long)q;
	c->ret = !vu_core_special[c->nr] && bottom ? bottom(c) : vu_core_bottom(c, bottom, uc);
	c->args[pi] = p;
	return 1;
}

/* vu_vc_hit -- a generated wrapper's question before it builds a call:
 * does the cache know call nr with arguments a (as the wrapper would
 * hand them to the stack)? The path to give glibc's function (a's own, or
 * the one the stack handed on, copied into out: VU_VC_OUT bytes), or NULL:
 * the wrapper goes the whole way. Not with VU_STATS (its counts are the
 * dispatcher's) nor for a call whose bottom is the core's. */
const char *vu_vc_hit(long nr, const long *a, char *out, struct vu_vc_key *k)
{
	struct vu_vc_key lk;
	unsigned seq;
	const struct vc_slot *s;

	/* (VU_VC_WRAPPER: no VU_STATS, no static program; a call the cache
	 * serves has a plain bottom: shape()) */
	s = find(nr, a, &lk, &seq);	/* (a local key: no stores on a hit) */
	if (s == SINGLE)
		return hit_single(nr, a, k);	/* (a tail call) */
	if (s == FOLDER) {
		lk.looked = 1;
		*k = lk;
		return hit_folder(nr, a);	/* (a tail call) */
	}
	if (s)
		return handed(s, seq, (const char *)a[(vu_vc_on[nr] & 7) - 1], out);
	lk.looked = 1;	/* (the wrapper set k->looked 0) */
	*k = lk;
	return 0;
}

/* vu_dispatch -- run c through the stack. bottom: the real libc function
 * (libc path) or NULL (gate); uc: the SIGSYS context, or NULL. A call the
 * verdict cache answers goes straight to the bottom. */
long vu_dispatch(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc)
{
	struct vu_vc_key key;

	key.ok = 0;
	if (__builtin_expect(vu_stats_on, 0)) {
		vu_stats_note(c);
		if (c->nr >= 0 && c->nr < VU_NR_COUNT && vu_vc_on[c->nr]) {
			if (lookup(c, &key, bottom, uc)) {
				__atomic_fetch_add(&vu_stats_vc[0], 1, __ATOMIC_RELAXED);
				return c->ret;
			}
			if (key.ok)
				__atomic_fetch_add(&vu_stats_vc[1], 1, __ATOMIC_RELAXED);
		}
	} else if ((unsigned long)c->nr < VU_NR_COUNT && vu_vc_on[c->nr] && lookup(c, &key, bottom, uc)) {
		return c->ret;
	}
	return vu_dispatch_layers(c, bottom, uc, &key);
}

/* vu_libc_call -- entry of the generated libc wrappers. A wrapper entered
 * before libvu's constructor (another library's constructor calling a
 * wrapped function: ld.so runs those first) starts vu now and then goes
 * through the stack; the calls vu_init itself makes go straight on. */
long vu_libc_call(struct vu_call *c, vu_bottom_fn *bottom)
{
	if (__builtin_expect(vu_init_state != VU_INIT_DONE, 0)) {
#if !defined(__SANITIZE_ADDRESS__)	/* (ASan: vu_wants_early) */
		if (vu_init_state == VU_INIT_NOT_YET)
			vu_init_run();
#endif
		if (vu_init_state != VU_INIT_DONE)
			return bottom ? bottom(c) : vu_gate_call(c);
	}
	if (__builtin_expect(!vu.lib_path, 0))
		return vu_gate_call(c);
	return vu_dispatch(c, bottom, NULL);
}

/* vu_libc_call_vc -- the same, for a wrapper whose vu_vc_hit missed: what
 * it worked out is not worked out again (a miss was two lookups) */
long vu_libc_call_vc(struct vu_call *c, vu_bottom_fn *bottom, const struct vu_vc_key *k)
{
	if (!k->looked || vu_init_state != VU_INIT_DONE || !vu.lib_path || vu_stats_on)
		return vu_libc_call(c, bottom);
	return vu_dispatch_layers(c, bottom, NULL, k);
}

/* n bytes from b to a, 8 at a time, never reading past b + n */
static inline void copy(char *a, const char *b, size_t n)
{
	unsigned long w;

	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			a[i] = b[i];
		return;
	}
	for (size_t k = 0; k + 8 <= n; k += 8) {
		__builtin_memcpy(&w, b + k, 8);
		__builtin_memcpy(a + k, &w, 8);
	}
	__builtin_memcpy(&w, b + n - 8, 8);
	__builtin_memcpy(a + n - 8, &w, 8);
}

/* vu_vc_record -- c went down every layer that wants it, which let it on
 * with no more than its path argument changed (orig: the arguments as the
 * program made the call): remember it */
void vu_vc_record(const struct vu_call *c, const struct vu_vc_key *k, const long *orig)
{
	struct vc_slot *s = &slots[SLOT(k->hash)];
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
	} else if (k->ok == 2) {
		folder_record(c, orig, out);	/* (the first time too) */
	}
	/* (threads may race on a word of it: the worst is one copy more or less) */
	if (__atomic_load_n(&seen[k->hash >> 54], __ATOMIC_RELAXED) != k->hash) {
		__atomic_store_n(&seen[k->hash >> 54], k->hash, __ATOMIC_RELAXED);
		return;		/* the first time: only noted */
	}
	seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	if ((seq & 1) ||
	    !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another thread writes it: leave it */
	s->tag = k->tag;
	s->olen = (unsigned char)olen;
	for (int i = 0; i < 6; i++)
		s->args[i] = orig[i] & kmask[c->nr][i];
	copy(s->path, k->path, k->len);
	if (olen)
		copy(s->out, out, olen);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}
