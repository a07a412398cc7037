/*
 * fakeroot.c -- the fakeroot layer: the program runs as root. Its user and
 * group ids are 0 (ids.c); every change of owner, mode or device
 * node it makes is recorded in the state file (db.c) instead of
 * (owner, device) or beside (mode) the real file, and every stat-family
 * call shows the records back. Which call is which comes from the table
 * (plan(): kind, argument kinds, "does".ids/xattr/node/exchange), so every
 * variant (by path, by fd, *at, AT_EMPTY_PATH, *at2) is handled alike.
 *
 * - chown family: the target is stat'ed first (its (dev, ino) is the key)
 *   and the new owner recorded; the real owner never changes. When a layer
 *   below wants the call it goes down as chown(path, -1, -1) (EPERM from it
 *   counts as success) and the record is made if it succeeds; else the
 *   layer answers itself (EROFS on a read-only file system).
 * - setxattr (any variant) of system.posix_acl_access (cp -a copies modes so) changes a
 *   recorded mode's permission bits.
 * - security.* and trusted.* attributes (setcap's security.capability):
 *   set, got, listed and removed in STATE.xattr (xattr.c), never on the
 *   file; the kernel's stand where the log has no record.
 * - chmod family: the real file gets the permission bits without set-id
 *   and sticky bits and always readable and writable by its real owner;
 *   the requested mode is recorded when the two differ.
 * - mknod of a character or block device makes an empty regular file and
 *   records the type and device number.
 * - unlink, rmdir, rename over a file: the record of an inode whose last
 *   link goes is forgotten, so that a new file in the same inode does not
 *   inherit it; the birth time kept in each record catches inodes freed
 *   outside vu.
 * - stat, lstat, fstat, newfstatat, statx and getdents64's d_type show the
 *   records; a file with no record shows the real owner, with the real
 *   user's own uid and gid shown as 0. Once anything is recorded, a stat
 *   that no layer below wants is made as one statx here (the birth time
 *   comes with it); else (and for a statx that did not ask for it) the
 *   birth time of a record that has one costs a second call.
 *
 * Order in a stack: below the layers that rewrite paths (remap, bind), so
 * that it stats what the kernel will see.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/stat.h>
#include "fakeroot.h"

/* what the layer does with a call, decided once per call number from the
 * table (plan()): by its kind and the kinds of its arguments */
enum { W_NONE, W_IDS, W_EXEC, W_CHOWN, W_CHMOD, W_XATTR, W_MKNOD, W_REMOVE, W_STAT, W_STATX, W_DENTS };

struct fakeroot {
	struct fr_db db;
	struct fr_xa xa;		/* security.* and trusted.* attributes */
	uint32_t real_uid, real_gid;	/* shown as 0 when nothing is recorded */
	const struct vu_layer *self;	/* this layer in the stack */
	unsigned char what[VU_NR_COUNT];	/* W_* of each call */
};

/* fr_arg_of_kind -- see fakeroot.h */
int fr_arg_of_kind(long nr, int kind)
{
	const struct vu_sc_shape *s = &vu_sc_shapes[nr];

	for (int i = 0; i < s->nargs; i++)
		if (s->kind[i] == kind)
			return i;
	return -1;
}

/* the argument of call nr that a stat-family call fills: struct stat or
 * struct statx out (W_STAT, W_STATX), else W_NONE */
static int stat_out(long nr, int *at)
{
	const struct vu_syscall_info *s = &vu_syscalls[nr];

	for (int i = 0; i < s->nargs; i++) {
		if (s->args[i].kind != VU_ARG_STRUCT_OUT)
			continue;
		*at = i;
		if (!vu_strcmp(s->args[i].strct, "stat"))
			return W_STAT;
		if (!vu_strcmp(s->args[i].strct, "statx"))
			return W_STATX;
	}
	return W_NONE;
}

/* plan -- what the layer does with call nr, from what the table says */
static int plan(long nr)
{
	const struct vu_sem *s = &vu_sems[nr];
	int at;

	if (!vu_syscalls[nr].name[0])
		return W_NONE;
	if (fr_ids_wants(nr))
		return W_IDS;
	switch (nr) {
	case VU_NR_getdents64:	/* d_type in its records: what only it returns */
		return W_DENTS;
	}
	switch (s->kind) {
	case VU_OP_EXEC:
		return W_EXEC;
	case VU_OP_META:
		if (fr_arg_of_kind(nr, VU_ARG_UID) >= 0 || fr_arg_of_kind(nr, VU_ARG_GID) >= 0)
			return W_CHOWN;
		if (fr_arg_of_kind(nr, VU_ARG_MODE) >= 0)
			return W_CHMOD;
		if (s->xattr.op == VU_XATTR_SET || s->xattr.op == VU_XATTR_REMOVE)
			return W_XATTR;
		return W_NONE;
	case VU_OP_CREATE:
		return s->node_mode >= 0 && s->node_dev >= 0 ? W_MKNOD : W_NONE;
	case VU_OP_DELETE: case VU_OP_RENAME:
		return W_REMOVE;
	}
	if (s->xattr.op == VU_XATTR_GET || s->xattr.op == VU_XATTR_LIST)
		return W_XATTR;
	return stat_out(nr, &at);
}

