/*
 * calls.c -- what the overlay does for each kind of path call:
 * reads get the real path of the merged view's entry; changes copy the
 * entry up first; creations go to upper (over a whiteout if need be);
 * deletions leave whiteouts; renames and links stay inside the overlay.
 */
#include <fcntl.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include "overlay.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif


/* ovl_h_read -- a call that only reads: the real path of what the name is */
enum vu_action ovl_h_read(struct ovl_req *q, int i, int follow)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!ovl_virt(q, i, 0, &slash, follow))
		return ovl_pass(q);
	if ((err = ovl_req_resolve(q, 0, follow || slash ? 1 : OVL_PEEK, &r)) < 0)
		return ovl_done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return ovl_done(q, -ENOENT);
	if ((err = ovl_set_path(q, i, &r, slash, (r.merged ? N_MERGED : 0) |
							(r.where == OVL_LOWER ? N_LOWER : 0))) < 0)
		return ovl_done(q, err);
	return ovl_pass(q);
}

/* ovl_h_meta -- a call that changes the entry (mode, owner, times, size,
 * xattrs): copied up first; may: the OVL_MAY_* check; data: copy the data */
enum vu_action ovl_h_meta(struct ovl_req *q, int i, int follow, int may, int data)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!ovl_virt(q, i, 0, &slash, follow))
		return ovl_pass(q);
	if ((err = ovl_req_resolve(q, 0, follow || slash, &r)) < 0)
		return ovl_done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return ovl_done(q, -ENOENT);
	if (r.where == OVL_LOWER) {
		if ((err = ovl_may(q->o, q->w, &r, may)) < 0 ||
		    (err = ovl_copy_up(q->o, q->w, &r, data)) < 0)
			return ovl_done(q, err);
		vu_debug("overlay: copied up %s", r.rel);
	}
	if ((err = ovl_set_path(q, i, &r, slash, 0)) < 0)
		return ovl_done(q, err);
	return ovl_pass(q);
}

/* ovl_h_fdmeta -- a call that changes what fd is open on: copy it up
 * first, and move fd onto the copy */
enum vu_action ovl_h_fdmeta(struct ovl_req *q, long fd, int may)
{
	struct ovl_res r;
	const char *rest;
	long err;

	if (fd < 0 || ovl_fd_path((int)fd, q->w->full, PATH_MAX) < 0 || q->w->full[0] != '/' ||
	    ovl_under(q->o, q->w->full, &rest) != 1)
		return ovl_pass(q);
	while (*rest == '/')
		rest++;
	vu_memcpy(q->rel[0], rest, vu_strlen(rest) + 1);
	if (ovl_req_resolve(q, 0, 0, &r) < 0 || r.where == OVL_NONE || r.where == OVL_OUT)
		return ovl_pass(q);
	if (r.where == OVL_LOWER) {
		if ((err = ovl_may(q->o, q->w, &r, may)) < 0 ||
		    (err = ovl_copy_up(q->o, q->w, &r, 1)) < 0)
			return ovl_done(q, err);
	}
	if ((err = ovl_real(q->o, &r, q->w->rem, PATH_MAX)) < 0 ||
	    (err = ovl_repoint((int)fd, q->w->rem)) < 0)
		return ovl_done(q, err);
	ovl_fd_mark(q->o, fd, 0);
	return ovl_pass(q);
}

/* ovl_h_create -- create a name (mkdir, mknod, symlink) in upper; over a
 * whiteout it is made under a temporary name and moved into place (a
 * folder made opaque first: lower's old entries must not show through it) */
enum vu_action ovl_h_create(struct ovl_req *q, int i)
{
	struct ovl_res r;
	int slash;
	long err;

	if (!ovl_virt(q, i, 0, &slash, 0))
		return ovl_pass(q);
	if ((err = ovl_req_resolve(q, 0, 0, &r)) < 0)
		return ovl_done(q, err);
	if (r.reserved)
		return ovl_done(q, -EPERM);
	if (r.where == OVL_OUT)
		return ovl_set_path(q, i, &r, slash, 0) < 0 ? ovl_done(q, -ENAMETOOLONG) : ovl_pass(q);
	if (r.where != OVL_NONE)
		return ovl_done(q, -EEXIST);
	if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0)
		return ovl_done(q, err);
	if (r.whiteout)
		return ovl_done(q, ovl_create_over(q->o, q->w, &r, q->c, i));
	if ((err = ovl_ensure_dirs(q->o, q->w, r.rel, r.namepos ? r.namepos - 1 : 0)) < 0 ||
	    (err = ovl_set_path(q, i, &r, slash, 0)) < 0)
		return ovl_done(q, err);
	return ovl_pass(q);
}

