/*
 * compiled.c -- vu.json compiled once per process tree: what config.c made
 * of a config (the mode, the layers and their option values, every path
 * already absolute and normalized) kept in vu's cache folder, so that the
 * next process that starts with the same config reads it back instead of
 * parsing JSON and normalizing each path again (issue 12: a config of
 * 10,000 paths was ~1,000 instructions per path at every exec before any
 * layer looked at one).
 *
 * One file per config path: CACHE/config-HASH.1 (CACHE: VU_CACHE_DIR, by
 * default cache/ beside libvu.so; VU_CACHE_DIR="" turns it off; only a file
 * the user owns is read). It holds
 *   a head: what the values were made from -- the config file (device,
 *     inode, size, modification and change times), its path, the home
 *     folder "~" stood for, this libvu (its file's device, inode, size and
 *     modification time) and the format of the file;
 *   the layers (type name, option count), their options (kind, set, number,
 *   offsets of their strings), the offsets of list items and map keys, and
 *   the strings, NUL-terminated, the file ending with a NUL;
 * and a checksum of all that. It is read only when each of those is the
 * same, every offset lies inside the file and the checksum agrees;
 * otherwise the config is parsed as usual and the file made again. So a
 * changed, replaced or deleted config, another libvu, another format or a
 * damaged file is never misread: it is simply not used.
 *
 * What the values do not say is looked at again: a path option that must
 * exist is looked up (it may be gone), and every layer's init runs as it
 * would after a parse (the trees of hide and readonly are found again).
 * Only a config without errors is compiled; one with errors is parsed
 * each time and says so each time, with FILE:LINE:COL.
 *
 * The file is written with vu's own system calls (no layer sees them; they
 * are not active yet) to a temporary name, then renamed: a reader sees the
 * old file, the new one or none.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include "vu_core.h"
#include "compiled.h"

#define CC_MAGIC 0x316766637576ULL	/* "vucfg1" */
#define CC_FORMAT 1			/* the layout below */

struct cc_head {
	unsigned long long magic, format;
	unsigned long long lib[4];	/* libvu.so: device, inode, size, mtime (ns) */
	unsigned long long cfg[5];	/* the config: device, inode, size, mtime, ctime (ns) */
	unsigned long long path, home;	/* offsets of the config's path and of "~" (0: none) */
	unsigned long long size;	/* of the whole file */
	unsigned long long sum;		/* of everything after the head */
	unsigned long long noff, npre;	/* entries of the offset table and of the list table */
	int mode, nlayers;
	unsigned unvirtualized, pad;
};

struct cc_layer {
	unsigned long long type;	/* offset of the type's name */
	int nopts, pad;
};

struct cc_opt {
	int set, kind, count, pad;
	long long num;
	unsigned long long str;		/* offset of the string, 0: NULL */
	unsigned long long keys, items;	/* index of the first in the offset table */
	unsigned long long pre;		/* a list's: index of its first in the list table */
};

/* the format word: the layout's number and sizes, the layer ABI */
#define FORMAT (CC_FORMAT | sizeof(struct cc_head) << 8 | sizeof(struct cc_opt) << 16 | \
		(unsigned long long)VU_ABI_VERSION << 24 | (unsigned long long)sizeof(struct vu_list_pre) << 32)

/* the identity of a file: device, inode, size, mtime, ctime */
static void ident(const struct stat *s, unsigned long long *out, int n)
{
	out[0] = s->st_dev;
	out[1] = s->st_ino;
	out[2] = (unsigned long long)s->st_size;
	out[3] = (unsigned long long)s->st_mtim.tv_sec * 1000000000ULL + s->st_mtim.tv_nsec;
	if (n > 4)
		out[4] = (unsigned long long)s->st_ctim.tv_sec * 1000000000ULL + s->st_ctim.tv_nsec;
}

/* vu_cache_file -- the path of vu's cache file name into out: in
 * VU_CACHE_DIR, by default in cache/ beside libvu.so (never in a folder
 * the program lists, as ~/.cache would be); 0 when there is no cache
 * (VU_CACHE_DIR="" or not absolute) or the path does not fit */
