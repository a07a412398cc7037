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
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

/* gethostname -- glibc's: the nodename, ENAMETOOLONG (after copying len
 * bytes) when it does not fit with its NUL. */
VU_EXPORT int gethostname(char *name, size_t len)
{
	struct utsname u;
	size_t n;

	if (!vu_wants(VU_NR_uname) && vu_real_gethostname) {
		unsigned char s = vu_allow_for(VU_FN_gethostname, VU_NR_uname);
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
		unsigned char s = vu_allow_for(VU_FN_getdomainname, VU_NR_uname);
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
		unsigned char s = vu_allow_for(VU_FN_timespec_get, -1);
		int r = vu_real_timespec_get(ts, base);

		vu_restore(s);
		return r;
	}
	return 0;
}

/*
 * Functions glibc builds on a system call it makes inside libc (found by
 * tools/libc-audit.ts): rebuilt on vu's exported wrappers of that call, so
 * that "libc" mode sees it; when no layer wants the call, glibc's own runs
 * with the selector open.
 */
/* remove -- glibc 2.36's: unlink, and for a directory (EISDIR) rmdir */
VU_EXPORT int remove(const char *path)
{
	if (!vu_wants(VU_NR_unlink) && !vu_fn_loud(VU_FN_remove, VU_NR_unlink, 0) && vu_real_remove) {
		unsigned char s = vu_allow();
		int r = vu_real_remove(path);

		vu_restore(s);
		return r;
	}
	if (unlink(path) == 0)
		return 0;
	if (errno != EISDIR)
		return -1;
	return rmdir(path);
}

/* mkfifoat, mkfifo -- mknodat with S_IFIFO */
VU_EXPORT int mkfifoat(int dfd, const char *path, mode_t mode)
{
	if (!vu_wants(VU_NR_mknodat) && vu_real_mkfifoat) {
		unsigned char s = vu_allow_for(VU_FN_mkfifoat, VU_NR_mknodat);
		int r = vu_real_mkfifoat(dfd, path, mode);

		vu_restore(s);
		return r;
	}
	return mknodat(dfd, path, (mode & ~(mode_t)S_IFMT) | S_IFIFO, 0);
}

VU_EXPORT int mkfifo(const char *path, mode_t mode)
{
	return mkfifoat(AT_FDCWD, path, mode);
}

/* lchmod -- fchmodat(AT_SYMLINK_NOFOLLOW) (vu's, fchmodat.c) */
VU_EXPORT int lchmod(const char *path, mode_t mode)
{
	return fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW);
}

/* euidaccess, eaccess -- glibc 2.36's (its calls, in its order, on vu's
 * wrappers): stat; F_OK answered from it; then the ids, and with real and
 * effective ids the same, access(); else the permission bits */
VU_EXPORT int euidaccess(const char *path, int mode)
{
	uid_t euid;
	gid_t egid;
	struct stat st;
	unsigned granted, m;

	if (!vu_wants(VU_NR_access) && !vu_fn_loud(VU_FN_euidaccess, VU_NR_access, 0) && vu_real_euidaccess) {
		unsigned char s = vu_allow();
		int r = vu_real_euidaccess(path, mode);

		vu_restore(s);
		return r;
	}
	if (stat(path, &st))
		return -1;
	m = (unsigned)mode & (X_OK | W_OK | R_OK);
	if (!m)
		return 0;
	euid = geteuid();
	egid = getegid();
	if (getuid() == euid && getgid() == egid)
		return access(path, mode);
	/* root reads and writes anything, and executes what anyone may */
	if (euid == 0 && (!(m & X_OK) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))))
		return 0;
	if (euid == st.st_uid)
		granted = (st.st_mode & (m << 6)) >> 6;
	else if (egid == st.st_gid || group_member(st.st_gid))
		granted = (st.st_mode & (m << 3)) >> 3;
	else
		granted = st.st_mode & m;
	if (granted == m)
		return 0;
	errno = EACCES;
	return -1;
}

VU_EXPORT int eaccess(const char *path, int mode)
{
	return euidaccess(path, mode);
}