/* ovl_h_open -- open, openat, openat2, creat: a write intent (even
 * without a write) copies a lower file up, as overlayfs; creation goes to
 * upper; a read-only open of a lower file is watched for copy-ups */
enum vu_action ovl_h_open(struct ovl_req *q, int i, long flags)
{
	int acc = flags & O_ACCMODE, slash;
	int tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
	int creat = !tmpfile && (flags & O_CREAT), excl = creat && (flags & O_EXCL);
	int write = acc != O_RDONLY || (flags & O_TRUNC);
	struct ovl_res r;
	unsigned int note = 0;
	long err;

	if (!ovl_virt(q, i, 0, &slash, !(flags & O_NOFOLLOW) && !excl))
		return ovl_pass(q);
	err = ovl_req_resolve(q, 0, !(flags & O_NOFOLLOW) && !excl, &r);
	if (err < 0)
		return ovl_done(q, err);
	if (r.reserved)
		return ovl_done(q, creat ? -EPERM : -ENOENT);
	switch (r.where) {
	case OVL_OUT:
		break;
	case OVL_NONE:
		if (!creat)
			return ovl_done(q, -ENOENT);
		if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0 ||
		    (err = ovl_ensure_dirs(q->o, q->w, r.rel, r.namepos ? r.namepos - 1 : 0)) < 0)
			return ovl_done(q, err);
		note = r.whiteout ? N_UNWH : 0;
		break;
	case OVL_LOWER:
		if (excl)
			return ovl_done(q, -EEXIST);
		if (tmpfile || (write && S_ISREG(r.st.st_mode) && !(flags & O_PATH))) {
			if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_WRITE)) < 0 ||
			    (err = ovl_copy_up(q->o, q->w, &r, !(flags & O_TRUNC))) < 0)
				return ovl_done(q, err);
			vu_debug("overlay: copied up %s", r.rel);
		} else if (acc == O_RDONLY && !(flags & O_PATH)) {
			note = N_MARK;
		}
		break;
	case OVL_UPPER:
		if (excl)
			return ovl_done(q, -EEXIST);
		break;
	}
	if ((err = ovl_set_path(q, i, &r, slash, note | (r.merged ? N_MERGED : 0))) < 0)
		return ovl_done(q, err);
	return ovl_pass(q);
}

/* ovl_h_unlink -- unlink, rmdir: whiteouts for what lower has; rmdir
 * checks emptiness on the merged view */
enum vu_action ovl_h_unlink(struct ovl_req *q, int i, int dir)
{
	struct ovl_res r;
	int slash, isdir;
	long err;
	char *up;

	if (!ovl_virt(q, i, 0, &slash, 0))
		return ovl_pass(q);
	if ((err = ovl_req_resolve(q, 0, 0, &r)) < 0)
		return ovl_done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return ovl_done(q, -ENOENT);
	if (r.where == OVL_OUT)
		return ovl_set_path(q, i, &r, slash, 0) < 0 ? ovl_done(q, -ENAMETOOLONG) : ovl_pass(q);
	if (r.root)
		return ovl_done(q, -EBUSY);
	isdir = S_ISDIR(r.st.st_mode);
	if (dir && !isdir)
		return ovl_done(q, -ENOTDIR);
	if (!dir && isdir)
		return ovl_done(q, -EISDIR);
	if (!dir && slash)
		return ovl_done(q, -ENOTDIR);
	if ((err = ovl_may(q->o, q->w, &r, OVL_MAY_PARENT)) < 0)
		return ovl_done(q, err);
	if (dir && (err = ovl_dir_empty(q->o, q->w, &r)) < 0)
		return ovl_done(q, err);
	if (r.where == OVL_LOWER)
		return ovl_done(q, ovl_whiteout(q->o, q->w, r.rel, r.namepos));
	/* in upper; a whiteout first when lower has the name, so that lower's
	 * entry never shows in between */
	if (r.lower && (err = ovl_whiteout(q->o, q->w, r.rel, r.namepos)) < 0)
		return ovl_done(q, err);
	up = q->w->rem;
	if ((err = ovl_join(up, PATH_MAX, q->o->upper, r.rel, NULL)) < 0)
		return ovl_done(q, err);
	if (dir) {
		ovl_clear_markers(up, q->w->lnk);
		err = vu_sys3(SYS_unlinkat, AT_FDCWD, up, AT_REMOVEDIR);
		ovl_dirs_changed(q->o);
	} else {
		err = vu_sys3(SYS_unlinkat, AT_FDCWD, up, 0);
	}
	if (err < 0 && r.lower)
		ovl_unwhiteout(q->o, q->w, r.rel, r.namepos);
	return ovl_done(q, err);
}

