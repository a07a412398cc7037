/*
 * overlay.c -- the overlay layer: copy-on-write over a lower directory.
 *
 * The program sees lower's path. Every path argument under lower (or
 * under upper: another name of the same tree) is resolved through the
 * merged view (overlay_fs.c) and handed to the kernel as the real path in
 * upper or lower; what would change lower is redirected to upper first
 * (copy-up), deletions leave whiteouts, listings are merged
 * (overlay_dir.c). See layers/overlay.md for the representation and for
 * what overlayfs does that this layer does not.
 *
 * Descriptors: a read-only descriptor on a lower file follows the file to
 * upper when it is copied up later (as overlayfs does since Linux 4.19):
 * a shared counter in upper counts copy-ups, each descriptor opened on a
 * lower file remembers the count it saw, and the next read, seek, stat or
 * mmap through it after a change re-opens the upper copy in its place
 * (same number, flags and offset).
 */
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "overlay.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

/* ---- per-call notes: what leave() must do, stored before a path we hand
 * down (so leave finds it through the argument, if no layer below replaced
 * it) ---- */
#define NOTE_MAGIC 0x4f564c31u
#define N_UNWH 1	/* created over a whiteout: drop the whiteout on success */
#define N_MARK 2	/* a lower file opened read-only: watch the fd */
#define N_MERGED 4	/* a merged directory: stat shows lower's identity */

struct note {
	unsigned int magic, flags, gen, pad;
	unsigned long ldev, lino;
	char path[];
};

static struct note *note_of(const struct vu_call *c, long arg)
{
	const char *p = (const char *)arg;
	struct note *n;

	if (!c->scratch || !p || p < c->scratch + sizeof(struct note) ||
	    p >= c->scratch + VU_SCRATCH_SIZE)
		return 0;
	n = (struct note *)(p - offsetof(struct note, path));
	return n->magic == NOTE_MAGIC ? n : 0;
}

/* ---- one request ---- */
struct req {
	struct ovl *o;
	struct vu_call *c;
	struct ovl_work *w;
	char *rel[2];
	unsigned long mark0;	/* scratch on entry */
	unsigned long mark;	/* after what must survive until leave */
};

static int req_init(struct req *q, struct ovl *o, struct vu_call *c, int nrel)
{
	q->o = o;
	q->c = c;
	q->mark0 = q->mark = c->scratch_used;
	q->w = vu_call_alloc(c, sizeof(*q->w));
	q->rel[0] = vu_call_alloc(c, PATH_MAX);
	q->rel[1] = nrel > 1 ? vu_call_alloc(c, PATH_MAX) : 0;
	return q->w && q->rel[0] && (nrel < 2 || q->rel[1]);
}

static enum vu_action done(struct req *q, long ret)
{
	q->c->ret = ret;
	vu_call_release(q->c, q->mark0);
	return VU_DONE;
}

static enum vu_action pass(struct req *q)
{
	vu_call_release(q->c, q->mark);
	return VU_CONTINUE;
}

