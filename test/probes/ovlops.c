/* ovlops -- a fixed script of file operations on the tree made by the
 * overlay tests, printed as a transcript. `ovlops libc DIR` uses glibc's
 * functions (readdir for listings); `ovlops raw DIR` issues every call as an
 * inline syscall instruction (getdents64 too). The tests run it on a real
 * overlayfs mount and under vu's overlay layer and compare transcripts. */
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

static int raw;
static const char *base;

struct d64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static const char *P(const char *rel)
{
	static char buf[8][4096];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", base, rel);
	return buf[k];
}

static long ret(long r)
{
	return r < 0 ? -errno : r;
}

static long x_open(const char *p, int fl, int mode)
{
	return raw ? raw6(SYS_openat, AT_FDCWD, (long)p, fl, mode, 0, 0) : ret(open(p, fl, mode));
}

static long x_openat(int d, const char *p, int fl)
{
	return raw ? raw6(SYS_openat, d, (long)p, fl, 0, 0, 0) : ret(openat(d, p, fl));
}

static long x_close(long fd)
{
	return raw ? raw3(SYS_close, fd, 0, 0) : ret(close((int)fd));
}

static long x_read(long fd, char *b, size_t n)
{
	return raw ? raw3(SYS_read, fd, b, n) : ret(read((int)fd, b, n));
}

static long x_write(long fd, const char *s)
{
	return raw ? raw3(SYS_write, fd, s, strlen(s)) : ret(write((int)fd, s, strlen(s)));
}

static long x_unlink(const char *p, int fl)
{
	return raw ? raw3(SYS_unlinkat, AT_FDCWD, p, fl) : ret(fl ? rmdir(p) : unlink(p));
}

static long x_mkdir(const char *p)
{
	return raw ? raw3(SYS_mkdirat, AT_FDCWD, p, 0755) : ret(mkdir(p, 0755));
}

static long x_rename(const char *a, const char *b)
{
	return raw ? raw6(SYS_renameat2, AT_FDCWD, (long)a, AT_FDCWD, (long)b, 0, 0)
		   : ret(rename(a, b));
}

static long x_stat(const char *p, struct stat *st, int nofollow)
{
	return raw ? raw6(SYS_newfstatat, AT_FDCWD, (long)p, (long)st,
			  nofollow ? AT_SYMLINK_NOFOLLOW : 0, 0, 0)
		   : ret(nofollow ? lstat(p, st) : stat(p, st));
}

static long x_getdents(long fd, void *buf, size_t n)
{
	return raw ? raw3(SYS_getdents64, fd, buf, n) : ret(getdents64((int)fd, buf, n));
}

static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s -> %s\n", what, strerrorname_np((int)-r));
	else
		printf("%s -> %ld\n", what, r);
}

static void cat(const char *rel)
{
	char buf[256];
	long fd = x_open(P(rel), O_RDONLY, 0), n;

	if (fd < 0) {
		say(rel, fd);
		return;
	}
	n = x_read(fd, buf, sizeof(buf) - 1);
	x_close(fd);
	buf[n < 0 ? 0 : n] = 0;
	printf("cat %s: %s", rel, buf);
	if (n <= 0 || buf[n - 1] != '\n')
		printf("\n");
}

