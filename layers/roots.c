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
#include <sys/syscall.h>
#include "roots.h"

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
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->path[i], p))
			return 0;
	r->path[r->n] = p;
	r->len[r->n] = strlen(p);
	r->base[r->n] = last_of(p);
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
	r->path = calloc(2 * n + 1, sizeof(char *));
	r->len = calloc(2 * n + 1, sizeof(size_t));
	r->base = calloc(2 * n + 1, sizeof(char *));
	if (!r->path || !r->len || !r->base)
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
	return 0;
}

int vu_roots_match(const struct vu_roots *r, const char *abs)
{
	int best = -1;

	for (int i = 0; i < r->n; i++)
		if (vu_path_under(abs, r->path[i]) >= 0 &&
		    (best < 0 || r->len[i] > r->len[best]))
			best = i;
	return best;
}

int vu_roots_is(const struct vu_roots *r, const char *abs)
{
	for (int i = 0; i < r->n; i++)
		if (!vu_strcmp(abs, r->path[i]))
			return 1;
	return 0;
}

int vu_roots_has_base(const struct vu_roots *r, const char *name, size_t len)
{
	for (int i = 0; i < r->n; i++)
		if (!vu_strncmp(r->base[i], name, len) && r->base[i][len] == 0)
			return 1;
	return 0;
}

long vu_fd_realpath(int fd, char *out, size_t len)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	char link[40];
	long n;

	vu_fmt(link, sizeof(link), "/proc/self/fd/%d", fd);
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
