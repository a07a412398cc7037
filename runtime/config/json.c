/*
 * json.c -- strict JSON reader with positions (see json.h).
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "json.h"

#define VU_JSON_MAX_DEPTH 64

struct parser {
	const char *s, *end;
	const char *p;
	int line;
	const char *line_start;
	int depth;
	struct vu_json_error *err;
	int failed;
	/* the last column computed: positions only move forward, so counting
	 * on from there keeps a long one-line file linear, not quadratic */
	const char *col_line, *col_at;
	int col;
	/* nodes and strings come from chunks (they live as long as the
	 * config): a config of 10,000 paths is not 20,000 mallocs */
	char *ar, *ar_end;
	size_t ar_size;
};

/* under ASan the unused part of a chunk is poisoned, so that the fuzzer
 * (fuzz/run.sh) sees a string or a node overrun as it would a malloc's */
#if defined(__SANITIZE_ADDRESS__)
#define VU_JSON_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VU_JSON_ASAN 1
#endif
#endif
#ifdef VU_JSON_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#define VU_JSON_CHUNK 65536

/* n zeroed bytes for the tree, or NULL. Chunks grow from 2 KiB to 64 KiB:
 * a small config takes a small one. */
static void *arena(struct parser *ps, size_t n)
{
	size_t want = n;
	void *r;

	n = (n + 15) & ~(size_t)15;
	if (n > VU_JSON_CHUNK / 4)
		return calloc(1, n);
	if ((size_t)(ps->ar_end - ps->ar) < n) {
		size_t sz = ps->ar_size ? ps->ar_size * 2 : 2048;
		char *c;

		if (sz > VU_JSON_CHUNK)
			sz = VU_JSON_CHUNK;
		while (sz < n)
			sz *= 2;	/* (n is at most a quarter of a full chunk) */
		c = malloc(sz);
		if (!c)
			return NULL;
		POISON(c, sz);
		ps->ar_size = sz;
		ps->ar = c;
		ps->ar_end = c + sz;
	}
	r = ps->ar;
	ps->ar += n;
	UNPOISON(r, want);
	return memset(r, 0, want);
}

static int col_of(struct parser *ps, const char *at)
{
	/* columns count characters, not bytes: skip UTF-8 continuation bytes */
	const char *q = ps->line_start;
	int col = 1;

	if (ps->col_line == ps->line_start && ps->col_at && ps->col_at <= at) {
		q = ps->col_at;
		col = ps->col;
	}
	for (; q < at; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	ps->col_line = ps->line_start;
	ps->col_at = at;
	ps->col = col;
	return col;
}

static void *fail_at(struct parser *ps, const char *at, const char *msg)
{
	if (!ps->failed) {
		ps->failed = 1;
		ps->err->line = ps->line;
		ps->err->col = col_of(ps, at);
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s", msg);
	}
	return NULL;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		ps->p++;
	}
}

static struct vu_json *node(struct parser *ps, int type)
{
	struct vu_json *n = arena(ps, sizeof(*n));

	if (!n)
		return fail_at(ps, ps->p, "out of memory");
	n->type = type;
	n->line = ps->line;
	n->col = col_of(ps, ps->p);
	n->src = ps->p;
	return n;
}