static int digits(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* the length of the next component of p (after any '/') */
static size_t comp(const char **p)
{
	size_t n = 0;

	while (**p == '/')
		(*p)++;
	while ((*p)[n] && (*p)[n] != '/')
		n++;
	return n;
}

/* demagic -- /proc/PID/{fd/N,cwd,root,exe} (PID also self or thread-self,
 * maybe PID/task/TID) and /dev/fd/N are links the kernel follows to the
 * object itself, whatever its path: through them a program could write a
 * lower file. Replace the link by the path it stands for, in abs (cap
 * bytes, normalized; tmp: PATH_MAX bytes). The last component is left as
 * it is when the call does not follow it (readlink of /proc/self/fd/3). */
static void demagic(char *abs, size_t cap, char *tmp, int follow_last)
{
	const char *p = abs, *c;
	size_t n;
	long k;

	if (!vu_strncmp(abs, "/dev/fd/", 8)) {
		p = abs + 8;
		n = comp(&p);
		if (!digits(p, n))
			return;
		p += n;
	} else if (!vu_strncmp(abs, "/proc/", 6)) {
		p = abs + 5;
		c = p;
		n = comp(&c);
		if (!(digits(c, n) || (n == 4 && !vu_strncmp(c, "self", 4)) ||
		      (n == 11 && !vu_strncmp(c, "thread-self", 11))))
			return;
		p = c + n;
		c = p;
		n = comp(&c);
		if (n == 4 && !vu_strncmp(c, "task", 4)) {
			p = c + n;
			c = p;
			n = comp(&c);
			if (!digits(c, n))
				return;
			p = c + n;
			c = p;
			n = comp(&c);
		}
		if (n == 2 && !vu_strncmp(c, "fd", 2)) {
			p = c + n;
			c = p;
			n = comp(&c);
			if (!digits(c, n))
				return;
		} else if (!((n == 3 && (!vu_strncmp(c, "cwd", 3) || !vu_strncmp(c, "exe", 3))) ||
			     (n == 4 && !vu_strncmp(c, "root", 4)))) {
			return;
		}
		p = c + n;
	} else {
		return;
	}
	if (!*p && !follow_last)
		return;
	n = (size_t)(p - abs);
	if (n >= PATH_MAX)
		return;
	vu_memcpy(tmp, abs, n);
	tmp[n] = 0;
	if (!vu_strncmp(tmp, "/dev/fd/", 8)) {
		char link[40];

		vu_fmt(link, sizeof(link), "/proc/self/fd/%s", tmp + 8);
		k = vu_sys4(SYS_readlinkat, AT_FDCWD, link, tmp, PATH_MAX - 1);
	} else {
		k = vu_sys4(SYS_readlinkat, AT_FDCWD, tmp, tmp, PATH_MAX - 1);
	}
	if (k <= 0 || tmp[0] != '/' || (size_t)k + vu_strlen(p) + 1 > PATH_MAX)
		return;	/* a pipe, a socket, an anonymous inode: not a path */
	vu_memcpy(tmp + k, p, vu_strlen(p) + 1);
	vu_path_normalize(tmp, abs, cap);
}

/* virt -- path argument i as a path relative to the overlay's root, into
 * q->rel[k]: 1, or 0 when it is not in the overlay (or the kernel should
 * give its own error). *slash: it ended with '/'. follow: the call follows
 * a symlink in the last component. */
static int virt(struct req *q, int i, int k, int *slash, int follow)
{
	const char *p = (const char *)q->c->args[i], *rest;
	size_t n;

	if (!p || !*p || vu_call_path(q->c, i, q->w->full, sizeof(q->w->full)) < 0)
		return 0;
	if (q->w->full[1] == 'p' || q->w->full[1] == 'd')
		demagic(q->w->full, sizeof(q->w->full), q->w->rem, follow);
	if (!ovl_under(q->o, q->w->full, &rest))
		return 0;
	while (*rest == '/')
		rest++;
	n = vu_strlen(rest);
	if (n >= PATH_MAX)
		return 0;
	vu_memcpy(q->rel[k], rest, n + 1);
	n = vu_strlen(p);
	*slash = n > 0 && p[n - 1] == '/';
	return 1;
}

static long resolve(struct req *q, int k, int follow, struct ovl_res *r)
{
	r->rel = q->rel[k];
	return ovl_resolve(q->o, q->w, q->rel[k], follow, r);
}

/* keep_front -- move len bytes at src to the front of this request's
 * scratch (mark0), over the work area, which is dead by then: what the
 * layers below and the real call need survives, and the work area's 16 KiB
 * go back to them. src lies above mark0, so a forward copy is safe. */
static char *keep_front(struct req *q, const void *src, size_t len)
{
	char *dst = q->c->scratch + q->mark0;
	const char *s = src;

	for (size_t k = 0; k < len; k++)
		dst[k] = s[k];
	q->mark = q->mark0 + ((len + 15) & ~15UL);
	return dst;
}

/* set_path -- hand the kernel the real path of r instead of argument i
 * (with a note for leave() in front of it). The last thing a handler does
 * before pass(). */
static long set_path(struct req *q, int i, const struct ovl_res *r, int slash, unsigned int flags)
{
	struct note *n = (struct note *)q->w->lnk;	/* built here, kept at the front */
	size_t room = sizeof(q->w->lnk) + sizeof(q->w->full) - sizeof(*n);
	long len = ovl_real(q->o, r, n->path, room - 1);

	if (len < 0)
		return len;
	if (slash && len > 0 && n->path[len - 1] != '/') {
		n->path[len++] = '/';
		n->path[len] = 0;
	}
	n->magic = NOTE_MAGIC;
	n->flags = flags;
	n->gen = q->o->gen ? __atomic_load_n(q->o->gen, __ATOMIC_SEQ_CST) : 0;
	n->pad = 0;
	n->ldev = r->lst.st_dev;
	n->lino = r->lst.st_ino;
	n = (struct note *)keep_front(q, n, sizeof(*n) + len + 1);
	q->c->args[i] = (long)n->path;
	return 0;
}

/* ---- the generation of copy-ups, the descriptors to watch ---- */
static unsigned int gen_now(const struct ovl *o)
{
	return o->gen ? __atomic_load_n(o->gen, __ATOMIC_SEQ_CST) : 0;
}

static void fd_mark(struct ovl *o, long fd, unsigned int v)
{
	if (o->fdgen && fd >= 0 && fd < OVL_MAXFD)
		o->fdgen[fd] = v;
}

/* repoint -- put a descriptor on path in fd's place: same number, status
 * flags, close-on-exec and offset */
static long repoint(int fd, const char *path)
{
	long fl = vu_sys2(SYS_fcntl, fd, F_GETFL), fdfl = vu_sys2(SYS_fcntl, fd, F_GETFD);
	long off, nfd, r;

	if (fl < 0 || fdfl < 0)
		return fl < 0 ? fl : fdfl;
	off = vu_sys3(SYS_lseek, fd, 0, SEEK_CUR);
	fl &= O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME | O_DIRECT | O_SYNC | O_DSYNC |
	      O_PATH | O_LARGEFILE;
	nfd = vu_sys4(SYS_openat, AT_FDCWD, path, fl | O_CLOEXEC | O_NOFOLLOW, 0);
	if (nfd < 0)
		return nfd;
	if (off > 0)
		vu_sys3(SYS_lseek, nfd, off, SEEK_SET);
	r = vu_sys3(SYS_dup3, nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
	vu_sys1(SYS_close, nfd);
	return r < 0 ? r : 0;
}

/* fd_follow -- if fd is on a lower file that has been copied up since it
 * was last looked at, put the upper copy in its place */
static void fd_follow(struct ovl *o, struct vu_call *c, long fd)
{
	unsigned int m, g;
	struct req q;
	struct ovl_res r;
	const char *rest;

	if (!o->fdgen || fd < 0 || fd >= OVL_MAXFD || !(m = o->fdgen[fd]))
		return;
	g = gen_now(o);
	if (o->gen && m == g + 1)
		return;
	if (!req_init(&q, o, c, 1)) {
		vu_call_release(c, q.mark0);
		return;
	}
	if (ovl_fd_path((int)fd, q.w->full, PATH_MAX) < 0 || ovl_under(o, q.w->full, &rest) != 1) {
		fd_mark(o, fd, 0);
		goto out;
	}
	while (*rest == '/')
		rest++;
	vu_memcpy(q.rel[0], rest, vu_strlen(rest) + 1);
	if (resolve(&q, 0, 0, &r) < 0 || !S_ISREG(r.st.st_mode)) {
		fd_mark(o, fd, 0);
		goto out;
	}
	if (r.where == OVL_UPPER) {
		if (ovl_real(o, &r, q.w->full, PATH_MAX) >= 0 && repoint((int)fd, q.w->full) == 0)
			vu_debug("overlay: fd %ld now on the copy-up %s", fd, q.w->full);
		fd_mark(o, fd, 0);
	} else {
		fd_mark(o, fd, g + 1);
	}
out:
	vu_call_release(c, q.mark0);
}

/* ---- handlers ---- */

/* a call that only reads: the real path of what the name is */
static enum vu_action h_read(struct req *q, int i, int follow)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!virt(q, i, 0, &slash, follow))
		return pass(q);
	if ((err = resolve(q, 0, follow || slash ? 1 : OVL_PEEK, &r)) < 0)
		return done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return done(q, -ENOENT);
	if ((err = set_path(q, i, &r, slash, r.merged ? N_MERGED : 0)) < 0)
		return done(q, err);
	return pass(q);
}

/* a call that changes the entry (mode, owner, times, size, xattrs) */
static enum vu_action h_meta(struct req *q, int i, int follow, int may, int data)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!virt(q, i, 0, &slash, follow))
		return pass(q);
	if ((err = resolve(q, 0, follow || slash, &r)) < 0)
		return done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return done(q, -ENOENT);
	if (r.where == OVL_LOWER) {
		if ((err = ovl_may(q->o, q->w, &r, may)) < 0 ||
		    (err = ovl_copy_up(q->o, q->w, &r, data)) < 0)
			return done(q, err);
		vu_debug("overlay: copied up %s", r.rel);
	}
	if ((err = set_path(q, i, &r, slash, 0)) < 0)
		return done(q, err);
	return pass(q);
}

/* a call that changes what fd is open on: copy it up first, and move fd */
static enum vu_action h_fdmeta(struct req *q, long fd, int may)
{
	struct ovl_res r;
	const char *rest;
	long err;

	if (fd < 0 || ovl_fd_path((int)fd, q->w->full, PATH_MAX) < 0 || q->w->full[0] != '/' ||
	    ovl_under(q->o, q->w->full, &rest) != 1)
		return pass(q);
	while (*rest == '/')
		rest++;
	vu_memcpy(q->rel[0], rest, vu_strlen(rest) + 1);
	if (resolve(q, 0, 0, &r) < 0 || r.where == OVL_NONE || r.where == OVL_OUT)
		return pass(q);
	if (r.where == OVL_LOWER) {
		if ((err = ovl_may(q->o, q->w, &r, may)) < 0 ||
		    (err = ovl_copy_up(q->o, q->w, &r, 1)) < 0)
			return done(q, err);
	}
	if ((err = ovl_real(q->o, &r, q->w->rem, PATH_MAX)) < 0 ||
	    (err = repoint((int)fd, q->w->rem)) < 0)
		return done(q, err);
	fd_mark(q->o, fd, 0);
	return pass(q);
}