/* ---- what one inode looks like ---- */

struct finfo {
	uint64_t dev, ino, gen;
	uint32_t mode, nlink;
};

static uint64_t mkdev(uint32_t major, uint32_t minor)
{
	return ((uint64_t)(major & 0xfffff000U) << 32) | ((uint64_t)(major & 0xfffU) << 8) |
	       ((uint64_t)(minor & 0xffffff00U) << 12) | (minor & 0xffU);
}

static uint64_t btime_gen(const struct statx *sx)
{
	if (!(sx->stx_mask & STATX_BTIME))
		return 0;
	return (uint64_t)sx->stx_btime.tv_sec * 1000000000ULL + sx->stx_btime.tv_nsec;
}

/* finfo_at -- statx through the gate (not through the layers below: the
 * arguments are already theirs to see when we look) */
static long finfo_at(int dirfd, const char *path, int flags, struct finfo *f)
{
	struct statx sx;
	long r;

	sx.stx_mask = 0;
	r = vu_sys5(SYS_statx, dirfd, path, flags, STATX_BASIC_STATS | STATX_BTIME, &sx);
	if (r == -ENOSYS) {
		struct stat st;

		r = vu_sys4(SYS_newfstatat, dirfd, path, &st, flags);
		if (r)
			return r;
		*f = (struct finfo){ st.st_dev, st.st_ino, 0, st.st_mode, (uint32_t)st.st_nlink };
		return 0;
	}
	if (r)
		return r;
	f->dev = mkdev(sx.stx_dev_major, sx.stx_dev_minor);
	f->ino = sx.stx_ino;
	f->gen = btime_gen(&sx);
	f->mode = sx.stx_mode;
	f->nlink = sx.stx_nlink;
	return 0;
}

/* ---- calls in flight: what enter() saw, for leave() ---- */

enum { P_CHOWN = 1, P_CHMOD, P_MKNOD, P_FORGET, P_STAT };

struct pending {
	struct pending *prev;
	const struct vu_call *c;
	int op;
	uint64_t dev, ino;
	uint32_t perm;		/* P_MKNOD: requested permission bits */
	struct fr_change ch;
};

/* innermost call of this thread with a pending entry (entries live in the
 * calls' scratch; a signal handler's call nests above its victim's) */
static __thread struct pending *fr_top __attribute__((tls_model("initial-exec")));

static struct pending *push(struct vu_call *c, int op)
{
	struct pending *p = vu_call_alloc(c, sizeof(*p));

	if (!p)
		return NULL;
	*p = (struct pending){ .prev = fr_top, .c = c, .op = op };
	fr_top = p;
	return p;
}

static struct pending *pop(const struct vu_call *c)
{
	struct pending *p = fr_top;

	if (!p || p->c != c)
		return NULL;
	fr_top = p->prev;
	return p;
}

/* ---- showing records ---- */

static enum vu_action done(struct vu_call *c, long ret)
{
	c->ret = ret;
	return VU_DONE;
}

/* does a layer below this one want call c? */
static int below(const struct fakeroot *fr, const struct vu_call *c)
{
	return vu_below_wants(fr->self, c->nr);
}


static void show_ids(const struct fakeroot *fr, const struct fr_rec *r, uint32_t *uid,
		     uint32_t *gid)
{
	if (r && (r->flags & FR_UID))
		*uid = r->uid;
	else if (*uid == fr->real_uid)
		*uid = 0;
	if (r && (r->flags & FR_GID))
		*gid = r->gid;
	else if (*gid == fr->real_gid)
		*gid = 0;
}

/* where the object of the call is, for a statx of our own: its descriptor
 * (dirfd, "", AT_EMPTY_PATH), or path i of c->op with its follow rule */
static void target_path(const struct vu_call *c, int i, int *dirfd, const char **path, int *flags)
{
	const struct vu_op *op = c->op;

	if (op->npaths <= i) {
		*dirfd = op->fd_arg >= 0 ? (int)c->args[op->fd_arg] : AT_FDCWD;
		*path = "";
		*flags = AT_EMPTY_PATH;
		return;
	}
	*dirfd = vu_op_dirfd(c, i);
	*path = (const char *)c->args[op->path[i].arg];
	*flags = (op->path[i].follow ? 0 : AT_SYMLINK_NOFOLLOW) | (op->path[i].empty ? AT_EMPTY_PATH : 0);
	if (!*path && op->path[i].empty)
		*path = "";
}

