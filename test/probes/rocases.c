/* rocases -- every way of changing a tree, tried on it: prints one line per
 * case, "name: OK" or "name: ERRNO". Run on a tree under a real read-only
 * bind mount and under vu's readonly layer, the two lists must match.
 *
 * usage: rocases libc|raw|newer T O
 *   T: the read-only tree, made by the test:
 *      T/file (text), T/dir/inner, T/empty/, T/link -> file,
 *      T/dangling -> nosuch, T/fifo, T/out -> O/made (dangling, outside)
 *   O: a writable folder beside it: O/x (text), O/tolink -> T/file,
 *      O/todangle -> T/newfile
 * libc: the calls through glibc's functions (vu's wrappers or SUD);
 * raw: inline syscall instructions (SUD only);
 * newer: only the calls newer than vu's table (fchmodat2, setxattrat,
 * removexattrat: Linux 6.6 and 6.13), raw. */
#include "probe.h"
#include <fcntl.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <sys/time.h>
#include <utime.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif

struct xattr_args {
	unsigned long long value;
	unsigned int size;
	unsigned int flags;
};

static int raw_mode;
static char T[4096], O[4096];

static const char *t(const char *rel)
{
	static char buf[8][4200];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s%s%s", T, *rel ? "/" : "", rel);
	return buf[i];
}

static const char *o(const char *rel)
{
	static char buf[8][4200];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", O, rel);
	return buf[i];
}

static void show(const char *name, long r)
{
	if (r < 0 && r > -4096)
		printf("%s: %s\n", name, strerrorname_np((int)-r));
	else
		printf("%s: OK\n", name);
	fflush(stdout);
}

/* libc result -> value or -errno; closes returned fds of open cases */
static long lc(long r)
{
	return r == -1 ? -errno : r;
}

static long opened(long r)
{
	if (r >= 0)
		close((int)r);
	return r;
}

#define R6(n, a, b, c, d, e, f) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define CASE(name, libc, raw) show(name, raw_mode ? (long)(raw) : lc((long)(libc)))
#define OPEN(name, path, fl) show(name, opened(raw_mode ? \
	R6(SYS_openat, AT_FDCWD, path, fl, 0644, 0, 0) : lc(open(path, fl, 0644))))

