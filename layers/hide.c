/*
 * hide.c -- the hide layer: the paths do not exist.
 *
 * Every path argument of every call (c->op: the table's "does", so a new
 * call in the table is covered the day it is added) that names a hidden
 * object, or something below one, makes the call fail with ENOENT before
 * it reaches the kernel; for calls with two paths, either one does.
 *
 * Two looks at each path:
 * - by name (cheap, and enough for names that do not exist yet: creating
 *   ~/.ssh/x): the path made absolute lexically and compared with the
 *   hidden paths, only when one of its components bears the last name of
 *   one (the cwd and dirfds are never inside one, since they could not be
 *   opened; a process started inside one checks every relative path);
 * - by object (unless "strict": false): the kernel looks the path up
 *   (vu_op_reach: O_PATH with the call's own dirfd, follow rule and
 *   openat2 RESOLVE_* flags; for a name that is made or removed, its
 *   folder), and the object it reaches is matched by its real path and by
 *   identity (vu_roots_holds). So a symlink into a hidden tree, a magic
 *   link of /proc, RESOLVE_IN_ROOT, or a hidden folder whose parent was
 *   renamed lead nowhere.
 *
 * getdents64 and getdents: entries whose name is the last name of a
 * hidden path are looked at (lstat in the listed folder: the identity of
 * a hidden root; else the folder's path from /proc/self/fd), and hidden
 * entries are cut out of the buffer. A batch that ends up empty is not
 * returned as end-of-directory: the layer reads on until it has an entry
 * to return or the kernel says end (PITFALLS K1).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_layer.h"

#define SAFE_DIRS 256
#define SAFE_DIR_LEN 232

struct safe_dir {
	unsigned seq;		/* odd while being written */
	unsigned gen;		/* the generation it was seen in */
	unsigned len;
	char path[SAFE_DIR_LEN];
};

/* the cache of one hide layer (its answers depend on its paths) */
struct safe_dirs {
	unsigned gen;
	struct safe_dir e[SAFE_DIRS];
};

struct hide {
	struct vu_roots roots;
	/* "except": paths below hidden ones that stay visible, and the set
	 * of the folders on the way to them (every proper prefix) */
	struct vu_roots ex;
	struct vu_strmap ex_way;
	int nex;
	struct safe_dirs *cache;	/* folders and names known to lead nowhere hidden */
	int cwd_hidden;		/* the process started inside a hidden path */
	int strict;		/* also by object (the default) */
};

/* is abs (absolute, normalized) an excepted path, below one, or a folder
 * on the way to one? */
static int excepted(const struct hide *h, const char *abs)
{
	return h->nex && (vu_roots_match(&h->ex, abs) >= 0 ||
			  vu_strmap_get(&h->ex_way, abs, vu_strlen(abs)) >= 0);
}

/* is abs at or below a hidden path, and not excepted? */
static int hidden_path(const struct hide *h, const char *abs)
{
	return vu_roots_match(&h->roots, abs) >= 0 && !excepted(h, abs);
}

