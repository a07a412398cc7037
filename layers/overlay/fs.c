/*
 * fs.c -- the overlay's view of names: resolving a path through
 * upper, whiteouts, opaque directories and lower; copy-up; whiteouts and
 * opaque markers. Runs on the hook path: gate system calls only, memory
 * from the caller (struct ovl_work in the call's scratch) or the stack.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include "overlay.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

/* a bounded string builder */
struct pb {
	char *b;
	size_t n, cap;
	int err;
};

static void pb_init(struct pb *p, char *buf, size_t cap)
{
	p->b = buf;
	p->n = 0;
	p->cap = cap;
	p->err = 0;
	buf[0] = 0;
}

static void pb_add(struct pb *p, const char *s, size_t n)
{
	if (p->err || p->n + n + 1 > p->cap) {
		p->err = -ENAMETOOLONG;
		return;
	}
	vu_memcpy(p->b + p->n, s, n);
	p->n += n;
	p->b[p->n] = 0;
}

static void pb_str(struct pb *p, const char *s)
{
	pb_add(p, s, vu_strlen(s));
}

/* add "/" + s (n bytes) unless s is empty */
static void pb_comp(struct pb *p, const char *s, size_t n)
{
	if (!n)
		return;
	if (!p->n || p->b[p->n - 1] != '/')
		pb_add(p, "/", 1);
	pb_add(p, s, n);
}

/* ovl_under -- is abs (absolute, normalized) lower, upper or below one of
 * them? 1: lower, 2: upper, 0: neither; *rest: what follows the prefix
 * ("" or "/..."). Upper is another name of lower: the program may hold a
 * cwd or dirfd in upper, and vu never shows upper as itself. */
int ovl_under(const struct ovl *o, const char *abs, const char **rest)
{
	long n;

	if ((n = vu_path_prefix(abs, o->lower)) >= 0 ||
	    (o->lower_cfg && (n = vu_path_prefix(abs, o->lower_cfg)) >= 0)) {
		*rest = abs + n;
		return 1;
	}
	if ((n = vu_path_prefix(abs, o->upper)) >= 0 ||
	    (o->upper_cfg && (n = vu_path_prefix(abs, o->upper_cfg)) >= 0)) {
		*rest = abs + n;
		return 2;
	}
	return 0;
}

/* ovl_join -- prefix "/" rel "/" name (rel and name may be "" or NULL);
 * 0 or -ENAMETOOLONG */
long ovl_join(char *out, size_t len, const char *prefix, const char *rel, const char *name)
{
	struct pb p;

	pb_init(&p, out, len);
	pb_str(&p, prefix);
	if (rel)
		pb_comp(&p, rel, vu_strlen(rel));
	if (name)
		pb_comp(&p, name, vu_strlen(name));
	return p.err;
}

/* ovl_real -- the real path of what r names (upper for NONE: where it
 * would be created) */
long ovl_real(const struct ovl *o, const struct ovl_res *r, char *out, size_t len)
{
	if (r->where == OVL_OUT) {
		size_t n = vu_strlen(r->rel);

		if (n + 1 > len)
			return -ENAMETOOLONG;
		vu_memcpy(out, r->rel, n + 1);
		return n;
	}
	long err = ovl_join(out, len, r->where == OVL_LOWER ? o->lower : o->upper, r->rel, NULL);

	return err < 0 ? err : (long)vu_strlen(out);
}

