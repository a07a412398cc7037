/*
 * ftw.c -- ftw, nftw and their 64 names on vu's wrappers.
 *
 * glibc's tree walker opens, reads and stats with internal calls that no
 * wrapper sees, so in "libc" mode a hidden folder was walked into and a
 * bound one walked as the host has it. This is glibc 2.36's algorithm
 * (io/ftw.c) on vu's exported opendir, readdir64, fstatat, stat, lstat,
 * chdir and fchdir: the same callbacks in the same order with the same
 * flags, struct FTW, stat results, return values and errno; the same
 * limit of nopenfd open folders (the oldest one's remaining names are read
 * into memory and it is closed); folders seen before are skipped unless
 * FTW_PHYS (a symlink loop ends). When no layer wants the calls, glibc's
 * own runs.
 */
#undef _FILE_OFFSET_BITS	/* ftw and ftw64 are two functions here */
#undef _TIME_BITS
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

typedef int vu_walk_fn(const char *, const struct stat64 *, int, struct FTW *);

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "nftw and nftw64 share the walk");

/* one folder being read: its stream, or (after it was closed to stay
 * within nopenfd) the names left in it, NUL-separated */
struct wdir {
	DIR *stream;
	int fd;
	char *content;
};

struct walk {
	char *buf;		/* the path of the current object */
	size_t cap;
	struct FTW ftw;
	int flags;
	int nftw;		/* nftw: the callback takes struct FTW */
	vu_walk_fn *fn;
	int (*fn_ftw)(const char *, const struct stat64 *, int);
	dev_t dev;		/* FTW_MOUNT: the start folder's device */
	struct wdir **open;	/* the open folders, oldest first (a ring) */
	int maxdir, actdir;
	struct seen { dev_t dev; ino_t ino; } *seen;	/* folders entered (not FTW_PHYS) */
	size_t nseen, capseen;
};

/* ftw's flags are nftw's with symlinks and post-order folded in */
static int cvt(const struct walk *w, int flag)
{
	if (w->nftw)
		return flag;
	switch (flag) {
	case FTW_SL: return FTW_F;
	case FTW_DP: return FTW_D;
	case FTW_SLN: return FTW_NS;
	}
	return flag;
}

static int call(struct walk *w, const struct stat64 *st, int flag)
{
	if (w->nftw)
		return w->fn(w->buf, st, cvt(w, flag), &w->ftw);
	return w->fn_ftw(w->buf, st, cvt(w, flag));
}

static int seen(const struct walk *w, const struct stat64 *st)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int remember(struct walk *w, const struct stat64 *st)
{
	if (w->nseen == w->capseen) {
		size_t cap = w->capseen ? 2 * w->capseen : 32;
		struct seen *s = realloc(w->seen, cap * sizeof(*s));

		if (!s)
			return -1;
		w->seen = s;
		w->capseen = cap;
	}
	w->seen[w->nseen].dev = st->st_dev;
	w->seen[w->nseen].ino = st->st_ino;
	w->nseen++;
	return 0;
}

/* the names left in the oldest open folder go to memory, and it is
 * closed: room for one more open folder */
static int park_oldest(struct walk *w)
{
	struct wdir *d = w->open[w->actdir];
	size_t len = 0, cap = 1024;
	char *buf = malloc(cap);
	struct dirent64 *e;

	if (!buf)
		return -1;
	while ((e = readdir64(d->stream)) != NULL) {
		size_t n = strlen(e->d_name) + 1;

		if (len + n + 1 > cap) {
			char *b;

			while (len + n + 1 > cap)
				cap *= 2;
			b = realloc(buf, cap);
			if (!b) {
				free(buf);
				return -1;
			}
			buf = b;
		}
		memcpy(buf + len, e->d_name, n);
		len += n;
	}
	buf[len] = 0;
	closedir(d->stream);
	d->stream = NULL;
	d->fd = -1;
	d->content = buf;
	w->open[w->actdir] = NULL;
	return 0;
}

