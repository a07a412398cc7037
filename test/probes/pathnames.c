/* pathnames -- every way a program asks about a path of several names
 * without following its last one (git status lstat()s each file of a
 * tree, ls -l statx()es each), through glibc and as inline system calls,
 * with writes readonly judges, between steps that change the tree or the
 * working directory.
 *
 * usage: pathnames ROUNDS STEP...
 * A step is a path to ask about, or "@cd:DIR", "@mv:FROM:TO",
 * "@ln:TARGET:NAME", "@rm:NAME" (unlink). Each round runs every step.
 * A line: "<form> <path>: <answer>" ("ok <type> <size>", the first line
 * read, or the error's name). */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>

static const char *err(long e)
{
	static char buf[32];
	const char *s = strerrorname_np((int)e);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "errno %ld", e);
	return buf;
}

static const char *type(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "link" : "other";
}

static void st_line(const char *form, const char *p, long r, const struct stat *st)
{
	if (r)
		printf("%s %s: %s\n", form, p, err(-r));
	else
		printf("%s %s: ok %s %lld\n", form, p, type(st->st_mode),
		       S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
}

static void open_line(const char *form, const char *p, long fd)
{
	char buf[64];
	struct stat st;
	long n;

	if (fd < 0) {
		printf("%s %s: %s\n", form, p, err(-fd));
		return;
	}
	if (fstat((int)fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		printf("%s %s: open %s\n", form, p, type(st.st_mode));
	} else {
		n = read((int)fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("%s %s: read \"%s\"\n", form, p, buf);
	}
	close((int)fd);
}

static long libc_r(int r)
{
	return r < 0 ? -errno : r;
}

static void ask(const char *p)
{
	struct stat st;
	struct statx sx;
	long r;

	st_line("lstat", p, libc_r(lstat(p, &st)), &st);
	st_line("fstatat-nofollow", p, libc_r(fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW)), &st);
	st_line("stat", p, libc_r(stat(p, &st)), &st);
	r = libc_r(statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
	st.st_mode = sx.stx_mode;
	st.st_size = (off_t)sx.stx_size;
	st_line("statx-nofollow", p, r, &st);
	open_line("open-nofollow", p, libc_r(open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
	open_line("open-path-nofollow", p, libc_r(open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC)));
	open_line("open-dir-nofollow", p, libc_r(open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)));
	open_line("open-write-nofollow", p, libc_r(open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)));
	r = libc_r(fchownat(AT_FDCWD, p, (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW));
	printf("fchownat-nofollow %s: %s\n", p, r ? err(-r) : "ok");
	r = libc_r(utimensat(AT_FDCWD, p, (const struct timespec[2]){ { 0, UTIME_OMIT }, { 0, UTIME_NOW } },
			     AT_SYMLINK_NOFOLLOW));
	printf("utimensat-nofollow %s: %s\n", p, r ? err(-r) : "ok");
	st_line("raw-lstat", p, raw6(SYS_lstat, (long)p, (long)&st, 0, 0, 0, 0), &st);
	st_line("raw-newfstatat-nofollow", p, raw6(SYS_newfstatat, AT_FDCWD, (long)p, (long)&st,
						    AT_SYMLINK_NOFOLLOW, 0, 0), &st);
	open_line("raw-openat-nofollow", p, raw6(SYS_openat, AT_FDCWD, (long)p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
						 0, 0, 0));
}

int main(int argc, char **argv)
{
	int rounds = atoi(argv[1]);

	for (int k = 0; k < rounds; k++) {
		for (int i = 2; i < argc; i++) {
			char a[512], *b, *c;

			if (argv[i][0] != '@') {
				ask(argv[i]);
				continue;
			}
			snprintf(a, sizeof(a), "%s", argv[i] + 1);
			b = strchr(a, ':');
			CHECK(b);
			*b++ = 0;
			c = strchr(b, ':');
			if (c)
				*c++ = 0;
			if (!strcmp(a, "cd"))
				CHECK(chdir(b) == 0);
			else if (!strcmp(a, "mv"))
				CHECK(c && rename(b, c) == 0);
			else if (!strcmp(a, "ln"))
				CHECK(c && symlink(b, c) == 0);
			else if (!strcmp(a, "rm"))
				CHECK(unlink(b) == 0);
			else
				CHECK(!"a step");
			printf("step %s\n", argv[i]);
		}
	}
	return 0;
}