static void target(const struct vu_call *c, int *dirfd, const char **path, int *flags)
{
	target_path(c, 0, dirfd, path, flags);
}

/* the path of c->op in role, or -1 */
static int path_in_role(const struct vu_call *c, int role)
{
	for (int i = 0; i < c->op->npaths; i++)
		if (c->op->path[i].role == role)
			return i;
	return -1;
}

/* the struct stat a stat-family call (not statx) fills */
static struct stat *stat_buf(const struct vu_call *c)
{
	int at = -1;

	stat_out(c->nr, &at);
	return at >= 0 ? (struct stat *)c->args[at] : NULL;
}

static void show_stat(const struct fakeroot *fr, const struct fr_rec *r, struct stat *st)
{
	uint32_t uid = st->st_uid, gid = st->st_gid;

	show_ids(fr, r, &uid, &gid);
	st->st_uid = uid;
	st->st_gid = gid;
	if (r && (r->flags & FR_MODE))
		st->st_mode = r->mode;
	if (r && (r->flags & FR_RDEV))
		st->st_rdev = mkdev((r->rdev >> 8) & 0xfff, (r->rdev & 0xff) | ((r->rdev >> 12) & 0xfff00));
}

static void stat_from_statx(struct stat *st, const struct statx *sx)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = mkdev(sx->stx_dev_major, sx->stx_dev_minor);
	st->st_ino = sx->stx_ino;
	st->st_nlink = sx->stx_nlink;
	st->st_mode = sx->stx_mode;
	st->st_uid = sx->stx_uid;
	st->st_gid = sx->stx_gid;
	st->st_rdev = mkdev(sx->stx_rdev_major, sx->stx_rdev_minor);
	st->st_size = (off_t)sx->stx_size;
	st->st_blksize = sx->stx_blksize;
	st->st_blocks = (blkcnt_t)sx->stx_blocks;
	st->st_atim.tv_sec = sx->stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx->stx_ctime.tv_nsec;
}

/* the birth time of what a stat-family call looked at */
static uint64_t gen_of_call(const struct vu_call *c, uint64_t ino)
{
	int dirfd, flags;
	const char *path;
	struct finfo f;

	target(c, &dirfd, &path, &flags);
	if (finfo_at(dirfd, path, flags, &f) || f.ino != ino)
		return 0;
	return f.gen;
}

/* the record of inode (dev, ino), or 0; -EIO when damaged. A record whose
 * birth time differs from the file's (gen) belongs to a file that lived in
 * this inode before: ignored. gen 0: unknown; with c (a stat-family call
 * that did not return it) it is asked for when the record has one */
static int record_of(struct fakeroot *fr, const struct vu_call *c, uint64_t dev, uint64_t ino,
		     uint64_t gen, struct fr_rec *r)
{
	int g;

	if (fr_db_empty(&fr->db))
		return 0;
	g = fr_db_get(&fr->db, dev, ino, r);
	if (g > 0 && r->gen && !gen && c)
		gen = gen_of_call(c, ino);
	if (g > 0 && r->gen && gen && gen != r->gen)
		return 0;
	return g;
}

/* with records to show and no layer below wanting the call, a stat is
 * made as one statx: the birth time that tells a record's inode from a
 * later one comes with it (else leave() would need a second call) */
static enum vu_action enter_stat(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd, flags, g;
	const char *path;
	struct stat *st = stat_buf(c);
	struct statx sx;
	struct fr_rec r;
	long e;

	if (fr_db_empty(&fr->db) || below(fr, c) || !push(c, P_STAT))
		return VU_CONTINUE;
	target(c, &dirfd, &path, &flags);
	sx.stx_mask = 0;
	e = vu_sys5(SYS_statx, dirfd, path, flags | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME, &sx);
	if (e == -ENOSYS) {
		pop(c);
		return VU_CONTINUE;
	}
	if (e)
		return done(c, e);
	if (!st)
		return done(c, -EFAULT);
	stat_from_statx(st, &sx);
	g = record_of(fr, NULL, st->st_dev, st->st_ino, btime_gen(&sx), &r);
	if (g < 0)
		return done(c, g);
	show_stat(fr, g > 0 ? &r : NULL, st);
	return done(c, 0);
}

static void leave_stat(struct fakeroot *fr, struct vu_call *c)
{
	struct stat *st = stat_buf(c);
	struct fr_rec r;
	int g;

	if (pop(c) || c->ret || !st)
		return;		/* answered by enter_stat */
	g = record_of(fr, c, st->st_dev, st->st_ino, 0, &r);
	if (g < 0) {
		c->ret = g;
		return;
	}
	show_stat(fr, g > 0 ? &r : NULL, st);
}

