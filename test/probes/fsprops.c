/* fsprops -- the property probe of test/props/fsprops.test.ts: every call
 * that can change a file system object (and, for hide, every call that can
 * read one), crossed with every way of naming the object, run against a
 * tree that is read-only (readonly layer, or a real read-only bind mount)
 * or hidden (hide layer). One line per case:
 *
 *   CASE-ID ERRNO [rename=ERRNO] [changed=WHAT]
 *
 * CASE-ID is CALL:VARIANT@FORM/IMPL (IMPL libc: glibc's function, raw: an
 * inline syscall instruction that only SUD sees). ERRNO is the errno name
 * or OK. rename= is the result of renaming the tree's parent first (form
 * "renamed"). changed= says what the case changed in the tree: a native
 * process (this program's parent, never under vu) snapshots the tree
 * (lstat of every entry: type, mode, owner, links, size, mtime, ctime,
 * symlink target, content, xattrs) after each case, and rebuilds the tree
 * when it changed, so that every case starts from the same tree.
 *
 * usage:
 *   fsprops list ro|hide                     the cases, "ID CALL HOW" a line (HOW:
 *                                            path, fd: an fd opened by the form, handle:
 *                                            a handle of the file the form names)
 *   fsprops run ro|hide BASE SEL IMPLS [mount]
 *     BASE: an empty folder (the tree is made in it: BASE/P/T is the
 *           read-only or hidden tree, BASE/O is outside it)
 *     SEL: "all", or case ids separated by commas
 *     IMPLS: libc, raw or both
 *     mount: make BASE/P/T a real read-only bind mount (needs root;
 *            unshares the mount namespace); exit 3 when it cannot
 *   The child that runs the cases gets LD_PRELOAD=$FSPROPS_PRELOAD and
 *   VU_CONFIG=$FSPROPS_CONFIG when those are set; the parent stays native.
 *   fsprops canmount                         exit 0 when "mount" works
 *
 * The tree: T/file ("hello", xattr user.a=1), T/dir/inner, T/empty/,
 * T/link -> file, T/exe (a script: exit 42); O/x, O/lt -> BASE/P/T.
 * The readonly config names BASE/P/T; the hide config hides BASE/P/T.
 */
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <utime.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif
#ifndef SYS_file_setattr
#define SYS_file_setattr 469
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

