/*
 * roots.c -- the trees of a path layer: made absolute and resolved at
 * start-up, then matched on the hook path with string work only.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_layer.h"
#include "../config/compiled.h"

/* p with its symlinks resolved: vu_host_realpath() of the longest prefix that
 * exists, the rest appended as written. NULL when out of memory. */
static char *resolved_slow(const char *p)
{
	/* (the prefix tried, a copy of p cut back: no PATH_MAX buffers, on the
	 * stack or the heap -- at start-up every page written is a page fault,
	 * and layer init runs deep; what is missing is p's own tail) */
	size_t n = strlen(p), hl = n, tl, rl;
	char *head = n < PATH_MAX ? strdup(p) : NULL, *r, *out;
	const char *tail;

	if (!head)
		return strdup(p);
	for (;;) {
		char *slash;

		r = vu_host_realpath(head, NULL);
		if (r)
			break;
		slash = strrchr(head, '/');
		if (!slash || slash == head) {
			free(head);
			return strdup(p);	/* nothing of it exists but "/" */
		}
		hl = slash - head;	/* the missing component joins the tail */
		*slash = 0;
	}
	free(head);
	tail = p + hl;
	tl = n - hl;
	rl = strcmp(r, "/") ? strlen(r) : 0;
	if (rl + tl >= PATH_MAX) {
		free(r);
		return strdup(p);
	}
	out = malloc(rl + tl + 2);
	if (out) {
		memcpy(out, r, rl);
		memcpy(out + rl, tail, tl + 1);
		if (!out[0])
			strcpy(out, "/");
	}
	free(r);
	return out;
}

/* the folder of the path resolved last: paths of a list share theirs */
struct last_dir {
	size_t dl;
	char *real;		/* resolved_slow(dir), or NULL */
	size_t rl;
	int same;		/* real is dir as written */
	char *chunk;		/* room for resolved paths (kept as long as the roots) */
	size_t left;
	size_t grow;		/* the next chunk's size */
	char *dir;		/* as written (from the heap, as long as it needs: a
				 * PATH_MAX array moved malloc's top a page, a page
				 * fault at start-up for each list) */
	size_t dcap;
};

static void last_dir_free(struct last_dir *ld)
{
	if (ld) {
		free(ld->real);
		free(ld->dir);
		free(ld);
	}
}

/* n bytes that live as long as the roots: from chunks, not a malloc each */
static char *keep(struct last_dir *ld, size_t n)
{
	char *r;

	if (n > 4096)
		return malloc(n);
	if (ld->left < n) {
		/* 4 KiB first, doubling to 64 KiB: a list of a few paths writes
		 * one page of the heap, not the ends of 64 KiB (malloc writes the
		 * header of what is left after a chunk: a page fault each) */
		size_t sz = ld->grow ? ld->grow : 4096;

		ld->grow = sz < 65536 ? 2 * sz : sz;
		ld->chunk = malloc(sz);
		ld->left = ld->chunk ? sz : 0;
		if (!ld->chunk)
			return NULL;
	}
	r = ld->chunk;
	ld->chunk += n;
	ld->left -= n;
	return r;
}

/* resolved -- resolved_slow(p) (p: n bytes), with one system call for a p
 * whose folder was the last one's: its last component is no symlink
 * (lstat), so p is the folder's resolved path and that name -- p itself
 * when the folder resolves to itself. *st: p's lstat, when *have. */
static char *resolved(const char *p, size_t n, struct last_dir *ld, struct stat *st, int *have,
		      const struct vu_list_pre *pre)
{
	/* (a compiled list says where the last name starts, and whether the
	 * folder is the previous path's) */
	const char *slash = pre ? (pre->base ? p + pre->base - 1 : NULL) : memrchr(p, '/', n);
	size_t dl = slash ? (size_t)(slash - p) : 0, nl;
	long e;
	char *out;

	*have = 0;
	if (!slash || dl == 0 || dl >= PATH_MAX || !slash[1])
		return resolved_slow(p);
	if (!ld->real || ld->dl != dl || !(pre && pre->samedir ? 1 : vu_memeq(ld->dir, p, dl))) {
		free(ld->real);
		ld->real = NULL;
		if (ld->dcap < dl + 1) {
			char *d = realloc(ld->dir, dl + 1);

			if (!d)
				return NULL;
			ld->dir = d;
			ld->dcap = dl + 1;
		}
		memcpy(ld->dir, p, dl);
		ld->dir[dl] = 0;
		ld->dl = dl;
		ld->real = resolved_slow(ld->dir);
		if (!ld->real)
			return NULL;
		ld->rl = strlen(ld->real);
		ld->same = ld->rl == dl && !memcmp(ld->real, p, dl);
	}
	/* (the kernel's lstat: no wrapper, no C library in between) */
	e = vu_sys4(SYS_newfstatat, AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW);
	if (e == 0) {
		*have = 1;
		if (S_ISLNK(st->st_mode))
			return resolved_slow(p);
	} else if (e != -ENOENT) {
		return resolved_slow(p);
	}
	if (ld->same)
		return (char *)p;
	nl = n - dl - 1;
	if (ld->rl + 1 + nl >= PATH_MAX)
		return strdup(p);
	out = keep(ld, ld->rl + nl + 2);
	if (!out)
		return NULL;
	memcpy(out, ld->real, ld->rl);
	out[ld->rl == 1 ? 0 : ld->rl] = '/';
	memcpy(out + (ld->rl == 1 ? 1 : ld->rl + 1), slash + 1, nl + 1);
	return out;
}