static int rel_below(const char *a, const char *b)
{
	size_t n = vu_strlen(b);

	return !vu_strncmp(a, b, n) && (n == 0 || a[n] == '/');
}

/* the names of a rename or link: the first must exist, the second may
 * not be vu's, and neither may lead out of the overlay */
static long two_names(const struct ovl_res *a, const struct ovl_res *b)
{
	if (a->reserved || a->where == OVL_NONE)
		return -ENOENT;
	if (b->reserved)
		return -EPERM;
	return a->where == OVL_OUT || b->where == OVL_OUT ? -EXDEV : 0;
}

/* ovl_h_rename -- rename inside the overlay (EXDEV across its border and
 * for directories with a lower part, as overlayfs without redirect_dir) */
enum vu_action ovl_h_rename(struct ovl_req *q, int oi, int ni, long flags)
{
	struct ovl_res a, b;
	int sa = 0, sb = 0, va, vb, adir, bdir;
	long err;
	char *ua = q->w->rem, *ub = q->w->lnk;

	va = ovl_virt(q, oi, 0, &sa, 0);
	vb = ovl_virt(q, ni, 1, &sb, 0);
	if (!va && !vb)
		return ovl_pass(q);
	if (!va || !vb)
		return ovl_done(q, -EXDEV);	/* the overlay is a file system of its own */
	if (flags & ~(long)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return ovl_done(q, -EINVAL);
	if ((err = ovl_req_resolve(q, 0, 0, &a)) < 0 || (err = ovl_req_resolve(q, 1, 0, &b)) < 0 ||
	    (err = two_names(&a, &b)) < 0)
		return ovl_done(q, err);
	if (a.root || b.root)
		return ovl_done(q, -EBUSY);
	adir = S_ISDIR(a.st.st_mode);
	bdir = b.where != OVL_NONE && S_ISDIR(b.st.st_mode);
	if (!vu_strcmp(a.rel, b.rel))
		return ovl_done(q, 0);
	if (adir && rel_below(b.rel, a.rel))
		return ovl_done(q, -EINVAL);
	/* overlayfs without redirect_dir: directories from lower do not move */
	if (adir && (a.where == OVL_LOWER || a.merged))
		return ovl_done(q, -EXDEV);
	if (flags & RENAME_EXCHANGE) {
		if (b.where == OVL_NONE)
			return ovl_done(q, -ENOENT);
		if (bdir && (b.where == OVL_LOWER || b.merged))
			return ovl_done(q, -EXDEV);
		if (bdir && rel_below(a.rel, b.rel))
			return ovl_done(q, -EINVAL);
	} else if (b.where != OVL_NONE) {
		if (flags & RENAME_NOREPLACE)
			return ovl_done(q, -EEXIST);
		if (adir && !bdir)
			return ovl_done(q, -ENOTDIR);
		if (!adir && bdir)
			return ovl_done(q, -EISDIR);
		if (bdir && (err = ovl_dir_empty(q->o, q->w, &b)) < 0)
			return ovl_done(q, err);
	}
	if ((err = ovl_may(q->o, q->w, &a, OVL_MAY_PARENT)) < 0 ||
	    (err = ovl_may(q->o, q->w, &b, OVL_MAY_PARENT)) < 0)
		return ovl_done(q, err);
	if ((err = ovl_copy_up(q->o, q->w, &a, 1)) < 0)
		return ovl_done(q, err);
	if ((flags & RENAME_EXCHANGE) && (err = ovl_copy_up(q->o, q->w, &b, 1)) < 0)
		return ovl_done(q, err);
	if ((err = ovl_ensure_dirs(q->o, q->w, b.rel, b.namepos ? b.namepos - 1 : 0)) < 0)
		return ovl_done(q, err);
	if (bdir && b.where == OVL_UPPER && !(flags & RENAME_EXCHANGE)) {
		if ((err = ovl_join(ua, PATH_MAX, q->o->upper, b.rel, NULL)) < 0)
			return ovl_done(q, err);
		ovl_clear_markers(ua, q->w->lnk);
	}
	/* a directory arriving where lower has one (or had, under a
	 * whiteout) must not let lower's entries show through */
	if ((err = ovl_join(ua, PATH_MAX, q->o->upper, a.rel, NULL)) < 0)
		return ovl_done(q, err);
	if (adir && (b.whiteout || (b.lower && S_ISDIR(b.lst.st_mode))) &&
	    (err = ovl_make_opaque(q->o, ua, q->w)) < 0)
		return ovl_done(q, err);
	if ((flags & RENAME_EXCHANGE) && bdir && a.lower && S_ISDIR(a.lst.st_mode)) {
		if ((err = ovl_join(ua, PATH_MAX, q->o->upper, b.rel, NULL)) < 0 ||
		    (err = ovl_make_opaque(q->o, ua, q->w)) < 0)
			return ovl_done(q, err);
	}
	if (!(flags & RENAME_EXCHANGE) && a.lower &&
	    (err = ovl_whiteout(q->o, q->w, a.rel, a.namepos)) < 0)
		return ovl_done(q, err);
	if ((err = ovl_join(ua, PATH_MAX, q->o->upper, a.rel, NULL)) < 0 ||
	    (err = ovl_join(ub, PATH_MAX, q->o->upper, b.rel, NULL)) < 0)
		return ovl_done(q, err);
	err = vu_sys5(SYS_renameat2, AT_FDCWD, ua, AT_FDCWD, ub, flags);
	ovl_dirs_changed(q->o);
	if (err < 0) {
		if (!(flags & RENAME_EXCHANGE) && a.lower)
			ovl_unwhiteout(q->o, q->w, a.rel, a.namepos);
		return ovl_done(q, err);
	}
	if (b.whiteout)
		ovl_unwhiteout(q->o, q->w, b.rel, b.namepos);
	return ovl_done(q, 0);
}

/* ovl_h_link -- link inside the overlay: the source is copied up and
 * linked in upper; linkat(fd, "", AT_EMPTY_PATH) of a lower file too.
 * po, pn: the object's and the new name's paths in c->op */
enum vu_action ovl_h_link(struct ovl_req *q, int po, int pn)
{
	const struct vu_op_path *p = &q->c->op->path[po];
	int oi = p->arg, ni = q->c->op->path[pn].arg;
	struct ovl_res a, b;
	int sa = 0, sb = 0, va, vb;
	long err;
	const char *op = (const char *)q->c->args[oi];

