/*
 * deny.c -- the deny layer: the named system calls fail with one errno, as
 * a seccomp filter with SECCOMP_RET_ERRNO would make them, without reaching
 * the kernel.
 *
 * Names are checked against vu's table at start-up (an unknown one is a
 * config error at its position). The layer answers in enter(), before
 * anything below it and before vu's own emulation of the process model, so
 * a denied clone, execve or rt_sigaction fails for the program while vu's
 * own calls (through its gate) go on. The three calls a program cannot
 * survive failing -- exit, exit_group (glibc's _exit would spin) and
 * rt_sigreturn -- are refused as a config error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vu_layer.h"
#include "suggest.h"

struct deny {
	long err;				/* positive errno */
	unsigned char on[VU_NR_COUNT];		/* denied? */
};

static long nr_of(const char *name)
{
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		if (vu_syscalls[nr].name[0] && !strcmp(vu_syscalls[nr].name, name))
			return nr;
	return -1;
}

/* errno_of -- "EPERM" -> EPERM, or -1 (glibc's own list of names) */
static long errno_of(const char *name)
{
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return -1;
}

/* near_errno / near_syscall -- the known name nearest to a misspelt one */
static const char *near_errno(const char *typed)
{
	struct vu_suggest s;

	vu_suggest_init(&s);
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);

		if (n)
			vu_suggest_offer(&s, typed, n);
	}
	return vu_suggest_done(&s, typed);
}

static const char *near_syscall(const char *typed)
{
	struct vu_suggest s;

	vu_suggest_init(&s);
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		if (vu_syscalls[nr].name[0])
			vu_suggest_offer(&s, typed, vu_syscalls[nr].name);
	return vu_suggest_done(&s, typed);
}

static int deny_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *names = &self->opt[0], *eo = &self->opt[1];
	struct deny *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->err = errno_of(eo->str);
	if (d->err < 0) {
		const char *near = near_errno(eo->str);

		if (near)
			vu_format(err, errlen, "\"%s\" is not an errno name (did you mean \"%s\"?)", eo->str, near);
		else
			vu_format(err, errlen, "\"%s\" is not an errno name (like \"EPERM\", \"EACCES\", \"ENOSYS\")",
			       eo->str);
		self->err_opt = 1;
		return -EINVAL;
	}
	for (int i = 0; i < names->count; i++) {
		const char *n = names->items[i];
		long nr = nr_of(n);

		if (nr < 0) {
			const char *near = near_syscall(n);

			if (near)
				vu_format(err, errlen, "unknown system call \"%s\" (did you mean \"%s\"?)", n, near);
			else
				vu_format(err, errlen, "unknown system call \"%s\" (not in vu's table for "
				       VU_ARCH "; see `npx vu-gen list`)", n);
		} else if (nr == VU_NR_exit || nr == VU_NR_exit_group || nr == VU_NR_rt_sigreturn) {
			vu_format(err, errlen, "%s cannot be denied: the program could not %s", n,
			       nr == VU_NR_rt_sigreturn ? "return from a signal handler" : "end");
			nr = -1;
		}
		if (nr < 0) {
			self->err_opt = 0;
			self->err_item = i;
			return -EINVAL;
		}
		d->on[nr] = 1;
	}
	self->state = d;
	return 0;
}

static int deny_wants(struct vu_layer *self, long nr)
{
	const struct deny *d = self->state;

	return d->on[nr];
}

static enum vu_action deny_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct deny *d = self->state;

	vu_debug("deny %s -> -%ld", vu_syscalls[c->nr].name, d->err);
	c->ret = -d->err;
	return VU_DONE;
}

const struct vu_layer_ops vu_layer_deny_ops = {
	.abi = VU_ABI_VERSION,
	.init = deny_init,
	.wants = deny_wants,
	.enter = deny_enter,
};
