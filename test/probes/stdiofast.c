/*
 * stdiofast -- glibc's stream functions, which vu runs with the selector
 * open when no layer wants read, write or lseek (runtime/libc/stdio.c).
 *
 *   stdiofast streams DIR   write, seek and read a file with every stream
 *                           function; print what was read (same natively)
 *   stdiofast cookie        a fopencookie stream whose write callback opens
 *                           /etc/passwd with an inline syscall and prints it
 *                           (its calls must stay under vu)
 */
#include "probe.h"
#include <stdarg.h>

static int vp(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vprintf(fmt, ap);
	va_end(ap);
	return r;
}

static int vfp(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

static int streams(const char *dir)
{
	char path[4200], buf[256], *line = NULL;
	size_t n = 0;
	fpos_t pos;
	FILE *f;

	snprintf(path, sizeof(path), "%.4000s/data", dir);
	f = fopen(path, "w+");
	if (!f)
		return 1;
	fprintf(f, "line %d\n", 1);
	fputs("line 2\n", f);
	fputc('3', f);
	putc('\n', f);
	fwrite("line 4\n", 1, 7, f);
	fputs_unlocked("line 5\n", f);
	fwrite_unlocked("line 6\n", 1, 7, f);
	vfp(f, "line %s\n", "7");
	putc_unlocked('8', f);	/* glibc's inline: __overflow when full */
	putc_unlocked('\n', f);
	for (int i = 0; i < 2000; i++)	/* more than a buffer */
		fprintf(f, "%04d", i);
	fputc('\n', f);
	printf("after writing: ftell %ld, fflush %d\n", ftell(f), fflush(f));
	rewind(f);
	printf("rewind: ftell %ld\n", ftell(f));
	printf("fgets: %s", fgets(buf, sizeof(buf), f));
	printf("fgetc getc: %c%c\n", fgetc(f), getc(f));
	ungetc('X', f);
	printf("after ungetc: %s", fgets_unlocked(buf, sizeof(buf), f));
	fgetpos(f, &pos);
	printf("getline: %zd %s", getline(&line, &n, f), line);
	printf("getdelim: %zd %s\n", getdelim(&line, &n, ' ', f), line);
	fsetpos(f, &pos);
	printf("fsetpos then fread: %zu ", fread(buf, 1, 7, f));
	printf("%.7s", buf);
	fseek(f, -5, SEEK_END);
	printf("fseek end: ftello %lld, fread_unlocked %zu\n", (long long)ftello(f), fread_unlocked(buf, 1, 4, f));
	fseeko(f, 20, SEEK_SET);
	printf("fseeko: getc_unlocked %c\n", getc_unlocked(f));
	printf("fgets at 7 lines: ");
	rewind(f);
	for (int i = 0; i < 8; i++)
		fgets(buf, sizeof(buf), f);
	printf("%s", buf);
	printf("fclose %d\n", fclose(f));
	free(line);
	puts("puts to stdout");
	vp("vprintf %d\n", 42);
	fprintf(stdout, "fprintf stdout %s\n", "ok");
	fprintf(stderr, "to stderr\n");
	printf("feof on a read stream: ");
	f = fopen(path, "r");
	while (fgetc(f) != EOF)
		;
	printf("%d\n", feof(f));
	fclose(f);
	return 0;
}

static ssize_t cookie_write(void *c, const char *buf, size_t len)
{
	char got[4096];
	long n = raw_slurp("/etc/passwd", got, sizeof(got));

	(void)c;
	(void)buf;
	if (n > 0)
		raw3(SYS_write, 1, got, n);
	return (ssize_t)len;
}

static int cookie(void)
{
	cookie_io_functions_t io = { .write = cookie_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (!f)
		return 1;
	fputs("x", f);
	fflush(f);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "streams"))
		return streams(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "cookie"))
		return cookie();
	fprintf(stderr, "usage: stdiofast streams DIR | cookie\n");
	return 2;
}