/* root p (n bytes), unless it is one already; pre: what a compiled list
 * worked out for it, or NULL; named: its last name is in by_base already
 * (an earlier item of that name was added as written) */
static int add(struct vu_roots *r, const char *p, size_t n, const struct vu_list_pre *pre, int named)
{
	const char *s = pre ? NULL : memrchr(p, '/', n), *b = pre ? p + pre->base : s ? s + 1 : p;
	size_t bl = p + n - b;

	if (vu_strmap_put_hashed(&r->by_path, p, n, pre ? pre->hash : vu_strmap_hash(p, n), r->n) != 1)
		return 0;	/* already there */
	r->path[r->n] = p;
	r->len[r->n] = n;
	r->base[r->n] = b;
	r->dev[r->n] = r->ino[r->n] = 0;	/* (unknown until looked at) */
	r->n++;
	if (named)
		return 1;	/* (by_base keeps a name's first root, and its bit is set) */
	vu_strmap_put_hashed(&r->by_base, b, bl, pre ? pre->base_hash : vu_strmap_hash(b, bl), r->n - 1);
	vu_name_bits_add(&r->base_bits, pre ? pre->name_hash : vu_name_hash(b, bl));
	return 1;
}

/* the hash by_id keys a (device, inode) by: two multiplies, not a string's */
static inline unsigned long id_hash(unsigned long dev, unsigned long ino)
{
	unsigned long h = (ino ^ (dev << 32 | dev >> 32)) * 0xff51afd7ed558ccdUL;

	return h ^ (h >> 29);
}

