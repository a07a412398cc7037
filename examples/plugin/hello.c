/*
 * hello.c -- an example vu plugin: a read-only file that exists only for
 * the program, with contents from vu.json.
 *
 *   { "type": "plugin", "path": "./hello.so",
 *     "options": { "path": "/hello.txt", "contents": "hello from a plugin\n" } }
 *
 * open/openat of that exact path (after making it absolute) returns a
 * memfd holding the contents; opening it for writing fails with EROFS.
 * Everything else passes through. See README.md for the rules of the hook
 * path that this code follows: no malloc and no libc calls that make system
 * calls in enter(); vu_sys*() and vu_call_alloc() instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "vu_layer.h"

struct hello {
	const char *path;	/* absolute */
	const char *contents;
	size_t len;
};

/* init -- start-up, libc allowed: read and check the options */
static int hello_init(struct vu_layer *self, char *err, size_t errlen)
{
	struct hello *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	r = vu_option_string(self, "path", &h->path);
	if (r != 1 || h->path[0] != '/') {
		vu_format(err, errlen, "options.path: an absolute path (a string) is needed");
		return -EINVAL;
	}
	r = vu_option_string(self, "contents", &h->contents);
	if (r < 0) {
		vu_format(err, errlen, "options.contents must be a string");
		return -EINVAL;
	}
	if (r == 0)
		h->contents = "";
	h->len = strlen(h->contents);
	self->state = h;
	return 0;
}

/* wants -- which calls reach enter(): asked once per call, at its first use (the rules of the hook path) */
static int hello_wants(struct vu_layer *self, long nr)
{
	(void)self;
#ifdef VU_NR_open
	if (nr == VU_NR_open)
		return 1;
#endif
	return nr == VU_NR_openat;
}

/* a memfd with the contents, at offset 0 */
static long serve(const struct hello *h, int cloexec)
{
	long fd = vu_sys2(SYS_memfd_create, "vu-hello", cloexec ? MFD_CLOEXEC : 0);
	size_t done = 0;

	if (fd < 0)
		return fd;
	while (done < h->len) {
		long n = vu_sys3(SYS_write, fd, h->contents + done, h->len - done);

		if (n == -EINTR)
			continue;
		if (n <= 0) {
			vu_sys1(SYS_close, fd);
			return n < 0 ? n : -EIO;
		}
		done += n;
	}
	vu_sys3(SYS_lseek, fd, 0, SEEK_SET);
	return fd;
}

/* enter -- the hook path: every open/openat of the process, any thread */
static enum vu_action hello_enter(struct vu_layer *self, struct vu_call *c)
{
	const struct hello *h = self->state;
	int pi = c->nr == VU_NR_openat ? 1 : 0;	/* index of the path argument */
	long flags = c->args[pi + 1];
	char *abs = vu_call_alloc(c, 4096);

	if (!abs || vu_call_abspath(c, pi, abs, 4096) < 0 || strcmp(abs, h->path))
		return VU_CONTINUE;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_DIRECTORY)))
		c->ret = (flags & O_DIRECTORY) ? -ENOTDIR : -EROFS;
	else
		c->ret = serve(h, flags & O_CLOEXEC);
	vu_debug("hello: %s -> %ld", h->path, c->ret);
	return VU_DONE;
}

static const struct vu_layer_ops hello_ops = {
	.abi = VU_ABI_VERSION,
	.init = hello_init,
	.wants = hello_wants,
	.enter = hello_enter,
};

VU_PLUGIN("hello", &hello_ops);