static void st(const char *rel, int nofollow)
{
	struct stat s;
	long r = x_stat(P(rel), &s, nofollow);

	if (r < 0)
		say(rel, r);
	else
		printf("stat %s: mode %o size %ld nlink %s\n", rel, s.st_mode, (long)s.st_size,
		       S_ISDIR(s.st_mode) ? "-" : s.st_nlink == 1 ? "1" : "n");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names of a directory, sorted, with d_type */
static void ls(const char *rel)
{
	char *names[1024], buf[512];
	int n = 0;

	if (!raw) {
		DIR *d = opendir(P(rel));
		struct dirent *e;

		if (!d) {
			say(rel, -errno);
			return;
		}
		errno = 0;
		while ((e = readdir(d)) && n < 1024) {
			snprintf(buf, sizeof(buf), "%s:%d", e->d_name, e->d_type);
			names[n++] = strdup(buf);
		}
		CHECK(errno == 0);
		closedir(d);
	} else {
		char dbuf[1024];
		long fd = x_open(P(rel), O_RDONLY | O_DIRECTORY, 0), k;

		if (fd < 0) {
			say(rel, fd);
			return;
		}
		while ((k = x_getdents(fd, dbuf, sizeof(dbuf))) > 0)
			for (long i = 0; i < k; i += ((struct d64 *)(dbuf + i))->reclen) {
				struct d64 *d = (struct d64 *)(dbuf + i);

				snprintf(buf, sizeof(buf), "%s:%d", d->name, d->type);
				names[n++] = strdup(buf);
			}
		CHECK(k == 0);
		x_close(fd);
	}
	qsort(names, n, sizeof(*names), cmp);
	printf("ls %s:", rel);
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

/* batches: a tiny buffer is EINVAL; a small one gives >= 1 entry per call
 * until the end; d_off of an entry seeks to the one after it */
static void batches(const char *rel)
{
	char buf[4096], name6[256] = "";
	long fd = x_open(P(rel), O_RDONLY | O_DIRECTORY, 0), k, total = 0, calls = 0, off5 = -1;

	say("getdents64 with 8 bytes", x_getdents(fd, buf, 8));
	while ((k = x_getdents(fd, buf, 64)) > 0) {
		calls++;
		for (long i = 0; i < k; i += ((struct d64 *)(buf + i))->reclen, total++) {
			struct d64 *d = (struct d64 *)(buf + i);

			if (total == 4)
				off5 = d->off;
			if (total == 5)
				snprintf(name6, sizeof(name6), "%s", d->name);
		}
	}
	printf("batches %s: %ld entries, one per call: %s, end %ld\n", rel, total,
	       calls == total ? "yes" : "no", k);
	raw ? raw3(SYS_lseek, fd, off5, SEEK_SET) : lseek((int)fd, off5, SEEK_SET);
	k = x_getdents(fd, buf, 64);
	printf("seek to d_off of the 5th: next is the 6th: %s\n",
	       k > 0 && !strcmp(((struct d64 *)buf)->name, name6) ? "yes" : "no");
	x_close(fd);
}

int main(int argc, char **argv)
{
	long fd, dfd;
	char tmp[64];

	if (argc != 3)
		return 2;
	raw = !strcmp(argv[1], "raw");
	base = argv[2];

	st("file", 0);
	cat("file");
	fd = x_open(P("file"), O_WRONLY | O_APPEND, 0);
	say("append to file", x_write(fd, "more\n"));
	x_close(fd);
	cat("file");
	st("file", 0);

	say("unlink gone", x_unlink(P("gone"), 0));
	st("gone", 0);
	say("unlink gone again", x_unlink(P("gone"), 0));
	fd = x_open(P("gone"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	say("create gone O_EXCL", fd < 0 ? fd : 0);
	x_write(fd, "new\n");
	x_close(fd);
	cat("gone");
	say("create gone O_EXCL again", x_open(P("gone"), O_CREAT | O_EXCL | O_WRONLY, 0644));

	say("mkdir dir", x_mkdir(P("dir")));
	say("rmdir dir", x_unlink(P("dir"), AT_REMOVEDIR));
	say("rmdir empty", x_unlink(P("empty"), AT_REMOVEDIR));
	st("empty", 0);
	say("mkdir empty", x_mkdir(P("empty")));
	ls("empty");

	say("unlink dir/x", x_unlink(P("dir/x"), 0));
	say("unlink dir/y", x_unlink(P("dir/y"), 0));
	ls("dir");
	say("unlink dir/sub/z", x_unlink(P("dir/sub/z"), 0));
	say("rmdir dir/sub", x_unlink(P("dir/sub"), AT_REMOVEDIR));
	say("rmdir dir", x_unlink(P("dir"), AT_REMOVEDIR));
	say("mkdir dir", x_mkdir(P("dir")));
	ls("dir");

	say("rename file file2", x_rename(P("file"), P("file2")));
	st("file", 0);
	cat("file2");
	say("rename big big2", x_rename(P("big"), P("big2")));

	if (raw) {
		say("symlink sl", raw3(SYS_symlinkat, "target", AT_FDCWD, P("sl")));
		say("link ro ro2", raw6(SYS_linkat, AT_FDCWD, (long)P("ro"), AT_FDCWD,
					(long)P("ro2"), 0, 0));
	} else {
		say("symlink sl", ret(symlink("target", P("sl"))));
		say("link ro ro2", ret(link(P("ro"), P("ro2"))));
	}
	{
		char t[64] = "";
		long n = raw ? raw6(SYS_readlinkat, AT_FDCWD, (long)P("sl"), (long)t, 63, 0, 0)
			     : ret(readlink(P("sl"), t, 63));

		printf("readlink sl: %ld %s\n", n, n > 0 ? t : "");
	}
	st("ro", 0);
	st("ro2", 0);
	cat("ro2");
	st("link", 1);
	cat("link");

	say("truncate ro", raw ? raw3(SYS_truncate, P("ro"), 1, 0) : ret(truncate(P("ro"), 1)));
	cat("ro2");
	say("chmod ro2", raw ? raw3(SYS_fchmodat, AT_FDCWD, P("ro2"), 0600) : ret(chmod(P("ro2"), 0600)));
	st("ro", 0);

	say("rmdir nothing", x_unlink(P("nothing"), AT_REMOVEDIR));
	say("unlink a directory", x_unlink(P("dir"), 0));
	say("rmdir a file", x_unlink(P("ro"), AT_REMOVEDIR));
	say("open nothing/x", x_open(P("nothing/x"), O_RDONLY, 0));
	say("open ro/x", x_open(P("ro/x"), O_RDONLY, 0));

	dfd = x_open(base, O_RDONLY | O_DIRECTORY, 0);
	fd = x_openat((int)dfd, "file2", O_RDONLY);
	say("openat(dirfd, file2)", fd < 0 ? fd : 0);
	x_close(fd);
	say("mkdirat(dirfd, viafd)", raw ? raw3(SYS_mkdirat, dfd, "viafd", 0700)
					   : ret(mkdirat((int)dfd, "viafd", 0700)));
	st("viafd", 0);
	say("unlinkat(dirfd, viafd)", raw ? raw3(SYS_unlinkat, dfd, "viafd", AT_REMOVEDIR)
					    : ret(unlinkat((int)dfd, "viafd", AT_REMOVEDIR)));
	x_close(dfd);

	/* a new name for a lower file's descriptor (needs CAP_DAC_READ_SEARCH) */
	fd = x_open(P("big/f2"), O_RDONLY, 0);
	say("linkat(fd of big/f2, \"\", f2link, AT_EMPTY_PATH)",
	    raw ? raw6(SYS_linkat, fd, (long)"", AT_FDCWD, (long)P("f2link"), AT_EMPTY_PATH, 0)
		: ret(linkat((int)fd, "", AT_FDCWD, P("f2link"), AT_EMPTY_PATH)));
	x_close(fd);
	fd = x_open(P("f2link"), O_WRONLY | O_APPEND, 0);
	x_write(fd, "via f2link\n");
	x_close(fd);
	cat("big/f2");

	ls(".");
	ls("big");
	batches("big");
	snprintf(tmp, sizeof(tmp), "done");
	printf("%s\n", tmp);
	return 0;
}
