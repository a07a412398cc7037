/*
 * overlay.c -- the overlay layer: copy-on-write over a lower directory.
 *
 * The program sees lower's path. Every path argument under lower (or
 * under upper: another name of the same tree) is resolved through the
 * merged view (fs.c) and handed to the kernel as the real path in
 * upper or lower; what would change lower is redirected to upper first
 * (copy-up), deletions leave whiteouts, listings are merged
 * (dir.c), descriptors on lower files follow copy-ups
 * (fd.c). This file: which call goes where (enter), the results
 * that carry paths or identities (leave), and start-up. See
 * layers/overlay/overlay.md for the representation in upper and for what
 * overlayfs does that this layer does not.
 *
 * A call goes where its kind says (c->op, decoded from syscalls.json's
 * "does"): reads and opens of a path get the merged view's real path,
 * every change (write, meta, link, rename, the name a create makes or a
 * delete removes) is made in upper, a change through a descriptor copies
 * its file up first, io on a descriptor may follow a copy-up, and a call
 * of unknown kind is refused in the overlay. The few calls whose kind does
 * not say enough keep their number (special()).
 */
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	n = vu_path_prefix(tmp, o->upper);
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
	const struct vu_sc_shape *si = &vu_sc_shapes[c->nr];

	for (int i = 0; i < si->nargs; i++) {
		const char *p = (const char *)c->args[i];

		if (si->kind[i] != VU_ARG_PATH || !p || !*p)
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
	return si->nargs > 0 && si->kind[0] == VU_ARG_FD;
}

/* which call goes where, by what the table says it does */

/* The few calls the table cannot tell apart from others of their kind. */
enum special {
	SP_NONE = 0,
	SP_GETCWD,	/* its result is a path: upper's shown as lower's */
	SP_DENTS,	/* listings are merged (getdents64) */
	SP_DENTS_OLD,	/* ... in the old record format (getdents) */
	SP_READLINK,	/* its result is a path: /proc's links show lower */
	SP_FCNTL,	/* F_DUPFD: a new descriptor on the same file */
	SP_RMDIR,	/* a delete that removes a folder (unlinkat says it by AT_REMOVEDIR) */
};

static int special(long nr)
{
	switch (nr) {
	case VU_NR_getcwd:
		return SP_GETCWD;
	case VU_NR_getdents64:
		return SP_DENTS;
#ifdef VU_NR_getdents
	case VU_NR_getdents:
		return SP_DENTS_OLD;
#endif
#ifdef VU_NR_readlink
	case VU_NR_readlink:
#endif
	case VU_NR_readlinkat:
		return SP_READLINK;
	case VU_NR_fcntl:
		return SP_FCNTL;
#ifdef VU_NR_rmdir
	case VU_NR_rmdir:
		return SP_RMDIR;
#endif
	}
	return SP_NONE;
}

/* the first argument of call nr of this kind (enum vu_arg_kind), or -1 */
static int arg_of(long nr, int kind)
{
	const struct vu_sc_shape *si = &vu_sc_shapes[nr];

	for (int i = 0; i < si->nargs; i++)
		if (si->kind[i] == kind)
			return i;
	return -1;
}

/* the result buffer of c and its size (getcwd, readlink, getdents) */
static char *out_buf(const struct vu_call *c, size_t *size)
{
	int b = arg_of(c->nr, VU_ARG_BUF_OUT);

	*size = (size_t)c->args[vu_sc_shapes[c->nr].len[b]];
	return (char *)c->args[b];
}

/* the path of c->op with this role, or -1 */
static int path_of(const struct vu_op *op, int role)
{
	for (int i = 0; i < op->npaths; i++)
		if (op->path[i].role == role)
			return i;
	return -1;
}

/* does path i of c name its dirfd itself ("" with AT_EMPTY_PATH, or NULL)? */
static int names_dirfd(const struct vu_call *c, int i)
{
	const struct vu_op_path *p = &c->op->path[i];
	const char *s = (const char *)c->args[p->arg];

	return p->empty && (!s || !*s);
}

/* the descriptor a call without a path to look up acts on, or -1 */
static long acted_fd(const struct vu_call *c)
{
	const struct vu_op *op = c->op;

	if (op->npaths == 1 && names_dirfd(c, 0))
		return vu_op_dirfd(c, 0);
	return op->npaths == 0 && op->fd_arg >= 0 ? c->args[op->fd_arg] : -1;
}

/* a change of metadata: owner only (mode, owner, attributes, explicit
 * times), or write permission enough (xattrs: a name argument; times set
 * to now: no times given) */
static int may_of(const struct vu_call *c)
{
	const struct vu_sc_shape *si = &vu_sc_shapes[c->nr];

	if (c->op->kind == VU_OP_WRITE)
		return OVL_MAY_WRITE;
	for (int i = 0; i < si->nargs; i++)
		if (si->kind[i] == VU_ARG_STR ||
		    (si->kind[i] == VU_ARG_STRUCT_IN && !c->args[i]))
			return OVL_MAY_WRITE;
	return OVL_MAY_OWN;
}