/* can the path of a descriptor be read back? (needs /proc; asked once) */
static int proc_works(void)
{
	static int known;	/* 1 yes, -1 no */
	char buf[16];
	int fd;
	long n;

	if (known)
		return known > 0;
	/* one call where it can: the program's own link names it by its path,
	 * as a descriptor's does (its first byte is enough) */
	if (vu_sys4(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, 1) == 1 && buf[0] == '/')
		return (known = 1);
	fd = open("/", O_PATH | O_CLOEXEC);
	n = fd < 0 ? -1 : vu_fd_realpath(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	known = n == 1 && buf[0] == '/' ? 1 : -1;
	return known > 0;
}

int vu_roots_init(struct vu_roots *r, const char *const *items, int n, int want_both,
		  char *err, size_t errlen)
{
	if (!proc_works()) {
		snprintf(err, errlen, "/proc/self/fd does not give paths back (is /proc mounted?)");
		return -ENOSYS;
	}
	r->n = 0;
	if (vu_name_bits_init(&r->base_bits, 2 * n))	/* each item twice: as written and resolved */
		return -ENOMEM;
	/* (written as roots are added, dev and ino below: no zeroing, which
	 * for 10,000 paths was more work than the rest) */
	r->path = malloc((2 * n + 1) * sizeof(char *));
	r->len = malloc((2 * n + 1) * sizeof(size_t));
	r->base = malloc((2 * n + 1) * sizeof(char *));
	r->dev = malloc((2 * n + 1) * sizeof(unsigned long));
	r->ino = malloc((2 * n + 1) * sizeof(unsigned long));
	r->id = malloc((4 * n + 2) * sizeof(unsigned long));
	if (!r->path || !r->len || !r->base || !r->dev || !r->ino || !r->id ||
	    vu_strmap_init(&r->by_path, n + 1) || vu_strmap_init(&r->by_base, 8))	/* (last names repeat: that map grows) */
		return -ENOMEM;
	struct last_dir *ld = malloc(sizeof(*ld));
	const struct vu_list_pre *pre = vu_compiled_pre(items, n);	/* (a compiled list) */
	unsigned char *known = calloc(2 * n + 1, 1);	/* dev and ino of root i are known */
	unsigned char *added = pre ? calloc(n + 1, 1) : NULL;	/* item i was added as written */

	if (ld) {
		ld->real = ld->chunk = ld->dir = NULL;
		ld->left = ld->grow = ld->dcap = 0;
	}
	if (!ld || !known || (pre && !added)) {
		last_dir_free(ld);
		free(known);
		free(added);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		char *real;
		size_t len;
		int have, k, named, as = 0;
		const struct vu_list_pre *pi;

		if (!items[i] || items[i][0] != '/') {
			snprintf(err, errlen, "path %d is not absolute", i + 1);
			last_dir_free(ld);
			free(known);
			free(added);
			return -EINVAL;
		}
		pi = pre ? &pre[i] : NULL;
		len = pi ? pi->len : vu_strlen(items[i]);
		real = resolved(items[i], len, ld, &st, &have, pi);
		if (!real)
			return -ENOMEM;
		k = r->n;
		named = pi && pi->first >= 0 && added[pi->first];	/* (added: with pi) */
		if (want_both)
			as = add(r, items[i], len, pi, named);
		if (real != items[i] && (!want_both || strcmp(real, items[i])))
			add(r, real, vu_strlen(real), NULL, 0);
		else if (!want_both)
			as = add(r, items[i], len, pi, named);
		if (added)
			added[i] = (unsigned char)as;
		/* (a resolved copy the same as the path: its room stays unused) */
		/* an lstat of a name that is no symlink is its stat: the roots
		 * just added (as written and resolved) are that object */
		for (; have && !S_ISLNK(st.st_mode) && k < r->n; k++) {
			known[k] = 1;
			r->dev[k] = st.st_dev;
			r->ino[k] = st.st_ino;
		}
	}
	last_dir_free(ld);
	/* room for every root at once: by_id never grows (its keys are placed
	 * by id_hash, which a growing map would not use) */
	if (vu_strmap_init(&r->by_id, r->n + 1)) {
		free(known);
		free(added);
		return -ENOMEM;
	}
	for (int i = 0; i < r->n; i++) {
		struct stat st;

		if (!known[i] && stat(r->path[i], &st) == 0) {
			r->dev[i] = st.st_dev;
			r->ino[i] = st.st_ino;
			known[i] = 1;
		}
		if (known[i]) {
			r->id[2 * i] = r->dev[i];
			r->id[2 * i + 1] = r->ino[i];
			vu_strmap_put_hashed(&r->by_id, (const char *)&r->id[2 * i], 2 * sizeof(unsigned long),
					     id_hash(r->dev[i], r->ino[i]), i);
		}
	}
	free(known);
	free(added);
	return 0;
}

/* each prefix of abs that ends at a component, longest first: O(its
 * components), whatever the number of roots */
int vu_roots_match(const struct vu_roots *r, const char *abs)
{
	size_t n = vu_strlen(abs);
	long i;

	for (size_t e = n; e > 0; e--) {
		if (e < n && abs[e] != '/')
			continue;
		if ((i = vu_strmap_get(&r->by_path, abs, e)) >= 0)
			return (int)i;
	}
	return abs[0] == '/' ? (int)vu_strmap_get(&r->by_path, "/", 1) : -1;
}

int vu_roots_is(const struct vu_roots *r, const char *abs)
{
	return vu_strmap_get(&r->by_path, abs, vu_strlen(abs)) >= 0;
}

int vu_roots_has_base(const struct vu_roots *r, const char *name, size_t len)
{
	if (!vu_roots_may_have_base(r, vu_name_hash(name, len)))
		return 0;
	return vu_strmap_get(&r->by_base, name, len) >= 0;
}

long vu_fd_realpath(int fd, char *out, size_t len)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	char link[40];
	long n;

	vu_format(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = vu_sys4(SYS_readlinkat, AT_FDCWD, link, out, len - 1);
	if (n < 0)
		return n;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = 0;
	if (out[0] != '/')
		return -EINVAL;
	if ((size_t)n > dl && !vu_strcmp(out + n - dl, deleted))
		return -EINVAL;
	return n;
}

/* vu_roots_id -- index of the root whose (device, inode) this is, or -1 */
int vu_roots_id(const struct vu_roots *r, unsigned long dev, unsigned long ino)
{
	unsigned long key[2] = { dev, ino };

	return ino ? (int)vu_strmap_get_hashed(&r->by_id, (const char *)key, sizeof(key), id_hash(dev, ino)) : -1;
}

/* vu_roots_holds -- index of the root that real (a path the kernel gave
 * back) is at or below, or -1. By name first; then by identity, so that
 * a root whose folder was renamed (by this process or any other) is still
 * found: each component of real that bears the last name of a root is
 * looked at (lstat), and its (device, inode) compared. A path with no such
 * component costs no system call. */
int vu_roots_holds(const struct vu_roots *r, struct vu_call *c, const char *real)
{
	unsigned long mark = c->scratch_used;
	size_t n = vu_strlen(real);
	char *buf = 0;
	int hit = vu_roots_match(r, real);

	for (size_t e = 1; hit < 0 && e <= n; e++) {
		struct stat st;
		size_t s = e;

		if (real[e] != '/' && real[e] != 0)
			continue;
		while (s > 0 && real[s - 1] != '/')
			s--;
		if (e == s || !vu_roots_has_base(r, real + s, e - s))
			continue;
		if (!buf && !(buf = vu_call_alloc(c, n + 1))) {
			hit = r->n ? 0 : -1;	/* cannot look: fail closed */
			break;
		}
		vu_memcpy(buf, real, e);
		buf[e] = 0;
		if (vu_sys4(SYS_newfstatat, AT_FDCWD, buf, &st, AT_SYMLINK_NOFOLLOW) == 0)
			hit = vu_roots_id(r, st.st_dev, st.st_ino);
	}
	vu_call_release(c, mark);
	return hit;
}
