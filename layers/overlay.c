/*
 * overlay.c -- the overlay layer: copy-on-write over a lower directory.
 *
 * The program sees lower's path. Every path argument under lower (or
 * under upper: another name of the same tree) is resolved through the
 * merged view (overlay_fs.c) and handed to the kernel as the real path in
 * upper or lower; what would change lower is redirected to upper first
 * (copy-up), deletions leave whiteouts, listings are merged
 * (overlay_dir.c), descriptors on lower files follow copy-ups
 * (overlay_fd.c). This file: which call goes where (enter), the results
 * that carry paths or identities (leave), and start-up. See
 * layers/overlay.md for the representation in upper and for what overlayfs
 * does that this layer does not.
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
	struct ovl_note *n = ovl_note_of(c, path_arg);
	unsigned long dev, ino;
	struct ovl_req q;
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
	if (!ovl_req_init(&q, o, c, 1)) {
		vu_call_release(c, q.mark0);
		return;
	}
	if (ovl_fd_path(fd, q.w->full, PATH_MAX) < 0 || !(which = ovl_under(o, q.w->full, &rest)))
		goto out;
	while (*rest == '/')
		rest++;
	vu_memcpy(q.rel[0], rest, vu_strlen(rest) + 1);
	if (ovl_req_resolve(&q, 0, 0, &r) < 0 || !r.merged)
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

/* maybe_ours -- could a path argument of c name something in the
 * overlay? (without memory to find out: relative paths and /proc may) */
static int maybe_ours(const struct ovl *o, const struct vu_call *c)
{
	const struct vu_syscall_info *si = &vu_syscalls[c->nr];

	for (int i = 0; i < si->nargs; i++) {
		const char *p = (const char *)c->args[i];

		if (si->args[i].kind != VU_ARG_PATH || !p || !*p)
			continue;
		if (p[0] != '/' || !vu_strncmp(p, "/proc/", 6) || !vu_strncmp(p, "/dev/fd/", 8) ||
		    !vu_strncmp(p, o->lower, o->llen) || !vu_strncmp(p, o->upper, o->ulen) ||
		    (o->lower_cfg && !vu_strncmp(p, o->lower_cfg, o->lcfglen)) ||
		    (o->upper_cfg && !vu_strncmp(p, o->upper_cfg, o->ucfglen)))
			return 1;
		for (const char *d = p; *d; d++)
			if (d[0] == '/' && d[1] == '.' && d[2] == '.')
				return 1;
	}
	return si->nargs > 0 && si->args[0].kind == VU_ARG_FD;
}

