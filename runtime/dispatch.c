/*
 * dispatch.c -- the one dispatcher both interception paths feed: walk the
 * layer stack down, make the real call (or vu's emulation of it) at the
 * bottom, walk back up.
 */
#include <sys/syscall.h>
#include "vu_core.h"

unsigned char vu_interest[VU_NR_COUNT];

/* vu_interest_compute -- at start-up: which calls does anyone want? */
void vu_interest_compute(void)
{
	static unsigned long long masks[VU_NR_COUNT];

	vu.layer_mask = masks;
	for (long nr = 0; nr < VU_NR_COUNT; nr++) {
		unsigned long long m = 0;

		for (int i = 0; i < vu.nlayers; i++) {
			const struct vu_layer_ops *ops = vu.layers[i].type->ops;

			if (ops->wants && ops->wants(&vu.layers[i], nr))
				m |= 1ULL << i;
		}
		masks[nr] = m;
		vu_interest[nr] = m || vu_core_wants(nr);
	}
}

long vu_gate_call(struct vu_call *c)
{
	return vu_gate_syscall6(c->nr, c->args[0], c->args[1], c->args[2], c->args[3],
				c->args[4], c->args[5]);
}

/* A vfork-style child (posix_spawn's clone with CLONE_VM and no TLS of its
 * own) runs on its suspended parent's vu block. Its exec, when it works,
 * and its exit never come back to give a scratch level back, so they use
 * the level without taking it: otherwise the parent loses one level per
 * posix_spawn and, after four, its layers get no scratch at all. */
static int takes_level(const struct vu_thread *t, long nr)
{
	switch (nr) {
	case SYS_execve:
	case SYS_execveat:
	case SYS_exit:
	case SYS_exit_group:
		return t->tid == vu_sys0(SYS_gettid);
	}
	return 1;
}

/* vu_dispatch -- run c through the stack. bottom: the real libc function
 * (libc path) or NULL (gate); uc: the SIGSYS context, or NULL. */
long vu_dispatch(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc)
{
	struct vu_thread *t = vu_thread_self();
	unsigned long long m = 0;
	int i, last = -1, level = 0;

	if (__builtin_expect(vu_stats_on, 0))
		vu_stats_note(c);
	if (t && t->depth < VU_SCRATCH_DEPTH)
		c->scratch = t->scratch[t->depth];
	if (t && takes_level(t, c->nr)) {
		t->depth++;
		level = 1;
	}
	if (c->nr >= 0 && c->nr < VU_NR_COUNT && vu.layer_mask)
		m = vu.layer_mask[c->nr];
	for (i = 0; m && i < vu.nlayers; i++) {
		const struct vu_layer_ops *ops = vu.layers[i].type->ops;

		if (!(m & (1ULL << i)))
			continue;
		c->depth = last = i;	/* no enter: passes through, still left */
		if (ops->enter && ops->enter(&vu.layers[i], c) == VU_DONE)
			break;
	}
	if (i >= vu.nlayers || !m)
		c->ret = vu_core_bottom(c, bottom, uc);
	for (i = last; i >= 0; i--) {
		const struct vu_layer_ops *ops = vu.layers[i].type->ops;

		if ((m & (1ULL << i)) && ops->leave) {
			c->depth = i;
			ops->leave(&vu.layers[i], c);
		}
	}
	if (level)
		t->depth--;
	return c->ret;
}

/* vu_libc_call -- entry of the generated libc wrappers. */
long vu_libc_call(struct vu_call *c, vu_bottom_fn *bottom)
{
	return vu_dispatch(c, bottom, NULL);
}
