/*
 * realpath.c -- realpath, canonicalize_file_name and isatty on the fast
 * path.
 *
 * glibc's realpath walks the path itself with a readlink per component,
 * made inside libc: unseen by layers in "libc" mode. There the kernel
 * resolves the path: open(O_PATH) and readlink("/proc/self/fd/N"), both
 * through vu's own wrappers, so layers map the path in (bind, overlay,
 * hide) and the answer out. Without /proc, glibc's own realpath is used.
 * In "all" mode glibc's realpath runs as it is: its calls go through
 * glibc's image (rewritten sites: a function call each) to the stack, the
 * calls a native run makes.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

VU_EXPORT char *realpath(const char *path, char *resolved)
{
	char link[40], buf[PATH_MAX];
	int fd, saved = errno;
	ssize_t n;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	if (!*path) {
		errno = ENOENT;
		return NULL;
	}
	/* "all" mode: glibc's own, with the selector as it is -- its readlink
	 * per component and its getcwd reach the stack through glibc's image
	 * (a function call each) or the trap: the layers and a trace see the
	 * calls strace sees natively (issue 15). "libc" mode cannot see them:
	 * the kernel resolves the path below. */
	if (vu.mode == VU_MODE_ALL && !vu_foreign && vu_real_realpath && vu_init_state == VU_INIT_DONE)
		return vu_real_realpath(path, resolved);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	vu_format(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] != '/') {
		/* no /proc (or an odd answer): glibc does it the long way */
		errno = saved;
		return vu_real_realpath ? vu_real_realpath(path, resolved) : NULL;
	}
	buf[n] = 0;
	errno = saved;
	if (resolved)
		return memcpy(resolved, buf, n + 1);
	return strdup(buf);
}

VU_EXPORT char *canonicalize_file_name(const char *path)
{
	return realpath(path, NULL);
}

VU_EXPORT int isatty(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0;
}

/* __realpath_chk -- what realpath() becomes in a program built with
 * _FORTIFY_SOURCE (gcc's driver, Debian's coreutils): the same, after
 * glibc's check of the buffer size. */
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
VU_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	if (resolved && resolvedlen < PATH_MAX && vu_real___realpath_chk)
		return vu_real___realpath_chk(path, resolved, resolvedlen);	/* glibc aborts */
	return realpath(path, resolved);
}

/* vu_host_realpath -- glibc's realpath, for start-up code (layer init,
 * which sees the host's paths): vu's own realpath goes through the layers
 * and needs /proc, and when libvu is dlopen'ed (`vu check`) an unversioned
 * "realpath" would bind to glibc's old realpath@GLIBC_2.2.5, which refuses
 * a NULL buffer. */
char *vu_host_realpath(const char *path, char *resolved)
{
	static vu_realpath_fn *glibc;
	vu_realpath_fn *fn = vu_real_realpath;

	if (!fn && !glibc) {
		/* preloaded: the next definition after libvu; dlopen'ed: the
		 * global scope, which libvu is not in */
		glibc = (vu_realpath_fn *)dlvsym(RTLD_NEXT, "realpath", "GLIBC_2.3");
		if (!glibc)
			glibc = (vu_realpath_fn *)dlvsym(RTLD_DEFAULT, "realpath", "GLIBC_2.3");
	}
	if (!fn)
		fn = glibc;
	if (!fn) {
		errno = ENOSYS;
		return NULL;
	}
	return fn(path, resolved);
}
