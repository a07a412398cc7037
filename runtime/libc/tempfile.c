/*
 * tempfile.c -- glibc's temporary files on vu's own wrappers: the mkstemp
 * family (mkstemp, mkostemp, mkstemps, mkostemps and their 64 aliases) and
 * tmpfile on openat, mkdtemp on mkdir, and mktemp, tempnam, tmpnam and
 * tmpnam_r on lstat (stat for the directory).
 *
 * glibc makes these calls inside libc (no PLT): in "libc" mode no layer
 * saw them, so a mkstemp under a bind target made its file at the host
 * path (and git, which writes its objects and index with mkstemp, could not
 * commit in a bound tree); in "all" mode each trapped. Here glibc 2.36's
 * own steps (sysdeps/posix/tempname.c, stdio-common/tmpfile.c,
 * sysdeps/unix/sysv/linux/gentempfd.c) run on vu's wrappers:
 * - the template: at least six 'X' before the suffix, or EINVAL (the
 *   template is left as it was);
 * - the letters: [a-zA-Z0-9], ten base-62 digits from each 64-bit random
 *   value; the value comes from getrandom(GRND_NONBLOCK), except on the
 *   first draw for a file or directory (glibc spares the entropy there),
 *   else from an LCG on the monotonic clock, as glibc does;
 * - up to 62**3 names, retrying only on EEXIST; then EEXIST;
 * - a file is open(O_RDWR|O_CREAT|O_EXCL | the caller's flags but its
 *   access mode, 0600), a directory mkdir(0700), a name only an lstat
 *   that must fail with ENOENT; errno is put back on success;
 * - tmpfile: open("/tmp", O_RDWR|O_TMPFILE|O_EXCL, 0600), else a named
 *   /tmp/tmpfXXXXXX that is unlinked at once; glibc's fdopen(fd, "w+b")
 *   makes the stream with the selector open (as fopen in stdio.c).
 */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

enum kind { GT_FILE, GT_DIR, GT_NOCREATE };

typedef uint_fast64_t random_value;
#define RANDOM_VALUE_MAX UINT_FAST64_MAX
#define BASE_62_DIGITS 10	/* 62**10 < UINT_FAST64_MAX */
#define BASE_62_POWER (62LL * 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62)
#define ATTEMPTS (62 * 62 * 62)	/* glibc: max(62**3, TMP_MAX) */

static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static random_value random_bits(random_value var, bool use_getrandom)
{
	random_value r;
	struct timespec tv;

	if (use_getrandom && getrandom(&r, sizeof r, GRND_NONBLOCK) == sizeof r)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &tv);
	var ^= tv.tv_nsec;
	return 2862933555777941757 * var + 3037000493;
}

