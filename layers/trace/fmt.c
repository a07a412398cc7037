/*
 * fmt.c -- one system call as one line of text: a JSON object, or
 * strace's syntax. Arguments are decoded by their kind in vu_syscalls[]
 * and by the name tables of vu_decode.c, both generated from syscalls.json
 * (and generator/decode.json): nothing here is per system call.
 *
 * Hook path: no libc, no allocation. Program memory is read in place only
 * where the kernel has just read it without a fault (an input of a call
 * that worked, an output it wrote); anything else is copied with
 * process_vm_readv, which fails cleanly on a bad pointer, and a pointer
 * that cannot be read is printed as a number.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "vu_decode.h"
#include "trace.h"

#define BUF_SHOW 32		/* bytes of a buffer shown, as strace -s 32 */
#define PATH_SHOW 4096		/* bytes of a path or string */
#define ARGV_SHOW 32		/* elements of an argv */
#define ARGV_STR 256		/* bytes of each of them */
#define ENV_COUNT_MAX 65536	/* envp elements counted */
#define ERRNO_MAX 160
#define TAIL 256		/* room kept for what follows the arguments */
#define STRACE_COLUMN 40	/* where strace puts "= " */
#define PAGE 4096UL

static const char *err_name[ERRNO_MAX];
static const char *err_msg[ERRNO_MAX];

/* trace_fmt_init -- errno names and messages, from glibc, at start-up. */
void trace_fmt_init(void)
{
	for (int e = 1; e < ERRNO_MAX; e++) {
		err_name[e] = strerrorname_np(e);
		err_msg[e] = strerrordesc_np(e);
	}
}

/* ---- text ---- */

static void put(struct tout *o, const char *s, size_t n)
{
	if (n > o->cap - o->len) {
		n = o->cap - o->len;
		o->full = 1;
	}
	vu_memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct tout *o, const char *s)
{
	put(o, s, vu_strlen(s));
}

static void putch(struct tout *o, char c)
{
	put(o, &c, 1);
}

/* v in decimal, at least width digits */
static void putu_w(struct tout *o, unsigned long v, int width)
{
	char b[24];
	int i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) || (int)sizeof(b) - i < width);
	put(o, b + i, sizeof(b) - i);
}

static void putu(struct tout *o, unsigned long v)
{
	putu_w(o, v, 1);
}

static void putl(struct tout *o, long v)
{
	if (v < 0) {
		putch(o, '-');
		putu(o, -(unsigned long)v);
	} else {
		putu(o, (unsigned long)v);
	}
}

static void putx(struct tout *o, unsigned long v)
{
	char b[20];
	int i = sizeof(b);

	do
		b[--i] = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	b[--i] = 'x';
	b[--i] = '0';
	put(o, b + i, sizeof(b) - i);
}

/* octal as C's "%#03o": 000, 022, 0644, 01777 */
static void puto(struct tout *o, unsigned long v)
{
	char b[26];
	int i = sizeof(b);

	do
		b[--i] = (char)('0' + (v & 7));
	while (v >>= 3);
	if (b[i] != '0')
		b[--i] = '0';
	while ((int)sizeof(b) - i < 3)
		b[--i] = '0';
	put(o, b + i, sizeof(b) - i);
}

/* ---- escaping ---- */

/* length of the valid UTF-8 sequence at s (at most n bytes), or 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;	/* no overlong forms */
	else if (c == 0xed)
		hi = 0x9f;	/* no surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;	/* nothing above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* the body of a JSON string: control characters and bytes that are not
 * UTF-8 become \u00XX */
static void json_body(struct tout *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n && !o->full;) {
		unsigned char c = s[i];
		size_t u;

		if (c == '"' || c == '\\') {
			putch(o, '\\');
			putch(o, (char)c);
		} else if (c == '\n') {
			puts_(o, "\\n");
		} else if (c == '\t') {
			puts_(o, "\\t");
		} else if (c == '\r') {
			puts_(o, "\\r");
		} else if (c >= 0x20 && c < 0x7f) {
			putch(o, (char)c);
		} else if (c >= 0x80 && (u = utf8_len(s + i, n - i))) {
			put(o, (const char *)s + i, u);
			i += u;
			continue;
		} else {
			puts_(o, "\\u00");
			putch(o, "0123456789abcdef"[c >> 4]);
			putch(o, "0123456789abcdef"[c & 15]);
		}
		i++;
	}
}

