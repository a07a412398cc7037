/*
 * glob.c -- glob and glob64 on vu's wrappers.
 *
 * glibc's glob opens, reads and stats directories with internal calls no
 * wrapper sees, so in "libc" mode a hidden, bound or remapped folder was
 * listed as the host has it. But glob has a door of its own:
 * GLOB_ALTDIRFUNC makes it use the caller's opendir, readdir, closedir,
 * stat and lstat. vu hands it its own exported ones (the dirent family is
 * vu's, runtime/libc/dirent.c), so every directory glob reads and every
 * name it stats goes through the layers, with glibc's matching, sorting,
 * flags and errors unchanged. A caller that passes GLOB_ALTDIRFUNC itself
 * gets its own functions, as natively; when no layer wants the calls,
 * glibc's glob runs as it is.
 */
#undef _FILE_OFFSET_BITS	/* glob and glob64 are two functions here */
#undef _TIME_BITS
#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>
#include "vu_core.h"
#include "vu_libc.h"

/* glob's GLOB_ALTDIRFUNC signatures, on vu's exported functions */
static void *g_opendir(const char *name)
{
	return opendir(name);
}

static struct dirent *g_readdir(void *d)
{
	return readdir(d);
}

static struct dirent64 *g_readdir64(void *d)
{
	return readdir64(d);
}

static void g_closedir(void *d)
{
	closedir(d);
}

static int g_stat(const char *p, struct stat *st)
{
	return stat(p, st);
}

static int g_lstat(const char *p, struct stat *st)
{
	return lstat(p, st);
}

static int g_stat64(const char *p, struct stat64 *st)
{
	return stat64(p, st);
}

static int g_lstat64(const char *p, struct stat64 *st)
{
	return lstat64(p, st);
}

/* the calls glibc's glob (fn) can make: does a layer want any?
 * (vu_fncalls.h; asking for openat first starts vu in a constructor) */
static int glob_wanted(unsigned fn)
{
	return vu_wants(VU_NR_openat) || vu_fn_loud(fn, -1, 0);
}

VU_EXPORT int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *pglob)
{
	int r;

	if ((flags & GLOB_ALTDIRFUNC) || !glob_wanted(VU_FN_glob)) {
		unsigned char s;

		if (!vu_real_glob)
			return GLOB_NOSPACE;
		s = vu_allow();
		r = vu_real_glob(pattern, flags, errfunc, pglob);
		vu_restore(s);
		return r;
	}
	if (!vu_real_glob)
		return GLOB_NOSPACE;
	pglob->gl_opendir = g_opendir;
	pglob->gl_readdir = g_readdir;
	pglob->gl_closedir = g_closedir;
	pglob->gl_stat = g_stat;
	pglob->gl_lstat = g_lstat;
	r = vu_real_glob(pattern, flags | GLOB_ALTDIRFUNC, errfunc, pglob);
	pglob->gl_flags &= ~GLOB_ALTDIRFUNC;	/* as the caller asked */
	return r;
}

VU_EXPORT int glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), glob64_t *pglob)
{
	int r;

	if ((flags & GLOB_ALTDIRFUNC) || !glob_wanted(VU_FN_glob64)) {
		unsigned char s;

		if (!vu_real_glob64)
			return GLOB_NOSPACE;
		s = vu_allow();
		r = vu_real_glob64(pattern, flags, errfunc, pglob);
		vu_restore(s);
		return r;
	}
	if (!vu_real_glob64)
		return GLOB_NOSPACE;
	pglob->gl_opendir = g_opendir;
	pglob->gl_readdir = g_readdir64;
	pglob->gl_closedir = g_closedir;
	pglob->gl_stat = g_stat64;
	pglob->gl_lstat = g_lstat64;
	r = vu_real_glob64(pattern, flags | GLOB_ALTDIRFUNC, errfunc, pglob);
	pglob->gl_flags &= ~GLOB_ALTDIRFUNC;
	return r;
}