int vu_cache_file(const char *name, char *out, size_t len)
{
	const char *dir = vu_getenv("VU_CACHE_DIR");
	const char *slash;
	size_t dl;

	if (dir && dir[0] != '/')
		return 0;
	if (!dir) {
		if (!vu.lib_path || !(slash = strrchr(vu.lib_path, '/')))
			return 0;
		dir = vu.lib_path;
		dl = slash - vu.lib_path;
	} else {
		dl = vu_strlen(dir);
	}
	/* (room for a ".PID" temporary as well) */
	if (dl + vu_strlen(name) + 8 + 24 > len)
		return 0;
	__builtin_memcpy(out, dir, dl);
	vu_stpcpy(vu_stpcpy(out + dl, dir == vu.lib_path ? "/cache/" : "/"), name);
	return 1;
}

/* the cache file of the config at path, into out; 0 when there is none */
static int cache_file(const char *path, char *out, size_t len)
{
	unsigned long long h = 14695981039346656037ULL;
	char name[32];

	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	vu_stpcpy(name, "config-");
	for (int i = 15; i >= 0; i--, h >>= 4)
		name[7 + i] = "0123456789abcdef"[h & 15];
	vu_stpcpy(name + 23, ".1");
	return vu_cache_file(name, out, len);
}

/* (four words a step, each into a sum of its own: a damaged or cut file
 * is not read, and this is cheap next to what it saves) */
static unsigned long long checksum(const unsigned char *p, size_t n)
{
	unsigned long long s[4] = { 0x9e3779b97f4a7c15ULL, 1, 2, 3 }, w[4];
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__builtin_memcpy(w, p + i, 32);
		s[0] += w[0];
		s[1] += w[1];
		s[2] += w[2];
		s[3] += w[3];
	}
	for (; i + 8 <= n; i += 8) {
		__builtin_memcpy(w, p + i, 8);
		s[0] += w[0];
	}
	/* (sums of the four lanes, each weighted: words that swap lanes differ) */
	return (s[0] * 0xff51afd7ed558ccdULL) ^ (s[1] * 0xc4ceb9fe1a85ec53ULL) ^
	       ((s[2] * 0x9e3779b97f4a7c15ULL) >> 1) ^ ((s[3] * 0xd6e8feb86659fd93ULL) >> 2);
}

/* libvu's own file as start-up found it (init.c), or zeros */
struct stat vu_self_st;

/* this libvu's identity, or 0 */
static int lib_ident(unsigned long long out[4])
{
	struct stat s;

	if (vu_self_st.st_ino && vu.lib_path)
		s = vu_self_st;
	else if (!vu.lib_path || vu_sys4(SYS_newfstatat, AT_FDCWD, vu.lib_path, &s, 0))
		return 0;
	ident(&s, out, 4);
	return 1;
}

/* the compiled lists of this process: their items and what was worked
 * out for each (vu_compiled_pre) */
#define CC_LISTS 16
static struct {
	const char *const *items;
	const struct vu_list_pre *pre;
	int n;
} lists[CC_LISTS];
static int nlists;

const struct vu_list_pre *vu_compiled_pre(const char *const *items, int n)
{
	for (int i = 0; i < nlists; i++)
		if (lists[i].items == items && lists[i].n == n)
			return lists[i].pre;
	return NULL;
}

/* ---- reading ---- */

