/*
 * dispatch.c -- the one dispatcher both interception paths feed: walk the
 * layer stack down, make the real call (or vu's emulation of it) at the
 * bottom, walk back up.
 */
#include <sys/syscall.h>
#include "vu_core.h"

/* 2 for every call until vu_init has run: a wrapper entered before it
 * (another library's constructor) starts vu first (vu_wants_early); then 3
 * for every call until its first use works the answer out (vu_wanted) */
unsigned char vu_interest[VU_NR_COUNT] = { [0 ... VU_NR_COUNT - 1] = 2 };

unsigned char vu_direct[VU_NR_COUNT] = { [0 ... VU_NR_COUNT - 1] = 1 };

/* per call: the layers that want it, and those whose leave hook does, as
 * bits; known[nr]: worked out */
static unsigned long long masks[VU_NR_COUNT], leave_masks[VU_NR_COUNT];
static unsigned char known[VU_NR_COUNT];

/* the hooks of each layer, in one compact table */
static struct hooks {
	enum vu_action (*enter)(struct vu_layer *self, struct vu_call *c);
	void (*leave)(struct vu_layer *self, struct vu_call *c);
	int (*wants)(struct vu_layer *self, long nr);
	struct vu_layer *layer;
} hooks[64];
static int nhooks;

static unsigned char direct_of(long nr)
{
	return vu_interest[nr] || vu_stats_on || vu.mode == VU_MODE_ALL;
}

/* vu_direct_compute -- once vu_init is done (or gave up), and when VU_STATS
 * turns on: which wrappers may tail-call glibc (vu_wrap.h); a call not
 * worked out yet stays 1 until its first use */
void vu_direct_compute(void)
{
	if (vu_stats_on || vu.mode == VU_MODE_ALL) {
		__builtin_memset(vu_direct, 1, sizeof(vu_direct));
		return;
	}
	/* vu_direct[nr] = vu_interest[nr] != 0, 8 calls at a time (a byte
	 * loop was ~2,000 instructions of every start-up) */
	long nr = 0;

	for (; nr + 8 <= VU_NR_COUNT; nr += 8) {
		unsigned long w, t;

		__builtin_memcpy(&w, vu_interest + nr, 8);
		t = ((w & 0x7f7f7f7f7f7f7f7fUL) + 0x7f7f7f7f7f7f7f7fUL) | w;	/* high bit: nonzero */
		t = (t & 0x8080808080808080UL) >> 7;
		__builtin_memcpy(vu_direct + nr, &t, 8);
	}
	for (; nr < VU_NR_COUNT; nr++)
		vu_direct[nr] = direct_of(nr);
}

/* per layer: what it said with vu_layer_names_only */
static struct names_only {
	const struct vu_name_bits *f;	/* the names it acts on, or NULL: none */
	unsigned char on;		/* it said */
	unsigned char writes;		/* it acts on every call that writes */
	unsigned char folder;		/* its answer is the folder's, for a name not in f */
} names_only[64];

void vu_layer_names_only(const struct vu_layer *self, const struct vu_name_bits *f, unsigned flags)
{
	if (self && self->index >= 0 && self->index < 64) {
		names_only[self->index].f = f && f->bits ? f : 0;
		names_only[self->index].writes = (flags & VU_NAMES_ONLY_WRITES) != 0;
		names_only[self->index].folder = (flags & VU_NAMES_ONLY_FOLDER) != 0;
		names_only[self->index].on = 1;
	}
}

/* vu_layers_names_only -- did every layer of the stack say when it acts
 * (vu_layer_names_only)? Such layers keep no per-process state beyond
 * caches of what the file system says: a vfork child sharing their memory
 * changes nothing its parent relies on (compat.c) */
int vu_layers_names_only(void)
{
	for (int i = 0; i < vu.nlayers; i++)
		if (i >= 64 || !names_only[i].on)
			return 0;
	return 1;
}

/* vu_layer_forget_names -- the layer at index is made anew: it has said
 * nothing yet */
void vu_layer_forget_names(int index)
{
	if (index >= 0 && index < 64)
		names_only[index].on = 0;
}

