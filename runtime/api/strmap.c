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

/* vu_strmap_hash -- 8 bytes per step (a multiply and a fold), the last
 * 1 to 7 bytes as one word: the same for a key wherever it lies */
unsigned long vu_strmap_hash(const char *s, size_t n)
{
	unsigned long h = 0x9e3779b97f4a7c15UL ^ n, w;
	size_t left = n;

	for (; left >= 8; left -= 8, s += 8) {
		__builtin_memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdUL;
		h ^= h >> 32;
	}
	if (left) {
		if (n >= 8) {
			/* the last 8 bytes of the key, those already hashed
			 * shifted out */
			__builtin_memcpy(&w, s + left - 8, 8);
			w >>= 8 * (8 - left);
		} else {
			w = 0;
			for (size_t i = 0; i < left; i++)
				w |= (unsigned long)(unsigned char)s[i] << (8 * i);
		}
		h = (h ^ w) * 0xff51afd7ed558ccdUL;
		h ^= h >> 32;
	}
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

static struct vu_strmap_slot *find(const struct vu_strmap *m, const char *key, size_t n,
				    unsigned long h)
{
	if (!m->cap)
		return 0;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct vu_strmap_slot *s = &m->slot[i];

		if (!s->key || (s->len == n && vu_memeq(s->key, key, n)))
			return s;
	}
}

/* twice the room: every key again at its place in the new table (out of
 * line: the put that lands in an empty slot needs no frame) */
static __attribute__((noinline, cold)) int grow(struct vu_strmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 16;
	struct vu_strmap_slot *slot = calloc(cap, sizeof(*slot)), *old = m->slot;
	size_t oldcap = m->cap;

	if (!slot)
		return -ENOMEM;
	m->slot = slot;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].len, vu_strmap_hash(old[i].key, old[i].len)) = old[i];
	free(old);
	return 0;
}

/* vu_strmap_put -- key (n bytes, kept, not copied) -> value; an existing
 * key keeps its first value. 1 added, 0 already there, -ENOMEM. */
int vu_strmap_put(struct vu_strmap *m, const char *key, size_t n, long value)
{
	return vu_strmap_put_hashed(m, key, n, vu_strmap_hash(key, n), value);
}

/* put_from -- the rest of vu_strmap_put_hashed: slot i was taken */
static __attribute__((noinline)) int put_from(struct vu_strmap *m, const char *key, size_t n, size_t i,
					      long value)
{
	size_t mask = m->cap - 1;

	for (;; i = (i + 1) & mask) {
		struct vu_strmap_slot *s = &m->slot[i];

		if (!s->key) {
			s->key = key;
			s->len = (unsigned)n;
			s->value = (int)value;
			m->count++;
			return 1;
		}
		if (s->len == n && vu_memeq(s->key, key, n))
			return 0;
	}
}

/* vu_strmap_put_hashed -- the same, h being vu_strmap_hash(key, n)
 * (worked out before: a compiled config keeps its paths' hashes) */
int vu_strmap_put_hashed(struct vu_strmap *m, const char *key, size_t n, unsigned long h, long value)
{
	struct vu_strmap_slot *s;
	size_t i;

	if (__builtin_expect(2 * (m->count + 1) > m->cap, 0) && grow(m))
		return -ENOMEM;
	/* (a key put where it lands -- most, in a map at most half full --
	 * needs no frame) */
	i = h & (m->cap - 1);
	s = &m->slot[i];
	if (__builtin_expect(s->key != 0, 0))
		return put_from(m, key, n, i, value);
	s->key = key;
	s->len = (unsigned)n;
	s->value = (int)value;
	m->count++;
	return 1;
}

/* vu_strmap_get -- the value of key (n bytes), or -1 when absent */
long vu_strmap_get(const struct vu_strmap *m, const char *key, size_t n)
{
	const struct vu_strmap_slot *s = find(m, key, n, vu_strmap_hash(key, n));

	return s && s->key ? s->value : -1;
}

/* vu_strmap_get_hashed -- the same, h being vu_strmap_hash(key, n) */
long vu_strmap_get_hashed(const struct vu_strmap *m, const char *key, size_t n, unsigned long h)
{
	const struct vu_strmap_slot *s = find(m, key, n, h);

	return s && s->key ? s->value : -1;
}

/* vu_name_bits_init -- (vu_layer.h) 16 bits or more per name */
int vu_name_bits_init(struct vu_name_bits *f, int n)
{
	for (f->mask = 255; f->mask + 1 < 16U * (unsigned)n; f->mask = 2 * f->mask + 1)
		;
	f->bits = calloc((f->mask + 1) / 64, sizeof(unsigned long));
	return f->bits ? 0 : -ENOMEM;
}