/* the whole file into a buffer of its own, or NULL */
static unsigned char *slurp(const char *file, size_t *len)
{
	struct stat s;
	long fd = vu_sys4(SYS_openat, AT_FDCWD, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	unsigned char *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	/* (only a file of this user's: another's could say anything) */
	if (vu_sys2(SYS_fstat, fd, &s) || !S_ISREG(s.st_mode) || s.st_uid != (uid_t)vu_sys0(SYS_geteuid) ||
	    s.st_size < (off_t)sizeof(struct cc_head) ||
	    s.st_size > (1L << 30) || (s.st_size & 7) || !(buf = malloc(s.st_size)))
		goto out;
	while (got < (size_t)s.st_size) {
		long r = vu_sys3(SYS_read, fd, buf + got, s.st_size - got);

		if (r <= 0)
			break;
		got += r;
	}
	if (got != (size_t)s.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = got;
out:
	vu_sys1(SYS_close, fd);
	return buf;
}

/* a string of the file: NULL for 0, the string, or BAD (outside) */
#define BAD ((const char *)1)
static const char *str_at(const unsigned char *buf, size_t len, unsigned long long off)
{
	if (!off)
		return NULL;
	if (off < sizeof(struct cc_head) || off >= len)
		return BAD;	/* (the file ends with a NUL: any string in it ends) */
	return (const char *)buf + off;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && a != BAD && !strcmp(a, b));
}

/* does the path name something (a PATH option and a map's target must) */
static int exists(const char *p)
{
	struct stat s;

	return vu_sys4(SYS_newfstatat, AT_FDCWD, p, &s, 0) == 0;
}

int vu_compiled_load(const char *path, const struct stat *cst, struct vu_state *st)
{
	char file[PATH_MAX];
	unsigned char *buf;
	size_t len;
	const struct cc_head *h;
	const struct cc_layer *ly;
	const struct cc_opt *op;
	unsigned long long *offs, want[5], lib[4], nopt = 0, noff;
	struct vu_list_pre *pre;
	size_t at;
	struct vu_layer *layers;

	if (!cache_file(path, file, sizeof(file)) || !lib_ident(lib) || !(buf = slurp(file, &len)))
		return 0;
	h = (const struct cc_head *)buf;
	ident(cst, want, 5);
	if (h->magic != CC_MAGIC || h->format != FORMAT ||
	    h->size != len || buf[len - 1] != 0 || memcmp(h->lib, lib, sizeof(lib)) || memcmp(h->cfg, want, sizeof(want)) ||
	    h->nlayers < 0 || h->nlayers > VU_MAX_LAYERS ||
	    !same_str(str_at(buf, len, h->path), path) || !same_str(str_at(buf, len, h->home), vu_config_home()) ||
	    h->sum != checksum(buf + sizeof(*h), len - sizeof(*h)))
		goto no;
	/* the layers, their options, the offset table, the list table */
	at = sizeof(*h);
	ly = (const struct cc_layer *)(buf + at);
	if ((size_t)h->nlayers * sizeof(*ly) > len - at)
		goto no;
	at += h->nlayers * sizeof(*ly);
	for (int i = 0; i < h->nlayers; i++) {
		if (ly[i].nopts < 0 || ly[i].nopts > 256)
			goto no;
		nopt += ly[i].nopts;
	}
	op = (const struct cc_opt *)(buf + at);
	if (nopt * sizeof(*op) > len - at)
		goto no;
	at += nopt * sizeof(*op);
	offs = (unsigned long long *)(buf + at);
	noff = h->noff;
	if (noff > (len - at) / 8)
		goto no;
	at += noff * 8;
	pre = (struct vu_list_pre *)(buf + at);
	if (h->npre > (len - at) / sizeof(*pre))
		goto no;
	layers = calloc(h->nlayers + 1, sizeof(*layers));
	if (!layers)
		goto no;
	for (int i = 0, o = 0; i < h->nlayers; i++) {
		const char *name = str_at(buf, len, ly[i].type);
		const struct vu_layer_type *t = name && name != BAD ? vu_layer_type_named(name) : NULL;
		struct vu_opt_value *vals;

		if (!t || t->nopts != ly[i].nopts || !(vals = calloc(t->nopts + 1, sizeof(*vals))))
			goto no_layers;
		layers[i].type = t;
		layers[i].opt = vals;
		for (int k = 0; k < t->nopts; k++, o++) {
			const struct cc_opt *c = &op[o];
			const struct vu_opt_desc *d = &t->opts[k];
			struct vu_opt_value *v = &vals[k];

			if (c->kind != d->kind || c->count < 0 || c->keys > noff || c->items > noff ||
			    (unsigned long long)c->count > noff - c->items ||
			    (d->kind == VU_OPT_PATH_MAP && (unsigned long long)c->count > noff - c->keys))
				goto no_layers;
			v->set = c->set;
			v->num = c->num;
			v->count = c->count;
			v->str = str_at(buf, len, c->str);
			if (v->str == BAD)
				goto no_layers;
			if (d->kind == VU_OPT_ENUM && v->str) {
				const char *s = v->str;

				v->str = NULL;	/* the manifest's own string, as a parse gives */
				for (int j = 0; d->choices && d->choices[j]; j++)
					if (!strcmp(d->choices[j], s))
						v->str = d->choices[j];
				if (!v->str)
					goto no_layers;
			}
			if (d->kind == VU_OPT_PATH && v->str && !exists(v->str))
				goto no_layers;	/* gone: the parse says so, with its place */
			if (d->kind == VU_OPT_STRING_LIST || d->kind == VU_OPT_PATH_LIST || d->kind == VU_OPT_PATH_MAP) {
				/* the offsets become the pointers, in place (8 bytes each) */
				const char **items = (const char **)(offs + c->items);
				const struct vu_list_pre *lp = NULL;

				if (d->kind != VU_OPT_PATH_MAP && c->count && c->pre < h->npre &&
				    (unsigned long long)c->count <= h->npre - c->pre && nlists < CC_LISTS)
					lp = pre + c->pre;
				for (int j = 0; j < c->count; j++) {
					unsigned long long off = offs[c->items + j];
					const char *s;

					if (lp) {
						/* (each length checked: a string ends where it says) */
						if (off < sizeof(*h) || lp[j].base > lp[j].len || lp[j].len >= len ||
						    lp[j].first >= j || lp[j].first < -1 ||
						    off >= len - lp[j].len || buf[off + lp[j].len] ||
						    (lp[j].base && buf[off + lp[j].base - 1] != '/'))
							goto no_layers;
						items[j] = (const char *)buf + off;
						continue;
					}
					s = str_at(buf, len, off);
					if (s == BAD || (d->kind == VU_OPT_PATH_MAP && (!s || !exists(s))))
						goto no_layers;
					items[j] = s;
				}
				v->items = items;
				if (lp) {
					lists[nlists].items = items;
					lists[nlists].pre = lp;
					lists[nlists++].n = c->count;
				}
				if (d->kind == VU_OPT_PATH_MAP) {
					const char **keys = (const char **)(offs + c->keys);

					for (int j = 0; j < c->count; j++) {
						const char *s = str_at(buf, len, offs[c->keys + j]);

						if (!s || s == BAD)
							goto no_layers;
						keys[j] = s;
					}
					v->keys = keys;
				}
			}
		}
	}
	st->mode = h->mode;
	st->unvirtualized = h->unvirtualized;
	st->nlayers = h->nlayers;
	st->layers = layers;
	vu_debug("config: %s compiled in %s", path, file);
	return 1;	/* (buf stays: the values point into it) */
no_layers:
	nlists = 0;
	for (int i = 0; i < h->nlayers; i++)
		free((void *)layers[i].opt);
	free(layers);
no:
	free(buf);
	return 0;
}

/* ---- writing ---- */

/* racy -- was the config changed less than 2 seconds ago? Its times move
 * in clock ticks, not nanoseconds: a config written again within the same
 * tick with the same size would look the same. One that old enough to
 * compile is newer than its compiled form whenever it changes again. */
static int racy(const struct stat *cst)
{
	struct timespec now;
	time_t last = cst->st_mtim.tv_sec > cst->st_ctim.tv_sec ? cst->st_mtim.tv_sec : cst->st_ctim.tv_sec;

	return clock_gettime(CLOCK_REALTIME, &now) || now.tv_sec - last < 2;
}

/* what vu_roots_init would work out for s (the previous item: prev) */
static void list_pre(struct vu_list_pre *p, const char *s, const char *prev)
{
	const char *slash;

	memset(p, 0, sizeof(*p));
	p->first = -1;
	if (!s)
		return;
	p->len = (unsigned)strlen(s);
	slash = strrchr(s, '/');
	p->base = slash ? (unsigned)(slash - s) + 1 : 0;
	p->hash = vu_strmap_hash(s, p->len);
	p->base_hash = vu_strmap_hash(s + p->base, p->len - p->base);
	p->name_hash = vu_name_hash(s + p->base, p->len - p->base);
	if (prev && p->base > 1 && strlen(prev) >= p->base && !memcmp(prev, s, p->base) &&
	    !strchr(prev + p->base, '/'))
		p->samedir = 1;	/* the same folder, up to and with its "/" */
}

struct out {
	unsigned char *b;
	size_t n, cap;
	int failed;
};

static size_t put(struct out *o, const void *p, size_t n)
{
	size_t at = o->n;

	if (o->n + n + 8 > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		unsigned char *b;

		while (o->n + n + 8 > cap)
			cap *= 2;
		b = realloc(o->b, cap);
		if (!b) {
			o->failed = 1;
			return 0;
		}
		o->b = b;
		o->cap = cap;
	}
	if (p)
		memcpy(o->b + at, p, n);
	else
		memset(o->b + at, 0, n);
	o->n += n;
	return at;
}

/* a string at the end (its offset, 0 for NULL), kept 8-byte aligned */
static unsigned long long put_str(struct out *o, const char *s)
{
	size_t n, at;

	if (!s)
		return 0;
	n = strlen(s) + 1;
	at = put(o, s, n);
	put(o, NULL, (8 - n % 8) % 8);
	return at;
}

void vu_compiled_save(const char *path, const struct stat *cst, const struct vu_state *st)
{
	char file[PATH_MAX], tmp[PATH_MAX + 32], dir[PATH_MAX];
	struct out o = { 0 };
	struct out strs = { 0 };
	struct cc_head h = { 0 };
	unsigned long long nopt = 0, noff = 0, npre = 0, *offs, fix;
	struct cc_opt *ops;
	struct cc_layer *lys;
	size_t oat, lat, fat, pat, pnext = 0;
	long fd;
	char *slash;

	if (!cache_file(path, file, sizeof(file)) || !lib_ident(h.lib) || racy(cst))
		return;
	for (int i = 0; i < st->nlayers; i++) {
		const struct vu_layer_type *t = st->layers[i].type;

		nopt += t->nopts;
		for (int k = 0; k < t->nopts; k++) {
			int kind = t->opts[k].kind;

			if (kind == VU_OPT_STRING_LIST || kind == VU_OPT_PATH_LIST || kind == VU_OPT_PATH_MAP)
				noff += (unsigned long long)st->layers[i].opt[k].count * (kind == VU_OPT_PATH_MAP ? 2 : 1);
			if (kind == VU_OPT_STRING_LIST || kind == VU_OPT_PATH_LIST)
				npre += st->layers[i].opt[k].count;
		}
	}
	h.magic = CC_MAGIC;
	h.format = FORMAT;
	ident(cst, h.cfg, 5);
	h.mode = st->mode;
	h.nlayers = st->nlayers;
	h.unvirtualized = st->unvirtualized;
	h.noff = noff;
	h.npre = npre;
	put(&o, &h, sizeof(h));
	lat = put(&o, NULL, st->nlayers * sizeof(struct cc_layer));
	oat = put(&o, NULL, nopt * sizeof(struct cc_opt));
	fat = put(&o, NULL, noff * 8);
	pat = put(&o, NULL, npre * sizeof(struct vu_list_pre));
	/* the strings go after the table: their offsets are fixed by fix */
	put(&strs, NULL, 8);	/* (offset 0 is "none") */
	fix = o.n - 8;
	{
		unsigned long long po = put_str(&strs, path), ho = put_str(&strs, vu_config_home());
		size_t next = 0;
		int oi = 0;

		if (o.failed || strs.failed)
			goto out;
		((struct cc_head *)o.b)->path = po + fix;
		((struct cc_head *)o.b)->home = ho ? ho + fix : 0;
		for (int i = 0; i < st->nlayers; i++) {
			const struct vu_layer *l = &st->layers[i];
			const struct vu_layer_type *t = l->type;
			unsigned long long to = put_str(&strs, t->name);

			lys = (struct cc_layer *)(o.b + lat);
			lys[i].type = to + fix;
			lys[i].nopts = t->nopts;
			for (int k = 0; k < t->nopts; k++, oi++) {
				const struct vu_opt_value *v = &l->opt[k];
				int kind = t->opts[k].kind;
				struct cc_opt c = { .set = v->set, .kind = kind, .count = v->count, .num = v->num };

				if (v->str) {
					c.str = put_str(&strs, v->str);
					c.str += fix;
				}
				if (kind == VU_OPT_STRING_LIST || kind == VU_OPT_PATH_LIST || kind == VU_OPT_PATH_MAP) {
					if (kind == VU_OPT_PATH_MAP) {
						c.keys = next;
						for (int j = 0; j < v->count; j++) {
							unsigned long long so = put_str(&strs, v->keys[j]);

							offs = (unsigned long long *)(o.b + fat);
							offs[next++] = so ? so + fix : 0;
						}
					}
					c.items = next;
					for (int j = 0; j < v->count; j++) {
						unsigned long long so = put_str(&strs, v->items[j]);

						offs = (unsigned long long *)(o.b + fat);
						offs[next++] = so ? so + fix : 0;
					}
					if (kind != VU_OPT_PATH_MAP) {
						struct vu_strmap names;

						c.pre = pnext;
						if (vu_strmap_init(&names, 64))
							goto out;
						for (int j = 0; j < v->count; j++) {
							struct vu_list_pre *lp = (struct vu_list_pre *)(o.b + pat) + pnext++;
							long k;

							list_pre(lp, v->items[j], j ? v->items[j - 1] : NULL);
							if (!v->items[j])
								continue;
							k = vu_strmap_get(&names, v->items[j] + lp->base, lp->len - lp->base);
							lp->first = k;
							if (k < 0 && vu_strmap_put(&names, v->items[j] + lp->base, lp->len - lp->base, j) < 0) {
								free(names.slot);
								goto out;
							}
						}
						free(names.slot);
					}
				}
				if (kind != VU_OPT_STRING_LIST && kind != VU_OPT_PATH_LIST && kind != VU_OPT_PATH_MAP)
					c.count = 0;
				ops = (struct cc_opt *)(o.b + oat);
				ops[oi] = c;
			}
		}
		if (strs.failed)
			goto out;
	}
	put(&o, strs.b + 8, strs.n - 8);
	put(&o, NULL, 8);	/* (ends with a NUL: every string in it ends) */
	if (o.failed)
		goto out;
	((struct cc_head *)o.b)->size = o.n;
	((struct cc_head *)o.b)->sum = checksum(o.b + sizeof(h), o.n - sizeof(h));
	/* the folder (beside libvu.so by default), then a temporary, renamed */
	vu_stpcpy(dir, file);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		vu_sys3(SYS_mkdirat, AT_FDCWD, dir, 0755);
	}
	vu_format(tmp, sizeof(tmp), "%s.%ld", file, (long)vu_sys0(SYS_getpid));
	fd = vu_sys4(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		goto out;
	{
		size_t done = 0;

		while (done < o.n) {
			long r = vu_sys3(SYS_write, fd, o.b + done, o.n - done);

			if (r <= 0)
				break;
			done += r;
		}
		vu_sys1(SYS_close, fd);
		if (done != o.n || vu_sys2(SYS_rename, tmp, file))
			vu_sys1(SYS_unlink, tmp);
		else
			vu_debug("config: %s compiled into %s", path, file);
	}
out:
	free(o.b);
	free(strs.b);
}