/* vu_names_filters -- what the layers of mask said of a call that names
 * one entry of a descriptor's folder (vu_layer_names_only): their name
 * filters into f (at most max), in *writes whether one acts on every call
 * that writes, in *folder whether all said VU_NAMES_ONLY_FOLDER. The
 * number of filters, or -1: a layer said nothing, or there are more than
 * max. */
int vu_names_filters(unsigned long long mask, const struct vu_name_bits **f, int max, int *writes, int *folder)
{
	int n = 0;

	*writes = 0;
	*folder = 1;
	if (!mask)
		return -1;
	for (; mask; mask &= mask - 1) {
		const struct names_only *o = &names_only[__builtin_ctzll(mask)];

		if (!o->on)
			return -1;
		*writes |= o->writes;
		*folder &= o->folder;
		if (o->f) {
			if (n == max)
				return -1;
			f[n++] = o->f;
		}
	}
	return n;
}

/* interest_one -- who wants call nr: each layer's wants(), asked at the
 * call's first use rather than for all ~470 calls at every start-up (a
 * program makes a few dozen). Two threads at once write the same. */
static void interest_one(long nr)
{
	unsigned long long m = 0, lm = 0;
	int pure = 1;

	for (int i = 0; i < nhooks; i++) {
		int w = hooks[i].wants ? hooks[i].wants(hooks[i].layer, nr) : 0;

		if (!w)
			continue;
		m |= 1ULL << i;
		if (hooks[i].leave && w != VU_WANTS_ENTER && w != VU_WANTS_PURE)
			lm |= 1ULL << i;
		pure &= w == VU_WANTS_PURE;
	}
	masks[nr] = m;
	leave_masks[nr] = lm;
	vu_vc_compute(nr, m && pure, lm, m);
	vu_interest[nr] = m || vu_core_wants(nr);
	if (vu_init_state == VU_INIT_DONE)
		vu_direct[nr] = direct_of(nr);
	__atomic_store_n(&known[nr], 1, __ATOMIC_RELEASE);
}

/* vu_layer_mask_of -- the layers that want call nr (bit i: layer i) */
unsigned long long vu_layer_mask_of(long nr)
{
	if (nr < 0 || nr >= VU_NR_COUNT || !vu.layer_mask)
		return 0;
	if (__builtin_expect(!__atomic_load_n(&known[nr], __ATOMIC_ACQUIRE), 0))
		interest_one(nr);
	return masks[nr];
}

/* vu_wanted -- does a layer or the core want call nr? (0 before vu_init) */
int vu_wanted(long nr)
{
	if (nr < 0 || nr >= VU_NR_COUNT || !vu.layer_mask)
		return 0;
	if (__builtin_expect(!__atomic_load_n(&known[nr], __ATOMIC_ACQUIRE), 0))
		interest_one(nr);
	return vu_interest[nr];
}

/* vu_interest_compute -- at start-up (and when vu-static turns foreign
 * mode on): the stack is known; each call's answer is worked out at its
 * first use */
void vu_interest_compute(void)
{
	nhooks = 0;
	for (int i = 0; i < vu.nlayers && i < 64; i++) {
		const struct vu_layer_ops *ops = vu.layers[i].type->ops;

		hooks[i].enter = ops->enter;
		hooks[i].leave = ops->leave;
		hooks[i].wants = ops->wants;
		hooks[i].layer = &vu.layers[i];
		nhooks = i + 1;
	}
	__builtin_memset(known, 0, sizeof(known));
	__builtin_memset(vu_interest, 3, sizeof(vu_interest));
	__builtin_memset(vu_direct, 1, sizeof(vu_direct));
	__builtin_memset(vu_vc_on, 0, sizeof(vu_vc_on));
	vu.layer_mask = masks;
	vu_vc_forget();		/* (another stack, or another bottom) */
	vu_fncalls_reset();
	vu_core_bottom_compute();
}

long vu_gate_call(struct vu_call *c)
{
	return vu_app_syscall6(c->nr, c->args[0], c->args[1], c->args[2], c->args[3],
			       c->args[4], c->args[5]);
}

