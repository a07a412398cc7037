/*
 * readonly.c -- the readonly layer: under the paths, every call that would
 * change something fails the way it fails on a read-only bind mount.
 *
 * Which file a call would change is asked of the kernel, not guessed from
 * the string: the parent folder of a name that is created, removed or
 * renamed (its symlinks followed, like the kernel's own lookup), or the
 * object itself for a call that changes an inode (chmod, truncate, open
 * for writing...), are opened O_PATH through the gate and their real path
 * read back from /proc/self/fd. So a symlink from elsewhere into a tree
 * is caught, and a symlink inside a tree that leads out of it is not
 * stopped, as with a mount. Only calls that can write pay for this.
 *
 * The errors come in the kernel's order (fs/namei.c): a parent that cannot
 * be looked up gives its own error (the call is passed down: it fails
 * there without changing anything); then EXDEV for a rename or link that
 * crosses a tree's border; then EROFS -- except that creating a name that
 * exists gives EEXIST, and truncating a folder EISDIR, as the kernel checks
 * those first. Each tree is treated as its own mount: its root can be
 * neither removed nor renamed (EBUSY), nor can a folder that holds it.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include "roots.h"

#define PASS 0		/* let the call go down */

struct ro {
	struct vu_roots roots;
};

/* A name in a folder: the folder open O_PATH and its real path. */
struct entry {
	int pfd;		/* -1 when not open */
	int norm;		/* the last component is a plain name (not . .. or /) */
	const char *last;	/* NUL-terminated copy */
	char *parent;		/* real path of the folder */
	char *joined;		/* parent/last */
};

/* An existing object: real path and type. */
struct object {
	char *path;
	unsigned mode;
};

static int ro_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *paths = &self->opt[0];
	struct ro *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	if (paths->count == 0) {
		vu_fmt(err, errlen, "readonly.paths is empty: name at least one path");
		return -EINVAL;
	}
	e = vu_roots_init(&r->roots, paths->items, paths->count, 0, err, errlen);
	if (e)
		return e;
	for (int i = 0; i < r->roots.n; i++)
		vu_debug("readonly: %s", r->roots.path[i]);
	self->state = r;
	return 0;
}

static int ro_wants(struct vu_layer *self, long nr)
{
	(void)self;
	if (vu_syscalls[nr].flags & VU_SC_WRITES)
		return 1;
	switch (nr) {
#ifdef VU_NR_open
	case VU_NR_open:
#endif
#ifdef VU_NR_access
	case VU_NR_access:
#endif
	case VU_NR_openat:
	case VU_NR_openat2:
	case VU_NR_open_by_handle_at:
	case VU_NR_faccessat:
	case VU_NR_faccessat2:
	case VU_NR_statfs:
	case VU_NR_fstatfs:
		return 1;
	}
	return 0;
}

/* ---- asking the kernel ---- */

static long sys_close(long fd)
{
	return fd >= 0 ? vu_sys1(SYS_close, fd) : 0;
}

static int is_special(unsigned mode)
{
	return S_ISCHR(mode) || S_ISBLK(mode) || S_ISFIFO(mode) || S_ISSOCK(mode);
}

/* the object path names (from dirfd), or dirfd itself when path is NULL or
 * "" with empty_ok. Returns 0 or -errno (the call then goes down). */
static long find_object(struct vu_call *c, int dirfd, const char *path, int nofollow,
			int empty_ok, struct object *o)
{
	struct stat st;
	long fd, r;

	o->path = vu_call_alloc(c, PATH_MAX);
	if (!o->path)
		return -ENOMEM;
	if (!path || (!*path && empty_ok)) {
		fd = dirfd == AT_FDCWD ?
			vu_sys4(SYS_openat, AT_FDCWD, ".", O_PATH | O_CLOEXEC, 0) : dirfd;
	} else {
		fd = vu_sys4(SYS_openat, dirfd, path,
			     O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0), 0);
	}
	if (fd < 0)
		return fd;
	r = vu_sys2(SYS_fstat, fd, &st);
	if (r == 0)
		r = vu_fd_realpath((int)fd, o->path, PATH_MAX);
	o->mode = st.st_mode;
	if (fd != dirfd)
		sys_close(fd);
	return r < 0 ? r : 0;
}

