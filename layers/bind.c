/*
 * bind.c -- the bind layer: a directory seen at another place, like
 * `proot -b source:target` or a bind mount.
 *
 * In: every path argument (syscalls.json type "path", with its dirfd) that
 * can reach target is made absolute against the *virtual* cwd or dirfd
 * (the kernel's one with source turned back into target), "." and ".."
 * are removed lexically, and a path under target is rewritten to the same
 * place under source. So `..` out of target leads to target's parent, not
 * source's. Paths that never touch target are passed on untouched (no
 * lexical rewriting of other people's paths).
 *
 * Out: what the kernel reports under source is turned back into target:
 * the getcwd result, and readlink(at) of the links under /proc (cwd, exe,
 * fd/N, ...). Ordinary symlinks are read verbatim.
 *
 * When target does not exist on the host, a getdents64 listing of its
 * parent gets one more entry, the target's name (inserted in the first
 * batch, position 0).
 *
 * Hooks run in signal handlers and libc wrappers: gate syscalls and the
 * call's scratch only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_layer.h"

struct bind {
	const char *src;	/* canonical (realpath) source */
	size_t slen;
	const char *tgt;	/* normalized absolute target */
	size_t tlen;
	const char *base;	/* last component of target */
	size_t blen;
	unsigned bhash;		/* vu_name_hash of base */
	struct vu_name_bits bits;	/* base's bit (vu_layer_names_only) */
	/* listing target in its parent (target missing on the host) */
	int inject;
	unsigned long pdev, pino;	/* the parent directory on the host */
	unsigned long sino;		/* the inode of source */
	unsigned char stype;		/* DT_DIR, or DT_REG for a file bound like proot -b FILE:FILE */
};

/* what the hooks keep between enter and leave, at the start of a scratch
 * block that the call's arguments point into */
#define BIND_MAGIC 0x62696e64UL
struct keep {
	unsigned long magic;
	const struct bind *b;
	char *buf;		/* the program's buffer */
	unsigned long len;	/* and its size */
};

/* ---- start-up ---- */

static int bind_init(struct vu_layer *self, char *err, size_t errlen)
{
	const char *source = self->opt[0].str, *target = self->opt[1].str;
	struct bind *b;
	char *src, *tgt, *parent;
	struct stat st;
	long n;

	if (!source || !target)
		return -EINVAL;
	if (target[0] != '/') {
		snprintf(err, errlen, "target \"%s\" must be an absolute path", target);
		return -EINVAL;
	}
	src = vu_host_realpath(source, NULL);
	if (!src || stat(src, &st)) {
		snprintf(err, errlen, "source %s: %s", source, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "source %s is neither a directory nor a regular file", source);
		return -EINVAL;
	}
	tgt = malloc(PATH_MAX);
	b = calloc(1, sizeof(*b));
	if (!tgt || !b)
		return -ENOMEM;
	n = vu_path_normalize(target, tgt, PATH_MAX);
	if (n < 0) {
		snprintf(err, errlen, "target \"%s\" is too long", target);
		return -ENAMETOOLONG;
	}
	if (n == 1) {
		snprintf(err, errlen, "target must not be /");
		return -EINVAL;
	}
	if (vu_path_prefix(tgt, src) >= 0 || vu_path_prefix(src, tgt) >= 0) {
		snprintf(err, errlen, "target %s and source %s must not contain one another", tgt,
			 src);
		return -EINVAL;
	}
	b->src = src;
	b->slen = strlen(src);
	b->tgt = tgt;
	b->tlen = n;
	b->base = strrchr(tgt, '/') + 1;
	b->blen = strlen(b->base);
	b->bhash = vu_name_hash(b->base, b->blen);
	b->sino = st.st_ino;
	b->stype = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	/* a target missing on the host is listed in its parent */
	parent = strndup(tgt, b->base - 1 - tgt);
	if (parent && lstat(tgt, &st) && errno == ENOENT &&
	    !stat(parent[0] ? parent : "/", &st) && S_ISDIR(st.st_mode)) {
		b->inject = 1;
		b->pdev = st.st_dev;
		b->pino = st.st_ino;
	}
	free(parent);
	self->state = b;
	/* one name of a folder reaches the target only when it is the target's
	 * last name (without "..": nothing else goes up); a path of several
	 * only when one of its names is */
	if (vu_name_bits_init(&b->bits, 1) == 0) {
		vu_name_bits_add(&b->bits, b->bhash);
		vu_layer_names_only(self, &b->bits, VU_NAMES_ONLY_FOLDER);
	}
	return 0;
}