/* vu_dispatch_layers -- down the layers and up again; key: c's place in
 * the verdict cache (key->ok: to be remembered). vu_dispatch (verdict.c)
 * comes here when the cache had no answer. */
__attribute__((noinline)) long vu_dispatch_layers(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc,
						  const struct vu_vc_key *key)
{
	struct vu_thread *t = vu_self ? vu_self : vu_thread_self();
	struct vu_op op;
	unsigned long long m = 0, rest;
	int last = -1, level = 0, done = 0;
	long orig[6];

	op.nocache = 1;
	if (key->ok)
		__builtin_memcpy(orig, c->args, sizeof(orig));
	if (__builtin_expect(vu_rewrite_fresh, 0) &&
	    (c->nr == SYS_exit_group || c->nr == SYS_execve || c->nr == SYS_execveat))
		vu_rewrite_save();	/* the sites learned here, for the next process */
	if (t) {
		vu_vfork_settle(t);
		level = t->depth;
		if (level < VU_SCRATCH_DEPTH)
			c->scratch = t->scratch[level];
		if (level < VU_FRAMES)
			t->frame[level] = (unsigned long)__builtin_frame_address(0);
		t->depth = level + 1;
	}
	m = vu_layer_mask_of(c->nr);
	if (m) {
		vu_op_decode(c, &op);	/* once: every layer reads the same */
		op.memo = 0;
		op.nocache = 0;
		if (t && level < VU_SCRATCH_DEPTH) {
			op.memo = t->memo[level];
			t->memo[level][0].src = t->memo[level][1].src = 0;
		}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
		c->op = &op;	/* for this dispatch only: cleared below */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
	}
	/* down the layers that want the call, first to last */
	for (rest = m; rest; rest &= rest - 1) {
		int i = __builtin_ctzll(rest);

		c->depth = last = i;	/* no enter: passes through, still left */
		if (hooks[i].enter && hooks[i].enter(hooks[i].layer, c) == VU_DONE) {
			done = 1;
			break;
		}
	}
	if (!done && key->ok && !op.nocache)
		vu_vc_record(c, key, orig);
	if (c->nr >= 0 && c->nr < VU_NR_COUNT && vu_vc_forget_after[c->nr]) {
		/* it may change a path's answer: forget before and after */
		vu_vc_after(c);
		if (!done)
			c->ret = vu_core_bottom(c, bottom, uc);
		vu_vc_forget();
	} else if (!done) {
		c->ret = vu_core_bottom(c, bottom, uc);
	}
	/* and up again, through those of them that were entered and want it */
	for (rest = last >= 0 ? leave_masks[c->nr] & (~0ULL >> (63 - last)) : 0; rest;) {
		int i = 63 - __builtin_clzll(rest);

		rest &= ~(1ULL << i);
		c->depth = i;
		hooks[i].leave(hooks[i].layer, c);
	}
	if (t)
		t->depth = level;	/* not --: a level dropped by vu_unwind_to */
	if (m)
		c->op = 0;	/* op was this frame's */
	return c->ret;
}

/* which stack sp is on: 1 vu's signal stack, 2 the program's, 0 another */
static int stack_of(const struct vu_thread *t, unsigned long sp)
{
	return vu_altstack_has(t, sp) ? 1 : vu_app_altstack_has(t, sp) ? 2 : 0;
}

/* vu_unwind_to -- the program jumps (longjmp) to a context whose stack
 * pointer is sp: every dispatch level whose frame that jump leaves behind
 * (below sp on the same stack, or on a signal stack the jump leaves) is
 * abandoned, and its scratch free again. Without this, each siglongjmp out
 * of a handler that interrupted a vu call kept a level, and after four the
 * layers had no scratch (ENOMEM). */
void vu_unwind_to(unsigned long sp)
{
	struct vu_thread *t = vu_self;
	int to = stack_of(t, sp);

	if (!t)
		return;
	while (t->depth > 0 && t->depth <= VU_FRAMES) {
		unsigned long f = t->frame[t->depth - 1];
		int from = stack_of(t, f);

		if (!(from == to ? f < sp : from != 0))
			break;		/* a live frame: the jump target is below it */
		t->depth--;
	}
	if (to != 2)
		t->on_app_stack = 0;
}
