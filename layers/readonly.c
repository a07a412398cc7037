/*
 * readonly.c -- the readonly layer: under the paths, every call that would
 * change something fails the way it fails on a read-only bind mount.
 *
 * What a call changes comes from the table (c->op, decoded from
 * syscalls.json's "does"): each path argument's role (a new name, a name
 * removed or moved, the object itself), its follow rule and the descriptor
 * acted on. Which file that is, is asked of the kernel (vu_op_reach: the
 * path opened O_PATH through the gate with the call's own dirfd, follow
 * rule and openat2 RESOLVE_* flags, its real path read back), and the
 * trees are matched by path and by identity (vu_roots_holds). So a
 * symlink from elsewhere into a tree is caught, a symlink inside a tree
 * that leads out of it is not stopped, as with a mount, and a call the
 * table calls "unknown" is refused under a tree (fail closed).
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
#include <unistd.h>
#include "vu_layer.h"

#define PASS 0		/* let the call go down */

struct ro {
	struct vu_roots roots;
};

static int ro_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *paths = &self->opt[0];
	struct ro *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	if (paths->count == 0) {
		vu_format(err, errlen, "readonly.paths is empty: name at least one path");
		return -EINVAL;
	}
	e = vu_roots_init(&r->roots, paths->items, paths->count, 0, err, errlen);
	if (e)
		return e;
	for (int i = 0; i < r->roots.n; i++)
		vu_debug("readonly: %s", r->roots.path[i]);
	self->state = r;
	/* a call that does not write is let on by its flags alone, whatever it
	 * names (classify: only openat2's RESOLVE_NO_XDEV, which the verdict
	 * cache never serves, is judged otherwise) */
	vu_layer_names_only(self, NULL, VU_NAMES_ONLY_WRITES | VU_NAMES_ONLY_FOLDER);
	return 0;
}

/* the calls whose answer readonly changes after the kernel gave it */
static int looks_after(long nr)
{
	switch (nr) {
#ifdef VU_NR_access
	case VU_NR_access:
#endif
	case VU_NR_faccessat:
	case VU_NR_faccessat2:
	case VU_NR_statfs:
	case VU_NR_fstatfs:
		return 1;
	}
	return 0;
}

static int ro_wants(struct vu_layer *self, long nr)
{
	int k = vu_sem_kind[nr];

	(void)self;
	if (looks_after(nr))
		return VU_WANTS;
	return k != VU_OP_NONE && k != VU_OP_IO && k != VU_OP_READ && k != VU_OP_EXEC &&
	       k != VU_OP_CHDIR ? VU_WANTS_PURE : 0;
}

/* ---- asking the kernel ---- */

static int is_special(unsigned mode)
{
	return S_ISCHR(mode) || S_ISBLK(mode) || S_ISFIFO(mode) || S_ISSOCK(mode);
}

/* a lookup that failed: the call goes down and the kernel gives its own
 * error, unless vu could not ask (out of scratch or of descriptors): then
 * the call must not pass */
static long lookup_failed(long e)
{
	return e == -ENOMEM || e == -EMFILE || e == -ENFILE ? e : PASS;
}

/* which tree the folder of a name is in */
static int folder_tree(const struct ro *r, struct vu_call *c, struct vu_reach *e)
{
	char keep = e->real[e->dirlen];
	int t;

	e->real[e->dirlen] = 0;
	t = vu_roots_holds(&r->roots, c, e->real);
	e->real[e->dirlen] = keep;
	return t;
}

/* is the name the root of a tree (a mount point)? */
static int is_root(const struct ro *r, const struct vu_reach *e)
{
	return vu_roots_is(&r->roots, e->real) ||
	       (e->exists && vu_roots_id(&r->roots, e->dev, e->ino) >= 0);
}

/* ---- the kinds of change ---- */

/* a new name: mkdir, mknod, symlink, link's new name */
static long ro_create(const struct ro *r, struct vu_call *c, int i)
{
	struct vu_reach e;
	long ret = vu_op_reach(c, i, VU_REACH_PARENT | VU_REACH_STAT, &e);

	if (ret < 0)
		ret = lookup_failed(ret);
	else if (!e.name[0])
		ret = PASS;		/* EEXIST or EISDIR from the kernel */
	else if (folder_tree(r, c, &e) < 0 && !is_root(r, &e))
		ret = PASS;
	else
		ret = e.exists ? -EEXIST : -EROFS;
	vu_reach_close(&e);
	return ret;
}