/* is the file of descriptor fd in the overlay? */
static int fd_ours(struct ovl_req *q, long fd)
{
	const char *rest;

	return fd >= 0 && ovl_fd_path((int)fd, q->w->full, PATH_MAX) >= 0 &&
	       ovl_under(q->o, q->w->full, &rest);
}

/* kind unknown: vu does not know what it would do to the file: refused
 * in the overlay (fail closed), never handed the real path in lower */
static enum vu_action refuse_unknown(struct ovl_req *q)
{
	const struct vu_call *c = q->c;
	const struct vu_op *op = c->op;
	int slash, ours = op->fd_arg >= 0 && fd_ours(q, c->args[op->fd_arg]);

	for (int i = 0; i < op->npaths && !ours; i++) {
		if (op->path[i].role == VU_ROLE_CONTENT)
			continue;
		ours = names_dirfd(c, i) ? fd_ours(q, vu_op_dirfd(c, i)) :
					   ovl_virt(q, op->path[i].arg, 0, &slash, op->path[i].follow);
	}
	if (!ours)
		return ovl_pass(q);
	vu_debug("overlay: %s in the overlay: refused (vu does not know what it does)",
		 vu_syscalls[c->nr].name);
	return ovl_done(q, -EPERM);
}

/* a change through a descriptor (fchmod, fsetxattr, ftruncate,
 * utimensat(fd, NULL)...); data: only a descriptor open for writing may */
static enum vu_action fd_change(struct ovl_req *q, long fd)
{
	long fl;

	if (q->c->op->kind == VU_OP_WRITE) {
		fl = vu_sys2(SYS_fcntl, fd, F_GETFL);
		if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) == O_RDONLY)
			return ovl_pass(q);	/* the kernel's EBADF or EINVAL */
	}
	return ovl_h_fdmeta(q, fd, may_of(q->c));
}

static enum vu_action overlay_enter(struct vu_layer *self, struct vu_call *c)
{
	struct ovl *o = self->state;
	const struct vu_sc_shape *si = &vu_sc_shapes[c->nr];
	const struct vu_op *op = c->op;
	int sp = special(c->nr), po, pn, k;
	struct ovl_req q;
	long fd = acted_fd(c);

	/* descriptor calls first: most of them need no scratch at all */
	if (sp == SP_GETCWD || sp == SP_FCNTL)
		return VU_CONTINUE;	/* leave() */
	if (op->kind == VU_OP_IO) {
		/* what a descriptor reads may have to follow a copy-up */
		for (int i = 0; i < si->nargs; i++)
			if (si->kind[i] == VU_ARG_FD)
				ovl_fd_follow(o, c, c->args[i]);
		return VU_CONTINUE;
	}
	if (sp == SP_DENTS || sp == SP_DENTS_OLD) {
		size_t n;
		char *buf = out_buf(c, &n);
		long r = ovl_getdents(o, c, (int)fd, buf, n, sp == SP_DENTS);

		if (r == 1)
			return VU_CONTINUE;
		c->ret = r;
		return VU_DONE;
	}
	if (fd >= 0 && (op->kind == VU_OP_READ || op->kind == VU_OP_CHDIR)) {
		ovl_fd_follow(o, c, fd);	/* fstat, fgetxattr, fchdir...: as io */
		return VU_CONTINUE;
	}
	if (!ovl_req_init(&q, o, c, op->kind == VU_OP_RENAME || op->kind == VU_OP_LINK ? 2 : 1)) {
		vu_call_release(c, q.mark0);
		if (!maybe_ours(o, c))
			return VU_CONTINUE;
		c->ret = -ENOMEM;	/* no scratch (handlers nested too deep) */
		return VU_DONE;
	}
	switch (op->kind) {
	case VU_OP_UNKNOWN:
		return refuse_unknown(&q);
	case VU_OP_WRITE:
	case VU_OP_META:
		if (fd >= 0 || (op->npaths && names_dirfd(c, 0)))
			return fd >= 0 ? fd_change(&q, fd) : ovl_pass(&q);
		/* truncate to nothing copies no data */
		k = arg_of(c->nr, VU_ARG_OFF);
		return ovl_h_meta(&q, op->path[0].arg, op->path[0].follow, may_of(c),
				  !(op->kind == VU_OP_WRITE && k >= 0 && c->args[k] == 0));
	}
	if (op->kind == VU_OP_LINK)
		return ovl_h_link(&q, path_of(op, VU_ROLE_OBJECT), path_of(op, VU_ROLE_NEW));
	if (op->npaths == 0 || names_dirfd(c, 0))
		return ovl_pass(&q);	/* open_by_handle_at, execveat(fd, ""), open_tree(fd, "") */
	switch (op->kind) {
	case VU_OP_OPEN:
		return ovl_h_open(&q, op->path[0].arg, (long)op->oflags);
	case VU_OP_READ:
	case VU_OP_CHDIR:
	case VU_OP_MOUNT:	/* wanted only when it opens its object (open_tree, fspick) */
		return ovl_h_read(&q, op->path[0].arg, op->path[0].follow);
	case VU_OP_EXEC:
		return ovl_h_exec(&q, op->path[0].arg, arg_of(c->nr, VU_ARG_ARGV), op->path[0].dirfd_arg);
	case VU_OP_CREATE:
		return ovl_h_create(&q, op->path[path_of(op, VU_ROLE_NEW)].arg);
	case VU_OP_DELETE:
		k = arg_of(c->nr, VU_ARG_AT_FLAGS);
		return ovl_h_unlink(&q, op->path[0].arg,
				    sp == SP_RMDIR || (k >= 0 && (c->args[k] & AT_REMOVEDIR)));
	case VU_OP_RENAME:
		po = path_of(op, VU_ROLE_OLD);
		pn = path_of(op, VU_ROLE_NEW);
		k = arg_of(c->nr, VU_ARG_UINT);	/* renameat2's RENAME_* */
		return ovl_h_rename(&q, op->path[po].arg, op->path[pn].arg, k >= 0 ? c->args[k] : 0);
	}
	return ovl_pass(&q);
}

