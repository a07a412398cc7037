/*
 * dir.c -- getdents64/getdents on a directory of the overlay: the
 * merged listing (upper's entries, then lower's that upper neither has nor
 * whites out; vu's markers never shown) is built when a read starts at
 * position 0 and kept per open directory, so that entries removed or added
 * while the program reads do not shift the rest (rm -rf reads and deletes
 * in turn). The position lives in the kernel's file offset of the program's
 * own descriptor (lseek), so it is shared by dup()s and forks as a real
 * directory offset is, and d_off (index + 1) works with telldir/seekdir.
 * A merged subdirectory shows lower's d_ino, like stat() (see overlay.c).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "overlay.h"

struct dent64 {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct dent_old {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

#define DT_UNKNOWN_ 0
#define DT_DIR_ 4

/* a growable anonymous mapping */
struct arena {
	char *base;
	size_t len, cap;
};

static long arena_grow(struct arena *a, size_t need)
{
	size_t cap = a->cap ? a->cap : 65536;
	long m;

	if (a->len + need <= a->cap)
		return 0;
	while (cap < a->len + need)
		cap *= 2;
	if (!a->base)
		m = vu_sys6(SYS_mmap, 0, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		m = vu_sys5(SYS_mremap, a->base, a->cap, cap, MREMAP_MAYMOVE, 0);
	if (m < 0 && m > -4096)
		return m;
	a->base = (char *)m;
	a->cap = cap;
	return 0;
}

static void arena_free(struct arena *a)
{
	if (a->base)
		vu_sys2(SYS_munmap, a->base, a->cap);
	a->base = 0;
	a->len = a->cap = 0;
}

/* the names seen in upper: open addressing over offsets into the records
 * (real entries) or into a side arena (whiteouts) */
struct nameset {
	struct arena slots;	/* unsigned int pairs: (offset + 1, kind) */
	unsigned int cap, count;
};

#define NS_REC 1	/* offset of a record in the listing */
#define NS_WH 2		/* offset of a name in the whiteout arena */

static unsigned int hash(const char *s, size_t n)
{
	unsigned int h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct build {
	struct arena rec;	/* records */
	struct arena wh;	/* whiteout names */
	struct nameset ns;
	unsigned int n;
};

static const char *ns_name(const struct build *b, const unsigned int *slot)
{
	if (slot[1] == NS_REC)
		return ((const struct dent64 *)(b->rec.base + slot[0] - 1))->d_name;
	return b->wh.base + slot[0] - 1;
}

static unsigned int *ns_find(struct build *b, const char *name, size_t n)
{
	unsigned int *s = (unsigned int *)b->ns.slots.base;

	if (!b->ns.cap)
		return 0;
	for (unsigned int i = hash(name, n) & (b->ns.cap - 1);; i = (i + 1) & (b->ns.cap - 1)) {
		unsigned int *slot = s + 2 * i;
		const char *k;

		if (!slot[0])
			return 0;
		k = ns_name(b, slot);
		if (!vu_strncmp(k, name, n) && !k[n])
			return slot;
	}
}

static long ns_add(struct build *b, unsigned int off, unsigned int kind);

static long ns_rehash(struct build *b)
{
	struct nameset old = b->ns;
	unsigned int cap = old.cap ? old.cap * 2 : 256;
	long err;

	b->ns.slots.base = 0;
	b->ns.slots.len = b->ns.slots.cap = 0;
	b->ns.cap = cap;
	b->ns.count = 0;
	if ((err = arena_grow(&b->ns.slots, (size_t)cap * 8)) < 0)
		return err;
	ovl_memset(b->ns.slots.base, 0, (size_t)cap * 8);
	for (unsigned int i = 0; i < old.cap; i++) {
		unsigned int *slot = (unsigned int *)old.slots.base + 2 * i;

		if (slot[0])
			ns_add(b, slot[0] - 1, slot[1]);
	}
	arena_free(&old.slots);
	return 0;
}

static long ns_add(struct build *b, unsigned int off, unsigned int kind)
{
	unsigned int *s;
	const char *name;
	long err;

	if ((b->ns.count + 1) * 2 > b->ns.cap && (err = ns_rehash(b)) < 0)
		return err;
	s = (unsigned int *)b->ns.slots.base;
	name = kind == NS_REC ? ((struct dent64 *)(b->rec.base + off))->d_name : b->wh.base + off;
	for (unsigned int i = hash(name, vu_strlen(name)) & (b->ns.cap - 1);;
	     i = (i + 1) & (b->ns.cap - 1)) {
		if (!s[2 * i]) {
			s[2 * i] = off + 1;
			s[2 * i + 1] = kind;
			b->ns.count++;
			return 0;
		}
	}
}

static long add_record(struct build *b, unsigned long ino, unsigned char type, const char *name,
		       size_t n, int remember)
{
	size_t reclen = (offsetof(struct dent64, d_name) + n + 1 + 7) & ~7UL;
	struct dent64 *d;
	size_t off;
	long err;

	if ((err = arena_grow(&b->rec, reclen)) < 0)
		return err;
	off = b->rec.len;
	d = (struct dent64 *)(b->rec.base + off);
	ovl_memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = b->n + 1;
	d->d_reclen = (unsigned short)reclen;
	d->d_type = type;
	vu_memcpy(d->d_name, name, n);
	b->rec.len += reclen;
	b->n++;
	return remember ? ns_add(b, (unsigned int)off, NS_REC) : 0;
}

static long add_whiteout(struct build *b, const char *name, size_t n)
{
	size_t off = b->wh.len;
	long err;

	if ((err = arena_grow(&b->wh, n + 1)) < 0)
		return err;
	vu_memcpy(b->wh.base + off, name, n);
	b->wh.base[off + n] = 0;
	b->wh.len += n + 1;
	return ns_add(b, (unsigned int)off, NS_WH);
}

static int is_dir_entry(const char *dirpath, const struct dent64 *d, char *tmp)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN_)
		return d->d_type == DT_DIR_;
	if (ovl_join(tmp, PATH_MAX, dirpath, d->d_name, NULL) < 0 || ovl_lstat(tmp, &st))
		return 0;
	return S_ISDIR(st.st_mode);
}

