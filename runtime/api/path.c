/*
 * path.c -- lexical path work for layers: absolute paths against a dirfd or
 * the cwd, "." and ".." and "//" removed. Signal-safe (gate syscalls only).
 *
 * Lexical ".." is not what the kernel does when a component is a symlink;
 * layers that match exact paths (remap) accept that, and say so.
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <limits.h>
#include "vu_core.h"

/* vu_path_normalize -- in must be absolute. Returns the length or -errno. */
long vu_path_normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;
	const char *p = in;

	if (in[0] != '/' || len < 2)
		return -EINVAL;
	out[o++] = '/';
	while (*p) {
		const char *start;
		size_t n;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		n = p - start;
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			if (o > 1) {
				o--;			/* drop the trailing '/' */
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		if (o + n + 2 > len)
			return -ENAMETOOLONG;
		vu_memcpy(out + o, start, n);
		o += n;
		out[o++] = '/';
	}
	if (o > 1)
		o--;				/* no trailing '/' */
	out[o] = 0;
	return o;
}

long vu_path_abs(int dirfd, const char *path, char *out, size_t len)
{
	char *tmp;
	long n;

	if (path[0] == '/')
		return vu_path_normalize(path, out, len);
	/* the base goes to the second half of out, the joined path is
	 * normalized into the first half */
	if (len < 8)
		return -ENAMETOOLONG;
	tmp = out + len / 2;
	if (dirfd == AT_FDCWD) {
		n = vu_sys2(SYS_getcwd, tmp, len / 2);
		if (n == -EPERM || n == -EACCES || n == -ENOSYS) {
			/* the program's seccomp filter refuses getcwd: the
			 * kernel's link of the cwd says the same */
			n = vu_sys4(SYS_readlinkat, AT_FDCWD, "/proc/self/cwd", tmp, len / 2 - 1);
			if (n >= 0) {
				tmp[n] = 0;
				if (tmp[0] != '/')
					return -ENOENT;
			}
		}
		if (n < 0)
			return n;
		n = vu_strlen(tmp);
	} else {
		char link[40];

		vu_format(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		n = vu_sys4(SYS_readlinkat, AT_FDCWD, link, tmp, len / 2 - 1);
		if (n < 0)
			return n == -ENOENT ? -EBADF : n;
		tmp[n] = 0;
		if (tmp[0] != '/')
			return -ENOTDIR;
	}
	if (n + 1 + vu_strlen(path) + 1 > len / 2)
		return -ENAMETOOLONG;
	tmp[n] = '/';
	vu_stpcpy(tmp + n + 1, path);
	return vu_path_normalize(tmp, out, len / 2);
}

/* the decoded path of c whose argument is i, or NULL */
static const struct vu_op_path *op_path(const struct vu_call *c, int i)
{
	for (int k = 0; c->op && k < c->op->npaths; k++)
		if (c->op->path[k].arg == i)
			return &c->op->path[k];
	return 0;
}

/* vu_call_dirfd -- the dirfd that goes with path argument i of c (from
 * the table's "does"), else AT_FDCWD. */
int vu_call_dirfd(const struct vu_call *c, int i)
{
	const struct vu_op_path *p = op_path(c, i);
	const struct vu_sc_shape *si = &vu_sc_shapes[c->nr];

	if (p)
		return p->dirfd_arg >= 0 ? (int)c->args[p->dirfd_arg] : AT_FDCWD;
	if (i > 0 && si->kind[i - 1] == VU_ARG_DIRFD)
		return (int)c->args[i - 1];
	return AT_FDCWD;
}

/* plain -- the path p as written: its length, and VU_NAMES_ABS and
 * VU_NAMES_PLAIN in *flags (a byte at a time: most bytes are past "/") */
static long plain(const char *p, unsigned *flags)
{
	const unsigned char *q = (const unsigned char *)p;
	unsigned c;

	*flags = 0;
	if (*q != '/') {
		while (*q)
			q++;
		return q - (const unsigned char *)p;
	}
	for (q++;; q++) {
		/* at the start of a component */
		c = *q;
		if (c == '/' || (c == '.' && (q[1] == '/' || !q[1] || (q[1] == '.' && (q[2] == '/' || !q[2])))))
			break;		/* "//", "." or ".." */
		if (!c) {
			if (q - (const unsigned char *)p == 1)
				*flags = VU_NAMES_ABS | VU_NAMES_PLAIN;	/* "/" */
			else
				break;	/* a trailing "/" */
			return 1;
		}
		while ((c = *++q) > '/' || (c != '/' && c))
			;
		if (!c) {
			*flags = VU_NAMES_ABS | VU_NAMES_PLAIN;
			return q - (const unsigned char *)p;
		}
	}
	*flags = VU_NAMES_ABS;
	while (*q)
		q++;
	return q - (const unsigned char *)p;
}

/* vu_path_plain -- the length of p when it is absolute and normalized
 * (as vu_path_normalize would leave it), else -1 */
long vu_path_plain(const char *p)
{
	unsigned f;
	long n = plain(p, &f);

	return (f & VU_NAMES_PLAIN) ? n : -1;
}

/* next_sep -- the first '/' or NUL at or after q, 8 bytes at a time (the
 * bytes of q's word before q read as 0xff: neither) */
static VU_WORDWISE const unsigned char *next_sep(const unsigned char *q)
{
	const vu_word *w = (const vu_word *)((unsigned long)q & ~7UL);
	unsigned long shift = ((unsigned long)q & 7) * 8;
	unsigned long v = *w | (shift ? ~0UL >> (64 - shift) : 0), z;

	while (!(z = VU_HAS_ZERO(v) | VU_HAS_ZERO(v ^ 0x2f2f2f2f2f2f2f2fUL)))
		v = *++w;
	return (const unsigned char *)w + (__builtin_ctzl(z) >> 3);
}

/* scan -- the names of the path p as written: the hash of each and
 * VU_NAMES_* in *nm; its length */
static long scan(const char *p, struct vu_names *nm)
{
	const unsigned char *q = (const unsigned char *)p;
	unsigned f = 0, c, k = 0, last = 0;

	if (*q == '/') {
		f = VU_NAMES_ABS | VU_NAMES_PLAIN;
		q++;
	}
	for (;;) {
		const unsigned char *s = q;
		size_t n;

		q = next_sep(q);
		c = *q;
		n = q - s;
		if (n == 0) {
			/* "//", or a trailing "/" (not "/" itself) */
			if (c || q - (const unsigned char *)p > 1)
				f &= ~VU_NAMES_PLAIN;
		} else {
			if (k < VU_NAMES_MAX)
				nm->hash[k] = vu_name_hash((const char *)s, n);
			k++;
			last = (unsigned)(s - (const unsigned char *)p);
			if (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.'))) {
				f &= ~VU_NAMES_PLAIN;
				if (n == 2)
					f |= VU_NAMES_DOTDOT;
			}
		}
		if (!c)
			break;
		q++;
	}
	nm->flags = f;
	nm->n = k;
	nm->last = last;
	return q - (const unsigned char *)p;
}

/* abspath -- vu_call_abspath's work: out has len bytes, of which the
 * second half may hold the base of a relative path */
static long abspath(const struct vu_call *c, int i, char *out, size_t len)
{
	const char *p = (const char *)c->args[i];

	if (!p || !*p)
		return -ENOENT;
	if (c->op && (c->op->resolve & RESOLVE_IN_ROOT) && p[0] == '/') {
		/* openat2 RESOLVE_IN_ROOT: "/" is the dirfd, and ".." stops
		 * there: normalize the path as if the dirfd were "/", then
		 * put it below the dirfd */
		long n = vu_path_normalize(p, out, len / 2), b;

		if (n < 0)
			return n;
		b = vu_path_abs(vu_call_dirfd(c, i), ".", out + len / 2, len / 2);
		if (b < 0)
			return b;
		if ((size_t)(b + n + 1) > len / 2)
			return -ENAMETOOLONG;
		vu_memcpy(out + len / 2 + b, n > 1 ? out : "", n > 1 ? n + 1 : 1);
		return vu_path_normalize(out + len / 2, out, len / 2);
	}
	return vu_path_abs(vu_call_dirfd(c, i), p, out, len);
}

/* vu_call_abspath -- path argument i of c, absolute and normalized, into out.
 * Returns the length, or -errno (-ENOENT for NULL or "" paths, -EINVAL for
 * a call or an argument index vu does not know). */
long vu_call_abspath(const struct vu_call *c, int i, char *out, size_t len)
{
	long n;
	unsigned long h;
	const char *p;

	if (c->nr < 0 || c->nr >= VU_NR_COUNT || i < 0 || i >= 6)
		return -EINVAL;
	p = vu_call_path(c, i, &n, &h);
	if (!p)
		return n == -ENOMEM ? abspath(c, i, out, len) : n;
	if ((size_t)n + 1 > len)
		return -ENAMETOOLONG;
	vu_memcpy(out, p, n + 1);
	return n;
}

/* the memo slot of path argument i of c as it is now (a fresh one when
 * the argument was rewritten), or NULL */
static struct vu_path_memo *slot(const struct vu_call *c, int i)
{
	struct vu_path_memo *memo = c->op ? c->op->memo : 0, *m;
	long src;

	if (!memo || i < 0 || i >= 6)
		return 0;
	src = c->args[i];
	if (memo[0].src == src && memo[0].arg == i && src)
		return &memo[0];
	if (memo[1].src == src && memo[1].arg == i && src)
		return &memo[1];
	/* a free slot, or the one this argument had before a rewrite */
	m = !memo[0].src || memo[0].arg == i ? &memo[0] : &memo[1];
	m->src = src;
	m->arg = i;
	m->scanned = m->measured = m->resolved = 0;
	return m;
}

const struct vu_names *vu_call_names(const struct vu_call *c, int i)
{
	struct vu_path_memo *m = i >= 0 && i < 6 ? slot(c, i) : 0;

	if (!m || !c->args[i])
		return 0;
	if (!m->scanned) {
		m->wlen = scan((const char *)c->args[i], &m->names);
		m->wflags = m->names.flags & (VU_NAMES_ABS | VU_NAMES_PLAIN);
		m->scanned = m->measured = 1;
	}
	return &m->names;
}

const char *vu_call_path(const struct vu_call *c, int i, long *len, unsigned long *hash)
{
	struct vu_path_memo *m;
	const char *p;
	int dirfd;

	if (c->nr < 0 || c->nr >= VU_NR_COUNT || i < 0 || i >= 6) {
		*len = -EINVAL;
		return 0;
	}
	m = slot(c, i);
	if (!m) {
		*len = -ENOMEM;
		return 0;
	}
	p = (const char *)c->args[i];
	if (!p || !*p) {
		*len = -ENOENT;
		return 0;
	}
	if (!m->measured) {
		m->wlen = plain(p, &m->wflags);
		m->measured = 1;
	}
	/* an absolute path does not depend on the dirfd (but RESOLVE_IN_ROOT) */
	dirfd = (m->wflags & VU_NAMES_ABS) && !(c->op->resolve & RESOLVE_IN_ROOT) ? AT_FDCWD : vu_call_dirfd(c, i);
	if (!m->resolved || m->dirfd != dirfd) {
		if ((m->wflags & VU_NAMES_PLAIN) && m->wlen < PATH_MAX && !(c->op->resolve & RESOLVE_IN_ROOT)) {
			m->str = p;	/* the usual case: taken as it is */
			m->len = m->wlen;
		} else {
			m->str = m->path;
			m->len = abspath(c, i, m->path, sizeof(m->path));
		}
		m->hash = m->len >= 0 ? vu_strmap_hash(m->str, m->len) : 0;
		m->dirfd = dirfd;
		m->resolved = 1;
	}
	*len = m->len;
	*hash = m->hash;
	return m->len >= 0 ? m->str : 0;
}

/* vu_path_prefix -- is path equal to prefix or below it (at a component
 * boundary)? Both absolute and normalized. Returns the length of prefix
 * that matched (so path + n is the rest, "" or "/..."), or -1. */
long vu_path_prefix(const char *path, const char *prefix)
{
	size_t n = vu_strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return 0;
	if (vu_strncmp(path, prefix, n))
		return -1;
	return path[n] == 0 || path[n] == '/' ? (long)n : -1;
}

/* the path arguments of call nr that name a file (not a symlink's
 * content), as bits; bit 7: worked out (the first time it is asked) */
static unsigned char path_args[VU_NR_COUNT];
static unsigned path_args_of(long nr);

unsigned vu_call_path_args(const struct vu_call *c)
{
	return c->nr >= 0 && c->nr < VU_NR_COUNT ? path_args_of(c->nr) : 0;
}

static unsigned path_args_of(long nr)
{
	unsigned m = path_args[nr];

	if (!m) {
		const struct vu_sc_shape *si = &vu_sc_shapes[nr];
		const struct vu_sem *s = &vu_sems[nr];

		for (int i = 0; i < si->nargs && i < 6; i++)
			if (si->kind[i] == VU_ARG_PATH)
				m |= 1U << i;
		for (int k = 0; k < s->npaths && k < 2; k++)
			if (s->path[k].role == VU_ROLE_CONTENT && s->path[k].arg >= 0)
				m &= ~(1U << s->path[k].arg);
		m |= 0x80;
		__atomic_store_n(&path_args[nr], (unsigned char)m, __ATOMIC_RELAXED);
	}
	return m & 0x3f;
}

enum vu_action vu_call_for_each_path(struct vu_call *c,
				     int (*maybe)(const void *ctx, const char *path, int dirfd),
				     enum vu_action (*fn)(const void *ctx, struct vu_call *c, int i,
							  const char *abs),
				     const void *ctx)
{
	for (unsigned m = vu_call_path_args(c); m; m &= m - 1) {
		int i = __builtin_ctz(m);
		const char *p = (const char *)c->args[i];
		const char *abs;
		unsigned long h;
		long n;

		if (!p || !*p || !maybe(ctx, p, vu_call_dirfd(c, i)))
			continue;
		abs = vu_call_path(c, i, &n, &h);
		if (!abs && n == -ENOMEM) {
			/* no memo (no thread block, or too deep): in scratch */
			unsigned long mark = c->scratch_used;
			char *buf = vu_call_alloc(c, 2 * PATH_MAX);
			enum vu_action a;

			if (!buf) {
				c->ret = -ENOMEM;
				return VU_DONE;
			}
			a = vu_call_abspath(c, i, buf, 2 * PATH_MAX) < 0 ? VU_CONTINUE : fn(ctx, c, i, buf);
			vu_call_release(c, mark);
			if (a == VU_DONE)
				return VU_DONE;
			continue;
		}
		if (abs && fn(ctx, c, i, abs) == VU_DONE)
			return VU_DONE;
	}
	return VU_CONTINUE;
}