/* the folder that path's last name is in, open O_PATH. Returns 0 or -errno
 * (the call then goes down: the kernel gives the same error). */
static long find_entry(struct vu_call *c, int dirfd, const char *path, struct entry *e)
{
	size_t n, s;
	char *last;
	long r;

	e->pfd = -1;
	e->norm = 0;
	if (!path || !*path)
		return -ENOENT;
	last = vu_call_alloc(c, NAME_MAX + 2);
	e->parent = vu_call_alloc(c, PATH_MAX);
	e->joined = vu_call_alloc(c, PATH_MAX + NAME_MAX + 2);
	if (!last || !e->parent || !e->joined)
		return -ENOMEM;
	n = vu_strlen(path);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	while (n > 1 && path[n - 1] == '/')
		n--;
	s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	if (n - s > NAME_MAX)
		return -ENAMETOOLONG;
	vu_memcpy(last, path + s, n - s);
	last[n - s] = 0;
	e->last = last;
	e->norm = n - s > 0 && vu_strcmp(last, ".") && vu_strcmp(last, "..");
	/* the folder's name goes through e->joined, filled for real below */
	if (s == 0) {
		vu_stpcpy(e->joined, ".");
	} else {
		vu_memcpy(e->joined, path, s);
		e->joined[s] = 0;
	}
	r = vu_sys4(SYS_openat, dirfd, e->joined, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (r < 0)
		return r;
	e->pfd = (int)r;
	r = vu_fd_realpath(e->pfd, e->parent, PATH_MAX);
	if (r < 0)
		return r;
	vu_stpcpy(vu_stpcpy(vu_stpcpy(e->joined, e->parent[1] ? e->parent : ""), "/"), last);
	return 0;
}

/* lstat of the entry: 0 and its mode, or -errno */
static long entry_stat(const struct entry *e, unsigned *mode)
{
	struct stat st;
	long r = vu_sys4(SYS_newfstatat, e->pfd, e->last, &st, AT_SYMLINK_NOFOLLOW);

	if (r == 0)
		*mode = st.st_mode;
	return r;
}

/* which tree an entry's change lands in: that of its folder */
static int entry_tree(const struct ro *r, const struct entry *e)
{
	return vu_roots_match(&r->roots, e->parent);
}

/* ---- the kinds of change ---- */

/* a lookup that failed: the call goes down and the kernel gives its own
 * error, unless vu could not ask (out of scratch or of descriptors): then
 * the call must not pass */
static long lookup_failed(long e)
{
	return e == -ENOMEM || e == -EMFILE || e == -ENFILE ? e : PASS;
}

/* mkdir, mknod, symlink, open O_CREAT|O_EXCL: a new name */
static long ro_create(const struct ro *r, struct vu_call *c, int dirfd, const char *path)
{
	struct entry e;
	unsigned mode;
	long ret = find_entry(c, dirfd, path, &e);

	if (ret < 0)
		ret = lookup_failed(ret);
	else if (!e.norm)
		ret = PASS;		/* EEXIST or EISDIR from the kernel */
	else if (entry_tree(r, &e) < 0 && !vu_roots_is(&r->roots, e.joined))
		ret = PASS;
	else
		ret = entry_stat(&e, &mode) == 0 ? -EEXIST : -EROFS;
	sys_close(e.pfd);
	return ret;
}

/* unlink, rmdir: a name goes */
static long ro_remove(const struct ro *r, struct vu_call *c, int dirfd, const char *path, int rmdir)
{
	struct entry e;
	unsigned mode;
	long ret = find_entry(c, dirfd, path, &e);

	if (ret < 0) {
		ret = lookup_failed(ret);
	} else if (!e.norm) {
		ret = PASS;		/* EINVAL, ENOTEMPTY, EBUSY, EISDIR */
	} else if (entry_tree(r, &e) >= 0) {
		ret = -EROFS;
	} else if (vu_roots_is(&r->roots, e.joined)) {
		/* the root of a tree: a mount point */
		ret = entry_stat(&e, &mode);
		if (ret == 0)
			ret = rmdir ? (S_ISDIR(mode) ? -EBUSY : -ENOTDIR) :
				      (S_ISDIR(mode) ? -EISDIR : -EBUSY);
	} else {
		ret = PASS;
	}
	sys_close(e.pfd);
	return ret;
}

/* does a tree lie at or below path? (renaming such a folder moves it) */
static int holds_tree(const struct ro *r, const char *path)
{
	for (int i = 0; i < r->roots.n; i++)
		if (vu_path_under(r->roots.path[i], path) >= 0)
			return 1;
	return 0;
}

/* rename*: both names change */
static long ro_rename(const struct ro *r, struct vu_call *c, int odfd, const char *old,
		      int ndfd, const char *new)
{
	struct entry o, n;
	unsigned mode;
	long ret = find_entry(c, odfd, old, &o);
	int to, tn;

	n.pfd = -1;
	if (ret == 0)
		ret = find_entry(c, ndfd, new, &n);
	if (ret < 0) {
		ret = lookup_failed(ret);
	} else if (!o.norm || !n.norm) {
		ret = PASS;		/* EBUSY from the kernel */
	} else {
		to = entry_tree(r, &o);
		tn = entry_tree(r, &n);
		if (to != tn)
			ret = -EXDEV;
		else if (to >= 0)
			ret = -EROFS;
		else if (holds_tree(r, o.joined) || holds_tree(r, n.joined))
			ret = entry_stat(&o, &mode) == 0 ? -EBUSY : -ENOENT;
		else
			ret = PASS;
	}
	sys_close(o.pfd);
	sys_close(n.pfd);
	return ret;
}

/* link*: a new name for an existing object */
static long ro_link(const struct ro *r, struct vu_call *c, int odfd, const char *old,
		    int ndfd, const char *new, int flags)
{
	struct object obj;
	struct entry n;
	unsigned mode;
	long ret = find_object(c, odfd, old, !(flags & AT_SYMLINK_FOLLOW), flags & AT_EMPTY_PATH, &obj);
	int tn;

	n.pfd = -1;
	if (ret == 0)
		ret = find_entry(c, ndfd, new, &n);
	if (ret < 0) {
		ret = lookup_failed(ret);
	} else if (!n.norm) {
		ret = PASS;		/* EEXIST from the kernel */
	} else {
		tn = entry_tree(r, &n);
		if (tn >= 0 || vu_roots_is(&r->roots, n.joined))
			ret = entry_stat(&n, &mode) == 0 ? -EEXIST : -EROFS;
		else if (vu_roots_match(&r->roots, obj.path) != tn)
			ret = -EXDEV;
		else
			ret = PASS;
	}
	sys_close(n.pfd);
	return ret;
}

enum inode_op { OP_ATTR, OP_TRUNCATE, OP_ACCESS };

/* chmod, chown, truncate, utimes, xattrs: the object itself changes */
static long ro_inode(const struct ro *r, struct vu_call *c, int dirfd, const char *path,
		     int nofollow, int empty_ok, enum inode_op op)
{
	struct object o;
	long e = find_object(c, dirfd, path, nofollow, empty_ok, &o);

	if (e < 0)
		return lookup_failed(e);
	if (vu_roots_match(&r->roots, o.path) < 0)
		return PASS;
	if (op == OP_TRUNCATE && S_ISDIR(o.mode))
		return -EISDIR;
	if (op == OP_TRUNCATE && !S_ISREG(o.mode))
		return -EINVAL;
	if (op == OP_ACCESS && is_special(o.mode))
		return PASS;
	return -EROFS;
}

enum fd_op { FD_ATTR, FD_TRUNCATE, FD_ALLOCATE };

/* fchmod, fchown, fsetxattr, ftruncate...: through a descriptor */
static long by_fd(const struct ro *r, struct vu_call *c, int fd, enum fd_op op)
{
	char *path = vu_call_alloc(c, PATH_MAX);
	long fl;

	if (!path)
		return -ENOMEM;
	fl = vu_sys2(SYS_fcntl, fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH))
		return PASS;		/* EBADF from the kernel */
	if (op != FD_ATTR && (fl & O_ACCMODE) == O_RDONLY)
		return PASS;		/* EINVAL / EBADF from the kernel */
	if (vu_fd_realpath(fd, path, PATH_MAX) < 0 || vu_roots_match(&r->roots, path) < 0)
		return PASS;
	return -EROFS;
}

