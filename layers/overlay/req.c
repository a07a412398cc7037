/*
 * req.c -- one request of the overlay layer: its working memory
 * (from the call's scratch), its path arguments made relative to the
 * overlay's root (magic /proc links first replaced by what they stand
 * for), and the real path handed down in their place, with a note for
 * leave() in front of it.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include "overlay.h"

/* ovl_note_of -- the note in front of path argument arg, if it is one of
 * ours (a pointer into this call's scratch with the magic in front) */
struct ovl_note *ovl_note_of(const struct vu_call *c, long arg)
{
	const char *p = (const char *)arg;
	struct ovl_note *n;

	if (!c->scratch || !p || p < c->scratch + sizeof(struct ovl_note) ||
	    p >= c->scratch + VU_SCRATCH_SIZE)
		return 0;
	n = (struct ovl_note *)(p - offsetof(struct ovl_note, path));
	return n->magic == OVL_NOTE_MAGIC ? n : 0;
}


/* ovl_req_init -- the working memory of one request: 16 KiB of work area
 * and nrel relative paths; 0 when the scratch is short (ovl_done() then
 * gives the memory back) */
int ovl_req_init(struct ovl_req *q, struct ovl *o, struct vu_call *c, int nrel)
{
	q->o = o;
	q->c = c;
	q->mark0 = q->mark = c->scratch_used;
	q->w = vu_call_alloc(c, sizeof(*q->w));
	q->rel[0] = vu_call_alloc(c, PATH_MAX);
	q->rel[1] = nrel > 1 ? vu_call_alloc(c, PATH_MAX) : 0;
	return q->w && q->rel[0] && (nrel < 2 || q->rel[1]);
}

/* ovl_done -- answer the call with ret (or -errno) */
enum vu_action ovl_done(struct ovl_req *q, long ret)
{
	q->c->ret = ret;
	vu_call_release(q->c, q->mark0);
	return VU_DONE;
}

/* ovl_pass -- pass the call down, keeping only what ovl_set_path kept */
enum vu_action ovl_pass(struct ovl_req *q)
{
	vu_call_release(q->c, q->mark);
	return VU_CONTINUE;
}

