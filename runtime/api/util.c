/*
 * util.c -- string helpers, a signal-safe formatter, logging and the fatal
 * path. Nothing here calls libc: it runs inside the SIGSYS handler.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include "vu_core.h"

VU_WORDWISE size_t vu_strlen(const char *s)
{
	const vu_word *w = (const vu_word *)((unsigned long)s & ~7UL);
	unsigned long shift = ((unsigned long)s & 7) * 8;
	unsigned long v = *w | (shift ? ~0UL >> (64 - shift) : 0);	/* bytes before s: not zero */
	unsigned long z;

	while (!(z = VU_HAS_ZERO(v)))
		v = *++w;
	return (const char *)w + (__builtin_ctzl(z) >> 3) - s;
}

int vu_memeq(const void *a, const void *b, size_t n)
{
	const char *x = a, *y = b;
	unsigned long u, v;

	if (n >= 8) {
		for (size_t k = 0; k + 8 <= n; k += 8) {
			__builtin_memcpy(&u, x + k, 8);
			__builtin_memcpy(&v, y + k, 8);
			if (u != v)
				return 0;
		}
		/* the last 8 bytes (overlapping those compared) */
		__builtin_memcpy(&u, x + n - 8, 8);
		__builtin_memcpy(&v, y + n - 8, 8);
		return u == v;
	}
	/* 1 to 7 bytes: two overlapping loads of 4, or of 2, or one byte */
	if (n >= 4) {
		unsigned a4, b4, c4, d4;

		__builtin_memcpy(&a4, x, 4);
		__builtin_memcpy(&b4, y, 4);
		__builtin_memcpy(&c4, x + n - 4, 4);
		__builtin_memcpy(&d4, y + n - 4, 4);
		return ((a4 ^ b4) | (c4 ^ d4)) == 0;
	}
	if (n >= 2) {
		unsigned short a2, b2, c2, d2;

		__builtin_memcpy(&a2, x, 2);
		__builtin_memcpy(&b2, y, 2);
		__builtin_memcpy(&c2, x + n - 2, 2);
		__builtin_memcpy(&d2, y + n - 2, 2);
		return ((a2 ^ b2) | (c2 ^ d2)) == 0;
	}
	return !n || *x == *y;
}

int vu_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int vu_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

void *vu_memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	for (; n >= 8; n -= 8, dp += 8, sp += 8)
		__builtin_memcpy(dp, sp, 8);
	while (n--)
		*dp++ = *sp++;
	return d;
}

/* vu_keep -- a copy of s for the life of the process, from one area: the
 * strings start-up keeps (libvu's own path, the home, the lines every
 * child gets, the learned-sites file) take a few hundred bytes, one page
 * start-up writes instead of a page-aligned PATH_MAX buffer each (a page
 * fault each, 2-10 µs). Never freed; NULL when the area is full (it holds
 * every such string at its longest). Async-signal-safe. */
static char keep_area[12 * 4096] VU_PAGE_BSS;
static size_t keep_used;

char *vu_keep_room(size_t n)
{
	size_t at = __atomic_fetch_add(&keep_used, (n + 7) & ~(size_t)7, __ATOMIC_RELAXED);

	if (at > sizeof(keep_area) || n > sizeof(keep_area) - at)
		return NULL;
	return keep_area + at;
}

/* vu_keep_trim -- p (from vu_keep_room) needs only its first n bytes: the
 * rest goes back when nothing was kept after it (start-up formats into
 * the area, not into a PATH_MAX buffer on its stack: a deeper stack is a
 * page fault too) */
