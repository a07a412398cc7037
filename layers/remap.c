/*
 * remap.c -- the remap layer: exact paths seen elsewhere.
 *
 * Every path argument of every path-taking call (syscalls.json type
 * "path") is made absolute against its dirfd or the cwd and normalized
 * lexically; when it equals a "from" key it is replaced by the absolute "to".
 * A cheap test of the last component comes first (a bit per last name of
 * the keys, by the hash the call's names already carry; then a hash
 * lookup), so calls for other files cost the same with one entry or
 * 10,000; the whole path is then looked up in a hash map too.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "vu_layer.h"

struct remap {
	int n;
	const char **from, **to;
	struct vu_strmap by_from, by_base;	/* from -> index; last names */
	/* the keys' last names: a path whose last name (from the call's
	 * shared names, vu_call_names) has no bit here is no key, known
	 * without measuring or hashing it again */
	struct vu_name_bits last;
	unsigned dot;		/* vu_name_hash of "." */
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
	/* (last names repeat: that map starts small and grows) */
	if (vu_strmap_init(&r->by_from, r->n) || vu_strmap_init(&r->by_base, 8))
		return -ENOMEM;
	if (vu_name_bits_init(&r->last, 2 * r->n))
		return -ENOMEM;
	r->dot = vu_name_hash(".", 1);
	for (int i = 0; i < r->n; i++) {
		const char *b = last_component(r->from[i]);
		size_t bl = vu_strlen(b);

		while (bl > 1 && b[bl - 1] == '/')
			bl--;
		vu_strmap_put(&r->by_from, r->from[i], vu_strlen(r->from[i]), i);
		vu_strmap_put(&r->by_base, b, bl, i);
		vu_name_bits_add(&r->last, vu_name_hash(b, bl));
	}
	self->state = r;
	/* a path ends in its key's last name, or is no key (whatever its
	 * folder) */
	vu_layer_names_only(self, &r->last, VU_NAMES_ONLY_FOLDER);
	return 0;
}

static int remap_wants(struct vu_layer *self, long nr)
{
	(void)self;
	/* its answer follows from the path's text and the cwd */
	return vu_sc_flags[nr] & VU_SC_PATH ? VU_WANTS_PURE : 0;
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

static int maybe(const struct remap *r, const struct vu_call *c, int i, const char *p)
{
	const struct vu_names *nm;
	size_t len;
	const char *t;

	/* the last name's hash, shared with the other layers: ".." anywhere
	 * or "." last may name anything (the match is lexical: a path ends in
	 * its key's last name, or is no key); a name without a bit is no key */
	nm = vu_call_names(c, i);
	if (nm && nm->n >= 1 && nm->n <= VU_NAMES_MAX && !(nm->flags & VU_NAMES_DOTDOT)) {
		unsigned h = nm->hash[nm->n - 1];

		if (h != r->dot && !vu_name_bits_may(&r->last, h))
			return 0;
	}
	if (p[0] == '/')
		return 1;	/* absolute: the whole path is looked up, its hash known */
	t = tail(p, &len);
	if (len == 1 && t[0] == '.')
		return 1;	/* "." or ".." may name anything */
	if (len == 2 && t[0] == '.' && t[1] == '.')
		return 1;
	return vu_strmap_get(&r->by_base, t, len) >= 0;
}

static enum vu_action remap_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct remap *r = self->state;

	for (unsigned m = vu_call_path_args(c); m; m &= m - 1) {
		int i = __builtin_ctz(m);
		const char *p = (const char *)c->args[i], *abs;
		unsigned long h;
		long n, k;

		if (!p || !*p || !maybe(r, c, i, p))
			continue;
		abs = vu_call_path(c, i, &n, &h);
		if (!abs) {
			if (n == -ENOMEM) {
				c->ret = -ENOMEM;
				return VU_DONE;
			}
			continue;	/* the kernel says what is wrong with it */
		}
		k = vu_strmap_get_hashed(&r->by_from, abs, n, h);
		if (k >= 0) {
			vu_debug("remap %s: %s -> %s", vu_syscalls[c->nr].name, p, r->to[k]);
			c->args[i] = (long)r->to[k];
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