/* open with these flags: which of them ask to change something */
static long open_check(const struct ro *r, struct vu_call *c, int dirfd, const char *path,
		       long flags)
{
	int wr = (flags & O_ACCMODE) != O_RDONLY, owned = -1;
	char *target[2];
	unsigned long mark;
	long ret = PASS;

	if (flags & O_PATH)
		return PASS;
	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return wr ? ro_inode(r, c, dirfd, path, 0, 0, OP_ATTR) : PASS;
	if (!wr && !(flags & (O_CREAT | O_TRUNC)))
		return PASS;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return ro_create(r, c, dirfd, path);
	target[0] = vu_call_alloc(c, PATH_MAX);
	target[1] = vu_call_alloc(c, PATH_MAX);
	if (!target[1])
		return -ENOMEM;
	mark = c->scratch_used;
	/* O_CREAT through a dangling symlink makes its target: follow it,
	 * from the link's folder, as many times as the kernel would */
	for (int hop = 0; hop < 40; hop++) {
		struct object o;
		struct entry en;
		unsigned mode;
		long e, n;

		vu_call_release(c, mark);
		e = find_object(c, dirfd, path, flags & O_NOFOLLOW, 0, &o);
		if (e == 0) {
			/* folders (EISDIR), symlinks (ELOOP), devices: as the kernel */
			if (vu_roots_match(&r->roots, o.path) >= 0 && S_ISREG(o.mode) &&
			    (wr || (flags & O_TRUNC)))
				ret = -EROFS;
			break;
		}
		if (e != -ENOENT || !(flags & O_CREAT)) {
			ret = lookup_failed(e);
			break;
		}
		e = find_entry(c, dirfd, path, &en);
		if (e < 0 || !en.norm) {
			ret = lookup_failed(e);
		} else if (entry_stat(&en, &mode) == 0) {
			if (S_ISLNK(mode) && !(flags & O_NOFOLLOW)) {
				n = vu_sys4(SYS_readlinkat, en.pfd, en.last, target[hop & 1], PATH_MAX - 1);
				if (n > 0 && n < PATH_MAX - 1) {
					target[hop & 1][n] = 0;
					sys_close(owned);
					owned = dirfd = en.pfd;
					path = target[hop & 1];
					continue;
				}
			}
		} else if (entry_tree(r, &en) >= 0 || vu_roots_is(&r->roots, en.joined)) {
			ret = -EROFS;
		}
		sys_close(en.pfd);
		break;
	}
	sys_close(owned);
	return ret;
}