void vu_keep_trim(char *p, size_t room, size_t n)
{
	size_t end = (size_t)(p - keep_area) + ((room + 7) & ~(size_t)7);

	__atomic_compare_exchange_n(&keep_used, &end, (size_t)(p - keep_area) + ((n + 7) & ~(size_t)7), 0,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

char *vu_keep(const char *s)
{
	size_t n = vu_strlen(s) + 1;
	char *p = vu_keep_room(n);

	if (p)
		vu_memcpy(p, s, n);
	return p;
}

/* vu_preload_next -- the next entry of an LD_PRELOAD-style list (entries
 * separated by ':' or ' ', as ld.so splits it) at or after p: its start,
 * and its length in *n; NULL after the last */
const char *vu_preload_next(const char *p, size_t *n)
{
	size_t k = 0;

	while (*p == ':' || *p == ' ')
		p++;
	while (p[k] && p[k] != ':' && p[k] != ' ')
		k++;
	*n = k;
	return k ? p : NULL;
}

char *vu_stpcpy(char *d, const char *s)
{
	while ((*d = *s))
		d++, s++;
	return d;
}

struct vu_out {
	char *buf;
	size_t len, pos;
};

static void out_c(struct vu_out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void out_num(struct vu_out *o, unsigned long v, int base, int neg)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
}

int vu_vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct vu_out o = { buf, len, 0 };

	for (; *fmt; fmt++) {
		int lng = 0, alt = 0;

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#')	/* %#x: 0x first, as printf */
			alt = 1, fmt++;
		while (*fmt == 'l' || *fmt == 'z')
			lng = 1, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				out_c(&o, *s);
			break;
		}
		case 'd': {
			long v = lng ? va_arg(ap, long) : va_arg(ap, int);

			out_num(&o, v < 0 ? -(unsigned long)v : (unsigned long)v, 10, v < 0);
			break;
		}
		case 'u':
			out_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, 0);
			break;
		case 'x':
			if (alt) {
				out_c(&o, '0');
				out_c(&o, 'x');
			}
			out_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, 0);
			break;
		case 'p':
			out_c(&o, '0');
			out_c(&o, 'x');
			out_num(&o, (unsigned long)va_arg(ap, void *), 16, 0);
			break;
		case 'c':
			out_c(&o, (char)va_arg(ap, int));
			break;
		case '%':
			out_c(&o, '%');
			break;
		default:
			out_c(&o, '?');
			break;
		}
	}
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = 0;
	return (int)o.pos;
}

int vu_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vu_vformat(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		long r = vu_sys3(SYS_write, fd, s, n);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		s += r;
		n -= r;
	}
}

/* write_line -- the first n bytes of line (size bytes; a longer n was cut
 * by vu_vformat) and a newline, to fd */
static void write_line(int fd, char *line, size_t size, int n)
{
	if (n > (int)size - 2)
		n = size - 2;
	line[n++] = '\n';
	write_all(fd, line, n);
}

int vu_debug_on;	/* VU_DEBUG set: vu_debug() writes (init.c) */

/* vu_log -- one "vu[pid]: ..." line to vu's own copy of stderr. */
void vu_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = vu_format(line, sizeof(line), "vu[%ld]: ", vu_sys0(SYS_getpid));
	va_start(ap, fmt);
	n += vu_vformat(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	write_line(vu_log_fd >= 0 ? vu_log_fd : 2, line, sizeof(line), n);
}

/* vu_fatal -- "vu: ..." on stderr, then exit_group(status). Used for bad
 * configuration (status 125) before the program's main runs. */
