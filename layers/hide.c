/*
 * hide.c -- the hide layer: the paths do not exist.
 *
 * Every path argument of every path-taking call (syscalls.json type "path")
 * that names a hidden path or something below it makes the call fail with
 * ENOENT before it reaches the kernel; for calls with two paths, either one
 * does. Paths are compared after making them absolute (against the dirfd
 * or the cwd) and removing "." ".." "//" lexically, with each hidden path
 * both as written and with its symlinks resolved at start-up.
 *
 * Most calls are for other files, so a path is first checked cheaply: it
 * can only lead into a hidden path if one of its components is the last
 * component of a hidden path (the cwd and dirfds are never inside one,
 * since they could not be opened; a process started inside one checks
 * every relative path). Only then is it made absolute, which for a
 * relative path costs a getcwd or a readlink of the dirfd.
 *
 * getdents64 and getdents: the entries whose name is the last component of
 * a hidden path are looked at, and only then the folder's path is read back
 * from /proc/self/fd; hidden entries are cut out of the buffer. A batch
 * that ends up empty is not returned as end-of-directory: the layer reads
 * on until it has an entry to return or the kernel says end (PITFALLS K1).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "roots.h"

struct hide {
	struct vu_roots roots;
	int cwd_hidden;		/* the process started inside a hidden path */
	int strict;		/* also where paths really lead (symlinks) */
};

static int hide_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *paths = &self->opt[0];
	struct hide *h = calloc(1, sizeof(*h));

	if (h)
		h->strict = self->opt[1].set && self->opt[1].num;
	char cwd[PATH_MAX];
	int e;

	if (!h)
		return -ENOMEM;
	if (paths->count == 0) {
		vu_fmt(err, errlen, "hide.paths is empty: name at least one path");
		return -EINVAL;
	}
	for (int i = 0; i < paths->count; i++) {
		if (paths->items[i] && !vu_strcmp(paths->items[i], "/")) {
			vu_fmt(err, errlen, "hide.paths: \"/\" would hide everything");
			return -EINVAL;
		}
	}
	e = vu_roots_init(&h->roots, paths->items, paths->count, 1, err, errlen);
	if (e)
		return e;
	for (int i = 0; i < h->roots.n; i++) {
		if (!vu_strcmp(h->roots.path[i], "/")) {
			vu_fmt(err, errlen, "hide.paths: a path is \"/\" once its symlinks are resolved");
			return -EINVAL;
		}
		vu_debug("hide: %s", h->roots.path[i]);
	}
	h->cwd_hidden = getcwd(cwd, sizeof(cwd)) && vu_roots_match(&h->roots, cwd) >= 0;
	self->state = h;
	return 0;
}

static int hide_wants(struct vu_layer *self, long nr)
{
	(void)self;
#ifdef VU_NR_getdents
	if (nr == VU_NR_getdents)
		return 1;
#endif
	return nr == VU_NR_getdents64 || (vu_syscalls[nr].flags & VU_SC_PATH);
}

/* could p lead into a hidden path? (see the top of the file) */
static int maybe_hidden(const struct hide *h, const char *p, int dirfd)
{
	if (p[0] != '/' && dirfd == AT_FDCWD && h->cwd_hidden)
		return 1;
	while (*p) {
		const char *s;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		if (p > s && vu_roots_has_base(&h->roots, s, p - s))
			return 1;
	}
	return 0;
}

/* ---- strict: where a path really leads ---- */

/* is the object fd is open on inside a hidden path? */
static int fd_hidden(const struct hide *h, struct vu_call *c, long fd)
{
	unsigned long mark = c->scratch_used;
	char *real = vu_call_alloc(c, PATH_MAX);
	int hit = real && vu_fd_realpath((int)fd, real, PATH_MAX) >= 0 &&
		  vu_roots_match(&h->roots, real) >= 0;

	vu_call_release(c, mark);
	return hit;
}

/* does path (at dirfd) lead into a hidden path? The kernel resolves it
 * (O_PATH); a name that does not exist yet is judged by its folder. */