/* create a name (mknod, symlink): in upper, over a whiteout if need be */
static enum vu_action h_create(struct req *q, int i)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!virt(q, i, 0, &slash, 0))
		return pass(q);
	if ((err = resolve(q, 0, 0, &r)) < 0)
		return done(q, err);
	if (r.reserved)
		return done(q, -EPERM);
	if (r.where == OVL_OUT)
		return set_path(q, i, &r, slash, 0) < 0 ? done(q, -ENAMETOOLONG) : pass(q);
	if (r.where != OVL_NONE)
		return done(q, -EEXIST);
	if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0 ||
	    (err = ovl_ensure_dirs(q->o, q->w, r.rel, r.namepos ? r.namepos - 1 : 0)) < 0 ||
	    (err = set_path(q, i, &r, slash, r.whiteout ? N_UNWH : 0)) < 0)
		return done(q, err);
	return pass(q);
}

static enum vu_action h_mkdir(struct req *q, int i, int mode)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!virt(q, i, 0, &slash, 0))
		return pass(q);
	if ((err = resolve(q, 0, 0, &r)) < 0)
		return done(q, err);
	if (r.reserved)
		return done(q, -EPERM);
	if (r.where == OVL_OUT)
		return set_path(q, i, &r, slash, 0) < 0 ? done(q, -ENAMETOOLONG) : pass(q);
	if (r.where != OVL_NONE)
		return done(q, -EEXIST);
	if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0)
		return done(q, err);
	if (r.whiteout)
		return done(q, ovl_mkdir_opaque(q->o, q->w, &r, mode));
	if ((err = ovl_ensure_dirs(q->o, q->w, r.rel, r.namepos ? r.namepos - 1 : 0)) < 0 ||
	    (err = set_path(q, i, &r, slash, 0)) < 0)
		return done(q, err);
	return pass(q);
}

static enum vu_action h_open(struct req *q, int i, long flags)
{
	int acc = flags & O_ACCMODE, slash;
	int tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
	int creat = !tmpfile && (flags & O_CREAT), excl = creat && (flags & O_EXCL);
	int write = acc != O_RDONLY || (flags & O_TRUNC);
	struct ovl_res r;
	unsigned int note = 0;
	long err;

	if (!virt(q, i, 0, &slash, !(flags & O_NOFOLLOW) && !excl))
		return pass(q);
	err = resolve(q, 0, !(flags & O_NOFOLLOW) && !excl, &r);
	if (err < 0)
		return done(q, err);
	if (r.reserved)
		return done(q, creat ? -EPERM : -ENOENT);
	switch (r.where) {
	case OVL_OUT:
		break;
	case OVL_NONE:
		if (!creat)
			return done(q, -ENOENT);
		if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0 ||
		    (err = ovl_ensure_dirs(q->o, q->w, r.rel, r.namepos ? r.namepos - 1 : 0)) < 0)
			return done(q, err);
		note = r.whiteout ? N_UNWH : 0;
		break;
	case OVL_LOWER:
		if (excl)
			return done(q, -EEXIST);
		if (tmpfile || (write && S_ISREG(r.st.st_mode) && !(flags & O_PATH))) {
			if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_WRITE)) < 0 ||
			    (err = ovl_copy_up(q->o, q->w, &r, !(flags & O_TRUNC))) < 0)
				return done(q, err);
			vu_debug("overlay: copied up %s", r.rel);
		} else if (acc == O_RDONLY && !(flags & O_PATH)) {
			note = N_MARK;
		}
		break;
	case OVL_UPPER:
		if (excl)
			return done(q, -EEXIST);
		break;
	}
	if ((err = set_path(q, i, &r, slash, note | (r.merged ? N_MERGED : 0))) < 0)
		return done(q, err);
	return pass(q);
}

static enum vu_action h_unlink(struct req *q, int i, int dir)
{
	struct ovl_res r;
	int slash, isdir;
	long err;
	char *up;

	if (!virt(q, i, 0, &slash, 0))
		return pass(q);
	if ((err = resolve(q, 0, 0, &r)) < 0)
		return done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return done(q, -ENOENT);
	if (r.where == OVL_OUT)
		return set_path(q, i, &r, slash, 0) < 0 ? done(q, -ENAMETOOLONG) : pass(q);
	if (r.root)
		return done(q, -EBUSY);
	isdir = S_ISDIR(r.st.st_mode);
	if (dir && !isdir)
		return done(q, -ENOTDIR);
	if (!dir && isdir)
		return done(q, -EISDIR);
	if (!dir && slash)
		return done(q, -ENOTDIR);
	if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0)
		return done(q, err);
	if (dir && (err = ovl_dir_empty(q->o, q->w, &r)) < 0)
		return done(q, err);
	if (r.where == OVL_LOWER)
		return done(q, ovl_whiteout(q->o, q->w, r.rel, r.namepos));
	/* in upper; a whiteout first when lower has the name, so that lower's
	 * entry never shows in between */
	if (r.lower && (err = ovl_whiteout(q->o, q->w, r.rel, r.namepos)) < 0)
		return done(q, err);
	up = q->w->rem;
	if ((err = ovl_join(up, PATH_MAX, q->o->upper, r.rel, NULL)) < 0)
		return done(q, err);
	if (dir) {
		ovl_clear_markers(up);
		err = vu_sys3(SYS_unlinkat, AT_FDCWD, up, AT_REMOVEDIR);
		ovl_dirs_changed(q->o);
	} else {
		err = vu_sys3(SYS_unlinkat, AT_FDCWD, up, 0);
	}
	if (err < 0 && r.lower)
		ovl_unwhiteout(q->o, q->w, r.rel, r.namepos);
	return done(q, err);
}

static int rel_below(const char *a, const char *b)
{
	size_t n = vu_strlen(b);

	return !vu_strncmp(a, b, n) && (n == 0 || a[n] == '/');
}

static enum vu_action h_rename(struct req *q, int oi, int ni, long flags)
{
	struct ovl_res a, b;
	int sa = 0, sb = 0, va, vb, adir, bdir;
	long err;
	char *ua = q->w->rem, *ub = q->w->lnk;

