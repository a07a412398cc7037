/* ovlfd -- descriptors opened on a lower file before it is copied up:
 * what a read-only fd, a MAP_SHARED mapping and fstat show after another
 * descriptor (in this process, then in a child process) writes the file.
 * `ovlfd DIR` expects DIR/a and DIR/b holding "lower\n". The tests run it on
 * a real overlayfs mount and under vu's overlay layer and compare. */
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void show(const char *what, int fd)
{
	char buf[64];
	long n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n < 0 ? 0 : n] = 0;
	printf("%s: %s", what, buf);
	if (n <= 0 || buf[n - 1] != '\n')
		printf("\n");
}

int main(int argc, char **argv)
{
	char a[4096], b[4096], buf[16];
	struct stat s1, s2;
	int r, w, r2;
	char *m;

	if (argc != 2)
		return 2;
	snprintf(a, sizeof(a), "%s/a", argv[1]);
	snprintf(b, sizeof(b), "%s/b", argv[1]);

	/* in this process */
	r = open(a, O_RDONLY);
	CHECK(r >= 0);
	m = mmap(0, 4096, PROT_READ, MAP_SHARED, r, 0);
	CHECK(m != MAP_FAILED);
	CHECK(read(r, buf, 2) == 2);		/* the offset must survive */
	w = open(a, O_RDWR);
	CHECK(w >= 0);
	CHECK(pwrite(w, "UPPER-A\n", 8, 0) == 8);
	show("ro fd opened before the copy-up", r);
	CHECK(read(r, buf, 3) == 3);
	buf[3] = 0;
	printf("read continues at offset 2: %s\n", buf);
	printf("MAP_SHARED mapping made before: %.6s\n", m);
	fstat(r, &s1);
	fstat(w, &s2);
	printf("fstat size through the ro fd: %ld\n", (long)s1.st_size);
	printf("ro and rw fds on the same inode: %s\n", s1.st_ino == s2.st_ino ? "yes" : "no");
	printf("lseek SEEK_END through the ro fd: %ld\n", (long)lseek(r, 0, SEEK_END));
	r2 = open(a, O_RDONLY);
	show("ro fd opened after", r2);
	CHECK(fchmod(r, 0600) == 0);
	fstat(r, &s1);
	printf("fchmod through the ro fd, mode: %o\n", s1.st_mode & 07777);

	/* another process writes */
	r = open(b, O_RDONLY);
	CHECK(r >= 0);
	show("b before", r);
	if (fork() == 0) {
		int fd = open(b, O_WRONLY | O_TRUNC);

		_exit(fd < 0 || write(fd, "CHILD\n", 6) != 6);
	}
	wait(&w);
	printf("child: %d\n", WEXITSTATUS(w));
	show("b through the parent's ro fd", r);
	if (fork() == 0) {
		show("b through the ro fd inherited by a child", r);
		_exit(0);
	}
	wait(&w);
	return 0;
}