void vu_fatal(int status, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	n = vu_format(line, sizeof(line), "vu: ");
	va_start(ap, fmt);
	n += vu_vformat(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	write_line(2, line, sizeof(line), n);
	for (;;)
		vu_sys1(SYS_exit_group, status);
}

/* vu_fatal_line -- "vu: LINE" on stderr (one of several fatal lines). */
void vu_fatal_line(const char *s)
{
	char line[2048];
	int n = vu_format(line, sizeof(line) - 1, "vu: %s", s);

	write_line(2, line, sizeof(line), n);
}

extern char **environ;
/* (weak: the config fuzzer links this file without sym.c) */
extern void *vu_libc_sym(const char *name) __attribute__((weak));

/* While vu starts, the fourth letters of the VU_* variables there are
 * (a bit each): a VU_ name whose bit is clear is not there, without a
 * scan of the environment (start-up asks for a dozen, most absent) */
static unsigned long env_vu_bits;
static int env_vu_indexed;

void vu_env_index(int on)
{
	env_vu_bits = 0;
	env_vu_indexed = 0;
	if (!on)
		return;
	for (char **e = environ; e && *e; e++)
		if ((*e)[0] == 'V' && (*e)[1] == 'U' && (*e)[2] == '_' && (*e)[3])
			env_vu_bits |= 1UL << ((unsigned char)(*e)[3] & 63);
	env_vu_indexed = 1;
}

const char *vu_getenv(const char *name)
{
	size_t n = vu_strlen(name);

	if (!n)
		return NULL;
	if (env_vu_indexed && name[0] == 'V' && name[1] == 'U' && name[2] == '_' && name[3] &&
	    !((env_vu_bits >> ((unsigned char)name[3] & 63)) & 1))
		return NULL;
	for (char **e = environ; e && *e; e++) {
		const char *v = *e;

		/* (the first two bytes first, as glibc's getenv: most lines
		 * differ there) */
		if (v[0] != name[0] || (n > 1 && v[1] != name[1]))
			continue;
		if (!vu_strncmp(v, name, n) && v[n] == '=')
			return v + n + 1;
	}
	return NULL;
}

/* Before the C library's own initialization (libvu is initialized first:
 * -z initfirst), environ is the kernel's array as libvu's constructor got
 * it, and libc's initialization sets it again to that array: a variable
 * set then would be lost. Such changes wait here, and are made again when
 * the program starts (vu_env_replay, from __libc_start_main). */
int vu_env_early;
static struct { char name[32]; char value[PATH_MAX + 64]; } env_later[8] VU_PAGE_BSS;
static int n_later;

static int (*glibc_setenv(void))(const char *, const char *, int)
{
	static int (*glibc)(const char *, const char *, int);

	/* the C library's, never the program's: from libc's own table (sym.c,
	 * a hash lookup), else dlsym after libvu (a full search: ~0.25 µs) */
	if (!glibc && vu_libc_sym)
		glibc = (int (*)(const char *, const char *, int))vu_libc_sym("setenv");
	if (!glibc)
		glibc = (int (*)(const char *, const char *, int))dlsym(RTLD_NEXT, "setenv");
	return glibc;
}

static char **env_set;	/* environ as vu's last early setenv left it */

void vu_env_replay(void)
{
	int (*set)(const char *, const char *, int) = glibc_setenv();

	vu_env_early = 0;
	if (environ == env_set)
		n_later = 0;	/* the C library kept it (glibc 2.36) */
	for (int i = 0; i < n_later && set; i++) {
		const char *now = vu_getenv(env_later[i].name);

		if (!now || vu_strcmp(now, env_later[i].value))	/* (it stayed: glibc 2.36) */
			set(env_later[i].name, env_later[i].value, 1);
	}
	n_later = 0;
}

int vu_setenv(const char *name, const char *value)
{
	int (*glibc)(const char *, const char *, int) = glibc_setenv();

	if (name[0] == 'V' && name[1] == 'U' && name[2] == '_' && name[3])
		env_vu_bits |= 1UL << ((unsigned char)name[3] & 63);

	if (vu_env_early) {
		int i;

		for (i = 0; i < n_later && vu_strcmp(env_later[i].name, name); i++)
			;
		if (i == 8 || vu_strlen(name) >= sizeof(env_later[0].name) ||
		    vu_strlen(value) >= sizeof(env_later[0].value)) {
			errno = ENOSPC;
			return -1;
		}
		vu_stpcpy(env_later[i].name, name);
		vu_stpcpy(env_later[i].value, value);
		if (i == n_later)
			n_later++;
		/* and now, for vu's own reads until then (a copy of the array
		 * libc sets again) */
		if (glibc && glibc(name, value, 1) == 0) {
			env_set = environ;
			return 0;
		}
	}
	if (!glibc) {
		errno = ENOSYS;
		return -1;
	}
	return glibc(name, value, 1);
}

