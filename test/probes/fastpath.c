/*
 * fastpath -- libc entry points that glibc builds on internal calls, which
 * vu rebuilds on its own wrappers (runtime/libc/stdio.c, runtime/process/compat.c).
 * Each mode prints what the program sees, so a test compares the output
 * natively and under vu, and counts the traps with VU_STATS.
 *
 *   fastpath fopen DIR     every fopen mode on fresh files in DIR
 *   fastpath fopen-ccs DIR the same with ",ccs=UTF-8" (glibc's own fopen)
 *   fastpath cat PATH      fopen(PATH, "r") and print it
 *   fastpath put PATH MODE fopen(PATH, MODE) and write a line
 *   fastpath exec execveat|fexecve PROG ARGS...
 *   fastpath signal        the signal() family, read back with sigaction
 *   fastpath xstat PATH LINK   the pre-2.33 stat ABI (__xstat & co)
 */
#include "probe.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"	/* siginterrupt */

static void show_file(const char *p)
{
	char buf[64] = "";
	int fd = open(p, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		printf(" file:none");
		return;
	}
	buf[n] = 0;
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = '|';
	printf(" file:\"%s\"", buf);
}

static void one_fopen(const char *dir, int i, const char *mode, int exists, int wide)
{
	char p[4096], buf[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/f%d", dir, i);
	if (exists) {
		int w = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (w < 0 || write(w, "hello\n", 6) != 6 || close(w))
			exit(3);
	}
	errno = 0;
	f = wide ? fopen64(p, mode) : fopen(p, mode);
	printf("%-14s %s", mode, exists ? "old" : "new");
	if (!f) {
		printf(" NULL %s", strerrorname_np(errno));
		show_file(p);
		printf("\n");
		return;
	}
	int fd = fileno(f);
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	long at = ftell(f);

	printf(" acc=%d append=%d cloexec=%d tell=%ld", fl & O_ACCMODE, !!(fl & O_APPEND),
	       !!(fdfl & FD_CLOEXEC), at);
	errno = 0;
	int w = fputs("XY", f), fl1 = fflush(f);
	printf(" write=%s", w >= 0 && fl1 == 0 ? "ok" : strerrorname_np(errno));
	clearerr(f);
	errno = 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	printf(" readnext=%zu", n);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = '|';
	printf(" read0=\"%s\"", buf);
	printf(" close=%d", fclose(f));
	show_file(p);
	printf("\n");
}

static int do_fopen(const char *dir, int wide_streams)
{
	static const char *modes[] = { "r", "r+", "w", "w+", "a", "a+", "rb", "r+b", "wb+",
				       "ab", "wx", "w+x", "re", "we", "ae", "a+e", "rm", "rc",
				       "rbe", "rt", "r+bxe", "z", "", "+r" };
	static const char *ccs[] = { "r,ccs=UTF-8", "w,ccs=UTF-8" };
	const char **list = wide_streams ? ccs : modes;
	size_t len = wide_streams ? 2 : sizeof(modes) / sizeof(*modes);
	int i = 0;

	for (size_t m = 0; m < len; m++) {
		one_fopen(dir, i++, list[m], 1, 0);
		one_fopen(dir, i++, list[m], 0, m & 1);
	}
	return 0;
}

static int do_cat(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		printf("fopen: %s\n", strerrorname_np(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

static int do_put(const char *path, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (!f) {
		printf("fopen: %s\n", strerrorname_np(errno));
		return 1;
	}
	fputs("put\n", f);
	return fclose(f) ? 1 : 0;
}

/* execveat or fexecve of argv[0] with argv, the environment as it is */
static int do_exec(const char *how, char **argv)
{
	extern char **environ;

	if (!strcmp(how, "execveat")) {
		execveat(AT_FDCWD, argv[0], argv, environ, 0);
	} else {
		int fd = open(argv[0], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			printf("open: %s\n", strerrorname_np(errno));
			return 1;
		}
		fexecve(fd, argv, environ);
	}
	printf("%s: %s\n", how, strerrorname_np(errno));
	return 1;
}

static volatile sig_atomic_t got;
static void handler(int sig)
{
	got = sig;
}

static void show_sig(const char *what, int sig)
{
	struct sigaction a;

	if (sigaction(sig, NULL, &a)) {
		printf("%s: sigaction %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: handler=%s flags=%#x self-masked=%d others-masked=%d\n", what,
	       a.sa_handler == handler ? "h" : a.sa_handler == SIG_DFL ? "dfl" :
	       a.sa_handler == SIG_IGN ? "ign" : "?", (unsigned)a.sa_flags & ~0x04000000u,
	       sigismember(&a.sa_mask, sig), sigismember(&a.sa_mask, sig == SIGINT ? SIGTERM : SIGINT));
}

typedef void (*sighandler)(int);

static void try_signal(const char *what, sighandler (*fn)(int, sighandler), int sig, sighandler h)
{
	errno = 0;
	sighandler old = fn(sig, h);

	printf("%s(%d): %s %s\n", what, sig,
	       old == SIG_ERR ? "SIG_ERR" : old == SIG_DFL ? "dfl" : old == SIG_IGN ? "ign" :
	       old == handler ? "h" : "?", old == SIG_ERR ? strerrorname_np(errno) : "");
}

static int do_signal(void)
{
	sighandler (*bsd)(int, sighandler) = dlsym(RTLD_DEFAULT, "bsd_signal");
	sighandler (*sysv)(int, sighandler) = dlsym(RTLD_DEFAULT, "sysv_signal");

	try_signal("signal", signal, SIGUSR1, handler);
	show_sig("signal", SIGUSR1);
	try_signal("signal", signal, SIGUSR1, SIG_IGN);
	try_signal("signal", signal, SIGUSR1, handler);
	raise(SIGUSR1);
	printf("delivered: %d\n", got == SIGUSR1);
	for (int s = -1; s <= 66; s++) {
		if (s == SIGSEGV || s == SIGABRT || s == SIGSYS || s == SIGTRAP || s == SIGBUS)
			continue;	/* keep what a crash or vu needs */
		errno = 0;
		sighandler old = signal(s, SIG_DFL);

		if (old == SIG_ERR)
			printf("signal(%d, SIG_DFL): SIG_ERR %s\n", s, strerrorname_np(errno));
	}
	try_signal("signal", signal, SIGUSR2, SIG_ERR);
	printf("siginterrupt(SIGUSR1, 1) = %d\n", siginterrupt(SIGUSR1, 1));
	show_sig("after siginterrupt 1", SIGUSR1);
	try_signal("signal", signal, SIGUSR1, handler);
	show_sig("signal after siginterrupt 1", SIGUSR1);
	printf("siginterrupt(SIGUSR1, 0) = %d\n", siginterrupt(SIGUSR1, 0));
	try_signal("signal", signal, SIGUSR1, handler);
	show_sig("signal after siginterrupt 0", SIGUSR1);
	for (int s = 0; s <= 65; s += 9) {
		errno = 0;
		int r = siginterrupt(s, 1);

		printf("siginterrupt(%d, 1) = %d %s\n", s, r, r ? strerrorname_np(errno) : "");
	}
	try_signal("bsd_signal", bsd, SIGUSR2, handler);
	show_sig("bsd_signal", SIGUSR2);
	try_signal("sysv_signal", sysv, SIGHUP, handler);
	show_sig("sysv_signal", SIGHUP);
	got = 0;
	raise(SIGHUP);
	printf("sysv delivered: %d\n", got == SIGHUP);
	show_sig("sysv_signal after delivery", SIGHUP);
	try_signal("sysv_signal", sysv, 33, handler);
	return 0;
}

typedef int (*xstat_fn)(int, const char *, struct stat *);
typedef int (*fxstat_fn)(int, int, struct stat *);
typedef int (*fxstatat_fn)(int, int, const char *, struct stat *, int);

static void show_st(const char *what, int v, int r, const struct stat *st)
{
	if (r)
		printf("%s v%d: %d %s\n", what, v, r, strerrorname_np(errno));
	else
		printf("%s v%d: size=%ld mode=%o\n", what, v, (long)st->st_size, st->st_mode);
}

static int do_xstat(const char *path, const char *link)
{
	static const char *names[] = { "__xstat", "__xstat64", "__lxstat", "__lxstat64" };
	int fd = open(path, O_RDONLY);

	for (int i = 0; i < 4; i++) {
		/* vu's (unversioned: what an old binary's __xstat@GLIBC_2.2.5
		 * binds to under vu), else glibc's compat one (natively) */
		xstat_fn fn = dlsym(RTLD_DEFAULT, names[i]);

		if (!fn)
			fn = dlvsym(RTLD_DEFAULT, names[i], "GLIBC_2.2.5");
		for (int v = -1; v < 4; v++) {
			struct stat st;

			errno = 0;
			show_st(names[i], v, fn(v, i < 2 ? path : link, &st), &st);
		}
	}
	fxstat_fn fx = dlsym(RTLD_DEFAULT, "__fxstat");
	fxstatat_fn fxa = dlsym(RTLD_DEFAULT, "__fxstatat");
	xstat_fn xs = dlsym(RTLD_DEFAULT, "__xstat");

	if (!fx)
		fx = dlvsym(RTLD_DEFAULT, "__fxstat", "GLIBC_2.2.5");
	if (!fxa)
		fxa = dlvsym(RTLD_DEFAULT, "__fxstatat", "GLIBC_2.4");
	if (!xs)
		xs = dlvsym(RTLD_DEFAULT, "__xstat", "GLIBC_2.2.5");
	for (int v = -1; v < 4; v++) {
		struct stat st;

		errno = 0;
		show_st("__fxstat", v, fx(v, fd, &st), &st);
		errno = 0;
		show_st("__fxstat bad fd", v, fx(v, 999, &st), &st);
		errno = 0;
		show_st("__fxstatat", v, fxa(v, AT_FDCWD, link, &st, AT_SYMLINK_NOFOLLOW), &st);
		errno = 0;
		show_st("__fxstatat follow", v, fxa(v, AT_FDCWD, link, &st, 0), &st);
	}
	struct stat st;

	errno = 0;
	show_st("__xstat missing", 1, xs(1, "/nonexistent/x", &st), &st);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "fopen"))
		return do_fopen(argv[2], 0);
	if (argc == 3 && !strcmp(argv[1], "fopen-ccs"))
		return do_fopen(argv[2], 1);
	if (argc == 3 && !strcmp(argv[1], "cat"))
		return do_cat(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "put"))
		return do_put(argv[2], argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "exec"))
		return do_exec(argv[2], argv + 3);
	if (argc == 2 && !strcmp(argv[1], "signal"))
		return do_signal();
	if (argc == 4 && !strcmp(argv[1], "xstat"))
		return do_xstat(argv[2], argv[3]);
	fprintf(stderr, "usage: fastpath fopen DIR | cat PATH | put PATH MODE | signal | xstat PATH LINK\n");
	return 2;
}
