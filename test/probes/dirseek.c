/* dirseek -- readdir a folder, remembering telldir() before each entry;
 * then seekdir() back to each remembered place and print what readdir
 * returns there. Positions are not printed (they differ between runs),
 * only names, so a hidden-entry filter must keep them usable.
 *
 * usage: dirseek DIR */
#include "probe.h"
#include <dirent.h>

int main(int argc, char **argv)
{
	DIR *d = opendir(argc > 1 ? argv[1] : ".");
	long pos[4096];
	char *names[4096];
	struct dirent *e;
	int n = 0;

	CHECK(d);
	for (;;) {
		long p = telldir(d);

		e = readdir(d);
		if (!e || n == 4096)
			break;
		pos[n] = p;
		names[n++] = strdup(e->d_name);
	}
	printf("entries: %d\n", n);
	for (int i = n - 1; i >= 0; i--) {
		seekdir(d, pos[i]);
		e = readdir(d);
		printf("seek %s -> %s\n", names[i], e ? e->d_name : "(end)");
	}
	closedir(d);
	return 0;
}