struct xattr_args_ {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

struct file_attr_ {
	uint64_t fa_xflags;
	uint32_t fa_extsize, fa_nextents, fa_projid, fa_cowextsize;
};

/* ---------------------------------------------------------------- forms */

enum {
	F_ABS, F_CWD, F_DIRFD, F_EMPTY, F_PROCDIR, F_PROCFD, F_SYMLINK, F_RENAMED,
	F_INROOT, F_BENEATH, F_NOSYM, F_NOMAGIC, F_NOXDEV, F_EMPTYRD, F_COUNT
};
static const char *form_names[F_COUNT] = {
	"abs", "cwd", "dirfd", "empty", "procdir", "procfd", "symlink", "renamed",
	"in-root", "beneath", "no-symlinks", "no-magiclinks", "no-xdev", "empty-rdfd",
};
#define B_(f) (1u << (f))
/* a path-only call (no dirfd argument) */
#define M_PATH (B_(F_ABS) | B_(F_CWD) | B_(F_PROCDIR) | B_(F_SYMLINK) | B_(F_RENAMED))
/* ... that follows its last component: /proc/self/fd/N of an O_PATH fd too */
#define M_PATHF (M_PATH | B_(F_PROCFD))
#define M_AT (M_PATH | B_(F_DIRFD))
#define M_ATF (M_PATHF | B_(F_DIRFD))
#define M_RESOLVE (B_(F_INROOT) | B_(F_BENEATH) | B_(F_NOSYM) | B_(F_NOMAGIC) | B_(F_NOXDEV))
#define M_FD (M_PATHF | B_(F_DIRFD) | B_(F_EMPTY)) /* how the fd of an fd call is opened */

static int hide_mode;
static char B[4096];

struct nm {
	int dfd;
	char path[4400];
	int empty;		/* AT_EMPTY_PATH */
	unsigned long long resolve;
};

struct ctx {
	int raw;
	struct nm a, b;
	int fd;			/* fd calls: the descriptor */
	int ofd[6];		/* descriptors to close after the case */
	int nofd;
	char top[8];		/* P, or P2 after the parent was renamed */
};

static long lc(long r) { return r == -1 ? -errno : r; }
#define R6(n, a, b, c, d, e, f) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define CALL(viaLibc, viaRaw) (c->raw ? (long)(viaRaw) : lc((long)(viaLibc)))

static long ropen(struct ctx *c, int dfd, const char *p, int fl)
{
	long fd = CALL(openat(dfd, p, fl, 0644), R6(SYS_openat, dfd, p, fl, 0644, 0, 0));

	if (fd >= 0 && c->nofd < 6)
		c->ofd[c->nofd++] = (int)fd;
	return fd;
}

/* the folder whose entries are the tree's names: T itself for readonly, P
 * (holding T) for hide, where T cannot be opened */
static void rel_in(char *out, size_t n, const char *rel)
{
	if (hide_mode)
		snprintf(out, n, "T%s%s", *rel ? "/" : "", rel);
	else
		snprintf(out, n, "%s", *rel ? rel : ".");
}

/* name rel (in the tree) by form; returns 0 or -errno of a step before */
static long name_it(struct ctx *c, struct nm *n, int form, const char *rel, int follow, const char *top)
{
	char r[4200];
	long fd;

	n->dfd = AT_FDCWD;
	n->empty = 0;
	n->resolve = 0;
	rel_in(r, sizeof(r), rel);
	switch (form) {
	case F_ABS:
	case F_NOSYM:
	case F_NOMAGIC:
	case F_RENAMED:
		snprintf(n->path, sizeof(n->path), "%s/%s/T%s%s", B, top, *rel ? "/" : "", rel);
		if (form == F_NOSYM)
			n->resolve = RESOLVE_NO_SYMLINKS;
		if (form == F_NOMAGIC)
			n->resolve = RESOLVE_NO_MAGICLINKS;
		return 0;
	case F_CWD:
		snprintf(n->path, sizeof(n->path), "%s", r);
		return 0;
	case F_DIRFD:
	case F_PROCDIR:
		snprintf(n->path, sizeof(n->path), "%s/P%s", B, hide_mode ? "" : "/T");
		fd = ropen(c, AT_FDCWD, n->path, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return fd;
		if (form == F_DIRFD) {
			n->dfd = (int)fd;
			snprintf(n->path, sizeof(n->path), "%s", r);
		} else {
			snprintf(n->path, sizeof(n->path), "/proc/self/fd/%ld/%s", fd, r);
		}
		return 0;
	case F_EMPTY:
	case F_EMPTYRD:
	case F_PROCFD:
		snprintf(n->path, sizeof(n->path), "%s/P/T%s%s", B, *rel ? "/" : "", rel);
		fd = ropen(c, AT_FDCWD, n->path, (form == F_EMPTYRD ? O_RDONLY : O_PATH) | (follow ? 0 : O_NOFOLLOW));
		if (fd < 0)
			return fd;
		if (form != F_PROCFD) {
			n->dfd = (int)fd;
			n->path[0] = 0;
			n->empty = 1;
		} else {
			snprintf(n->path, sizeof(n->path), "/proc/self/fd/%ld", fd);
		}
		return 0;
	case F_SYMLINK:
		snprintf(n->path, sizeof(n->path), "%s/O/lt/%s", B, rel);
		return 0;
	case F_INROOT:
	case F_BENEATH:
		fd = ropen(c, AT_FDCWD, B, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return fd;
		n->dfd = (int)fd;
		snprintf(n->path, sizeof(n->path), "%sP/T%s%s", form == F_INROOT ? "/" : "", *rel ? "/" : "", rel);
		n->resolve = form == F_INROOT ? RESOLVE_IN_ROOT : RESOLVE_BENEATH;
		return 0;
	case F_NOXDEV:
		snprintf(n->path, sizeof(n->path), "%s/P", B);
		fd = ropen(c, AT_FDCWD, n->path, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return fd;
		n->dfd = (int)fd;
		snprintf(n->path, sizeof(n->path), "T%s%s", *rel ? "/" : "", rel);
		n->resolve = RESOLVE_NO_XDEV;
		return 0;
	}
	return -EINVAL;
}

/* ---------------------------------------------------------------- calls */

#define OP(f) static long f(struct ctx *c)
#define AD c->a.dfd
#define AP c->a.path
#define AE (c->a.empty ? AT_EMPTY_PATH : 0)
#define BD c->b.dfd
#define BP c->b.path
#define FD c->fd

static long opened(long r)
{
	if (r >= 0)
		close((int)r);
	return r;
}

static long o2(struct ctx *c, int fl)
{
	struct open_how how = { .flags = (unsigned long long)fl, .mode = (fl & O_CREAT) || (fl & O_TMPFILE) == O_TMPFILE ? 0644 : 0, .resolve = c->a.resolve };

	return opened(CALL(syscall(SYS_openat2, AD, AP, &how, sizeof(how)), R6(SYS_openat2, AD, AP, &how, sizeof(how), 0, 0)));
}
#define OPENS(tag, fl) \
	OP(open_##tag) { return opened(CALL(open(AP, fl, 0644), R6(SYS_open, AP, fl, 0644, 0, 0, 0))); } \
	OP(openat_##tag) { return opened(CALL(openat(AD, AP, fl, 0644), R6(SYS_openat, AD, AP, fl, 0644, 0, 0))); } \
	OP(openat2_##tag) { return o2(c, fl); }
OPENS(wronly, O_WRONLY)
OPENS(rdwr, O_RDWR)
OPENS(trunc, O_RDONLY | O_TRUNC)
OPENS(append, O_WRONLY | O_APPEND)
OPENS(rdappend, O_RDONLY | O_APPEND)
OPENS(creat, O_WRONLY | O_CREAT)
OPENS(creatrd, O_RDONLY | O_CREAT)
OPENS(excl, O_WRONLY | O_CREAT | O_EXCL)
OPENS(tmpfile, O_WRONLY | O_TMPFILE)
OPENS(rdonly, O_RDONLY)
OP(creat_) { return opened(CALL(creat(AP, 0644), R6(SYS_creat, AP, 0644, 0, 0, 0, 0))); }

static long by_handle(struct ctx *c, int fl)
{
	struct { struct file_handle h; unsigned char b[128]; } fh;
	int mnt;
	long r, mfd;

	fh.h.handle_bytes = 128;
	r = CALL(name_to_handle_at(AD, AP, &fh.h, &mnt, AE | AT_SYMLINK_FOLLOW),
		 R6(SYS_name_to_handle_at, AD, AP, &fh.h, &mnt, AE | AT_SYMLINK_FOLLOW, 0));
	if (r < 0)
		return r;
	/* the mount the handle is opened on: the tree's own (read-only) one */
	if (hide_mode) {
		mfd = ropen(c, AT_FDCWD, B, O_RDONLY | O_DIRECTORY);
	} else {
		char t[4200];

		snprintf(t, sizeof(t), "%s/%s/T", B, c->top);
		mfd = ropen(c, AT_FDCWD, t, O_RDONLY | O_DIRECTORY);
	}
	if (mfd < 0)
		return mfd;
	return opened(CALL(open_by_handle_at((int)mfd, &fh.h, fl), R6(SYS_open_by_handle_at, mfd, &fh.h, fl, 0, 0, 0)));
}
OP(obh_wronly) { return by_handle(c, O_WRONLY); }
OP(obh_rdonly) { return by_handle(c, O_RDONLY); }

OP(mkdir_) { return CALL(mkdir(AP, 0755), R6(SYS_mkdir, AP, 0755, 0, 0, 0, 0)); }
OP(mkdirat_) { return CALL(mkdirat(AD, AP, 0755), R6(SYS_mkdirat, AD, AP, 0755, 0, 0, 0)); }
OP(mknod_) { return CALL(mknod(AP, S_IFIFO | 0644, 0), R6(SYS_mknod, AP, S_IFIFO | 0644, 0, 0, 0, 0)); }
OP(mknodreg_) { return CALL(mknod(AP, S_IFREG | 0644, 0), R6(SYS_mknod, AP, S_IFREG | 0644, 0, 0, 0, 0)); }
OP(mknodat_) { return CALL(mknodat(AD, AP, S_IFIFO | 0644, 0), R6(SYS_mknodat, AD, AP, S_IFIFO | 0644, 0, 0, 0)); }
OP(symlink_) { return CALL(symlink("file", AP), R6(SYS_symlink, "file", AP, 0, 0, 0, 0)); }
OP(symlinkat_) { return CALL(symlinkat("file", AD, AP), R6(SYS_symlinkat, "file", AD, AP, 0, 0, 0)); }
OP(link_) { return CALL(link(AP, BP), R6(SYS_link, AP, BP, 0, 0, 0, 0)); }
OP(link_in) { return CALL(link(BP, AP), R6(SYS_link, BP, AP, 0, 0, 0, 0)); }
OP(linkat_) { return CALL(linkat(AD, AP, BD, BP, AE), R6(SYS_linkat, AD, AP, BD, BP, AE, 0)); }
OP(linkat_follow) { return CALL(linkat(AD, AP, BD, BP, AE | AT_SYMLINK_FOLLOW), R6(SYS_linkat, AD, AP, BD, BP, AE | AT_SYMLINK_FOLLOW, 0)); }
OP(unlink_) { return CALL(unlink(AP), R6(SYS_unlink, AP, 0, 0, 0, 0, 0)); }
OP(unlinkat_) { return CALL(unlinkat(AD, AP, 0), R6(SYS_unlinkat, AD, AP, 0, 0, 0, 0)); }
OP(unlinkat_dir) { return CALL(unlinkat(AD, AP, AT_REMOVEDIR), R6(SYS_unlinkat, AD, AP, AT_REMOVEDIR, 0, 0, 0)); }
OP(rmdir_) { return CALL(rmdir(AP), R6(SYS_rmdir, AP, 0, 0, 0, 0, 0)); }
OP(rename_) { return CALL(rename(AP, BP), R6(SYS_rename, AP, BP, 0, 0, 0, 0)); }
OP(rename_in) { return CALL(rename(BP, AP), R6(SYS_rename, BP, AP, 0, 0, 0, 0)); }
OP(renameat_) { return CALL(renameat(AD, AP, BD, BP), R6(SYS_renameat, AD, AP, BD, BP, 0, 0)); }
#define RENAMEAT2(tag, fl) \
	OP(renameat2_##tag) { return CALL(renameat2(AD, AP, BD, BP, fl), R6(SYS_renameat2, AD, AP, BD, BP, fl, 0)); }
RENAMEAT2(plain, 0)
RENAMEAT2(noreplace, RENAME_NOREPLACE)
RENAMEAT2(exchange, RENAME_EXCHANGE)
OP(truncate_) { return CALL(truncate(AP, 1), R6(SYS_truncate, AP, 1, 0, 0, 0, 0)); }
OP(ftruncate_) { return CALL(ftruncate(FD, 1), R6(SYS_ftruncate, FD, 1, 0, 0, 0, 0)); }
OP(fallocate_) { return CALL(fallocate(FD, 0, 0, 4096), R6(SYS_fallocate, FD, 0, 0, 4096, 0, 0)); }
OP(chmod_) { return CALL(chmod(AP, 0600), R6(SYS_chmod, AP, 0600, 0, 0, 0, 0)); }
OP(fchmod_) { return CALL(fchmod(FD, 0600), R6(SYS_fchmod, FD, 0600, 0, 0, 0, 0)); }
OP(fchmodat_) { return CALL(fchmodat(AD, AP, 0600, 0), R6(SYS_fchmodat, AD, AP, 0600, 0, 0, 0)); }
OP(fchmodat2_) { return CALL(syscall(SYS_fchmodat2, AD, AP, 0600, AE), R6(SYS_fchmodat2, AD, AP, 0600, AE, 0, 0)); }
OP(fchmodat2_nofollow) { return CALL(syscall(SYS_fchmodat2, AD, AP, 0600, AE | AT_SYMLINK_NOFOLLOW), R6(SYS_fchmodat2, AD, AP, 0600, AE | AT_SYMLINK_NOFOLLOW, 0, 0)); }
OP(chown_) { return CALL(chown(AP, 1, 1), R6(SYS_chown, AP, 1, 1, 0, 0, 0)); }
OP(lchown_) { return CALL(lchown(AP, 1, 1), R6(SYS_lchown, AP, 1, 1, 0, 0, 0)); }
OP(fchown_) { return CALL(fchown(FD, 1, 1), R6(SYS_fchown, FD, 1, 1, 0, 0, 0)); }
OP(fchownat_) { return CALL(fchownat(AD, AP, 1, 1, AE), R6(SYS_fchownat, AD, AP, 1, 1, AE, 0)); }
OP(fchownat_nofollow) { return CALL(fchownat(AD, AP, 1, 1, AE | AT_SYMLINK_NOFOLLOW), R6(SYS_fchownat, AD, AP, 1, 1, AE | AT_SYMLINK_NOFOLLOW, 0)); }
OP(utime_) { return CALL(utime(AP, NULL), R6(SYS_utime, AP, 0, 0, 0, 0, 0)); }
OP(utimes_) { return CALL(utimes(AP, NULL), R6(SYS_utimes, AP, 0, 0, 0, 0, 0)); }
OP(futimesat_) { return CALL(futimesat(AD, AP, NULL), R6(SYS_futimesat, AD, AP, 0, 0, 0, 0)); }
OP(utimensat_) { return CALL(utimensat(AD, AP, NULL, AE), R6(SYS_utimensat, AD, AP, 0, AE, 0, 0)); }
OP(utimensat_nofollow) { return CALL(utimensat(AD, AP, NULL, AE | AT_SYMLINK_NOFOLLOW), R6(SYS_utimensat, AD, AP, 0, AE | AT_SYMLINK_NOFOLLOW, 0, 0)); }
OP(futimens_) { return CALL(futimens(FD, NULL), R6(SYS_utimensat, FD, 0, 0, 0, 0, 0)); }
OP(setxattr_) { return CALL(setxattr(AP, "user.vu", "v", 1, 0), R6(SYS_setxattr, AP, "user.vu", "v", 1, 0, 0)); }
OP(lsetxattr_) { return CALL(lsetxattr(AP, "user.vu", "v", 1, 0), R6(SYS_lsetxattr, AP, "user.vu", "v", 1, 0, 0)); }
OP(fsetxattr_) { return CALL(fsetxattr(FD, "user.vu", "v", 1, 0), R6(SYS_fsetxattr, FD, "user.vu", "v", 1, 0, 0)); }
OP(removexattr_) { return CALL(removexattr(AP, "user.a"), R6(SYS_removexattr, AP, "user.a", 0, 0, 0, 0)); }
OP(lremovexattr_) { return CALL(lremovexattr(AP, "user.a"), R6(SYS_lremovexattr, AP, "user.a", 0, 0, 0, 0)); }
OP(fremovexattr_) { return CALL(fremovexattr(FD, "user.a"), R6(SYS_fremovexattr, FD, "user.a", 0, 0, 0, 0)); }
OP(setxattrat_)
{
	struct xattr_args_ xa = { (uintptr_t)"v", 1, 0 };

	return CALL(syscall(SYS_setxattrat, AD, AP, AE, "user.vu", &xa, sizeof(xa)), R6(SYS_setxattrat, AD, AP, AE, "user.vu", &xa, sizeof(xa)));
}
OP(removexattrat_) { return CALL(syscall(SYS_removexattrat, AD, AP, AE, "user.a"), R6(SYS_removexattrat, AD, AP, AE, "user.a", 0, 0)); }
OP(file_setattr_)
{
	struct file_attr_ fa = { 0x80 /* FS_XFLAG_NODUMP */, 0, 0, 0, 0 };

	return CALL(syscall(SYS_file_setattr, AD, AP, &fa, sizeof(fa), AE), R6(SYS_file_setattr, AD, AP, &fa, sizeof(fa), AE, 0));
}

/* reads: what hide must refuse too */
OP(stat_) { struct stat st; return CALL(stat(AP, &st), R6(SYS_stat, AP, &st, 0, 0, 0, 0)); }
OP(lstat_) { struct stat st; return CALL(lstat(AP, &st), R6(SYS_lstat, AP, &st, 0, 0, 0, 0)); }
OP(newfstatat_) { struct stat st; return CALL(fstatat(AD, AP, &st, AE), R6(SYS_newfstatat, AD, AP, &st, AE, 0, 0)); }
OP(statx_) { struct statx sx; return CALL(statx(AD, AP, AE, STATX_BASIC_STATS, &sx), R6(SYS_statx, AD, AP, AE, STATX_BASIC_STATS, &sx, 0)); }
OP(access_) { return CALL(access(AP, R_OK), R6(SYS_access, AP, R_OK, 0, 0, 0, 0)); }
OP(faccessat_) { return CALL(faccessat(AD, AP, R_OK, 0), R6(SYS_faccessat, AD, AP, R_OK, 0, 0, 0)); }
OP(faccessat2_) { return CALL(syscall(SYS_faccessat2, AD, AP, R_OK, AE), R6(SYS_faccessat2, AD, AP, R_OK, AE, 0, 0)); }
OP(readlink_) { char b[256]; return CALL(readlink(AP, b, sizeof(b)), R6(SYS_readlink, AP, b, sizeof(b), 0, 0, 0)); }
OP(readlinkat_) { char b[256]; return CALL(readlinkat(AD, AP, b, sizeof(b)), R6(SYS_readlinkat, AD, AP, b, sizeof(b), 0, 0)); }
OP(getxattr_) { char b[64]; return CALL(getxattr(AP, "user.a", b, sizeof(b)), R6(SYS_getxattr, AP, "user.a", b, sizeof(b), 0, 0)); }
OP(lgetxattr_) { char b[64]; return CALL(lgetxattr(AP, "user.a", b, sizeof(b)), R6(SYS_lgetxattr, AP, "user.a", b, sizeof(b), 0, 0)); }
OP(listxattr_) { char b[256]; return CALL(listxattr(AP, b, sizeof(b)), R6(SYS_listxattr, AP, b, sizeof(b), 0, 0, 0)); }
OP(llistxattr_) { char b[256]; return CALL(llistxattr(AP, b, sizeof(b)), R6(SYS_llistxattr, AP, b, sizeof(b), 0, 0, 0)); }
OP(getxattrat_)
{
	char b[64];
	struct xattr_args_ xa = { (uintptr_t)b, sizeof(b), 0 };

	return CALL(syscall(SYS_getxattrat, AD, AP, AE, "user.a", &xa, sizeof(xa)), R6(SYS_getxattrat, AD, AP, AE, "user.a", &xa, sizeof(xa)));
}
OP(listxattrat_) { char b[256]; return CALL(syscall(SYS_listxattrat, AD, AP, AE, b, sizeof(b)), R6(SYS_listxattrat, AD, AP, AE, b, sizeof(b), 0)); }
OP(chdir_)
{
	long r = CALL(chdir(AP), R6(SYS_chdir, AP, 0, 0, 0, 0, 0));

	if (r >= 0)
		CHECK(chdir(B) == 0);
	return r;
}

static long exec_in_child(struct ctx *c, int at)
{
	extern char **environ;
	char *argv[] = { "exe", NULL };
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		long r = at ? CALL(execveat(AD, AP, argv, environ, AE), R6(SYS_execveat, AD, AP, argv, environ, AE, 0))
			    : CALL(execve(AP, argv, environ), R6(SYS_execve, AP, argv, environ, 0, 0, 0));
		_exit((int)-r);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st) == 42 ? 0 : -WEXITSTATUS(st);
}
OP(execve_) { return exec_in_child(c, 0); }
OP(execveat_) { return exec_in_child(c, 1); }

/* list a folder; OK when an entry named `want` is in it */
static long list_has(struct ctx *c, int dfd, const char *p, const char *want)
{
	char buf[8192];
	long fd, n, found = 0;

	if (!c->raw) {
		DIR *d;
		struct dirent *e;

		fd = ropen(c, dfd, p, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return fd;
		c->nofd--;	/* closedir closes it */
		d = fdopendir((int)fd);
		if (!d)
			return -errno;
		while ((e = readdir(d)))
			found |= !strcmp(e->d_name, want);
		closedir(d);
		return found ? 0 : -ENOENT;
	}
	fd = ropen(c, dfd, p, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	while ((n = R6(SYS_getdents64, fd, buf, sizeof(buf), 0, 0, 0)) > 0) {
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *e = (void *)(buf + off);
			found |= !strcmp(e->name, want);
			off += e->reclen;
		}
	}
	if (n < 0)
		return n;
	return found ? 0 : -ENOENT;
}
/* the hidden tree's own entries (a listing must not happen) */
OP(getdents64_) { return list_has(c, AD, AP, "file"); }
/* the parent of the hidden tree: it must not list T */
OP(getdents64_parent)
{
	char *slash = strrchr(AP, '/');

	/* AP names T: list what holds it */
	if (!slash)
		return list_has(c, AD, ".", "T");
	*slash = 0;
	return list_has(c, AD, *AP ? AP : "/", "T");
}

/* ---------------------------------------------------------------- cases */

enum { K_RO = 1, K_HIDE = 2, K_BOTH = 3 };
#define NOLIBC 0x10		/* no glibc function: raw only */
#define FDOP 0x20		/* the call takes an fd: opened by the form */
#define FDDIR 0x40		/* ... of a folder */
#define NOFOLLOW 0x80		/* an O_PATH fd of the object itself, not of what it points to */
#define OUTSIDE 0x100		/* the second path is outside the tree (O/<t2>) */

struct op {
	const char *call, *var;
	const char *t1, *t2;
	unsigned forms;
	int flags;
	long (*fn)(struct ctx *);
};

#define O_(call, var, t1, t2, forms, flags, fn) { call, var, t1, t2, forms, flags, fn }
#define EMPTY_ (B_(F_EMPTY) | B_(F_EMPTYRD))

static const struct op ops[] = {
	/* opening for writing */
#define OPEN_SET(tag, var, t, fl, more) \
	O_("open", var, t, NULL, M_PATH | (more), K_BOTH | (fl), open_##tag), \
	O_("openat", var, t, NULL, M_AT | (more), K_BOTH | (fl), openat_##tag), \
	O_("openat2", var, t, NULL, M_AT | M_RESOLVE | (more), K_BOTH | NOLIBC | (fl), openat2_##tag)
	OPEN_SET(wronly, "WRONLY-file", "file", 0, B_(F_PROCFD)),
	OPEN_SET(rdwr, "RDWR-file", "file", 0, B_(F_PROCFD)),
	OPEN_SET(trunc, "RDONLY|TRUNC-file", "file", 0, B_(F_PROCFD)),
	OPEN_SET(append, "WRONLY|APPEND-file", "file", 0, B_(F_PROCFD)),
	OPEN_SET(rdappend, "RDONLY|APPEND-file", "file", 0, 0),
	OPEN_SET(creat, "WRONLY|CREAT-new", "new", 0, 0),
	OPEN_SET(creatrd, "RDONLY|CREAT-new", "new", 0, 0),
	OPEN_SET(excl, "CREAT|EXCL-new", "new", 0, 0),
	OPEN_SET(excl, "CREAT|EXCL-file", "file", 0, 0),
	OPEN_SET(tmpfile, "TMPFILE-dir", "dir", 0, B_(F_PROCFD)),
	OPEN_SET(wronly, "WRONLY-link", "link", 0, 0),
	O_("creat", "file", "file", NULL, M_PATHF, K_BOTH, creat_),
	O_("creat", "new", "new", NULL, M_PATH, K_BOTH, creat_),
	O_("open_by_handle_at", "WRONLY-file", "file", NULL, M_ATF | B_(F_EMPTY), K_BOTH, obh_wronly),
	/* creating names */
	O_("mkdir", "new", "new", NULL, M_PATH, K_BOTH, mkdir_),
	O_("mkdir", "file", "file", NULL, M_PATH, K_BOTH, mkdir_),
	O_("mkdirat", "new", "new", NULL, M_AT, K_BOTH, mkdirat_),
	O_("mknod", "fifo-new", "new", NULL, M_PATH, K_BOTH, mknod_),
	O_("mknod", "reg-new", "new", NULL, M_PATH, K_BOTH, mknodreg_),
	O_("mknodat", "fifo-new", "new", NULL, M_AT, K_BOTH, mknodat_),
	O_("symlink", "new", "new", NULL, M_PATH, K_BOTH, symlink_),
	O_("symlinkat", "new", "new", NULL, M_AT, K_BOTH, symlinkat_),
	O_("link", "file-new", "file", "new", M_PATH, K_BOTH, link_),
	O_("link", "out-new", "new", "x", M_PATH, K_BOTH | OUTSIDE, link_in),
	O_("link", "file-out", "file", "hl", M_PATH, K_BOTH | OUTSIDE, link_),
	O_("linkat", "file-new", "file", "new", M_AT | EMPTY_, K_BOTH, linkat_),
	O_("linkat", "FOLLOW-link-new", "link", "new", M_AT, K_BOTH, linkat_follow),
	/* removing names */
	O_("unlink", "file", "file", NULL, M_PATH, K_BOTH, unlink_),
	O_("unlink", "link", "link", NULL, M_PATH, K_BOTH, unlink_),
	O_("unlinkat", "file", "file", NULL, M_AT, K_BOTH, unlinkat_),
	O_("unlinkat", "REMOVEDIR-empty", "empty", NULL, M_AT, K_BOTH, unlinkat_dir),
	O_("rmdir", "empty", "empty", NULL, M_PATH, K_BOTH, rmdir_),
	O_("rmdir", "tree", "", NULL, B_(F_ABS), K_BOTH, rmdir_),
	/* renaming */
	O_("rename", "file-new", "file", "new", M_PATH, K_BOTH, rename_),
	O_("rename", "file-out", "file", "y", M_PATH, K_BOTH | OUTSIDE, rename_),
	O_("rename", "out-new", "new", "x", M_PATH, K_BOTH | OUTSIDE, rename_in),
	O_("rename", "tree-out", "", "z", B_(F_ABS), K_BOTH | OUTSIDE, rename_),
	O_("renameat", "file-new", "file", "new", M_AT, K_BOTH, renameat_),
	O_("renameat2", "file-new", "file", "new", M_AT, K_BOTH, renameat2_plain),
	O_("renameat2", "NOREPLACE-file-new", "file", "new", M_AT, K_BOTH, renameat2_noreplace),
	O_("renameat2", "EXCHANGE-file-dir", "file", "dir", M_AT, K_BOTH, renameat2_exchange),
	O_("renameat2", "EXCHANGE-file-out", "file", "x", M_AT, K_BOTH | OUTSIDE, renameat2_exchange),
	/* data */
	O_("truncate", "file", "file", NULL, M_PATHF, K_BOTH, truncate_),
	O_("ftruncate", "file", "file", NULL, M_FD, K_BOTH | FDOP, ftruncate_),
	O_("fallocate", "file", "file", NULL, M_FD, K_BOTH | FDOP, fallocate_),
	/* metadata */
	O_("chmod", "file", "file", NULL, M_PATHF, K_BOTH, chmod_),
	O_("chmod", "tree", "", NULL, B_(F_ABS) | B_(F_PROCFD), K_BOTH, chmod_),
	O_("fchmod", "file", "file", NULL, M_FD, K_BOTH | FDOP, fchmod_),
	O_("fchmod", "dir", "dir", NULL, M_FD, K_BOTH | FDOP | FDDIR, fchmod_),
	O_("fchmodat", "file", "file", NULL, M_ATF, K_BOTH, fchmodat_),
	O_("fchmodat2", "file", "file", NULL, M_ATF | EMPTY_, K_BOTH | NOLIBC, fchmodat2_),
	O_("fchmodat2", "NOFOLLOW-file", "file", NULL, M_AT | EMPTY_, K_BOTH | NOLIBC, fchmodat2_nofollow),
	O_("chown", "file", "file", NULL, M_PATHF, K_BOTH, chown_),
	O_("lchown", "link", "link", NULL, M_PATH, K_BOTH, lchown_),
	O_("fchown", "file", "file", NULL, M_FD, K_BOTH | FDOP, fchown_),
	O_("fchownat", "file", "file", NULL, M_ATF | EMPTY_, K_BOTH, fchownat_),
	O_("fchownat", "NOFOLLOW-link", "link", NULL, M_AT | EMPTY_, K_BOTH | NOFOLLOW, fchownat_nofollow),
	O_("utime", "file", "file", NULL, M_PATHF, K_BOTH, utime_),
	O_("utimes", "file", "file", NULL, M_PATHF, K_BOTH, utimes_),
	O_("futimesat", "file", "file", NULL, M_ATF, K_BOTH, futimesat_),
	O_("utimensat", "file", "file", NULL, M_ATF | EMPTY_, K_BOTH, utimensat_),
	O_("utimensat", "NOFOLLOW-link", "link", NULL, M_AT | EMPTY_, K_BOTH | NOFOLLOW, utimensat_nofollow),
	O_("utimensat", "futimens-file", "file", NULL, M_FD, K_BOTH | FDOP, futimens_),
	O_("setxattr", "file", "file", NULL, M_PATHF, K_BOTH, setxattr_),
	O_("lsetxattr", "file", "file", NULL, M_PATH, K_BOTH, lsetxattr_),
	O_("fsetxattr", "file", "file", NULL, M_FD, K_BOTH | FDOP, fsetxattr_),
	O_("removexattr", "file", "file", NULL, M_PATHF, K_BOTH, removexattr_),
	O_("lremovexattr", "file", "file", NULL, M_PATH, K_BOTH, lremovexattr_),
	O_("fremovexattr", "file", "file", NULL, M_FD, K_BOTH | FDOP, fremovexattr_),
	O_("setxattrat", "file", "file", NULL, M_ATF | EMPTY_, K_BOTH | NOLIBC, setxattrat_),
	O_("removexattrat", "file", "file", NULL, M_ATF | EMPTY_, K_BOTH | NOLIBC, removexattrat_),
	O_("file_setattr", "file", "file", NULL, M_ATF | EMPTY_, K_BOTH | NOLIBC, file_setattr_),
	/* reads: hide only */
	O_("stat", "file", "file", NULL, M_PATHF, K_HIDE, stat_),
	O_("stat", "tree", "", NULL, M_PATH, K_HIDE, stat_),
	O_("lstat", "link", "link", NULL, M_PATH, K_HIDE, lstat_),
	O_("newfstatat", "file", "file", NULL, M_ATF | EMPTY_, K_HIDE, newfstatat_),
	O_("statx", "file", "file", NULL, M_ATF | EMPTY_, K_HIDE, statx_),
	O_("access", "file", "file", NULL, M_PATHF, K_HIDE, access_),
	O_("faccessat", "file", "file", NULL, M_ATF, K_HIDE, faccessat_),
	O_("faccessat2", "file", "file", NULL, M_ATF | EMPTY_, K_HIDE | NOLIBC, faccessat2_),
	O_("open", "RDONLY-file", "file", NULL, M_PATHF, K_HIDE, open_rdonly),
	O_("openat", "RDONLY-file", "file", NULL, M_ATF, K_HIDE, openat_rdonly),
	O_("openat2", "RDONLY-file", "file", NULL, M_ATF | M_RESOLVE, K_HIDE | NOLIBC, openat2_rdonly),
	O_("open_by_handle_at", "RDONLY-file", "file", NULL, M_ATF | B_(F_EMPTY), K_HIDE, obh_rdonly),
	O_("readlink", "link", "link", NULL, M_PATH, K_HIDE, readlink_),
	O_("readlinkat", "link", "link", NULL, M_AT | EMPTY_, K_HIDE | NOFOLLOW, readlinkat_),
	O_("getxattr", "file", "file", NULL, M_PATHF, K_HIDE, getxattr_),
	O_("lgetxattr", "file", "file", NULL, M_PATH, K_HIDE, lgetxattr_),
	O_("listxattr", "file", "file", NULL, M_PATHF, K_HIDE, listxattr_),
	O_("llistxattr", "file", "file", NULL, M_PATH, K_HIDE, llistxattr_),
	O_("getxattrat", "file", "file", NULL, M_ATF | EMPTY_, K_HIDE | NOLIBC, getxattrat_),
	O_("listxattrat", "file", "file", NULL, M_ATF | EMPTY_, K_HIDE | NOLIBC, listxattrat_),
	O_("getdents64", "tree", "", NULL, M_AT | B_(F_PROCFD), K_HIDE, getdents64_),
	O_("getdents64", "dir", "dir", NULL, M_ATF, K_HIDE, getdents64_),
	O_("getdents64", "parent-lists-no-T", "", NULL, B_(F_ABS) | B_(F_RENAMED) | B_(F_CWD) | B_(F_PROCDIR), K_HIDE, getdents64_parent),
	O_("execve", "exe", "exe", NULL, M_PATHF, K_HIDE, execve_),
	O_("execveat", "exe", "exe", NULL, M_ATF | EMPTY_, K_HIDE, execveat_),
	O_("chdir", "dir", "dir", NULL, M_PATHF, K_HIDE, chdir_),
	O_("chdir", "tree", "", NULL, M_PATH, K_HIDE, chdir_),
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static void case_id(char *out, size_t n, const struct op *o, int form, int raw)
{
	snprintf(out, n, "%s:%s@%s/%s", o->call, o->var, form_names[form], raw ? "raw" : "libc");
}

static int applies(const struct op *o, int form)
{
	if (form == F_EMPTYRD && (o->flags & (FDOP | NOFOLLOW)))
		return 0;	/* the fd of an fd call is its O_RDONLY form; a symlink cannot be opened */
	return (o->forms & B_(form)) != 0;
}

/* ---------------------------------------------------------------- the tree (native parent) */

static int mounted;

static void sh_ok(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fsprops: %s: %s\n", what, strerror(errno));
		exit(2);
	}
}

static const char *bp(const char *rel)
{
	static char buf[4][4200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", B, rel);
	return buf[i];
}

static void put(const char *rel, const char *text, int mode)
{
	int fd = open(bp(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

	sh_ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && close(fd) == 0, rel);
	sh_ok(chmod(bp(rel), mode) == 0, rel);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st; (void)type; (void)f;
	return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

static void rm_rf(const char *p)
{
	struct stat st;

	if (lstat(p, &st) == 0)
		sh_ok(nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, p);
}

static void do_mount(void)
{
	const char *t = bp("P/T");

	sh_ok(mount(t, t, NULL, MS_BIND, NULL) == 0, "mount --bind");
	sh_ok(mount(NULL, t, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0, "mount -o remount,bind,ro");
}

static void build(void)
{
	if (mounted) {
		umount2(bp("P/T"), MNT_DETACH);
		umount2(bp("P2/T"), MNT_DETACH);
	}
	rm_rf(bp("P"));
	rm_rf(bp("P2"));
	rm_rf(bp("O"));
	sh_ok(mkdir(bp("P"), 0755) == 0 && mkdir(bp("P/T"), 0755) == 0 && mkdir(bp("P/T/dir"), 0755) == 0 &&
	      mkdir(bp("P/T/empty"), 0755) == 0 && mkdir(bp("O"), 0755) == 0, "mkdir");
	put("P/T/file", "hello\n", 0644);
	put("P/T/dir/inner", "inner\n", 0644);
	put("P/T/exe", "#!/bin/sh\nexit 42\n", 0755);
	put("O/x", "x\n", 0644);
	sh_ok(symlink("file", bp("P/T/link")) == 0 && symlink(bp("P/T"), bp("O/lt")) == 0, "symlink");
	sh_ok(setxattr(bp("P/T/file"), "user.a", "1", 1, 0) == 0, "setxattr user.a (the file system needs user xattrs)");
	if (mounted)
		do_mount();
}

/* snapshot: one line per entry of T and O, sorted */
struct snap { char *s; size_t len, cap; };

static void app(struct snap *sn, const char *text)
{
	size_t n = strlen(text);

	if (sn->len + n + 1 > sn->cap) {
		sn->cap = (sn->len + n + 1) * 2;
		sn->s = realloc(sn->s, sn->cap);
		CHECK(sn->s);
	}
	memcpy(sn->s + sn->len, text, n + 1);
	sn->len += n;
}

static char **lines;
static size_t nlines, caplines;

static void entry(const char *path, const char *rel)
{
	struct stat st;
	char line[16384], names[4096], val[1024], tgt[4096];
	int n;
	ssize_t ln;

	if (lstat(path, &st) != 0) {
		snprintf(line, sizeof(line), "%s MISSING", rel);
	} else {
		n = snprintf(line, sizeof(line), "%s mode=%o uid=%u gid=%u nlink=%lu size=%lld mtime=%lld.%09ld ctime=%lld.%09ld",
			     rel, st.st_mode, st.st_uid, st.st_gid, (unsigned long)st.st_nlink, (long long)st.st_size,
			     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
		if (S_ISLNK(st.st_mode) && (ln = readlink(path, tgt, sizeof(tgt) - 1)) >= 0) {
			tgt[ln] = 0;
			n += snprintf(line + n, sizeof(line) - n, " -> %s", tgt);
		}
		if (S_ISREG(st.st_mode)) {
			int fd = open(path, O_RDONLY | O_NONBLOCK);
			char data[256];
			ssize_t r = fd >= 0 ? read(fd, data, sizeof(data) - 1) : -1;

			if (fd >= 0)
				close(fd);
			data[r > 0 ? r : 0] = 0;
			for (char *p = data; *p; p++)
				if (*p == '\n')
					*p = '|';
			n += snprintf(line + n, sizeof(line) - n, " data=%s", data);
		}
		ln = llistxattr(path, names, sizeof(names));
		for (ssize_t i = 0; i < ln; i += strlen(names + i) + 1) {
			ssize_t v = lgetxattr(path, names + i, val, sizeof(val) - 1);

			val[v > 0 ? v : 0] = 0;
			n += snprintf(line + n, sizeof(line) - n, " %s=%s", names + i, val);
		}
	}
	if (nlines == caplines) {
		caplines = caplines ? caplines * 2 : 64;
		lines = realloc(lines, caplines * sizeof(*lines));
		CHECK(lines);
	}
	lines[nlines++] = strdup(line);
}

static void walk(const char *path, const char *rel)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	entry(path, rel);
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		char p[4200], r[4200];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		snprintf(r, sizeof(r), "%s/%s", rel, e->d_name);
		walk(p, r);
	}
	closedir(d);
}

static int cmpl(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *snapshot(void)
{
	struct snap sn = { 0 };

	nlines = 0;
	walk(bp("P/T"), "T");
	walk(bp("O"), "O");
	qsort(lines, nlines, sizeof(*lines), cmpl);
	app(&sn, "");
	for (size_t i = 0; i < nlines; i++) {
		app(&sn, lines[i]);
		app(&sn, "\n");
		free(lines[i]);
	}
	return sn.s;
}

/* the first line of b that differs from a */
static void first_diff(const char *a, const char *b, char *out, size_t n)
{
	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		if (ea - a != eb - b || memcmp(a, b, ea - a)) {
			snprintf(out, n, "%.*s", (int)(eb - b), b);
			goto clean;
		}
		a = ea + 1;
		b = eb + 1;
	}
	snprintf(out, n, "%s", *b ? b : "(an entry is gone)");
clean:
	for (char *p = out; *p; p++)
		if (*p == ' ' || *p == '\n')
			*p = '_';
	if (strlen(out) > 160)
		out[160] = 0;
}

/* ---------------------------------------------------------------- the child: runs the cases */

static int sock;

static const char *errname(long r)
{
	if (r >= 0 || r < -4095)
		return "OK";
	return strerrorname_np((int)-r) ? strerrorname_np((int)-r) : "E?";
}

static void run_case(const struct op *o, int form, int raw)
{
	struct ctx cx = { .raw = raw, .fd = -1, .top = "P" }, *c = &cx;
	char id[512], reply[512], rn[64] = "", *top = cx.top;
	long r;
	int renamed = 0;

	CHECK(chdir(B) == 0);
	if (form == F_CWD)
		CHECK(chdir(hide_mode ? bp("P") : bp("P/T")) == 0 || hide_mode);
	if (form == F_RENAMED) {
		r = CALL(rename(bp("P"), bp("P2")), R6(SYS_rename, bp("P"), bp("P2"), 0, 0, 0, 0));
		snprintf(rn, sizeof(rn), " rename=%s", errname(r));
		if (r == 0) {
			renamed = 1;
			strcpy(top, "P2");
		}
	}
	r = name_it(c, &c->a, form, o->t1, !(o->flags & NOFOLLOW), top);
	if (r == 0 && o->t2) {
		if (o->flags & OUTSIDE) {
			c->b.dfd = AT_FDCWD;
			snprintf(c->b.path, sizeof(c->b.path), "%s/O/%s", B, o->t2);
		} else {
			int f2 = form == F_EMPTY || form == F_PROCFD ? F_ABS : form;

			r = name_it(c, &c->b, f2, o->t2, 1, top);
		}
	}
	if (r == 0 && (o->flags & FDOP)) {
		int fl = form == F_EMPTY ? O_PATH : O_RDONLY | ((o->flags & FDDIR) ? O_DIRECTORY : 0);

		if (form == F_EMPTY) {
			r = c->a.dfd;	/* name_it opened it O_PATH */
		} else {
			r = ropen(c, c->a.dfd, c->a.path, fl);
		}
		c->fd = (int)r;
	}
	if (r >= 0)
		r = o->fn(c);
	for (int i = 0; i < c->nofd; i++)
		close(c->ofd[i]);
	CHECK(chdir(B) == 0);
	if (renamed)
		CHECK(CALL(rename(bp("P2"), bp("P")), R6(SYS_rename, bp("P2"), bp("P"), 0, 0, 0, 0)) == 0);
	/* ask the native parent whether the tree changed */
	CHECK(write(sock, "S\n", 2) == 2);
	{
		ssize_t n = read(sock, reply, sizeof(reply) - 1);

		CHECK(n > 0);
		reply[n] = 0;
		if (reply[n - 1] == '\n')
			reply[n - 1] = 0;
	}
	case_id(id, sizeof(id), o, form, raw);
	printf("%s %s%s%s%s\n", id, errname(r), rn, strcmp(reply, "same") ? " changed=" : "", strcmp(reply, "same") ? reply : "");
	fflush(stdout);
}

static int selected(const char *sel, const char *id)
{
	size_t n = strlen(id);

	if (!strcmp(sel, "all"))
		return 1;
	for (const char *p = sel; (p = strstr(p, id)); p += n)
		if ((p == sel || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return 0;
}

static int child(const char *sel, const char *impls)
{
	int want_libc = strcmp(impls, "raw") != 0, want_raw = strcmp(impls, "libc") != 0;

	for (size_t i = 0; i < NOPS; i++) {
		const struct op *o = &ops[i];

		if (!(o->flags & (hide_mode ? K_HIDE : K_RO)))
			continue;
		for (int form = 0; form < F_COUNT; form++) {
			if (!applies(o, form))
				continue;
			for (int raw = 0; raw < 2; raw++) {
				char id[512];

				if ((raw && !want_raw) || (!raw && (!want_libc || (o->flags & NOLIBC))))
					continue;
				case_id(id, sizeof(id), o, form, raw);
				if (selected(sel, id))
					run_case(o, form, raw);
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- main */

static int setup_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) != 0)
		return -1;
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "canmount")) {
		char d[] = "/tmp/fsprops-XXXXXX";

		if (!mkdtemp(d) || setup_mount_ns() != 0 || mount(d, d, NULL, MS_BIND, NULL) != 0 ||
		    mount(NULL, d, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
			printf("%s\n", strerror(errno));
			return 3;
		}
		snprintf(B, sizeof(B), "%s/x", d);
		if (mkdir(B, 0755) == 0 || errno != EROFS) {
			printf("a read-only bind mount is writable here\n");
			return 3;
		}
		umount2(d, MNT_DETACH);
		rmdir(d);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "list")) {
		hide_mode = !strcmp(argv[2], "hide");
		for (size_t i = 0; i < NOPS; i++) {
			const struct op *o = &ops[i];

			if (!(o->flags & (hide_mode ? K_HIDE : K_RO)))
				continue;
			for (int form = 0; form < F_COUNT; form++)
				for (int raw = 0; raw < 2; raw++) {
					char id[512];

					if (!applies(o, form) || (!raw && (o->flags & NOLIBC)))
						continue;
					case_id(id, sizeof(id), o, form, raw);
					printf("%s %s %s\n", id, o->call, (o->flags & FDOP) ? "fd" :
					       o->fn == obh_wronly || o->fn == obh_rdonly ? "handle" : "path");
				}
		}
		return 0;
	}
	if (argc >= 6 && !strcmp(argv[1], "child")) {
		/* child ro|hide BASE SEL IMPLS SOCKFD */
		hide_mode = !strcmp(argv[2], "hide");
		snprintf(B, sizeof(B), "%s", argv[3]);
		sock = atoi(argv[6]);
		return child(argv[4], argv[5]);
	}
	if (argc < 6 || strcmp(argv[1], "run") || (strcmp(argv[2], "ro") && strcmp(argv[2], "hide"))) {
		fprintf(stderr, "usage: fsprops list ro|hide | run ro|hide BASE SEL libc|raw|both [mount] | canmount\n");
		return 2;
	}
	hide_mode = !strcmp(argv[2], "hide");
	snprintf(B, sizeof(B), "%s", argv[3]);
	if (argc > 6 && !strcmp(argv[6], "mount")) {
		if (setup_mount_ns() != 0) {
			fprintf(stderr, "fsprops: no mount namespace: %s\n", strerror(errno));
			return 3;
		}
		mounted = 1;
	}
	build();

	int sv[2];
	char fdarg[16], self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);

	CHECK(sl > 0);
	self[sl] = 0;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	fflush(stdout);
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (getenv("FSPROPS_PRELOAD"))
			setenv("LD_PRELOAD", getenv("FSPROPS_PRELOAD"), 1);
		if (getenv("FSPROPS_CONFIG"))
			setenv("VU_CONFIG", getenv("FSPROPS_CONFIG"), 1);
		execl(self, self, "child", argv[2], B, argv[4], argv[5], fdarg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);

	char *base = snapshot(), line[64];
	ssize_t n;
	int st;

	while ((n = read(sv[0], line, sizeof(line))) > 0) {
		char *now = snapshot(), reply[512];

		if (strcmp(now, base)) {
			char d[256];

			first_diff(base, now, d, sizeof(d));
			snprintf(reply, sizeof(reply), "%s\n", d);
			build();
			free(base);
			base = snapshot();
		} else {
			strcpy(reply, "same\n");
		}
		free(now);
		CHECK(write(sv[0], reply, strlen(reply)) == (ssize_t)strlen(reply));
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (mounted) {
		umount2(bp("P/T"), MNT_DETACH);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