/* the body of a C string as strace prints it: printable ASCII as is,
 * \t \n \v \f \r, anything else in octal (three digits before a digit) */
static void strace_body(struct tout *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n && !o->full; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			putch(o, '\\');
			putch(o, (char)c);
		} else if (c >= 0x20 && c < 0x7f) {
			putch(o, (char)c);
		} else if (c >= '\t' && c <= '\r') {
			putch(o, '\\');
			putch(o, "tnvfr"[c - '\t']);
		} else {
			int full = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';

			putch(o, '\\');
			if (full || c >= 0100)
				putch(o, (char)('0' + (c >> 6)));
			if (full || c >= 010)
				putch(o, (char)('0' + ((c >> 3) & 7)));
			putch(o, (char)('0' + (c & 7)));
		}
	}
}

/* ---- one line ---- */

struct fmt {
	struct tout *o;
	const struct trace_line *l;
	int js;			/* JSON, else strace */
	int ok;			/* the call worked: its inputs were read by the kernel */
	int nargs_out;		/* arguments written so far */
};

static int is_err(long r)
{
	return (unsigned long)r > -4096UL;
}

static void sym_open(struct fmt *f)
{
	if (f->js)
		putch(f->o, '"');
}

static void sym_close(struct fmt *f)
{
	if (f->js)
		putch(f->o, '"');
}

static void sym(struct fmt *f, const char *s)
{
	sym_open(f);
	puts_(f->o, s);
	sym_close(f);
}

static void null_ptr(struct fmt *f)
{
	puts_(f->o, f->js ? "null" : "NULL");
}

static void ptr(struct fmt *f, unsigned long p)
{
	if (!p)
		return null_ptr(f);
	sym_open(f);
	putx(f->o, p);
	sym_close(f);
}

/* copy up to n bytes of the program's memory at addr, page by page so
 * that a string that ends before an unmapped page is still read */
static size_t peek(const struct fmt *f, void *dst, unsigned long addr, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t chunk = PAGE - ((addr + got) & (PAGE - 1));
		struct iovec local, remote;
		long r;

		if (chunk > n - got)
			chunk = n - got;
		local.iov_base = (char *)dst + got;
		local.iov_len = chunk;
		remote.iov_base = (void *)(addr + got);
		remote.iov_len = chunk;
		r = vu_sys6(SYS_process_vm_readv, f->l->pid, &local, 1, &remote, 1, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		if ((size_t)r < chunk)
			break;
	}
	return got;
}

/* trace_note_inputs -- the signal sets a call reads, at entry. */
void trace_note_inputs(struct trace_rec *r)
{
	const struct vu_syscall_info *si = &vu_syscalls[r->nr];
	struct trace_line l = { .pid = r->pid };
	struct fmt f = { .l = &l };

	r->in_ok = 0;
	for (int i = 0; i < si->nargs; i++) {
		if (si->args[i].kind != VU_ARG_SIGSET || !(vu_decode_in[r->nr] & (1 << i)) || !r->args[i])
			continue;
		if (peek(&f, &r->in_set[i], (unsigned long)r->args[i], sizeof(r->in_set[i])) ==
		    sizeof(r->in_set[i]))
			r->in_ok |= 1 << i;
	}
}

static void quoted(struct fmt *f, const unsigned char *s, size_t n, int cut)
{
	putch(f->o, '"');
	if (f->js)
		json_body(f->o, s, n);
	else
		strace_body(f->o, s, n);
	if (cut && f->js)
		puts_(f->o, "...");
	putch(f->o, '"');
	if (cut && !f->js)
		puts_(f->o, "...");
}

/* a NUL-terminated string, at most max bytes of it */
static void str_arg(struct fmt *f, unsigned long addr, size_t max, int direct)
{
	const unsigned char *s = (const unsigned char *)addr;
	size_t n = 0;

	if (!addr)
		return null_ptr(f);
	if (direct) {
		while (n < max && s[n])
			n++;
		return quoted(f, s, n, n == max);
	}
	if (!f->l->tmp)
		return ptr(f, addr);
	if (max > TRACE_TMP)
		max = TRACE_TMP;
	size_t got = peek(f, f->l->tmp, addr, max);

	if (!got)
		return ptr(f, addr);
	s = (const unsigned char *)f->l->tmp;
	while (n < got && s[n])
		n++;
	quoted(f, s, n, n == got);
}