static void leave_statx(struct fakeroot *fr, struct vu_call *c, int at)
{
	struct statx *sx = (struct statx *)c->args[at];
	struct fr_rec r;
	int g;

	if (c->ret || !sx)
		return;
	g = record_of(fr, c, mkdev(sx->stx_dev_major, sx->stx_dev_minor), sx->stx_ino, btime_gen(sx), &r);
	if (g < 0) {
		c->ret = g;
		return;
	}
	show_ids(fr, g > 0 ? &r : NULL, &sx->stx_uid, &sx->stx_gid);
	if (g > 0 && (r.flags & FR_MODE))
		sx->stx_mode = (uint16_t)r.mode;
	if (g > 0 && (r.flags & FR_RDEV)) {
		sx->stx_rdev_major = (r.rdev >> 8) & 0xfff;
		sx->stx_rdev_minor = (r.rdev & 0xff) | ((r.rdev >> 12) & 0xfff00);
	}
}

/* directory listings show recorded device nodes as devices (find -type c) */
static void leave_getdents(struct fakeroot *fr, struct vu_call *c)
{
	char *buf = (char *)c->args[1];
	struct stat dir;

	if (c->ret <= 0 || !fr_db_has_devices(&fr->db) ||
	    vu_sys2(SYS_fstat, c->args[0], &dir))
		return;
	for (long off = 0; off < c->ret;) {
		struct dirent64 *d = (struct dirent64 *)(buf + off);
		struct fr_rec r;
		struct finfo f;

		off += d->d_reclen;
		if (d->d_reclen == 0)
			break;
		if (d->d_type != DT_REG || fr_db_get(&fr->db, dir.st_dev, d->d_ino, &r) <= 0 ||
		    !(r.flags & FR_MODE) || !(S_ISCHR(r.mode) || S_ISBLK(r.mode)))
			continue;
		if (finfo_at((int)c->args[0], d->d_name, AT_SYMLINK_NOFOLLOW, &f) ||
		    f.ino != d->d_ino || (r.gen && f.gen && r.gen != f.gen))
			continue;
		d->d_type = S_ISCHR(r.mode) ? DT_CHR : DT_BLK;
	}
}

/* ---- changing ---- */


/* flag bits of the object path's flags argument the table does not know
 * (the kernel says EINVAL for them) */
static int unknown_flags(const struct vu_call *c)
{
	const struct vu_sem_path *p = &vu_sems[c->nr].path[0];

	if (c->op->npaths == 0 || p->flags < 0)
		return 0;
	return (c->args[p->flags] & ~(long)(p->nofollow | p->follow_flag | p->empty)) != 0;
}

/* chown family: the new owner (uid and gid arguments) is recorded */
static enum vu_action enter_chown(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd, flags, ui = fr_arg_of_kind(c->nr, VU_ARG_UID), gi = fr_arg_of_kind(c->nr, VU_ARG_GID);
	const char *path;
	struct pending *p;
	struct finfo f;
	uint32_t uid, gid;
	long r;

	uid = ui >= 0 ? (uint32_t)c->args[ui] : (uint32_t)-1;
	gid = gi >= 0 ? (uint32_t)c->args[gi] : (uint32_t)-1;
	if (unknown_flags(c))
		return done(c, -EINVAL);
	if (uid == (uint32_t)-1 && gid == (uint32_t)-1)
		return VU_CONTINUE;
	target(c, &dirfd, &path, &flags);
	r = finfo_at(dirfd, path, flags, &f);
	if (r)
		return done(c, r);
	p = push(c, P_CHOWN);
	if (!p)
		return done(c, -ENOMEM);
	p->dev = f.dev;
	p->ino = f.ino;
	p->ch.set = (uid != (uint32_t)-1 ? FR_UID : 0) | (gid != (uint32_t)-1 ? FR_GID : 0);
	p->ch.rec.uid = uid;
	p->ch.rec.gid = gid;
	p->ch.rec.gen = f.gen;
	if (!below(fr, c)) {
		/* nothing below looks at chown: answered here. What the kernel
		 * would still refuse: a read-only file system, an O_PATH fd */
		pop(c);
		r = vu_sys4(SYS_faccessat2, dirfd, path, W_OK, AT_EACCESS | flags);
		if (r == -EROFS)
			return done(c, r);
		if (c->op->npaths == 0) {
			r = vu_sys2(SYS_fcntl, dirfd, F_GETFL);
			if (r >= 0 && (r & O_PATH))
				r = -EBADF;
			if (r < 0)
				return done(c, r);
		}
		return done(c, fr_db_change(&fr->db, p->dev, p->ino, &p->ch));
	}
	/* the call still goes down, as a chown that changes nothing */
	if (ui >= 0)
		c->args[ui] = (long)(uint32_t)-1;
	if (gi >= 0)
		c->args[gi] = (long)(uint32_t)-1;
	return VU_CONTINUE;
}

/* a recorded mode change of the object of c: pending until the call succeeds */
static enum vu_action pend_mode(struct vu_call *c, const struct finfo *f, uint32_t mode)
{
	struct pending *p = push(c, P_CHMOD);