static int utf8_len(const unsigned char *p, const unsigned char *end)
{
	/* length of a valid UTF-8 sequence at p, or 0 */
	unsigned c = p[0];
	int n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (end - p < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = cp;
	} else if (cp < 0x800) {
		*o++ = 0xC0 | cp >> 6;
		*o++ = 0x80 | (cp & 0x3F);
	} else if (cp < 0x10000) {
		*o++ = 0xE0 | cp >> 12;
		*o++ = 0x80 | ((cp >> 6) & 0x3F);
		*o++ = 0x80 | (cp & 0x3F);
	} else {
		*o++ = 0xF0 | cp >> 18;
		*o++ = 0x80 | ((cp >> 12) & 0x3F);
		*o++ = 0x80 | ((cp >> 6) & 0x3F);
		*o++ = 0x80 | (cp & 0x3F);
	}
	return o;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

static struct vu_json *parse_string(struct parser *ps)
{
	struct vu_json *n = node(ps, VU_J_STR);
	const char *q;
	char *out, *o;

	if (!n)
		return NULL;
	ps->p++;	/* opening quote */
	/* most strings: printable ASCII, no escape; 8 bytes at a time while
	 * none of them is '"', '\\', a control character or not ASCII */
	q = ps->p;
	while (ps->end - q >= 8) {
		unsigned long w, lo;

		memcpy(&w, q, 8);
		lo = (w - 0x2020202020202020UL) & ~w;	/* a byte < 0x20 */
		if ((lo | w) & 0x8080808080808080UL)
			break;
		if (((w ^ 0x2222222222222222UL) - 0x0101010101010101UL) & ~(w ^ 0x2222222222222222UL) &
		    0x8080808080808080UL)
			break;
		if (((w ^ 0x5c5c5c5c5c5c5c5cUL) - 0x0101010101010101UL) & ~(w ^ 0x5c5c5c5c5c5c5c5cUL) &
		    0x8080808080808080UL)
			break;
		q += 8;
	}
	for (; q < ps->end && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80 &&
	     *q != '"' && *q != '\\'; q++)
		;
	if (q < ps->end && *q == '"') {
		out = arena(ps, q - ps->p + 1);
		if (!out)
			return fail_at(ps, ps->p, "out of memory");
		memcpy(out, ps->p, q - ps->p);
		out[q - ps->p] = 0;
		n->str = out;
		n->slen = q - ps->p;
		ps->p = q + 1;
		return n;
	}
	for (q = ps->p; q < ps->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < ps->end)
			q++;
	if (q >= ps->end)
		return fail_at(ps, n->src, "unterminated string");
	out = o = arena(ps, q - ps->p + 1);
	if (!out)
		return fail_at(ps, ps->p, "out of memory");
	while (*ps->p != '"') {
		unsigned char c = *ps->p;

		if (c < 0x20)
			return fail_at(ps, ps->p, "control character in string (escape it)");
		if (c == '\\') {
			char e = ps->p[1];
			unsigned cp, lo;

			switch (e) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp))
					return fail_at(ps, ps->p, "bad \\u escape");
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (ps->end - ps->p < 12 || ps->p[6] != '\\' ||
					    ps->p[7] != 'u' || hex4(ps->p + 8, &lo) ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return fail_at(ps, ps->p, "unpaired surrogate in \\u escape");
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					ps->p += 6;
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					return fail_at(ps, ps->p, "unpaired surrogate in \\u escape");
				}
				if (cp == 0)
					return fail_at(ps, ps->p, "\\u0000 is not allowed in vu.json strings");
				o = put_utf8(o, cp);
				ps->p += 4;
				break;
			default:
				return fail_at(ps, ps->p, "bad escape in string");
			}
			ps->p += 2;
			continue;
		}
		if (c < 0x80) {
			*o++ = (char)c;	/* ASCII, most of a config: no UTF-8 to check */
			ps->p++;
			continue;
		}
		int l = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);

		if (!l)
			return fail_at(ps, ps->p, "string is not valid UTF-8");
		memcpy(o, ps->p, l);
		o += l;
		ps->p += l;
	}
	*o = 0;
	ps->p++;
	n->str = out;
	n->slen = o - out;
	return n;
}

static struct vu_json *parse_value(struct parser *ps);

/* capacity for n items: powers of two, so appending stays linear */
static size_t grown(int count)
{
	size_t cap = 4;

	while (cap < (size_t)count + 1)
		cap *= 2;
	return cap;
}

static int push(struct parser *ps, struct vu_json *n, struct vu_json *k, struct vu_json *v)
{
	/* grow when count reaches a power of two (4, 8, 16, ...) */
	if (n->count < 4 || !(n->count & (n->count - 1))) {
		struct vu_json **items = realloc(n->items, grown(n->count) * sizeof(*items));

		if (!items)
			return -1;
		n->items = items;
		if (k) {
			struct vu_json **keys = realloc(n->keys, grown(n->count) * sizeof(*keys));

			if (!keys)
				return -1;
			n->keys = keys;
		}
	}
	if (k)
		n->keys[n->count] = k;
	n->items[n->count++] = v;
	(void)ps;
	return 0;
}

/* The keys of one object so far: open addressing on a string hash, so an
 * object with 100,000 keys is checked for duplicates in linear time. */
struct keyset {
	const char **slot;
	size_t cap, n;
};

static size_t str_hash(const char *s)
{
	size_t h = 14695981039346656037UL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211UL;
	return h;
}

static void keyset_put(const char **slot, size_t cap, const char *key)
{
	size_t j = str_hash(key) & (cap - 1);

	while (slot[j])
		j = (j + 1) & (cap - 1);
	slot[j] = key;
}

/* 1: added, 0: already there, -1: out of memory */
static int keyset_add(struct keyset *ks, const char *key)
{
	size_t j;

	if ((ks->n + 1) * 2 > ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;
		const char **slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -1;
		for (size_t i = 0; i < ks->cap; i++)
			if (ks->slot[i])
				keyset_put(slot, cap, ks->slot[i]);
		free(ks->slot);
		ks->slot = slot;
		ks->cap = cap;
	}
	for (j = str_hash(key) & (ks->cap - 1); ks->slot[j]; j = (j + 1) & (ks->cap - 1))
		if (!strcmp(ks->slot[j], key))
			return 0;
	ks->slot[j] = key;
	ks->n++;
	return 1;
}

static struct vu_json *parse_members(struct parser *ps, struct vu_json *n, int type,
				     struct keyset *ks)
{
	char close = type == VU_J_OBJ ? '}' : ']';

