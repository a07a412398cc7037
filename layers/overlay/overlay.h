/*
 * overlay.h -- internal interfaces of the overlay layer (layers/overlay/).
 *
 * The program sees the lower directory; what it changes there lands in the
 * upper directory. Representation in upper (aufs style, no root needed):
 *   NAME             an entry that replaces or adds to lower's NAME
 *   .wh.NAME         whiteout: lower's NAME is deleted
 *   .wh..wh..opq     in a directory: the directory is opaque (lower's
 *                    directory of the same name does not show through)
 *   .wh..wh..tmp.*   copy-up in progress (or left by a crash)
 *   .wh..wh..gen     (upper root only) the copy-up generation counter
 * Every name starting with ".wh." is vu's: hidden from listings and lookups.
 */
#ifndef VU_OVERLAY_H
#define VU_OVERLAY_H

#include <limits.h>
#include <sys/stat.h>
#include "vu_layer.h"

#define OVL_WH ".wh."
#define OVL_WH_LEN 4
#define OVL_OPQ ".wh..wh..opq"
#define OVL_TMP ".wh..wh..tmp."
#define OVL_GEN ".wh..wh..gen"
#define OVL_MAXFD 65536
#define OVL_NSNAP 16
#define OVL_MAXLINKS 40
#define OVL_PEEK 2	/* ovl_resolve: a read that follows no final symlink */

/* A merged directory listing, kept per open directory (see dir.c). */
struct ovl_snap {
	int busy;		/* claimed by a thread (atomic) */
	int fd;
	unsigned long dev, ino;	/* of the directory the fd is open on */
	char *map;		/* records (linux_dirent64, d_off = index + 1) */
	size_t maplen;
	size_t used;		/* bytes of records */
	unsigned int *index;	/* record offsets, n of them, inside map */
	unsigned int n;
	unsigned long stamp;	/* for LRU */
};

/* A directory resolved recently, by any thread (see fs.c). */
#define OVL_NCACHE 32
#define OVL_CACHE_PATH 1024
struct ovl_dircache {
	int busy;		/* try-lock (atomic): never waited for */
	int valid, uok, lok;
	unsigned int mod;	/* gen[1] when filled */
	unsigned short keylen, rl;
	char key[OVL_CACHE_PATH];	/* the directory part of a path as given */
	char rel[OVL_CACHE_PATH];	/* what it resolved to */
};

struct ovl {
	const char *lower, *upper;	/* canonical absolute paths */
	size_t llen, ulen;
	const char *lower_cfg, *upper_cfg;	/* as configured, when not canonical */
	size_t lcfglen, ucfglen;
	unsigned int *gen;	/* shared counters (a page of upper's OVL_GEN), or NULL:
				 * gen[0] copy-ups, gen[1] changes to upper's directories */
	unsigned int *fdgen;	/* per fd: 0 not a lower file, else gen + 1 seen */
	struct ovl_snap snaps[OVL_NSNAP];
	struct ovl_dircache cache[OVL_NCACHE];
	unsigned long clock;
};

enum ovl_where {
	OVL_NONE = 0,	/* does not exist (in the merged view) */
	OVL_UPPER,	/* lives in upper (maybe a merged directory) */
	OVL_LOWER,	/* only in lower */
	OVL_OUT,	/* a symlink led outside the overlay: rel holds an absolute path */
};

/* What a path names in the merged view. */
struct ovl_res {
	int where;		/* enum ovl_where */
	int merged;		/* a directory in upper with lower's directory under it */
	int lower;		/* lower has a visible entry of this name (st in lst) */
	int whiteout;		/* where == NONE because of a whiteout */
	int uparent;		/* the parent directory exists in upper */
	int reserved;		/* the name starts with ".wh." */
	int root;		/* the overlay's root directory itself */
	int peeked;		/* OVL_PEEK: left to the kernel to look up (st unset) */
	struct stat st;		/* the entry (where UPPER or LOWER) */
	struct stat lst;	/* lower's entry (lower != 0) */
	char *rel;		/* PATH_MAX: "" for the root, else "a/b/c" (no symlink before the last) */
	size_t namepos;		/* where the last component starts in rel */
};

/* Working memory of one request (from the call's scratch). */
struct ovl_work {
	char rem[PATH_MAX];	/* path left to walk */
	char lnk[PATH_MAX];	/* a symlink's target */
	char full[2 * PATH_MAX];	/* real paths built for system calls */
};

/* fs.c */
int ovl_under(const struct ovl *o, const char *abs, const char **rest);
long ovl_join(char *out, size_t len, const char *prefix, const char *rel, const char *name);
long ovl_real(const struct ovl *o, const struct ovl_res *r, char *out, size_t len);
long ovl_lstat(const char *path, struct stat *st);
int ovl_exists(const char *path);
long ovl_resolve(const struct ovl *o, struct ovl_work *w, const char *rel, int follow,
		 struct ovl_res *r);