/* one directory's entries, through fn */
static long each_entry(const char *path, char *buf, size_t len,
		       long (*fn)(struct build *, const char *, struct dent64 *, void *),
		       struct build *b, void *arg)
{
	long fd = vu_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long n, err = 0;

	if (fd < 0)
		return fd;
	while (!err && (n = vu_sys3(SYS_getdents64, fd, buf, len)) > 0)
		for (long i = 0; i < n && !err; i += ((struct dent64 *)(buf + i))->d_reclen)
			err = fn(b, path, (struct dent64 *)(buf + i), arg);
	vu_sys1(SYS_close, fd);
	return err ? err : n;
}

static long upper_entry(struct build *b, const char *dir, struct dent64 *d, void *arg)
{
	size_t n = vu_strlen(d->d_name);

	(void)dir;
	(void)arg;
	if (!ovl_is_reserved(d->d_name, n))
		return add_record(b, d->d_ino, d->d_type, d->d_name, n, 1);
	if (n > 2 * OVL_WH_LEN && !vu_strncmp(d->d_name + OVL_WH_LEN, OVL_WH, OVL_WH_LEN))
		return 0;	/* vu's own: opaque marker, copy-up in progress */
	return add_whiteout(b, d->d_name + OVL_WH_LEN, n - OVL_WH_LEN);
}

struct lower_arg {
	const char *upperdir;	/* real path of upper's directory, or NULL */
	char *tmp;		/* PATH_MAX */
	char *tmp2;		/* PATH_MAX */
};