	vb = ovl_virt(q, ni, 1, &sb, 0);
	if (p->empty && (!op || !*op)) {
		/* linkat(fd, "", ...): an O_TMPFILE file, or any descriptor:
		 * one on a lower file would give lower's inode a second name
		 * that writes through, so it links the copy-up instead */
		const char *rest;

		if (ovl_fd_path(vu_op_dirfd(q->c, po), q->w->full, PATH_MAX) >= 0 &&
		    ovl_under(q->o, q->w->full, &rest) == 1) {
			while (*rest == '/')
				rest++;
			vu_memcpy(q->rel[0], rest, vu_strlen(rest) + 1);
			if ((err = ovl_req_resolve(q, 0, 0, &a)) < 0)
				return ovl_done(q, err);
			if (!vb)
				return ovl_done(q, -EXDEV);
			va = 1;
			goto named;
		}
		if (!vb)
			return ovl_pass(q);
		if ((err = ovl_req_resolve(q, 1, 0, &b)) < 0)
			return ovl_done(q, err);
		if (b.reserved)
			return ovl_done(q, -EPERM);
		if (b.where != OVL_NONE)
			return ovl_done(q, b.where == OVL_OUT ? -EXDEV : -EEXIST);
		if ((err = ovl_ensure_dirs(q->o, q->w, b.rel, b.namepos ? b.namepos - 1 : 0)) < 0 ||
		    (err = ovl_set_path(q, ni, &b, sb, b.whiteout ? N_UNWH : 0)) < 0)
			return ovl_done(q, err);
		return ovl_pass(q);
	}
	va = ovl_virt(q, oi, 0, &sa, p->follow);
	if (!va && !vb)
		return ovl_pass(q);
	if (!va || !vb)
		return ovl_done(q, -EXDEV);
	if ((err = ovl_req_resolve(q, 0, p->follow, &a)) < 0)
		return ovl_done(q, err);
named:
	if ((err = ovl_req_resolve(q, 1, 0, &b)) < 0 || (err = two_names(&a, &b)) < 0)
		return ovl_done(q, err);
	if (S_ISDIR(a.st.st_mode))
		return ovl_done(q, -EPERM);
	if (b.where != OVL_NONE)
		return ovl_done(q, -EEXIST);
	if ((err = ovl_may(q->o, q->w, &b, OVL_MAY_PARENT)) < 0 ||
	    (err = ovl_copy_up(q->o, q->w, &a, 1)) < 0 ||
	    (err = ovl_ensure_dirs(q->o, q->w, b.rel, b.namepos ? b.namepos - 1 : 0)) < 0)
		return ovl_done(q, err);
	if ((err = ovl_join(q->w->rem, PATH_MAX, q->o->upper, a.rel, NULL)) < 0 ||
	    (err = ovl_join(q->w->lnk, PATH_MAX, q->o->upper, b.rel, NULL)) < 0)
		return ovl_done(q, err);
	err = vu_sys5(SYS_linkat, AT_FDCWD, q->w->rem, AT_FDCWD, q->w->lnk, 0);
	if (err == 0 && b.whiteout)
		ovl_unwhiteout(q->o, q->w, b.rel, b.namepos);
	return ovl_done(q, err);
}

/* ovl_ask_upper -- a read the kernel refused with EROFS (lower's file
 * system is read-only: access(W_OK)) is no reason to refuse, as writes go
 * to upper: the same call is asked of a stand-in in upper with the lower
 * entry's type, mode and (when permitted) owner, as its copy-up would
 * have. arg: the path argument, real: the lower entry it was handed. */
long ovl_ask_upper(struct ovl *o, struct vu_call *c, int arg, const char *real)
{
	struct ovl_req q;
	struct stat st;
	long a[6], err = -EROFS;
	int dir;

	if (!ovl_req_init(&q, o, c, 1) || ovl_lstat(real, &st) < 0 ||
	    ovl_tmpname(o, q.w->rem, PATH_MAX, "", 0) < 0)
		goto out;
	dir = S_ISDIR(st.st_mode);
	if ((dir ? vu_sys3(SYS_mkdirat, AT_FDCWD, q.w->rem, 0700) :
		   vu_sys4(SYS_mknodat, AT_FDCWD, q.w->rem, S_IFREG | 0600, 0)) < 0)
		goto out;
	vu_sys5(SYS_fchownat, AT_FDCWD, q.w->rem, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	vu_sys3(SYS_fchmodat, AT_FDCWD, q.w->rem, st.st_mode & 07777);
	vu_memcpy(a, c->args, sizeof(a));
	a[arg] = (long)q.w->rem;
	err = vu_syscall6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	vu_sys3(SYS_unlinkat, AT_FDCWD, q.w->rem, dir ? AT_REMOVEDIR : 0);
out:
	vu_call_release(c, q.mark0);
	return err;
}

/* ovl_leave_unwhiteout -- a name was made over a whiteout (real: where,
 * in upper): the whiteout goes */
void ovl_leave_unwhiteout(struct ovl *o, struct vu_call *c, const char *real)
{
	const char *rest;
	struct ovl_req q;

	if (ovl_req_init(&q, o, c, 1) && ovl_under(o, real, &rest) == 2) {
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