static int open_dir(struct walk *w, const struct wdir *parent, struct wdir *d)
{
	if (w->open[w->actdir] != NULL && park_oldest(w) < 0)
		return -1;
	d->content = NULL;
	if (parent && parent->stream) {
		/* relative to the parent's descriptor, as glibc */
		int fd = openat(parent->fd, w->buf + w->ftw.base, O_RDONLY | O_DIRECTORY | O_NDELAY);

		d->stream = fd < 0 ? NULL : fdopendir(fd);
		if (fd >= 0 && !d->stream)
			close(fd);
	} else {
		const char *name = w->buf;

		if (w->flags & FTW_CHDIR) {
			name = w->buf + w->ftw.base;
			if (!*name)
				name = ".";
		}
		d->stream = opendir(name);
	}
	if (!d->stream)
		return -1;
	d->fd = dirfd(d->stream);
	w->open[w->actdir] = d;
	if (++w->actdir == w->maxdir)
		w->actdir = 0;
	return 0;
}

static void close_dir(struct walk *w, struct wdir *d)
{
	if (d->stream) {
		int e = errno;

		closedir(d->stream);
		d->stream = NULL;
		d->fd = -1;
		errno = e;
		if (w->actdir-- == 0)
			w->actdir = w->maxdir - 1;
		w->open[w->actdir] = NULL;
	}
}

static int walk_dir(struct walk *w, const struct stat64 *st, struct wdir *parent);

static int entry(struct walk *w, struct wdir *dir, const char *name, size_t namlen)
{
	struct stat64 st;
	int flag = 0, result = 0, statres;
	const char *p;

	if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
		return 0;
	if (w->ftw.base + namlen + 2 > w->cap) {
		size_t cap = 2 * (w->ftw.base + namlen + 2);
		char *b = realloc(w->buf, cap);

		if (!b)
			return -1;
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->ftw.base, name, namlen + 1);
	p = (w->flags & FTW_CHDIR) ? name : w->buf;
	if (dir->stream)
		statres = fstatat64(dir->fd, name, &st, (w->flags & FTW_PHYS) ? AT_SYMLINK_NOFOLLOW : 0);
	else
		statres = (w->flags & FTW_PHYS) ? lstat64(p, &st) : stat64(p, &st);
	if (statres < 0) {
		if (errno != EACCES && errno != ENOENT) {
			result = -1;
		} else if (w->flags & FTW_PHYS) {
			flag = FTW_NS;
		} else {
			if (dir->stream)
				statres = fstatat64(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW);
			else
				statres = lstat64(p, &st);
			flag = statres == 0 && S_ISLNK(st.st_mode) ? FTW_SLN : FTW_NS;
		}
	} else {
		flag = S_ISDIR(st.st_mode) ? FTW_D : S_ISLNK(st.st_mode) ? FTW_SL : FTW_F;
	}
	if (result == 0 && (flag == FTW_NS || !(w->flags & FTW_MOUNT) || st.st_dev == w->dev)) {
		if (flag == FTW_D) {
			if ((w->flags & FTW_PHYS) || (!seen(w, &st) && (result = remember(w, &st)) == 0))
				result = walk_dir(w, &st, dir);
		} else {
			result = call(w, &st, flag);
		}
	}
	if ((w->flags & FTW_ACTIONRETVAL) && result == FTW_SKIP_SUBTREE)
		result = 0;
	return result;
}

