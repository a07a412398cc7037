/*
 * path.c -- lexical path work for layers: absolute paths against a dirfd or
 * the cwd, "." and ".." and "//" removed. Signal-safe (gate syscalls only).
 *
 * Lexical ".." is not what the kernel does when a component is a symlink;
 * layers that match exact paths (remap) accept that, and say so.
 */
#include <fcntl.h>
#include <sys/syscall.h>
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
		if (n < 0)
			return n;
		n = vu_strlen(tmp);
	} else {
		char link[40];

		vu_fmt(link, sizeof(link), "/proc/self/fd/%d", dirfd);
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