/* unlink, rmdir: a name goes */
static long ro_remove(const struct ro *r, struct vu_call *c, int i, int rmdir)
{
	struct vu_reach e;
	long ret = vu_op_reach(c, i, VU_REACH_PARENT | VU_REACH_STAT, &e);

	if (ret < 0) {
		ret = lookup_failed(ret);
	} else if (!e.name[0]) {
		ret = PASS;		/* EINVAL, ENOTEMPTY, EBUSY, EISDIR */
	} else if (folder_tree(r, c, &e) >= 0) {
		ret = -EROFS;
	} else if (is_root(r, &e) && e.exists) {
		/* the root of a tree: a mount point */
		ret = rmdir ? (S_ISDIR(e.mode) ? -EBUSY : -ENOTDIR) :
			      (S_ISDIR(e.mode) ? -EISDIR : -EBUSY);
	} else {
		ret = PASS;
	}
	vu_reach_close(&e);
	return ret;
}

/* does a tree lie at or below path? (renaming such a folder moves it) */
static int holds_tree(const struct ro *r, const char *path)
{
	for (int i = 0; i < r->roots.n; i++)
		if (vu_path_prefix(r->roots.path[i], path) >= 0)
			return 1;
	return 0;
}

/* rename*: both names change */
static long ro_rename(const struct ro *r, struct vu_call *c)
{
	struct vu_reach o, n;
	long ret = vu_op_reach(c, 0, VU_REACH_PARENT | VU_REACH_STAT, &o);
	int to, tn;

	n.fd = -1;
	if (ret == 0)
		ret = vu_op_reach(c, 1, VU_REACH_PARENT | VU_REACH_STAT, &n);
	if (ret < 0) {
		ret = lookup_failed(ret);
	} else if (!o.name[0] || !n.name[0]) {
		ret = PASS;		/* EBUSY from the kernel */
	} else {
		to = folder_tree(r, c, &o);
		tn = folder_tree(r, c, &n);
		if (to != tn)
			ret = -EXDEV;
		else if (to >= 0)
			ret = -EROFS;
		else if (holds_tree(r, o.real) || holds_tree(r, n.real) || is_root(r, &o) ||
			 is_root(r, &n))
			ret = o.exists ? -EBUSY : -ENOENT;
		else
			ret = PASS;
	}
	vu_reach_close(&o);
	vu_reach_close(&n);
	return ret;
}

/* link*: a new name for an existing object */
static long ro_link(const struct ro *r, struct vu_call *c)
{
	struct vu_reach obj, n;
	long ret = vu_op_reach(c, 0, 0, &obj);
	int tn;

	n.fd = -1;
	if (ret == 0)
		ret = vu_op_reach(c, 1, VU_REACH_PARENT | VU_REACH_STAT, &n);
	if (ret < 0) {
		ret = lookup_failed(ret);
	} else if (!n.name[0]) {
		ret = PASS;		/* EEXIST from the kernel */
	} else {
		tn = folder_tree(r, c, &n);
		if (tn >= 0 || is_root(r, &n))
			ret = n.exists ? -EEXIST : -EROFS;
		else if (vu_roots_holds(&r->roots, c, obj.real) != tn)
			ret = -EXDEV;
		else
			ret = PASS;
	}
	vu_reach_close(&obj);
	vu_reach_close(&n);
	return ret;
}

enum inode_op { OP_ATTR, OP_TRUNCATE, OP_ACCESS };

/* chmod, chown, truncate, utimes, xattrs: the object itself changes */
static long ro_inode(const struct ro *r, struct vu_call *c, int i, enum inode_op op)
{
	struct vu_reach o;
	long e = vu_op_reach(c, i, VU_REACH_STAT, &o);

	if (e == 0 && vu_roots_holds(&r->roots, c, o.real) < 0)
		e = PASS;
	else if (e == 0 && op == OP_TRUNCATE && S_ISDIR(o.mode))
		e = -EISDIR;
	else if (e == 0 && op == OP_TRUNCATE && !S_ISREG(o.mode))
		e = -EINVAL;
	else if (e == 0 && op == OP_ACCESS && is_special(o.mode))
		e = PASS;
	else if (e == 0)
		e = -EROFS;
	else
		e = lookup_failed(e);
	vu_reach_close(&o);
	return e;
}

/* fchmod, fchown, fsetxattr, ftruncate...: through a descriptor */
static long by_fd(const struct ro *r, struct vu_call *c, int fd, int data)
{
	char *path = vu_call_alloc(c, PATH_MAX);
	long fl;

	if (!path)
		return -ENOMEM;
	fl = vu_sys2(SYS_fcntl, fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH))
		return PASS;		/* EBADF from the kernel */
	if (data && (fl & O_ACCMODE) == O_RDONLY)
		return PASS;		/* EINVAL / EBADF from the kernel */
	if (vu_fd_realpath(fd, path, PATH_MAX) < 0 || vu_roots_holds(&r->roots, c, path) < 0)
		return PASS;
	return -EROFS;
}

