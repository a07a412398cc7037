/* write.c -- static-probe: creates each file named; prints "PATH ok" or "PATH ERR errno" */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0) {
			printf("%s ERR %d\n", argv[i], errno);
			continue;
		}
		printf("%s ok\n", argv[i]);
		close(fd);
	}
	return 0;
}