	if (++ps->depth > VU_JSON_MAX_DEPTH)
		return fail_at(ps, ps->p, "nested too deeply");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return n;
	}
	for (;;) {
		struct vu_json *k = NULL, *v;

		skip_ws(ps);
		if (type == VU_J_OBJ) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail_at(ps, ps->p, "expected a \"key\" in object");
			k = parse_string(ps);
			if (!k)
				return NULL;
			switch (keyset_add(ks, k->str)) {
			case 0:
				return fail_at(ps, k->src, "duplicate key in object");
			case -1:
				return fail_at(ps, k->src, "out of memory");
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail_at(ps, ps->p, "expected ':' after key");
			ps->p++;
		}
		v = parse_value(ps);
		if (!v)
			return NULL;
		if (push(ps, n, k, v))
			return fail_at(ps, ps->p, "out of memory");
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			const char *comma = ps->p;
			int line = ps->line;
			const char *ls = ps->line_start;

			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == close) {
				ps->line = line;
				ps->line_start = ls;
				return fail_at(ps, comma, "trailing comma");
			}
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		return fail_at(ps, ps->p, type == VU_J_OBJ ?
			       "expected ',' or '}' in object" :
			       "expected ',' or ']' in array");
	}
	ps->depth--;
	return n;
}

static struct vu_json *parse_container(struct parser *ps, int type)
{
	struct vu_json *n = node(ps, type), *r;
	struct keyset ks = { 0 };

	if (!n)
		return NULL;
	r = parse_members(ps, n, type, &ks);
	free(ks.slot);
	return r;
}

static struct vu_json *parse_number(struct parser *ps)
{
	struct vu_json *n = node(ps, VU_J_NUM);
	const char *q = ps->p;
	char buf[64];

	if (!n)
		return NULL;
	n->is_int = 1;
	if (*q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail_at(ps, ps->p, "bad number");
	if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9')
		return fail_at(ps, ps->p, "numbers may not start with 0");
	while (q < ps->end && *q >= '0' && *q <= '9')
		q++;
	if (q < ps->end && *q == '.') {
		n->is_int = 0;
		q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail_at(ps, q, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		n->is_int = 0;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail_at(ps, q, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q - ps->p >= (long)sizeof(buf))
		return fail_at(ps, ps->p, "number too long");
	memcpy(buf, ps->p, q - ps->p);
	buf[q - ps->p] = 0;
	n->num = strtod(buf, NULL);
	ps->p = q;
	return n;
}

static struct vu_json *parse_word(struct parser *ps, const char *w, int type, int b)
{
	size_t l = strlen(w);
	struct vu_json *n;

	if ((size_t)(ps->end - ps->p) < l || memcmp(ps->p, w, l))
		return fail_at(ps, ps->p, "unexpected character (not JSON)");
	n = node(ps, type);
	if (!n)
		return NULL;
	n->boolean = b;
	ps->p += l;
	return n;
}

static struct vu_json *parse_value(struct parser *ps)
{
	struct vu_json *n;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail_at(ps, ps->p, "unexpected end of file");
	switch (*ps->p) {
	case '{': n = parse_container(ps, VU_J_OBJ); break;
	case '[': n = parse_container(ps, VU_J_ARR); break;
	case '"': n = parse_string(ps); break;
	case 't': n = parse_word(ps, "true", VU_J_BOOL, 1); break;
	case 'f': n = parse_word(ps, "false", VU_J_BOOL, 0); break;
	case 'n': n = parse_word(ps, "null", VU_J_NULL, 0); break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			n = parse_number(ps);
		else
			n = fail_at(ps, ps->p, "unexpected character (not JSON)");
	}
	if (n)
		n->srclen = ps->p - n->src;
	return n;
}

struct vu_json *vu_json_parse(const char *text, size_t len, struct vu_json_error *err)
{
	struct parser ps = { .s = text, .end = text + len, .p = text, .line = 1,
			     .line_start = text, .err = err };
	const char *nul = memchr(text, 0, len);
	struct vu_json *root;

	if (len >= 2 && ((unsigned char)text[0] == 0xFF || (unsigned char)text[0] == 0xFE) &&
	    ((unsigned char)text[1] ^ (unsigned char)text[0]) == 0x01)
		return fail_at(&ps, text, "UTF-16 byte order mark: vu.json must be UTF-8");
	if (nul) {
		/* say where: the line and column of the NUL, not of the file */
		for (const char *q = text; q < nul; q++)
			if (*q == '\n') {
				ps.line++;
				ps.line_start = q + 1;
			}
		return fail_at(&ps, nul, "NUL byte in file");
	}
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		ps.p = ps.line_start = text + 3;	/* UTF-8 byte order mark: not a column */
	root = parse_value(&ps);
	if (!root)
		return NULL;
	skip_ws(&ps);
	if (ps.p < ps.end)
		return fail_at(&ps, ps.p, "unexpected text after the JSON value");
	return root;
}

struct vu_json *vu_json_get(const struct vu_json *obj, const char *key)
{
	if (!obj || obj->type != VU_J_OBJ)
		return NULL;
	for (int i = 0; i < obj->count; i++)
		if (!strcmp(obj->keys[i]->str, key))
			return obj->items[i];
	return NULL;
}

const char *vu_json_type_name(int type)
{
	static const char *const names[] = { "null", "a boolean", "a number",
					     "a string", "an array", "an object" };

	return names[type];
}