long ovl_lstat(const char *path, struct stat *st)
{
	return vu_sys4(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

int ovl_exists(const char *path)
{
	struct stat st;

	return ovl_lstat(path, &st) == 0;
}

/* lstat that treats "not there" as 0 and other failures as -errno */
static long probe(const char *path, struct stat *st)
{
	long r = ovl_lstat(path, st);

	if (r == 0)
		return 1;
	return r == -ENOENT || r == -ENOTDIR ? 0 : r;
}

/* the entry named name (n bytes) in directory rel of the merged view */
struct entry {
	int u, l, wh, opq;
	struct stat ust, lst;
};

static long lookup(const struct ovl *o, struct ovl_work *w, const char *rel, const char *name,
		   size_t n, int uok, int lok, struct entry *e)
{
	struct pb p;
	long r;

	e->u = e->l = e->wh = e->opq = 0;
	if (uok) {
		pb_init(&p, w->full, sizeof(w->full));
		pb_str(&p, o->upper);
		pb_comp(&p, rel, vu_strlen(rel));
		pb_comp(&p, name, n);
		if (p.err)
			return p.err;
		r = probe(w->full, &e->ust);
		if (r < 0)
			return r;
		e->u = (int)r;
		if (!e->u) {
			pb_init(&p, w->full, sizeof(w->full));
			pb_str(&p, o->upper);
			pb_comp(&p, rel, vu_strlen(rel));
			pb_comp(&p, OVL_WH, OVL_WH_LEN);
			pb_add(&p, name, n);
			if (p.err)
				return p.err;
			e->wh = ovl_exists(w->full);
		}
	}
	if (lok && !e->wh) {
		pb_init(&p, w->full, sizeof(w->full));
		pb_str(&p, o->lower);
		pb_comp(&p, rel, vu_strlen(rel));
		pb_comp(&p, name, n);
		if (p.err)
			return p.err;
		r = probe(w->full, &e->lst);
		if (r < 0)
			return r;
		e->l = (int)r;
	}
	if (e->u && e->l && S_ISDIR(e->ust.st_mode) && S_ISDIR(e->lst.st_mode)) {
		pb_init(&p, w->full, sizeof(w->full));
		pb_str(&p, o->upper);
		pb_comp(&p, rel, vu_strlen(rel));
		pb_comp(&p, name, n);
		pb_comp(&p, OVL_OPQ, sizeof(OVL_OPQ) - 1);
		if (p.err)
			return p.err;
		e->opq = ovl_exists(w->full);
	}
	return 0;
}

/* follow the symlink at rel/name (where: its layer): the rest of the walk
 * goes into w->rem as a new path relative to the root (returns 1), or the
 * walk left the overlay and w->rem holds an absolute path (returns 2) */
static long splice_link(const struct ovl *o, struct ovl_work *w, const char *rel,
			const char *name, size_t n, int upper, const char *next)
{
	struct pb p;
	long k;
	const char *rest;
	char *tmp = w->full + PATH_MAX;	/* second half: the joined path */

	pb_init(&p, w->full, PATH_MAX);
	pb_str(&p, upper ? o->upper : o->lower);
	pb_comp(&p, rel, vu_strlen(rel));
	pb_comp(&p, name, n);
	if (p.err)
		return p.err;
	k = vu_sys4(SYS_readlinkat, AT_FDCWD, w->full, w->lnk, sizeof(w->lnk) - 1);
	if (k < 0)
		return k;
	w->lnk[k] = 0;
	pb_init(&p, tmp, PATH_MAX);
	if (w->lnk[0] != '/') {
		pb_str(&p, o->lower);
		pb_comp(&p, rel, vu_strlen(rel));
	}
	pb_comp(&p, w->lnk, k);
	pb_comp(&p, next, vu_strlen(next));
	if (p.err)
		return p.err;
	k = vu_path_normalize(tmp, w->full, PATH_MAX);
	if (k < 0)
		return k;
	if (!ovl_under(o, w->full, &rest)) {
		vu_memcpy(w->rem, w->full, k + 1);
		return 2;
	}
	while (*rest == '/')
		rest++;
	vu_memcpy(w->rem, rest, vu_strlen(rest) + 1);
	return 1;
}

/* Most calls name a file in the same directory as a call shortly before
 * (tar, find, ls -l, git status), and each level of a path costs up to four
 * lstat()s: a few directories recently resolved are kept, by the hash of
 * the path as given, valid while no process changed upper's directories
 * (gen[1]). A slot is only try-locked (a signal handler or another thread
 * holding it means no cache this time), so this is safe on the hook path. */
static struct ovl_dircache *cache_lock(const struct ovl *o, const char *dir, size_t n)
{
	unsigned int h = 2166136261u;
	struct ovl_dircache *dc;
	int zero = 0;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)dir[i]) * 16777619u;
	dc = (struct ovl_dircache *)&o->cache[h & (OVL_NCACHE - 1)];
	if (!__atomic_compare_exchange_n(&dc->busy, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	return dc;
}

static void cache_unlock(struct ovl_dircache *dc)
{
	__atomic_store_n(&dc->busy, 0, __ATOMIC_RELEASE);
}

static unsigned int dirs_gen(const struct ovl *o)
{
	return __atomic_load_n(&o->gen[1], __ATOMIC_SEQ_CST);
}

/* ovl_dirs_changed -- upper gained, lost or hid a directory (or a
 * whiteout): cached directory lookups of every process are stale */
void ovl_dirs_changed(const struct ovl *o)
{
	if (o->gen)
		__atomic_add_fetch(&o->gen[1], 1, __ATOMIC_SEQ_CST);
}

/* ovl_resolve -- what rel (relative to the root, normalized) names in the
 * merged view. Symlinks before the last component are followed (through
 * the merged view: their targets may live in upper); the last one too when
 * follow is 1. follow OVL_PEEK: not followed, and not even looked up when
 * only lower can hold it (r->peeked: r->st is not filled in). r->rel must
 * point to PATH_MAX bytes. Errors: -ENOENT (a missing or whited-out
 * directory on the way), -ENOTDIR, -ELOOP, -ENAMETOOLONG. */
long ovl_resolve(const struct ovl *o, struct ovl_work *w, const char *in, int follow,
		 struct ovl_res *r)
{
	size_t inlen = vu_strlen(in), rl, dirlen = inlen;
	int links = 0, uok, lok, use_cache;
	unsigned int mod = o->gen ? dirs_gen(o) : 0;
	struct ovl_dircache *dc;
	const char *p;
	struct entry e;
	long err;

	if (inlen >= PATH_MAX)
		return -ENAMETOOLONG;
	vu_memcpy(w->rem, in, inlen + 1);
	while (dirlen > 0 && in[dirlen - 1] != '/')
		dirlen--;
	if (dirlen > 0)
		dirlen--;	/* "a/b/c": "a/b" */
	/* nothing to skip for a name in the root */
	use_cache = o->gen && dirlen && dirlen < OVL_CACHE_PATH;
restart:
	{
		char *keep = r->rel;

		ovl_memset(r, 0, sizeof(*r));
		r->rel = keep;
		r->rel[0] = 0;
	}
	rl = 0;
	uok = lok = 1;
	p = w->rem;
	while (*p == '/')
		p++;
	/* in may be r->rel, cleared above: the key is read from w->rem, which
	 * only a symlink (and then no cache) rewrites */
	if (use_cache && (dc = cache_lock(o, w->rem, dirlen))) {
		if (dc->valid && dc->mod == mod && dc->keylen == dirlen &&
		    !vu_strncmp(dc->key, w->rem, dirlen)) {
			/* the directory is known: start at the last component */
			vu_memcpy(r->rel, dc->rel, dc->rl + 1);
			rl = dc->rl;
			uok = dc->uok;
			lok = dc->lok;
			p = w->rem + dirlen + 1;
			use_cache = 0;
		}
		cache_unlock(dc);
	}
	if (!*p) {
		r->root = 1;
		r->where = OVL_UPPER;
		r->merged = r->lower = r->uparent = 1;
		if ((err = ovl_lstat(o->upper, &r->st)) < 0)
			return err;
		return ovl_lstat(o->lower, &r->lst);
	}
	for (;;) {
		const char *name = p, *next;
		size_t n = 0;
		int last, reserved;

		while (name[n] && name[n] != '/')
			n++;
		next = name + n;
		while (*next == '/')
			next++;
		last = !*next;
		if (last && use_cache && rl < OVL_CACHE_PATH && (dc = cache_lock(o, w->rem, dirlen))) {
			/* what the directory of the input resolved to */
			vu_memcpy(dc->key, w->rem, dirlen);
			dc->keylen = (unsigned short)dirlen;
			vu_memcpy(dc->rel, r->rel, rl + 1);
			dc->rl = (unsigned short)rl;
			dc->uok = uok;
			dc->lok = lok;
			dc->mod = mod;
			dc->valid = 1;
			cache_unlock(dc);
		}
		reserved = ovl_is_reserved(name, n);
		if (last && follow == OVL_PEEK && !uok && lok && !reserved) {
			/* only lower can have it, and nothing is followed:
			 * the kernel may look it up itself */
			if (rl + n + 2 > PATH_MAX)
				return -ENAMETOOLONG;
			if (rl)
				r->rel[rl++] = '/';
			r->namepos = rl;
			vu_memcpy(r->rel + rl, name, n);
			r->rel[rl + n] = 0;
			r->where = OVL_LOWER;
			r->peeked = 1;
			return 0;
		}
		if (!reserved) {
			err = lookup(o, w, r->rel, name, n, uok, lok, &e);
			if (err < 0)
				return err;
		} else {
			e.u = e.l = e.wh = e.opq = 0;
		}
		if ((e.u || e.l) && (!last || follow == 1)) {
			const struct stat *st = e.u ? &e.ust : &e.lst;

			if (S_ISLNK(st->st_mode)) {
				if (++links > OVL_MAXLINKS)
					return -ELOOP;
				/* next points into w->rem, which splice_link
				 * rewrites: it reads it before writing */
				err = splice_link(o, w, r->rel, name, n, e.u, next);
				if (err < 0)
					return err;
				if (err == 2) {
					size_t k = vu_strlen(w->rem);

					vu_memcpy(r->rel, w->rem, k + 1);
					r->where = OVL_OUT;
					return 0;
				}
				use_cache = 0;	/* not the input's directory any more */
				goto restart;
			}
		}
		if (!last) {
			const struct stat *st = e.u ? &e.ust : &e.lst;
			int merged;

			if (!e.u && !e.l)
				return -ENOENT;
			if (!S_ISDIR(st->st_mode))
				return -ENOTDIR;
			if (rl + n + 2 > PATH_MAX)
				return -ENAMETOOLONG;
			if (rl)
				r->rel[rl++] = '/';
			vu_memcpy(r->rel + rl, name, n);
			rl += n;
			r->rel[rl] = 0;
			merged = e.u && e.l && S_ISDIR(e.lst.st_mode) && !e.opq;
			lok = e.l && S_ISDIR(e.lst.st_mode) && (!e.u || merged);
			uok = e.u;
			p = next;
			continue;
		}
		/* the last component */
		r->reserved = reserved;
		r->whiteout = e.wh;
		r->uparent = uok;
		r->lower = e.l;
		if (e.l)
			r->lst = e.lst;
		if (e.u) {
			r->where = OVL_UPPER;
			r->st = e.ust;
			r->merged = e.l && S_ISDIR(e.ust.st_mode) && S_ISDIR(e.lst.st_mode) && !e.opq;
		} else if (e.l) {
			r->where = OVL_LOWER;
			r->st = e.lst;
		} else {
			r->where = OVL_NONE;
		}
		if (rl + n + 2 > PATH_MAX)
			return -ENAMETOOLONG;
		if (rl)
			r->rel[rl++] = '/';
		r->namepos = rl;
		vu_memcpy(r->rel + rl, name, n);
		r->rel[rl + n] = 0;
		return 0;
	}
}

/* copy owner, mode and times of st onto the new upper entry at path */
static void copy_attrs(const char *path, const struct stat *st, int mode_too)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	vu_sys5(SYS_fchownat, AT_FDCWD, path, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (mode_too)
		vu_sys3(SYS_fchmodat, AT_FDCWD, path, st->st_mode & 07777);
	vu_sys4(SYS_utimensat, AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* ovl_ensure_dirs -- the first n bytes of rel (a directory of the merged
 * view, no symlinks on the way) exist in upper: create what is missing
 * with lower's owner, mode and times. Uses w->full. */
long ovl_ensure_dirs(const struct ovl *o, struct ovl_work *w, const char *rel, size_t n)
{
	char *up = w->full, *lo = w->full + PATH_MAX;
	struct stat st;
	size_t e = 0;
	long r;

	while (e < n) {
		struct pb p;

		while (e < n && rel[e] != '/')
			e++;
		pb_init(&p, up, PATH_MAX);
		pb_str(&p, o->upper);
		pb_comp(&p, rel, e);
		if (p.err)
			return p.err;
		r = probe(up, &st);
		if (r < 0)
			return r;
		if (r && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (!r) {
			pb_init(&p, lo, PATH_MAX);
			pb_str(&p, o->lower);
			pb_comp(&p, rel, e);
			if (p.err)
				return p.err;
			r = ovl_lstat(lo, &st);
			if (r < 0)
				return r;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
			r = vu_sys2(SYS_mkdir, up, 0700);
			if (r == 0) {
				copy_attrs(up, &st, 1);
				ovl_dirs_changed(o);
			} else if (r != -EEXIST) {
				return r;
			}
		}
		while (e < n && rel[e] == '/')
			e++;
	}
	return 0;
}

/* ovl_tmpname -- a fresh name for a copy-up in rel's parent in upper;
 * 0 or -ENAMETOOLONG */
long ovl_tmpname(const struct ovl *o, char *out, size_t len, const char *rel, size_t namepos)
{
	static unsigned long seq;
	unsigned long k = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	char tail[64];
	struct pb p;

	vu_format(tail, sizeof(tail), OVL_TMP "%ld.%lu", vu_sys0(SYS_gettid), k);
	pb_init(&p, out, len);
	pb_str(&p, o->upper);
	pb_comp(&p, rel, namepos ? namepos - 1 : 0);
	pb_comp(&p, tail, vu_strlen(tail));
	return p.err;
}

/* buf: PATH_MAX bytes of scratch for the last resort */
static long copy_data(int from, int to, char *buf)
{
	long n;

	for (;;) {
		n = vu_sys6(SYS_copy_file_range, from, 0, to, 0, 1L << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (n != -EXDEV && n != -EINVAL && n != -ENOSYS && n != -EOPNOTSUPP)
		return n;
	for (;;) {
		n = vu_sys4(SYS_sendfile, to, from, 0, 1L << 30);
		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (n != -EINVAL && n != -ENOSYS)
		return n;
	while ((n = vu_sys3(SYS_read, from, buf, PATH_MAX)) > 0) {
		long o = 0;

		while (o < n) {
			long k = vu_sys3(SYS_write, to, buf + o, n - o);

			if (k < 0)
				return k;
			o += k;
		}
	}
	return n;
}

/* user extended attributes and the like (buf: PATH_MAX bytes of scratch;
 * names and values that do not fit are left out); failures are not errors */
static void copy_xattrs(int from, int to, char *buf)
{
	char *names = buf, *val = buf + PATH_MAX / 2;
	long n = vu_sys3(SYS_flistxattr, from, names, PATH_MAX / 2);

	for (long i = 0; n > 0 && i < n; i += vu_strlen(names + i) + 1) {
		long k = vu_sys4(SYS_fgetxattr, from, names + i, val, PATH_MAX / 2);

		if (k >= 0)
			vu_sys5(SYS_fsetxattr, to, names + i, val, k, 0);
	}
}

/* lo: lower's path, dead once open, so its buffer (PATH_MAX) is reused for
 * the data; xbuf: PATH_MAX more for the xattrs */
static long copy_file(char *lo, const char *tmp, const struct stat *st, int data, char *xbuf)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	long from, to, r = 0;

	from = vu_sys4(SYS_openat, AT_FDCWD, lo, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (from < 0)
		return from;
	to = vu_sys4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (to < 0) {
		vu_sys1(SYS_close, from);
		return to;
	}
	if (data)
		r = copy_data((int)from, (int)to, lo);
	if (r == 0) {
		copy_xattrs((int)from, (int)to, xbuf);
		vu_sys3(SYS_fchown, to, st->st_uid, st->st_gid);
		r = vu_sys2(SYS_fchmod, to, st->st_mode & 07777);
		vu_sys4(SYS_utimensat, to, 0, ts, 0);
	}
	vu_sys1(SYS_close, from);
	vu_sys1(SYS_close, to);
	return r;
}

/* ovl_copy_up -- bring r (where LOWER) into upper: parents, then the entry
 * under a temporary name, then renamed into place (so a half copy is never
 * seen, and a concurrent copy-up of the same file wins or loses whole).
 * data: copy the file's bytes (not needed before O_TRUNC). Uses w->full,
 * w->lnk and w->rem (r->rel must not live in them). */
long ovl_copy_up(const struct ovl *o, struct ovl_work *w, struct ovl_res *r, int data)
{
	char *lo = w->rem, *tmp = w->lnk, *up;
	const struct stat *st = &r->st;
	long err;

	if (r->where != OVL_LOWER)
		return r->where == OVL_UPPER ? 0 : -ENOENT;
	if (S_ISDIR(st->st_mode)) {
		err = ovl_ensure_dirs(o, w, r->rel, vu_strlen(r->rel));
		goto done;
	}
	err = ovl_ensure_dirs(o, w, r->rel, r->namepos ? r->namepos - 1 : 0);
	if (err < 0)
		return err;
	up = w->full;
	if ((err = ovl_join(lo, PATH_MAX, o->lower, r->rel, NULL)) < 0 ||
	    (err = ovl_join(up, PATH_MAX, o->upper, r->rel, NULL)) < 0 ||
	    (err = ovl_tmpname(o, tmp, PATH_MAX, r->rel, r->namepos)) < 0)
		return err;
	if (S_ISREG(st->st_mode)) {
		err = copy_file(lo, tmp, st, data, w->full + PATH_MAX);
	} else if (S_ISLNK(st->st_mode)) {
		char *target = w->full + PATH_MAX;
		long k = vu_sys4(SYS_readlinkat, AT_FDCWD, lo, target, PATH_MAX - 1);

		if (k < 0)
			return k;
		target[k] = 0;
		err = vu_sys3(SYS_symlinkat, target, AT_FDCWD, tmp);
		if (err == 0)
			copy_attrs(tmp, st, 0);
	} else {
		err = vu_sys4(SYS_mknodat, AT_FDCWD, tmp, st->st_mode, st->st_rdev);
		if (err == 0)
			copy_attrs(tmp, st, 1);
	}
	if (err == 0) {
		err = vu_sys5(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, up, RENAME_NOREPLACE);
		if (err == -EEXIST) {
			/* someone else copied it up first: theirs stands */
			vu_sys3(SYS_unlinkat, AT_FDCWD, tmp, 0);
			err = 0;
		}
	} else {
		vu_sys3(SYS_unlinkat, AT_FDCWD, tmp, 0);
	}
done:
	if (err < 0)
		return err;
	if ((err = ovl_join(w->full, PATH_MAX, o->upper, r->rel, NULL)) < 0)
		return err;
	err = ovl_lstat(w->full, &r->st);
	if (err < 0)
		return err;
	r->where = OVL_UPPER;
	r->merged = S_ISDIR(r->st.st_mode);
	r->uparent = 1;
	if (!S_ISDIR(r->st.st_mode))
		ovl_gen_bump(o);
	return 0;
}

static long marker_path(const struct ovl *o, char *out, const char *rel, size_t namepos)
{
	struct pb p;

	pb_init(&p, out, PATH_MAX);
	pb_str(&p, o->upper);
	pb_comp(&p, rel, namepos ? namepos - 1 : 0);
	pb_comp(&p, OVL_WH, OVL_WH_LEN);
	pb_str(&p, rel + namepos);
	if (!p.err && vu_strlen(rel + namepos) + OVL_WH_LEN > NAME_MAX)
		return -ENAMETOOLONG;
	return p.err ? p.err : (long)p.n;
}

/* ovl_whiteout -- mark rel (its last component at namepos) deleted */
long ovl_whiteout(const struct ovl *o, struct ovl_work *w, const char *rel, size_t namepos)
{
	long err = ovl_ensure_dirs(o, w, rel, namepos ? namepos - 1 : 0);

	if (err < 0)
		return err;
	if ((err = marker_path(o, w->lnk, rel, namepos)) < 0)
		return err;
	err = vu_sys4(SYS_mknodat, AT_FDCWD, w->lnk, S_IFREG | 0, 0);
	if (err == 0)
		ovl_dirs_changed(o);
	return err == -EEXIST ? 0 : err;
}

/* ovl_unwhiteout -- forget rel's whiteout (it exists again in upper) */
long ovl_unwhiteout(const struct ovl *o, struct ovl_work *w, const char *rel, size_t namepos)
{
	long err = marker_path(o, w->lnk, rel, namepos);

	if (err < 0)
		return err;
	err = vu_sys3(SYS_unlinkat, AT_FDCWD, w->lnk, 0);
	if (err == 0)
		ovl_dirs_changed(o);
	return err == -ENOENT ? 0 : err;
}

/* ovl_make_opaque -- lower's directory of the same name stops showing
 * through upperdir */
long ovl_make_opaque(const struct ovl *o, const char *upperdir, struct ovl_work *w)
{
	long err = ovl_join(w->lnk, PATH_MAX, upperdir, OVL_OPQ, NULL);

	if (err < 0)
		return err;
	err = vu_sys4(SYS_mknodat, AT_FDCWD, w->lnk, S_IFREG | 0, 0);
	if (err == 0)
		ovl_dirs_changed(o);
	return err == -EEXIST ? 0 : err;
}

struct dent64 {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* ovl_clear_markers -- remove vu's markers from upperdir, so that it can be
 * removed or replaced. Names removed under the directory cursor may make
 * it skip others: read again from the start until a pass removes none.
 * buf: PATH_MAX bytes of scratch. */
long ovl_clear_markers(const char *upperdir, char *buf)
{
	long fd = vu_sys4(SYS_openat, AT_FDCWD, upperdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long n = 0;
	int removed = 1;

	if (fd < 0)
		return fd;
	while (removed) {
		removed = 0;
		vu_sys3(SYS_lseek, fd, 0, SEEK_SET);
		while ((n = vu_sys3(SYS_getdents64, fd, buf, PATH_MAX)) > 0) {
			for (long i = 0; i < n;) {
				struct dent64 *d = (struct dent64 *)(buf + i);

				if (ovl_is_reserved(d->d_name, vu_strlen(d->d_name)) &&
				    vu_sys3(SYS_unlinkat, fd, d->d_name, 0) == 0)
					removed = 1;
				i += d->d_reclen;
			}
		}
		if (n < 0)
			break;
	}
	vu_sys1(SYS_close, fd);
	return n < 0 ? n : 0;
}

static int dot_or_dotdot(const char *s)
{
	return s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2]));
}

/* ovl_dir_empty -- 0 when the merged directory r has no entries, else
 * -ENOTEMPTY (or another -errno) */
long ovl_dir_empty(const struct ovl *o, struct ovl_work *w, const struct ovl_res *r)
{
	char *buf = w->rem;	/* free once resolved */
	long fd, n, err = 0;

	if (r->where == OVL_UPPER) {
		if ((err = ovl_join(w->full, PATH_MAX, o->upper, r->rel, NULL)) < 0)
			return err;
		fd = vu_sys4(SYS_openat, AT_FDCWD, w->full, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		while (!err && (n = vu_sys3(SYS_getdents64, fd, buf, PATH_MAX)) > 0) {
			for (long i = 0; i < n && !err;) {
				struct dent64 *d = (struct dent64 *)(buf + i);

				if (!dot_or_dotdot(d->d_name) &&
				    !ovl_is_reserved(d->d_name, vu_strlen(d->d_name)))
					err = -ENOTEMPTY;
				i += d->d_reclen;
			}
		}
		vu_sys1(SYS_close, fd);
		if (err || !r->merged)
			return err;
	}
	if ((err = ovl_join(w->full, PATH_MAX, o->lower, r->rel, NULL)) < 0)
		return err;
	fd = vu_sys4(SYS_openat, AT_FDCWD, w->full, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	while (!err && (n = vu_sys3(SYS_getdents64, fd, buf, PATH_MAX)) > 0) {
		for (long i = 0; i < n && !err;) {
			struct dent64 *d = (struct dent64 *)(buf + i);
			size_t k = vu_strlen(d->d_name);

			i += d->d_reclen;
			if (dot_or_dotdot(d->d_name) || ovl_is_reserved(d->d_name, k))
				continue;
			if (r->where != OVL_UPPER) {
				err = -ENOTEMPTY;
				break;
			}
			/* upper has no real entries: is this one whited out? */
			struct pb p;

			pb_init(&p, w->lnk, PATH_MAX);
			pb_str(&p, o->upper);
			pb_comp(&p, r->rel, vu_strlen(r->rel));
			pb_comp(&p, OVL_WH, OVL_WH_LEN);
			pb_add(&p, d->d_name, k);
			if (p.err)
				err = p.err;
			else if (!ovl_exists(w->lnk))
				err = -ENOTEMPTY;
		}
	}
	vu_sys1(SYS_close, fd);
	return err;
}

/* ovl_create_over -- a name made over a whiteout (mkdir, mknod, symlink:
 * the call c itself, its path argument arg pointed at a temporary name in
 * the same folder of upper), then, a folder made opaque, moved into place:
 * the whiteout's name never shows lower's old entry, nor a folder lower's
 * old entries */
long ovl_create_over(const struct ovl *o, struct ovl_work *w, const struct ovl_res *r,
		     struct vu_call *c, int arg)
{
	char *tmp = w->rem, *up = w->full + PATH_MAX;
	struct stat st;
	long a[6], err;
	int dir;

	if ((err = ovl_ensure_dirs(o, w, r->rel, r->namepos ? r->namepos - 1 : 0)) < 0)
		return err;
	if ((err = ovl_tmpname(o, tmp, PATH_MAX, r->rel, r->namepos)) < 0 ||
	    (err = ovl_join(up, PATH_MAX, o->upper, r->rel, NULL)) < 0)
		return err;
	vu_memcpy(a, c->args, sizeof(a));
	a[arg] = (long)tmp;	/* absolute: its dirfd is not used */
	err = vu_syscall6(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (err < 0)
		return err;
	dir = ovl_lstat(tmp, &st) == 0 && S_ISDIR(st.st_mode);
	err = dir ? ovl_make_opaque(o, tmp, w) : 0;
	if (err == 0)
		err = vu_sys5(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, up, RENAME_NOREPLACE);
	if (err < 0) {
		if (dir)
			ovl_clear_markers(tmp, w->lnk);
		vu_sys3(SYS_unlinkat, AT_FDCWD, tmp, dir ? AT_REMOVEDIR : 0);
		return err;
	}
	return ovl_unwhiteout(o, w, r->rel, r->namepos);
}

/* ovl_may -- may the caller do `what` to r? The kernel checks upper's
 * entries itself; what it cannot check is an entry still in lower, whose
 * copy in upper would belong to the caller. Root may do anything; a
 * read-only lower file system is no reason to refuse. */
long ovl_may(const struct ovl *o, struct ovl_work *w, const struct ovl_res *r, int what)
{
	long uid = vu_sys0(SYS_geteuid), err;

	if (uid == 0)
		return 0;
	switch (what) {
	case OVL_MAY_OWN:
		if (r->where == OVL_LOWER && (long)r->st.st_uid != uid)
			return -EPERM;
		return 0;
	case OVL_MAY_WRITE:
		if (r->where != OVL_LOWER)
			return 0;
		if ((err = ovl_join(w->lnk, PATH_MAX, o->lower, r->rel, NULL)) < 0)
			return err;
		err = vu_sys3(SYS_faccessat, AT_FDCWD, w->lnk, W_OK);
		return err == -EROFS ? 0 : err;
	case OVL_MAY_PARENT:
		{
			struct pb p;

			pb_init(&p, w->lnk, PATH_MAX);
			pb_str(&p, o->lower);
			pb_comp(&p, r->rel, r->namepos ? r->namepos - 1 : 0);
			if (p.err)
				return p.err;
		}
		err = vu_sys3(SYS_faccessat, AT_FDCWD, w->lnk, W_OK | X_OK);
		if (err == -ENOENT || err == -ENOTDIR || err == -EROFS)
			return 0;
		return err;
	}
	return 0;
}

/* ovl_gen_bump -- a file was copied up: descriptors that other processes
 * opened on the lower file look again before their next read */
void ovl_gen_bump(const struct ovl *o)
{
	if (o->gen)
		__atomic_add_fetch(o->gen, 1, __ATOMIC_SEQ_CST);
}
