/*
 * utime.c -- glibc's utime, utimes, lutimes, futimes and futimesat, on
 * vu's own utimensat wrapper.
 *
 * glibc converts the times and calls utimensat inside libc (no PLT), so
 * in "libc" mode no layer saw these calls (a read-only or hidden tree's
 * times changed through them), and in "all" mode each trapped. The kernel
 * sees utimensat, and so do the layers: the conversion is glibc's (a NULL
 * time is "now"; a microsecond field outside 0..999999 is EINVAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/time.h>
#include <utime.h>
#include "vu_core.h"
#include "vu_libc.h"

/* tv (two timevals, or NULL) as two timespecs into ts; 0, or -1 with
 * errno EINVAL. *out is ts, or NULL for "now". */
static int to_timespec(const struct timeval *tv, struct timespec ts[2],
		       const struct timespec **out)
{
	*out = 0;
	if (!tv)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) {
			errno = EINVAL;
			return -1;
		}
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	*out = ts;
	return 0;
}

#pragma GCC diagnostic ignored "-Wnonnull"

/* utimes_at -- dirfd/path (path NULL: dirfd itself) with timevals */
static int utimes_at(int dirfd, const char *path, const struct timeval *tv, int flags)
{
	struct timespec ts[2];
	const struct timespec *t;

	if (to_timespec(tv, ts, &t))
		return -1;
	return utimensat(dirfd, path, t, flags);
}

VU_EXPORT int utime(const char *path, const struct utimbuf *buf)
{
	struct timespec ts[2];

	if (!buf)
		return utimensat(AT_FDCWD, path, 0, 0);
	ts[0].tv_sec = buf->actime;
	ts[1].tv_sec = buf->modtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, path, ts, 0);
}

VU_EXPORT int utimes(const char *path, const struct timeval tv[2])
{
	return utimes_at(AT_FDCWD, path, tv, 0);
}

VU_EXPORT int lutimes(const char *path, const struct timeval tv[2])
{
	return utimes_at(AT_FDCWD, path, tv, AT_SYMLINK_NOFOLLOW);
}

VU_EXPORT int futimes(int fd, const struct timeval tv[2])
{
	return utimes_at(fd, 0, tv, 0);
}

/* futimesat -- glibc: a NULL path is the descriptor itself. glibc's
 * header marks utimensat's path nonnull; the kernel (and glibc's own
 * futimens) pass NULL for "the descriptor itself". */
VU_EXPORT int futimesat(int dirfd, const char *path, const struct timeval tv[2])
{
	return utimes_at(dirfd, path, tv, 0);
}
