/*
 * json.h -- a small strict JSON (RFC 8259) reader that remembers where each
 * value starts, so config errors can say FILE:LINE:COL. Start-up only: it
 * allocates with malloc.
 */
#ifndef VU_JSON_H
#define VU_JSON_H

#include <stddef.h>

enum vu_json_type { VU_J_NULL, VU_J_BOOL, VU_J_NUM, VU_J_STR, VU_J_ARR, VU_J_OBJ };

struct vu_json {		/* 64 bytes: a config of 10,000 paths has 10,000 */
	unsigned char type;
	unsigned char boolean;	/* BOOL */
	unsigned char is_int;	/* NUM without fraction or exponent */
	int line, col;
	int count;		/* ARR, OBJ */
	unsigned slen;		/* STR */
	unsigned srclen;	/* the length of its source */
	const char *str;	/* STR (decoded, NUL-terminated) */
	const char *src;	/* start of this value in the source */
	double num;		/* NUM */
	struct vu_json **items;	/* ARR values, OBJ values */
	struct vu_json **keys;	/* OBJ keys (STR nodes, with positions) */
};

struct vu_json_error {
	int line, col;
	char msg[200];
};

/* vu_json_parse -- parse text[0..len); NULL and *err on failure. */
struct vu_json *vu_json_parse(const char *text, size_t len, struct vu_json_error *err)
	__attribute__((visibility("hidden")));

/* vu_json_get -- member of an object by key, or NULL. */
struct vu_json *vu_json_get(const struct vu_json *obj, const char *key)
	__attribute__((visibility("hidden")));

const char *vu_json_type_name(int type) __attribute__((visibility("hidden")));

#endif