	va = virt(q, oi, 0, &sa, 0);
	vb = virt(q, ni, 1, &sb, 0);
	if (!va && !vb)
		return pass(q);
	if (!va || !vb)
		return done(q, -EXDEV);	/* the overlay is a file system of its own */
	if (flags & ~(long)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return done(q, -EINVAL);
	if ((err = resolve(q, 0, 0, &a)) < 0 || (err = resolve(q, 1, 0, &b)) < 0)
		return done(q, err);
	if (a.reserved || a.where == OVL_NONE)
		return done(q, -ENOENT);
	if (b.reserved)
		return done(q, -EPERM);
	if (a.where == OVL_OUT || b.where == OVL_OUT)
		return done(q, -EXDEV);
	if (a.root || b.root)
		return done(q, -EBUSY);
	adir = S_ISDIR(a.st.st_mode);
	bdir = b.where != OVL_NONE && S_ISDIR(b.st.st_mode);
	if (!vu_strcmp(a.rel, b.rel))
		return done(q, 0);
	if (adir && rel_below(b.rel, a.rel))
		return done(q, -EINVAL);
	/* overlayfs without redirect_dir: directories from lower do not move */
	if (adir && (a.where == OVL_LOWER || a.merged))
		return done(q, -EXDEV);
	if (flags & RENAME_EXCHANGE) {
		if (b.where == OVL_NONE)
			return done(q, -ENOENT);
		if (bdir && (b.where == OVL_LOWER || b.merged))
			return done(q, -EXDEV);
		if (bdir && rel_below(a.rel, b.rel))
			return done(q, -EINVAL);
	} else if (b.where != OVL_NONE) {
		if (flags & RENAME_NOREPLACE)
			return done(q, -EEXIST);
		if (adir && !bdir)
			return done(q, -ENOTDIR);
		if (!adir && bdir)
			return done(q, -EISDIR);
		if (bdir && (err = ovl_dir_empty(q->o, q->w, &b)) < 0)
			return done(q, err);
	}
	if ((err = ovl_may(q->o, q->w, &a, OVL_MAY_PARENT)) < 0 ||
	    (err = ovl_may(q->o, q->w, &b, OVL_MAY_PARENT)) < 0)
		return done(q, err);
	if ((err = ovl_copy_up(q->o, q->w, &a, 1)) < 0)
		return done(q, err);
	if ((flags & RENAME_EXCHANGE) && (err = ovl_copy_up(q->o, q->w, &b, 1)) < 0)
		return done(q, err);
	if ((err = ovl_ensure_dirs(q->o, q->w, b.rel, b.namepos ? b.namepos - 1 : 0)) < 0)
		return done(q, err);
	if (bdir && b.where == OVL_UPPER && !(flags & RENAME_EXCHANGE)) {
		if ((err = ovl_join(ua, PATH_MAX, q->o->upper, b.rel, NULL)) < 0)
			return done(q, err);
		ovl_clear_markers(ua);
	}
	/* a directory arriving where lower has one (or had, under a
	 * whiteout) must not let lower's entries show through */
	if ((err = ovl_join(ua, PATH_MAX, q->o->upper, a.rel, NULL)) < 0)
		return done(q, err);
	if (adir && (b.whiteout || (b.lower && S_ISDIR(b.lst.st_mode))) &&
	    (err = ovl_make_opaque(q->o, ua, q->w)) < 0)
		return done(q, err);
	if ((flags & RENAME_EXCHANGE) && bdir && a.lower && S_ISDIR(a.lst.st_mode)) {
		if ((err = ovl_join(ua, PATH_MAX, q->o->upper, b.rel, NULL)) < 0 ||
		    (err = ovl_make_opaque(q->o, ua, q->w)) < 0)
			return done(q, err);
	}
	if (!(flags & RENAME_EXCHANGE) && a.lower &&
	    (err = ovl_whiteout(q->o, q->w, a.rel, a.namepos)) < 0)
		return done(q, err);
	if ((err = ovl_join(ua, PATH_MAX, q->o->upper, a.rel, NULL)) < 0 ||
	    (err = ovl_join(ub, PATH_MAX, q->o->upper, b.rel, NULL)) < 0)
		return done(q, err);
	err = vu_sys5(SYS_renameat2, AT_FDCWD, ua, AT_FDCWD, ub, flags);
	ovl_dirs_changed(q->o);
	if (err < 0) {
		if (!(flags & RENAME_EXCHANGE) && a.lower)
			ovl_unwhiteout(q->o, q->w, a.rel, a.namepos);
		return done(q, err);
	}
	if (b.whiteout)
		ovl_unwhiteout(q->o, q->w, b.rel, b.namepos);
	return done(q, 0);
}

static enum vu_action h_link(struct req *q, int oi, int ni, long flags)
{
	struct ovl_res a, b;
	int sa = 0, sb = 0, va, vb;
	long err;
	const char *op = (const char *)q->c->args[oi];

	vb = virt(q, ni, 1, &sb, 0);
	if ((!op || !*op) && (flags & AT_EMPTY_PATH)) {
		/* linkat(fd, "", ...): an O_TMPFILE file, or any descriptor:
		 * one on a lower file would give lower's inode a second name
		 * that writes through, so it links the copy-up instead */
		const char *rest;

		if (ovl_fd_path((int)q->c->args[oi - 1], q->w->full, PATH_MAX) >= 0 &&
		    ovl_under(q->o, q->w->full, &rest) == 1) {
			while (*rest == '/')
				rest++;
			vu_memcpy(q->rel[0], rest, vu_strlen(rest) + 1);
			if ((err = resolve(q, 0, 0, &a)) < 0)
				return done(q, err);
			if (!vb)
				return done(q, -EXDEV);
			va = 1;
			goto named;
		}
		if (!vb)
			return pass(q);
		if ((err = resolve(q, 1, 0, &b)) < 0)
			return done(q, err);
		if (b.reserved)
			return done(q, -EPERM);
		if (b.where != OVL_NONE)
			return done(q, b.where == OVL_OUT ? -EXDEV : -EEXIST);
		if ((err = ovl_ensure_dirs(q->o, q->w, b.rel, b.namepos ? b.namepos - 1 : 0)) < 0 ||
		    (err = set_path(q, ni, &b, sb, b.whiteout ? N_UNWH : 0)) < 0)
			return done(q, err);
		return pass(q);
	}
	va = virt(q, oi, 0, &sa, (flags & AT_SYMLINK_FOLLOW) != 0);
	if (!va && !vb)
		return pass(q);
	if (!va || !vb)
		return done(q, -EXDEV);
	if ((err = resolve(q, 0, (flags & AT_SYMLINK_FOLLOW) != 0, &a)) < 0)
		return done(q, err);
named:
	if ((err = resolve(q, 1, 0, &b)) < 0)
		return done(q, err);
	if (a.reserved || a.where == OVL_NONE)
		return done(q, -ENOENT);
	if (b.reserved)
		return done(q, -EPERM);
	if (a.where == OVL_OUT || b.where == OVL_OUT)
		return done(q, -EXDEV);
	if (S_ISDIR(a.st.st_mode))
		return done(q, -EPERM);
	if (b.where != OVL_NONE)
		return done(q, -EEXIST);
	if ((err = ovl_may(q->o, q->w, &b, OVL_MAY_PARENT)) < 0 ||
	    (err = ovl_copy_up(q->o, q->w, &a, 1)) < 0 ||
	    (err = ovl_ensure_dirs(q->o, q->w, b.rel, b.namepos ? b.namepos - 1 : 0)) < 0)
		return done(q, err);
	if ((err = ovl_join(q->w->rem, PATH_MAX, q->o->upper, a.rel, NULL)) < 0 ||
	    (err = ovl_join(q->w->lnk, PATH_MAX, q->o->upper, b.rel, NULL)) < 0)
		return done(q, err);
	err = vu_sys5(SYS_linkat, AT_FDCWD, q->w->rem, AT_FDCWD, q->w->lnk, 0);
	if (err == 0 && b.whiteout)
		ovl_unwhiteout(q->o, q->w, b.rel, b.namepos);
	return done(q, err);
}

/* access(2): like a read, except that a read-only lower file system does
 * not make a file unwritable (writes go to upper) */
static enum vu_action h_access(struct req *q, int i, int mode, int flags)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!virt(q, i, 0, &slash, !(flags & AT_SYMLINK_NOFOLLOW)))
		return pass(q);
	if ((err = resolve(q, 0, !(flags & AT_SYMLINK_NOFOLLOW) || slash, &r)) < 0)
		return done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return done(q, -ENOENT);
	if (r.where == OVL_LOWER && (mode & W_OK)) {
		if ((err = ovl_real(q->o, &r, q->w->rem, PATH_MAX)) < 0)
			return done(q, err);
		err = vu_sys4(SYS_faccessat2, AT_FDCWD, q->w->rem, mode, flags & ~AT_SYMLINK_NOFOLLOW);
		if (err == -EROFS)
			err = vu_sys4(SYS_faccessat2, AT_FDCWD, q->w->rem, mode & ~W_OK,
				      flags & ~AT_SYMLINK_NOFOLLOW);
		return done(q, err);
	}
	if ((err = set_path(q, i, &r, slash, 0)) < 0)
		return done(q, err);
	return pass(q);
}