	if (!p)
		return done(c, -ENOMEM);
	p->dev = f->dev;
	p->ino = f->ino;
	p->ch.set = FR_MODE;
	p->ch.keep_type = 1;
	p->ch.rec.mode = (f->mode & S_IFMT) | mode;
	p->ch.rec.gen = f->gen;
	return VU_CONTINUE;
}

/* chmod family: the real file gets a mode that never locks its owner out,
 * the requested one is recorded */
static enum vu_action enter_chmod(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd, flags, mi = fr_arg_of_kind(c->nr, VU_ARG_MODE);
	const char *path;
	uint32_t mode, disk;
	struct fr_rec r;
	struct finfo f;
	long e;
	int had;

	mode = (uint32_t)c->args[mi] & 07777;
	/* the kernel would keep this mode as it is: nothing to record */
	if (fr_db_empty(&fr->db) && (mode & 07700) == 0700)
		return VU_CONTINUE;
	target(c, &dirfd, &path, &flags);
	e = finfo_at(dirfd, path, flags, &f);
	if (e)
		return done(c, e);
	if (S_ISLNK(f.mode))
		return VU_CONTINUE;
	disk = (mode & 0777) | S_IRUSR | S_IWUSR | (S_ISDIR(f.mode) ? S_IXUSR : 0);
	had = record_of(fr, NULL, f.dev, f.ino, f.gen, &r);
	if (had < 0)
		return done(c, had);
	c->args[mi] = disk;
	if (disk == mode && !(had > 0 && (r.flags & FR_MODE)))
		return VU_CONTINUE;
	return pend_mode(c, &f, mode);
}

/* mknod of a character or block device ("node": mode's type, device dev):
 * an empty regular file, the type and device number recorded */
static enum vu_action enter_mknod(struct vu_call *c)
{
	const struct vu_sem *s = &vu_sems[c->nr];
	uint32_t mode = (uint32_t)c->args[s->node_mode];
	struct pending *p;

	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return VU_CONTINUE;	/* fifos, sockets and files need no root */
	p = push(c, P_MKNOD);
	if (!p)
		return done(c, -ENOMEM);
	p->perm = mode & 07777;
	p->ch.set = FR_MODE | FR_RDEV;
	p->ch.rec.mode = mode & S_IFMT;
	p->ch.rec.rdev = (uint32_t)c->args[s->node_dev];
	/* a placeholder: an empty regular file */
	c->args[s->node_mode] = S_IFREG | (mode & 0777);
	c->args[s->node_dev] = 0;
	return VU_CONTINUE;
}

static void leave_mknod(struct fakeroot *fr, struct vu_call *c, struct pending *p)
{
	int dirfd, flags;
	const char *path;
	struct finfo f;
	long r;

	if (c->ret)
		return;
	target(c, &dirfd, &path, &flags);
	r = finfo_at(dirfd, path, AT_SYMLINK_NOFOLLOW, &f);
	if (!r) {
		p->ch.rec.mode |= (f.mode & 0777) | (p->perm & 07000);
		p->ch.rec.gen = f.gen;
		r = fr_db_change(&fr->db, f.dev, f.ino, &p->ch);
	}
	if (r) {
		/* not recorded: no device node either */
		vu_sys3(SYS_unlinkat, dirfd, path, 0);
		c->ret = r;
		return;
	}
	if ((f.mode & 0600) != 0600)
		vu_sys3(SYS_fchmodat, dirfd, path, (f.mode & 0777) | 0600);
}

/* delete, rename: the record of an inode that loses its last name (the
 * old name of a delete, the new name a rename replaces) */
static enum vu_action enter_remove(struct fakeroot *fr, struct vu_call *c)
{
	const struct vu_sem *s = &vu_sems[c->nr];
	int rename = c->op->kind == VU_OP_RENAME, flags;
	int di = path_in_role(c, rename ? VU_ROLE_NEW : VU_ROLE_OLD), si = path_in_role(c, VU_ROLE_OLD);
	int sfd, dfd;
	const char *src, *dst;
	struct finfo f, sf;
	struct pending *p;
	struct fr_rec r;

	if (fr_db_empty(&fr->db) || di < 0)
		return VU_CONTINUE;
	if (rename && s->exchange_flags >= 0 && (c->args[s->exchange_flags] & s->exchange))
		return VU_CONTINUE;	/* both names stay */
	target_path(c, di, &dfd, &dst, &flags);
	if (finfo_at(dfd, dst, AT_SYMLINK_NOFOLLOW, &f) || (!S_ISDIR(f.mode) && f.nlink > 1))
		return VU_CONTINUE;
	if (fr_db_get(&fr->db, f.dev, f.ino, &r) <= 0)
		return VU_CONTINUE;
	if (rename) {
		target_path(c, si, &sfd, &src, &flags);
		if (finfo_at(sfd, src, AT_SYMLINK_NOFOLLOW, &sf) || (sf.dev == f.dev && sf.ino == f.ino))
			return VU_CONTINUE;
	}
	p = push(c, P_FORGET);
	if (!p)
		return VU_CONTINUE;
	p->dev = f.dev;
	p->ino = f.ino;
	p->ch.forget = 1;
	return VU_CONTINUE;
}

