/*
 * fakeroot.h -- what the three files of the fakeroot layer share:
 * fakeroot.c (the hooks), db.c (the state file), ids.c
 * (the process's virtual user and group ids). Design: layers/fakeroot.md.
 */
#ifndef VU_FAKEROOT_H
#define VU_FAKEROOT_H

#include <stdint.h>
#include "vu_layer.h"

/* ---- the state file (db.c) ---- */

/* What a record holds: the fields the program set, the rest comes from the
 * real file. flags says which fields are set; none set = no record. */
#define FR_UID 0x1
#define FR_GID 0x2
#define FR_MODE 0x4		/* mode: type and permission bits */
#define FR_RDEV 0x8
#define FR_KNOWN (FR_UID | FR_GID | FR_MODE | FR_RDEV)

struct fr_rec {
	uint32_t uid, gid;
	uint32_t mode;		/* st_mode: S_IFMT | 07777 */
	uint32_t rdev;		/* the kernel's 32-bit encoding (as mknod takes it) */
	uint32_t flags;		/* FR_* */
	uint64_t gen;		/* birth time of the inode in ns, 0 = unknown */
};

/* One change, applied atomically to the current record of an inode. */
struct fr_change {
	uint32_t set;		/* FR_* fields to set from rec */
	int forget;		/* drop every field */
	int keep_type;		/* FR_MODE: keep the type of a recorded mode */
	struct fr_rec rec;	/* values, and rec.gen = the inode's birth time */
};

/* A process's view of the state file. */
#define FR_MAX_SEGS 20
struct fr_db {
	int fd;
	struct fr_hdr *hdr;			/* the shared header page */
	char *seg[FR_MAX_SEGS];			/* mapped segments, or NULL */
	const char *path;
};

int fr_db_open(struct fr_db *db, const char *path, int check_only, char *err, size_t errlen);
int fr_db_get(struct fr_db *db, uint64_t dev, uint64_t ino, struct fr_rec *out);
int fr_db_change(struct fr_db *db, uint64_t dev, uint64_t ino, const struct fr_change *ch);
int fr_db_empty(const struct fr_db *db);
long fr_db_each(struct fr_db *db, void (*fn)(void *ctx, uint64_t dev, uint64_t ino, const struct fr_rec *r),
		void *ctx);
int fr_db_has_devices(const struct fr_db *db);

/* ---- extended attributes only root may set (xattr.c) ---- */

#define FR_XA_MAX 4096		/* a record; the buffers below are this size */
enum { FR_XA_NONE, FR_XA_SET, FR_XA_REMOVED };
struct fr_xa {
	int fd;			/* STATE.xattr, appended to; -1: none */
};

int fr_xa_faked(const char *name);
int fr_xa_open(struct fr_xa *x, const char *state, int check_only);
int fr_xa_get(const struct fr_xa *x, unsigned char *buf, uint64_t dev, uint64_t ino, uint64_t gen,
	      const char *name, void *value, size_t cap, size_t *len);
int fr_xa_put(struct fr_xa *x, unsigned char *buf, uint64_t dev, uint64_t ino, uint64_t gen,
	      const char *name, int op, const void *value, size_t vallen);
void fr_xa_open_ro(struct fr_xa *x, const char *state);
struct fr_xa_key {
	uint64_t dev, ino, gen;	/* an inode, and its birth time */
};
void fr_xa_last(const struct fr_xa *x, unsigned char *buf, const struct fr_xa_key *key,
		void (*fn)(void *ctx, const struct fr_xa_key *k, const char *name, int state,
			   const unsigned char *value, size_t len),
		void *ctx);

/* fr_arg_of_kind -- the first argument of call nr of kind (enum vu_arg_kind), or -1 */
int fr_arg_of_kind(long nr, int kind);

/* ---- identities (ids.c) ---- */

void fr_ids_init(void);
int fr_ids_wants(long nr);
long fr_ids_call(struct vu_call *c);		/* answers an id call */
void fr_ids_exec_enter(struct vu_call *c);	/* carry ids across execve */
void fr_ids_exec_leave(struct vu_call *c);

#endif
