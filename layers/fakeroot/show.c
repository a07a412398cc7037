/*
 * show.c -- `vu fakeroot show STATE [DIR]` (the CLI calls it through ffi):
 * what a fakeroot state file holds, as text, like pseudo's listing. The
 * file keys its records by (device, inode), so with DIR the tree under it
 * is walked and each recorded file is named by its path; without, every
 * record is listed by device and inode. Only the fields the program set
 * are shown; the others are the real file's. Attributes kept in
 * STATE.xattr follow, one line each ("xattr NAME=VALUE", the value as text
 * when it is printable, else 0x and hex).
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <linux/stat.h>
#include "fakeroot.h"

struct text {
	char *p;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = 2 * (t->len + (size_t)n + 1);
		char *p = realloc(t->p, cap);

		if (!p)
			return;
		t->p = p;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static char type_letter(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	}
	return '-';
}

/* "NAME<TAB>uid=0 gid=0 mode=c0644 rdev=1,3" with the fields set */
static void line(struct text *t, const char *name, const struct fr_rec *r)
{
	const char *sep = "\t";

	put(t, "%s", name);
	if (r->flags & FR_UID) {
		put(t, "%suid=%u", sep, r->uid);
		sep = " ";
	}
	if (r->flags & FR_GID) {
		put(t, "%sgid=%u", sep, r->gid);
		sep = " ";
	}
	if (r->flags & FR_MODE) {
		put(t, "%smode=%c%04o", sep, type_letter(r->mode), r->mode & 07777);
		sep = " ";
	}
	if (r->flags & FR_RDEV)
		put(t, "%srdev=%u,%u", sep, major(r->rdev), minor(r->rdev));
	put(t, "\n");
}

static void by_id(void *ctx, uint64_t dev, uint64_t ino, const struct fr_rec *r)
{
	char name[64];

	snprintf(name, sizeof(name), "%u,%u:%llu", major((dev_t)dev), minor((dev_t)dev), (unsigned long long)ino);
	line(ctx, name, r);
}

/* kept attributes: all of them once (every set one), then picked */
struct xa_item {
	uint64_t dev, ino, gen;
	char *line;		/* "xattr NAME=VALUE" */
};
static struct xa_item *xa_items;
static size_t n_xa;

static void keep_xa(void *ctx, const struct fr_xa_key *k, const char *name, int state,
		    const unsigned char *v, size_t len)
{
	struct text t = { 0 };
	struct xa_item *grown;
	size_t plain = len && !v[len - 1] ? len - 1 : len;	/* (a C string's NUL) */
	int text = plain > 0;

	(void)ctx;
	if (state != FR_XA_SET)
		return;
	for (size_t i = 0; i < plain; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			text = 0;
	put(&t, "xattr %s=", name);
	if (text) {
		put(&t, "\"%.*s\"", (int)plain, (const char *)v);
	} else {
		put(&t, "0x");
		for (size_t i = 0; i < len; i++)
			put(&t, "%02x", v[i]);
	}
	grown = realloc(xa_items, (n_xa + 1) * sizeof(*xa_items));
	if (!grown || !t.p)
		return;
	xa_items = grown;
	xa_items[n_xa++] = (struct xa_item){ k->dev, k->ino, k->gen, t.p };
}

/* the attribute lines of an inode (gen: its birth time; ~0: any) */
static long xa_lines(struct text *t, const char *name, uint64_t dev, uint64_t ino, uint64_t gen)
{
	long n = 0;

	for (size_t i = 0; i < n_xa; i++) {
		if (xa_items[i].dev != dev || xa_items[i].ino != ino || (gen != ~0ULL && xa_items[i].gen != gen))
			continue;
		put(t, "%s\t%s\n", name, xa_items[i].line);
		n++;
	}
	return n;
}

/* the walk of DIR: one at a time (nftw has no context argument) */
static struct {
	struct fr_db *db;
	struct text *t;
	long n;
} walk;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	struct fr_rec r;
	struct statx sx;
	uint64_t gen = 0;

	(void)flag;
	(void)f;
	if (!st)
		return 0;
	if (fr_db_get(walk.db, st->st_dev, st->st_ino, &r) == 1) {
		line(walk.t, path, &r);
		walk.n++;
	}
	if (n_xa && !statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) && (sx.stx_mask & STATX_BTIME))
		gen = (uint64_t)sx.stx_btime.tv_sec * 1000000000ULL + sx.stx_btime.tv_nsec;
	walk.n += xa_lines(walk.t, path, st->st_dev, st->st_ino, gen);
	return 0;
}

/* vu_fakeroot_show -- the text (never freed: a CLI calls it once); a first
 * line "error: ..." when the file cannot be read */
__attribute__((visibility("default"))) const char *vu_fakeroot_show(const char *state, const char *dir)
{
	struct text t = { 0 };
	struct fr_db db;
	struct stat st;
	char err[512];
	long n;

	put(&t, "%s", "");
	if (stat(state, &st)) {
		put(&t, "error: %s: %s\n", state, strerror(errno));
		return t.p;
	}
	if (fr_db_open(&db, state, 0, err, sizeof(err))) {
		put(&t, "error: %s\n", err);
		return t.p;
	}
	{
		struct fr_xa xa;
		unsigned char *buf = malloc(2 * FR_XA_MAX);

		fr_xa_open_ro(&xa, state);
		if (buf)
			fr_xa_last(&xa, buf, NULL, keep_xa, NULL);
		free(buf);
		if (xa.fd >= 0)
			close(xa.fd);
	}
	if (dir && *dir) {
		walk.db = &db;
		walk.t = &t;
		walk.n = 0;
		if (nftw(dir, visit, 16, FTW_PHYS | FTW_MOUNT)) {
			put(&t, "error: %s: %s\n", dir, strerror(errno));
			return t.p;
		}
		n = walk.n;
	} else {
		n = fr_db_each(&db, by_id, &t);
		if (n < 0) {
			put(&t, "error: %s: %s\n", state, strerror((int)-n));
			return t.p;
		}
		for (size_t i = 0; i < n_xa; i++) {
			char name[64];

			snprintf(name, sizeof(name), "%u,%u:%llu", major((dev_t)xa_items[i].dev),
				 minor((dev_t)xa_items[i].dev), (unsigned long long)xa_items[i].ino);
			put(&t, "%s\t%s\n", name, xa_items[i].line);
			n++;
		}
	}
	put(&t, "# %ld record%s\n", n, n == 1 ? "" : "s");
	return t.p;
}