/* setxattr of system.posix_acl_access sets the permission bits (cp -a
 * copies modes that way): a recorded mode follows */
static int acl_perms(const unsigned char *v, unsigned long size, uint32_t *perms)
{
	uint32_t u = 0, g = 0, o = 0, m = 0, have = 0;

	if (!v || size < 4 || (size - 4) % 8 || *(const uint32_t *)v != 2)
		return -1;
	for (unsigned long off = 4; off < size; off += 8) {
		uint16_t tag = *(const uint16_t *)(v + off), perm = *(const uint16_t *)(v + off + 2);

		switch (tag) {
		case 0x01: u = perm & 7; have |= 1; break;
		case 0x04: g = perm & 7; have |= 2; break;
		case 0x10: m = perm & 7; have |= 8; break;
		case 0x20: o = perm & 7; have |= 4; break;
		}
	}
	if ((have & 7) != 7)
		return -1;
	*perms = u << 6 | (have & 8 ? m : g) << 3 | o;
	return 0;
}

/* the value an xattr-setting call sets ("xattr": value and size, or a
 * struct xattr_args) */
static const unsigned char *xattr_value(const struct vu_call *c, unsigned long *size)
{
	const struct vu_sem_xattr *x = &vu_sems[c->nr].xattr;
	const struct { uint64_t value; uint32_t size, flags; } *a;

	if (x->value >= 0) {
		*size = (unsigned long)c->args[x->size];
		return (const unsigned char *)c->args[x->value];
	}
	a = (const void *)c->args[x->args];
	if (!a)
		return NULL;
	*size = a->size;
	return (const unsigned char *)(uintptr_t)a->value;
}

/* the buffer and size of a get (value and size, or a struct xattr_args) */
static unsigned char *xattr_out(const struct vu_call *c, unsigned long *size)
{
	const struct vu_sem_xattr *x = &vu_sems[c->nr].xattr;
	const struct { uint64_t value; uint32_t size, flags; } *a;

	if (x->value >= 0) {
		*size = (unsigned long)c->args[x->size];
		return (unsigned char *)c->args[x->value];
	}
	a = (const void *)c->args[x->args];
	if (!a)
		return NULL;
	*size = a->size;
	return (unsigned char *)(uintptr_t)a->value;
}

/* what the kernel says of the call's object: getxattr of name (value NULL
 * and size 0: its length), or with name NULL listxattr -- through the
 * gate, on the path the call names (a relative one under its dirfd
 * through /proc/self/fd), or the descriptor */
static long kernel_xattr(const struct vu_call *c, const char *name, void *value, unsigned long size)
{
	int dirfd, flags;
	const char *path;
	char full[4096 + 32];

	target(c, &dirfd, &path, &flags);
	if (!*path && (flags & AT_EMPTY_PATH))
		return name ? vu_sys4(SYS_fgetxattr, dirfd, name, value, size) :
			      vu_sys3(SYS_flistxattr, dirfd, value, size);
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		vu_format(full, sizeof(full), "/proc/self/fd/%d/%s", dirfd, path);
		path = full;
	}
	if (name)
		return vu_sys4(flags & AT_SYMLINK_NOFOLLOW ? SYS_lgetxattr : SYS_getxattr, path, name, value, size);
	return vu_sys3(flags & AT_SYMLINK_NOFOLLOW ? SYS_llistxattr : SYS_listxattr, path, value, size);
}

/* is name set on the object, by the log or else by the kernel? */
static int xattr_exists(struct fakeroot *fr, const struct vu_call *c, unsigned char *buf,
			const struct finfo *f, const char *name)
{
	size_t len;
	int st = fr_xa_get(&fr->xa, buf, f->dev, f->ino, f->gen, name, NULL, 0, &len);

	if (st != FR_XA_NONE)
		return st == FR_XA_SET;
	return kernel_xattr(c, name, NULL, 0) >= 0;
}

struct merge {
	char *out;		/* the list being built */
	size_t len, cap;
	int err;
};

static void merge_add(struct merge *m, const char *name)
{
	size_t n = vu_strlen(name) + 1;

	if (m->len + n > m->cap) {
		m->err = -E2BIG;
		return;
	}
	vu_memcpy(m->out + m->len, name, n);
	m->len += n;
}

/* a list: is name in it? */
static int listed(const char *list, size_t len, const char *name)
{
	for (size_t o = 0; o < len; o += vu_strlen(list + o) + 1)
		if (!vu_strcmp(list + o, name))
			return 1;
	return 0;
}