static int leads_in(const struct hide *h, struct vu_call *c, int dirfd, const char *path, int follow)
{
	long fd = vu_sys4(SYS_openat, dirfd, path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0);
	int hit;

	if (fd == -ENOENT) {
		unsigned long mark = c->scratch_used;
		char *dir = vu_call_alloc(c, PATH_MAX);
		size_t n = vu_strlen(path), k = n;

		while (k > 0 && path[k - 1] == '/')
			k--;
		while (k > 0 && path[k - 1] != '/')
			k--;
		if (dir && n < PATH_MAX) {
			vu_memcpy(dir, path, k);
			dir[k] = 0;
			fd = vu_sys4(SYS_openat, dirfd, k ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		}
		vu_call_release(c, mark);
	}
	if (fd < 0)
		return 0;	/* the kernel gives its own error */
	hit = fd_hidden(h, c, fd);
	vu_sys1(SYS_close, fd);
	return hit;
}

static int is_open(long nr)
{
	switch (nr) {
#ifdef VU_NR_open
	case VU_NR_open:
	case VU_NR_creat:
#endif
	case VU_NR_openat:
	case VU_NR_openat2:
		return 1;
	}
	return 0;
}

/* the open flags of an open-family call */
static long open_flags(const struct vu_call *c)
{
	switch (c->nr) {
#ifdef VU_NR_open
	case VU_NR_open: return c->args[1];
	case VU_NR_creat: return O_CREAT | O_WRONLY | O_TRUNC;
#endif
	case VU_NR_openat: return c->args[2];
	case VU_NR_openat2: {
		const struct open_how *how = (const struct open_how *)c->args[2];

		return how && (unsigned long)c->args[3] >= sizeof(*how) ? (long)how->flags : 0;
	}
	}
	return 0;
}

/* strict, before the call: a chdir, an exec, or a create that would go
 * through a symlink into a hidden path (after it would be too late) */
static int strict_before(const struct hide *h, struct vu_call *c)
{
	int at = 0, follow = 1;

	switch (c->nr) {
	case VU_NR_chdir:
	case VU_NR_execve:
		break;
	case VU_NR_execveat:
		if (!c->args[1] || !*(const char *)c->args[1])
			return 0;	/* an fd: opened (and checked) before */
		at = 1;
		follow = !(c->args[4] & AT_SYMLINK_NOFOLLOW);
		break;
	default:
		if (!is_open(c->nr) || !(open_flags(c) & (O_CREAT | __O_TMPFILE)))
			return 0;
		at = c->nr != VU_NR_openat && c->nr != VU_NR_openat2 ? 0 : 1;
		follow = !(open_flags(c) & (O_NOFOLLOW | O_EXCL));
		break;
	}
	const char *p = (const char *)c->args[at];

	return p && *p && leads_in(h, c, at ? (int)c->args[0] : AT_FDCWD, p, follow);
}

static int hide_maybe(const void *ctx, const char *p, int dirfd)
{
	return maybe_hidden(ctx, p, dirfd);
}

static enum vu_action hide_one(const void *ctx, struct vu_call *c, int i, const char *abs)
{
	const struct hide *h = ctx;

	if (vu_roots_match(&h->roots, abs) < 0)
		return VU_CONTINUE;
	vu_debug("hide %s: %s -> ENOENT", vu_syscalls[c->nr].name, (const char *)c->args[i]);
	c->ret = -ENOENT;
	return VU_DONE;
}

static enum vu_action hide_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct hide *h = self->state;

	if (vu_call_for_each_path(c, hide_maybe, hide_one, h) == VU_DONE)
		return VU_DONE;
	if (h->strict && strict_before(h, c)) {
		vu_debug("hide %s: %s leads into a hidden path -> ENOENT", vu_syscalls[c->nr].name,
			 c->nr == VU_NR_execveat || c->nr == VU_NR_openat || c->nr == VU_NR_openat2
			 ? (const char *)c->args[1] : (const char *)c->args[0]);
		c->ret = -ENOENT;
		return VU_DONE;
	}
	return VU_CONTINUE;
}

/* ---- directory listings ---- */

