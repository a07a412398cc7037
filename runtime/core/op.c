/*
 * op.c -- a call decoded once into what it does (struct vu_op), from the
 * table's "does" (vu_sems[], generated from syscalls.json; see
 * docs/TABLE.md), and the one question the path layers ask the kernel:
 * which object would this path argument reach?
 *
 * Layers decide by the decoded operation, never by syscall number: the
 * kind of change, each path argument with its dirfd and follow rule, the
 * descriptor acted on, an open's flags and openat2's RESOLVE_* flags.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_core.h"

/* what a call does before its arguments are looked at (the table's part,
 * worked out the first time the call is seen), and whether its paths
 * depend on its flags */
static struct vu_op tmpl[VU_NR_COUNT] VU_BIG_BSS;
static unsigned char tmpl_state[VU_NR_COUNT];	/* 0 not yet; 1 static paths; 2 flag-dependent */

static void make_tmpl(long nr)
{
	const struct vu_sem *s = &vu_sems[nr];
	struct vu_op *op = &tmpl[nr];
	int dyn = 0;

	op->kind = s->kind;
	op->writes = 0;
	op->fd_arg = s->fd;
	op->npaths = s->npaths;
	op->oflags = s->kind == VU_OP_OPEN && s->how < 0 && s->oflags < 0 ? s->oflags_fixed : 0;
	op->resolve = 0;
	op->memo = 0;
	if (s->kind == VU_OP_OPEN) {
		op->writes = vu_open_writes(op->oflags);
		dyn = 1;
	} else {
		op->writes = vu_kind_writes(s->kind);
	}
	for (int i = 0; i < s->npaths && i < 2; i++) {
		const struct vu_sem_path *sp = &s->path[i];
		struct vu_op_path *p = &op->path[i];

		p->arg = sp->arg;
		p->dirfd_arg = sp->dirfd;
		p->role = sp->role;
		p->follow = sp->follow;
		p->empty = 0;
		p->empty_needs_fd = sp->empty_needs_fd;
		if (sp->nofollow || sp->follow_flag || sp->empty || sp->null_is_fd)
			dyn = 1;
	}
	__atomic_store_n(&tmpl_state[nr], dyn ? 2 : 1, __ATOMIC_RELEASE);
}