struct log_names {
	struct merge *m;
	const char *kernel;
	size_t klen;
};

static void add_set(void *ctx, const struct fr_xa_key *k, const char *name, int state,
		    const unsigned char *value, size_t len)
{
	struct log_names *l = ctx;

	(void)k;
	(void)value;
	(void)len;
	if (state == FR_XA_SET && !listed(l->kernel, l->klen, name))
		merge_add(l->m, name);
}

/* security.* and trusted.* attributes: kept in STATE.xattr (xattr.c), never
 * set on the file; the kernel's stand where the log has no record */
static enum vu_action enter_xattr(struct fakeroot *fr, struct vu_call *c)
{
	const struct vu_sem_xattr *x = &vu_sems[c->nr].xattr;
	const char *name = x->name >= 0 ? (const char *)c->args[x->name] : NULL;
	unsigned char *buf, *value;
	unsigned long size = 0;
	int dirfd, flags, st;
	const char *path;
	struct finfo f;
	size_t len = 0;
	long r;

	if (x->op != VU_XATTR_LIST && !fr_xa_faked(name))
		return VU_CONTINUE;
	if (fr->xa.fd < 0)
		return VU_CONTINUE;
	buf = vu_call_alloc(c, 2 * FR_XA_MAX);
	if (!buf)
		return VU_CONTINUE;
	target(c, &dirfd, &path, &flags);
	r = finfo_at(dirfd, path, flags, &f);
	if (r)
		return done(c, r);
	switch (x->op) {
	case VU_XATTR_SET: {
		int xflags = x->value >= 0 ? (int)c->args[x->value + 2] : 0;	/* (value, size, flags) */

		value = (unsigned char *)xattr_value(c, &size);
		if (x->args >= 0 && c->args[x->args])
			xflags = (int)((const uint32_t *)c->args[x->args])[3];
		if ((xflags & ~3) || (xflags & 3) == 3)
			return done(c, -EINVAL);
		if (xflags & 3) {	/* XATTR_CREATE 1, XATTR_REPLACE 2 */
			int has = xattr_exists(fr, c, buf, &f, name);

			if ((xflags & 1) && has)
				return done(c, -EEXIST);
			if ((xflags & 2) && !has)
				return done(c, -ENODATA);
		}
		if (size > FR_XA_MAX - 48 - 256)
			return done(c, -E2BIG);
		if (size && !value)
			return done(c, -EFAULT);
		vu_memcpy(buf + FR_XA_MAX, value, size);	/* (the record is built in buf) */
		return done(c, fr_xa_put(&fr->xa, buf, f.dev, f.ino, f.gen, name, FR_XA_SET, buf + FR_XA_MAX, size));
	}
	case VU_XATTR_REMOVE:
		if (!xattr_exists(fr, c, buf, &f, name))
			return done(c, -ENODATA);
		return done(c, fr_xa_put(&fr->xa, buf, f.dev, f.ino, f.gen, name, FR_XA_REMOVED, NULL, 0));
	case VU_XATTR_GET:
		value = xattr_out(c, &size);
		st = fr_xa_get(&fr->xa, buf, f.dev, f.ino, f.gen, name, buf + FR_XA_MAX, FR_XA_MAX, &len);
		if (st == FR_XA_NONE)
			return VU_CONTINUE;
		if (st == FR_XA_REMOVED)
			return done(c, -ENODATA);
		if (!size)
			return done(c, (long)len);
		if (size < len)
			return done(c, -ERANGE);
		vu_memcpy(value, buf + FR_XA_MAX, len);
		return done(c, (long)len);
	case VU_XATTR_LIST: {
		/* the kernel's names, less the faked ones the log removed or
		 * does not know, plus the ones it set */
		char *kernel = vu_call_alloc(c, 8192), *out = vu_call_alloc(c, 8192);
		struct merge m = { out, 0, 8192, 0 };
		struct log_names l;
		long kl;

		if (!kernel || !out)
			return VU_CONTINUE;
		value = (unsigned char *)c->args[x->value];
		size = (unsigned long)c->args[x->size];
		kl = kernel_xattr(c, NULL, kernel, 8192);
		if (kl == -ERANGE || kl == -E2BIG)
			return VU_CONTINUE;	/* a list longer than vu's buffer: the kernel's */
		if (kl < 0)
			return done(c, kl);
		for (long o = 0; o < kl; o += vu_strlen(kernel + o) + 1) {
			size_t vl;

			if (!fr_xa_faked(kernel + o) ||
			    fr_xa_get(&fr->xa, buf, f.dev, f.ino, f.gen, kernel + o, NULL, 0, &vl) != FR_XA_REMOVED)
				merge_add(&m, kernel + o);
		}
		l = (struct log_names){ &m, kernel, (size_t)kl };
		fr_xa_last(&fr->xa, buf, &(struct fr_xa_key){ f.dev, f.ino, f.gen }, add_set, &l);
		if (m.err)
			return done(c, m.err);
		if (!size)
			return done(c, (long)m.len);
		if (size < m.len)
			return done(c, -ERANGE);
		vu_memcpy(value, out, m.len);
		return done(c, (long)m.len);
	}
	}
	return VU_CONTINUE;
}