/* an open with write flags: which of them ask to change something */
static long open_check(const struct ro *r, struct vu_call *c)
{
	const struct vu_op *op = c->op;
	unsigned long flags = op->oflags;
	int wr = (flags & O_ACCMODE) != O_RDONLY, dirfd = vu_op_dirfd(c, 0), owned = -1;
	const char *path = (const char *)c->args[op->path[0].arg];
	char *target[2];
	unsigned long mark;
	long ret = PASS;

	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return wr ? ro_inode(r, c, 0, OP_ATTR) : PASS;
	if (!wr && !(flags & (O_CREAT | O_TRUNC)))
		return PASS;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return ro_create(r, c, 0);
	target[0] = vu_call_alloc(c, PATH_MAX);
	target[1] = vu_call_alloc(c, PATH_MAX);
	if (!target[1])
		return -ENOMEM;
	mark = c->scratch_used;
	/* O_CREAT through a dangling symlink makes its target: follow it,
	 * from the link's folder, as many times as the kernel would */
	for (int hop = 0; hop < 40; hop++) {
		struct vu_reach o, en;
		long e, n;

		vu_call_release(c, mark);
		e = vu_reach_at(c, dirfd, path, VU_REACH_STAT | (op->path[0].follow ? VU_REACH_FOLLOW : 0),
				op->resolve, &o);
		vu_reach_close(&o);
		if (e == 0) {
			/* folders (EISDIR), symlinks (ELOOP), devices: as the kernel */
			if (vu_roots_holds(&r->roots, c, o.real) >= 0 && S_ISREG(o.mode) &&
			    (wr || (flags & O_TRUNC)))
				ret = -EROFS;
			break;
		}
		if (e != -ENOENT || !(flags & O_CREAT)) {
			ret = lookup_failed(e);
			break;
		}
		e = vu_reach_at(c, dirfd, path, VU_REACH_PARENT | VU_REACH_STAT, op->resolve, &en);
		if (e < 0 || !en.name[0]) {
			ret = lookup_failed(e);
		} else if (en.exists) {
			if (S_ISLNK(en.mode) && !(flags & O_NOFOLLOW)) {
				n = vu_sys4(SYS_readlinkat, en.fd, en.name, target[hop & 1], PATH_MAX - 1);
				if (n > 0 && n < PATH_MAX - 1) {
					target[hop & 1][n] = 0;
					if (owned >= 0)
						vu_sys1(SYS_close, owned);
					owned = dirfd = en.fd;
					path = target[hop & 1];
					continue;
				}
			}
		} else if (folder_tree(r, c, &en) >= 0 || is_root(r, &en)) {
			ret = -EROFS;
		}
		vu_reach_close(&en);
		break;
	}
	if (owned >= 0)
		vu_sys1(SYS_close, owned);
	return ret;
}

/* open_by_handle_at: find the file first, O_PATH */
static long by_handle(const struct ro *r, struct vu_call *c)
{
	long fd, ret = PASS;
	char *path = vu_call_alloc(c, PATH_MAX);

	if (!path)
		return -ENOMEM;
	fd = vu_sys3(SYS_open_by_handle_at, c->args[0], c->args[1], O_PATH | O_CLOEXEC);
	if (fd < 0)
		return lookup_failed(fd);
	if (vu_fd_realpath((int)fd, path, PATH_MAX) >= 0 && vu_roots_holds(&r->roots, c, path) >= 0)
		ret = -EROFS;
	vu_sys1(SYS_close, fd);
	return ret;
}

/* utimensat with both times UTIME_OMIT changes nothing */
static int changes_nothing(const struct vu_call *c)
{
	const struct timespec *ts = (const struct timespec *)c->args[2];

	return c->nr == VU_NR_utimensat && ts && ts[0].tv_nsec == UTIME_OMIT &&
	       ts[1].tv_nsec == UTIME_OMIT;
}

/* mknod of a folder or of an unknown type: EPERM or EINVAL from the kernel */
static int bad_mknod(const struct vu_call *c)
{
	int at;
	unsigned type;

#ifdef VU_NR_mknod
	if (c->nr != VU_NR_mknod && c->nr != VU_NR_mknodat)
		return 0;
#else
	if (c->nr != VU_NR_mknodat)
		return 0;
#endif
	at = c->nr == VU_NR_mknodat;
	type = (unsigned)c->args[at + 1] & S_IFMT;
	return type && !S_ISREG(type) && !is_special(type);
}

