/*
 * fchmodat.c -- glibc's fchmodat(fd, path, mode, flag) on the fast path
 * (syscalls.json marks it custom: the system call has no flag argument).
 *
 * flag 0 is the system call. AT_SYMLINK_NOFOLLOW on a symlink is refused
 * with EOPNOTSUPP as glibc does (Linux cannot chmod a symlink); on anything
 * else it is the same call, which does not follow a link the target is not.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_core.h"
#include "vu_libc.h"

static long bottom_fchmodat(struct vu_call *c)
{
	struct vu_bottom_state s = vu_allow_bottom(VU_FN_fchmodat, SYS_fchmodat);
	long r = vu_take_errno(vu_real_fchmodat((int)c->args[0], (const char *)c->args[1],
						(mode_t)c->args[2], 0));

	vu_restore_bottom(s);
	return r;
}

VU_EXPORT int fchmodat(int dfd, const char *path, mode_t mode, int flag)
{
	struct vu_call c = VU_CALL(SYS_fchmodat, dfd, (long)path, mode);
	struct stat st;
	long r;

	if (!vu_wants(SYS_fchmodat) && vu_real_fchmodat) {
		unsigned char s = vu_allow_for(VU_FN_fchmodat, SYS_fchmodat);

		r = vu_real_fchmodat(dfd, path, mode, flag);
		vu_restore(s);
		return (int)r;
	}
	if (flag & ~AT_SYMLINK_NOFOLLOW)
		return (int)vu_set_errno(-EINVAL);
	if (flag) {
		/* through vu's own fstatat wrapper: the layers must see this
		 * lookup as the program's (a bound or overlaid path) */
		if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW))
			return -1;
		if (S_ISLNK(st.st_mode))
			return (int)vu_set_errno(-EOPNOTSUPP);
	}
	return (int)vu_set_errno(vu_libc_call(&c, vu_real_fchmodat ? bottom_fchmodat : NULL));
}