static enum vu_action enter_setxattr(struct fakeroot *fr, struct vu_call *c)
{
	const char *name = (const char *)c->args[vu_sems[c->nr].xattr.name];
	int dirfd, flags;
	const char *path;
	const unsigned char *value;
	unsigned long size = 0;
	struct fr_rec r;
	struct finfo f;
	uint32_t perms;

	if (vu_sems[c->nr].xattr.op != VU_XATTR_SET)
		return enter_xattr(fr, c);
	if (fr_xa_faked(name))
		return enter_xattr(fr, c);
	if (fr_db_empty(&fr->db) || !name || vu_strcmp(name, "system.posix_acl_access"))
		return VU_CONTINUE;
	value = xattr_value(c, &size);
	if (acl_perms(value, size, &perms))
		return VU_CONTINUE;
	target(c, &dirfd, &path, &flags);
	if (finfo_at(dirfd, path, flags, &f) || record_of(fr, NULL, f.dev, f.ino, f.gen, &r) <= 0 ||
	    !(r.flags & FR_MODE))
		return VU_CONTINUE;
	return pend_mode(c, &f, (r.mode & 07000) | perms);
}

/* ---- the layer ---- */

static int fakeroot_init(struct vu_layer *self, char *err, size_t errlen)
{
	struct fakeroot *fr = calloc(1, sizeof(*fr));
	int r;

	if (!fr)
		return -ENOMEM;
	r = fr_db_open(&fr->db, self->opt[0].str, self->check_only, err, errlen);
	if (r) {
		free(fr);
		return r;
	}
	r = fr_xa_open(&fr->xa, self->opt[0].str, self->check_only);
	if (r) {
		vu_format(err, errlen, "cannot open %s.xattr (errno %d)", self->opt[0].str, -r);
		free(fr);
		return r;
	}
	fr->real_uid = (uint32_t)vu_sys0(SYS_getuid);
	fr->real_gid = (uint32_t)vu_sys0(SYS_getgid);
	fr->self = self;
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		fr->what[nr] = (unsigned char)plan(nr);
	fr_ids_init();
	self->state = fr;
	return 0;
}

static int fakeroot_wants(struct vu_layer *self, long nr)
{
	const struct fakeroot *fr = self->state;

	return fr->what[nr] != W_NONE;
}

static enum vu_action fakeroot_enter(struct vu_layer *self, struct vu_call *c)
{
	struct fakeroot *fr = self->state;

	switch (fr->what[c->nr]) {
	case W_IDS:
		return done(c, fr_ids_call(c));
	case W_CHOWN:
		return enter_chown(fr, c);
	case W_CHMOD:
		return enter_chmod(fr, c);
	case W_MKNOD:
		return enter_mknod(c);
	case W_REMOVE:
		return enter_remove(fr, c);
	case W_XATTR:
		return enter_setxattr(fr, c);
	case W_STAT:
		return enter_stat(fr, c);
	case W_EXEC:
		fr_ids_exec_enter(c);
		return VU_CONTINUE;
	}
	return VU_CONTINUE;
}

static void fakeroot_leave(struct vu_layer *self, struct vu_call *c)
{
	struct fakeroot *fr = self->state;
	struct pending *p;
	int at = -1;

	switch (fr->what[c->nr]) {
	case W_STAT:
		leave_stat(fr, c);
		return;
	case W_STATX:
		stat_out(c->nr, &at);
		leave_statx(fr, c, at);
		return;
	case W_DENTS:
		leave_getdents(fr, c);
		return;
	case W_EXEC:
		fr_ids_exec_leave(c);
		return;
	}
	p = pop(c);
	if (!p)
		return;
	switch (p->op) {
	case P_CHOWN:
		if (c->ret == 0 || c->ret == -EPERM)
			c->ret = fr_db_change(&fr->db, p->dev, p->ino, &p->ch);
		break;
	case P_CHMOD:
		if (c->ret == 0)
			c->ret = fr_db_change(&fr->db, p->dev, p->ino, &p->ch);
		break;
	case P_MKNOD:
		leave_mknod(fr, c, p);
		break;
	case P_FORGET:
		if (c->ret == 0)
			fr_db_change(&fr->db, p->dev, p->ino, &p->ch);
		break;
	}
}

const struct vu_layer_ops vu_layer_fakeroot_ops = {
	.abi = VU_ABI_VERSION,
	.init = fakeroot_init,
	.wants = fakeroot_wants,
	.enter = fakeroot_enter,
	.leave = fakeroot_leave,
};
