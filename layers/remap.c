/*
 * remap.c -- the remap layer: exact paths seen elsewhere.
 *
 * Every path argument of every path-taking call (syscalls.json type
 * "path") is made absolute against its dirfd or the cwd and normalized
 * lexically; when it equals a "from" key it is replaced by the absolute "to".
 * A cheap test of the last component comes first, so calls for other files
 * cost a few comparisons.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "../runtime/vu_core.h"

struct remap {
	int n;
	const char **from, **to;
	const char **base;	/* last component of each from */
};

static const char *last_component(const char *p)
{
	const char *b = p;

	for (; *p; p++)
		if (*p == '/' && p[1])
			b = p + 1;
	return b;
}

static int remap_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *map = &self->opt[0];
	struct remap *r = calloc(1, sizeof(*r));

	(void)err;
	(void)errlen;
	if (!r)
		return -ENOMEM;
	r->n = map->count;
	r->from = map->keys;
	r->to = map->items;
	r->base = calloc(map->count + 1, sizeof(char *));
	if (!r->base)
		return -ENOMEM;
	for (int i = 0; i < r->n; i++)
		r->base[i] = last_component(r->from[i]);
	self->state = r;
	return 0;
}

static int remap_wants(struct vu_layer *self, long nr)
{
	(void)self;
	return (vu_syscalls[nr].flags & VU_SC_PATH) != 0;
}

/* the last component of p, ignoring trailing slashes: length in *len */
static const char *tail(const char *p, size_t *len)
{
	size_t n = vu_strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	size_t s = n;

	while (s > 0 && p[s - 1] != '/')
		s--;
	*len = n - s;
	return p + s;
}

static int maybe(const struct remap *r, const char *p)
{
	size_t len;
	const char *t = tail(p, &len);

	if (len == 1 && t[0] == '.')
		return 1;	/* "." or ".." may name anything */
	if (len == 2 && t[0] == '.' && t[1] == '.')
		return 1;
	for (int i = 0; i < r->n; i++)
		if (vu_strlen(r->base[i]) == len && !vu_strncmp(r->base[i], t, len))
			return 1;
	return 0;
}

static enum vu_action remap_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct remap *r = self->state;
	const struct vu_syscall_info *si = &vu_syscalls[c->nr];

	for (int i = 0; i < si->nargs; i++) {
		const char *p = (const char *)c->args[i];
		unsigned long mark = c->scratch_used;
		char *abs;
		long n;

		if (si->args[i].kind != VU_ARG_PATH || !p || !*p || !maybe(r, p))
			continue;
		abs = vu_call_alloc(c, 2 * PATH_MAX);
		if (!abs) {
			c->ret = -ENOMEM;
			return VU_DONE;
		}
		n = vu_call_path(c, i, abs, 2 * PATH_MAX);
		vu_call_release(c, mark);
		if (n < 0)
			continue;	/* let the kernel give its own error */
		for (int k = 0; k < r->n; k++) {
			if (!vu_strcmp(abs, r->from[k])) {
				vu_debug("remap %s: %s -> %s", si->name, p, r->to[k]);
				c->args[i] = (long)r->to[k];
				break;
			}
		}
	}
	return VU_CONTINUE;
}

const struct vu_layer_ops vu_layer_remap_ops = {
	.abi = VU_ABI_VERSION,
	.init = remap_init,
	.wants = remap_wants,
	.enter = remap_enter,
};
