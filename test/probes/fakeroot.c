/* fakeroot -- probe for the fakeroot layer: the same operations through
 * libc and through inline syscall instructions (only SUD sees those).
 *
 *   fakeroot ids                       ids by libc and raw, one line each
 *   fakeroot stat PATH                 owner, mode, rdev by every stat call
 *   fakeroot statall PATH              every field of struct stat, by each call
 *   fakeroot {libc|raw}-chown  PATH UID GID   (also -lchown -fchown -fchownat)
 *   fakeroot {libc|raw}-chmod  PATH OCTAL     (also -fchmod -fchmodat)
 *   fakeroot {libc|raw}-mknod  PATH c|b MAJOR MINOR   (also -mknodat)
 *   fakeroot {libc|raw}-unlink PATH           (also -unlinkat)
 *   fakeroot raw-setuid UID            setresuid by a raw call, then raw ids
 *   fakeroot loop PREFIX N M           chown PREFIX(i%M) to i+1:i+2, "done i" after each
 *   fakeroot bench PREFIX N            chown N files, prints ns per chown
 */
#include "probe.h"
#include <fcntl.h>
#include <grp.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define raw4(n, a, b, c, d) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define raw5(n, a, b, c, d, e) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static int ret(long r)
{
	if (r < 0) {
		printf("error %s\n", strerror((int)-r));
		return 1;
	}
	return 0;
}

static int lret(int r)
{
	return ret(r ? -errno : 0);
}

static void show(const char *how, long r, unsigned uid, unsigned gid, unsigned mode,
		 unsigned long rdev)
{
	if (r < 0)
		printf("%s error %s\n", how, strerror((int)-r));
	else
		printf("%s %u:%u %o %u,%u\n", how, uid, gid, mode, major(rdev), minor(rdev));
}

static void show_st(const char *how, long r, const struct stat *st)
{
	show(how, r, st->st_uid, st->st_gid, st->st_mode, st->st_rdev);
}

static void show_sx(const char *how, long r, const struct statx *sx)
{
	show(how, r, sx->stx_uid, sx->stx_gid, sx->stx_mode,
	     makedev(sx->stx_rdev_major, sx->stx_rdev_minor));
}