long ovl_ensure_dirs(const struct ovl *o, struct ovl_work *w, const char *rel, size_t n);
long ovl_copy_up(const struct ovl *o, struct ovl_work *w, struct ovl_res *r, int data);
long ovl_whiteout(const struct ovl *o, struct ovl_work *w, const char *rel, size_t namepos);
long ovl_unwhiteout(const struct ovl *o, struct ovl_work *w, const char *rel, size_t namepos);
long ovl_make_opaque(const struct ovl *o, const char *upperdir, struct ovl_work *w);
long ovl_clear_markers(const char *upperdir, char *buf);
long ovl_dir_empty(const struct ovl *o, struct ovl_work *w, const struct ovl_res *r);
long ovl_create_over(const struct ovl *o, struct ovl_work *w, const struct ovl_res *r,
		     struct vu_call *c, int arg);
long ovl_may(const struct ovl *o, struct ovl_work *w, const struct ovl_res *r, int what);
void ovl_gen_bump(const struct ovl *o);
void ovl_dirs_changed(const struct ovl *o);
long ovl_tmpname(const struct ovl *o, char *out, size_t len, const char *rel, size_t namepos);

/* ovl_may what */
#define OVL_MAY_WRITE 1		/* write the entry's data */
#define OVL_MAY_OWN 2		/* change its mode, owner, times (owner only) */
#define OVL_MAY_PARENT 3	/* add or remove names in its parent directory */

/* ---- one request (req.c) ---- */

/* What leave() must do, noted in front of a path handed down (leave finds
 * it through the argument, if no layer below replaced it). */
#define OVL_NOTE_MAGIC 0x4f564c31u
#define N_UNWH 1	/* created over a whiteout: drop the whiteout on success */
#define N_MARK 2	/* a lower file opened read-only: watch the fd */
#define N_MERGED 4	/* a merged directory: stat shows lower's identity */
#define N_LOWER 8	/* a read handed lower's entry: EROFS is asked again of upper */

struct ovl_note {
	unsigned int magic, flags, gen, pad;
	unsigned long ldev, lino;
	char path[];
};

struct ovl_req {
	struct ovl *o;
	struct vu_call *c;
	struct ovl_work *w;
	char *rel[2];
	unsigned long mark0;	/* scratch on entry */
	unsigned long mark;	/* after what must survive until leave */
};

struct ovl_note *ovl_note_of(const struct vu_call *c, long arg);
int ovl_req_init(struct ovl_req *q, struct ovl *o, struct vu_call *c, int nrel);
enum vu_action ovl_done(struct ovl_req *q, long ret);
enum vu_action ovl_pass(struct ovl_req *q);
int ovl_virt(struct ovl_req *q, int i, int k, int *slash, int follow);
long ovl_req_resolve(struct ovl_req *q, int k, int follow, struct ovl_res *r);
char *ovl_keep_front(struct ovl_req *q, const void *src, size_t len);
long ovl_set_path(struct ovl_req *q, int i, const struct ovl_res *r, int slash, unsigned int flags);

/* ---- descriptors on lower files (fd.c) ---- */
void ovl_fd_mark(struct ovl *o, long fd, unsigned int v);
void ovl_fd_follow(struct ovl *o, struct vu_call *c, long fd);
long ovl_repoint(int fd, const char *path);

/* ---- the calls (calls.c, exec.c), chosen by the kind of the call
 * (overlay.c); i, oi, ni: the index of the path argument; follow: the call
 * follows a final symlink ---- */
enum vu_action ovl_h_read(struct ovl_req *q, int i, int follow);
enum vu_action ovl_h_meta(struct ovl_req *q, int i, int follow, int may, int data);
enum vu_action ovl_h_fdmeta(struct ovl_req *q, long fd, int may);
enum vu_action ovl_h_create(struct ovl_req *q, int i);
enum vu_action ovl_h_open(struct ovl_req *q, int i, long flags);
enum vu_action ovl_h_unlink(struct ovl_req *q, int i, int dir);
enum vu_action ovl_h_rename(struct ovl_req *q, int oi, int ni, long flags);
enum vu_action ovl_h_link(struct ovl_req *q, int po, int pn);
long ovl_ask_upper(struct ovl *o, struct vu_call *c, int arg, const char *real);
void ovl_leave_unwhiteout(struct ovl *o, struct vu_call *c, const char *real);
enum vu_action ovl_h_exec(struct ovl_req *q, int pi, int ai, int dirfd_i);

/* dir.c */
long ovl_getdents(struct ovl *o, struct vu_call *c, int fd, char *buf, size_t count, int is64);
long ovl_fd_path(int fd, char *out, size_t len);

static inline int ovl_is_reserved(const char *name, size_t n)
{
	return n >= OVL_WH_LEN && !vu_strncmp(name, OVL_WH, OVL_WH_LEN);
}

static inline void ovl_memset(void *p, int v, size_t n)
{
	unsigned char *d = p;

	while (n--)
		*d++ = (unsigned char)v;
}

#endif