static int bind_wants(struct vu_layer *self, long nr)
{
	const struct bind *b = self->state;

	/* leave() looks at getcwd, listings and readlink only */
	if (nr == VU_NR_getcwd || (nr == VU_NR_getdents64 && b->inject) || nr == VU_NR_readlinkat)
		return VU_WANTS;
#ifdef VU_NR_readlink
	if (nr == VU_NR_readlink)
		return VU_WANTS;
#endif
	/* paths in: from the path's text and the cwd (map) */
	return vu_sc_flags[nr] & VU_SC_PATH ? VU_WANTS_PURE : 0;
}

/* ---- strings ---- */

/* is s (length n) pre (length pn) or below it? */
static int under(const char *s, size_t n, const char *pre, size_t pn)
{
	return n >= pn && !vu_strncmp(s, pre, pn) && (n == pn || s[pn] == '/');
}

static void move(char *d, const char *s, size_t n)
{
	if (d < s)
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	else
		while (n--)
			d[n] = s[n];
}

/* replace the first pn bytes of s (length n, room for cap) by rep (length
 * rn); returns the new length or -ERANGE */
static long swap_prefix(char *s, size_t n, size_t pn, const char *rep, size_t rn, size_t cap)
{
	if (n - pn + rn + 1 > cap)
		return -ERANGE;
	move(s + rn, s + pn, n - pn + 1);
	vu_memcpy(s, rep, rn);
	return n - pn + rn;
}

/* unmap -- s (NUL-terminated, length n) under source -> under target. */
static long unmap(const struct bind *b, char *s, size_t n, size_t cap)
{
	if (!under(s, n, b->src, b->slen))
		return n;
	return swap_prefix(s, n, b->slen, b->tgt, b->tlen, cap);
}

/* which components does p have: the target's last one? ".."? */
static void scan(const struct bind *b, const char *p, int *hit, int *dotdot)
{
	*hit = *dotdot = 0;
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = p - s;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			*dotdot = 1;
		else if (n == b->blen && !vu_strncmp(s, b->base, n))
			*hit = 1;
	}
}

/* normalize -- like vu_path_normalize, and tell whether any prefix on the
 * way was under target (*touched). in is absolute. */
static long normalize(const struct bind *b, const char *in, char *out, size_t len, int *touched)
{
	size_t o = 1;
	const char *p = in;

	out[0] = '/';
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = p - s;
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (o > 1) {
				o--;
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		if (o + n + 2 > len)
			return -ENAMETOOLONG;
		vu_memcpy(out + o, s, n);
		o += n;
		if (!*touched && under(out, o, b->tgt, b->tlen))
			*touched = 1;
		out[o++] = '/';
	}
	if (o > 1)
		o--;
	out[o] = 0;
	return o;
}

