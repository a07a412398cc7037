/*
 * exec.c -- execve of a file in the overlay. A script whose #!
 * interpreter is in the overlay too names it by a path the kernel would look
 * up itself, in lower (v/bin/pip of a venv made in the overlay): vu runs the
 * interpreter instead, with the argv the kernel would have built.
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "overlay.h"

#define EXEC_DEPTH 4	/* nested interpreters, as the kernel allows */

static long read_shebang(const char *path, char *line, size_t len, char **interp, char **arg)
{
	long fd = vu_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), n;
	char *p, *e;

	if (fd < 0)
		return 0;
	n = vu_sys3(SYS_read, fd, line, len - 1);
	vu_sys1(SYS_close, fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = 0;
	for (e = line + 2; *e && *e != '\n'; e++)
		;
	*e = 0;
	while (e > line + 2 && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	for (p = line + 2; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return 0;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = 0;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			*arg = p;
	}
	return 1;
}

/* ovl_h_exec -- execve/execveat (pi, ai: path and argv arguments; dirfd_i:
 * the dirfd argument or -1): the real path of a binary; for a script, its
 * innermost interpreter outside the overlay or in it, with argv rebuilt */
enum vu_action ovl_h_exec(struct ovl_req *q, int pi, int ai, int dirfd_i)
{
	struct vu_call *c = q->c;
	const char *given = (const char *)c->args[pi];
	char *const *argv = (char *const *)c->args[ai];
	struct ovl_res r;
	int slash, argc = 0, depth = 0, nwords = 0;
	long err;
	/* what the kernel would put before argv[1..], innermost first */
	char *words[2 * EXEC_DEPTH + 1];
	char *lines, *run, *s;
	char **nargv;
	size_t runlen, size;

	if (!ovl_virt(q, pi, 0, &slash, 1))
		return ovl_pass(q);
	if ((err = ovl_req_resolve(q, 0, 1, &r)) < 0)
		return ovl_done(q, err);
	if (r.reserved || r.where == OVL_NONE)
		return ovl_done(q, -ENOENT);
	lines = vu_call_alloc(c, EXEC_DEPTH * 256);
	run = vu_call_alloc(c, PATH_MAX);
	if (!lines || !run)
		return ovl_done(q, -ENOMEM);
	if (r.where == OVL_OUT || S_ISDIR(r.st.st_mode) || ovl_real(q->o, &r, run, PATH_MAX) < 0)
		goto plain;
	words[nwords++] = (char *)given;
	for (;;) {
		char *interp, *arg, *line = lines + depth * 256;
		const char *rest;

		if (!read_shebang(run, line, 256, &interp, &arg))
			break;
		if (++depth > EXEC_DEPTH)
			return ovl_done(q, -ELOOP);
		if ((err = vu_sys3(SYS_faccessat, AT_FDCWD, run, X_OK)) < 0)
			return ovl_done(q, err);
		if (arg)
			words[nwords++] = arg;
		words[nwords++] = interp;
		if (vu_path_abs(AT_FDCWD, interp, q->w->full, sizeof(q->w->full)) < 0 ||
		    !ovl_under(q->o, q->w->full, &rest)) {
			if (vu_strlen(interp) >= PATH_MAX)
				return ovl_done(q, -ENAMETOOLONG);
			vu_stpcpy(run, interp);
			break;
		}
		while (*rest == '/')
			rest++;
		vu_memcpy(q->rel[0], rest, vu_strlen(rest) + 1);
		if ((err = ovl_req_resolve(q, 0, 1, &r)) < 0)
			return ovl_done(q, err);
		if (r.reserved || r.where == OVL_NONE)
			return ovl_done(q, -ENOENT);
		if ((err = ovl_real(q->o, &r, run, PATH_MAX)) < 0)
			return ovl_done(q, err);
		if (r.where == OVL_OUT)
			break;
	}
	if (depth == 0)
		goto plain;
	/* argv: the words outermost first, then argv[1..]; built at the front
	 * of the scratch (below `lines`, which it must not reach) */
	while (argv && argv[argc])
		argc++;
	runlen = vu_strlen(run) + 1;
	size = (size_t)(nwords + argc + 1) * sizeof(char *) + runlen + (size_t)depth * 256;
	if (c->scratch + q->mark0 + size > lines) {
		vu_debug("overlay: exec %s: too many arguments to run its interpreter", given);
		goto plain;
	}
	nargv = (char **)(c->scratch + q->mark0);
	s = (char *)(nargv + nwords + argc + 1);
	vu_memcpy(s, run, runlen);
	run = s;
	s += runlen;
	vu_memcpy(s, lines, (size_t)depth * 256);
	for (int k = 1; k < nwords; k++)	/* words[0] is the program's */
		words[k] = s + (words[k] - lines);
	for (int k = 0; k < nwords; k++)
		nargv[k] = words[nwords - 1 - k];
	for (int k = 1; k < argc; k++)
		nargv[nwords + k - 1] = argv[k];
	nargv[nwords + (argc ? argc - 1 : 0)] = 0;
	vu_debug("overlay: exec %s through %s", given, run);
	c->args[pi] = (long)run;
	c->args[ai] = (long)nargv;
	if (dirfd_i >= 0)
		c->args[dirfd_i] = AT_FDCWD;
	q->mark = q->mark0 + ((size + 15) & ~15UL);
	return ovl_pass(q);
plain:
	/* a binary (or nothing vu can improve on): its real path */
	if ((err = ovl_set_path(q, pi, &r, slash, 0)) < 0)
		return ovl_done(q, err);
	return ovl_pass(q);
}

