/*
 * dirent.c -- the dirent family on vu's own DIR.
 *
 * glibc's opendir/readdir make their openat and getdents64 internally,
 * which in "all" mode traps once per directory batch (find, ls -R, git
 * status, python's os.listdir...), and in "libc" mode is not seen at all, so
 * layers that filter listings (hide, overlay) would miss them. vu owns
 * every function that takes or returns a DIR *, so glibc's DIR never meets
 * vu's: the opens, reads and seeks go through vu's own wrappers and the
 * dispatcher. Not the hook path: malloc is fine here, as in glibc.
 */
/* the names below are the symbols: no LFS renaming (node-gyp sets it) */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "vu_core.h"

#define VU_DIR_MAGIC 0x76754449u	/* "vuDI" */
#define VU_DIR_BUF 32768

struct __dirstream {
	unsigned magic;
	int fd;
	size_t pos, len;
	long filepos;		/* d_off of the entry last returned: telldir */
	int eof;
	char buf[VU_DIR_BUF] __attribute__((aligned(16)));
};

static DIR *dir_new(int fd)
{
	DIR *d = malloc(sizeof(*d));

	if (!d)
		return NULL;
	d->magic = VU_DIR_MAGIC;
	d->fd = fd;
	d->pos = d->len = 0;
	d->filepos = 0;
	d->eof = 0;
	return d;
}

static long getdents(DIR *d)
{
	struct vu_call c = VU_CALL(SYS_getdents64, d->fd, (long)d->buf, VU_DIR_BUF);

	return vu_libc_call(&c, NULL);
}

/* opendir -- glibc 2.36's calls: the open, then fstat (its opendir_tail
 * checks S_ISDIR and sizes its buffer from it) */
VU_EXPORT DIR *opendir(const char *name)
{
	int fd = openat(AT_FDCWD, name, O_RDONLY | O_NDELAY | O_DIRECTORY | O_CLOEXEC), r;
	struct stat st;
	DIR *d;

	if (fd < 0)
		return NULL;
	r = fstat(fd, &st);
	if (r || !S_ISDIR(st.st_mode)) {
		int e = r ? errno : ENOTDIR;	/* (O_DIRECTORY: only a layer could hand back a file) */

		close(fd);
		errno = e;
		return NULL;
	}
	d = dir_new(fd);
	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

/* fdopendir -- glibc 2.36's checks and calls, in its order: fstat
 * (ENOTDIR), F_GETFL (EINVAL for a write-only descriptor), and
 * F_SETFD FD_CLOEXEC on the program's descriptor (glibc's __alloc_dir sets
 * close-on-exec on a descriptor it was given; without it a find under vu
 * leaked its directory descriptors into the programs it ran) */
VU_EXPORT DIR *fdopendir(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st))
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return NULL;
	if ((fl & O_ACCMODE) == O_WRONLY) {
		errno = EINVAL;
		return NULL;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return NULL;
	return dir_new(fd);
}

VU_EXPORT struct dirent64 *readdir64(DIR *d)
{
	struct dirent64 *e;

	if (d->magic != VU_DIR_MAGIC) {
		errno = EBADF;
		return NULL;
	}
	if (d->pos >= d->len) {
		long n;

		if (d->eof)
			return NULL;
		n = getdents(d);
		if (n <= 0) {
			if (n < 0 && n != -ENOENT)
				errno = (int)-n;	/* errno untouched at the end */
			if (n == 0)
				d->eof = 1;
			return NULL;
		}
		d->len = n;
		d->pos = 0;
	}
	e = (struct dirent64 *)(d->buf + d->pos);
	d->pos += e->d_reclen;
	d->filepos = e->d_off;
	return e;
}

/* struct dirent and struct dirent64 are the same on LP64 */
_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent layout");

VU_EXPORT struct dirent *readdir(DIR *d)
{
	return (struct dirent *)readdir64(d);
}

VU_EXPORT int readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result)
{
	int saved = errno;
	struct dirent64 *e;

	errno = 0;
	e = readdir64(d);
	if (!e && errno) {
		int r = errno;

		errno = saved;
		*result = NULL;
		return r;
	}
	errno = saved;
	if (e)
		memcpy(entry, e, e->d_reclen < sizeof(*entry) ? e->d_reclen : sizeof(*entry));
	*result = e ? entry : NULL;
	return 0;
}

VU_EXPORT int readdir_r(DIR *d, struct dirent *entry, struct dirent **result)
{
	return readdir64_r(d, (struct dirent64 *)entry, (struct dirent64 **)result);
}

VU_EXPORT int closedir(DIR *d)
{
	int fd;

	if (d->magic != VU_DIR_MAGIC) {
		errno = EBADF;
		return -1;
	}
	fd = d->fd;
	d->magic = 0;
	free(d);
	return close(fd);
}

VU_EXPORT int dirfd(DIR *d)
{
	if (d->magic != VU_DIR_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	return d->fd;
}

VU_EXPORT void seekdir(DIR *d, long pos)
{
	if (d->magic != VU_DIR_MAGIC)
		return;
	lseek(d->fd, pos, SEEK_SET);
	d->pos = d->len = 0;
	d->filepos = pos;
	d->eof = 0;
}

VU_EXPORT void rewinddir(DIR *d)
{
	seekdir(d, 0);
}

VU_EXPORT long telldir(DIR *d)
{
	if (d->magic != VU_DIR_MAGIC) {
		errno = EBADF;
		return -1;
	}
	return d->filepos;
}

typedef int (*scan_filter)(const struct dirent64 *);
typedef int (*scan_compar)(const struct dirent64 **, const struct dirent64 **);

VU_EXPORT int scandir64(const char *dir, struct dirent64 ***list, scan_filter filter,
			scan_compar compar)
{
	DIR *d = opendir(dir);
	struct dirent64 *e, **v = NULL;
	size_t n = 0, cap = 0;
	int saved = errno;

	if (!d)
		return -1;
	errno = 0;
	while ((e = readdir64(d))) {
		struct dirent64 *copy;

		if (filter && !filter(e))
			continue;
		if (n == cap) {
			struct dirent64 **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
		}
		copy = malloc(e->d_reclen);
		if (!copy)
			goto fail;
		memcpy(copy, e, e->d_reclen);
		v[n++] = copy;
		errno = 0;
	}
	if (errno)
		goto fail;
	closedir(d);
	if (compar && n > 1)
		qsort(v, n, sizeof(*v), (int (*)(const void *, const void *))compar);
	errno = saved;
	*list = v;
	return (int)n;
fail:
	saved = errno ? errno : ENOMEM;
	while (n)
		free(v[--n]);
	free(v);
	closedir(d);
	errno = saved;
	return -1;
}

VU_EXPORT int scandir(const char *dir, struct dirent ***list,
		      int (*filter)(const struct dirent *),
		      int (*compar)(const struct dirent **, const struct dirent **))
{
	return scandir64(dir, (struct dirent64 ***)list, (scan_filter)filter, (scan_compar)compar);
}