static int do_stat(const char *path)
{
	struct stat st;
	struct statx sx;
	int fd = open(path, O_PATH | O_NOFOLLOW);
	long r;

	r = stat(path, &st) ? -errno : 0;
	show_st("libc-stat", r, &st);
	r = lstat(path, &st) ? -errno : 0;
	show_st("libc-lstat", r, &st);
	r = fstat(fd, &st) ? -errno : 0;
	show_st("libc-fstat", r, &st);
	r = fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	show_st("libc-fstatat", r, &st);
	r = statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) ? -errno : 0;
	show_sx("libc-statx", r, &sx);
	r = raw3(SYS_stat, path, &st, 0);
	show_st("raw-stat", r, &st);
	r = raw3(SYS_lstat, path, &st, 0);
	show_st("raw-lstat", r, &st);
	r = raw3(SYS_fstat, fd, &st, 0);
	show_st("raw-fstat", r, &st);
	r = raw4(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
	show_st("raw-newfstatat", r, &st);
	r = raw5(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
	show_sx("raw-statx", r, &sx);
	return 0;
}

static void show_all(const char *how, long r, const struct stat *st)
{
	if (r < 0) {
		printf("%s error %s\n", how, strerror((int)-r));
		return;
	}
	printf("%s dev=%lu ino=%lu nlink=%lu mode=%o uid=%u gid=%u rdev=%lu size=%ld "
	       "blksize=%ld blocks=%ld atime=%ld.%09ld mtime=%ld.%09ld ctime=%ld.%09ld\n",
	       how, (unsigned long)st->st_dev, (unsigned long)st->st_ino,
	       (unsigned long)st->st_nlink, st->st_mode, st->st_uid, st->st_gid,
	       (unsigned long)st->st_rdev, (long)st->st_size, (long)st->st_blksize,
	       (long)st->st_blocks, st->st_atim.tv_sec, st->st_atim.tv_nsec,
	       st->st_mtim.tv_sec, st->st_mtim.tv_nsec, st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static int do_statall(const char *path)
{
	struct stat st;
	int fd = open(path, O_PATH | O_NOFOLLOW);

	show_all("libc-stat", stat(path, &st) ? -errno : 0, &st);
	show_all("libc-lstat", lstat(path, &st) ? -errno : 0, &st);
	show_all("libc-fstat", fstat(fd, &st) ? -errno : 0, &st);
	show_all("raw-stat", raw3(SYS_stat, path, &st, 0), &st);
	show_all("raw-fstat", raw3(SYS_fstat, fd, &st, 0), &st);
	show_all("raw-newfstatat", raw4(SYS_newfstatat, AT_FDCWD, path, &st, 0), &st);
	return 0;
}

static int do_ids(void)
{
	unsigned r = 0, e = 0, s = 0, gr = 0, ge = 0, gs = 0, g[64];
	long n;

	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	n = getgroups(64, g);
	printf("libc %u %u %u %u %u:%u:%u %u:%u:%u %ld:%u\n", getuid(), geteuid(), getgid(),
	       getegid(), r, e, s, gr, ge, gs, n, n > 0 ? g[0] : 99);
	raw3(SYS_getresuid, &r, &e, &s);
	raw3(SYS_getresgid, &gr, &ge, &gs);
	n = raw3(SYS_getgroups, 64, g, 0);
	printf("raw %ld %ld %ld %ld %u:%u:%u %u:%u:%u %ld:%u\n", raw3(SYS_getuid, 0, 0, 0),
	       raw3(SYS_geteuid, 0, 0, 0), raw3(SYS_getgid, 0, 0, 0), raw3(SYS_getegid, 0, 0, 0),
	       r, e, s, gr, ge, gs, n, n > 0 ? g[0] : 99);
	return 0;
}

static long chown_by(const char *how, const char *path, unsigned uid, unsigned gid)
{
	int raw = !strncmp(how, "raw-", 4), fd;
	const char *op = how + (raw ? 4 : 5);
	long r;

	if (!strcmp(op, "chown"))
		return raw ? raw3(SYS_chown, path, uid, gid) : chown(path, uid, gid) ? -errno : 0;
	if (!strcmp(op, "lchown"))
		return raw ? raw3(SYS_lchown, path, uid, gid) : lchown(path, uid, gid) ? -errno : 0;
	if (!strcmp(op, "fchownat"))
		return raw ? raw5(SYS_fchownat, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW)
			   : fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	r = raw ? raw3(SYS_fchown, fd, uid, gid) : fchown(fd, uid, gid) ? -errno : 0;
	close(fd);
	return r;
}

static long chmod_by(const char *how, const char *path, unsigned mode)
{
	int raw = !strncmp(how, "raw-", 4), fd;
	const char *op = how + (raw ? 4 : 5);
	long r;

	if (!strcmp(op, "chmod"))
		return raw ? raw3(SYS_chmod, path, mode, 0) : chmod(path, mode) ? -errno : 0;
	if (!strcmp(op, "fchmodat"))
		return raw ? raw3(SYS_fchmodat, AT_FDCWD, path, mode)
			   : fchmodat(AT_FDCWD, path, mode, 0) ? -errno : 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	r = raw ? raw3(SYS_fchmod, fd, mode, 0) : fchmod(fd, mode) ? -errno : 0;
	close(fd);
	return r;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(op, "ids"))
		return do_ids();
	CHECK(argc > 2);
	if (!strcmp(op, "stat"))
		return do_stat(argv[2]);
	if (!strcmp(op, "statall"))
		return do_statall(argv[2]);
	if (strstr(op, "chown")) {
		CHECK(argc == 5);
		return ret(chown_by(op, argv[2], atoi(argv[3]), atoi(argv[4])));
	}
	if (strstr(op, "chmod")) {
		CHECK(argc == 4);
		return ret(chmod_by(op, argv[2], strtoul(argv[3], NULL, 8)));
	}
	if (strstr(op, "mknod")) {
		CHECK(argc == 6);
		unsigned mode = (argv[3][0] == 'c' ? S_IFCHR : S_IFBLK) | 0640;
		dev_t dev = makedev(atoi(argv[4]), atoi(argv[5]));

		if (!strcmp(op, "raw-mknod"))
			return ret(raw3(SYS_mknod, argv[2], mode, dev));
		if (!strcmp(op, "raw-mknodat"))
			return ret(raw4(SYS_mknodat, AT_FDCWD, argv[2], mode, dev));
		if (!strcmp(op, "libc-mknodat"))
			return lret(mknodat(AT_FDCWD, argv[2], mode, dev));
		return lret(mknod(argv[2], mode, dev));
	}
	if (!strcmp(op, "raw-unlink"))
		return ret(raw3(SYS_unlink, argv[2], 0, 0));
	if (!strcmp(op, "raw-unlinkat"))
		return ret(raw3(SYS_unlinkat, AT_FDCWD, argv[2], 0));
	if (!strcmp(op, "libc-unlink"))
		return lret(unlink(argv[2]));
	if (!strcmp(op, "raw-setuid")) {
		unsigned u = atoi(argv[2]);
		long r = raw3(SYS_setresuid, u, u, u);

		printf("setresuid %ld\n", r);
		printf("back to 0: %ld\n", raw3(SYS_setresuid, 0, 0, 0));
		return do_ids();
	}
	if (!strcmp(op, "loop") || !strcmp(op, "bench")) {
		char path[4096];
		int n = atoi(argv[3]), bench = op[0] == 'b';
		int m = argc > 4 ? atoi(argv[4]) : n;
		double t0 = now();

		for (int i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s%d", argv[2], i % m);
			if (chown(path, i + 1, i + 2)) {
				printf("chown %s: %s\n", path, strerror(errno));
				return 1;
			}
			if (!bench)
				printf("done %d\n", i);
		}
		if (bench)
			printf("%.0f ns per chown\n", (now() - t0) / n);
		return 0;
	}
	fprintf(stderr, "unknown op %s\n", op);
	return 2;
}
