/* internal -- glibc functions that make their system calls internally (no
 * PLT): fopen, opendir/readdir, getpwnam (NSS reads /etc/passwd). */
#include <dirent.h>
#include <pwd.h>
#include "probe.h"

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/etc/passwd";
	char line[4096];
	FILE *f = fopen(path, "r");
	struct passwd *pw;

	if (!f) {
		printf("fopen: %s\n", strerror(errno));
	} else {
		if (fgets(line, sizeof(line), f))
			printf("fopen: %s", line);
		fclose(f);
	}
	pw = getpwnam("daemon");
	printf("getpwnam(daemon): %s\n", pw ? pw->pw_dir : "not found");
	return 0;
}