static long lower_entry(struct build *b, const char *dir, struct dent64 *d, void *arg)
{
	struct lower_arg *la = arg;
	size_t n = vu_strlen(d->d_name);
	unsigned int *slot;

	if (ovl_is_reserved(d->d_name, n))
		return 0;
	slot = ns_find(b, d->d_name, n);
	if (!slot)
		return add_record(b, d->d_ino, d->d_type, d->d_name, n, 0);
	if (slot[1] == NS_REC) {
		/* in both: a merged directory keeps lower's inode number */
		struct dent64 *u = (struct dent64 *)(b->rec.base + slot[0] - 1);
		int dots = d->d_name[0] == '.' && (n == 1 || (n == 2 && d->d_name[1] == '.'));

		if (is_dir_entry(dir, d, la->tmp) && is_dir_entry(la->upperdir, u, la->tmp)) {
			if (!dots) {
				if (ovl_join(la->tmp, PATH_MAX, la->upperdir, d->d_name, NULL) < 0 ||
				    ovl_join(la->tmp2, PATH_MAX, la->tmp, OVL_OPQ, NULL) < 0 ||
				    ovl_exists(la->tmp2))
					return 0;
			}
			u->d_ino = d->d_ino;
		}
	}
	return 0;
}

static void snap_free(struct ovl_snap *s)
{
	if (s->map)
		vu_sys2(SYS_munmap, s->map, s->maplen);
	s->map = 0;
	s->maplen = s->used = 0;
	s->index = 0;
	s->n = 0;
	s->fd = -1;
}

/* build the merged listing of rel into s */
static long snap_build(const struct ovl *o, struct ovl_work *w, char *rel, char *buf, size_t len,
		       struct ovl_snap *s)
{
	struct build b;
	struct ovl_res r;
	struct lower_arg la;
	char *updir = w->lnk, *lodir = w->rem;
	long err;
	size_t idx;

	ovl_memset(&b, 0, sizeof(b));
	r.rel = rel;
	err = ovl_resolve(o, w, rel, 0, &r);
	if (err < 0 || r.where == OVL_NONE || r.where == OVL_OUT || !S_ISDIR(r.st.st_mode))
		goto done;	/* gone: an empty listing */
	if (r.where == OVL_UPPER) {
		if ((err = ovl_join(updir, PATH_MAX, o->upper, r.rel, NULL)) < 0)
			return err;
		err = each_entry(updir, buf, len, upper_entry, &b, 0);
		if (err < 0)
			goto fail;
	}
	if (r.where == OVL_LOWER || r.merged) {
		if ((err = ovl_join(lodir, PATH_MAX, o->lower, r.rel, NULL)) < 0)
			goto fail;
		la.upperdir = r.where == OVL_UPPER ? updir : NULL;
		la.tmp = w->full;
		la.tmp2 = w->full + PATH_MAX;
		err = each_entry(lodir, buf, len, lower_entry, &b, &la);
		if (err < 0)
			goto fail;
	}
done:
	/* the index goes after the records */
	idx = (b.rec.len + 7) & ~7UL;
	if ((err = arena_grow(&b.rec, idx - b.rec.len + (size_t)b.n * 4 + 8)) < 0)
		goto fail;
	s->map = b.rec.base;
	s->maplen = b.rec.cap;
	s->used = b.rec.len;
	s->index = (unsigned int *)(b.rec.base + idx);
	s->n = b.n;
	for (size_t off = 0, i = 0; off < b.rec.len; i++) {
		s->index[i] = (unsigned int)off;
		off += ((struct dent64 *)(b.rec.base + off))->d_reclen;
	}
	arena_free(&b.wh);
	arena_free(&b.ns.slots);
	return 0;
fail:
	arena_free(&b.rec);
	arena_free(&b.wh);
	arena_free(&b.ns.slots);
	return err;
}

/* copy entries from index pos into buf; returns bytes and sets *next */
static long serve(const struct ovl_snap *s, unsigned long pos, char *buf, size_t count, int is64,
		  unsigned long *next)
{
	size_t out = 0;
	unsigned long i = pos;

	for (; i < s->n; i++) {
		const struct dent64 *d = (const struct dent64 *)(s->map + s->index[i]);

		if (is64) {
			if (out + d->d_reclen > count)
				break;
			vu_memcpy(buf + out, d, d->d_reclen);
			out += d->d_reclen;
		} else {
			size_t n = vu_strlen(d->d_name);
			size_t reclen = (offsetof(struct dent_old, d_name) + n + 2 + 7) & ~7UL;
			struct dent_old *o = (struct dent_old *)(buf + out);

			if (out + reclen > count)
				break;
			ovl_memset(o, 0, reclen);
			o->d_ino = d->d_ino;
			o->d_off = d->d_off;
			o->d_reclen = (unsigned short)reclen;
			vu_memcpy(o->d_name, d->d_name, n);
			((char *)o)[reclen - 1] = (char)d->d_type;
			out += reclen;
		}
	}
	*next = i;
	if (out == 0 && i < s->n)
		return -EINVAL;	/* the buffer cannot hold the next entry */
	return (long)out;
}

