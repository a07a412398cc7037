/*
 * path.c -- lexical path work for layers: absolute paths against a dirfd or
 * the cwd, "." and ".." and "//" removed. Signal-safe (gate syscalls only).
 *
 * Lexical ".." is not what the kernel does when a component is a symlink;
 * layers that match exact paths (remap) accept that, and say so.
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <limits.h>
#include "vu_core.h"

/* vu_path_normalize -- in must be absolute. Returns the length or -errno. */
long vu_path_normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;
	const char *p = in;

	if (in[0] != '/' || len < 2)
		return -EINVAL;
	out[o++] = '/';
	while (*p) {
		const char *start;
		size_t n;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		n = p - start;
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			if (o > 1) {
				o--;			/* drop the trailing '/' */
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		if (o + n + 2 > len)
			return -ENAMETOOLONG;
		vu_memcpy(out + o, start, n);
		o += n;
		out[o++] = '/';
	}
	if (o > 1)
		o--;				/* no trailing '/' */
	out[o] = 0;
	return o;
}

long vu_path_abs(int dirfd, const char *path, char *out, size_t len)
{
	char *tmp;
	long n;

	if (path[0] == '/')
		return vu_path_normalize(path, out, len);
	/* the base goes to the second half of out, the joined path is
	 * normalized into the first half */
	if (len < 8)
		return -ENAMETOOLONG;
	tmp = out + len / 2;
	if (dirfd == AT_FDCWD) {
		n = vu_sys2(SYS_getcwd, tmp, len / 2);
		if (n == -EPERM || n == -EACCES || n == -ENOSYS) {
			/* the program's seccomp filter refuses getcwd: the
			 * kernel's link of the cwd says the same */
			n = vu_sys4(SYS_readlinkat, AT_FDCWD, "/proc/self/cwd", tmp, len / 2 - 1);
			if (n >= 0) {
				tmp[n] = 0;
				if (tmp[0] != '/')
					return -ENOENT;
			}
		}
		if (n < 0)
			return n;
		n = vu_strlen(tmp);
	} else {
		char link[40];

		vu_format(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		n = vu_sys4(SYS_readlinkat, AT_FDCWD, link, tmp, len / 2 - 1);
		if (n < 0)
			return n == -ENOENT ? -EBADF : n;
		tmp[n] = 0;
		if (tmp[0] != '/')
			return -ENOTDIR;
	}
	if (n + 1 + vu_strlen(path) + 1 > len / 2)
		return -ENAMETOOLONG;
	tmp[n] = '/';
	vu_stpcpy(tmp + n + 1, path);
	return vu_path_normalize(tmp, out, len / 2);
}

/* the decoded path of c whose argument is i, or NULL */
static const struct vu_op_path *op_path(const struct vu_call *c, int i)
{
	for (int k = 0; c->op && k < c->op->npaths; k++)
		if (c->op->path[k].arg == i)
			return &c->op->path[k];
	return 0;
}

/* vu_call_dirfd -- the dirfd that goes with path argument i of c (from
 * the table's "does"), else AT_FDCWD. */
int vu_call_dirfd(const struct vu_call *c, int i)
{
	const struct vu_op_path *p = op_path(c, i);
	const struct vu_syscall_info *si = &vu_syscalls[c->nr];

	if (p)
		return p->dirfd_arg >= 0 ? (int)c->args[p->dirfd_arg] : AT_FDCWD;
	if (i > 0 && si->args[i - 1].kind == VU_ARG_DIRFD)
		return (int)c->args[i - 1];
	return AT_FDCWD;
}

/* vu_call_abspath -- path argument i of c, absolute and normalized, into out.
 * Returns the length, or -errno (-ENOENT for NULL or "" paths, -EINVAL for
 * a call or an argument index vu does not know). */
long vu_call_abspath(const struct vu_call *c, int i, char *out, size_t len)
{
	const char *p;

	if (c->nr < 0 || c->nr >= VU_NR_COUNT || i < 0 || i >= 6)
		return -EINVAL;
	p = (const char *)c->args[i];
	if (!p || !*p)
		return -ENOENT;
	if (c->op && (c->op->resolve & RESOLVE_IN_ROOT) && p[0] == '/') {
		/* openat2 RESOLVE_IN_ROOT: "/" is the dirfd, and ".." stops
		 * there: normalize the path as if the dirfd were "/", then
		 * put it below the dirfd */
		long n = vu_path_normalize(p, out, len / 2), b;

		if (n < 0)
			return n;
		b = vu_path_abs(vu_call_dirfd(c, i), ".", out + len / 2, len / 2);
		if (b < 0)
			return b;
		if ((size_t)(b + n + 1) > len / 2)
			return -ENAMETOOLONG;
		vu_memcpy(out + len / 2 + b, n > 1 ? out : "", n > 1 ? n + 1 : 1);
		return vu_path_normalize(out + len / 2, out, len / 2);
	}
	return vu_path_abs(vu_call_dirfd(c, i), p, out, len);
}

/* vu_path_prefix -- is path equal to prefix or below it (at a component
 * boundary)? Both absolute and normalized. Returns the length of prefix
 * that matched (so path + n is the rest, "" or "/..."), or -1. */
long vu_path_prefix(const char *path, const char *prefix)
{
	size_t n = vu_strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return 0;
	if (vu_strncmp(path, prefix, n))
		return -1;
	return path[n] == 0 || path[n] == '/' ? (long)n : -1;
}

enum vu_action vu_call_for_each_path(struct vu_call *c,
				     int (*maybe)(const void *ctx, const char *path, int dirfd),
				     enum vu_action (*fn)(const void *ctx, struct vu_call *c, int i,
							  const char *abs),
				     const void *ctx)
{
	const struct vu_syscall_info *si = &vu_syscalls[c->nr];

	for (int i = 0; i < si->nargs; i++) {
		const char *p = (const char *)c->args[i];
		unsigned long mark = c->scratch_used;
		enum vu_action a;
		char *abs;

		const struct vu_op_path *op = op_path(c, i);

		if (si->args[i].kind != VU_ARG_PATH || !p || !*p || (op && op->role == VU_ROLE_CONTENT) ||
		    !maybe(ctx, p, vu_call_dirfd(c, i)))
			continue;
		abs = vu_call_alloc(c, 2 * PATH_MAX);
		if (!abs) {
			c->ret = -ENOMEM;
			return VU_DONE;
		}
		a = vu_call_abspath(c, i, abs, 2 * PATH_MAX) < 0 ? VU_CONTINUE : fn(ctx, c, i, abs);
		vu_call_release(c, mark);
		if (a == VU_DONE)
			return VU_DONE;
	}
	return VU_CONTINUE;
}
