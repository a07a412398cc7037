/*
 * roots.h -- the trees a path layer (readonly, hide) is about: their
 * absolute paths, made at start-up, and the signal-safe questions the hook
 * path asks about them.
 */
#ifndef VU_ROOTS_H
#define VU_ROOTS_H

#include <stddef.h>
#include "../runtime/vu_core.h"

struct vu_roots {
	int n;
	const char **path;	/* absolute, normalized, no trailing '/' */
	size_t *len;
	const char **base;	/* last component of each path ("" for "/") */
};

/* vu_roots_init -- at start-up (libc allowed): the trees named by items
 * (absolute, normalized), each as written and, when different, with its
 * symlinks resolved (both when want_both, else only the resolved one).
 * Returns 0 or -errno with a message in err. */
int vu_roots_init(struct vu_roots *r, const char *const *items, int n, int want_both,
		  char *err, size_t errlen) VU_HIDDEN;

/* vu_roots_match -- index of the longest root that abs (absolute,
 * normalized) is equal to or below, or -1. */
int vu_roots_match(const struct vu_roots *r, const char *abs) VU_HIDDEN;

/* vu_roots_is -- does abs name one of the roots exactly? */
int vu_roots_is(const struct vu_roots *r, const char *abs) VU_HIDDEN;

/* vu_roots_has_base -- is name (len bytes) the last component of a root? */
int vu_roots_has_base(const struct vu_roots *r, const char *name, size_t len) VU_HIDDEN;

/* vu_fd_realpath -- the path the kernel gives for fd (readlink of
 * /proc/self/fd/N) into out; the length, or -errno; -EINVAL when it is not
 * a path (pipe:[..], anon_inode:..) or the file was deleted. */
long vu_fd_realpath(int fd, char *out, size_t len) VU_HIDDEN;

#endif