static int digits(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* the length of the next component of p (after any '/') */
static size_t comp(const char **p)
{
	size_t n = 0;

	while (**p == '/')
		(*p)++;
	while ((*p)[n] && (*p)[n] != '/')
		n++;
	return n;
}

/* demagic -- /proc/PID/{fd/N,cwd,root,exe} (PID also self or thread-self,
 * maybe PID/task/TID) and /dev/fd/N are links the kernel follows to the
 * object itself, whatever its path: through them a program could write a
 * lower file. Replace the link by the path it stands for, in abs (cap
 * bytes, normalized; tmp: PATH_MAX bytes). The last component is left as
 * it is when the call does not follow it (readlink of /proc/self/fd/3). */
static void demagic(char *abs, size_t cap, char *tmp, int follow_last)
{
	const char *p = abs, *c;
	size_t n;
	long k;

	if (!vu_strncmp(abs, "/dev/fd/", 8)) {
		p = abs + 8;
		n = comp(&p);
		if (!digits(p, n))
			return;
		p += n;
	} else if (!vu_strncmp(abs, "/proc/", 6)) {
		p = abs + 5;
		c = p;
		n = comp(&c);
		if (!(digits(c, n) || (n == 4 && !vu_strncmp(c, "self", 4)) ||
		      (n == 11 && !vu_strncmp(c, "thread-self", 11))))
			return;
		p = c + n;
		c = p;
		n = comp(&c);
		if (n == 4 && !vu_strncmp(c, "task", 4)) {
			p = c + n;
			c = p;
			n = comp(&c);
			if (!digits(c, n))
				return;
			p = c + n;
			c = p;
			n = comp(&c);
		}
		if (n == 2 && !vu_strncmp(c, "fd", 2)) {
			p = c + n;
			c = p;
			n = comp(&c);
			if (!digits(c, n))
				return;
		} else if (!((n == 3 && (!vu_strncmp(c, "cwd", 3) || !vu_strncmp(c, "exe", 3))) ||
			     (n == 4 && !vu_strncmp(c, "root", 4)))) {
			return;
		}
		p = c + n;
	} else {
		return;
	}
	if (!*p && !follow_last)
		return;
	n = (size_t)(p - abs);
	if (n >= PATH_MAX)
		return;
	vu_memcpy(tmp, abs, n);
	tmp[n] = 0;
	if (!vu_strncmp(tmp, "/dev/fd/", 8)) {
		char link[40];

		vu_format(link, sizeof(link), "/proc/self/fd/%s", tmp + 8);
		k = vu_sys4(SYS_readlinkat, AT_FDCWD, link, tmp, PATH_MAX - 1);
	} else {
		k = vu_sys4(SYS_readlinkat, AT_FDCWD, tmp, tmp, PATH_MAX - 1);
	}
	if (k <= 0 || tmp[0] != '/' || (size_t)k + vu_strlen(p) + 1 > PATH_MAX)
		return;	/* a pipe, a socket, an anonymous inode: not a path */
	vu_memcpy(tmp + k, p, vu_strlen(p) + 1);
	vu_path_normalize(tmp, abs, cap);
}

/* virt -- path argument i as a path relative to the overlay's root, into
 * q->rel[k]: 1, or 0 when it is not in the overlay (or the kernel should
 * give its own error). *slash: it ended with '/'. follow: the call follows
 * a symlink in the last component. */
int ovl_virt(struct ovl_req *q, int i, int k, int *slash, int follow)
{
	const char *p = (const char *)q->c->args[i], *rest;
	size_t n;

	if (!p || !*p || vu_call_abspath(q->c, i, q->w->full, sizeof(q->w->full)) < 0)
		return 0;
	if (q->w->full[1] == 'p' || q->w->full[1] == 'd')
		demagic(q->w->full, sizeof(q->w->full), q->w->rem, follow);
	if (!ovl_under(q->o, q->w->full, &rest))
		return 0;
	while (*rest == '/')
		rest++;
	n = vu_strlen(rest);
	if (n >= PATH_MAX)
		return 0;
	vu_memcpy(q->rel[k], rest, n + 1);
	n = vu_strlen(p);
	*slash = n > 0 && p[n - 1] == '/';
	return 1;
}

/* ovl_req_resolve -- ovl_resolve() of q->rel[k], into r */
long ovl_req_resolve(struct ovl_req *q, int k, int follow, struct ovl_res *r)
{
	r->rel = q->rel[k];
	return ovl_resolve(q->o, q->w, q->rel[k], follow, r);
}

/* keep_front -- move len bytes at src to the front of this request's
 * scratch (mark0), over the work area, which is dead by then: what the
 * layers below and the real call need survives, and the work area's 16 KiB
 * go back to them. src lies above mark0, so a forward copy is safe. */
char *ovl_keep_front(struct ovl_req *q, const void *src, size_t len)
{
	char *dst = q->c->scratch + q->mark0;
	const char *s = src;

	for (size_t k = 0; k < len; k++)
		dst[k] = s[k];
	q->mark = q->mark0 + ((len + 15) & ~15UL);
	return dst;
}

/* set_path -- hand the kernel the real path of r instead of argument i
 * (with a note for leave() in front of it). The last thing a handler does
 * before ovl_pass(). */
long ovl_set_path(struct ovl_req *q, int i, const struct ovl_res *r, int slash, unsigned int flags)
{
	struct ovl_note *n = (struct ovl_note *)q->w->lnk;	/* built here, kept at the front */
	size_t room = sizeof(q->w->lnk) + sizeof(q->w->full) - sizeof(*n);
	long len = ovl_real(q->o, r, n->path, room - 1);

	if (len < 0)
		return len;
	if (slash && len > 0 && n->path[len - 1] != '/') {
		n->path[len++] = '/';
		n->path[len] = 0;
	}
	n->magic = OVL_NOTE_MAGIC;
	n->flags = flags;
	n->gen = q->o->gen ? __atomic_load_n(q->o->gen, __ATOMIC_SEQ_CST) : 0;
	n->pad = 0;
	n->ldev = r->lst.st_dev;
	n->lino = r->lst.st_ino;
	n = (struct ovl_note *)ovl_keep_front(q, n, sizeof(*n) + len + 1);
	q->c->args[i] = (long)n->path;
	return 0;
}

