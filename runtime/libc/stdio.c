/*
 * stdio.c -- fopen and fopen64 open through the dispatcher.
 *
 * glibc's fopen makes its openat internally: in "all" mode that trapped
 * once per fopen (ld, as, nss_files...), and in "libc" mode no layer saw
 * it at all, so a remapped, hidden or read-only path was reachable through
 * fopen. Here the mode is read as glibc reads it (first 'r', 'w' or 'a',
 * then up to six of '+', 'x', 'e', 'b', 'm', 'c'), the file is opened with
 * vu's own openat (so the layers decide), and glibc's fdopen makes the
 * FILE around it with vu's selector open, so its fcntl(F_GETFL) does not
 * trap and is not shown by trace (glibc's fopen makes none). For "a",
 * fopen puts the stream at the end, as glibc's does (ftell tells the
 * size); fdopen would leave it at 0.
 *
 * ",ccs=" (a wide stream with a character set) goes to glibc's own fopen
 * as it is: its open traps in "all" mode and is not seen in "libc" mode.
 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

typedef FILE *vu_fdopen_fn(int, const char *);
static vu_fdopen_fn *real_fdopen;

/* the open flags of mode, or -1 (EINVAL) */
static int mode_flags(const char *mode)
{
	int acc, flags;

	switch (mode[0]) {
	case 'r':
		acc = O_RDONLY;
		flags = 0;
		break;
	case 'w':
		acc = O_WRONLY;
		flags = O_CREAT | O_TRUNC;
		break;
	case 'a':
		acc = O_WRONLY;
		flags = O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (int i = 1; i < 7 && mode[i]; i++) {
		switch (mode[i]) {
		case '+':
			acc = O_RDWR;
			continue;
		case 'x':
			flags |= O_EXCL;
			continue;
		case 'e':
			flags |= O_CLOEXEC;
			continue;
		default:	/* b, m, c, t, and what glibc ignores */
			continue;
		}
	}
	return acc | flags;
}

/* glibc's function name: resolved at start-up, or here when another
 * library's constructor calls fopen before vu's has run */
static void *real(void *resolved, const char *name)
{
	return resolved ? resolved : dlsym(RTLD_NEXT, name);
}

/* glibc's fdopen, found on first use (another library's constructor may
 * come before vu's), or NULL */
static vu_fdopen_fn *glibc_fdopen(void)
{
	vu_fdopen_fn *fdo = __atomic_load_n(&real_fdopen, __ATOMIC_RELAXED);

	if (!fdo) {
		fdo = (vu_fdopen_fn *)dlsym(RTLD_NEXT, "fdopen");
		__atomic_store_n(&real_fdopen, fdo, __ATOMIC_RELAXED);
	}
	return fdo;
}

/* vu_stream_of -- a glibc stream on fd (opened through vu's wrappers),
 * made by glibc's fdopen; on failure fd is closed and errno kept. Used by
 * fopen and tmpfile. fdopen's fcntl on fd is vu's business (glibc's fopen
 * makes none): it goes to the kernel as it is (vu_quiet_fd1). The
 * allocator's calls inside (brk, mmap... as glibc's fopen makes them) go
 * through the stack when a layer wants any of them; else the selector is
 * open for the whole of fdopen. */
FILE *vu_stream_of(int fd, const char *mode)
{
	static const short alloc_nrs[] = { VU_NR_brk, VU_NR_mmap, VU_NR_munmap, VU_NR_mremap, VU_NR_madvise,
					   VU_NR_mprotect, VU_NR_getrandom };
	vu_fdopen_fn *fdo = glibc_fdopen();
	unsigned char s;
	FILE *f = NULL;
	int e, wanted = 0;

	for (unsigned i = 0; i < sizeof(alloc_nrs) / sizeof(alloc_nrs[0]); i++)
		wanted |= vu_wanted(alloc_nrs[i]) == 1;
	if (fdo && !wanted) {
		s = vu_allow();
		f = fdo(fd, mode);
		vu_restore(s);
	} else if (fdo) {
		vu_quiet_fd1 = fd + 1;
		f = fdo(fd, mode);
		vu_quiet_fd1 = 0;
	} else {
		errno = ENOSYS;
	}
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

static FILE *vu_fopen(const char *path, const char *mode, void *resolved, const char *name, unsigned fn)
{
	FILE *(*glibc)(const char *, const char *) = real(resolved, name);
	int flags, fd, e;
	unsigned char s;
	FILE *f;

	if (!glibc)
		return NULL;
	if (!glibc_fdopen() || !resolved || strstr(mode, ",ccs="))
		return glibc(path, mode);	/* vu not set up yet, or a wide stream: SUD's */
	if (!vu_wants(VU_NR_openat)) {
		s = vu_allow_for(fn, VU_NR_openat);	/* no layer looks at opens */
		f = glibc(path, mode);
		vu_restore(s);
		return f;
	}
	flags = mode_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = openat(AT_FDCWD, path, flags, 0666);
	if (fd < 0)
		return NULL;
	if (mode[0] == 'a' && (flags & O_ACCMODE) == O_WRONLY && lseek(fd, 0, SEEK_END) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	return vu_stream_of(fd, mode);
}

VU_EXPORT FILE *fopen(const char *path, const char *mode)
{
	if (__builtin_expect(vu_init_state == VU_INIT_NOT_YET, 0))
		vu_wants_early(VU_NR_openat);	/* a constructor before libvu's */
	return vu_fopen(path, mode, (void *)vu_real_fopen, "fopen", VU_FN_fopen);
}

VU_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	if (__builtin_expect(vu_init_state == VU_INIT_NOT_YET, 0))
		vu_wants_early(VU_NR_openat);
	return vu_fopen(path, mode, (void *)vu_real_fopen64, "fopen64", VU_FN_fopen64);
}

/*
 * The stream functions: glibc fills and empties a FILE's buffer with its
 * internal read, write and lseek, which trap in "all" mode (ld's fseek and
 * fread: ~950 traps per link; a printf to a terminal: one per line). When
 * no layer wants any call glibc's function can make, nothing would be
 * decided on them: these run glibc's function with the selector open, as
 * the generated wrappers do for a call nobody wants. Which calls each
 * function can make comes from glibc's binary (vu_fncalls.h): for a stream
 * that has its buffer, and for one that has not (then the allocation's
 * fstat and isatty's ioctl too). Only for a plain file stream (glibc's
 * own _IO_file_jumps: not fopencookie's or a wide stream's, whose callbacks
 * are the program's). Otherwise glibc's function runs with the selector as
 * it is: in "all" mode its calls trap and go through the stack.
 */
static const void *file_jumps;	/* glibc's _IO_file_jumps */

/* vu_stdio_setup -- at start-up, after the stack is known */
void vu_stdio_setup(void) VU_HIDDEN;
void vu_stdio_setup(void)
{
	file_jumps = vu_libc_sym("_IO_file_jumps");
}

static inline int quiet(FILE *f, unsigned fn)
{
	return file_jumps && f && *(const void *const *)(f + 1) == file_jumps &&
	       !vu_fn_loud(fn, -1, f->_IO_buf_base != NULL);
}

/* glibc's name (resolved at start-up, or now for a constructor's call) */
#define REAL(name) (vu_real_##name ? vu_real_##name : (vu_##name##_fn *)dlsym(RTLD_NEXT, #name))

#define ON_STREAM(f, type, name, args)                                  \
	do {                                                           \
		if (quiet(f, VU_FN_##name)) {                          \
			unsigned char s_ = vu_allow();                 \
			type r_ = REAL(name) args;                     \
			vu_restore(s_);                                \
			return r_;                                     \
		}                                                      \
		return REAL(name) args;                                \
	} while (0)

#define ON_STREAM_VOID(f, name, args)                                   \
	do {                                                           \
		if (quiet(f, VU_FN_##name)) {                          \
			unsigned char s_ = vu_allow();                 \
			REAL(name) args;                               \
			vu_restore(s_);                                \
			return;                                        \
		}                                                      \
		REAL(name) args;                                       \
	} while (0)

VU_EXPORT size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	ON_STREAM(f, size_t, fwrite, (p, size, n, f));
}

VU_EXPORT size_t (fwrite_unlocked)(const void *p, size_t size, size_t n, FILE *f)
{
	ON_STREAM(f, size_t, fwrite_unlocked, (p, size, n, f));
}

VU_EXPORT size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	ON_STREAM(f, size_t, fread, (p, size, n, f));
}

VU_EXPORT size_t (fread_unlocked)(void *p, size_t size, size_t n, FILE *f)
{
	ON_STREAM(f, size_t, fread_unlocked, (p, size, n, f));
}

VU_EXPORT int fputs(const char *s, FILE *f)
{
	ON_STREAM(f, int, fputs, (s, f));
}

VU_EXPORT int fputs_unlocked(const char *s, FILE *f)
{
	ON_STREAM(f, int, fputs_unlocked, (s, f));
}

VU_EXPORT int puts(const char *s)
{
	ON_STREAM(stdout, int, puts, (s));
}

VU_EXPORT int fputc(int c, FILE *f)
{
	ON_STREAM(f, int, fputc, (c, f));
}

VU_EXPORT int putc(int c, FILE *f)
{
	ON_STREAM(f, int, putc, (c, f));
}

/* __overflow and __uflow: what the inline putc_unlocked, getc_unlocked,
 * putchar and getchar of glibc's headers call when the buffer is full or
 * empty */
VU_EXPORT int __overflow(FILE *f, int c)
{
	ON_STREAM(f, int, __overflow, (f, c));
}

VU_EXPORT int __uflow(FILE *f)
{
	ON_STREAM(f, int, __uflow, (f));
}

VU_EXPORT int fflush(FILE *f)
{
	ON_STREAM(f, int, fflush, (f));	/* NULL (every stream): glibc's as it is */
}

VU_EXPORT int fflush_unlocked(FILE *f)
{
	ON_STREAM(f, int, fflush_unlocked, (f));
}

VU_EXPORT char *fgets(char *s, int n, FILE *f)
{
	ON_STREAM(f, char *, fgets, (s, n, f));
}

VU_EXPORT char *fgets_unlocked(char *s, int n, FILE *f)
{
	ON_STREAM(f, char *, fgets_unlocked, (s, n, f));
}

VU_EXPORT int fgetc(FILE *f)
{
	ON_STREAM(f, int, fgetc, (f));
}

VU_EXPORT int getc(FILE *f)
{
	ON_STREAM(f, int, getc, (f));
}

VU_EXPORT ssize_t getdelim(char **line, size_t *n, int delim, FILE *f)
{
	ON_STREAM(f, ssize_t, getdelim, (line, n, delim, f));
}

VU_EXPORT ssize_t __getdelim(char **line, size_t *n, int delim, FILE *f)
{
	ON_STREAM(f, ssize_t, __getdelim, (line, n, delim, f));
}

VU_EXPORT int fseek(FILE *f, long off, int whence)
{
	ON_STREAM(f, int, fseek, (f, off, whence));
}

VU_EXPORT int fseeko(FILE *f, off_t off, int whence)
{
	ON_STREAM(f, int, fseeko, (f, off, whence));
}

VU_EXPORT int fseeko64(FILE *f, off64_t off, int whence)
{
	ON_STREAM(f, int, fseeko64, (f, off, whence));
}

VU_EXPORT long ftell(FILE *f)
{
	ON_STREAM(f, long, ftell, (f));
}

VU_EXPORT off_t ftello(FILE *f)
{
	ON_STREAM(f, off_t, ftello, (f));
}

VU_EXPORT off64_t ftello64(FILE *f)
{
	ON_STREAM(f, off64_t, ftello64, (f));
}

VU_EXPORT void rewind(FILE *f)
{
	ON_STREAM_VOID(f, rewind, (f));
}

VU_EXPORT int fgetpos(FILE *f, fpos_t *pos)
{
	ON_STREAM(f, int, fgetpos, (f, pos));
}

VU_EXPORT int fgetpos64(FILE *f, fpos64_t *pos)
{
	ON_STREAM(f, int, fgetpos64, (f, pos));
}

VU_EXPORT int fsetpos(FILE *f, const fpos_t *pos)
{
	ON_STREAM(f, int, fsetpos, (f, pos));
}

VU_EXPORT int fsetpos64(FILE *f, const fpos64_t *pos)
{
	ON_STREAM(f, int, fsetpos64, (f, pos));
}

/* fclose: its close too, when no layer wants close (the core does when it
 * keeps descriptors of its own: not this stream's) */
VU_EXPORT int fclose(FILE *f)
{
	int fd = f ? f->_fileno : -1;

	if (quiet(f, VU_FN_fclose) && fd >= 0 && !vu_fd_is_ours(fd)) {
		unsigned char s = vu_allow();
		int r = REAL(fclose)(f);

		vu_restore(s);
		return r;
	}
	return REAL(fclose)(f);
}

/* the printf family, on glibc's v-functions */
VU_EXPORT int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	ON_STREAM(f, int, vfprintf, (f, fmt, ap));
}

VU_EXPORT int vprintf(const char *fmt, va_list ap)
{
	ON_STREAM(stdout, int, vfprintf, (stdout, fmt, ap));
}

VU_EXPORT int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	ON_STREAM(f, int, __vfprintf_chk, (f, flag, fmt, ap));
}

VU_EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
	ON_STREAM(stdout, int, __vfprintf_chk, (stdout, flag, fmt, ap));
}

VU_EXPORT int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

VU_EXPORT int printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

VU_EXPORT int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

VU_EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vfprintf_chk(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}
