/* tempfile -- glibc's temporary files: the mkstemp family, mkdtemp,
 * mktemp, tempnam, tmpnam(_r) and tmpfile(64). Each result is printed
 * with the random letters checked ([a-zA-Z0-9]{6}) and shown as "??????",
 * DIR for the directory, the kind and mode of what was made, the open
 * flags that matter and the errno of a refusal; the files are left in DIR
 * for the test to list. Usage: tempfile DIR */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>

static const char *dir;
static size_t dlen;

/* tmpl's random letters (6 before suffixlen) are [a-zA-Z0-9]: show them
 * as ??????, and DIR for dir */
static const char *shape(const char *tmpl, size_t suffixlen)
{
	static char out[4200];
	size_t len = strlen(tmpl), at;
	char buf[4200];
	int good = len >= 6 + suffixlen;

	snprintf(buf, sizeof(buf), "%s", tmpl);
	if (good) {
		at = len - 6 - suffixlen;
		for (size_t i = 0; i < 6; i++) {
			char ch = buf[at + i];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
				good = 0;
			buf[at + i] = '?';
		}
	}
	if (!good)
		snprintf(buf, sizeof(buf), "%s (letters?)", tmpl);
	if (!strncmp(buf, dir, dlen))
		snprintf(out, sizeof(out), "DIR%s", buf + dlen);
	else
		snprintf(out, sizeof(out), "%s", buf);
	return out;
}

static const char *kind(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : "other";
}

static void fdline(const char *what, int fd, const char *tmpl, size_t suffixlen)
{
	struct stat st, byname;
	int fl, fdf;

	if (fd < 0) {
		/* EINVAL: the template as it was; else with its letters */
		if (errno == EINVAL && !strncmp(tmpl, dir, dlen))
			printf("%s: -1 %s, template DIR%s\n", what, strerror(errno), tmpl + dlen);
		else
			printf("%s: -1 %s, template %s\n", what, strerror(errno),
			       errno == EINVAL ? tmpl : shape(tmpl, suffixlen));
		return;
	}
	fstat(fd, &st);
	fl = fcntl(fd, F_GETFL);
	fdf = fcntl(fd, F_GETFD);
	printf("%s: %s, %s %04o, %s%s%s%s, by name: %s\n", what, shape(tmpl, suffixlen), kind(st.st_mode),
	       (unsigned)(st.st_mode & 07777), (fl & O_ACCMODE) == O_RDWR ? "rdwr" : "not rdwr",
	       fl & O_APPEND ? " append" : "", (fl & O_SYNC) == O_SYNC ? " sync" : "",
	       fdf & FD_CLOEXEC ? " cloexec" : "",
	       stat(tmpl, &byname) == 0 && byname.st_ino == st.st_ino ? "same" : "different");
	close(fd);
}

#define T(buf, name) snprintf(buf, sizeof(buf), "%s/%s", dir, name)

int main(int argc, char **argv)
{
	char t[4200], *p;
	struct stat st;
	FILE *f;
	int fd;

	dir = argc > 1 ? argv[1] : ".";
	dlen = strlen(dir);
	umask(022);
	unsetenv("TMPDIR");

	T(t, "stemp.XXXXXX");
	fdline("mkstemp", mkstemp(t), t, 0);
	T(t, "stemp64.XXXXXX");
	fdline("mkstemp64", mkstemp64(t), t, 0);
	T(t, "ostemp.XXXXXX");
	fdline("mkostemp(O_APPEND|O_CLOEXEC)", mkostemp(t, O_APPEND | O_CLOEXEC), t, 0);
	T(t, "ostemp64.XXXXXX");
	fdline("mkostemp64(O_SYNC|O_WRONLY)", mkostemp64(t, O_SYNC | O_WRONLY), t, 0);
	T(t, "stemps.XXXXXX.suf");
	fdline("mkstemps(4)", mkstemps(t, 4), t, 4);
	T(t, "stemps64.XXXXXXXX.c");
	fdline("mkstemps64(2)", mkstemps64(t, 2), t, 2);
	T(t, "ostemps.XXXXXX-x");
	fdline("mkostemps(2, O_CLOEXEC)", mkostemps(t, 2, O_CLOEXEC), t, 2);
	T(t, "ostemps64.XXXXXX");
	fdline("mkostemps64(0, O_APPEND)", mkostemps64(t, 0, O_APPEND), t, 0);

	/* bad templates: EINVAL, the template as it was */
	T(t, "bad.XXXXX");
	fdline("mkstemp(5 X)", mkstemp(t), t, 0);
	T(t, "bad.XXXXXX.suf");
	fdline("mkstemp(suffix)", mkstemp(t), t, 0);
	T(t, "bad.XXXXXX.suf");
	fdline("mkstemps(-1)", mkstemps(t, -1), t, 0);
	T(t, "bad.XXXXXX.suf");
	fdline("mkstemps(3)", mkstemps(t, 3), t, 0);
	snprintf(t, sizeof(t), "XXXXX");
	fdline("mkostemp(short)", mkostemp(t, 0), t, 0);
	T(t, "missing/stemp.XXXXXX");
	fdline("mkstemp(missing dir)", mkstemp(t), t, 0);

	T(t, "dtemp.XXXXXX");
	p = mkdtemp(t);
	if (p && stat(p, &st) == 0)
		printf("mkdtemp: %s, %s %04o\n", shape(p, 0), kind(st.st_mode), (unsigned)(st.st_mode & 07777));
	else
		printf("mkdtemp: %s %s\n", p ? "made, no stat:" : "NULL", strerror(errno));
	T(t, "dtemp.XXXX");
	p = mkdtemp(t);
	printf("mkdtemp(4 X): %s %s, template %s\n", p ? "made" : "NULL", strerror(errno), shape(t, 0));

	T(t, "mtemp.XXXXXX");
	p = mktemp(t);
	printf("mktemp: %s, exists: %s\n", p[0] ? shape(p, 0) : "\"\"", lstat(t, &st) == 0 ? "yes" : "no");
	T(t, "mtemp.XXX");
	errno = 0;
	p = mktemp(t);
	printf("mktemp(3 X): \"%s\" %s\n", p, strerror(errno));

	p = tempnam(dir, "pfxlong");
	printf("tempnam(DIR, pfxlong): %s\n", p ? shape(p, 0) : strerror(errno));
	free(p);
	snprintf(t, sizeof(t), "%s/missing", dir);
	p = tempnam(t, NULL);
	printf("tempnam(DIR/missing, NULL): %s\n", p ? shape(p, 0) : strerror(errno));
	free(p);
	p = tmpnam(NULL);
	printf("tmpnam(NULL): %s\n", p ? shape(p, 0) : strerror(errno));
	p = tmpnam_r(t);
	printf("tmpnam_r: %s\n", p == t ? shape(p, 0) : strerror(errno));

	f = tmpfile();
	if (f) {
		fd = fileno(f);
		fstat(fd, &st);
		fputs("hello", f);
		rewind(f);
		fgets(t, sizeof(t), f);
		printf("tmpfile: %s %04o, links %lu, read back %s\n", kind(st.st_mode),
		       (unsigned)(st.st_mode & 07777), (unsigned long)st.st_nlink, t);
		fclose(f);
	} else
		printf("tmpfile: NULL %s\n", strerror(errno));
	f = tmpfile64();
	printf("tmpfile64: %s\n", f ? "ok" : strerror(errno));
	if (f)
		fclose(f);
	return 0;
}
