/*
 * stdio.c -- fopen and fopen64 open through the dispatcher.
 *
 * glibc's fopen makes its openat internally: in "all" mode that trapped
 * once per fopen (ld, as, nss_files...), and in "libc" mode no layer saw
 * it at all, so a remapped, hidden or read-only path was reachable through
 * fopen. Here the mode is read as glibc reads it (first 'r', 'w' or 'a',
 * then up to six of '+', 'x', 'e', 'b', 'm', 'c'), the file is opened with
 * vu's own openat (so the layers decide), and glibc's fdopen makes the
 * FILE around it with vu's selector open, so its fcntl(F_GETFL) does not
 * trap and is not shown by trace (glibc's fopen makes none). For "a",
 * fopen puts the stream at the end, as glibc's does (ftell tells the
 * size); fdopen would leave it at 0.
 *
 * ",ccs=" (a wide stream with a character set) goes to glibc's own fopen
 * as it is: its open traps in "all" mode and is not seen in "libc" mode.
 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

typedef FILE *vu_fdopen_fn(int, const char *);
static vu_fdopen_fn *real_fdopen;

/* the open flags of mode, or -1 (EINVAL) */
static int mode_flags(const char *mode)
{
	int acc, flags;

	switch (mode[0]) {
	case 'r':
		acc = O_RDONLY;
		flags = 0;
		break;
	case 'w':
		acc = O_WRONLY;
		flags = O_CREAT | O_TRUNC;
		break;
	case 'a':
		acc = O_WRONLY;
		flags = O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (int i = 1; i < 7 && mode[i]; i++) {
		switch (mode[i]) {
		case '+':
			acc = O_RDWR;
			continue;
		case 'x':
			flags |= O_EXCL;
			continue;
		case 'e':
			flags |= O_CLOEXEC;
			continue;
		default:	/* b, m, c, t, and what glibc ignores */
			continue;
		}
	}
	return acc | flags;
}

/* glibc's function name: resolved at start-up, or here when another
 * library's constructor calls fopen before vu's has run */
static void *real(void *resolved, const char *name)
{
	return resolved ? resolved : dlsym(RTLD_NEXT, name);
}

static FILE *vu_fopen(const char *path, const char *mode, void *resolved, const char *name)
{
	FILE *(*glibc)(const char *, const char *) = real(resolved, name);
	vu_fdopen_fn *fdo = __atomic_load_n(&real_fdopen, __ATOMIC_RELAXED);
	int flags, fd, e;
	unsigned char s;
	FILE *f;

	if (!glibc)
		return NULL;
	if (!fdo) {
		fdo = (vu_fdopen_fn *)dlsym(RTLD_NEXT, "fdopen");
		__atomic_store_n(&real_fdopen, fdo, __ATOMIC_RELAXED);
	}
	if (!fdo || !resolved || strstr(mode, ",ccs="))
		return glibc(path, mode);	/* vu not set up yet, or a wide stream: SUD's */
	if (!vu_wants(VU_NR_openat)) {
		s = vu_allow();			/* no layer looks at opens */
		f = glibc(path, mode);
		vu_restore(s);
		return f;
	}
	flags = mode_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = openat(AT_FDCWD, path, flags, 0666);
	if (fd < 0)
		return NULL;
	if (mode[0] == 'a' && (flags & O_ACCMODE) == O_WRONLY && lseek(fd, 0, SEEK_END) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	s = vu_allow();
	f = fdo(fd, mode);
	vu_restore(s);
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

VU_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return vu_fopen(path, mode, (void *)vu_real_fopen, "fopen");
}

VU_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return vu_fopen(path, mode, (void *)vu_real_fopen64, "fopen64");
}
