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
#define PROBE_ANSWERS
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>

static void ask(const char *p)
{
	struct stat st;
	struct statx sx;
	long r;

	answer_stat("lstat", p, libc_r(lstat(p, &st)), &st);
	answer_stat("fstatat-nofollow", p, libc_r(fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW)), &st);
	answer_stat("stat", p, libc_r(stat(p, &st)), &st);
	r = libc_r(statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
	st.st_mode = sx.stx_mode;
	st.st_size = (off_t)sx.stx_size;
	answer_stat("statx-nofollow", p, r, &st);
	answer_open("open-nofollow", p, libc_r(open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
	answer_open("open-path-nofollow", p, libc_r(open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC)));
	answer_open("open-dir-nofollow", p, libc_r(open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)));
	answer_open("open-write-nofollow", p, libc_r(open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)));
	r = libc_r(fchownat(AT_FDCWD, p, (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW));
	printf("fchownat-nofollow %s: %s\n", p, r ? answer_err(-r) : "ok");
	r = libc_r(utimensat(AT_FDCWD, p, (const struct timespec[2]){ { 0, UTIME_OMIT }, { 0, UTIME_NOW } },
			     AT_SYMLINK_NOFOLLOW));
	printf("utimensat-nofollow %s: %s\n", p, r ? answer_err(-r) : "ok");
	answer_stat("raw-lstat", p, raw6(SYS_lstat, (long)p, (long)&st, 0, 0, 0, 0), &st);
	answer_stat("raw-newfstatat-nofollow", p, raw6(SYS_newfstatat, AT_FDCWD, (long)p, (long)&st,
						    AT_SYMLINK_NOFOLLOW, 0, 0), &st);
	answer_open("raw-openat-nofollow", p, raw6(SYS_openat, AT_FDCWD, (long)p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
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
