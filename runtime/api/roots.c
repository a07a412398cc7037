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

/* p with its symlinks resolved: vu_host_realpath() of the longest prefix that
 * exists, the rest appended as written. NULL when out of memory. */
static char *resolved(const char *p)
{
	char head[PATH_MAX], tail[PATH_MAX] = "", out[2 * PATH_MAX];
	char *r, *slash;

	snprintf(head, sizeof(head), "%s", p);
	for (;;) {
		r = vu_host_realpath(head, NULL);
		if (r)
			break;
		slash = strrchr(head, '/');
		if (!slash || slash == head)
			return strdup(p);	/* nothing of it exists but "/" */
		{
			char t[PATH_MAX];

			snprintf(t, sizeof(t), "%s%s", slash, tail);
			snprintf(tail, sizeof(tail), "%s", t);
		}
		*slash = 0;
	}
	snprintf(out, sizeof(out), "%s%s", strcmp(r, "/") ? r : "", tail);
	free(r);
	if (!out[0])
		return strdup("/");
	if (strlen(out) >= PATH_MAX)
		return strdup(p);
	return strdup(out);
}

static const char *last_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int add(struct vu_roots *r, const char *p)
{
	size_t n = strlen(p);
	const char *b = last_of(p);

	if (vu_strmap_put(&r->by_path, p, n, r->n) != 1)
		return 0;	/* already there */
	r->path[r->n] = p;
	r->len[r->n] = n;
	r->base[r->n] = b;
	vu_strmap_put(&r->by_base, b, strlen(b), r->n);
	{
		unsigned h = vu_name_hash(b, strlen(b)) & r->bloom_mask;

		r->base_bloom[h / 64] |= 1UL << (h % 64);
	}
	r->n++;
	return 0;
}

/* can the path of a descriptor be read back? (needs /proc) */
static int proc_works(void)
{
	char buf[PATH_MAX];
	int fd = open("/", O_PATH | O_CLOEXEC);
	long n = fd < 0 ? -1 : vu_fd_realpath(fd, buf, sizeof(buf));

	if (fd >= 0)
		close(fd);
	return n == 1 && buf[0] == '/';
}

int vu_roots_init(struct vu_roots *r, const char *const *items, int n, int want_both,
		  char *err, size_t errlen)
{
	if (!proc_works()) {
		snprintf(err, errlen, "/proc/self/fd does not give paths back (is /proc mounted?)");
		return -ENOSYS;
	}
	r->n = 0;
	/* 16 bits per name (each item twice: as written and resolved) */
	for (r->bloom_mask = 255; r->bloom_mask + 1 < 32U * (unsigned)n; r->bloom_mask = 2 * r->bloom_mask + 1)
		;
	r->base_bloom = calloc((r->bloom_mask + 1) / 64, sizeof(unsigned long));
	if (!r->base_bloom)
		return -ENOMEM;
	r->path = calloc(2 * n + 1, sizeof(char *));
	r->len = calloc(2 * n + 1, sizeof(size_t));
	r->base = calloc(2 * n + 1, sizeof(char *));
	r->dev = calloc(2 * n + 1, sizeof(unsigned long));
	r->ino = calloc(2 * n + 1, sizeof(unsigned long));
	r->id = calloc(4 * n + 2, sizeof(unsigned long));
	if (!r->path || !r->len || !r->base || !r->dev || !r->ino || !r->id ||
	    vu_strmap_init(&r->by_path, 2 * n + 1) || vu_strmap_init(&r->by_base, 2 * n + 1) ||
	    vu_strmap_init(&r->by_id, 2 * n + 1))
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		char *real;

		if (!items[i] || items[i][0] != '/') {
			snprintf(err, errlen, "path %d is not absolute", i + 1);
			return -EINVAL;
		}
		real = resolved(items[i]);
		if (!real)
			return -ENOMEM;
		if (want_both)
			add(r, items[i]);
		add(r, real);
	}
	for (int i = 0; i < r->n; i++) {
		struct stat st;

		if (stat(r->path[i], &st) == 0) {
			r->dev[i] = st.st_dev;
			r->ino[i] = st.st_ino;
			r->id[2 * i] = st.st_dev;
			r->id[2 * i + 1] = st.st_ino;
			vu_strmap_put(&r->by_id, (const char *)&r->id[2 * i], 2 * sizeof(unsigned long), i);
		}
	}
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

	return ino ? (int)vu_strmap_get(&r->by_id, (const char *)key, sizeof(key)) : -1;
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
