/* pathcases -- the calls that take a path, on each path given: prints
 * "call path: OK" or "call path: ERRNO". libc: through glibc's functions;
 * raw: inline syscall instructions. Nothing is created.
 *
 * usage: pathcases libc|raw PATH... */
#include "probe.h"
#include <fcntl.h>
#include <libgen.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static int raw_mode;

static void show(const char *call, const char *path, long r)
{
	if (r < 0 && r > -4096)
		printf("%s %s: %s\n", call, path, strerrorname_np((int)-r));
	else
		printf("%s %s: OK\n", call, path);
}

static long lc(long r)
{
	return r == -1 ? -errno : r;
}

static long closed(long fd)
{
	if (fd >= 0)
		close((int)fd);
	return fd;
}

#define R6(n, a, b, c, d, e, f) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define CASE(call, libc, raw) show(call, p, raw_mode ? (long)(raw) : lc((long)(libc)))

int main(int argc, char **argv)
{
	char buf[4096], dir[4096], base[4096];
	struct stat st;
	struct statx sx;
	int ino = inotify_init1(IN_CLOEXEC);

	if (argc < 2 || (strcmp(argv[1], "libc") && strcmp(argv[1], "raw"))) {
		fprintf(stderr, "usage: pathcases libc|raw PATH...\n");
		return 2;
	}
	raw_mode = !strcmp(argv[1], "raw");
	for (int i = 2; i < argc; i++) {
		const char *p = argv[i];
		char *const args[] = { (char *)p, NULL };
		long dfd;

		snprintf(dir, sizeof(dir), "%s", p);
		snprintf(base, sizeof(base), "%s", p);
		CASE("stat", stat(p, &st), R6(SYS_stat, p, &st, 0, 0, 0, 0));
		CASE("lstat", lstat(p, &st), R6(SYS_lstat, p, &st, 0, 0, 0, 0));
		CASE("fstatat", fstatat(AT_FDCWD, p, &st, 0), R6(SYS_newfstatat, AT_FDCWD, p, &st, 0, 0, 0));
		CASE("statx", statx(AT_FDCWD, p, 0, STATX_BASIC_STATS, &sx),
		     R6(SYS_statx, AT_FDCWD, p, 0, STATX_BASIC_STATS, &sx, 0));
		CASE("access", access(p, F_OK), R6(SYS_access, p, F_OK, 0, 0, 0, 0));
		CASE("faccessat", faccessat(AT_FDCWD, p, R_OK, 0), R6(SYS_faccessat2, AT_FDCWD, p, R_OK, 0, 0, 0));
		CASE("open", closed(lc(open(p, O_RDONLY))), closed(R6(SYS_open, p, O_RDONLY, 0, 0, 0, 0)));
		CASE("openat", closed(lc(openat(AT_FDCWD, p, O_RDONLY))),
		     closed(R6(SYS_openat, AT_FDCWD, p, O_RDONLY, 0, 0, 0)));
		dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
		CASE("openat dirfd", closed(lc(openat((int)dfd, basename(base), O_RDONLY))),
		     closed(R6(SYS_openat, dfd, basename(base), O_RDONLY, 0, 0, 0)));
		if (dfd >= 0)
			close((int)dfd);
		CASE("readlink", readlink(p, buf, sizeof(buf)), R6(SYS_readlink, p, buf, sizeof(buf), 0, 0, 0));
		CASE("getxattr", getxattr(p, "user.x", buf, sizeof(buf)),
		     R6(SYS_getxattr, p, "user.x", buf, sizeof(buf), 0, 0));
		CASE("listxattr", listxattr(p, buf, sizeof(buf)), R6(SYS_listxattr, p, buf, sizeof(buf), 0, 0, 0));
		CASE("truncate", truncate(p, 0), R6(SYS_truncate, p, 0, 0, 0, 0, 0));
		CASE("chmod", chmod(p, 0700), R6(SYS_chmod, p, 0700, 0, 0, 0, 0));
		CASE("unlink", unlink(p), R6(SYS_unlink, p, 0, 0, 0, 0, 0));
		CASE("rmdir", rmdir(p), R6(SYS_rmdir, p, 0, 0, 0, 0, 0));
		CASE("rename from", rename(p, "/nonexistent-vu/x"), R6(SYS_rename, p, "/nonexistent-vu/x", 0, 0, 0, 0));
		CASE("link from", link(p, "/nonexistent-vu/x"), R6(SYS_link, p, "/nonexistent-vu/x", 0, 0, 0, 0));
		CASE("inotify_add_watch", inotify_add_watch(ino, p, IN_ALL_EVENTS),
		     R6(SYS_inotify_add_watch, ino, p, IN_ALL_EVENTS, 0, 0, 0));
		CASE("execve", execve(p, args, NULL), R6(SYS_execve, p, args, 0, 0, 0, 0));
		if (!raw_mode) {
			CASE("chdir", chdir(p), 0);
		} else {
			CASE("chdir", 0, R6(SYS_chdir, p, 0, 0, 0, 0, 0));
		}
		CHECK(chdir("/") == 0);
	}
	return 0;
}
