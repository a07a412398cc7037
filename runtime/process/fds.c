/*
 * fds.c -- vu's own file descriptors (the debug log, trace files) survive
 * the program: they live high and close-on-exec, close() of one answers
 * EBADF as if it were not open, dup2()/dup3() onto one moves vu's out of the
 * way first (and tells the owner, see vu_fd_keep_at), and close_range()
 * skips them.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include "vu_core.h"

#define VU_MAX_FDS 16

static int fds[VU_MAX_FDS];
static int *refs[VU_MAX_FDS];	/* where the owner keeps the number, or NULL */
static int nfds;
int vu_log_fd = -1;

int vu_fd_count(void)
{
	return nfds;
}

int vu_fd_is_ours(int fd)
{
	for (int i = 0; i < nfds; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}

static long floor_fd(void)
{
	struct rlimit rl;

	if (vu_sys2(SYS_getrlimit, RLIMIT_NOFILE, &rl) || rl.rlim_cur > 4096)
		return 4000;
	return rl.rlim_cur > 128 ? (long)rl.rlim_cur - 64 : 64;
}

/* a copy of fd at a high free number, close-on-exec; returns it or -errno */
static long dup_high(int fd)
{
	long nfd = vu_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor_fd());

	if (nfd < 0)
		nfd = vu_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 10);
	return nfd;
}

_Static_assert(VU_MAX_FDS <= VU_FDS_SAVED, "struct vu_fds_saved holds them all");

/* vu_fds_save, vu_fds_restore -- a child sharing this memory (spawn.c's)
 * that dup2()s over one of vu's descriptors moves vu's copy in its own
 * table, and the record of it here, which is its parent's as well: the
 * parent puts its own numbers back once the child has exec'd or exited
 * (the child's copies were close-on-exec) */
void vu_fds_save(struct vu_fds_saved *s)
{
	s->n = nfds;
	for (int i = 0; i < nfds; i++)
		s->fds[i] = fds[i];
	s->log = vu_log_fd;
}

void vu_fds_restore(const struct vu_fds_saved *s)
{
	for (int i = 0; i < s->n && i < nfds; i++) {
		if (fds[i] == s->fds[i])
			continue;
		fds[i] = s->fds[i];
		if (refs[i])
			__atomic_store_n(refs[i], s->fds[i], __ATOMIC_RELEASE);
	}
	vu_log_fd = s->log;
}

/* vu_fd_keep -- take fd as vu's own. Returns the fd to use, or -errno. */
int vu_fd_keep(int fd)
{
	long nfd;

	if (nfds >= VU_MAX_FDS)
		return -EMFILE;
	nfd = dup_high(fd);
	if (nfd < 0)
		return (int)nfd;
	vu_sys1(SYS_close, fd);
	refs[nfds] = NULL;
	fds[nfds++] = (int)nfd;
	return (int)nfd;
}

/* vu_fd_keep_at -- vu_fd_keep(*slot), and *slot follows the descriptor
 * whenever it has to move (the program dup2()s over it). Readers of *slot
 * in other threads load it atomically. Returns the fd, or -errno. */
int vu_fd_keep_at(int *slot)
{
	int fd = vu_fd_keep(*slot);

	if (fd < 0)
		return fd;
	refs[nfds - 1] = slot;
	__atomic_store_n(slot, fd, __ATOMIC_RELEASE);
	return fd;
}

static void moved(int from, int to)
{
	for (int i = 0; i < nfds; i++) {
		if (fds[i] != from)
			continue;
		fds[i] = to;
		if (refs[i])
			__atomic_store_n(refs[i], to, __ATOMIC_RELEASE);
	}
	if (vu_log_fd == from)
		vu_log_fd = to;
}

static long close_range_around(unsigned int lo, unsigned int hi, unsigned int flags)
{
	/* close [lo, hi] in pieces that skip vu's descriptors */
	unsigned int start = lo;
	long r = 0;

	while (start <= hi) {
		unsigned int next = hi, found = 0;

		for (int i = 0; i < nfds; i++) {
			unsigned int f = fds[i];

			if (f >= start && f <= next) {
				next = f;
				found = 1;
			}
		}
		if (!found)
			return vu_sys3(SYS_close_range, start, hi, flags);
		if (next > start)
			r = vu_sys3(SYS_close_range, start, next - 1, flags);
		if (r < 0 || next == ~0U)
			return r;
		start = next + 1;
	}
	return r;
}

/* vu_fd_bottom -- close, dup2, dup3, close_range with vu's fds in mind. */
long vu_fd_bottom(struct vu_call *c, int *handled)
{
	int fd;

	*handled = 0;
	switch (c->nr) {
	case SYS_close:
		if (vu_fd_is_ours((int)c->args[0])) {
			*handled = 1;
			return -EBADF;
		}
		break;
	case SYS_dup2:
	case SYS_dup3:
		fd = (int)c->args[1];
		if (vu_fd_is_ours(fd) && c->args[0] != c->args[1]) {
			long nfd = dup_high(fd);

			if (nfd < 0) {
				*handled = 1;
				return nfd;
			}
			/* owners switch to the copy before the old number goes */
			moved(fd, (int)nfd);
			vu_sys1(SYS_close, fd);
		}
		break;
	case SYS_close_range:
		*handled = 1;
		return close_range_around((unsigned int)c->args[0], (unsigned int)c->args[1],
					  (unsigned int)c->args[2]);
	}
	return 0;
}
