/* exec.c -- static-probe: execv(argv[1], argv + 1); prints "ERR errno" if it fails */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	execv(argv[1], argv + 1);
	printf("ERR %d\n", errno);
	return 1;
}
