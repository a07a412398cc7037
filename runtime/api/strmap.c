/*
 * strmap.c -- a set of strings (or byte strings) with a value each, built
 * once at start-up and looked up on the hook path in O(1): open addressing
 * on an FNV-1a hash, a power-of-two table at most half full. Lookups take
 * no lock, allocate nothing and call no libc: a path layer asks it for
 * every component of a path without a cost that grows with the number of
 * configured paths.
 */
#include <stdlib.h>
#include "vu_layer.h"

static unsigned long hash(const char *s, size_t n)
{
	unsigned long h = 1469598103934665603UL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211UL;
	return h;
}

/* vu_strmap_init -- room for n keys (start-up, libc). 0 or -ENOMEM. */
int vu_strmap_init(struct vu_strmap *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	m->slot = calloc(cap, sizeof(*m->slot));
	m->cap = m->slot ? cap : 0;
	m->count = 0;
	return m->slot ? 0 : -ENOMEM;
}

static struct vu_strmap_slot *find(const struct vu_strmap *m, const char *key, size_t n)
{
	unsigned long h;

	if (!m->cap)
		return 0;
	h = hash(key, n);
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct vu_strmap_slot *s = &m->slot[i];

		if (!s->key || (s->hash == h && s->len == n && !vu_strncmp(s->key, key, n)))
			return s;
	}
}

/* vu_strmap_put -- key (n bytes, kept, not copied) -> value; an existing
 * key keeps its first value. 1 added, 0 already there, -ENOSPC full. */
int vu_strmap_put(struct vu_strmap *m, const char *key, size_t n, long value)
{
	struct vu_strmap_slot *s;

	if (2 * (m->count + 1) > m->cap)
		return -ENOSPC;
	s = find(m, key, n);
	if (s->key)
		return 0;
	s->key = key;
	s->len = n;
	s->hash = hash(key, n);
	s->value = value;
	m->count++;
	return 1;
}

/* vu_strmap_get -- the value of key (n bytes), or -1 when absent */
long vu_strmap_get(const struct vu_strmap *m, const char *key, size_t n)
{
	const struct vu_strmap_slot *s = find(m, key, n);

	return s && s->key ? s->value : -1;
}
