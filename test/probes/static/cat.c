/* cat.c -- static-probe: prints argv[0], comm, /proc/self/exe and each file
 * named (or "ERR errno") -- built static and dynamic by test/runtime/static.test.ts */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char b[4096], comm[32] = { 0 }, exe[4096] = { 0 };
	int fd = open("/proc/self/comm", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, comm, sizeof(comm) - 1) > 0)
			comm[strcspn(comm, "\n")] = 0;
		close(fd);
	}
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		strcpy(exe, "?");
	printf("argv0=%s comm=%s exe=%s\n", argv[0], comm, exe);
	for (int i = 1; i < argc; i++) {
		ssize_t n;

		fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("%s: ERR %d\n", argv[i], errno);
			continue;
		}
		while ((n = read(fd, b, sizeof(b))) > 0)
			fwrite(b, 1, n, stdout);
		close(fd);
	}
	return 0;
}