/* a buffer of total bytes, the first BUF_SHOW of them */
static void buf_arg(struct fmt *f, unsigned long addr, unsigned long total, int direct)
{
	size_t n = total < BUF_SHOW ? total : BUF_SHOW;
	unsigned char copy[BUF_SHOW];

	if (!addr)
		return null_ptr(f);
	if (!direct) {
		if (peek(f, copy, addr, n) != n)
			return ptr(f, addr);
		addr = (unsigned long)copy;
	}
	quoted(f, (const unsigned char *)addr, n, total > n);
}

static int xlat_enum(struct fmt *f, const struct vu_xlat_table *t, unsigned long v, int narrow)
{
	for (const struct vu_xlat *x = t->items; x->name; x++) {
		if ((narrow ? (unsigned int)x->val : x->val) == v) {
			sym(f, x->name);
			return 1;
		}
	}
	return 0;
}

static void xlat_flags(struct fmt *f, const struct vu_xlat_table *t, unsigned long v)
{
	struct tout *o = f->o;
	int any = 0;

	sym_open(f);
	for (const struct vu_xlat *x = t->field; x && x->name; x++) {
		if (x->val == (v & t->field_mask)) {
			puts_(o, x->name);
			v &= ~t->field_mask;
			any = 1;
			break;
		}
	}
	for (const struct vu_xlat *x = t->items; x->name; x++) {
		if (!x->val || (v & x->val) != x->val)
			continue;
		if (any)
			putch(o, '|');
		puts_(o, x->name);
		v &= ~x->val;
		any = 1;
	}
	if (v) {
		if (any)
			putch(o, '|');
		putx(o, v);
	} else if (!any) {
		puts_(o, t->zero ? t->zero : "0");
	}
	sym_close(f);
}

/* a mode: with a file type S_IFREG|S_ISUID|0755, else octal, as strace */
static void mode_arg(struct fmt *f, const struct vu_xlat_table *t, unsigned long v)
{
	const struct vu_xlat *x;

	sym_open(f);
	for (x = t ? t->field : NULL; x && x->name && (v & t->field_mask); x++)
		if (x->val == (v & t->field_mask))
			break;
	if (x && x->name && (v & t->field_mask)) {
		puts_(f->o, x->name);
		v &= ~t->field_mask;
		for (x = t->items; x->name; x++) {
			if (x->val && (v & x->val) == x->val) {
				putch(f->o, '|');
				puts_(f->o, x->name);
				v &= ~x->val;
			}
		}
		putch(f->o, '|');
	}
	puto(f->o, v);
	sym_close(f);
}

/* signal s by name: SIGTERM, SIGRTMIN, SIGRT_3; bare: TERM, RTMIN, RT_3 */
static int sig_name(struct fmt *f, const struct vu_xlat_table *t, unsigned long s, int bare)
{
	struct tout *o = f->o;

	for (const struct vu_xlat *x = t->items; x->name; x++) {
		if ((unsigned int)x->val == s) {
			const char *n = x->name;

			puts_(o, bare && !vu_strncmp(n, "SIG", 3) ? n + 3 : n);
			return 1;
		}
	}
	if (s < 32 || s > 64)
		return 0;
	puts_(o, bare ? "RT" : "SIGRT");
	if (s == 32) {
		puts_(o, "MIN");
	} else {
		putch(o, '_');
		putu(o, s - 32);
	}
	return 1;
}

static void signum_arg(struct fmt *f, const struct vu_xlat_table *t, unsigned long s)
{
	size_t at = f->o->len;

	sym_open(f);
	if (t && s && sig_name(f, t, s, 0))
		return sym_close(f);
	f->o->len = at;
	putl(f->o, (int)s);
}

/* a sigset_t: [INT TERM], or ~[KILL STOP] when most are set, as strace */
static void sigset_arg(struct fmt *f, const struct vu_xlat_table *t, unsigned long set)
{
	int first = 1;

	sym_open(f);
	if (__builtin_popcountl(set) > 32) {
		putch(f->o, '~');
		set = ~set;
	}
	putch(f->o, '[');
	for (unsigned long s = 1; s <= 64; s++) {
		if (!(set & (1UL << (s - 1))))
			continue;
		if (!first)
			putch(f->o, ' ');
		first = 0;
		if (!t || !sig_name(f, t, s, 1))
			putu(f->o, s);
	}
	putch(f->o, ']');
	sym_close(f);
}

