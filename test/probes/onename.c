/* onename -- every way a program names one entry of a folder it holds open
 * (what tar, find and rm -r do: fstatat(dirfd, "name", AT_SYMLINK_NOFOLLOW)),
 * through glibc and as inline system calls, followed and not, reads and
 * writes: for each name given, each form's answer on a line.
 *
 * usage: onename ROUNDS FOLDER NAME...
 * A line: "<form> <name>: <answer>", answer "ok <type> <size>", the first
 * line read, the link's text, or the error's name. */
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

/* a stat's answer: r is 0 or -errno */
static void st_line(const char *form, const char *name, long r, const struct stat *st)
{
	if (r)
		printf("%s %s: %s\n", form, name, err(-r));
	else
		printf("%s %s: ok %s %lld\n", form, name, type(st->st_mode),
		       S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
}

/* an open's answer: fd or -errno; the first line, or the type */
static void open_line(const char *form, const char *name, long fd)
{
	char buf[64];
	struct stat st;
	long n;

	if (fd < 0) {
		printf("%s %s: %s\n", form, name, err(-fd));
		return;
	}
	if (fstat((int)fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		printf("%s %s: open %s\n", form, name, type(st.st_mode));
	} else {
		n = read((int)fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("%s %s: read \"%s\"\n", form, name, buf);
	}
	close((int)fd);
}

static long libc_r(int r)
{
	return r < 0 ? -errno : r;
}

int main(int argc, char **argv)
{
	int rounds = atoi(argv[1]);
	int d = open(argv[2], O_RDONLY | O_DIRECTORY);

	CHECK(d >= 0);
	for (int k = 0; k < rounds; k++) {
		for (int i = 3; i < argc; i++) {
			const char *nm = argv[i];
			struct stat st;
			struct statx sx;
			char link[256];
			long r;

			/* through glibc */
			st_line("fstatat-nofollow", nm, libc_r(fstatat(d, nm, &st, AT_SYMLINK_NOFOLLOW)), &st);
			st_line("fstatat", nm, libc_r(fstatat(d, nm, &st, 0)), &st);
			r = libc_r(statx(d, nm, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
			st.st_mode = sx.stx_mode;
			st.st_size = (off_t)sx.stx_size;
			st_line("statx-nofollow", nm, r, &st);
			r = libc_r(faccessat(d, nm, R_OK, AT_SYMLINK_NOFOLLOW));
			printf("faccessat-nofollow %s: %s\n", nm, r ? err(-r) : "ok");
			r = libc_r(faccessat(d, nm, F_OK, 0));
			printf("faccessat %s: %s\n", nm, r ? err(-r) : "ok");
			open_line("openat-nofollow", nm, libc_r(openat(d, nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
			open_line("openat", nm, libc_r(openat(d, nm, O_RDONLY | O_CLOEXEC)));
			open_line("openat-path-nofollow", nm, libc_r(openat(d, nm, O_PATH | O_NOFOLLOW | O_CLOEXEC)));
			open_line("openat-write-nofollow", nm, libc_r(openat(d, nm, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)));
			open_line("openat-dir-nofollow", nm,
				  libc_r(openat(d, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)));
			r = libc_r((int)readlinkat(d, nm, link, sizeof(link) - 1));
			link[r > 0 ? r : 0] = 0;
			printf("readlinkat %s: %s\n", nm, r < 0 ? err(-r) : link);
			/* writes readonly judges by the object: chown to the same
			 * owner, a new modification time */
			r = libc_r(fchownat(d, nm, (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW));
			printf("fchownat-nofollow %s: %s\n", nm, r ? err(-r) : "ok");
			r = libc_r(utimensat(d, nm, (const struct timespec[2]){ { 0, UTIME_OMIT }, { 0, UTIME_NOW } },
					     AT_SYMLINK_NOFOLLOW));
			printf("utimensat-nofollow %s: %s\n", nm, r ? err(-r) : "ok");
			/* inline system calls: the trap's way in "all" mode */
			st_line("raw-newfstatat-nofollow", nm, raw6(SYS_newfstatat, d, (long)nm, (long)&st,
								 AT_SYMLINK_NOFOLLOW, 0, 0), &st);
			st_line("raw-newfstatat", nm, raw6(SYS_newfstatat, d, (long)nm, (long)&st, 0, 0, 0), &st);
			open_line("raw-openat-nofollow", nm, raw6(SYS_openat, d, (long)nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
								 0, 0, 0));
			r = raw6(SYS_faccessat2, d, (long)nm, R_OK, AT_SYMLINK_NOFOLLOW, 0, 0);
			printf("raw-faccessat2-nofollow %s: %s\n", nm, r ? err(-r) : "ok");
		}
	}
	return 0;
}