static struct ovl_snap *claim(struct ovl *o, int fd, const struct stat *st, int fresh)
{
	struct ovl_snap *best = 0;

	for (int i = 0; i < OVL_NSNAP; i++) {
		struct ovl_snap *s = &o->snaps[i];
		int zero = 0;

		if (s->map && s->fd == fd && s->dev == st->st_dev && s->ino == st->st_ino) {
			if (!__atomic_compare_exchange_n(&s->busy, &zero, 1, 0, __ATOMIC_ACQUIRE,
							 __ATOMIC_RELAXED))
				return 0;
			if (fresh)
				snap_free(s);
			return s;
		}
	}
	if (!fresh)
		return 0;
	for (int i = 0; i < OVL_NSNAP; i++) {
		struct ovl_snap *s = &o->snaps[i];

		if (s->busy)
			continue;
		if (!s->map) {
			best = s;
			break;
		}
		if (!best || s->stamp < best->stamp)
			best = s;
	}
	if (best) {
		int zero = 0;

		if (!__atomic_compare_exchange_n(&best->busy, &zero, 1, 0, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return 0;
		snap_free(best);
	}
	return best;
}

/* ovl_fd_path -- the path the kernel has for fd (or the cwd) */
long ovl_fd_path(int fd, char *out, size_t len)
{
	char link[40];
	long n;

	if (fd == AT_FDCWD) {
		n = vu_sys2(SYS_getcwd, out, len);
		return n < 0 ? n : n - 1;
	}
	vu_format(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = vu_sys4(SYS_readlinkat, AT_FDCWD, link, out, len - 1);
	if (n < 0)
		return n;
	out[n] = 0;
	return n;
}

/* ovl_getdents -- the merged listing for fd, or 1 when fd is not a
 * directory of the overlay (the kernel answers) */
long ovl_getdents(struct ovl *o, struct vu_call *c, int fd, char *buf, size_t count, int is64)
{
	unsigned long mark = c->scratch_used, next = 0;
	struct ovl_work *w = vu_call_alloc(c, sizeof(*w));
	char *rel = vu_call_alloc(c, PATH_MAX), *rbuf = vu_call_alloc(c, 4096);
	struct ovl_snap tmp, *s;
	struct stat st;
	const char *rest;
	long n, pos, ret;

	if (!w || !rel || !rbuf) {
		vu_call_release(c, mark);
		return -ENOMEM;
	}
	n = ovl_fd_path(fd, w->full, PATH_MAX);
	if (n < 0 || w->full[0] != '/' || !ovl_under(o, w->full, &rest) ||
	    vu_sys4(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) < 0 || !S_ISDIR(st.st_mode) ||
	    (pos = vu_sys3(SYS_lseek, fd, 0, SEEK_CUR)) < 0) {
		vu_call_release(c, mark);
		return 1;
	}
	while (*rest == '/')
		rest++;
	vu_memcpy(rel, rest, vu_strlen(rest) + 1);
	s = claim(o, fd, &st, pos == 0);
	if (!s || !s->map) {
		if (!s) {
			s = &tmp;
			ovl_memset(s, 0, sizeof(*s));
		}
		ret = snap_build(o, w, rel, rbuf, 4096, s);
		if (ret < 0) {
			if (s != &tmp)
				__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
			vu_call_release(c, mark);
			return ret;
		}
		s->fd = fd;
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	s->stamp = ++o->clock;
	ret = serve(s, (unsigned long)pos, buf, count, is64, &next);
	if (ret > 0)
		vu_sys3(SYS_lseek, fd, next, SEEK_SET);
	if (ret == 0 || s == &tmp)
		snap_free(s);	/* at the end: the memory goes back */
	if (s != &tmp)
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
	vu_call_release(c, mark);
	return ret;
}
