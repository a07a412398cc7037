/* rawls -- list a folder with inline getdents64 (or the old getdents)
 * system calls and a buffer of the given size; prints the names sorted,
 * then "calls N" and how the listing ended ("end" or the errno).
 *
 * usage: rawls [old] BUFSIZE DIR */
#include "probe.h"
#include <fcntl.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int old = argc > 1 && !strcmp(argv[1], "old");
	size_t size;
	char *buf, *names[100000];
	long fd, n, calls = 0;
	int count = 0;

	if (argc != 3 + old) {
		fprintf(stderr, "usage: rawls [old] BUFSIZE DIR\n");
		return 2;
	}
	size = strtoul(argv[1 + old], NULL, 0);
	buf = malloc(size + 1);
	fd = raw6(SYS_openat, AT_FDCWD, (long)argv[2 + old], O_RDONLY | O_DIRECTORY, 0, 0, 0);
	if (fd < 0) {
		printf("open: %s\n", strerrorname_np((int)-fd));
		return 1;
	}
	while ((n = raw3(old ? SYS_getdents : SYS_getdents64, fd, buf, size)) > 0) {
		calls++;
		for (long o = 0; o < n;) {
			unsigned short rl;
			const char *name = buf + o + (old ? 18 : 19);

			memcpy(&rl, buf + o + 16, 2);
			CHECK(rl > 0 && count < 100000);
			names[count++] = strdup(name);
			o += rl;
		}
	}
	qsort(names, count, sizeof(char *), cmp);
	for (int i = 0; i < count; i++)
		printf("%s\n", names[i]);
	printf("calls>0: %d\n", calls > 0);
	printf("%s\n", n == 0 ? "end" : strerrorname_np((int)-n));
	return 0;
}