static void argv_arg(struct fmt *f, unsigned long addr)
{
	unsigned long v[ARGV_SHOW + 1];
	size_t got, n;

	if (!addr)
		return null_ptr(f);
	got = peek(f, v, addr, sizeof(v)) / sizeof(v[0]);
	if (!got)
		return ptr(f, addr);
	putch(f->o, '[');
	for (n = 0; n < got && n < ARGV_SHOW && v[n]; n++) {
		if (n)
			puts_(f->o, f->js ? "," : ", ");
		str_arg(f, v[n], ARGV_STR, 0);
	}
	/* more than shown, or the rest could not be read */
	if (n == got || v[n]) {
		if (n)
			puts_(f->o, f->js ? "," : ", ");
		puts_(f->o, f->js ? "\"...\"" : "...");
	}
	putch(f->o, ']');
}

/* an environment: its address and how many variables, as strace */
static void envp_arg(struct fmt *f, unsigned long addr)
{
	unsigned long v[64];
	unsigned long count = 0;
	int end = 0;

	if (!addr)
		return null_ptr(f);
	while (!end && count < ENV_COUNT_MAX) {
		size_t got = peek(f, v, addr + count * sizeof(v[0]), sizeof(v)) / sizeof(v[0]);

		if (!got)
			break;
		for (size_t i = 0; i < got && !end; i++) {
			if (v[i])
				count++;
			else
				end = 1;
		}
		if (got < 64)
			break;
	}
	if (!end)
		return ptr(f, addr);
	sym_open(f);
	putx(f->o, addr);
	puts_(f->o, " /* ");
	putu(f->o, count);
	puts_(f->o, count == 1 ? " var */" : " vars */");
	sym_close(f);
}

/* the number of a plain integer argument, by its kind's C type */
static void number(struct fmt *f, int kind, unsigned long v)
{
	switch (kind) {
	case VU_ARG_UINT:
		return putu(f->o, (unsigned int)v);
	case VU_ARG_ULONG:
	case VU_ARG_SIZE:
		return putu(f->o, v);
	case VU_ARG_LONG:
	case VU_ARG_SSIZE:
	case VU_ARG_OFF:
		return putl(f->o, (long)v);
	case VU_ARG_UID:
	case VU_ARG_GID:
		if ((int)v == -1)
			return puts_(f->o, "-1");
		return putu(f->o, (unsigned int)v);
	default:
		return putl(f->o, (int)v);
	}
}

static int narrow_kind(int kind)
{
	return kind != VU_ARG_LONG && kind != VU_ARG_ULONG;
}

/* argument i of the call, decoded by its kind */
static void arg_value(struct fmt *f, const struct vu_syscall_info *si, int i)
{
	const struct trace_line *l = f->l;
	const struct trace_rec *r = l->r;
	const struct vu_arg_info *a = &si->args[i];
	unsigned long v = (unsigned long)r->args[i];
	int id = vu_decode_args[r->nr][i];
	const struct vu_xlat_table *t = id ? &vu_decode_tables[id] : NULL;
	/* in place only when the kernel read this very pointer */
	int direct = f->ok && l->now_args && l->now_args[i] == r->args[i];
	unsigned long len = a->len >= 0 ? (unsigned long)r->args[a->len] : 0;

	switch (a->kind) {
	case VU_ARG_DIRFD:
		if ((int)v == AT_FDCWD)
			return sym(f, "AT_FDCWD");
		return putl(f->o, (int)v);
	case VU_ARG_PATH:
	case VU_ARG_STR:
		return str_arg(f, v, PATH_SHOW, direct);
	case VU_ARG_OPEN_FLAGS:
	case VU_ARG_AT_FLAGS:
	case VU_ARG_INT:
	case VU_ARG_UINT:
	case VU_ARG_LONG:
	case VU_ARG_ULONG:
	case VU_ARG_CLOCKID:
		if (narrow_kind(a->kind))
			v = (unsigned int)v;
		if (t && t->kind == VU_XLAT_FLAGS)
			return xlat_flags(f, t, v);
		if (t && xlat_enum(f, t, v, narrow_kind(a->kind)))
			return;
		return number(f, a->kind, v);
	case VU_ARG_MODE:
		return mode_arg(f, t, (unsigned int)v);
	case VU_ARG_SIGNUM:
		return signum_arg(f, t, (unsigned int)v);
	case VU_ARG_SIGSET:
		if (!v)
			return null_ptr(f);
		if (vu_decode_in[r->nr] & (1 << i))	/* read at entry */
			return r->in_ok & (1 << i) ? sigset_arg(f, t, r->in_set[i]) : ptr(f, v);
		if (!f->ok || l->phase != TRACE_DONE)	/* written by a call that worked */
			return ptr(f, v);
		return sigset_arg(f, t, *(const unsigned long *)v);
	case VU_ARG_BUF_IN:
		if (a->len < 0)
			return ptr(f, v);
		/* a write that worked read at least what it returned */
		return buf_arg(f, v, len, direct && (si->ret != VU_RET_SIZE ||
						     (unsigned long)l->ret >= (len < BUF_SHOW ? len : BUF_SHOW)));
	case VU_ARG_BUF_OUT:
		if (!f->ok || l->phase != TRACE_DONE || si->ret != VU_RET_SIZE)
			return ptr(f, v);
		return buf_arg(f, v, (unsigned long)l->ret, 1);
	case VU_ARG_ARGV:
		return argv_arg(f, v);
	case VU_ARG_ENVP:
		return envp_arg(f, v);
	case VU_ARG_STRUCT_IN:
	case VU_ARG_STRUCT_OUT:
	case VU_ARG_PTR:
		return ptr(f, v);
	default:
		return number(f, a->kind, v);
	}
}

