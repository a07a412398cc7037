/*
 * fakeroot.c -- the fakeroot layer: the program runs as root. Its user and
 * group ids are 0 (fakeroot_ids.c); every change of owner, mode or device
 * node it makes is recorded in the state file (fakeroot_db.c) instead of
 * (owner, device) or beside (mode) the real file, and every stat-family
 * call shows the records back.
 *
 * - chown family: the target is stat'ed first (its (dev, ino) is the key)
 *   and the new owner recorded; the real owner never changes. When a layer
 *   below wants the call it goes down as chown(path, -1, -1) (EPERM from it
 *   counts as success) and the record is made if it succeeds; else the
 *   layer answers itself (EROFS on a read-only file system).
 * - setxattr of system.posix_acl_access (cp -a copies modes so) changes a
 *   recorded mode's permission bits.
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
 *   comes with it); else the record's birth time costs a second call.
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

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

struct fakeroot {
	struct fr_db db;
	uint32_t real_uid, real_gid;	/* shown as 0 when nothing is recorded */
	int index;			/* of this layer in the stack */
};

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
	return (vu.layer_mask[c->nr] >> fr->index) > 1;
}


/* a record of the inode the call just stat'ed, or 0; -EIO when damaged.
 * A record whose birth time differs from the file's belongs to a file
 * that lived in this inode before: ignored. */
static int lookup(struct fakeroot *fr, uint64_t dev, uint64_t ino, uint64_t gen,
		  struct fr_rec *r)
{
	int g;