static int walk_dir(struct walk *w, const struct stat64 *st, struct wdir *parent)
{
	struct wdir d;
	struct dirent64 *e;
	int result, prev_base = w->ftw.base;
	char *start;

	if (open_dir(w, parent, &d) != 0) {
		if (errno == EACCES)
			return call(w, st, FTW_DNR);	/* a folder it cannot read */
		return -1;
	}
	if (!(w->flags & FTW_DEPTH)) {
		result = call(w, st, FTW_D);
		if (result != 0)
			goto fail;
	}
	if ((w->flags & FTW_CHDIR) && fchdir(d.fd) < 0) {
		result = -1;
		goto fail;
	}
	w->ftw.level++;
	start = strchr(w->buf, 0);
	if (start[-1] != '/')
		*start++ = '/';
	w->ftw.base = start - w->buf;
	result = 0;
	while (d.stream && (e = readdir64(d.stream)) != NULL) {
		result = entry(w, &d, e->d_name, strlen(e->d_name));
		if (result != 0)
			break;
	}
	if (d.stream) {
		close_dir(w, &d);
	} else {
		/* parked: its remaining names from memory */
		for (char *r = d.content; result == 0 && *r; r = strchr(r, 0) + 1)
			result = entry(w, &d, r, strlen(r));
		free(d.content);
	}
	if ((w->flags & FTW_ACTIONRETVAL) && result == FTW_SKIP_SIBLINGS)
		result = 0;
	w->buf[w->ftw.base - 1] = 0;
	w->ftw.level--;
	w->ftw.base = prev_base;
	if (result == 0 && (w->flags & FTW_DEPTH))
		result = call(w, st, FTW_DP);
	if (parent && (w->flags & FTW_CHDIR) &&
	    (result == 0 || ((w->flags & FTW_ACTIONRETVAL) && result != -1 && result != FTW_STOP))) {
		/* back to the parent folder */
		if (!parent->stream || fchdir(parent->fd) != 0) {
			if (w->ftw.base == 1 ? chdir("/") < 0 : chdir("..") < 0)
				result = -1;
		}
	}
	return result;
fail:
	close_dir(w, &d);
	return result;
}

static int walk(const char *dir, int nftw, vu_walk_fn *fn, int (*fn_ftw)(const char *, const struct stat64 *, int),
		int descriptors, int flags)
{
	struct walk w = { 0 };
	struct stat64 st;
	int result = 0, cwdfd = -1, save;
	const char *name;
	char *cp, *cwd = NULL;

	if (dir[0] == 0) {
		errno = ENOENT;
		return -1;
	}
	if (descriptors < 1)
		descriptors = 1;
	w.maxdir = descriptors;
	w.open = calloc(descriptors, sizeof(*w.open));
	w.cap = 2 * strlen(dir) + PATH_MAX;
	w.buf = malloc(w.cap);
	if (!w.open || !w.buf) {
		free(w.open);
		free(w.buf);
		return -1;
	}
	w.flags = flags;
	w.nftw = nftw;
	w.fn = fn;
	w.fn_ftw = fn_ftw;
	cp = stpcpy(w.buf, dir);
	while (cp > w.buf + 1 && cp[-1] == '/')
		cp--;
	*cp = 0;
	while (cp > w.buf && cp[-1] != '/')
		cp--;
	w.ftw.base = cp - w.buf;
	if (flags & FTW_CHDIR) {
		/* back here at the end: a descriptor, else the name */
		cwdfd = open(".", O_RDONLY | O_DIRECTORY);
		if (cwdfd == -1) {
			if (errno == EACCES)
				cwd = getcwd(NULL, 0);
			if (!cwd) {
				result = -1;
				goto out;
			}
		} else if (w.maxdir > 1) {
			w.maxdir--;	/* the descriptor counts */
		}
		if (w.ftw.base == 1) {
			result = chdir("/");
		} else if (w.ftw.base > 0) {
			char ch = w.buf[w.ftw.base - 1];

			w.buf[w.ftw.base - 1] = 0;
			result = chdir(w.buf);
			w.buf[w.ftw.base - 1] = ch;
		}
	}
	if (result == 0) {
		name = w.buf;
		if (flags & FTW_CHDIR) {
			name = w.buf + w.ftw.base;
			if (!*name)
				name = ".";
		}
		if (((flags & FTW_PHYS) ? lstat64(name, &st) : stat64(name, &st)) < 0) {
			if (!(flags & FTW_PHYS) && errno == ENOENT && lstat64(name, &st) == 0 && S_ISLNK(st.st_mode))
				result = call(&w, &st, FTW_SLN);
			else
				result = -1;
		} else if (S_ISDIR(st.st_mode)) {
			w.dev = st.st_dev;
			if (!(flags & FTW_PHYS))
				result = remember(&w, &st);
			if (result == 0)
				result = walk_dir(&w, &st, NULL);
		} else {
			result = call(&w, &st, S_ISLNK(st.st_mode) ? FTW_SL : FTW_F);
		}
		if ((flags & FTW_ACTIONRETVAL) && (result == FTW_SKIP_SUBTREE || result == FTW_SKIP_SIBLINGS))
			result = 0;
	}
	save = errno;
	if (cwdfd != -1) {
		if (fchdir(cwdfd) != 0) {
			/* (glibc ignores it too) */
		}
		close(cwdfd);
	} else if (cwd) {
		if (chdir(cwd) != 0) {
			/* (glibc ignores it too) */
		}
		free(cwd);
	}
	errno = save;
out:
	save = errno;
	free(w.open);
	free(w.buf);
	free(w.seen);
	errno = save;
	return result;
}

