/* bindraw -- path calls made with inline syscall instructions only (no
 * libc wrapper sees them): chdir, getcwd, openat (absolute, relative, with
 * a dirfd, with ".."), readlink of /proc/self/cwd and /proc/self/fd/N,
 * newfstatat of "..", mkdirat and a write, getdents64 of DIR's parent.
 * Usage: bindraw DIR (a directory holding a.txt and sub/f). Prints one
 * line per step, paths as the program sees them. */
#include <fcntl.h>
#include <sys/stat.h>
#include "probe.h"

static void show_file(const char *what, long dirfd, const char *path)
{
	char buf[256];
	long fd = raw6(SYS_openat, dirfd, (long)path, O_RDONLY, 0, 0, 0), n;

	if (fd < 0) {
		printf("%s: %s\n", what, strerror(-fd));
		return;
	}
	n = raw3(SYS_read, fd, buf, sizeof(buf) - 1);
	raw3(SYS_close, fd, 0, 0);
	buf[n < 0 ? 0 : n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%s: %s\n", what, buf);
}

static void show_link(const char *what, const char *path)
{
	char buf[4096];
	long n = raw6(SYS_readlinkat, AT_FDCWD, (long)path, (long)buf, sizeof(buf) - 1, 0, 0);

	printf("%s: %s\n", what, n < 0 ? strerror(-n) : (buf[n] = 0, buf));
}

/* is the directory at (dirfd, path) the same as the one at other? */
static const char *same_dir(long dirfd, const char *path, const char *other)
{
	struct stat a, b;

	if (raw6(SYS_newfstatat, dirfd, (long)path, (long)&a, 0, 0, 0) ||
	    raw6(SYS_newfstatat, AT_FDCWD, (long)other, (long)&b, 0, 0, 0))
		return "stat failed";
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? "same" : "different";
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char buf[4096], parent[4096], link[64];
	long r, dfd, fd;

	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = 0;
	if (!parent[0])
		strcpy(parent, "/");

	r = raw6(SYS_chdir, (long)dir, 0, 0, 0, 0, 0);
	printf("chdir: %ld\n", r);
	r = raw6(SYS_getcwd, (long)buf, sizeof(buf), 0, 0, 0, 0);
	printf("getcwd: %ld %s\n", r, r > 0 ? buf : strerror(-r));
	r = raw6(SYS_getcwd, (long)buf, 4, 0, 0, 0, 0);
	printf("getcwd small: %s\n", r > 0 ? buf : strerror(-r));
	show_link("readlink cwd", "/proc/self/cwd");
	show_file("open relative", AT_FDCWD, "a.txt");
	show_file("open sub", AT_FDCWD, "sub/../sub/f");
	printf("cwd .. is parent: %s\n", same_dir(AT_FDCWD, "..", parent));

	dfd = raw6(SYS_openat, AT_FDCWD, (long)dir, O_RDONLY | O_DIRECTORY, 0, 0, 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", dfd);
	show_link("readlink dirfd", link);
	show_file("openat dirfd", dfd, "sub/f");
	printf("dirfd .. is parent: %s\n", same_dir(dfd, "..", parent));
	printf("dirfd sub/../.. is parent: %s\n", same_dir(dfd, "sub/../..", parent));

	r = raw6(SYS_mkdirat, dfd, (long)"made", 0755, 0, 0, 0);
	printf("mkdirat: %s\n", strerror(-r));
	fd = raw6(SYS_openat, AT_FDCWD, (long)"made/w.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644, 0, 0);
	r = raw3(SYS_write, fd, "written\n", 8);
	printf("write: %ld\n", r);
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
	show_link("readlink written fd", link);
	raw3(SYS_close, fd, 0, 0);
	snprintf(buf, sizeof(buf), "%s/made/w.txt", dir);
	show_file("read back", AT_FDCWD, buf);

	/* the parent's listing names DIR */
	fd = raw6(SYS_openat, AT_FDCWD, (long)parent, O_RDONLY | O_DIRECTORY, 0, 0, 0);
	{
		const char *base = strrchr(dir, '/') + 1;
		int found = 0;
		char d[32768];

		while ((r = raw3(SYS_getdents64, fd, d, sizeof(d))) > 0) {
			for (long o = 0; o < r;) {
				unsigned short len = *(unsigned short *)(d + o + 16);

				if (!strcmp(d + o + 19, base))
					found++;
				o += len;
			}
		}
		printf("parent lists it: %d\n", found);
	}
	return 0;
}