/* is this removal an rmdir? */
static int removes_dir(const struct vu_call *c)
{
#ifdef VU_NR_rmdir
	if (c->nr == VU_NR_rmdir)
		return 1;
#endif
	return c->nr == VU_NR_unlinkat && (c->args[2] & AT_REMOVEDIR);
}

/* openat2 with RESOLVE_NO_XDEV: a lookup that crosses a tree's border
 * crosses a mount on a real read-only bind mount (EXDEV), reads too */
static long crosses(const struct ro *r, struct vu_call *c)
{
	struct vu_reach d, o;
	long e = vu_reach_at(c, vu_op_dirfd(c, 0), "", VU_REACH_EMPTY, 0, &d);
	int from = e == 0 ? vu_roots_holds(&r->roots, c, d.real) : -1;

	vu_reach_close(&d);
	if (e < 0)
		return PASS;
	e = vu_op_reach(c, 0, 0, &o);
	if (e == -ENOENT) {
		vu_reach_close(&o);
		e = vu_op_reach(c, 0, VU_REACH_PARENT, &o);
		if (e == 0)
			o.real[o.dirlen] = 0;	/* the folder is where the lookup ends */
	}
	if (e == 0 && vu_roots_holds(&r->roots, c, o.real) != from)
		e = -EXDEV;
	else
		e = PASS;
	vu_reach_close(&o);
	return e;
}

/* what the call would change: PASS or the error of a read-only mount */
static long classify(const struct ro *r, struct vu_call *c)
{
	const struct vu_op *op = c->op;
	long e;

	if (op->kind == VU_OP_OPEN && (op->resolve & RESOLVE_NO_XDEV) && op->npaths &&
	    crosses(r, c) != PASS)
		return -EXDEV;
	if (!op->writes)
		return PASS;
	switch (op->kind) {
	case VU_OP_MOUNT:
		return PASS;	/* changes no file; a read-only mount allows it too */
	case VU_OP_OPEN:
		return op->npaths ? open_check(r, c) : by_handle(r, c);
	case VU_OP_RENAME:
		return ro_rename(r, c);
	case VU_OP_LINK:
		return ro_link(r, c);
	}
	if (changes_nothing(c) || bad_mknod(c))
		return PASS;
	for (int i = 0; i < op->npaths; i++) {
		const struct vu_op_path *p = &op->path[i];

		if (p->role == VU_ROLE_CONTENT)
			continue;
		if (p->empty && !c->args[p->arg] && p->dirfd_arg >= 0)
			e = by_fd(r, c, (int)c->args[p->dirfd_arg], 0);	/* utimensat(fd, NULL) */
		else if (p->role == VU_ROLE_NEW)
			e = ro_create(r, c, i);
		else if (p->role == VU_ROLE_OLD)
			e = ro_remove(r, c, i, removes_dir(c));
		else
			e = ro_inode(r, c, i, op->kind == VU_OP_WRITE ? OP_TRUNCATE : OP_ATTR);
		if (e != PASS)
			return e;
	}
	if (op->npaths == 0 && op->fd_arg >= 0)
		return by_fd(r, c, (int)c->args[op->fd_arg], op->kind == VU_OP_WRITE);
	return PASS;
}

static enum vu_action ro_enter(struct vu_layer *self, struct vu_call *c)
{
	unsigned long mark = c->scratch_used;
	long ret;

	/* a read is let on by its flags alone; a write is judged by the
	 * object the kernel reaches: not remembered */
	if (c->op->writes || (c->op->resolve & RESOLVE_NO_XDEV))
		vu_call_nocache(c);
	ret = classify(self->state, c);

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
	const struct vu_op *op = c->op;
	unsigned long mark = c->scratch_used;
	struct vu_reach o;

	if (c->ret != 0 || !looks_after(c->nr))
		return;
	if (op->npaths == 0) {
		/* fstatfs */
		if (vu_reach_at(c, (int)c->args[op->fd_arg], "", VU_REACH_EMPTY, 0, &o) == 0 &&
		    vu_roots_holds(&r->roots, c, o.real) >= 0)
			((struct statfs *)c->args[1])->f_flags |= ST_RDONLY;
		vu_reach_close(&o);
	} else if (c->nr == VU_NR_statfs) {
		if (vu_op_reach(c, 0, 0, &o) == 0 && vu_roots_holds(&r->roots, c, o.real) >= 0)
			((struct statfs *)c->args[1])->f_flags |= ST_RDONLY;
		vu_reach_close(&o);
	} else if (c->args[op->path[0].arg + 1] & W_OK) {
		/* access, faccessat, faccessat2: the mode follows the path */
		c->ret = ro_inode(r, c, 0, OP_ACCESS);
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
