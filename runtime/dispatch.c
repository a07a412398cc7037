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

/* vu_dispatch -- run c through the stack. bottom: the real libc function
 * (libc path) or NULL (gate); uc: the SIGSYS context, or NULL. */
long vu_dispatch(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc)
{
	struct vu_thread *t = vu_thread_self();
	unsigned long long m = 0;
	int i, last = -1;

	/* back from a vfork child that left the shared block deeper (its
	 * exec or exit never came back); the child itself has another tid */
	if (t && t->vfork_pending && vu_sys0(SYS_gettid) == t->tid) {
		t->depth = t->vfork_depth;
		t->vfork_pending = 0;
	}
	if (t && t->depth < VU_SCRATCH_DEPTH)
		c->scratch = t->scratch[t->depth];
	if (t)
		t->depth++;
	if (c->nr >= 0 && c->nr < VU_NR_COUNT && vu.layer_mask)
		m = vu.layer_mask[c->nr];
	for (i = 0; m && i < vu.nlayers; i++) {
		const struct vu_layer_ops *ops = vu.layers[i].type->ops;

		if (!(m & (1ULL << i)) || !ops->enter)
			continue;
		c->depth = last = i;
		if (ops->enter(&vu.layers[i], c) == VU_DONE)
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
	if (t)
		t->depth--;
	return c->ret;
}

/* vu_libc_call -- entry of the generated libc wrappers. Before vu_init has
 * run (another library's constructor calling a wrapped function) nothing is
 * configured and the real functions are not resolved yet: the call goes
 * straight to the kernel. */
long vu_libc_call(struct vu_call *c, vu_bottom_fn *bottom)
{
	if (!vu.lib_path)
		return vu_gate_call(c);
	return vu_dispatch(c, bottom, NULL);
}
