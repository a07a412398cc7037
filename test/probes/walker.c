/*
 * walker -- walk a tree with ftw, nftw, ftw64 or nftw64 and print every
 * callback, so a test can compare the walk natively and under vu.
 *
 * usage: walker [-ftw|-nftw|-ftw64|-nftw64] [-phys] [-depth] [-chdir] [-mount]
 *               [-action] [-nopenfd N] DIR
 *   one line per callback: the type flag, the path, and for nftw the level
 *   and base; the file type and, for files, the size; with -chdir the name
 *   of the working directory at the callback. With -action
 *   (FTW_ACTIONRETVAL) a folder named "skipme" answers FTW_SKIP_SUBTREE, a
 *   file named "siblings" FTW_SKIP_SIBLINGS and one named "stop" FTW_STOP.
 *   Last: "result R errno E".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int chdir_flag, action;

static const char *tname(int t)
{
	switch (t) {
	case FTW_F: return "F";
	case FTW_D: return "D";
	case FTW_DNR: return "DNR";
	case FTW_NS: return "NS";
	case FTW_SL: return "SL";
	case FTW_DP: return "DP";
	case FTW_SLN: return "SLN";
	}
	return "?";
}

static void line(const char *path, const struct stat *st, int t, const struct FTW *f)
{
	char cwd[4096] = "";
	const char *kind = t == FTW_NS ? "-" : S_ISDIR(st->st_mode) ? "dir" : S_ISLNK(st->st_mode) ? "link" :
			   S_ISREG(st->st_mode) ? "file" : "other";

	if (chdir_flag && getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, "?");
	printf("%s %s", tname(t), path);
	if (f)
		printf(" level=%d base=%d", f->level, f->base);
	printf(" %s", kind);
	if (t != FTW_NS && S_ISREG(st->st_mode))
		printf(" size=%lld", (long long)st->st_size);
	if (chdir_flag)
		printf(" cwd=%s", strrchr(cwd, '/') ? strrchr(cwd, '/') + 1 : cwd);
	printf("\n");
}

static int answer(const char *path, int t)
{
	const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!action)
		return 0;
	if ((t == FTW_D || t == FTW_DP) && !strcmp(b, "skipme"))
		return FTW_SKIP_SUBTREE;
	if (!strcmp(b, "siblings"))
		return FTW_SKIP_SIBLINGS;
	if (!strcmp(b, "stop"))
		return FTW_STOP;
	return FTW_CONTINUE;
}

static int nfn(const char *path, const struct stat *st, int t, struct FTW *f)
{
	line(path, st, t, f);
	return answer(path, t);
}

static int ffn(const char *path, const struct stat *st, int t)
{
	line(path, st, t, NULL);
	return 0;
}

static int nfn64(const char *path, const struct stat64 *st, int t, struct FTW *f)
{
	line(path, (const struct stat *)st, t, f);
	return answer(path, t);
}

static int ffn64(const char *path, const struct stat64 *st, int t)
{
	line(path, (const struct stat *)st, t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *how = "-nftw";
	int flags = 0, nopenfd = 8, i = 1, r;

	for (; i < argc - 1; i++) {
		if (!strcmp(argv[i], "-phys"))
			flags |= FTW_PHYS;
		else if (!strcmp(argv[i], "-depth"))
			flags |= FTW_DEPTH;
		else if (!strcmp(argv[i], "-chdir"))
			flags |= FTW_CHDIR, chdir_flag = 1;
		else if (!strcmp(argv[i], "-mount"))
			flags |= FTW_MOUNT;
		else if (!strcmp(argv[i], "-action"))
			flags |= FTW_ACTIONRETVAL, action = 1;
		else if (!strcmp(argv[i], "-nopenfd") && i + 1 < argc - 1)
			nopenfd = atoi(argv[++i]);
		else
			how = argv[i];
	}
	if (i >= argc) {
		fprintf(stderr, "usage: walker [options] DIR\n");
		return 2;
	}
	errno = 0;
	if (!strcmp(how, "-ftw"))
		r = ftw(argv[i], ffn, nopenfd);
	else if (!strcmp(how, "-ftw64"))
		r = ftw64(argv[i], ffn64, nopenfd);
	else if (!strcmp(how, "-nftw64"))
		r = nftw64(argv[i], nfn64, nopenfd, flags);
	else
		r = nftw(argv[i], nfn, nopenfd, flags);
	printf("result %d errno %d\n", r, r ? errno : 0);
	return 0;
}