/* ---- exec: a script in the overlay names its interpreter by a path the
 * kernel would look up itself; vu runs the interpreter instead, with the
 * argv the kernel would have built ---- */
#define EXEC_DEPTH 4

static long read_shebang(const char *path, char *line, size_t len, char **interp, char **arg)
{
	long fd = vu_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), n;
	char *p, *e;

	if (fd < 0)
		return 0;
	n = vu_sys3(SYS_read, fd, line, len - 1);
	vu_sys1(SYS_close, fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = 0;
	for (e = line + 2; *e && *e != '\n'; e++)
		;
	*e = 0;
	while (e > line + 2 && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	for (p = line + 2; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return 0;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = 0;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			*arg = p;
	}
	return 1;
}

static enum vu_action h_exec(struct req *q, int pi, int ai, int dirfd_i)
{
	struct vu_call *c = q->c;
	const char *given = (const char *)c->args[pi];
	char *const *argv = (char *const *)c->args[ai];
	struct ovl_res r;
	int slash, argc = 0, depth = 0, nwords = 0;
	long err;
	/* what the kernel would put before argv[1..], innermost first */
	char *words[2 * EXEC_DEPTH + 1];
	char *lines, *run, *s;
	char **nargv;
	size_t runlen, size;

	if (!virt(q, pi, 0, &slash, 1))
		return pass(q);
	if ((err = resolve(q, 0, 1, &r)) < 0)
		return done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return done(q, -ENOENT);
	lines = vu_call_alloc(c, EXEC_DEPTH * 256);
	run = vu_call_alloc(c, PATH_MAX);
	if (!lines || !run)
		return done(q, -ENOMEM);
	if (r.where == OVL_OUT || S_ISDIR(r.st.st_mode) || ovl_real(q->o, &r, run, PATH_MAX) < 0)
		goto plain;
	words[nwords++] = (char *)given;
	for (;;) {
		char *interp, *arg, *line = lines + depth * 256;
		const char *rest;

		if (!read_shebang(run, line, 256, &interp, &arg))
			break;
		if (++depth > EXEC_DEPTH)
			return done(q, -ELOOP);
		if ((err = vu_sys3(SYS_faccessat, AT_FDCWD, run, X_OK)) < 0)
			return done(q, err);
		if (arg)
			words[nwords++] = arg;
		words[nwords++] = interp;
		if (vu_path_abs(AT_FDCWD, interp, q->w->full, sizeof(q->w->full)) < 0 ||
		    !ovl_under(q->o, q->w->full, &rest)) {
			if (vu_strlen(interp) >= PATH_MAX)
				return done(q, -ENAMETOOLONG);
			vu_stpcpy(run, interp);
			break;
		}
		while (*rest == '/')
			rest++;
		vu_memcpy(q->rel[0], rest, vu_strlen(rest) + 1);
		if ((err = resolve(q, 0, 1, &r)) < 0)
			return done(q, err);
		if (r.reserved || r.where == OVL_NONE)
			return done(q, -ENOENT);
		if ((err = ovl_real(q->o, &r, run, PATH_MAX)) < 0)
			return done(q, err);
		if (r.where == OVL_OUT)
			break;
	}
	if (depth == 0)
		goto plain;
	/* argv: the words outermost first, then argv[1..]; built at the front
	 * of the scratch (below `lines`, which it must not reach) */
	while (argv && argv[argc])
		argc++;
	runlen = vu_strlen(run) + 1;
	size = (size_t)(nwords + argc + 1) * sizeof(char *) + runlen + (size_t)depth * 256;
	if (c->scratch + q->mark0 + size > lines) {
		vu_debug("overlay: exec %s: too many arguments to run its interpreter", given);
		goto plain;
	}
	nargv = (char **)(c->scratch + q->mark0);
	s = (char *)(nargv + nwords + argc + 1);
	vu_memcpy(s, run, runlen);
	run = s;
	s += runlen;
	vu_memcpy(s, lines, (size_t)depth * 256);
	for (int k = 1; k < nwords; k++)	/* words[0] is the program's */
		words[k] = s + (words[k] - lines);
	for (int k = 0; k < nwords; k++)
		nargv[k] = words[nwords - 1 - k];
	for (int k = 1; k < argc; k++)
		nargv[nwords + k - 1] = argv[k];
	nargv[nwords + (argc ? argc - 1 : 0)] = 0;
	vu_debug("overlay: exec %s through %s", given, run);
	c->args[pi] = (long)run;
	c->args[ai] = (long)nargv;
	if (dirfd_i >= 0)
		c->args[dirfd_i] = AT_FDCWD;
	q->mark = q->mark0 + ((size + 15) & ~15UL);
	return pass(q);
plain:
	/* a binary (or nothing vu can improve on): its real path */
	if ((err = set_path(q, pi, &r, slash, 0)) < 0)
		return done(q, err);
	return pass(q);
}

/* ---- leave: results that carry paths or identities ---- */

/* an upper path in buf (len bytes, room for size) as the program's lower
 * path; nul: the result is NUL-terminated (getcwd). Returns the new length
 * or -ERANGE. */
static long unmap_upper(const struct ovl *o, struct vu_call *c, char *buf, long len, size_t size,
			int nul)
{
	unsigned long mark = c->scratch_used;
	char *tmp = vu_call_alloc(c, PATH_MAX);
	long n, ret = len;

	if (!tmp || len <= 0 || len >= PATH_MAX)
		goto out;
	vu_memcpy(tmp, buf, len);
	tmp[len] = 0;
	n = vu_path_under(tmp, o->upper);
	if (n >= 0) {
		size_t ll = o->llen, total = ll + (size_t)(len - n);

		if (nul && total + 1 > size) {
			ret = -ERANGE;
			goto out;
		}
		if (total > size)
			total = size;
		vu_memcpy(buf, o->lower, ll < total ? ll : total);
		if (total > ll)
			vu_memcpy(buf + ll, tmp + n, total - ll);
		if (nul)
			buf[total] = 0;
		ret = (long)total;
	}
out:
	vu_call_release(c, mark);
	return ret;
}

/* stat of a merged directory: upper's attributes, lower's identity (so
 * that copying the directory up does not change what find or rm -rf saw),
 * link count 1 (as overlayfs: the real count is unknown) */
static void fix_stat(struct ovl *o, struct vu_call *c, int fd, long path_arg, void *buf, int sx)
{
	struct note *n = note_of(c, path_arg);
	unsigned long dev, ino;
	struct req q;
	struct ovl_res r;
	const char *rest;
	struct stat ust;
	int which;

	if (sx) {
		const struct statx *x = buf;

		if (!S_ISDIR(x->stx_mode))
			return;
	} else if (!S_ISDIR(((const struct stat *)buf)->st_mode)) {
		return;
	}
	if (n) {
		if (!(n->flags & N_MERGED))
			return;
		dev = n->ldev;
		ino = n->lino;
		goto patch;
	}
	if (fd == -1)
		return;
	/* a descriptor: which directory of the overlay is it? */
	if (!req_init(&q, o, c, 1)) {
		vu_call_release(c, q.mark0);
		return;
	}
	if (ovl_fd_path(fd, q.w->full, PATH_MAX) < 0 || !(which = ovl_under(o, q.w->full, &rest)))
		goto out;
	while (*rest == '/')
		rest++;
	vu_memcpy(q.rel[0], rest, vu_strlen(rest) + 1);
	if (resolve(&q, 0, 0, &r) < 0 || !r.merged)
		goto out;
	dev = r.lst.st_dev;
	ino = r.lst.st_ino;
	if (which == 1) {
		/* fd is on lower's directory: the attributes are upper's */
		if (ovl_real(o, &r, q.w->full, PATH_MAX) < 0 || ovl_lstat(q.w->full, &ust) < 0)
			goto out;
		if (sx) {
			struct statx *x = buf;

			x->stx_mode = (unsigned short)ust.st_mode;
			x->stx_uid = ust.st_uid;
			x->stx_gid = ust.st_gid;
			x->stx_atime.tv_sec = ust.st_atim.tv_sec;
			x->stx_atime.tv_nsec = (unsigned int)ust.st_atim.tv_nsec;
			x->stx_mtime.tv_sec = ust.st_mtim.tv_sec;
			x->stx_mtime.tv_nsec = (unsigned int)ust.st_mtim.tv_nsec;
			x->stx_ctime.tv_sec = ust.st_ctim.tv_sec;
			x->stx_ctime.tv_nsec = (unsigned int)ust.st_ctim.tv_nsec;
			x->stx_size = ust.st_size;
			x->stx_blocks = ust.st_blocks;
		} else {
			*(struct stat *)buf = ust;
		}
	}
	vu_call_release(c, q.mark0);
patch:
	if (sx) {
		struct statx *x = buf;

		x->stx_ino = ino;
		x->stx_dev_major = (unsigned int)(((dev >> 32) & ~0xfffUL) | ((dev >> 8) & 0xfff));
		x->stx_dev_minor = (unsigned int)(((dev >> 12) & ~0xffUL) | (dev & 0xff));
		x->stx_nlink = 1;
	} else {
		struct stat *st = buf;

		st->st_ino = ino;
		st->st_dev = dev;
		st->st_nlink = 1;
	}
	return;
out:
	vu_call_release(c, q.mark0);
}

/* ---- the layer ---- */
static int proc_path(const char *p)
{
	return p && (!vu_strncmp(p, "/proc/", 6) || !vu_strncmp(p, "/dev/fd/", 8));
}

static enum vu_action overlay_enter(struct vu_layer *self, struct vu_call *c)
{
	struct ovl *o = self->state;
	struct req q;
	long *a = c->args;

	/* descriptor calls first: most of them need no scratch at all */
	switch (c->nr) {
	case SYS_read:
	case SYS_pread64:
	case SYS_readv:
	case SYS_preadv:
	case SYS_preadv2:
	case SYS_lseek:
	case SYS_copy_file_range:
	case SYS_splice:
	case SYS_fgetxattr:
	case SYS_flistxattr:
	case SYS_fadvise64:
	case SYS_readahead:
	case SYS_fstat:
		fd_follow(o, c, a[0]);
		return VU_CONTINUE;
	case SYS_sendfile:
		fd_follow(o, c, a[1]);
		return VU_CONTINUE;
	case SYS_mmap:
		if (!(a[3] & MAP_ANONYMOUS))
			fd_follow(o, c, a[4]);
		return VU_CONTINUE;
	case SYS_newfstatat:
	case SYS_statx:
		/* fstat(): the descriptor may have to follow a copy-up */
		if ((!a[1] || !*(const char *)a[1]) &&
		    (a[c->nr == SYS_statx ? 2 : 3] & AT_EMPTY_PATH)) {
			fd_follow(o, c, a[0]);
			return VU_CONTINUE;
		}
		break;
	case SYS_getdents64:
	case SYS_getdents: {
		long r = ovl_getdents(o, c, (int)a[0], (char *)a[1], (size_t)a[2],
				      c->nr == SYS_getdents64);

		if (r == 1)
			return VU_CONTINUE;
		c->ret = r;
		return VU_DONE;
	}
	case SYS_dup:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_fcntl:
	case SYS_getcwd:
		return VU_CONTINUE;	/* leave() */
	}
	if (!req_init(&q, o, c, c->nr == SYS_renameat || c->nr == SYS_renameat2 ||
				c->nr == SYS_linkat
#ifdef SYS_rename
				|| c->nr == SYS_rename || c->nr == SYS_link
#endif
				? 2 : 1)) {
		c->ret = -ENOMEM;
		vu_call_release(c, q.mark0);
		return VU_DONE;
	}
	switch (c->nr) {
#ifdef SYS_open
	case SYS_open:
		return h_open(&q, 0, a[1]);
	case SYS_creat:
		return h_open(&q, 0, O_CREAT | O_WRONLY | O_TRUNC);
	case SYS_stat:
		return h_read(&q, 0, 1);
	case SYS_lstat:
		return h_read(&q, 0, 0);
	case SYS_access:
		return h_access(&q, 0, (int)a[1], 0);
	case SYS_readlink:
		return h_read(&q, 0, 0);
	case SYS_chdir:
		return h_read(&q, 0, 1);
	case SYS_mkdir:
		return h_mkdir(&q, 0, (int)a[1]);
	case SYS_rmdir:
		return h_unlink(&q, 0, 1);
	case SYS_unlink:
		return h_unlink(&q, 0, 0);
	case SYS_rename:
		return h_rename(&q, 0, 1, 0);
	case SYS_link:
		return h_link(&q, 0, 1, 0);
	case SYS_symlink:
		return h_create(&q, 1);
	case SYS_mknod:
		return h_create(&q, 0);
	case SYS_chmod:
		return h_meta(&q, 0, 1, OVL_MAY_OWN, 1);
	case SYS_chown:
		return h_meta(&q, 0, 1, OVL_MAY_OWN, 1);
	case SYS_lchown:
		return h_meta(&q, 0, 0, OVL_MAY_OWN, 1);
	case SYS_utime:
	case SYS_utimes:
		return h_meta(&q, 0, 1, a[1] ? OVL_MAY_OWN : OVL_MAY_WRITE, 1);
#endif
	case SYS_openat:
		return h_open(&q, 1, a[2]);
	case SYS_openat2: {
		const unsigned long *how = (const unsigned long *)a[2];

		return how ? h_open(&q, 1, (long)how[0]) : pass(&q);
	}
	case SYS_newfstatat:
		return h_read(&q, 1, !(a[3] & AT_SYMLINK_NOFOLLOW));
	case SYS_statx:
		return h_read(&q, 1, !(a[2] & AT_SYMLINK_NOFOLLOW));
	case SYS_faccessat:
		return h_access(&q, 1, (int)a[2], 0);
	case SYS_faccessat2:
		return h_access(&q, 1, (int)a[2], (int)a[3]);
	case SYS_readlinkat:
		return h_read(&q, 1, 0);
	case SYS_execve:
		return h_exec(&q, 0, 1, -1);
	case SYS_execveat:
		if ((!a[1] || !*(const char *)a[1]) && (a[4] & AT_EMPTY_PATH))
			return pass(&q);
		return h_exec(&q, 1, 2, 0);
	case SYS_mkdirat:
		return h_mkdir(&q, 1, (int)a[2]);
	case SYS_mknodat:
		return h_create(&q, 1);
	case SYS_symlinkat:
		return h_create(&q, 2);
	case SYS_unlinkat:
		return h_unlink(&q, 1, (a[2] & AT_REMOVEDIR) != 0);
	case SYS_renameat:
		return h_rename(&q, 1, 3, 0);
	case SYS_renameat2:
		return h_rename(&q, 1, 3, a[4]);
	case SYS_linkat:
		return h_link(&q, 1, 3, a[4]);
	case SYS_fchmodat:
		return h_meta(&q, 1, 1, OVL_MAY_OWN, 1);
#ifdef VU_NR_fchmodat2
	case VU_NR_fchmodat2:
		if ((!a[1] || !*(const char *)a[1]) && (a[3] & AT_EMPTY_PATH))
			return h_fdmeta(&q, a[0], OVL_MAY_OWN);
		return h_meta(&q, 1, !(a[3] & AT_SYMLINK_NOFOLLOW), OVL_MAY_OWN, 1);
#endif
	case SYS_fchownat:
		if ((!a[1] || !*(const char *)a[1]) && (a[4] & AT_EMPTY_PATH))
			return h_fdmeta(&q, a[0], OVL_MAY_OWN);
		return h_meta(&q, 1, !(a[4] & AT_SYMLINK_NOFOLLOW), OVL_MAY_OWN, 1);
	case SYS_futimesat:
		return h_meta(&q, 1, 1, a[2] ? OVL_MAY_OWN : OVL_MAY_WRITE, 1);
	case SYS_utimensat:
		if (!a[1] || (!*(const char *)a[1] && (a[3] & AT_EMPTY_PATH)))
			return h_fdmeta(&q, a[0], a[2] ? OVL_MAY_OWN : OVL_MAY_WRITE);
		return h_meta(&q, 1, !(a[3] & AT_SYMLINK_NOFOLLOW),
			      a[2] ? OVL_MAY_OWN : OVL_MAY_WRITE, 1);
	case SYS_truncate:
		return h_meta(&q, 0, 1, OVL_MAY_WRITE, a[1] != 0);
	case SYS_setxattr:
	case SYS_removexattr:
		return h_meta(&q, 0, 1, OVL_MAY_WRITE, 1);
	case SYS_lsetxattr:
	case SYS_lremovexattr:
		return h_meta(&q, 0, 0, OVL_MAY_WRITE, 1);
	case SYS_fchmod:
	case SYS_fchown:
		return h_fdmeta(&q, a[0], OVL_MAY_OWN);
	case SYS_fsetxattr:
	case SYS_fremovexattr:
		return h_fdmeta(&q, a[0], OVL_MAY_WRITE);
	case SYS_getxattr:
	case SYS_listxattr:
	case SYS_statfs:
	case SYS_chroot:
		return h_read(&q, 0, 1);
	case SYS_lgetxattr:
	case SYS_llistxattr:
		return h_read(&q, 0, 0);
	case SYS_inotify_add_watch:
		return h_read(&q, 1, !(a[2] & IN_DONT_FOLLOW));
	case SYS_name_to_handle_at:
		return h_read(&q, 1, (a[4] & AT_SYMLINK_FOLLOW) != 0);
	case SYS_open_tree:
	case SYS_fspick:
		return h_read(&q, 1, 1);
	}
	return pass(&q);
}

static void overlay_leave(struct vu_layer *self, struct vu_call *c)
{
	struct ovl *o = self->state;
	long *a = c->args;
	struct note *n;

	switch (c->nr) {
	case SYS_dup:
		if (c->ret >= 0 && o->fdgen && a[0] >= 0 && a[0] < OVL_MAXFD)
			fd_mark(o, c->ret, o->fdgen[a[0]]);
		return;
	case SYS_dup2:
	case SYS_dup3:
		if (c->ret >= 0 && o->fdgen && a[0] >= 0 && a[0] < OVL_MAXFD && a[0] != a[1])
			fd_mark(o, a[1], o->fdgen[a[0]]);
		return;
	case SYS_fcntl:
		if (c->ret >= 0 && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) && o->fdgen &&
		    a[0] >= 0 && a[0] < OVL_MAXFD)
			fd_mark(o, c->ret, o->fdgen[a[0]]);
		return;
	case SYS_getcwd:
		if (c->ret > 0) {
			long len = unmap_upper(o, c, (char *)a[0], c->ret - 1, (size_t)a[1], 1);

			c->ret = len < 0 ? len : len + 1;	/* the kernel counts the NUL */
		}
		return;
#ifdef SYS_open
	case SYS_open:
	case SYS_creat:
#endif
	case SYS_openat:
	case SYS_openat2:
	case SYS_mknodat:
	case SYS_symlinkat:
	case SYS_linkat:
#ifdef SYS_mknod
	case SYS_mknod:
	case SYS_symlink:
#endif
	{
		int pi = c->nr == SYS_openat || c->nr == SYS_openat2 || c->nr == SYS_mknodat ? 1 :
			 c->nr == SYS_symlinkat ? 2 : c->nr == SYS_linkat ? 3 :
#ifdef SYS_symlink
			 c->nr == SYS_symlink ? 1 :
#endif
			 0;
		int is_open = c->nr == SYS_openat || c->nr == SYS_openat2
#ifdef SYS_open
			      || c->nr == SYS_open || c->nr == SYS_creat
#endif
			;

		n = note_of(c, a[pi]);
		if (is_open && c->ret >= 0)
			fd_mark(o, c->ret, n && (n->flags & N_MARK) ? n->gen + 1 : 0);
		if (n && (n->flags & N_UNWH) && c->ret >= 0) {
			const char *rest;
			struct req q;

			if (req_init(&q, o, c, 1) && ovl_under(o, n->path, &rest) == 2) {
				size_t k = vu_strlen(rest), np;

				while (*rest == '/')
					rest++, k--;
				vu_memcpy(q.rel[0], rest, k + 1);
				while (k > 0 && q.rel[0][k - 1] == '/')
					q.rel[0][--k] = 0;
				for (np = k; np > 0 && q.rel[0][np - 1] != '/'; np--)
					;
				ovl_unwhiteout(o, q.w, q.rel[0], np);
			}
			vu_call_release(c, q.mark0);
		}
		return;
	}
	case SYS_newfstatat:
		if (c->ret == 0)
			fix_stat(o, c, (!a[1] || !*(const char *)a[1]) ? (int)a[0] : -1, a[1],
				 (void *)a[2], 0);
		return;
	case SYS_fstat:
		if (c->ret == 0)
			fix_stat(o, c, (int)a[0], 0, (void *)a[1], 0);
		return;
#ifdef SYS_stat
	case SYS_stat:
	case SYS_lstat:
		if (c->ret == 0)
			fix_stat(o, c, -1, a[0], (void *)a[1], 0);
		return;
	case SYS_readlink:
		if (c->ret > 0 && proc_path((const char *)a[0]))
			c->ret = unmap_upper(o, c, (char *)a[1], c->ret, (size_t)a[2], 0);
		return;
#endif
	case SYS_statx:
		if (c->ret == 0)
			fix_stat(o, c, (!a[1] || !*(const char *)a[1]) ? (int)a[0] : -1, a[1],
				 (void *)a[4], 1);
		return;
	case SYS_readlinkat:
		if (c->ret > 0 && proc_path((const char *)a[1]))
			c->ret = unmap_upper(o, c, (char *)a[2], c->ret, (size_t)a[3], 0);
		return;
	}
}

