/* bindlibc -- the libc side of path views: getcwd in all its shapes
 * (NULL buffer, given size, too small, size 0), get_current_dir_name,
 * realpath, readlink of /proc/self/cwd, fchdir + getcwd, openat with a
 * dirfd and "..". Usage: bindlibc DIR (holding a.txt and sub/). */
#include "probe.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

static void line(const char *what, const char *s)
{
	printf("%s: %s\n", what, s ? s : strerror(errno));
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char buf[PATH_MAX], *p;
	size_t len;
	long n;
	int dfd, fd;
	struct stat a, b;

	if (chdir(dir))
		return 1;
	p = getcwd(NULL, 0);
	line("getcwd(NULL, 0)", p);
	len = p ? strlen(p) : 0;
	free(p);
	p = getcwd(NULL, len + 1);
	line("getcwd(NULL, exact)", p);
	free(p);
	errno = 0;
	p = getcwd(NULL, len);
	line("getcwd(NULL, one short)", p);
	line("getcwd(buf, exact)", getcwd(buf, len + 1));
	line("getcwd(buf, one short)", getcwd(buf, len));
	line("getcwd(buf, 0)", getcwd(buf, 0));
	p = get_current_dir_name();
	line("get_current_dir_name", p);
	free(p);
	line("realpath(.)", realpath(".", buf));
	line("realpath(sub/..)", realpath("sub/..", buf));
	line("realpath(..)", realpath("..", buf));
	n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
	line("readlink(/proc/self/cwd)", n < 0 ? NULL : (buf[n] = 0, buf));
	n = readlink("/proc/self/cwd", buf, 5);
	printf("readlink(/proc/self/cwd, 5): %ld %.5s\n", n, buf);

	dfd = open(".", O_RDONLY | O_DIRECTORY);
	if (chdir("/") || fchdir(dfd))
		return 1;
	line("fchdir + getcwd", getcwd(buf, sizeof(buf)));
	fd = openat(dfd, "sub/../a.txt", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	line("openat(dirfd, sub/../a.txt)", n < 0 ? NULL : (buf[strcspn(buf, "\n")] = 0, buf));
	/* ".." of the directory is the lexical parent of DIR */
	snprintf(buf, sizeof(buf), "%s", dir);
	*strrchr(buf, '/') = 0;
	if (fstatat(dfd, "..", &a, 0) || stat(buf[0] ? buf : "/", &b))
		return 1;
	printf("fstatat(dirfd, ..) is the parent: %s\n",
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "yes" : "no");
	return 0;
}