/* the kernel's path of the cwd or of dirfd, into out; length or -errno */
static long real_base(int dirfd, char *out, size_t len)
{
	long n;

	if (dirfd == AT_FDCWD) {
		n = vu_sys2(SYS_getcwd, out, len);
		if (n < 0)
			return n;
	} else {
		char link[40];

		vu_format(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		n = vu_sys4(SYS_readlinkat, AT_FDCWD, link, out, len - 1);
		if (n < 0)
			return n;
		out[n] = 0;
	}
	if (out[0] != '/')
		return -ENOENT;	/* "(unreachable)", "pipe:[...]" */
	return vu_strlen(out);
}

/* ---- paths in ---- */

/* map -- path argument i of c as the kernel must see it, in scratch; NULL
 * when it stays as it is. *err: -ENOMEM when scratch ran out. */
static const char *map(const struct bind *b, struct vu_call *c, int i, long *err)
{
	const char *p = (const char *)c->args[i];
	unsigned long mark = c->scratch_used;
	int hit, dotdot, touched = 0;
	char *out, *in;
	size_t plen;
	long n;

	if (!p || !*p)
		return NULL;
	{
		/* the call's names: most paths bear not the target's last
		 * name and are let go at once */
		const struct vu_names *nm = vu_call_names(c, i);
		unsigned k = 0;

		if (nm && nm->n <= VU_NAMES_MAX && ((nm->flags & VU_NAMES_ABS) || !(nm->flags & VU_NAMES_DOTDOT))) {
			while (k < nm->n && nm->hash[k] != b->bhash)
				k++;
			if (k == nm->n)
				return NULL;
		}
	}
	scan(b, p, &hit, &dotdot);
	if (!hit && (p[0] == '/' || !dotdot))
		return NULL;	/* cannot reach target, or resolves as it is */
	out = vu_call_alloc(c, 3 * PATH_MAX);
	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	in = out + PATH_MAX;
	plen = vu_strlen(p);
	if (p[0] == '/') {
		if (plen >= 2 * PATH_MAX)
			goto keep;
		vu_memcpy(in, p, plen + 1);
	} else {
		n = real_base(vu_call_dirfd(c, i), in, PATH_MAX);
		if (n < 0 || (!hit && !under(in, n, b->src, b->slen)))
			goto keep;	/* the kernel gives its own error */
		n = unmap(b, in, n, PATH_MAX);
		if (n < 0 || n + 1 + plen >= 2 * PATH_MAX)
			goto keep;
		in[n] = '/';
		vu_memcpy(in + n + 1, p, plen + 1);
	}
	n = normalize(b, in, out, PATH_MAX, &touched);
	if (n < 0 || !touched)
		goto keep;
	if (under(out, n, b->tgt, b->tlen)) {
		n = swap_prefix(out, n, b->tlen, b->src, b->slen, PATH_MAX);
		if (n < 0)
			goto keep;
	}
	/* a trailing slash (or "/.") asks for a directory: keep asking */
	if (n > 1 && (p[plen - 1] == '/' ||
		      (p[plen - 1] == '.' && (plen == 1 || p[plen - 2] == '/')))) {
		if (n + 2 > PATH_MAX)
			goto keep;
		out[n++] = '/';
		out[n] = 0;
	}
	vu_call_release(c, mark + ((n + 1 + 15) & ~15UL));
	return out;
keep:
	vu_call_release(c, mark);
	return NULL;
}

static enum vu_action map_args(const struct bind *b, struct vu_call *c)
{
	const struct vu_sc_shape *si = &vu_sc_shapes[c->nr];

	for (int i = 0; i < si->nargs; i++) {
		const char *m;
		long err = 0;

		if (si->kind[i] != VU_ARG_PATH)
			continue;
		m = map(b, c, i, &err);
		if (err) {
			c->ret = err;
			return VU_DONE;
		}
		if (m) {
			vu_debug("bind %s: %s -> %s", vu_syscalls[c->nr].name, (const char *)c->args[i], m);
			c->args[i] = (long)m;
		}
	}
	return VU_CONTINUE;
}

/* ---- paths out ---- */

/* swap_buf -- let the kernel write into a PATH_MAX scratch buffer instead
 * of the program's (argument bi, its size in argument li), so a result that
 * grows when unmapped is not cut short by the kernel. */
static void swap_buf(const struct bind *b, struct vu_call *c, int bi, int li)
{
	struct keep *k;

	if (!c->args[bi] || c->args[li] <= 0)
		return;		/* the kernel's own EFAULT / EINVAL / ERANGE */
	k = vu_call_alloc(c, sizeof(*k) + PATH_MAX);
	if (!k)
		return;		/* no room: results pass unmapped */
	k->magic = BIND_MAGIC;
	k->b = b;
	k->buf = (char *)c->args[bi];
	k->len = c->args[li];
	c->args[bi] = (long)(k + 1);
	c->args[li] = PATH_MAX;
}

/* the keep block behind pointer p, if p is one of ours in this call */
static struct keep *kept(const struct bind *b, const struct vu_call *c, long p)
{
	unsigned long off = (unsigned long)p - (unsigned long)c->scratch;
	struct keep *k = (struct keep *)p - 1;

	if (!c->scratch || off < sizeof(*k) || off > VU_SCRATCH_SIZE ||
	    k->magic != BIND_MAGIC || k->b != b)
		return NULL;
	return k;
}

/* getcwd (syscall semantics: length with the NUL) */
static void getcwd_leave(const struct bind *b, struct vu_call *c)
{
	struct keep *k = kept(b, c, c->args[0]);
	char *s;
	long n;

	if (!k)
		return;
	c->args[0] = (long)k->buf;
	c->args[1] = k->len;
	if (c->ret <= 0)
		return;
	s = (char *)(k + 1);
	n = c->ret - 1;
	s[n] = 0;
	if (s[0] == '/')
		n = unmap(b, s, n, PATH_MAX);
	if (n < 0 || (unsigned long)n + 1 > k->len) {
		c->ret = -ERANGE;
		return;
	}
	vu_memcpy(k->buf, s, n + 1);
	c->ret = n + 1;
}

/* is the link read by readlink(at) c one of the kernel's, under /proc? */
static int proc_link(struct vu_call *c, int pi)
{
	unsigned long mark = c->scratch_used;
	char *abs = vu_call_alloc(c, 2 * PATH_MAX);
	long n;
	int r = 0;

	if (abs) {
		n = vu_call_abspath(c, pi, abs, 2 * PATH_MAX);
		r = n > 0 && (vu_path_prefix(abs, "/proc") >= 0 || vu_path_prefix(abs, "/dev/fd") >= 0);
	}
	vu_call_release(c, mark);
	return r;
}

static void readlink_leave(const struct bind *b, struct vu_call *c)
{
	int pi = c->nr == VU_NR_readlinkat ? 1 : 0;
	struct keep *k = kept(b, c, c->args[pi + 1]);
	char *s;
	long n;

	if (!k)
		return;
	c->args[pi + 1] = (long)k->buf;
	c->args[pi + 2] = k->len;
	if (c->ret < 0)
		return;
	s = (char *)(k + 1);
	n = c->ret;
	if (n >= PATH_MAX)
		n = PATH_MAX - 1;
	s[n] = 0;
	if (under(s, n, b->src, b->slen) && proc_link(c, pi)) {
		long m = unmap(b, s, n, PATH_MAX);

		if (m >= 0) {
			vu_debug("bind readlink: %s -> %s", b->src, s);
			n = m;
		}
	}
	if ((unsigned long)n > k->len)
		n = k->len;
	vu_memcpy(k->buf, s, n);
	c->ret = n;
}

/* ---- the target in its parent's listing ---- */

struct kdirent {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static unsigned long reclen(const struct bind *b)
{
	return (offsetof(struct kdirent, d_name) + b->blen + 1 + 7) & ~7UL;
}

/* Every batch leaves room for one entry at its end (the unused sixth
 * argument carries the keep block to leave()); the batch that holds the
 * parent's own "." gets the target's entry there. So no system call is
 * made for other folders' listings (find reads thousands). */
static void getdents_enter(const struct bind *b, struct vu_call *c)
{
	unsigned long rl = reclen(b);
	struct keep *k;

	if ((unsigned long)c->args[2] < rl + 512)
		return;
	k = vu_call_alloc(c, sizeof(*k));
	if (!k)
		return;
	k->magic = BIND_MAGIC;
	k->b = b;
	k->buf = (char *)c->args[1];
	k->len = c->args[2];
	c->args[2] -= rl;
	c->args[5] = (long)(k + 1);
}

/* the batch's "." entry (the folder's own inode), or NULL */
static const struct kdirent *dot_of(const char *buf, long n)
{
	for (long off = 0; off + (long)offsetof(struct kdirent, d_name) + 2 <= n;) {
		const struct kdirent *d = (const struct kdirent *)(buf + off);

		if (d->d_reclen == 0)
			break;
		if (d->d_name[0] == '.' && d->d_name[1] == 0)
			return d;
		off += d->d_reclen;
	}
	return NULL;
}

static void getdents_leave(const struct bind *b, struct vu_call *c)
{
	struct keep *k = kept(b, c, c->args[5]);
	const struct kdirent *dot, *last;
	struct kdirent *d;
	struct stat st;
	long off;

	if (!k)
		return;
	c->args[1] = (long)k->buf;
	c->args[2] = k->len;
	c->args[5] = 0;
	if (c->ret <= 0)
		return;		/* errors and the end stay as they are */
	dot = dot_of(k->buf, c->ret);
	if (!dot || dot->d_ino != b->pino)
		return;
	if (vu_sys2(SYS_fstat, c->args[0], &st) || st.st_dev != b->pdev || st.st_ino != b->pino)
		return;		/* the same inode number on another file system */
	for (off = 0, last = NULL; off < c->ret; off += last->d_reclen)
		last = (const struct kdirent *)(k->buf + off);
	d = (struct kdirent *)(k->buf + c->ret);
	d->d_ino = b->sino;
	d->d_off = last->d_off;	/* telldir after it: where the next batch starts */
	d->d_reclen = reclen(b);
	d->d_type = b->stype;
	vu_memcpy(d->d_name, b->base, b->blen + 1);
	for (unsigned long i = offsetof(struct kdirent, d_name) + b->blen + 1; i < d->d_reclen; i++)
		((char *)d)[i] = 0;
	c->ret += d->d_reclen;
}

/* ---- hooks ---- */

static enum vu_action bind_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct bind *b = self->state;

	switch (c->nr) {
	case VU_NR_getcwd:
		swap_buf(b, c, 0, 1);
		return VU_CONTINUE;
	case VU_NR_getdents64:
		getdents_enter(b, c);
		return VU_CONTINUE;
	}
	if (map_args(b, c) == VU_DONE)
		return VU_DONE;
	if (c->nr == VU_NR_readlinkat)
		swap_buf(b, c, 2, 3);
#ifdef VU_NR_readlink
	else if (c->nr == VU_NR_readlink)
		swap_buf(b, c, 1, 2);
#endif
	return VU_CONTINUE;
}

static void bind_leave(struct vu_layer *self, struct vu_call *c)
{
	const struct bind *b = self->state;

	switch (c->nr) {
	case VU_NR_getcwd:
		getcwd_leave(b, c);
		break;
	case VU_NR_getdents64:
		getdents_leave(b, c);
		break;
	case VU_NR_readlinkat:
#ifdef VU_NR_readlink
	case VU_NR_readlink:
#endif
		readlink_leave(b, c);
		break;
	}
}

const struct vu_layer_ops vu_layer_bind_ops = {
	.abi = VU_ABI_VERSION,
	.init = bind_init,
	.wants = bind_wants,
	.enter = bind_enter,
	.leave = bind_leave,
};