/* the two record layouts: linux_dirent64 and the old linux_dirent */
struct layout {
	size_t off_pos;		/* offset of d_off */
	size_t reclen_pos;	/* offset of d_reclen */
	size_t name_pos;	/* offset of d_name */
};

static const struct layout dirent64 = { 8, 16, 19 };
#ifdef VU_NR_getdents
static const struct layout dirent_old = { 8, 16, 18 };
#endif

static unsigned short reclen_at(const char *rec, const struct layout *l)
{
	unsigned short n;

	vu_memcpy(&n, rec + l->reclen_pos, sizeof(n));
	return n;
}

static int name_is_base(const struct hide *h, const char *name)
{
	return vu_roots_has_base(&h->roots, name, vu_strlen(name));
}

/* is folder/name hidden? folder is the real path of the listed folder */
static int entry_hidden(const struct hide *h, char *path, size_t dlen, const char *name)
{
	size_t nl = vu_strlen(name);

	if (dlen + 1 + nl + 1 > 2 * PATH_MAX)
		return 0;
	path[dlen] = '/';
	vu_memcpy(path + dlen + 1 - (dlen == 1), name, nl + 1);
	return vu_roots_match(&h->roots, path) >= 0;
}

/* cut the hidden entries out of buf (len bytes); returns the new length */
static long filter(const struct hide *h, struct vu_call *c, int fd, char *buf, long len,
		   const struct layout *l)
{
	char *dir = 0, *prev = 0;
	long in = 0, out = 0, dlen = 0;
	int any = 0;

	for (long o = 0, rl; o < len; o += rl) {
		rl = reclen_at(buf + o, l);
		if (rl == 0)
			return len;	/* not a kernel's buffer: leave it */
		if (name_is_base(h, buf + o + l->name_pos))
			any = 1;
	}
	if (!any)
		return len;
	dir = vu_call_alloc(c, 2 * PATH_MAX);
	if (!dir)
		return -ENOMEM;
	dlen = vu_fd_realpath(fd, dir, PATH_MAX);
	if (dlen < 0)
		return len;		/* not a folder with a path: nothing to hide */
	while (in < len) {
		unsigned short rl = reclen_at(buf + in, l);
		const char *name = buf + in + l->name_pos;

		if (name_is_base(h, name) && entry_hidden(h, dir, dlen, name)) {
			/* the entry before it now leads past it */
			if (prev)
				vu_memcpy(prev + l->off_pos, buf + in + l->off_pos, 8);
		} else {
			if (out != in)
				for (long k = 0; k < rl; k++)
					buf[out + k] = buf[in + k];
			prev = buf + out;
			out += rl;
		}
		in += rl;
	}
	return out;
}

static void hide_leave(struct vu_layer *self, struct vu_call *c)
{
	const struct hide *h = self->state;
	const struct layout *l = &dirent64;
	char *buf = (char *)c->args[1];
	unsigned long mark = c->scratch_used;
	long n = c->ret;

#ifdef VU_NR_getdents
	if (c->nr == VU_NR_getdents)
		l = &dirent_old;
	else
#endif
	if (c->nr != VU_NR_getdents64) {
		/* strict: what was opened, wherever the path led */
		if (h->strict && is_open(c->nr) && c->ret >= 0 && fd_hidden(h, c, c->ret)) {
			vu_debug("hide %s: opened a hidden file through a symlink -> ENOENT",
				 vu_syscalls[c->nr].name);
			vu_sys1(SYS_close, c->ret);
			c->ret = -ENOENT;
		}
		return;
	}
	/* an empty batch would read as the end: read on */
	while (n > 0) {
		n = filter(h, c, (int)c->args[0], buf, n, l);
		vu_call_release(c, mark);
		if (n != 0)
			break;
		n = vu_sys3(c->nr, c->args[0], buf, c->args[2]);
		if (n == 0)
			break;
	}
	c->ret = n;
}

const struct vu_layer_ops vu_layer_hide_ops = {
	.abi = VU_ABI_VERSION,
	.init = hide_init,
	.wants = hide_wants,
	.enter = hide_enter,
	.leave = hide_leave,
};
