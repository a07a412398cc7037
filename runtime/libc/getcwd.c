/*
 * getcwd.c -- glibc's getcwd(), hand-written: it returns char * and
 * allocates when buf is NULL, which the generated wrappers cannot express.
 * The call goes through the dispatcher with the getcwd system call's shape
 * (buf, size -> length with the NUL, or -errno), so layers see the libc
 * path and the raw path alike; below the stack glibc's own getcwd fills
 * the buffer.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include "vu_core.h"
#include "vu_libc.h"

#ifdef VU_NR_getcwd
static long bottom_getcwd(struct vu_call *c)
{
	struct vu_bottom_state s = vu_allow_bottom(VU_FN_getcwd, VU_NR_getcwd);
	char *r = vu_real_getcwd((char *)c->args[0], (size_t)c->args[1]);
	long ret = r ? (long)vu_strlen(r) + 1 : -(long)errno;

	vu_restore_bottom(s);
	return ret;
}

static long dispatch_getcwd(char *buf, size_t size)
{
	struct vu_call c = VU_CALL(VU_NR_getcwd, (long)buf, (long)size);

	return vu_libc_call(&c, vu_real_getcwd ? bottom_getcwd : NULL);
}

/* getcwd -- as glibc: buf NULL allocates (size bytes, or as many as
 * needed when size is 0); buf with size 0 is EINVAL; too small is ERANGE. */
VU_EXPORT char *getcwd(char *buf, size_t size)
{
	size_t len = size ? size : PATH_MAX;
	char *b;
	long r;

	if (!vu_wants(VU_NR_getcwd) && vu_real_getcwd) {
		unsigned char s = vu_allow_for(VU_FN_getcwd, VU_NR_getcwd);
		char *p = vu_real_getcwd(buf, size);

		vu_restore(s);
		return p;
	}
	if (buf) {
		r = size ? dispatch_getcwd(buf, size) : -EINVAL;
		if (r < 0) {
			vu_set_errno(r);
			return NULL;
		}
		return buf;
	}
	for (;;) {
		b = malloc(len);
		if (!b)
			return NULL;
		r = dispatch_getcwd(b, len);
		if (r >= 0 || r != -ERANGE || size || len >= 16 * PATH_MAX)
			break;
		free(b);
		len *= 2;	/* size 0: grow until it fits */
	}
	if (r < 0) {
		free(b);
		vu_set_errno(r);
		return NULL;
	}
	if (!size) {
		char *s = realloc(b, r);

		if (s)
			b = s;
	}
	return b;
}
#endif