static const int wanted[] = {
#ifdef SYS_open
	SYS_open, SYS_creat, SYS_stat, SYS_lstat, SYS_access, SYS_readlink, SYS_chdir,
	SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_rename, SYS_link, SYS_symlink, SYS_mknod,
	SYS_chmod, SYS_chown, SYS_lchown, SYS_utime, SYS_utimes,
#endif
	SYS_read, SYS_pread64, SYS_readv, SYS_preadv, SYS_preadv2, SYS_lseek,
	SYS_copy_file_range, SYS_splice, SYS_fgetxattr, SYS_flistxattr, SYS_fadvise64,
	SYS_readahead, SYS_fstat, SYS_sendfile, SYS_mmap, SYS_dup, SYS_dup2, SYS_dup3,
	SYS_fcntl, SYS_getcwd, SYS_getdents64, SYS_getdents, SYS_openat, SYS_openat2,
	SYS_newfstatat, SYS_statx, SYS_faccessat, SYS_faccessat2, SYS_readlinkat,
	SYS_execve, SYS_execveat, SYS_mkdirat, SYS_mknodat, SYS_symlinkat, SYS_unlinkat,
	SYS_renameat, SYS_renameat2, SYS_linkat, SYS_fchmodat, SYS_fchownat, SYS_futimesat,
	SYS_utimensat, SYS_truncate, SYS_setxattr, SYS_removexattr, SYS_lsetxattr,
	SYS_lremovexattr, SYS_fchmod, SYS_fchown, SYS_fsetxattr, SYS_fremovexattr,
	SYS_getxattr, SYS_listxattr, SYS_statfs, SYS_chroot, SYS_lgetxattr, SYS_llistxattr,
	SYS_inotify_add_watch, SYS_name_to_handle_at, SYS_open_tree, SYS_fspick,
#ifdef VU_NR_fchmodat2
	VU_NR_fchmodat2,
#endif
};