/* the calls glibc's walk (fn) can make: does a layer want any?
 * (vu_fncalls.h; asking for openat first starts vu in a constructor) */
static int walk_wanted(unsigned fn)
{
	return vu_wants(VU_NR_openat) || vu_fn_loud(fn, -1, 0);
}

#define PASS(REAL, ...) do { \
	unsigned char s_ = vu_allow(); \
	int r_ = REAL(__VA_ARGS__); \
	vu_restore(s_); \
	return r_; \
} while (0)

#define NFTW_FLAGS (FTW_PHYS | FTW_MOUNT | FTW_CHDIR | FTW_DEPTH | FTW_ACTIONRETVAL)

VU_EXPORT int nftw64(const char *dir, int (*fn)(const char *, const struct stat64 *, int, struct FTW *),
		     int nopenfd, int flags)
{
	if (!walk_wanted(VU_FN_nftw64) && vu_real_nftw64)
		PASS(vu_real_nftw64, dir, fn, nopenfd, flags);
	if (flags & ~NFTW_FLAGS) {
		errno = EINVAL;
		return -1;
	}
	return walk(dir, 1, fn, NULL, nopenfd, flags);
}

VU_EXPORT int nftw(const char *dir, int (*fn)(const char *, const struct stat *, int, struct FTW *),
		   int nopenfd, int flags)
{
	if (!walk_wanted(VU_FN_nftw) && vu_real_nftw)
		PASS(vu_real_nftw, dir, fn, nopenfd, flags);
	if (flags & ~NFTW_FLAGS) {
		errno = EINVAL;
		return -1;
	}
	/* struct stat and struct stat64 are one layout on 64-bit Linux */
	return walk(dir, 1, (vu_walk_fn *)fn, NULL, nopenfd, flags);
}

VU_EXPORT int ftw64(const char *dir, int (*fn)(const char *, const struct stat64 *, int), int nopenfd)
{
	if (!walk_wanted(VU_FN_ftw64) && vu_real_ftw64)
		PASS(vu_real_ftw64, dir, fn, nopenfd);
	return walk(dir, 0, NULL, fn, nopenfd, 0);
}

VU_EXPORT int ftw(const char *dir, int (*fn)(const char *, const struct stat *, int), int nopenfd)
{
	if (!walk_wanted(VU_FN_ftw) && vu_real_ftw)
		PASS(vu_real_ftw, dir, fn, nopenfd);
	return walk(dir, 0, NULL, (int (*)(const char *, const struct stat64 *, int))fn, nopenfd, 0);
}
