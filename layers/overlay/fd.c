/*
 * fd.c -- descriptors on lower files. As on overlayfs since Linux
 * 4.19, a read-only descriptor opened on a lower file reads the upper copy
 * once the file has been copied up, also when another process did it: a
 * counter in a page shared by every process of the overlay
 * (upper/.wh..wh..gen) counts copy-ups; per descriptor opened on a lower
 * file a process remembers the count it saw; a read, seek, stat or mmap
 * through it after the count moved re-opens the upper copy in its place
 * (same number, status flags, close-on-exec and offset).
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include "overlay.h"

static unsigned int gen_now(const struct ovl *o)
{
	return o->gen ? __atomic_load_n(o->gen, __ATOMIC_SEQ_CST) : 0;
}

/* ovl_fd_mark -- remember v for fd (0: not a lower file) */
void ovl_fd_mark(struct ovl *o, long fd, unsigned int v)
{
	if (o->fdgen && fd >= 0 && fd < OVL_MAXFD)
		o->fdgen[fd] = v;
}

/* ovl_repoint -- put a descriptor on path in fd's place: same number, status
 * flags, close-on-exec and offset */
long ovl_repoint(int fd, const char *path)
{
	long fl = vu_sys2(SYS_fcntl, fd, F_GETFL), fdfl = vu_sys2(SYS_fcntl, fd, F_GETFD);
	long off, nfd, r;

	if (fl < 0 || fdfl < 0)
		return fl < 0 ? fl : fdfl;
	off = vu_sys3(SYS_lseek, fd, 0, SEEK_CUR);
	fl &= O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME | O_DIRECT | O_SYNC | O_DSYNC |
	      O_PATH | O_LARGEFILE;
	nfd = vu_sys4(SYS_openat, AT_FDCWD, path, fl | O_CLOEXEC | O_NOFOLLOW, 0);
	if (nfd < 0)
		return nfd;
	if (off > 0)
		vu_sys3(SYS_lseek, nfd, off, SEEK_SET);
	r = vu_sys3(SYS_dup3, nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
	vu_sys1(SYS_close, nfd);
	return r < 0 ? r : 0;
}

/* ovl_fd_follow -- if fd is on a lower file that has been copied up since it
 * was last looked at, put the upper copy in its place */
void ovl_fd_follow(struct ovl *o, struct vu_call *c, long fd)
{
	unsigned int m, g;
	struct ovl_req q;
	struct ovl_res r;
	const char *rest;

	if (!o->fdgen || fd < 0 || fd >= OVL_MAXFD || !(m = o->fdgen[fd]))
		return;
	g = gen_now(o);
	if (o->gen && m == g + 1)
		return;
	if (!ovl_req_init(&q, o, c, 1)) {
		vu_call_release(c, q.mark0);
		return;
	}
	if (ovl_fd_path((int)fd, q.w->full, PATH_MAX) < 0 || ovl_under(o, q.w->full, &rest) != 1) {
		ovl_fd_mark(o, fd, 0);
		goto out;
	}
	while (*rest == '/')
		rest++;
	vu_memcpy(q.rel[0], rest, vu_strlen(rest) + 1);
	if (ovl_req_resolve(&q, 0, 0, &r) < 0 || !S_ISREG(r.st.st_mode)) {
		ovl_fd_mark(o, fd, 0);
		goto out;
	}
	if (r.where == OVL_UPPER) {
		if (ovl_real(o, &r, q.w->full, PATH_MAX) >= 0 && ovl_repoint((int)fd, q.w->full) == 0)
			vu_debug("overlay: fd %ld now on the copy-up %s", fd, q.w->full);
		ovl_fd_mark(o, fd, 0);
	} else {
		ovl_fd_mark(o, fd, g + 1);
	}
out:
	vu_call_release(c, q.mark0);
}