static int hide_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *paths = &self->opt[0];
	struct hide *h = calloc(1, sizeof(*h));
	char cwd[PATH_MAX];
	int e;

	if (!h)
		return -ENOMEM;
	h->strict = !self->opt[1].set || self->opt[1].num;
	/* 64 KiB of zeroes: mapped, so that neither start-up nor memory pays
	 * for the entries never used */
	h->cache = mmap(NULL, sizeof(*h->cache), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->cache == MAP_FAILED)
		return -ENOMEM;
	h->cache->gen = 1;
	if (paths->count == 0) {
		vu_format(err, errlen, "hide.paths is empty: name at least one path");
		return -EINVAL;
	}
	for (int i = 0; i < paths->count; i++) {
		if (paths->items[i] && paths->items[i][0] == '/' && !paths->items[i][1]) {
			vu_format(err, errlen, "hide.paths: \"/\" would hide everything");
			return -EINVAL;
		}
	}
	e = vu_roots_init(&h->roots, paths->items, paths->count, 1, err, errlen);
	if (e)
		return e;
	for (int i = 0; i < h->roots.n; i++) {
		if (h->roots.len[i] == 1) {	/* "/" (roots are absolute) */
			vu_format(err, errlen, "hide.paths: a path is \"/\" once its symlinks are resolved");
			return -EINVAL;
		}
		vu_debug("hide: %s", h->roots.path[i]);
	}
	if (self->opt[2].set && self->opt[2].count > 0) {
		const struct vu_opt_value *ex = &self->opt[2];

		/* each one strictly below a hidden path */
		for (int i = 0; i < ex->count; i++) {
			if (vu_roots_match(&h->roots, ex->items[i]) < 0 || vu_roots_is(&h->roots, ex->items[i])) {
				vu_format(err, errlen, "hide.except: %s is not below a hidden path", ex->items[i]);
				self->err_opt = 2;
				self->err_item = i;
				return -EINVAL;
			}
		}
		e = vu_roots_init(&h->ex, ex->items, ex->count, 1, err, errlen);
		if (e)
			return e;
		if (vu_strmap_init(&h->ex_way, 16))
			return -ENOMEM;
		for (int i = 0; i < h->ex.n; i++) {
			const char *p = h->ex.path[i];

			/* "/a/b/c": "/", "/a" and "/a/b" are on the way */
			for (size_t k = 1; p[k]; k++)
				if (p[k] == '/')
					vu_strmap_put(&h->ex_way, strndup(p, k), k, i);
			vu_strmap_put(&h->ex_way, "/", 1, i);
		}
		h->nex = h->ex.n;
	}
	h->cwd_hidden = getcwd(cwd, sizeof(cwd)) && hidden_path(h, cwd);
	self->state = h;
	/* one name of a descriptor's folder, not followed: hidden only when it
	 * bears a hidden last name (a descriptor is never inside a hidden tree,
	 * and a name that is not followed crosses no symlink). A path of
	 * several, not followed: a folder whose names are no hidden one and
	 * that crosses no symlink, or leads to a real folder outside every
	 * hidden tree, holds only visible names but hidden ones -- unless
	 * hidden trees have visible parts (except): then a folder inside one
	 * holds both */
	vu_layer_names_only(self, &h->roots.base_bits, h->nex ? 0 : VU_NAMES_ONLY_FOLDER);
	return 0;
}

static int is_listing(long nr)
{
#ifdef VU_NR_getdents
	if (nr == VU_NR_getdents)
		return 1;
#endif
	return nr == VU_NR_getdents64;
}

static int hide_wants(struct vu_layer *self, long nr)
{
	(void)self;
	/* chdir kinds without a path (fchdir): the cache of folders forgets;
	 * leave() only cuts listings */
	if (is_listing(nr))
		return VU_WANTS;
	/* by name: from the path's text and the cwd; by object: from the
	 * file system, not remembered (vu_call_nocache) unless the folder
	 * cache above answered, whose staleness the verdict cache shares:
	 * hide wants every call that makes, moves or removes a name */
	return vu_sem_npaths[nr] > 0 || vu_sem_kind[nr] == VU_OP_CHDIR ? VU_WANTS_PURE : 0;
}

/* could p lead into a hidden path by its name? (see the top of the file) */
static int maybe_hidden(const struct hide *h, const char *p, int dirfd)
{
	if (p[0] != '/' && dirfd == AT_FDCWD && h->cwd_hidden)
		return 1;
	while (*p) {
		const char *s;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		if (p > s && vu_roots_has_base(&h->roots, s, p - s))
			return 1;
	}
	return 0;
}

/* maybe_hidden, with the call's summary of the path's names first: a
 * path that bears no hidden last name is let go in a few instructions */
static int might_be_named(const struct hide *h, struct vu_call *c, int i, const char *p)
{
	const struct vu_names *nm = vu_call_names(c, c->op->path[i].arg);

	if (nm && nm->n <= VU_NAMES_MAX && ((nm->flags & VU_NAMES_ABS) || !h->cwd_hidden)) {
		unsigned k;

		for (k = 0; k < nm->n && !vu_roots_may_have_base(&h->roots, nm->hash[k]); k++)
			;
		if (k == nm->n)
			return 0;
	}
	return maybe_hidden(h, p, vu_op_dirfd(c, i));
}