static int overlay_wants(struct vu_layer *self, long nr)
{
	(void)self;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (wanted[i] == nr)
			return 1;
	return 0;
}

/* ---- start-up (libc allowed) ---- */
static int fail(char *err, size_t errlen, int e, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -e;
}

static int mkdirs(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char keep = *p;

			*p = 0;
			if (mkdir(buf, 0755) && errno != EEXIST)
				return -errno;
			*p = keep;
			if (!keep)
				break;
		}
	}
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* descriptors inherited across exec on lower files: look at them once */
static void scan_fds(struct ovl *o)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[64], target[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		ssize_t n;

		if (fd < 0 || fd >= OVL_MAXFD || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (vu_path_under(target, o->lower) > 0)
			o->fdgen[fd] = ~0u;
	}
	closedir(d);
}

static void map_gen(struct ovl *o)
{
	char path[PATH_MAX];
	int fd;
	struct stat st;
	void *m;

	snprintf(path, sizeof(path), "%s/" OVL_GEN, o->upper);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && st.st_size < 4096 && ftruncate(fd, 4096)) {
		close(fd);
		return;
	}
	m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m != MAP_FAILED)
		o->gen = m;
}

static const char *canon(const char *p, size_t *len)
{
	char *r = realpath(p, NULL);

	if (!r)
		return NULL;
	*len = strlen(r);
	return r;
}