/* strace leaves out the mode of an open that does not create */
static int strace_skips(const struct vu_syscall_info *si, const struct trace_rec *r, int i)
{
	unsigned int fl;

	if (si->args[i].kind != VU_ARG_MODE || i == 0 || si->args[i - 1].kind != VU_ARG_OPEN_FLAGS)
		return 0;
	fl = (unsigned int)r->args[i - 1];
	return !(fl & O_CREAT) && (fl & O_TMPFILE) != O_TMPFILE;
}

static void sep(struct fmt *f)
{
	if (f->nargs_out++)
		puts_(f->o, f->js ? "," : ", ");
}

static void args(struct fmt *f, const struct vu_syscall_info *si)
{
	struct tout *o = f->o;
	size_t cap = o->cap;
	const struct trace_rec *r = f->l->r;
	int n = si->name[0] ? si->nargs : 6;

	/* arguments may be cut short; what follows them may not */
	o->cap = cap > o->len + TAIL ? cap - TAIL : o->len;
	for (int i = 0; i < n; i++) {
		size_t at = o->len;
		int count = f->nargs_out;

		if (!f->js && si->name[0] && strace_skips(si, r, i))
			continue;
		sep(f);
		if (f->js) {
			putch(o, '"');
			if (si->name[0]) {
				puts_(o, si->args[i].name);
			} else {
				putch(o, 'a');
				putu(o, (unsigned long)i);
			}
			puts_(o, "\":");
		}
		if (si->name[0]) {
			arg_value(f, si, i);
		} else if (f->js) {	/* a call the table does not describe: "0x..." */
			putch(o, '"');
			putx(o, (unsigned long)r->args[i]);
			putch(o, '"');
		} else {
			putx(o, (unsigned long)r->args[i]);
		}
		if (o->full) {
			o->len = at;
			o->full = 0;
			o->cap = cap;
			f->nargs_out = count;
			sep(f);
			puts_(o, f->js ? "\"truncated\":true" : "...");
			return;
		}
	}
	o->cap = cap;
}

static void name(struct fmt *f, const struct vu_syscall_info *si)
{
	long nr = f->l->r->nr;

	if (si->name[0]) {
		puts_(f->o, si->name);
	} else {
		const struct vu_other_name *o = vu_other_names;

		while (o->nr >= 0 && o->nr != nr)
			o++;
		if (o->nr >= 0) {
			puts_(f->o, o->name);	/* not in the table: its name only */
		} else {
			puts_(f->o, "syscall_");
			putu(f->o, (unsigned long)nr);
		}
	}
}

