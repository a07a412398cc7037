/*
 * compiled.h -- vu.json compiled once per process tree (compiled.c).
 */
#ifndef VU_COMPILED_H
#define VU_COMPILED_H

#include <sys/stat.h>

struct vu_state;

/* What a compiled config worked out for each path of a list option (its
 * length, where its last name starts, whether its folder is the previous
 * path's, and the hashes roots.c keys it by), so that vu_roots_init does
 * not work it out again in every process. */
struct vu_list_pre {
	unsigned len, base;	/* strlen; offset of the last name */
	unsigned samedir;	/* the folder (up to base - 1) is the previous path's */
	unsigned name_hash;	/* vu_name_hash of the last name */
	unsigned long hash, base_hash;	/* vu_strmap_hash of the path, of the last name */
	long first;		/* an earlier item of the same last name, or -1 */
};
/* vu_compiled_pre -- that for the list items (n of them) when they are a
 * compiled list option's, else NULL */
const struct vu_list_pre *vu_compiled_pre(const char *const *items, int n) __attribute__((visibility("hidden")));

/* vu_compiled_load -- st's mode, layers and option values as compiled for
 * the config at path whose stat is cst (the layers not yet initialized):
 * 1, or 0 when there is no usable compiled form (then parse). */
int vu_compiled_load(const char *path, const struct stat *cst, struct vu_state *st)
	__attribute__((visibility("hidden")));
/* vu_compiled_save -- compile st, a config without errors, for the next
 * process (best effort: nothing is said when it cannot be written) */
void vu_compiled_save(const char *path, const struct stat *cst, const struct vu_state *st)
	__attribute__((visibility("hidden")));
/* config.c: the built-in layer type of that name, or NULL */
const struct vu_layer_type *vu_layer_type_named(const char *name) __attribute__((visibility("hidden")));

#endif
