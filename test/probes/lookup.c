/*
 * lookup -- open each query of a file and say what it reached, so that a
 * test can compare vu's path lookups (remap, hide) with a model of them.
 *
 * usage: lookup QUERIES
 *   QUERIES has one query per line:
 *     PATH            open(PATH, O_RDONLY)
 *     @DIR<TAB>PATH   openat(fd of DIR, PATH, O_RDONLY)
 *     ~DIR<TAB>PATH   chdir(DIR), then open(PATH, O_RDONLY)
 *     %DIR<TAB>PATH   fchdir(fd of DIR), then open(PATH, O_RDONLY)
 *     =OLD<TAB>NEW    rename(OLD, NEW)
 *     >TARGET<TAB>LINK symlink(TARGET, LINK)
 *   and a query that starts with "!" opens for writing (O_WRONLY; nothing
 *   is written). Renames and symlinks print "ok" or "err:" and the errno's
 *   name (between opens they change what a path reaches, in the process
 *   whose verdict cache remembered it).
 *   and prints, per query, one line: "file:" and the first line of what it
 *   read, "dir" (a folder), or "err:" and the errno's name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EACCES: return "EACCES";
	case ELOOP: return "ELOOP";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EROFS: return "EROFS";
	default: return "other";
	}
}

static void report(int fd)
{
	char buf[256];
	ssize_t n;

	if (fd < 0) {
		printf("err:%s\n", ename(errno));
		return;
	}
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
		printf("written\n");
		close(fd);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0 && errno == EISDIR) {
		printf("dir\n");
	} else if (n < 0) {
		printf("err:read-%s\n", ename(errno));
	} else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("file:%s\n", buf);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
	char line[8192];
	char home[4096];

	if (!f || !getcwd(home, sizeof(home))) {
		fprintf(stderr, "usage: lookup QUERIES\n");
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tab;
		int flags = O_RDONLY;

		line[strcspn(line, "\n")] = 0;
		if (line[0] == '!') {
			flags = O_WRONLY;
			memmove(line, line + 1, strlen(line));
		}
		tab = strchr(line, '\t');
		if ((line[0] == '=' || line[0] == '>') && tab) {
			*tab = 0;
			if ((line[0] == '=' ? rename(line + 1, tab + 1) : symlink(line + 1, tab + 1)) == 0)
				printf("ok\n");
			else
				printf("err:%s\n", ename(errno));
			continue;
		}
		if ((line[0] == '@' || line[0] == '~' || line[0] == '%') && tab) {
			*tab = 0;
			if (line[0] == '@') {
				int d = open(line + 1, O_RDONLY | O_DIRECTORY);

				if (d < 0) {
					printf("err:dirfd-%s\n", ename(errno));
					continue;
				}
				report(openat(d, tab + 1, flags));
				close(d);
			} else if (line[0] == '%') {
				int d = open(line + 1, O_RDONLY | O_DIRECTORY);

				if (d < 0 || fchdir(d)) {
					printf("err:fchdir-%s\n", ename(errno));
					continue;
				}
				close(d);
				report(open(tab + 1, flags));
				if (chdir(home))
					return 1;
			} else {
				if (chdir(line + 1)) {
					printf("err:chdir-%s\n", ename(errno));
					continue;
				}
				report(open(tab + 1, flags));
				if (chdir(home))
					return 1;
			}
		} else {
			report(open(line, flags));
		}
	}
	fflush(stdout);
	return 0;
}
