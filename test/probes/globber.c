/*
 * globber -- glob (or glob64) each pattern and print the matches, so a
 * test can compare what glob sees natively and under vu.
 *
 * usage: globber [-64] [-mark] [-onlydir] [-brace] [-nocheck] [-period] PATTERN...
 *   prints "PATTERN: N" then one match per line, or "PATTERN: nomatch"
 *   (GLOB_NOMATCH) or "PATTERN: error N".
 */
#define _GNU_SOURCE
#include <glob.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int flags = 0, use64 = 0, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-64"))
			use64 = 1;
		else if (!strcmp(argv[i], "-mark"))
			flags |= GLOB_MARK;
		else if (!strcmp(argv[i], "-onlydir"))
			flags |= GLOB_ONLYDIR;
		else if (!strcmp(argv[i], "-brace"))
			flags |= GLOB_BRACE;
		else if (!strcmp(argv[i], "-nocheck"))
			flags |= GLOB_NOCHECK;
		else if (!strcmp(argv[i], "-period"))
			flags |= GLOB_PERIOD;
	}
	for (; i < argc; i++) {
		int r;

		if (use64) {
			glob64_t g;

			r = glob64(argv[i], flags, NULL, &g);
			if (r == 0) {
				printf("%s: %zu\n", argv[i], g.gl_pathc);
				for (size_t k = 0; k < g.gl_pathc; k++)
					printf("%s\n", g.gl_pathv[k]);
				if (g.gl_flags & GLOB_ALTDIRFUNC)
					printf("gl_flags has GLOB_ALTDIRFUNC\n");
				globfree64(&g);
				continue;
			}
		} else {
			glob_t g;

			r = glob(argv[i], flags, NULL, &g);
			if (r == 0) {
				printf("%s: %zu\n", argv[i], g.gl_pathc);
				for (size_t k = 0; k < g.gl_pathc; k++)
					printf("%s\n", g.gl_pathv[k]);
				if (g.gl_flags & GLOB_ALTDIRFUNC)
					printf("gl_flags has GLOB_ALTDIRFUNC\n");
				globfree(&g);
				continue;
			}
		}
		if (r == GLOB_NOMATCH)
			printf("%s: nomatch\n", argv[i]);
		else
			printf("%s: error %d\n", argv[i], r);
	}
	return 0;
}