static enum vu_action overlay_enter(struct vu_layer *self, struct vu_call *c)
{
	struct ovl *o = self->state;
	struct ovl_req q;
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
		ovl_fd_follow(o, c, a[0]);
		return VU_CONTINUE;
	case SYS_sendfile:
		ovl_fd_follow(o, c, a[1]);
		return VU_CONTINUE;
	case SYS_mmap:
		if (!(a[3] & MAP_ANONYMOUS))
			ovl_fd_follow(o, c, a[4]);
		return VU_CONTINUE;
	case SYS_newfstatat:
	case SYS_statx:
		/* fstat(): the descriptor may have to follow a copy-up */
		if ((!a[1] || !*(const char *)a[1]) &&
		    (a[c->nr == SYS_statx ? 2 : 3] & AT_EMPTY_PATH)) {
			ovl_fd_follow(o, c, a[0]);
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
	if (!ovl_req_init(&q, o, c, c->nr == SYS_renameat || c->nr == SYS_renameat2 ||
				c->nr == SYS_linkat
#ifdef SYS_rename
				|| c->nr == SYS_rename || c->nr == SYS_link
#endif
				? 2 : 1)) {
		vu_call_release(c, q.mark0);
		if (!maybe_ours(o, c))
			return VU_CONTINUE;
		c->ret = -ENOMEM;	/* no scratch (handlers nested too deep) */
		return VU_DONE;
	}
	switch (c->nr) {
#ifdef SYS_open
	case SYS_open:
		return ovl_h_open(&q, 0, a[1]);
	case SYS_creat:
		return ovl_h_open(&q, 0, O_CREAT | O_WRONLY | O_TRUNC);
	case SYS_stat:
		return ovl_h_read(&q, 0, 1);
	case SYS_lstat:
		return ovl_h_read(&q, 0, 0);
	case SYS_access:
		return ovl_h_access(&q, 0, (int)a[1], 0);
	case SYS_readlink:
		return ovl_h_read(&q, 0, 0);
	case SYS_chdir:
		return ovl_h_read(&q, 0, 1);
	case SYS_mkdir:
		return ovl_h_mkdir(&q, 0, (int)a[1]);
	case SYS_rmdir:
		return ovl_h_unlink(&q, 0, 1);
	case SYS_unlink:
		return ovl_h_unlink(&q, 0, 0);
	case SYS_rename:
		return ovl_h_rename(&q, 0, 1, 0);
	case SYS_link:
		return ovl_h_link(&q, 0, 1, 0);
	case SYS_symlink:
		return ovl_h_create(&q, 1);
	case SYS_mknod:
		return ovl_h_create(&q, 0);
	case SYS_chmod:
		return ovl_h_meta(&q, 0, 1, OVL_MAY_OWN, 1);
	case SYS_chown:
		return ovl_h_meta(&q, 0, 1, OVL_MAY_OWN, 1);
	case SYS_lchown:
		return ovl_h_meta(&q, 0, 0, OVL_MAY_OWN, 1);
	case SYS_utime:
	case SYS_utimes:
		return ovl_h_meta(&q, 0, 1, a[1] ? OVL_MAY_OWN : OVL_MAY_WRITE, 1);
#endif
	case SYS_openat:
		return ovl_h_open(&q, 1, a[2]);
	case SYS_openat2: {
		const unsigned long *how = (const unsigned long *)a[2];

		return how ? ovl_h_open(&q, 1, (long)how[0]) : ovl_pass(&q);
	}
	case SYS_newfstatat:
		return ovl_h_read(&q, 1, !(a[3] & AT_SYMLINK_NOFOLLOW));
	case SYS_statx:
		return ovl_h_read(&q, 1, !(a[2] & AT_SYMLINK_NOFOLLOW));
	case SYS_faccessat:
		return ovl_h_access(&q, 1, (int)a[2], 0);
	case SYS_faccessat2:
		return ovl_h_access(&q, 1, (int)a[2], (int)a[3]);
	case SYS_readlinkat:
		return ovl_h_read(&q, 1, 0);
	case SYS_execve:
		return ovl_h_exec(&q, 0, 1, -1);
	case SYS_execveat:
		if ((!a[1] || !*(const char *)a[1]) && (a[4] & AT_EMPTY_PATH))
			return ovl_pass(&q);
		return ovl_h_exec(&q, 1, 2, 0);
	case SYS_mkdirat:
		return ovl_h_mkdir(&q, 1, (int)a[2]);
	case SYS_mknodat:
		return ovl_h_create(&q, 1);
	case SYS_symlinkat:
		return ovl_h_create(&q, 2);
	case SYS_unlinkat:
		return ovl_h_unlink(&q, 1, (a[2] & AT_REMOVEDIR) != 0);
	case SYS_renameat:
		return ovl_h_rename(&q, 1, 3, 0);
	case SYS_renameat2:
		return ovl_h_rename(&q, 1, 3, a[4]);
	case SYS_linkat:
		return ovl_h_link(&q, 1, 3, a[4]);
	case SYS_fchmodat:
		return ovl_h_meta(&q, 1, 1, OVL_MAY_OWN, 1);
	case VU_NR_fchmodat2:
		if ((!a[1] || !*(const char *)a[1]) && (a[3] & AT_EMPTY_PATH))
			return ovl_h_fdmeta(&q, a[0], OVL_MAY_OWN);
		return ovl_h_meta(&q, 1, !(a[3] & AT_SYMLINK_NOFOLLOW), OVL_MAY_OWN, 1);
	case VU_NR_setxattrat:
	case VU_NR_removexattrat:
		if ((!a[1] || !*(const char *)a[1]) && (a[2] & AT_EMPTY_PATH))
			return ovl_h_fdmeta(&q, a[0], OVL_MAY_WRITE);
		return ovl_h_meta(&q, 1, !(a[2] & AT_SYMLINK_NOFOLLOW), OVL_MAY_WRITE, 1);
	case VU_NR_file_setattr:
		if ((!a[1] || !*(const char *)a[1]) && (a[4] & AT_EMPTY_PATH))
			return ovl_h_fdmeta(&q, a[0], OVL_MAY_OWN);
		return ovl_h_meta(&q, 1, !(a[4] & AT_SYMLINK_NOFOLLOW), OVL_MAY_OWN, 1);
	case VU_NR_getxattrat:
	case VU_NR_listxattrat:
		if ((!a[1] || !*(const char *)a[1]) && (a[2] & AT_EMPTY_PATH))
			return ovl_pass(&q);
		return ovl_h_read(&q, 1, !(a[2] & AT_SYMLINK_NOFOLLOW));
	case VU_NR_file_getattr:
		if ((!a[1] || !*(const char *)a[1]) && (a[4] & AT_EMPTY_PATH))
			return ovl_pass(&q);
		return ovl_h_read(&q, 1, !(a[4] & AT_SYMLINK_NOFOLLOW));
	case VU_NR_open_tree_attr:
		return ovl_h_read(&q, 1, 1);
	case SYS_fchownat:
		if ((!a[1] || !*(const char *)a[1]) && (a[4] & AT_EMPTY_PATH))
			return ovl_h_fdmeta(&q, a[0], OVL_MAY_OWN);
		return ovl_h_meta(&q, 1, !(a[4] & AT_SYMLINK_NOFOLLOW), OVL_MAY_OWN, 1);
	case SYS_futimesat:
		return ovl_h_meta(&q, 1, 1, a[2] ? OVL_MAY_OWN : OVL_MAY_WRITE, 1);
	case SYS_utimensat:
		if (!a[1] || (!*(const char *)a[1] && (a[3] & AT_EMPTY_PATH)))
			return ovl_h_fdmeta(&q, a[0], a[2] ? OVL_MAY_OWN : OVL_MAY_WRITE);
		return ovl_h_meta(&q, 1, !(a[3] & AT_SYMLINK_NOFOLLOW),
			      a[2] ? OVL_MAY_OWN : OVL_MAY_WRITE, 1);
	case SYS_truncate:
		return ovl_h_meta(&q, 0, 1, OVL_MAY_WRITE, a[1] != 0);
	case SYS_setxattr:
	case SYS_removexattr:
		return ovl_h_meta(&q, 0, 1, OVL_MAY_WRITE, 1);
	case SYS_lsetxattr:
	case SYS_lremovexattr:
		return ovl_h_meta(&q, 0, 0, OVL_MAY_WRITE, 1);
	case SYS_fchmod:
	case SYS_fchown:
		return ovl_h_fdmeta(&q, a[0], OVL_MAY_OWN);
	case SYS_fsetxattr:
	case SYS_fremovexattr:
		return ovl_h_fdmeta(&q, a[0], OVL_MAY_WRITE);
	case SYS_getxattr:
	case SYS_listxattr:
	case SYS_statfs:
	case SYS_chroot:
		return ovl_h_read(&q, 0, 1);
	case SYS_lgetxattr:
	case SYS_llistxattr:
		return ovl_h_read(&q, 0, 0);
	case SYS_inotify_add_watch:
		return ovl_h_read(&q, 1, !(a[2] & IN_DONT_FOLLOW));
	case SYS_name_to_handle_at:
		return ovl_h_read(&q, 1, (a[4] & AT_SYMLINK_FOLLOW) != 0);
	case SYS_open_tree:
	case SYS_fspick:
		return ovl_h_read(&q, 1, 1);
	}
	return ovl_pass(&q);
}

static void overlay_leave(struct vu_layer *self, struct vu_call *c)
{
	struct ovl *o = self->state;
	long *a = c->args;
	struct ovl_note *n;

	switch (c->nr) {
	case SYS_dup:
		if (c->ret >= 0 && o->fdgen && a[0] >= 0 && a[0] < OVL_MAXFD)
			ovl_fd_mark(o, c->ret, o->fdgen[a[0]]);
		return;
	case SYS_dup2:
	case SYS_dup3:
		if (c->ret >= 0 && o->fdgen && a[0] >= 0 && a[0] < OVL_MAXFD && a[0] != a[1])
			ovl_fd_mark(o, a[1], o->fdgen[a[0]]);
		return;
	case SYS_fcntl:
		if (c->ret >= 0 && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) && o->fdgen &&
		    a[0] >= 0 && a[0] < OVL_MAXFD)
			ovl_fd_mark(o, c->ret, o->fdgen[a[0]]);
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

		n = ovl_note_of(c, a[pi]);
		if (is_open && c->ret >= 0)
			ovl_fd_mark(o, c->ret, n && (n->flags & N_MARK) ? n->gen + 1 : 0);
		if (n && (n->flags & N_UNWH) && c->ret >= 0) {
			const char *rest;
			struct ovl_req q;

			if (ovl_req_init(&q, o, c, 1) && ovl_under(o, n->path, &rest) == 2) {
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
	VU_NR_fchmodat2, VU_NR_setxattrat, VU_NR_removexattrat, VU_NR_file_setattr,
	VU_NR_getxattrat, VU_NR_listxattrat, VU_NR_file_getattr, VU_NR_open_tree_attr,
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
	char *r = vu_host_realpath(p, NULL);

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
		if ((real = vu_host_realpath(head, NULL))) {
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
		const char *cl = vu_host_realpath(lower, NULL), *cu = canon_new(upper);

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