static int try_once(char *tmpl, enum kind kind, int flags)
{
	struct stat st;

	switch (kind) {
	case GT_FILE:
		return open(tmpl, (flags & ~O_ACCMODE) | O_RDWR | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
	case GT_DIR:
		return mkdir(tmpl, S_IRUSR | S_IWUSR | S_IXUSR);
	default:
		if (lstat(tmpl, &st) == 0 || errno == EOVERFLOW)
			errno = EEXIST;
		return errno == ENOENT ? 0 : -1;
	}
}

/* gen_tempname -- glibc's __gen_tempname: the descriptor (GT_FILE) or 0,
 * or -1 with errno */
static int gen_tempname(char *tmpl, int suffixlen, int flags, enum kind kind)
{
	const size_t x_suffix_len = 6;
	const random_value unfair_min = RANDOM_VALUE_MAX - RANDOM_VALUE_MAX % BASE_62_POWER;
	bool use_getrandom = kind == GT_NOCREATE;
	int save_errno = errno, vdigits = 0, fd;
	random_value v = 0;
	size_t len = strlen(tmpl);
	char *xs;

	if (len < x_suffix_len + suffixlen ||
	    strspn(&tmpl[len - x_suffix_len - suffixlen], "X") < x_suffix_len) {
		errno = EINVAL;
		return -1;
	}
	xs = &tmpl[len - x_suffix_len - suffixlen];
	for (unsigned count = 0; count < ATTEMPTS; count++) {
		for (size_t i = 0; i < x_suffix_len; i++) {
			if (vdigits == 0) {
				do {
					v = random_bits(v, use_getrandom);
					use_getrandom = true;
				} while (unfair_min <= v);
				vdigits = BASE_62_DIGITS;
			}
			xs[i] = letters[v % 62];
			v /= 62;
			vdigits--;
		}
		fd = try_once(tmpl, kind, flags);
		if (fd >= 0) {
			errno = save_errno;
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

static int direxists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* path_search -- glibc's __path_search: "DIR/PFXXXXXXX" into tmpl */
static int path_search(char *tmpl, size_t tmpl_len, const char *dir, const char *pfx, int try_tmpdir)
{
	const char *d;
	size_t dlen, plen;

	if (!pfx || !pfx[0]) {
		pfx = "file";
		plen = 4;
	} else {
		plen = strlen(pfx);
		if (plen > 5)
			plen = 5;
	}
	if (try_tmpdir) {
		d = secure_getenv("TMPDIR");
		if (d && direxists(d))
			dir = d;
		else if (dir && direxists(dir))
			;
		else
			dir = NULL;
	}
	if (!dir) {
		if (direxists(P_tmpdir))
			dir = P_tmpdir;
		else if (strcmp(P_tmpdir, "/tmp") != 0 && direxists("/tmp"))
			dir = "/tmp";
		else {
			errno = ENOENT;
			return -1;
		}
	}
	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (tmpl_len < dlen + 1 + plen + 6 + 1) {
		errno = EINVAL;
		return -1;
	}
	memcpy(tmpl, dir, dlen);
	tmpl[dlen] = '/';
	memcpy(tmpl + dlen + 1, pfx, plen);
	memcpy(tmpl + dlen + 1 + plen, "XXXXXX", 7);
	return 0;
}

VU_EXPORT int mkstemp(char *tmpl)
{
	return gen_tempname(tmpl, 0, 0, GT_FILE);
}

VU_EXPORT int mkstemp64(char *tmpl)
{
	return gen_tempname(tmpl, 0, O_LARGEFILE, GT_FILE);
}

VU_EXPORT int mkostemp(char *tmpl, int flags)
{
	return gen_tempname(tmpl, 0, flags, GT_FILE);
}

VU_EXPORT int mkostemp64(char *tmpl, int flags)
{
	return gen_tempname(tmpl, 0, flags | O_LARGEFILE, GT_FILE);
}

VU_EXPORT int mkostemps(char *tmpl, int suffixlen, int flags)
{
	if (suffixlen < 0) {
		errno = EINVAL;
		return -1;
	}
	return gen_tempname(tmpl, suffixlen, flags, GT_FILE);
}

VU_EXPORT int mkostemps64(char *tmpl, int suffixlen, int flags)
{
	return mkostemps(tmpl, suffixlen, flags | O_LARGEFILE);
}

VU_EXPORT int mkstemps(char *tmpl, int suffixlen)
{
	return mkostemps(tmpl, suffixlen, 0);
}

VU_EXPORT int mkstemps64(char *tmpl, int suffixlen)
{
	return mkostemps(tmpl, suffixlen, O_LARGEFILE);
}

VU_EXPORT char *mkdtemp(char *tmpl)
{
	return gen_tempname(tmpl, 0, 0, GT_DIR) ? NULL : tmpl;
}

VU_EXPORT char *mktemp(char *tmpl)
{
	if (gen_tempname(tmpl, 0, 0, GT_NOCREATE) < 0)
		tmpl[0] = '\0';
	return tmpl;
}

VU_EXPORT char *tempnam(const char *dir, const char *pfx)
{
	char buf[FILENAME_MAX];

	if (path_search(buf, FILENAME_MAX, dir, pfx, 1))
		return NULL;
	if (gen_tempname(buf, 0, 0, GT_NOCREATE))
		return NULL;
	return strdup(buf);
}

VU_EXPORT char *tmpnam_r(char *s)
{
	if (!s)
		return NULL;
	if (path_search(s, L_tmpnam, NULL, NULL, 0))
		return NULL;
	if (gen_tempname(s, 0, 0, GT_NOCREATE))
		return NULL;
	return s;
}

VU_EXPORT char *tmpnam(char *s)
{
	static char tmpnam_buffer[L_tmpnam];
	char mem[L_tmpnam];
	char *buf = s ? s : mem;

	if (path_search(buf, L_tmpnam, NULL, NULL, 0))
		return NULL;
	if (gen_tempname(buf, 0, 0, GT_NOCREATE))
		return NULL;
	if (!s)
		return memcpy(tmpnam_buffer, buf, L_tmpnam);
	return s;
}

static FILE *vu_tmpfile(int flags)
{
	char buf[FILENAME_MAX];
	int fd;
	/* glibc's __gen_tempfd: an unnamed file in P_tmpdir ("/tmp") */
	fd = open(P_tmpdir, O_RDWR | O_TMPFILE | O_EXCL | flags, S_IRUSR | S_IWUSR);
	if (fd < 0 && errno == ENOENT && strcmp(P_tmpdir, "/tmp") != 0)
		fd = open("/tmp", O_RDWR | O_TMPFILE | O_EXCL | flags, S_IRUSR | S_IWUSR);
	if (fd < 0) {
		if (path_search(buf, FILENAME_MAX, NULL, "tmpf", 0))
			return NULL;
		fd = gen_tempname(buf, 0, flags, GT_FILE);
		if (fd < 0)
			return NULL;
		/* the file lives on until it is closed */
		(void)unlink(buf);
	}
	return vu_stream_of(fd, "w+b");
}

VU_EXPORT FILE *tmpfile(void)
{
	return vu_tmpfile(0);
}

VU_EXPORT FILE *tmpfile64(void)
{
	return vu_tmpfile(O_LARGEFILE);
}
