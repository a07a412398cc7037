/* onename -- every way a program names one entry of a folder it holds open
 * (what tar, find and rm -r do: fstatat(dirfd, "name", AT_SYMLINK_NOFOLLOW)),
 * through glibc and as inline system calls, followed and not, reads and
 * writes: for each name given, each form's answer on a line.
 *
 * usage: onename ROUNDS FOLDER NAME...
 * A line: "<form> <name>: <answer>", answer "ok <type> <size>", the first
 * line read, the link's text, or the error's name. */
#define PROBE_ANSWERS
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>

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
			answer_stat("fstatat-nofollow", nm, libc_r(fstatat(d, nm, &st, AT_SYMLINK_NOFOLLOW)), &st);
			answer_stat("fstatat", nm, libc_r(fstatat(d, nm, &st, 0)), &st);
			r = libc_r(statx(d, nm, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
			st.st_mode = sx.stx_mode;
			st.st_size = (off_t)sx.stx_size;
			answer_stat("statx-nofollow", nm, r, &st);
			r = libc_r(faccessat(d, nm, R_OK, AT_SYMLINK_NOFOLLOW));
			printf("faccessat-nofollow %s: %s\n", nm, r ? answer_err(-r) : "ok");
			r = libc_r(faccessat(d, nm, F_OK, 0));
			printf("faccessat %s: %s\n", nm, r ? answer_err(-r) : "ok");
			answer_open("openat-nofollow", nm, libc_r(openat(d, nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
			answer_open("openat", nm, libc_r(openat(d, nm, O_RDONLY | O_CLOEXEC)));
			answer_open("openat-path-nofollow", nm, libc_r(openat(d, nm, O_PATH | O_NOFOLLOW | O_CLOEXEC)));
			answer_open("openat-write-nofollow", nm, libc_r(openat(d, nm, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)));
			answer_open("openat-dir-nofollow", nm,
				  libc_r(openat(d, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)));
			r = libc_r((int)readlinkat(d, nm, link, sizeof(link) - 1));
			link[r > 0 ? r : 0] = 0;
			printf("readlinkat %s: %s\n", nm, r < 0 ? answer_err(-r) : link);
			/* writes readonly judges by the object: chown to the same
			 * owner, a new modification time */
			r = libc_r(fchownat(d, nm, (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW));
			printf("fchownat-nofollow %s: %s\n", nm, r ? answer_err(-r) : "ok");
			r = libc_r(utimensat(d, nm, (const struct timespec[2]){ { 0, UTIME_OMIT }, { 0, UTIME_NOW } },
					     AT_SYMLINK_NOFOLLOW));
			printf("utimensat-nofollow %s: %s\n", nm, r ? answer_err(-r) : "ok");
			/* inline system calls: the trap's way in "all" mode */
			answer_stat("raw-newfstatat-nofollow", nm, raw6(SYS_newfstatat, d, (long)nm, (long)&st,
								 AT_SYMLINK_NOFOLLOW, 0, 0), &st);
			answer_stat("raw-newfstatat", nm, raw6(SYS_newfstatat, d, (long)nm, (long)&st, 0, 0, 0), &st);
			answer_open("raw-openat-nofollow", nm, raw6(SYS_openat, d, (long)nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
								 0, 0, 0));
			r = raw6(SYS_faccessat2, d, (long)nm, R_OK, AT_SYMLINK_NOFOLLOW, 0, 0);
			printf("raw-faccessat2-nofollow %s: %s\n", nm, r ? answer_err(-r) : "ok");
		}
	}
	return 0;
}