/* vu_op_decode -- what c does, from the table and its arguments. */
void vu_op_decode(const struct vu_call *c, struct vu_op *op)
{
	const struct vu_sem *s;
	int state;

	if (c->nr < 0 || c->nr >= VU_NR_COUNT) {
		op->kind = VU_OP_NONE;
		op->writes = 0;
		op->npaths = 0;
		op->fd_arg = -1;
		op->oflags = 0;
		op->resolve = 0;
		op->memo = 0;
		return;
	}
	state = __atomic_load_n(&tmpl_state[c->nr], __ATOMIC_ACQUIRE);
	if (__builtin_expect(!state, 0)) {
		make_tmpl(c->nr);	/* two threads at once write the same */
		state = tmpl_state[c->nr];
	}
	*op = tmpl[c->nr];
	if (state == 1)
		return;
	s = &vu_sems[c->nr];
	if (s->kind == VU_OP_OPEN) {
		if (s->how >= 0) {
			const struct open_how *how = (const struct open_how *)c->args[s->how];

			/* a short or missing struct: the kernel refuses the call */
			if (how && (s->howsize < 0 ||
				    (unsigned long)c->args[s->howsize] >= sizeof(*how))) {
				op->oflags = how->flags;
				op->resolve = how->resolve;
			}
		} else if (s->oflags >= 0) {
			op->oflags = (unsigned int)c->args[s->oflags];
		}
		op->writes = vu_open_writes(op->oflags);
	}
	for (int i = 0; i < s->npaths && i < 2; i++) {
		const struct vu_sem_path *sp = &s->path[i];
		struct vu_op_path *p = &op->path[i];
		unsigned long fl = 0;

		if (s->kind == VU_OP_OPEN)
			fl = op->oflags;
		else if (sp->flags >= 0)
			fl = (unsigned long)c->args[sp->flags];
		if (sp->nofollow && (fl & sp->nofollow))
			p->follow = 0;
		if (sp->follow_flag && (fl & sp->follow_flag))
			p->follow = 1;
		if (sp->empty && (fl & sp->empty))
			p->empty = 1;
		if (s->kind == VU_OP_OPEN && (fl & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
			p->follow = 0;		/* the kernel never follows then */
		if (sp->null_is_fd && !c->args[sp->arg])
			p->empty = 1;
	}
}

/* vu_op_dirfd -- the directory path argument i is looked up from */
int vu_op_dirfd(const struct vu_call *c, int i)
{
	const struct vu_op_path *p = &c->op->path[i];

	return p->dirfd_arg >= 0 ? (int)c->args[p->dirfd_arg] : AT_FDCWD;
}

/* open path (at dirfd) O_PATH the way the call's lookup would go */
static long open_path(unsigned long long resolve, int dirfd, const char *path, int follow, int dir)
{
	unsigned long fl = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) | (dir ? O_DIRECTORY : 0);

	if (resolve) {
		struct open_how how = { .flags = fl, .mode = 0, .resolve = resolve };

		return vu_sys4(SYS_openat2, dirfd, path, &how, sizeof(how));
	}
	return vu_sys4(SYS_openat, dirfd, path, fl, 0);
}

/* r->real, and with VU_REACH_STAT the mode and identity, of the object
 * fd is open on (or, for a parent lookup, of the name in that folder) */
static long fill(struct vu_reach *r, long fd, int how)
{
	struct stat st;
	size_t n;
	long e;

	r->fd = (int)fd;
	e = vu_fd_realpath(r->fd, r->real, PATH_MAX);
	if (e < 0)
		return e;
	n = (size_t)e;
	r->dirlen = n;
	if (r->name && r->name[0]) {
		if (n + 1 + vu_strlen(r->name) + 1 > PATH_MAX)
			return -ENAMETOOLONG;
		vu_stpcpy(vu_stpcpy(r->real + n - (n == 1), "/"), r->name);
		if (n == 1)
			r->dirlen = 1;
	}
	if (!(how & VU_REACH_STAT))
		return 0;
	if (r->name && r->name[0])
		e = vu_sys4(SYS_newfstatat, r->fd, r->name, &st, AT_SYMLINK_NOFOLLOW);
	else
		e = vu_sys2(SYS_fstat, r->fd, &st);
	r->exists = e == 0;
	if (e == 0) {
		r->mode = st.st_mode;
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
	return 0;
}

/* split path into its folder (dir) and last component (name, "" when it
 * is not a plain name: ".", "..", "/") */
static long split(struct vu_call *c, const char *path, char **dir, char **name)
{
	size_t n = vu_strlen(path), s;

	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	while (n > 1 && path[n - 1] == '/')
		n--;
	s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	if (n - s > NAME_MAX)
		return -ENAMETOOLONG;
	*dir = vu_call_alloc(c, n + 2);
	*name = vu_call_alloc(c, NAME_MAX + 2);
	if (!*dir || !*name)
		return -ENOMEM;
	vu_memcpy(*name, path + s, n - s);
	(*name)[n - s] = 0;
	if (n - s == 0 || !vu_strcmp(*name, ".") || !vu_strcmp(*name, ".."))
		(*name)[0] = 0;
	if (s == 0) {
		vu_stpcpy(*dir, ".");
	} else {
		vu_memcpy(*dir, path, s);
		(*dir)[s] = 0;
	}
	return 0;
}

/* vu_reach_at -- see vu_layer.h */
long vu_reach_at(struct vu_call *c, int dirfd, const char *path, int how,
		 unsigned long long resolve, struct vu_reach *r)
{
	char *dir, *name;
	long fd, e;

	r->fd = -1;
	r->owned = 1;
	r->exists = 0;
	r->mode = 0;
	r->dev = r->ino = 0;
	r->name = 0;
	r->dirlen = 0;
	r->real = vu_call_alloc(c, PATH_MAX);
	if (!r->real)
		return -ENOMEM;
	if (!path || !*path) {
		if (!(how & VU_REACH_EMPTY))
			return path ? -ENOENT : -EFAULT;
		/* the dirfd itself (or the cwd) */
		if (dirfd == AT_FDCWD) {
			fd = vu_sys4(SYS_openat, AT_FDCWD, ".", O_PATH | O_CLOEXEC, 0);
		} else {
			fd = dirfd;
			r->owned = 0;
		}
		if (fd < 0)
			return fd;
		return fill(r, fd, how);
	}
	if (!(how & VU_REACH_PARENT)) {
		fd = open_path(resolve, dirfd, path, how & VU_REACH_FOLLOW, 0);
		if (fd < 0)
			return fd;
		return fill(r, fd, how);
	}
	e = split(c, path, &dir, &name);
	if (e < 0)
		return e;
	r->name = name;
	/* ".", "..", "/": the folder the path names is the object */
	fd = open_path(resolve, dirfd, name[0] ? dir : path, 1, 1);
	if (fd < 0)
		return fd;
	return fill(r, fd, how);
}

/* vu_op_reach -- see vu_layer.h */
long vu_op_reach(struct vu_call *c, int i, int how, struct vu_reach *r)
{
	const struct vu_op_path *p = &c->op->path[i];

	how &= VU_REACH_PARENT | VU_REACH_STAT;
	if (p->empty && p->empty_needs_fd && p->dirfd_arg >= 0) {
		const char *path = (const char *)c->args[p->arg];
		long fl = vu_sys2(SYS_fcntl, c->args[p->dirfd_arg], F_GETFL);

		/* the kernel's own answer for "" on an O_PATH descriptor */
		if ((!path || !*path) && (fl < 0 || (fl & O_PATH)))
			return r->fd = -1, fl < 0 ? fl : -EBADF;
	}
	if (p->follow)
		how |= VU_REACH_FOLLOW;
	if (p->empty)
		how |= VU_REACH_EMPTY;
	return vu_reach_at(c, vu_op_dirfd(c, i), (const char *)c->args[p->arg], how,
			   c->op->resolve, r);
}

/* vu_reach_close -- give back the descriptor of a vu_reach_at */
void vu_reach_close(struct vu_reach *r)
{
	if (r->fd >= 0 && r->owned)
		vu_sys1(SYS_close, r->fd);
	r->fd = -1;
}
