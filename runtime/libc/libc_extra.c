/*
 * libc_extra.c -- hand-written libc wrappers for entry points whose shape
 * is not that of their system call (syscalls.json marks them "custom").
 *
 * glibc implements them with internal calls that no PLT wrapper sees:
 * gethostname and getdomainname call __uname (only SUD would catch it, so
 * "libc" mode would miss it), timespec_get calls __clock_gettime, which is
 * the vDSO (no mode would see it). Each is rebuilt here on top of vu's own
 * exported uname / clock_gettime wrappers, so the layers see the one system
 * call they know, on the fast path, with glibc's results and errors.
 */
#include <sys/utsname.h>
#include <time.h>
#include "vu_core.h"
#include "vu_libc.h"

/* gethostname -- glibc's: the nodename, ENAMETOOLONG (after copying len
 * bytes) when it does not fit with its NUL. */
VU_EXPORT int gethostname(char *name, size_t len)
{
	struct utsname u;
	size_t n;

	if (!vu_wants(VU_NR_uname) && vu_real_gethostname) {
		unsigned char s = vu_allow();
		int r = vu_real_gethostname(name, len);

		vu_restore(s);
		return r;
	}
	if (uname(&u))
		return -1;
	n = vu_strlen(u.nodename) + 1;
	vu_memcpy(name, u.nodename, n < len ? n : len);
	if (n > len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* getdomainname -- glibc's (Linux): the domainname, silently cut to len. */
VU_EXPORT int getdomainname(char *name, size_t len)
{
	struct utsname u;
	size_t n;

	if (!vu_wants(VU_NR_uname) && vu_real_getdomainname) {
		unsigned char s = vu_allow();
		int r = vu_real_getdomainname(name, len);

		vu_restore(s);
		return r;
	}
	if (uname(&u))
		return -1;
	n = vu_strlen(u.domainname) + 1;
	vu_memcpy(name, u.domainname, n < len ? n : len);
	return 0;
}

/* timespec_get -- C11: TIME_UTC is clock_gettime(CLOCK_REALTIME); other
 * bases (newer glibc) go to glibc as they are. */
VU_EXPORT int timespec_get(struct timespec *ts, int base)
{
	if (base == TIME_UTC && vu_wants(VU_NR_clock_gettime))
		return clock_gettime(CLOCK_REALTIME, ts) ? 0 : base;
	if (vu_real_timespec_get) {
		unsigned char s = vu_allow();
		int r = vu_real_timespec_get(ts, base);

		vu_restore(s);
		return r;
	}
	return 0;
}
