/*
 * xattr.c -- the fakeroot layer's extended attributes: the ones only root
 * may set ("security.*", file capabilities among them, and "trusted.*")
 * are kept beside the state file, in STATE.xattr, instead of on the file;
 * the others go to the kernel.
 *
 * The file is a log every process of the tree appends to (O_APPEND: one
 * write() per record, so records of concurrent writers never interleave)
 * and reads whole: the last record of (device, inode, birth time, name)
 * says whether the attribute is set, and to what, or removed. A record:
 *
 *   magic "VUXA" | length (of the whole record, a multiple of 8) |
 *   checksum (of everything after it) | op (1 set, 2 remove) | name
 *   length | value length | dev | ino | birth time | name | value | pad
 *
 * A writer killed mid-write leaves a torn record at the end: its checksum
 * fails, a reader steps over it 8 bytes at a time, and later records are
 * read as usual. The birth time in each record keeps an attribute from
 * passing to a new file in a reused inode (as the state file's records).
 *
 * Hook path: only gate system calls; the caller's buffer of XA_MAX bytes
 * (a call's scratch) to read records into.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include "fakeroot.h"

#define XA_MAGIC 0x41585556u	/* "VUXA" */
#define XA_HDR 48u
#define XA_MAX FR_XA_MAX	/* a record, header included */

struct xa_hdr {
	uint32_t magic, len, csum;
	uint8_t op, namelen;
	uint16_t vallen;
	uint64_t dev, ino, gen;
	uint64_t pad;
};
_Static_assert(sizeof(struct xa_hdr) == XA_HDR, "xattr record header");