/* a stat or statx buffer that c filled in: what a merged directory shows */
static void leave_stat(struct ovl *o, struct vu_call *c)
{
	const struct vu_syscall_info *si = &vu_syscalls[c->nr];
	const struct vu_op *op = c->op;
	int b = arg_of(c->nr, VU_ARG_STRUCT_OUT), sx;
	long path = 0, fd = -1;

	if (b < 0)
		return;
	sx = !vu_strcmp(si->args[b].strct, "statx");
	if (!sx && vu_strcmp(si->args[b].strct, "stat"))
		return;
	if (op->npaths) {
		path = c->args[op->path[0].arg];
		if (!path || !*(const char *)path)
			fd = vu_op_dirfd(c, 0);
	} else {
		fd = c->args[op->fd_arg];
	}
	fix_stat(o, c, (int)fd, path, (void *)c->args[b], sx);
}

static void overlay_leave(struct vu_layer *self, struct vu_call *c)
{
	struct ovl *o = self->state;
	const struct vu_op *op = c->op;
	long *a = c->args;
	struct ovl_note *n;
	size_t size;
	char *buf;

	switch (special(c->nr)) {
	case SP_GETCWD:
		if (c->ret > 0) {
			long len;

			buf = out_buf(c, &size);
			len = unmap_upper(o, c, buf, c->ret - 1, size, 1);
			c->ret = len < 0 ? len : len + 1;	/* the kernel counts the NUL */
		}
		return;
	case SP_READLINK:
		if (c->ret > 0 && proc_path((const char *)a[op->path[0].arg])) {
			buf = out_buf(c, &size);
			c->ret = unmap_upper(o, c, buf, c->ret, size, 0);
		}
		return;
	case SP_FCNTL:
		if (c->ret >= 0 && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) && o->fdgen &&
		    a[0] >= 0 && a[0] < OVL_MAXFD)
			ovl_fd_mark(o, c->ret, o->fdgen[a[0]]);
		return;
	}
	if (op->kind == VU_OP_IO) {
		/* dup, dup2, dup3: the new descriptor is on the same file */
		if (vu_sc_shapes[c->nr].ret == VU_RET_FD && c->ret >= 0 && o->fdgen &&
		    a[op->fd_arg] >= 0 && a[op->fd_arg] < OVL_MAXFD && a[op->fd_arg] != c->ret)
			ovl_fd_mark(o, c->ret, o->fdgen[a[op->fd_arg]]);
		return;
	}
	/* a new descriptor: to be watched when it is on a lower file */
	n = op->npaths ? ovl_note_of(c, a[op->path[0].arg]) : 0;
	if (vu_sc_shapes[c->nr].ret == VU_RET_FD && c->ret >= 0)
		ovl_fd_mark(o, c->ret, n && (n->flags & N_MARK) ? n->gen + 1 : 0);
	for (int i = 0; i < op->npaths; i++) {
		n = ovl_note_of(c, a[op->path[i].arg]);
		if (n && (n->flags & N_UNWH) && c->ret >= 0)
			ovl_leave_unwhiteout(o, c, n->path);
		if (n && (n->flags & N_LOWER) && c->ret == -EROFS && op->kind == VU_OP_READ)
			c->ret = ovl_ask_upper(o, c, op->path[i].arg, n->path);
	}
	if (c->ret == 0 && op->kind == VU_OP_READ)
		leave_stat(o, c);
}

/* wants: every call that names a file system object, by path or
 * descriptor (io: what it reads may follow a copy-up), but the mount
 * calls that do not open their object (mount, umount2...: see Limits) */
static int overlay_wants(struct vu_layer *self, long nr)
{
	int k = vu_sem_kind[nr];

	(void)self;
	if (special(nr))
		return 1;
	if (k == VU_OP_MOUNT)
		return vu_sc_shapes[nr].ret == VU_RET_FD;
	return k != VU_OP_NONE;
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
		if (vu_path_prefix(target, o->lower) > 0)
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

		if (cl && cu && (vu_path_prefix(cu, cl) >= 0 || vu_path_prefix(cl, cu) >= 0))
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