/* open_by_handle_at: find the file first, O_PATH */
static long by_handle(const struct ro *r, struct vu_call *c)
{
	long flags = c->args[2], fd, ret = PASS;
	char *path = vu_call_alloc(c, PATH_MAX);

	if (!path)
		return -ENOMEM;
	if ((flags & O_PATH) || ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC)))
		return PASS;
	fd = vu_sys3(SYS_open_by_handle_at, c->args[0], c->args[1], O_PATH | O_CLOEXEC);
	if (fd < 0)
		return lookup_failed(fd);
	if (vu_fd_realpath((int)fd, path, PATH_MAX) >= 0 && vu_roots_match(&r->roots, path) >= 0)
		ret = -EROFS;
	sys_close(fd);
	return ret;
}

static int utimes_omitted(const struct timespec *ts)
{
	return ts && ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT;
}

#define A(i) (c->args[i])
#define S(i) ((const char *)c->args[i])
#define FD(i) ((int)c->args[i])

static long classify(const struct ro *r, struct vu_call *c)
{
	switch (c->nr) {
#ifdef VU_NR_unlink
	case VU_NR_unlink: return ro_remove(r, c, AT_FDCWD, S(0), 0);
	case VU_NR_rmdir: return ro_remove(r, c, AT_FDCWD, S(0), 1);
	case VU_NR_mkdir: return ro_create(r, c, AT_FDCWD, S(0));
	case VU_NR_symlink: return ro_create(r, c, AT_FDCWD, S(1));
	case VU_NR_rename: return ro_rename(r, c, AT_FDCWD, S(0), AT_FDCWD, S(1));
	case VU_NR_link: return ro_link(r, c, AT_FDCWD, S(0), AT_FDCWD, S(1), 0);
	case VU_NR_chmod: return ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_ATTR);
	case VU_NR_chown: return ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_ATTR);
	case VU_NR_lchown: return ro_inode(r, c, AT_FDCWD, S(0), 1, 0, OP_ATTR);
	case VU_NR_utime: return ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_ATTR);
	case VU_NR_utimes: return ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_ATTR);
	case VU_NR_futimesat: return ro_inode(r, c, FD(0), S(1), 0, 0, OP_ATTR);
	case VU_NR_creat: return open_check(r, c, AT_FDCWD, S(0), O_CREAT | O_WRONLY | O_TRUNC);
	case VU_NR_open: return open_check(r, c, AT_FDCWD, S(0), A(1));
	case VU_NR_mknod:
#endif
	case VU_NR_mknodat: {
		int at = c->nr == VU_NR_mknodat;
		unsigned type = (unsigned)A(at + 1) & S_IFMT;

		if (type && !S_ISREG(type) && !is_special(type))
			return PASS;	/* EPERM or EINVAL from the kernel */
		return ro_create(r, c, at ? FD(0) : AT_FDCWD, S(at));
	}
	case VU_NR_unlinkat: return ro_remove(r, c, FD(0), S(1), A(2) & AT_REMOVEDIR);
	case VU_NR_mkdirat: return ro_create(r, c, FD(0), S(1));
	case VU_NR_symlinkat: return ro_create(r, c, FD(1), S(2));
	case VU_NR_renameat: return ro_rename(r, c, FD(0), S(1), FD(2), S(3));
	case VU_NR_renameat2: return ro_rename(r, c, FD(0), S(1), FD(2), S(3));
	case VU_NR_linkat: return ro_link(r, c, FD(0), S(1), FD(2), S(3), A(4));
	case VU_NR_fchmodat: return ro_inode(r, c, FD(0), S(1), 0, 0, OP_ATTR);
	case VU_NR_fchmodat2:
		return ro_inode(r, c, FD(0), S(1), A(3) & AT_SYMLINK_NOFOLLOW, A(3) & AT_EMPTY_PATH, OP_ATTR);
	case VU_NR_setxattrat:
	case VU_NR_removexattrat:
		return ro_inode(r, c, FD(0), S(1), A(2) & AT_SYMLINK_NOFOLLOW, A(2) & AT_EMPTY_PATH, OP_ATTR);
	case VU_NR_file_setattr:
		return ro_inode(r, c, FD(0), S(1), A(4) & AT_SYMLINK_NOFOLLOW, A(4) & AT_EMPTY_PATH, OP_ATTR);
	case VU_NR_fchownat:
		return ro_inode(r, c, FD(0), S(1), A(4) & AT_SYMLINK_NOFOLLOW, A(4) & AT_EMPTY_PATH, OP_ATTR);
	case VU_NR_truncate: return ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_TRUNCATE);
	case VU_NR_utimensat:
		if (utimes_omitted((const struct timespec *)A(2)))
			return PASS;	/* the kernel changes nothing */
		if (!S(1))
			return by_fd(r, c, FD(0), FD_ATTR);
		return ro_inode(r, c, FD(0), S(1), A(3) & AT_SYMLINK_NOFOLLOW, A(3) & AT_EMPTY_PATH, OP_ATTR);
	case VU_NR_setxattr:
	case VU_NR_removexattr:
		return ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_ATTR);
	case VU_NR_lsetxattr:
	case VU_NR_lremovexattr:
		return ro_inode(r, c, AT_FDCWD, S(0), 1, 0, OP_ATTR);
	case VU_NR_fchmod:
	case VU_NR_fchown:
	case VU_NR_fsetxattr:
	case VU_NR_fremovexattr:
		return by_fd(r, c, FD(0), FD_ATTR);
	case VU_NR_ftruncate: return by_fd(r, c, FD(0), FD_TRUNCATE);
	case VU_NR_fallocate: return by_fd(r, c, FD(0), FD_ALLOCATE);
	case VU_NR_openat: return open_check(r, c, FD(0), S(1), A(2));
	case VU_NR_openat2: {
		const struct open_how *how = (const struct open_how *)A(2);

		if (!how || (unsigned long)A(3) < sizeof(*how))
			return PASS;
		return open_check(r, c, FD(0), S(1), (long)how->flags);
	}
	case VU_NR_open_by_handle_at: return by_handle(r, c);
	}
	return PASS;	/* mount and the like: not a change to files */
}