static uint32_t csum_of(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* fr_xa_faked -- is name one the layer keeps? */
int fr_xa_faked(const char *name)
{
	return name && (!vu_strncmp(name, "security.", 9) || !vu_strncmp(name, "trusted.", 8));
}

/* fr_xa_open -- STATE.xattr beside the state file, as vu's own descriptor */
int fr_xa_open(struct fr_xa *x, const char *state, int check_only)
{
	char path[4096];
	long fd;

	x->fd = -1;
	if (check_only)
		return 0;
	if (vu_strlen(state) + 7 >= sizeof(path))
		return -ENAMETOOLONG;
	vu_stpcpy(vu_stpcpy(path, state), ".xattr");
	fd = vu_sys4(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return (int)fd;
	x->fd = (int)fd;
	fd = vu_fd_keep_at(&x->fd);	/* (x->fd follows it if it has to move) */
	return fd < 0 ? (int)fd : 0;
}

/* the record at *off, into buf (XA_MAX): 1, 0 at the end, or -1 (not a
 * record: *off moved on by 8) */
static int next(const struct fr_xa *x, long *off, unsigned char *buf)
{
	struct xa_hdr *h = (struct xa_hdr *)buf;
	long n = vu_sys4(SYS_pread64, __atomic_load_n(&x->fd, __ATOMIC_RELAXED), buf, XA_HDR, *off);

	if (n <= 0)
		return 0;
	if (n == XA_HDR && h->magic == XA_MAGIC && h->len >= XA_HDR && h->len <= XA_MAX && !(h->len & 7) &&
	    XA_HDR + h->namelen + h->vallen <= h->len && h->namelen &&
	    vu_sys4(SYS_pread64, __atomic_load_n(&x->fd, __ATOMIC_RELAXED), buf + XA_HDR, h->len - XA_HDR, *off + XA_HDR) == (long)(h->len - XA_HDR) &&
	    csum_of(buf + 12, h->len - 12) == h->csum) {
		*off += h->len;
		return 1;
	}
	*off += 8;
	return -1;
}

/* fr_xa_get -- the attribute name of the inode: FR_XA_SET (its value,
 * up to cap bytes, into value, and its length in *len), FR_XA_REMOVED, or
 * FR_XA_NONE (no record: the kernel's answer stands) */
int fr_xa_get(const struct fr_xa *x, unsigned char *buf, uint64_t dev, uint64_t ino, uint64_t gen,
	      const char *name, void *value, size_t cap, size_t *len)
{
	const struct xa_hdr *h = (const struct xa_hdr *)buf;
	size_t nl = vu_strlen(name);
	long off = 0;
	int r, state = FR_XA_NONE;

	if (x->fd < 0)
		return FR_XA_NONE;
	while ((r = next(x, &off, buf)) != 0) {
		if (r < 0 || h->dev != dev || h->ino != ino || h->gen != gen || h->namelen != nl ||
		    !vu_memeq(buf + XA_HDR, name, nl))
			continue;
		if (h->op == FR_XA_SET) {
			state = FR_XA_SET;
			*len = h->vallen;
			if (value)
				vu_memcpy(value, buf + XA_HDR + nl, h->vallen < cap ? h->vallen : cap);
		} else {
			state = FR_XA_REMOVED;
		}
	}
	return state;
}

/* fr_xa_put -- append op (FR_XA_SET with value, or FR_XA_REMOVED) for the
 * attribute name of the inode: 0 or -errno */
int fr_xa_put(struct fr_xa *x, unsigned char *buf, uint64_t dev, uint64_t ino, uint64_t gen,
	      const char *name, int op, const void *value, size_t vallen)
{
	struct xa_hdr *h = (struct xa_hdr *)buf;
	size_t nl = vu_strlen(name), len = (XA_HDR + nl + vallen + 7) & ~7UL;
	long w;

	if (x->fd < 0)
		return -EIO;
	if (nl == 0 || nl > 255)
		return -ERANGE;
	if (len > XA_MAX)
		return -E2BIG;
	for (size_t i = 0; i < len; i++)
		buf[i] = 0;
	*h = (struct xa_hdr){ .magic = XA_MAGIC, .len = (uint32_t)len, .op = (uint8_t)op, .namelen = (uint8_t)nl,
			      .vallen = (uint16_t)vallen, .dev = dev, .ino = ino, .gen = gen };
	vu_memcpy(buf + XA_HDR, name, nl);
	if (vallen)
		vu_memcpy(buf + XA_HDR + nl, value, vallen);
	h->csum = csum_of(buf + 12, len - 12);
	w = vu_sys3(SYS_write, __atomic_load_n(&x->fd, __ATOMIC_ACQUIRE), buf, len);
	return w == (long)len ? 0 : w < 0 ? (int)w : -EIO;
}

/* the state of name's records from offset off on (FR_XA_NONE: none) */
static int state_from(const struct fr_xa *x, unsigned char *buf, long off, uint64_t dev, uint64_t ino,
		      uint64_t gen, const char *name)
{
	const struct xa_hdr *h = (const struct xa_hdr *)buf;
	size_t nl = vu_strlen(name);
	int r, state = FR_XA_NONE;

	while ((r = next(x, &off, buf)) != 0) {
		if (r < 0 || h->dev != dev || h->ino != ino || h->gen != gen || h->namelen != nl ||
		    !vu_memeq(buf + XA_HDR, name, nl))
			continue;
		state = h->op == FR_XA_SET ? FR_XA_SET : FR_XA_REMOVED;
	}
	return state;
}

/* fr_xa_open_ro -- STATE.xattr to read (vu fakeroot show): nothing made,
 * fd -1 when there is none */
void fr_xa_open_ro(struct fr_xa *x, const char *state)
{
	char path[4096];

	x->fd = -1;
	if (vu_strlen(state) + 7 >= sizeof(path))
		return;
	vu_stpcpy(vu_stpcpy(path, state), ".xattr");
	x->fd = (int)vu_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (x->fd < 0)
		x->fd = -1;
}

/* fr_xa_last -- fn once for every attribute (of the inode key, or of
 * every inode when key is NULL) with its last record: its state (FR_XA_SET
 * with the value, or FR_XA_REMOVED); buf: 2 * FR_XA_MAX */
void fr_xa_last(const struct fr_xa *x, unsigned char *buf, const struct fr_xa_key *key,
		void (*fn)(void *ctx, const struct fr_xa_key *k, const char *name, int state,
			   const unsigned char *value, size_t len),
		void *ctx)
{
	const struct xa_hdr *h = (const struct xa_hdr *)buf;
	long off = 0;
	int r;

	if (x->fd < 0)
		return;
	while ((r = next(x, &off, buf)) != 0) {
		struct fr_xa_key k = { h->dev, h->ino, h->gen };
		char name[256];

		if (r < 0 || (key && (k.dev != key->dev || k.ino != key->ino || k.gen != key->gen)))
			continue;
		vu_memcpy(name, buf + XA_HDR, h->namelen);
		name[h->namelen] = 0;
		/* a name's last record is the one with no later record of it */
		if (state_from(x, buf + XA_MAX, off, k.dev, k.ino, k.gen, name) != FR_XA_NONE)
			continue;
		fn(ctx, &k, name, h->op == FR_XA_SET ? FR_XA_SET : FR_XA_REMOVED, buf + XA_HDR + h->namelen,
		   h->vallen);
	}
}