static void json_result(struct fmt *f, const struct vu_syscall_info *si)
{
	const struct trace_line *l = f->l;
	struct tout *o = f->o;
	long e = -l->ret;

	puts_(o, ",\"ret\":");
	if (!l->ret_known || l->phase == TRACE_NORETURN || l->phase == TRACE_UNFINISHED) {
		puts_(o, "null");
	} else if (is_err(l->ret)) {
		puts_(o, "-1,\"errno\":\"");
		if (e < ERRNO_MAX && err_name[e]) {
			puts_(o, err_name[e]);
		} else {
			puts_(o, "ERRNO_");
			putl(o, e);
		}
		putch(o, '"');
	} else if (si->ret == VU_RET_PTR) {
		ptr(f, (unsigned long)l->ret);
	} else {
		putl(o, l->ret);
	}
	if (l->phase == TRACE_UNFINISHED)
		puts_(o, ",\"unfinished\":true");
	else if (l->phase == TRACE_RESUMED)
		puts_(o, ",\"resumed\":true");
	puts_(o, "}\n");
}

static void json_line(struct fmt *f, const struct vu_syscall_info *si)
{
	const struct trace_line *l = f->l;
	struct tout *o = f->o;

	puts_(o, "{\"pid\":");
	putl(o, l->pid);
	puts_(o, ",\"tid\":");
	putl(o, l->tid);
	puts_(o, ",\"time\":");
	putu(o, (unsigned long)l->r->t0_ns / 1000000000UL);
	putch(o, '.');
	putu_w(o, (unsigned long)l->r->t0_ns % 1000000000UL / 1000, 6);
	if (l->phase == TRACE_DONE || l->phase == TRACE_RESUMED) {
		puts_(o, ",\"dur_us\":");
		putu(o, (unsigned long)l->dur_ns / 1000);
		putch(o, '.');
		putu(o, (unsigned long)l->dur_ns % 1000 / 100);
	}
	puts_(o, l->r->src == VU_SRC_SUD ? ",\"src\":\"sud\",\"name\":\"" : ",\"src\":\"libc\",\"name\":\"");
	name(f, si);
	putch(o, '"');
	if (l->phase != TRACE_RESUMED) {
		puts_(o, ",\"args\":{");
		args(f, si);
		putch(o, '}');
	}
	json_result(f, si);
}

static void strace_result(struct fmt *f, const struct vu_syscall_info *si)
{
	const struct trace_line *l = f->l;
	struct tout *o = f->o;
	long e = -l->ret;

	if (o->len < STRACE_COLUMN) {
		while (o->len < STRACE_COLUMN)
			putch(o, ' ');
		puts_(o, "= ");
	} else {
		puts_(o, " = ");
	}
	if (!l->ret_known || l->phase == TRACE_NORETURN) {
		putch(o, '?');
	} else if (is_err(l->ret)) {
		puts_(o, "-1 ");
		if (e < ERRNO_MAX && err_name[e]) {
			puts_(o, err_name[e]);
			puts_(o, " (");
			puts_(o, err_msg[e] ? err_msg[e] : "?");
			putch(o, ')');
		} else {
			puts_(o, "ERRNO_");
			putl(o, e);
		}
	} else if (si->ret == VU_RET_PTR) {
		putx(o, (unsigned long)l->ret);
	} else {
		putl(o, l->ret);
	}
	putch(o, '\n');
}

static void strace_line(struct fmt *f, const struct vu_syscall_info *si)
{
	const struct trace_line *l = f->l;
	struct tout *o = f->o;

	putl(o, l->tid);
	putch(o, ' ');
	if (l->phase == TRACE_RESUMED) {
		puts_(o, "<... ");
		name(f, si);
		puts_(o, " resumed>)");
		return strace_result(f, si);
	}
	name(f, si);
	putch(o, '(');
	args(f, si);
	if (l->phase == TRACE_UNFINISHED)
		return puts_(o, " <unfinished ...>\n");
	putch(o, ')');
	strace_result(f, si);
}

/* trace_format -- the line for l into o, with its newline. When o is too
 * small, arguments are cut short; the line stays whole and valid. */
void trace_format(struct tout *o, const struct trace_line *l)
{
	static const struct vu_syscall_info hole;
	const struct vu_syscall_info *si = &vu_syscalls[l->r->nr];
	struct fmt f = {
		.o = o,
		.l = l,
		.js = !l->strace,
		.ok = l->phase == TRACE_DONE && l->ret_known && !is_err(l->ret),
	};

	if (!si->name[0])
		si = &hole;
	if (f.js)
		json_line(&f, si);
	else
		strace_line(&f, si);
}