int main(int argc, char **argv)
{
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	struct open_how how = { .flags = O_WRONLY, .mode = 0, .resolve = 0 };
	struct xattr_args xa = { (unsigned long)"v", 1, 0 };
	struct statfs sfs;
	int fd, pfd, dfd;

	if (argc != 4 || (strcmp(argv[1], "libc") && strcmp(argv[1], "raw") && strcmp(argv[1], "newer"))) {
		fprintf(stderr, "usage: rocases libc|raw|newer T O\n");
		return 2;
	}
	raw_mode = strcmp(argv[1], "libc") != 0;
	snprintf(T, sizeof(T), "%s", argv[2]);
	snprintf(O, sizeof(O), "%s", argv[3]);
	fd = open(t("file"), O_RDONLY);
	pfd = open(t("file"), O_PATH);
	dfd = open(T, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0 && pfd >= 0 && dfd >= 0);
	if (!strcmp(argv[1], "newer")) {
		show("fchmodat2 NOFOLLOW file", R6(SYS_fchmodat2, AT_FDCWD, t("file"), 0600, AT_SYMLINK_NOFOLLOW, 0, 0));
		show("setxattrat file", R6(SYS_setxattrat, AT_FDCWD, t("file"), 0, "user.vu", &xa, sizeof(xa)));
		show("removexattrat file", R6(SYS_removexattrat, AT_FDCWD, t("file"), 0, "user.vu", 0, 0));
		return 0;
	}

	/* removing */
	CASE("unlink file", unlink(t("file")), R6(SYS_unlink, t("file"), 0, 0, 0, 0, 0));
	CASE("unlink nosuch", unlink(t("nosuch")), R6(SYS_unlink, t("nosuch"), 0, 0, 0, 0, 0));
	CASE("unlink dir", unlink(t("dir")), R6(SYS_unlink, t("dir"), 0, 0, 0, 0, 0));
	CASE("unlink link", unlink(t("link")), R6(SYS_unlink, t("link"), 0, 0, 0, 0, 0));
	CASE("unlink file/", unlink(t("file/")), R6(SYS_unlink, t("file/"), 0, 0, 0, 0, 0));
	CASE("unlink nosuchdir/x", unlink(t("nosuchdir/x")), R6(SYS_unlink, t("nosuchdir/x"), 0, 0, 0, 0, 0));
	CASE("unlinkat dirfd file", unlinkat(dfd, "file", 0), R6(SYS_unlinkat, dfd, "file", 0, 0, 0, 0));
	CASE("unlinkat dirfd empty REMOVEDIR", unlinkat(dfd, "empty", AT_REMOVEDIR),
	     R6(SYS_unlinkat, dfd, "empty", AT_REMOVEDIR, 0, 0, 0));
	CASE("rmdir empty", rmdir(t("empty")), R6(SYS_rmdir, t("empty"), 0, 0, 0, 0, 0));
	CASE("rmdir dir", rmdir(t("dir")), R6(SYS_rmdir, t("dir"), 0, 0, 0, 0, 0));
	CASE("rmdir nosuch", rmdir(t("nosuch")), R6(SYS_rmdir, t("nosuch"), 0, 0, 0, 0, 0));
	CASE("rmdir file", rmdir(t("file")), R6(SYS_rmdir, t("file"), 0, 0, 0, 0, 0));
	CASE("rmdir dir/.", rmdir(t("dir/.")), R6(SYS_rmdir, t("dir/."), 0, 0, 0, 0, 0));
	CASE("rmdir dir/..", rmdir(t("dir/..")), R6(SYS_rmdir, t("dir/.."), 0, 0, 0, 0, 0));
	CASE("rmdir T", rmdir(T), R6(SYS_rmdir, T, 0, 0, 0, 0, 0));
	CASE("unlink T", unlink(T), R6(SYS_unlink, T, 0, 0, 0, 0, 0));

	/* creating */
	CASE("mkdir new", mkdir(t("new"), 0755), R6(SYS_mkdir, t("new"), 0755, 0, 0, 0, 0));
	CASE("mkdir new/", mkdir(t("new/"), 0755), R6(SYS_mkdir, t("new/"), 0755, 0, 0, 0, 0));
	CASE("mkdir dir", mkdir(t("dir"), 0755), R6(SYS_mkdir, t("dir"), 0755, 0, 0, 0, 0));
	CASE("mkdir file", mkdir(t("file"), 0755), R6(SYS_mkdir, t("file"), 0755, 0, 0, 0, 0));
	CASE("mkdir dangling", mkdir(t("dangling"), 0755), R6(SYS_mkdir, t("dangling"), 0755, 0, 0, 0, 0));
	CASE("mkdir nosuch/new", mkdir(t("nosuch/new"), 0755), R6(SYS_mkdir, t("nosuch/new"), 0755, 0, 0, 0, 0));
	CASE("mkdir T", mkdir(T, 0755), R6(SYS_mkdir, T, 0755, 0, 0, 0, 0));
	CASE("mkdir dir/.", mkdir(t("dir/."), 0755), R6(SYS_mkdir, t("dir/."), 0755, 0, 0, 0, 0));
	CASE("mkdirat dirfd new", mkdirat(dfd, "new", 0755), R6(SYS_mkdirat, dfd, "new", 0755, 0, 0, 0));
	CASE("mknod fifo new", mknod(t("node"), S_IFIFO | 0644, 0), R6(SYS_mknod, t("node"), S_IFIFO | 0644, 0, 0, 0, 0));
	CASE("mknod fifo file", mknod(t("file"), S_IFIFO | 0644, 0), R6(SYS_mknod, t("file"), S_IFIFO | 0644, 0, 0, 0, 0));
	CASE("mknodat dirfd new", mknodat(dfd, "node", S_IFIFO | 0644, 0), R6(SYS_mknodat, dfd, "node", S_IFIFO | 0644, 0, 0, 0));
	CASE("symlink new", symlink("x", t("sl")), R6(SYS_symlink, "x", t("sl"), 0, 0, 0, 0));
	CASE("symlink file", symlink("x", t("file")), R6(SYS_symlink, "x", t("file"), 0, 0, 0, 0));
	CASE("symlinkat dirfd new", symlinkat("x", dfd, "sl"), R6(SYS_symlinkat, "x", dfd, "sl", 0, 0, 0));
	CASE("link file new", link(t("file"), t("hl")), R6(SYS_link, t("file"), t("hl"), 0, 0, 0, 0));
	CASE("link file out", link(t("file"), o("hl")), R6(SYS_link, t("file"), o("hl"), 0, 0, 0, 0));
	CASE("link out new", link(o("x"), t("hl")), R6(SYS_link, o("x"), t("hl"), 0, 0, 0, 0));
	CASE("link out file", link(o("x"), t("file")), R6(SYS_link, o("x"), t("file"), 0, 0, 0, 0));
	CASE("link nosuch new", link(t("nosuch"), t("hl")), R6(SYS_link, t("nosuch"), t("hl"), 0, 0, 0, 0));
	CASE("linkat FOLLOW out-link out", linkat(AT_FDCWD, o("tolink"), AT_FDCWD, o("hl2"), AT_SYMLINK_FOLLOW),
	     R6(SYS_linkat, AT_FDCWD, o("tolink"), AT_FDCWD, o("hl2"), AT_SYMLINK_FOLLOW, 0));

	/* renaming */
	CASE("rename file file2", rename(t("file"), t("file2")), R6(SYS_rename, t("file"), t("file2"), 0, 0, 0, 0));
	CASE("rename nosuch b", rename(t("nosuch"), t("b")), R6(SYS_rename, t("nosuch"), t("b"), 0, 0, 0, 0));
	CASE("rename file out", rename(t("file"), o("y")), R6(SYS_rename, t("file"), o("y"), 0, 0, 0, 0));
	CASE("rename out in", rename(o("x"), t("x")), R6(SYS_rename, o("x"), t("x"), 0, 0, 0, 0));
	CASE("rename T out", rename(T, o("z")), R6(SYS_rename, T, o("z"), 0, 0, 0, 0));
	CASE("renameat2 EXCHANGE file dir", renameat2(AT_FDCWD, t("file"), AT_FDCWD, t("dir"), RENAME_EXCHANGE),
	     R6(SYS_renameat2, AT_FDCWD, t("file"), AT_FDCWD, t("dir"), RENAME_EXCHANGE, 0));
	CASE("renameat dirfd", renameat(dfd, "file", dfd, "f2"), R6(SYS_renameat, dfd, "file", dfd, "f2", 0, 0));

	/* changing an inode by path */
	CASE("chmod file", chmod(t("file"), 0600), R6(SYS_chmod, t("file"), 0600, 0, 0, 0, 0));
	CASE("chmod T", chmod(T, 0700), R6(SYS_chmod, T, 0700, 0, 0, 0, 0));
	CASE("chmod nosuch", chmod(t("nosuch"), 0600), R6(SYS_chmod, t("nosuch"), 0600, 0, 0, 0, 0));
	CASE("chmod out-link", chmod(o("tolink"), 0600), R6(SYS_chmod, o("tolink"), 0600, 0, 0, 0, 0));
	CASE("chmod dangling", chmod(t("dangling"), 0600), R6(SYS_chmod, t("dangling"), 0600, 0, 0, 0, 0));
	CASE("fchmodat dirfd file", fchmodat(dfd, "file", 0600, 0), R6(SYS_fchmodat, dfd, "file", 0600, 0, 0, 0));
	CASE("chown file", chown(t("file"), 0, 0), R6(SYS_chown, t("file"), 0, 0, 0, 0, 0));
	CASE("chown -1 -1 file", chown(t("file"), -1, -1), R6(SYS_chown, t("file"), -1, -1, 0, 0, 0));
	CASE("lchown link", lchown(t("link"), 0, 0), R6(SYS_lchown, t("link"), 0, 0, 0, 0, 0));
	CASE("fchownat dirfd file", fchownat(dfd, "file", 0, 0, 0), R6(SYS_fchownat, dfd, "file", 0, 0, 0, 0));
	CASE("fchownat EMPTY_PATH O_PATH fd", fchownat(pfd, "", 0, 0, AT_EMPTY_PATH),
	     R6(SYS_fchownat, pfd, "", 0, 0, AT_EMPTY_PATH, 0));
	CASE("truncate file", truncate(t("file"), 0), R6(SYS_truncate, t("file"), 0, 0, 0, 0, 0));
	CASE("truncate dir", truncate(t("dir"), 0), R6(SYS_truncate, t("dir"), 0, 0, 0, 0, 0));
	CASE("truncate fifo", truncate(t("fifo"), 0), R6(SYS_truncate, t("fifo"), 0, 0, 0, 0, 0));
	CASE("truncate nosuch", truncate(t("nosuch"), 0), R6(SYS_truncate, t("nosuch"), 0, 0, 0, 0, 0));
	CASE("utimensat file now", utimensat(AT_FDCWD, t("file"), NULL, 0),
	     R6(SYS_utimensat, AT_FDCWD, t("file"), 0, 0, 0, 0));
	CASE("utimensat file OMIT", utimensat(AT_FDCWD, t("file"), omit, 0),
	     R6(SYS_utimensat, AT_FDCWD, t("file"), omit, 0, 0, 0));
	CASE("utimensat link NOFOLLOW", utimensat(AT_FDCWD, t("link"), NULL, AT_SYMLINK_NOFOLLOW),
	     R6(SYS_utimensat, AT_FDCWD, t("link"), 0, AT_SYMLINK_NOFOLLOW, 0, 0));
	CASE("utime file", utime(t("file"), NULL), R6(SYS_utime, t("file"), 0, 0, 0, 0, 0));
	CASE("utimes file", utimes(t("file"), NULL), R6(SYS_utimes, t("file"), 0, 0, 0, 0, 0));
	CASE("setxattr file", setxattr(t("file"), "user.vu", "v", 1, 0),
	     R6(SYS_setxattr, t("file"), "user.vu", "v", 1, 0, 0));
	CASE("lsetxattr link", lsetxattr(t("link"), "user.vu", "v", 1, 0),
	     R6(SYS_lsetxattr, t("link"), "user.vu", "v", 1, 0, 0));
	CASE("removexattr file", removexattr(t("file"), "user.vu"), R6(SYS_removexattr, t("file"), "user.vu", 0, 0, 0, 0));
	CASE("lremovexattr file", lremovexattr(t("file"), "user.vu"), R6(SYS_lremovexattr, t("file"), "user.vu", 0, 0, 0, 0));

	/* changing an inode through a descriptor opened for reading */
	CASE("fchmod fd", fchmod(fd, 0600), R6(SYS_fchmod, fd, 0600, 0, 0, 0, 0));
	CASE("fchmod O_PATH fd", fchmod(pfd, 0600), R6(SYS_fchmod, pfd, 0600, 0, 0, 0, 0));
	CASE("fchmod dirfd", fchmod(dfd, 0700), R6(SYS_fchmod, dfd, 0700, 0, 0, 0, 0));
	CASE("fchown fd", fchown(fd, 0, 0), R6(SYS_fchown, fd, 0, 0, 0, 0, 0));
	CASE("ftruncate fd", ftruncate(fd, 0), R6(SYS_ftruncate, fd, 0, 0, 0, 0, 0));
	CASE("fallocate fd", fallocate(fd, 0, 0, 10), R6(SYS_fallocate, fd, 0, 0, 10, 0, 0));
	CASE("fsetxattr fd", fsetxattr(fd, "user.vu", "v", 1, 0), R6(SYS_fsetxattr, fd, "user.vu", "v", 1, 0, 0));
	CASE("fremovexattr fd", fremovexattr(fd, "user.vu"), R6(SYS_fremovexattr, fd, "user.vu", 0, 0, 0, 0));
	CASE("futimens fd", futimens(fd, NULL), R6(SYS_utimensat, fd, 0, 0, 0, 0, 0));
	CASE("utimensat EMPTY_PATH O_PATH fd", utimensat(pfd, "", NULL, AT_EMPTY_PATH),
	     R6(SYS_utimensat, pfd, "", 0, AT_EMPTY_PATH, 0, 0));
	CASE("write fd", write(fd, "x", 1), R6(SYS_write, fd, "x", 1, 0, 0, 0));

	/* opening */
	OPEN("open RDONLY", t("file"), O_RDONLY);
	OPEN("open WRONLY", t("file"), O_WRONLY);
	OPEN("open RDWR", t("file"), O_RDWR);
	OPEN("open RDONLY|TRUNC", t("file"), O_RDONLY | O_TRUNC);
	OPEN("open RDONLY|APPEND", t("file"), O_RDONLY | O_APPEND);
	OPEN("open WRONLY|APPEND", t("file"), O_WRONLY | O_APPEND);
	OPEN("open CREAT new", t("new"), O_CREAT | O_WRONLY);
	OPEN("open CREAT|RDONLY new", t("new"), O_CREAT | O_RDONLY);
	OPEN("open CREAT|RDONLY file", t("file"), O_CREAT | O_RDONLY);
	OPEN("open CREAT|EXCL file", t("file"), O_CREAT | O_EXCL | O_WRONLY);
	OPEN("open CREAT|EXCL link", t("link"), O_CREAT | O_EXCL | O_WRONLY);
	OPEN("open CREAT|EXCL new", t("new"), O_CREAT | O_EXCL | O_WRONLY);
	OPEN("open CREAT nosuch/new", t("nosuch/new"), O_CREAT | O_WRONLY);
	OPEN("open WRONLY dir", t("dir"), O_WRONLY);
	OPEN("open CREAT dir", t("dir"), O_CREAT | O_RDONLY);
	OPEN("open RDWR fifo", t("fifo"), O_RDWR);
	OPEN("open WRONLY link", t("link"), O_WRONLY);
	OPEN("open WRONLY|NOFOLLOW link", t("link"), O_WRONLY | O_NOFOLLOW);
	OPEN("open CREAT dangling", t("dangling"), O_CREAT | O_WRONLY);
	OPEN("open CREAT out-dangling", t("out"), O_CREAT | O_WRONLY);
	OPEN("open WRONLY out-link", o("tolink"), O_WRONLY);
	OPEN("open CREAT out-todangle", o("todangle"), O_CREAT | O_WRONLY);
	OPEN("open TMPFILE T", T, O_TMPFILE | O_WRONLY);
	OPEN("open TMPFILE O", O, O_TMPFILE | O_WRONLY);
	OPEN("open WRONLY out", o("x"), O_WRONLY);
	OPEN("open PATH|WRONLY file", t("file"), O_PATH | O_WRONLY);
	show("creat file", opened(raw_mode ? R6(SYS_creat, t("file"), 0644, 0, 0, 0, 0) : lc(creat(t("file"), 0644))));
	show("open (legacy) WRONLY", opened(raw_mode ? R6(SYS_open, t("file"), O_WRONLY, 0, 0, 0, 0) : lc(open(t("file"), O_WRONLY))));
	show("openat2 WRONLY", opened(R6(SYS_openat2, AT_FDCWD, t("file"), &how, sizeof(how), 0, 0)));
	how.flags = O_RDONLY;
	show("openat2 RDONLY", opened(R6(SYS_openat2, AT_FDCWD, t("file"), &how, sizeof(how), 0, 0)));

	/* asking */
	CASE("access file W_OK", access(t("file"), W_OK), R6(SYS_access, t("file"), W_OK, 0, 0, 0, 0));
	CASE("access file R_OK", access(t("file"), R_OK), R6(SYS_access, t("file"), R_OK, 0, 0, 0, 0));
	CASE("access fifo W_OK", access(t("fifo"), W_OK), R6(SYS_access, t("fifo"), W_OK, 0, 0, 0, 0));
	CASE("access nosuch W_OK", access(t("nosuch"), W_OK), R6(SYS_access, t("nosuch"), W_OK, 0, 0, 0, 0));
	CASE("faccessat dirfd W_OK", faccessat(dfd, "dir", W_OK, 0), R6(SYS_faccessat2, dfd, "dir", W_OK, 0, 0, 0));
	CASE("access out W_OK", access(o("x"), W_OK), R6(SYS_access, o("x"), W_OK, 0, 0, 0, 0));
	CASE("statfs T", statfs(T, &sfs), R6(SYS_statfs, T, &sfs, 0, 0, 0, 0));
	printf("statfs T ST_RDONLY: %d\n", (int)!!(sfs.f_flags & ST_RDONLY));
	CASE("fstatfs fd", fstatfs(fd, &sfs), R6(SYS_fstatfs, fd, &sfs, 0, 0, 0, 0));
	printf("fstatfs fd ST_RDONLY: %d\n", (int)!!(sfs.f_flags & ST_RDONLY));
	CASE("statfs O", statfs(O, &sfs), R6(SYS_statfs, O, &sfs, 0, 0, 0, 0));
	printf("statfs O ST_RDONLY: %d\n", (int)!!(sfs.f_flags & ST_RDONLY));

	/* outside: these must work */
	CASE("mkdir out", mkdir(o("newdir"), 0755), R6(SYS_mkdir, o("newdir"), 0755, 0, 0, 0, 0));
	CASE("rename out out", rename(o("x"), o("x2")), R6(SYS_rename, o("x"), o("x2"), 0, 0, 0, 0));
	CASE("chmod out", chmod(o("x2"), 0600), R6(SYS_chmod, o("x2"), 0600, 0, 0, 0, 0));
	CASE("unlink out", unlink(o("x2")), R6(SYS_unlink, o("x2"), 0, 0, 0, 0, 0));
	return 0;
}