/* canon_new -- p (absolute, normalized) with its longest existing prefix
 * made canonical: where a path that does not exist yet would be */
static char *canon_new(const char *p)
{
	char head[PATH_MAX], *out, *real;
	size_t n = strlen(p);

	if (n >= sizeof(head))
		return NULL;
	strcpy(head, p);
	while (n > 1) {
		head[n] = 0;
		if ((real = realpath(head, NULL))) {
			out = malloc(strlen(real) + strlen(p + n) + 2);
			if (out)
				sprintf(out, "%s%s", strcmp(real, "/") ? real : "", p + n);
			free(real);
			return out;
		}
		while (n > 1 && head[n - 1] != '/')
			n--;
		if (n > 1)
			n--;
	}
	return strdup(p);
}

static int overlay_init(struct vu_layer *self, char *err, size_t errlen)
{
	const char *lower = self->opt[0].str, *upper = self->opt[1].str;
	struct ovl *o;
	struct stat st;
	int r;

	if (stat(lower, &st))
		return fail(err, errlen, errno, "lower: %s: %s", lower, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, ENOTDIR, "lower: %s: %s", lower, "not a directory");
	if (!stat(upper, &st) && !S_ISDIR(st.st_mode))
		return fail(err, errlen, ENOTDIR, "upper: %s: %s", upper, "not a directory");
	{
		const char *cl = realpath(lower, NULL), *cu = canon_new(upper);

		if (cl && cu && (vu_path_under(cu, cl) >= 0 || vu_path_under(cl, cu) >= 0))
			return fail(err, errlen, EINVAL,
				    "upper (%s) and lower (%s) must not contain each other", upper, lower);
	}
	if (!self->intercept_all)
		return fail(err, errlen, EINVAL, "%s%s",
			    "needs \"intercept\": \"all\": glibc's fopen, opendir and others make "
			    "calls that the libc wrappers do not see, and lower must never change", "");
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	for (int i = 0; i < OVL_NSNAP; i++)
		o->snaps[i].fd = -1;
	o->lower = canon(lower, &o->llen);
	if (!o->lower)
		return fail(err, errlen, errno, "lower: %s: %s", lower, strerror(errno));
	if (strcmp(o->lower, lower)) {
		o->lower_cfg = lower;
		o->lcfglen = strlen(lower);
	}
	self->state = o;
	if (self->check_only) {
		o->upper = upper;
		o->ulen = strlen(upper);
		return 0;
	}
	if ((r = mkdirs(upper)) < 0)
		return fail(err, errlen, -r, "upper: %s: %s", upper, strerror(-r));
	o->upper = canon(upper, &o->ulen);
	if (!o->upper)
		return fail(err, errlen, errno, "upper: %s: %s", upper, strerror(errno));
	if (strcmp(o->upper, upper)) {
		o->upper_cfg = upper;
		o->ucfglen = strlen(upper);
	}
	map_gen(o);
	{
		void *m = mmap(0, OVL_MAXFD * sizeof(unsigned int), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m != MAP_FAILED)
			o->fdgen = m;
	}
	if (o->fdgen)
		scan_fds(o);
	return 0;
}

const struct vu_layer_ops vu_layer_overlay_ops = {
	.abi = VU_ABI_VERSION,
	.init = overlay_init,
	.wants = overlay_wants,
	.enter = overlay_enter,
	.leave = overlay_leave,
};