static enum vu_action ro_enter(struct vu_layer *self, struct vu_call *c)
{
	unsigned long mark = c->scratch_used;
	long ret = classify(self->state, c);

	vu_call_release(c, mark);
	if (ret == PASS)
		return VU_CONTINUE;
	vu_debug("readonly %s: %s", vu_syscalls[c->nr].name,
		 ret == -EROFS ? "EROFS" : ret == -EEXIST ? "EEXIST" : ret == -EXDEV ? "EXDEV" :
		 ret == -EBUSY ? "EBUSY" : "refused");
	c->ret = ret;
	return VU_DONE;
}

/* access(W_OK) answers EROFS and statfs shows ST_RDONLY, as on a
 * read-only mount; both after the real call succeeded. */
static void ro_leave(struct vu_layer *self, struct vu_call *c)
{
	const struct ro *r = self->state;
	unsigned long mark = c->scratch_used;

	if (c->ret != 0)
		return;
	switch (c->nr) {
#ifdef VU_NR_access
	case VU_NR_access:
		if (A(1) & W_OK)
			c->ret = ro_inode(r, c, AT_FDCWD, S(0), 0, 0, OP_ACCESS);
		break;
#endif
	case VU_NR_faccessat:
	case VU_NR_faccessat2: {
		long fl = c->nr == VU_NR_faccessat2 ? A(3) : 0;

		if (A(2) & W_OK)
			c->ret = ro_inode(r, c, FD(0), S(1), fl & AT_SYMLINK_NOFOLLOW, fl & AT_EMPTY_PATH, OP_ACCESS);
		break;
	}
	case VU_NR_statfs:
	case VU_NR_fstatfs: {
		struct object o;
		long e = c->nr == VU_NR_statfs ? find_object(c, AT_FDCWD, S(0), 0, 0, &o) :
						 find_object(c, FD(0), NULL, 0, 1, &o);

		if (e == 0 && vu_roots_match(&r->roots, o.path) >= 0)
			((struct statfs *)A(1))->f_flags |= ST_RDONLY;
		break;
	}
	}
	vu_call_release(c, mark);
}

const struct vu_layer_ops vu_layer_readonly_ops = {
	.abi = VU_ABI_VERSION,
	.init = ro_init,
	.wants = ro_wants,
	.enter = ro_enter,
	.leave = ro_leave,
};