/* path argument i, by name: 1 when hidden */
static int hidden_by_name(const struct hide *h, struct vu_call *c, int i)
{
	const char *p = (const char *)c->args[c->op->path[i].arg];
	unsigned long mark = c->scratch_used;
	char *abs;
	int hit;

	/* RESOLVE_IN_ROOT: an absolute path is inside the dirfd, not at "/";
	 * the object look decides */
	if (!p || !*p || (c->op->resolve & RESOLVE_IN_ROOT))
		return 0;	/* (the caller asked maybe_hidden) */
	abs = vu_call_alloc(c, 2 * PATH_MAX);
	if (!abs)
		return 1;	/* cannot look: fail closed */
	hit = vu_path_abs(vu_op_dirfd(c, i), p, abs, 2 * PATH_MAX) >= 0 && hidden_path(h, abs);
	vu_call_release(c, mark);
	return hit;
}

static int prefix_leads_in(const struct hide *h, struct vu_call *c, int dirfd, const char *path, int folder);

/* path argument i, by the object the kernel reaches: 1 when hidden */
static int hidden_by_object(const struct hide *h, struct vu_call *c, int i)
{
	const struct vu_op_path *p = &c->op->path[i];
	unsigned long mark = c->scratch_used;
	struct vu_reach r;
	long e;
	int hit = 0;

	/* an object that does not exist (yet) is judged by its folder */
	e = p->role == VU_ROLE_OBJECT ? vu_op_reach(c, i, 0, &r) : -ENOENT;
	if (e == -ENOENT) {
		vu_reach_close(&r);
		e = vu_op_reach(c, i, VU_REACH_PARENT, &r);
	}
	if (e == 0)
		hit = vu_roots_holds(&h->roots, c, r.real) >= 0 && !excepted(h, r.real);
	else if (e == -ENOMEM || e == -EMFILE || e == -ENFILE)
		hit = 1;	/* cannot look: fail closed */
	vu_reach_close(&r);
	if (e == -ENOENT || e == -ENOTDIR || e == -ELOOP || e == -EACCES) {
		/* neither it nor its folder: how far does it get? */
		const char *path = (const char *)c->args[p->arg];

		if (path && *path)
			hit = prefix_leads_in(h, c, vu_op_dirfd(c, i), path, 0) == 1;
	}
	vu_call_release(c, mark);
	return hit;
}

/* ---- when the object look can be skipped ----
 *
 * A path can reach a hidden object without naming it only through a
 * symlink or a magic link: the cwd and every dirfd are outside the hidden
 * trees (nothing inside one can be opened), "." and ".." of a visible
 * folder are visible, and a hidden root keeps its last name when its
 * parent is renamed (which the name look catches). So when no component
 * bears a hidden last name (the name look said so), the kernel is asked
 * only whether the path crosses a symlink: the folder part with openat2
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, and a followed last
 * component with an lstat. A crossing gets the whole object look.
 *
 * Folders that crossed no symlink, and names that are no symlink,
 * absolute or relative to the cwd, are remembered (a small cache, per process), until this process makes,
 * moves or removes a name, mounts, or changes its working directory: then
 * every entry is forgotten. (A symlink made meanwhile by a process outside
 * vu is not seen by the cache: a limit of layers/hide.md.) */

static int safe_dir_known(const struct hide *h, const char *p, size_t n, unsigned long hash)
{
	const struct safe_dir *d = &h->cache->e[hash % SAFE_DIRS];
	unsigned s = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
	int hit;

	if ((s & 1) || n >= SAFE_DIR_LEN)
		return 0;
	hit = d->gen == __atomic_load_n(&h->cache->gen, __ATOMIC_RELAXED) && d->len == n &&
	      vu_memeq(d->path, p, n);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return hit && __atomic_load_n(&d->seq, __ATOMIC_RELAXED) == s;
}

