/*
 * instr -- the loop that bench/lib/instr.ts runs under callgrind: N
 * iterations of one operation through libc, nothing timed. The harness
 * runs it with N and 2N iterations and takes the difference, so start-up
 * and exit cancel and what is left is N iterations' instructions.
 *
 * usage: instr OP N [PATH]
 *   OP is one of
 *     open      open(PATH, O_RDONLY) + close (PATH: /etc/passwd)
 *     openw     open(PATH, O_WRONLY) + close (nothing is written)
 *     getppid   getppid()
 *     openvary  open(PATH/n<i % 1000>, O_RDONLY), names that do not
 *               exist: 1,000 texts in turn, more than vu's verdict cache
 *               keeps, so each is a miss
 *     statwalk  fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) of the entries of
 *               the folder PATH in turn, as tar and find walk a tree (a
 *               path relative to a descriptor: never in the verdict cache)
 *     fstat     fstat() of two descriptors open on PATH, in turn (glibc's
 *               fstat is newfstatat(fd, "", AT_EMPTY_PATH))
 *   Prints {"op":..,"n":..,"size":<st_size of the file the open reaches>}
 *   ("size" tells the harness which file was really opened); exits 1 when
 *   a call fails.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "instr: %s failed\n", what);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	const char *path = argc > 3 ? argv[3] : "/etc/passwd";
	long size = -1;
	struct stat st;

	if (!strcmp(op, "open") || !strcmp(op, "openw")) {
		int flags = op[4] == 'w' ? O_WRONLY : O_RDONLY;

		for (long i = 0; i < n; i++) {
			int fd = open(path, flags);

			if (fd < 0)
				die("open");
			close(fd);
		}
		/* once more, outside the loop (the same in a run of N and of
		 * 2N): which file does the open reach? */
		int fd = open(path, flags);

		if (fd < 0 || fstat(fd, &st))
			die("open/fstat");
		size = st.st_size;
		close(fd);
	} else if (!strcmp(op, "openvary")) {
		char buf[4096];
		size_t dl = strlen(path);

		if (dl + 16 > sizeof(buf))
			die("openvary: PATH");
		memcpy(buf, path, dl);
		for (long i = 0; i < n; i++) {
			snprintf(buf + dl, sizeof(buf) - dl, "/n%ld", i % 1000);
			int fd = open(buf, O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
	} else if (!strcmp(op, "statwalk")) {
		static char names[1024][256];
		int d = open(path, O_RDONLY | O_DIRECTORY), k = 0;
		DIR *dir = d < 0 ? NULL : fdopendir(dup(d));
		struct dirent *e;

		if (!dir)
			die("statwalk: PATH");
		while ((e = readdir(dir)) && k < 1024)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				snprintf(names[k++], sizeof(names[0]), "%s", e->d_name);
		closedir(dir);
		if (!k)
			die("statwalk: an empty folder");
		for (long i = 0; i < n; i++)
			if (fstatat(d, names[i % k], &st, AT_SYMLINK_NOFOLLOW))
				die("fstatat");
	} else if (!strcmp(op, "fstat")) {
		int fds[2] = { open(path, O_RDONLY), open(path, O_RDONLY) };

		if (fds[0] < 0 || fds[1] < 0)
			die("fstat: PATH");
		for (long i = 0; i < n; i++)
			if (fstat(fds[i & 1], &st))
				die("fstat");
		size = st.st_size;
	} else if (!strcmp(op, "getppid")) {
		for (long i = 0; i < n; i++)
			if (getppid() < 0)
				die("getppid");
	} else {
		fprintf(stderr, "usage: instr open|openw|openvary|statwalk|fstat|getppid N [PATH]\n");
		return 2;
	}
	printf("{\"op\":\"%s\",\"n\":%ld,\"size\":%ld}\n", op, n, size);
	return 0;
}