	if (fr_db_empty(&fr->db))
		return 0;
	g = fr_db_get(&fr->db, dev, ino, r);
	if (g > 0 && r->gen && gen && r->gen != gen)
		return 0;
	return g;
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

/* where a stat-family call (not statx) looks, and its buffer */
static struct stat *stat_target(const struct vu_call *c, int *dirfd, const char **path,
				int *flags)
{
	*dirfd = AT_FDCWD;
	*path = (const char *)c->args[0];
	*flags = 0;
	switch (c->nr) {
#ifdef VU_NR_lstat
	case VU_NR_lstat:
		*flags = AT_SYMLINK_NOFOLLOW;
		break;
#endif
	case VU_NR_fstat:
		*dirfd = (int)c->args[0];
		*path = "";
		*flags = AT_EMPTY_PATH;
		break;
	case VU_NR_newfstatat:
		*dirfd = (int)c->args[0];
		*path = (const char *)c->args[1];
		*flags = (int)c->args[3];
		return (struct stat *)c->args[2];
	}
	return (struct stat *)c->args[1];
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

/* with records to show and no layer below wanting the call, a stat is
 * made as one statx: the birth time that tells a record's inode from a
 * later one comes with it (else leave() would need a second call) */
static enum vu_action enter_stat(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd, flags, g;
	const char *path;
	struct stat *st = stat_target(c, &dirfd, &path, &flags);
	struct statx sx;
	struct fr_rec r;
	long e;

	if (fr_db_empty(&fr->db) || below(fr, c) || !push(c, P_STAT))
		return VU_CONTINUE;
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
	g = lookup(fr, st->st_dev, st->st_ino, btime_gen(&sx), &r);
	if (g < 0)
		return done(c, g);
	show_stat(fr, g > 0 ? &r : NULL, st);
	return done(c, 0);
}

/* the birth time of what a stat-family call (not statx) looked at */
static uint64_t gen_of_call(const struct vu_call *c, uint64_t ino)
{
	int dirfd, flags;
	const char *path;
	struct finfo f;

	stat_target(c, &dirfd, &path, &flags);
	if (finfo_at(dirfd, path, flags, &f) || f.ino != ino)
		return 0;
	return f.gen;
}

static void leave_stat(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd, flags;
	const char *path;
	struct stat *st = stat_target(c, &dirfd, &path, &flags);
	struct fr_rec r;
	int g = 0;

	if (pop(c) || c->ret || !st)
		return;		/* answered by enter_stat */
	if (!fr_db_empty(&fr->db)) {
		g = fr_db_get(&fr->db, st->st_dev, st->st_ino, &r);
		if (g > 0 && r.gen) {
			uint64_t gen = gen_of_call(c, st->st_ino);

			if (gen && gen != r.gen)
				g = 0;
		}
	}
	if (g < 0) {
		c->ret = g;
		return;
	}
	show_stat(fr, g > 0 ? &r : NULL, st);
}

static void leave_statx(struct fakeroot *fr, struct vu_call *c)
{
	struct statx *sx = (struct statx *)c->args[4];
	struct fr_rec r;
	int g;

	if (c->ret || !sx)
		return;
	g = lookup(fr, mkdev(sx->stx_dev_major, sx->stx_dev_minor), sx->stx_ino, btime_gen(sx), &r);
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


static enum vu_action enter_chown(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd = AT_FDCWD, flags = 0, ui = 1, gi = 2;
	const char *path = (const char *)c->args[0];
	struct pending *p;
	struct finfo f;
	uint32_t uid, gid;
	long r;

	switch (c->nr) {
#ifdef VU_NR_lchown
	case VU_NR_lchown:
		flags = AT_SYMLINK_NOFOLLOW;
		break;
#endif
	case VU_NR_fchown:
		dirfd = (int)c->args[0];
		path = "";
		flags = AT_EMPTY_PATH;
		break;
	case VU_NR_fchownat:
		if (c->args[4] & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
			return done(c, -EINVAL);
		dirfd = (int)c->args[0];
		path = (const char *)c->args[1];
		flags = (int)c->args[4];
		ui = 2;
		gi = 3;
		break;
	}
	uid = (uint32_t)c->args[ui];
	gid = (uint32_t)c->args[gi];
	if (uid == (uint32_t)-1 && gid == (uint32_t)-1)
		return VU_CONTINUE;
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
		r = vu_sys4(SYS_faccessat2, dirfd, path, W_OK,
			    AT_EACCESS | (flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)));
		if (r == -EROFS)
			return done(c, r);
		if (c->nr == VU_NR_fchown) {
			r = vu_sys2(SYS_fcntl, dirfd, F_GETFL);
			if (r >= 0 && (r & O_PATH))
				r = -EBADF;
			if (r < 0)
				return done(c, r);
		}
		return done(c, fr_db_change(&fr->db, p->dev, p->ino, &p->ch));
	}
	/* the call still goes down, as a chown that changes nothing */
	c->args[ui] = (long)(uint32_t)-1;
	c->args[gi] = (long)(uint32_t)-1;
	return VU_CONTINUE;
}

static enum vu_action enter_chmod(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd = AT_FDCWD, flags = 0, mi = 1;
	const char *path = (const char *)c->args[0];
	uint32_t mode, disk;
	struct pending *p;
	struct fr_rec r;
	struct finfo f;
	long e;
	int had;

	switch (c->nr) {
	case VU_NR_fchmod:
		dirfd = (int)c->args[0];
		path = "";
		flags = AT_EMPTY_PATH;
		break;
	case VU_NR_fchmodat:
		dirfd = (int)c->args[0];
		path = (const char *)c->args[1];
		mi = 2;
		break;
	case VU_NR_fchmodat2:
		dirfd = (int)c->args[0];
		path = (const char *)c->args[1];
		mi = 2;
		flags = (int)c->args[3] & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
		break;
	}
	mode = (uint32_t)c->args[mi] & 07777;
	/* the kernel would keep this mode as it is: nothing to record */
	if (fr_db_empty(&fr->db) && (mode & 07700) == 0700)
		return VU_CONTINUE;
	e = finfo_at(dirfd, path, flags, &f);
	if (e)
		return done(c, e);
	if (S_ISLNK(f.mode))
		return VU_CONTINUE;
	disk = (mode & 0777) | S_IRUSR | S_IWUSR | (S_ISDIR(f.mode) ? S_IXUSR : 0);
	had = lookup(fr, f.dev, f.ino, f.gen, &r);
	if (had < 0)
		return done(c, had);
	c->args[mi] = disk;
	if (disk == mode && !(had > 0 && (r.flags & FR_MODE)))
		return VU_CONTINUE;
	p = push(c, P_CHMOD);
	if (!p)
		return done(c, -ENOMEM);
	p->dev = f.dev;
	p->ino = f.ino;
	p->ch.set = FR_MODE;
	p->ch.keep_type = 1;
	p->ch.rec.mode = (f.mode & S_IFMT) | mode;
	p->ch.rec.gen = f.gen;
	return VU_CONTINUE;
}

static enum vu_action enter_mknod(struct vu_call *c)
{
	int mi = c->nr == VU_NR_mknodat ? 2 : 1;
	uint32_t mode = (uint32_t)c->args[mi];
	struct pending *p;

	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return VU_CONTINUE;	/* fifos, sockets and files need no root */
	p = push(c, P_MKNOD);
	if (!p)
		return done(c, -ENOMEM);
	p->perm = mode & 07777;
	p->ch.set = FR_MODE | FR_RDEV;
	p->ch.rec.mode = mode & S_IFMT;
	p->ch.rec.rdev = (uint32_t)c->args[mi + 1];
	/* a placeholder: an empty regular file */
	c->args[mi] = S_IFREG | (mode & 0777);
	c->args[mi + 1] = 0;
	return VU_CONTINUE;
}

static void leave_mknod(struct fakeroot *fr, struct vu_call *c, struct pending *p)
{
	int at = c->nr == VU_NR_mknodat;
	int dirfd = at ? (int)c->args[0] : AT_FDCWD;
	const char *path = (const char *)c->args[at];
	struct finfo f;
	long r;

	if (c->ret)
		return;
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

/* unlink, rmdir, rename: the record of an inode that loses its last name */
static enum vu_action enter_remove(struct fakeroot *fr, struct vu_call *c)
{
	int sfd = AT_FDCWD, dfd = AT_FDCWD, rename = 1;
	const char *src = NULL, *dst = NULL;
	struct finfo f, s;
	struct pending *p;
	struct fr_rec r;

	if (fr_db_empty(&fr->db))
		return VU_CONTINUE;
	switch (c->nr) {
#ifdef VU_NR_unlink
	case VU_NR_unlink:
	case VU_NR_rmdir:
		dst = (const char *)c->args[0];
		rename = 0;
		break;
	case VU_NR_rename:
		src = (const char *)c->args[0];
		dst = (const char *)c->args[1];
		break;
#endif
	case VU_NR_unlinkat:
		dfd = (int)c->args[0];
		dst = (const char *)c->args[1];
		rename = 0;
		break;
	case VU_NR_renameat2:
		if (c->args[4] & RENAME_EXCHANGE)
			return VU_CONTINUE;
		/* fallthrough */
	case VU_NR_renameat:
		sfd = (int)c->args[0];
		src = (const char *)c->args[1];
		dfd = (int)c->args[2];
		dst = (const char *)c->args[3];
		break;
	}
	if (finfo_at(dfd, dst, AT_SYMLINK_NOFOLLOW, &f) || (!S_ISDIR(f.mode) && f.nlink > 1))
		return VU_CONTINUE;
	if (fr_db_get(&fr->db, f.dev, f.ino, &r) <= 0)
		return VU_CONTINUE;
	if (rename && (finfo_at(sfd, src, AT_SYMLINK_NOFOLLOW, &s) ||
		       (s.dev == f.dev && s.ino == f.ino)))
		return VU_CONTINUE;
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

static enum vu_action enter_setxattr(struct fakeroot *fr, struct vu_call *c)
{
	int dirfd = AT_FDCWD, flags = 0;
	const char *path = (const char *)c->args[0];
	const char *name = (const char *)c->args[1];
	struct pending *p;
	struct fr_rec r;
	struct finfo f;
	uint32_t perms;

	if (fr_db_empty(&fr->db) || !name || vu_strcmp(name, "system.posix_acl_access") ||
	    acl_perms((const unsigned char *)c->args[2], (unsigned long)c->args[3], &perms))
		return VU_CONTINUE;
	switch (c->nr) {
	case VU_NR_lsetxattr:
		flags = AT_SYMLINK_NOFOLLOW;
		break;
	case VU_NR_fsetxattr:
		dirfd = (int)c->args[0];
		path = "";
		flags = AT_EMPTY_PATH;
		break;
	}
	if (finfo_at(dirfd, path, flags, &f) || lookup(fr, f.dev, f.ino, f.gen, &r) <= 0 ||
	    !(r.flags & FR_MODE))
		return VU_CONTINUE;
	p = push(c, P_CHMOD);
	if (!p)
		return done(c, -ENOMEM);
	p->dev = f.dev;
	p->ino = f.ino;
	p->ch.set = FR_MODE;
	p->ch.keep_type = 1;
	p->ch.rec.mode = (f.mode & S_IFMT) | (r.mode & 07000) | perms;
	p->ch.rec.gen = f.gen;
	return VU_CONTINUE;
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
	fr->real_uid = (uint32_t)vu_sys0(SYS_getuid);
	fr->real_gid = (uint32_t)vu_sys0(SYS_getgid);
	fr->index = self->index;
	fr_ids_init();
	self->state = fr;
	return 0;
}

static int fakeroot_wants(struct vu_layer *self, long nr)
{
	(void)self;
	if (fr_ids_wants(nr))
		return 1;
	switch (nr) {
#ifdef VU_NR_stat
	case VU_NR_stat: case VU_NR_lstat:
	case VU_NR_chown: case VU_NR_lchown: case VU_NR_chmod: case VU_NR_mknod:
	case VU_NR_unlink: case VU_NR_rmdir: case VU_NR_rename:
#endif
	case VU_NR_fstat: case VU_NR_newfstatat: case VU_NR_statx:
	case VU_NR_fchown: case VU_NR_fchownat:
	case VU_NR_fchmod: case VU_NR_fchmodat: case VU_NR_fchmodat2:
	case VU_NR_mknodat:
	case VU_NR_unlinkat: case VU_NR_renameat: case VU_NR_renameat2:
	case VU_NR_setxattr: case VU_NR_lsetxattr: case VU_NR_fsetxattr:
	case VU_NR_getdents64:
	case VU_NR_execve: case VU_NR_execveat:
		return 1;
	}
	return 0;
}

static enum vu_action fakeroot_enter(struct vu_layer *self, struct vu_call *c)
{
	struct fakeroot *fr = self->state;

	if (fr_ids_wants(c->nr))
		return done(c, fr_ids_call(c));
	switch (c->nr) {
#ifdef VU_NR_chown
	case VU_NR_chown: case VU_NR_lchown:
#endif
	case VU_NR_fchown: case VU_NR_fchownat:
		return enter_chown(fr, c);
#ifdef VU_NR_chmod
	case VU_NR_chmod:
#endif
	case VU_NR_fchmod: case VU_NR_fchmodat: case VU_NR_fchmodat2:
		return enter_chmod(fr, c);
#ifdef VU_NR_mknod
	case VU_NR_mknod:
#endif
	case VU_NR_mknodat:
		return enter_mknod(c);
#ifdef VU_NR_unlink
	case VU_NR_unlink: case VU_NR_rmdir: case VU_NR_rename:
#endif
	case VU_NR_unlinkat: case VU_NR_renameat: case VU_NR_renameat2:
		return enter_remove(fr, c);
	case VU_NR_setxattr: case VU_NR_lsetxattr: case VU_NR_fsetxattr:
		return enter_setxattr(fr, c);
#ifdef VU_NR_stat
	case VU_NR_stat: case VU_NR_lstat:
#endif
	case VU_NR_fstat: case VU_NR_newfstatat:
		return enter_stat(fr, c);
	case VU_NR_statx:
		if (!fr_db_empty(&fr->db))
			c->args[3] |= STATX_BTIME;	/* to check records' birth times */
		return VU_CONTINUE;
	case VU_NR_execve: case VU_NR_execveat:
		fr_ids_exec_enter(c);
		return VU_CONTINUE;
	}
	return VU_CONTINUE;
}

static void fakeroot_leave(struct vu_layer *self, struct vu_call *c)
{
	struct fakeroot *fr = self->state;
	struct pending *p;

	switch (c->nr) {
#ifdef VU_NR_stat
	case VU_NR_stat: case VU_NR_lstat:
#endif
	case VU_NR_fstat: case VU_NR_newfstatat:
		leave_stat(fr, c);
		return;
	case VU_NR_statx:
		leave_statx(fr, c);
		return;
	case VU_NR_getdents64:
		leave_getdents(fr, c);
		return;
	case VU_NR_execve: case VU_NR_execveat:
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