static void safe_dir_add(const struct hide *h, const char *p, size_t n, unsigned long hash)
{
	struct safe_dir *d = &h->cache->e[hash % SAFE_DIRS];
	unsigned s = __atomic_load_n(&d->seq, __ATOMIC_RELAXED);

	if (n >= SAFE_DIR_LEN || (s & 1) ||
	    !__atomic_compare_exchange_n(&d->seq, &s, s + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another thread writes it: leave it */
	vu_memcpy(d->path, p, n);
	d->len = n;
	d->gen = __atomic_load_n(&h->cache->gen, __ATOMIC_RELAXED);
	__atomic_store_n(&d->seq, s + 2, __ATOMIC_RELEASE);
}

/* a call that can change what a path crosses: forget the cache */
static void safe_dirs_forget(const struct hide *h, const struct vu_op *op)
{
	if (op->kind == VU_OP_CREATE || op->kind == VU_OP_RENAME || op->kind == VU_OP_DELETE ||
	    op->kind == VU_OP_MOUNT || op->kind == VU_OP_UNKNOWN || op->kind == VU_OP_CHDIR)
		__atomic_add_fetch(&h->cache->gen, 1, __ATOMIC_RELAXED);
}

/* the deepest part of path (at dirfd) the kernel can reach: does it lead
 * into a hidden tree? A path that fails (ENOTDIR, ENOENT, ELOOP, EACCES)
 * may have gone through one before failing: "link/file/" where link is a
 * symlink into a hidden folder says ENOTDIR natively, which tells that the
 * file exists. So each shorter prefix is asked (O_PATH + readlink of
 * /proc/self/fd/N + close) until one is reached. 1 yes, 0 no, -1 vu
 * cannot tell */
static int prefix_leads_in(const struct hide *h, struct vu_call *c, int dirfd, const char *path, int folder)
{
	unsigned long mark = c->scratch_used;
	size_t n = vu_strlen(path);
	char *buf = vu_call_alloc(c, n + 2);
	int hit = -1;

	if (!buf)
		return -1;
	vu_memcpy(buf, path, n + 1);
	for (;;) {
		struct vu_reach r;
		long e = vu_reach_at(c, dirfd, n ? buf : ".", VU_REACH_FOLLOW, c->op->resolve, &r);

		if (e == 0)
			hit = vu_roots_holds(&h->roots, c, r.real) >= 0 &&
			      !(folder ? h->nex && vu_roots_match(&h->ex, r.real) >= 0 : excepted(h, r.real));
		vu_reach_close(&r);
		if (e == 0 || (e != -ENOENT && e != -ENOTDIR && e != -ELOOP && e != -EACCES))
			break;
		/* the object without its trailing "/" ("file/": ENOTDIR), else
		 * one component less ("a/b" -> "a", "/a" -> "/") */
		if (n > 1 && buf[n - 1] == '/') {
			while (n > 1 && buf[n - 1] == '/')
				n--;
		} else {
			while (n > 0 && buf[n - 1] != '/')
				n--;
			while (n > 1 && buf[n - 1] == '/')
				n--;
		}
		buf[n] = 0;
		if (n == 0 || (n == 1 && buf[0] == '/')) {
			hit = 0;	/* the dirfd, the cwd or "/": never inside one */
			break;
		}
	}
	vu_call_release(c, mark);
	return hit;
}

/* the folder dir (at dirfd) crosses a symlink: does it lead into a
 * hidden tree? 1 yes, 0 no, -1 vu cannot tell */
static int dir_leads_in(const struct hide *h, struct vu_call *c, int dirfd, const char *dir)
{
	/* (a hidden folder on the way to an excepted path is visible, but
	 * holds hidden names: it leads in) */
	return prefix_leads_in(h, c, dirfd, dir, 1);
}

/* can path argument i reach a hidden object without bearing a hidden
 * name? 1: no, the name look decided; 0: the object look must */
static int crosses_no_link(const struct hide *h, struct vu_call *c, int i)
{
	const struct vu_op_path *p = &c->op->path[i];
	const char *path = (const char *)c->args[p->arg];
	int dirfd = vu_op_dirfd(c, i);
	size_t n, s;
	unsigned long nh = 0;
	const char *last, *abs;
	long len;
	int cacheable, tail;

	if (!path || !*path || (c->op->resolve & RESOLVE_IN_ROOT))
		return 0;
	cacheable = path[0] == '/' || dirfd == AT_FDCWD;
	/* an absolute path as the call's memo has it (normalized, its hash
	 * known), else the path as written (hashed below, when needed) */
	abs = path[0] == '/' ? vu_call_path(c, p->arg, &len, &nh) : 0;
	if (abs == path) {
		n = (size_t)len;
	} else {
		n = vu_strlen(path);
		nh = 0;
	}
	if (path[n - 1] == '/') {
		/* "name/": the last component is followed whatever the call
		 * says: the whole path is the folder part */
		s = n;
	} else {
		/* the folder part ends where the last name starts: the call's
		 * names know it (a tree walk's fstatat(dirfd, name): 0) */
		const struct vu_names *nm = vu_call_names(c, p->arg);

		s = n;
		if (nm)
			s = nm->last;
		else
			while (s > 0 && path[s - 1] != '/')
				s--;
	}
	last = path + s;
	/* the last name is followed to where it leads (not "." or "..") */
	tail = p->follow && p->role == VU_ROLE_OBJECT && n > s && !(n - s == 1 && last[0] == '.') &&
	       !(n - s == 2 && last[0] == '.' && last[1] == '.');
	if (cacheable && !nh && (tail || s == n))
		nh = vu_strmap_hash(path, n);	/* (the cache's key only) */
	/* the whole path was seen to cross no symlink, and is none: asked
	 * only when that is the question (a call that stops at its last
	 * name -- lstat, a tree walk's fstatat -- asks about the folder) */
	if ((tail || s == n) && cacheable && safe_dir_known(h, path, n, nh))
		return 1;
	if (s > 0 && !(path[0] == '/' && s == 1)) {
		/* the folder part: every component of it is followed */
		unsigned long sh = s == n ? nh : vu_strmap_hash(path, s);

		if (!(cacheable && safe_dir_known(h, path, s, sh))) {
			char *dir = vu_call_alloc(c, s + 1);
			struct open_how how = {
				.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | c->op->resolve,
			};
			long fd;

			if (!dir)
				return 0;
			vu_memcpy(dir, path, s);
			dir[s] = 0;
			fd = vu_sys4(SYS_openat2, dirfd, dir, &how, sizeof(how));
			if ((fd == -ELOOP && !(c->op->resolve & (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS))) ||
			    (fd == -ENOSYS && !c->op->resolve)) {
				/* it crosses a symlink (/lib on a merged /usr), or
				 * this kernel has no openat2 (before 5.6, or
				 * valgrind): where does the folder really lead? Its
				 * last name is not a hidden one, nor is a visible
				 * folder's parent. */
				if (dir_leads_in(h, c, dirfd, dir) != 0)
					return 0;
				fd = -ENOENT;	/* remembered below */
			} else if (fd == -ELOOP || fd == -EXDEV || fd == -ENOSYS || fd == -EINVAL ||
				   fd == -E2BIG || fd == -EAGAIN || fd == -ENOMEM || fd == -EMFILE) {
				return 0;	/* vu cannot tell */
			}
			if (fd >= 0)
				vu_sys1(SYS_close, fd);
			/* another error (ENOENT, ENOTDIR, EACCES): the call fails
			 * the same way in the kernel's walk, before any symlink;
			 * remembered too (setlocale probes a missing folder per
			 * category) */
			if (cacheable)
				safe_dir_add(h, path, s, sh);
		}
	}
	if (tail) {
		struct stat st;
		long e = vu_sys4(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW);

		if (e == 0 && S_ISLNK(st.st_mode))
			return 0;	/* followed: where does it lead? */
		if (e == 0 && cacheable)
			safe_dir_add(h, path, n, nh);	/* the same cache: "dir/" and "dir/name" differ */
	}
	return 1;
}

static enum vu_action hide_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct hide *h = self->state;
	const struct vu_op *op = c->op;

	if (op->writes || op->kind == VU_OP_CHDIR)
		safe_dirs_forget(h, op);
	for (int i = 0; i < op->npaths; i++) {
		const char *path = (const char *)c->args[op->path[i].arg];
		int named;

		if (op->path[i].role == VU_ROLE_CONTENT)
			continue;
		/* "" with AT_EMPTY_PATH, or NULL: the descriptor itself, opened
		 * through vu (glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH)) */
		if (op->path[i].empty && (!path || !*path))
			continue;
		named = path && *path && might_be_named(h, c, i, path);
		if ((named && hidden_by_name(h, c, i)) ||
		    (h->strict && (!path || (c->op->resolve & RESOLVE_IN_ROOT) || named ||
				   !crosses_no_link(h, c, i)) &&
		     (vu_call_nocache(c), hidden_by_object(h, c, i)))) {
			vu_debug("hide %s: %s -> ENOENT", vu_syscalls[c->nr].name,
				 c->args[op->path[i].arg] ? (const char *)c->args[op->path[i].arg] : "(fd)");
			c->ret = -ENOENT;
			return VU_DONE;
		}
	}
	return VU_CONTINUE;
}

/* ---- directory listings ---- */

/* the two record layouts: linux_dirent64 and the old linux_dirent */
struct layout {
	size_t off_pos;		/* offset of d_off */
	size_t reclen_pos;	/* offset of d_reclen */
	size_t name_pos;	/* offset of d_name */
};

static const struct layout dirent64 = { 8, 16, 19 };
#ifdef VU_NR_getdents
static const struct layout dirent_old = { 8, 16, 18 };
#endif

static unsigned short reclen_at(const char *rec, const struct layout *l)
{
	unsigned short n;

	__builtin_memcpy(&n, rec + l->reclen_pos, sizeof(n));	/* (a load, not a call: every entry) */
	return n;
}

/* the length of the name of record rec (rl bytes), without a scan: the
 * kernel writes a linux_dirent64's name and its NUL at the record's end,
 * padded to 8 bytes (reclen = ALIGN(19 + len + 1, 8)), so the NUL is the
 * first zero byte of the record's last 8 (those before the name masked
 * out; the padding after the NUL is not written). A record that is not
 * so (the old layout, or no NUL there): a scan */
static size_t rec_name_len(const char *rec, unsigned short rl, const struct layout *l)
{
	unsigned long w, z;
	long at = (long)rl - 8, skip;

	if (l->name_pos != 19 || at < 8)
		return vu_strlen(rec + l->name_pos);
	__builtin_memcpy(&w, rec + at, 8);
	skip = 19 - at;		/* header bytes in that word */
	if (skip > 0)
		w |= ~0UL >> (64 - 8 * skip);
	z = (w - 0x0101010101010101UL) & ~w & 0x8080808080808080UL;	/* its zero bytes (the lowest exact) */
	if (!z)
		return vu_strlen(rec + l->name_pos);
	return (size_t)(at + (long)(__builtin_ctzl(z) >> 3) - 19);
}

static int rec_is_base(const struct hide *h, const char *rec, unsigned short rl, const struct layout *l)
{
	return vu_roots_has_base(&h->roots, rec + l->name_pos, rec_name_len(rec, rl, l));
}

/* is name, in the folder open as fd (real path dir, dlen bytes, or dlen
 * < 0: not known), hidden? By identity first (a hidden root wherever it
 * was moved), then by path. */
/* dir/name into dir (dlen bytes of folder); 0, or -1 when it does not fit */
static int join_name(char *dir, long dlen, const char *name, size_t nl)
{
	if (dlen < 0 || dlen + 1 + nl + 1 > 2 * PATH_MAX)
		return -1;
	dir[dlen] = '/';
	vu_memcpy(dir + dlen + 1 - (dlen == 1), name, nl + 1);
	return 0;
}

static int entry_hidden(const struct hide *h, int fd, char *dir, long dlen, const char *name)
{
	struct stat st;
	size_t nl = vu_strlen(name);
	int joined = join_name(dir, dlen, name, nl) == 0;

	if (vu_sys4(SYS_newfstatat, fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    vu_roots_id(&h->roots, st.st_dev, st.st_ino) >= 0)
		return !(joined && excepted(h, dir));
	return joined && hidden_path(h, dir);
}

/* is name in dir (a folder on the way to an excepted path) on the way, or
 * excepted? "." and ".." stay */
static int entry_on_way(const struct hide *h, char *dir, long dlen, const char *name)
{
	size_t nl = vu_strlen(name);

	if (name[0] == '.' && (nl == 1 || (nl == 2 && name[1] == '.')))
		return 1;
	return join_name(dir, dlen, name, nl) == 0 && excepted(h, dir);
}

/* cut the hidden entries out of buf (len bytes); returns the new length */
static long filter(const struct hide *h, struct vu_call *c, int fd, char *buf, long len,
		   const struct layout *l)
{
	char *dir = 0, *prev = 0;
	long in = 0, out = 0, dlen = 0;
	int any = 0, way = 0;

	for (long o = 0, rl; o < len; o += rl) {
		rl = reclen_at(buf + o, l);
		if (rl == 0)
			return len;	/* not a kernel's buffer: leave it */
		if (rec_is_base(h, buf + o, (unsigned short)rl, l))
			any = 1;
	}
	if (!any && !h->nex)
		return len;
	dir = vu_call_alloc(c, 2 * PATH_MAX);
	if (!dir)
		return -ENOMEM;
	dlen = vu_fd_realpath(fd, dir, PATH_MAX);
	/* a hidden folder on the way to an excepted path: only the names on
	 * the way are listed */
	way = h->nex && dlen > 0 && vu_roots_match(&h->roots, dir) >= 0 &&
	      vu_strmap_get(&h->ex_way, dir, dlen) >= 0;
	if (!any && !way)
		return len;
	while (in < len) {
		unsigned short rl = reclen_at(buf + in, l);
		const char *name = buf + in + l->name_pos;
		int gone = way ? !entry_on_way(h, dir, dlen, name)
			       : rec_is_base(h, buf + in, rl, l) && entry_hidden(h, fd, dir, dlen, name);

		dir[dlen > 0 ? dlen : 0] = 0;	/* (entry_* wrote the name after it) */
		if (gone) {
			/* the entry before it now leads past it */
			if (prev)
				vu_memcpy(prev + l->off_pos, buf + in + l->off_pos, 8);
		} else {
			if (out != in)
				for (long k = 0; k < rl; k++)
					buf[out + k] = buf[in + k];
			prev = buf + out;
			out += rl;
		}
		in += rl;
	}
	return out;
}

static void hide_leave(struct vu_layer *self, struct vu_call *c)
{
	const struct hide *h = self->state;
	const struct layout *l = &dirent64;
	char *buf = (char *)c->args[1];
	unsigned long mark = c->scratch_used;
	long n = c->ret;

	if (!is_listing(c->nr))
		return;
#ifdef VU_NR_getdents
	if (c->nr == VU_NR_getdents)
		l = &dirent_old;
#endif
	/* an empty batch would read as the end: read on */
	while (n > 0) {
		n = filter(h, c, (int)c->args[0], buf, n, l);
		vu_call_release(c, mark);
		if (n != 0)
			break;
		n = vu_sys3(c->nr, c->args[0], buf, c->args[2]);
		if (n == 0)
			break;
	}
	c->ret = n;
}

const struct vu_layer_ops vu_layer_hide_ops = {
	.abi = VU_ABI_VERSION,
	.init = hide_init,
	.wants = hide_wants,
	.enter = hide_enter,
	.leave = hide_leave,
};
