/* fsops.c -- static-probe: file operations as layers change them, one line
 * each (built static and dynamic by test/runtime/static.test.ts):
 *   stat P | write P TEXT | read P | chown P UID GID | ls DIR | year | mkdir P
 * Several operations in one run: fsops stat /a -- write /b x -- ... */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void op(char **a, int n)
{
	if (n >= 2 && !strcmp(a[0], "stat")) {
		struct stat st;

		if (lstat(a[1], &st))
			printf("stat %s: ERR %d\n", a[1], errno);
		else
			printf("stat %s: uid=%d gid=%d mode=%o size=%ld\n", a[1], (int)st.st_uid, (int)st.st_gid,
			       (unsigned)st.st_mode, (long)st.st_size);
	} else if (n >= 3 && !strcmp(a[0], "write")) {
		int fd = open(a[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || write(fd, a[2], strlen(a[2])) < 0)
			printf("write %s: ERR %d\n", a[1], errno);
		else
			printf("write %s: ok\n", a[1]);
		if (fd >= 0)
			close(fd);
	} else if (n >= 2 && !strcmp(a[0], "read")) {
		char b[256] = { 0 };
		int fd = open(a[1], O_RDONLY);

		if (fd < 0 || read(fd, b, sizeof(b) - 1) < 0)
			printf("read %s: ERR %d\n", a[1], errno);
		else
			printf("read %s: %s\n", a[1], b);
		if (fd >= 0)
			close(fd);
	} else if (n >= 4 && !strcmp(a[0], "chown")) {
		if (lchown(a[1], atoi(a[2]), atoi(a[3])))
			printf("chown %s: ERR %d\n", a[1], errno);
		else
			printf("chown %s: ok\n", a[1]);
	} else if (n >= 2 && !strcmp(a[0], "mkdir")) {
		if (mkdir(a[1], 0755))
			printf("mkdir %s: ERR %d\n", a[1], errno);
		else
			printf("mkdir %s: ok\n", a[1]);
	} else if (n >= 2 && !strcmp(a[0], "ls")) {
		DIR *d = opendir(a[1]);
		char *names[256];
		int k = 0;
		struct dirent *e;

		if (!d) {
			printf("ls %s: ERR %d\n", a[1], errno);
			return;
		}
		while ((e = readdir(d)) && k < 256)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				names[k++] = strdup(e->d_name);
		closedir(d);
		qsort(names, k, sizeof(names[0]), cmp);
		printf("ls %s:", a[1]);
		for (int i = 0; i < k; i++)
			printf(" %s", names[i]);
		printf("\n");
	} else if (n >= 1 && !strcmp(a[0], "year")) {
		time_t t = time(NULL);
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		printf("year: time %d, clock_gettime %d\n", gmtime(&t)->tm_year + 1900,
		       gmtime(&ts.tv_sec)->tm_year + 1900);
	} else {
		printf("?\n");
	}
}

int main(int argc, char **argv)
{
	int i = 1;

	while (i < argc) {
		int j = i;

		while (j < argc && strcmp(argv[j], "--"))
			j++;
		op(argv + i, j - i);
		i = j + 1;
	}
	return 0;
}
