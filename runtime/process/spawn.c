/*
 * spawn.c -- posix_spawn and posix_spawnp with vu's own child.
 *
 * glibc's posix_spawn runs its child (CLONE_VM | CLONE_VFORK, on a stack
 * of its own) entirely inside libc: the file actions' opens and chdirs and
 * the exec are internal calls. In "libc" mode no layer saw them (a hidden
 * or remapped program was run as it is on the host), and in "all" mode
 * the child trapped some 70 times per spawn (it queries and resets all 64
 * signals; make's recipes: 480 traps). Here the child is glibc's, step by
 * step, with vu's calls: the opens, chdirs, dup2s and the exec go through
 * the dispatcher and the layers; the signal resets are gate calls.
 *
 * The file actions are glibc's private structure. At first use, one of
 * each kind is made with glibc's own functions and read back: if the
 * layout is not the one expected (another glibc), or a spawn uses an
 * attribute flag or an action this file does not know, glibc's posix_spawn
 * is used instead (as before this file).
 *
 * The child shares the parent's memory, this thread's vu block and selector
 * included, until its exec: the parent puts back its dispatch depth and its
 * selector afterwards, and nothing here allocates.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "vu_core.h"

int vu_exec_search(const char *file, char *const argv[], char *const envp[], int scripts)
	VU_HIDDEN;
int vu_spawn(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
	     const posix_spawnattr_t *attr, char *const argv[], char *const envp[], int search)
	VU_HIDDEN;

/* glibc's struct __spawn_action (posix/spawn_int.h, 2.29 to 2.36 at least) */
enum { DO_CLOSE, DO_DUP2, DO_OPEN, DO_CHDIR, DO_FCHDIR, DO_CLOSEFROM, DO_TCSETPGRP, DO_KINDS };

struct action {
	int tag;
	union {
		struct { int fd; } close;
		struct { int fd, newfd; } dup2;
		struct { int fd; char *path; int oflag; mode_t mode; } open;
		struct { char *path; } chdir;
		struct { int fd; } fchdir;
		struct { int from; } closefrom;
		struct { int fd; } tcsetpgrp;
	} a;
};

struct actions {		/* posix_spawn_file_actions_t's public fields */
	int allocated, used;
	struct action *list;
};
_Static_assert(sizeof(struct actions) <= sizeof(posix_spawn_file_actions_t), "file actions");

#define KNOWN_FLAGS (POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | \
		     POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSCHEDPARAM |                    \
		     POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_USEVFORK | POSIX_SPAWN_SETSID)

static int layout;		/* 0 not checked, 1 as expected, -1 other: glibc's */

typedef int add_fd_fn(posix_spawn_file_actions_t *, int);

/* make one action of each kind with glibc and read them back */
static int check_layout(void)
{
	add_fd_fn *closefrom = (add_fd_fn *)dlsym(RTLD_DEFAULT, "posix_spawn_file_actions_addclosefrom_np");
	add_fd_fn *tcsetpgrp = (add_fd_fn *)dlsym(RTLD_DEFAULT, "posix_spawn_file_actions_addtcsetpgrp_np");
	posix_spawn_file_actions_t fa;
	const struct actions *p = (const struct actions *)&fa;
	const struct action *l;
	int ok, n = 5;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	ok = !posix_spawn_file_actions_addclose(&fa, 101) &&
	     !posix_spawn_file_actions_adddup2(&fa, 102, 103) &&
	     !posix_spawn_file_actions_addopen(&fa, 104, "/vu/o", O_RDONLY | O_CLOEXEC, 0640) &&
	     !posix_spawn_file_actions_addchdir_np(&fa, "/vu/c") &&
	     !posix_spawn_file_actions_addfchdir_np(&fa, 105);
	if (ok && closefrom && !closefrom(&fa, 106))
		n++;
	if (ok && closefrom && tcsetpgrp && !tcsetpgrp(&fa, 107))
		n++;
	l = p->list;
	ok = ok && p->used == n && l &&
	     l[0].tag == DO_CLOSE && l[0].a.close.fd == 101 &&
	     l[1].tag == DO_DUP2 && l[1].a.dup2.fd == 102 && l[1].a.dup2.newfd == 103 &&
	     l[2].tag == DO_OPEN && l[2].a.open.fd == 104 && l[2].a.open.path &&
	     !strcmp(l[2].a.open.path, "/vu/o") && l[2].a.open.oflag == (O_RDONLY | O_CLOEXEC) &&
	     l[2].a.open.mode == 0640 &&
	     l[3].tag == DO_CHDIR && l[3].a.chdir.path && !strcmp(l[3].a.chdir.path, "/vu/c") &&
	     l[4].tag == DO_FCHDIR && l[4].a.fchdir.fd == 105 &&
	     (n < 6 || (l[5].tag == DO_CLOSEFROM && l[5].a.closefrom.from == 106)) &&
	     (n < 7 || (l[6].tag == DO_TCSETPGRP && l[6].a.tcsetpgrp.fd == 107));
	posix_spawn_file_actions_destroy(&fa);
	return ok ? 1 : -1;
}

struct child {
	const char *file;
	char *const *argv, *const *envp;
	const struct actions *fa;
	short flags;
	pid_t pgroup;
	sigset_t sigdef, sigmask, oldmask;
	struct sched_param sched;
	int policy, search;
	volatile int err;
};

/* a call through the dispatcher: the layers see it; -errno or the result */
static long call(long nr, long a, long b, long c, long d, long e)
{
	struct vu_call vc = VU_CALL(nr, a, b, c, d, e);

	return vu_libc_call(&vc, NULL);
}

/* the same, made as it is at the bottom (no emulation of the process
 * model: the child shares the parent's memory) */
static long real_call(long nr, long a, long b, long c, long d)
{
	struct vu_call vc = VU_CALL(nr, a, b, c, d);

	vc.core_tmp[1] = VU_REAL_MARK;
	return vu_libc_call(&vc, NULL);
}

/* what glibc's __spawni_child does, in order */
static int child_main(void *arg)
{
	struct child *ch = arg;
	struct vu_ksigaction dfl = { .handler = SIG_DFL }, ign = { .handler = SIG_IGN }, cur;
	long r = 0;

	/* no handler of the parent's may run here: every signal with one goes
	 * back to SIG_DFL. Through the stack (a trace shows them, as strace
	 * shows glibc's child) but made as they are, not emulated
	 * (VU_REAL_MARK: vu's record of the program's handlers is the
	 * parent's memory too). vu's SIGSYS handler stays. */
	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || (sig == SIGSYS && vu.mode == VU_MODE_ALL))
			continue;
		if ((ch->flags & POSIX_SPAWN_SETSIGDEF) && sigismember(&ch->sigdef, sig)) {
			real_call(SYS_rt_sigaction, sig, (long)&dfl, 0, 8);
		} else if (sig == 32 || sig == 33) {
			real_call(SYS_rt_sigaction, sig, (long)&ign, 0, 8);	/* glibc's own two, as glibc does */
		} else if (!real_call(SYS_rt_sigaction, sig, 0, (long)&cur, 8) && cur.handler != SIG_DFL &&
			   cur.handler != SIG_IGN) {
			real_call(SYS_rt_sigaction, sig, (long)&dfl, 0, 8);
		}
	}
	if ((ch->flags & (POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER)) == POSIX_SPAWN_SETSCHEDPARAM)
		r = call(SYS_sched_setparam, 0, (long)&ch->sched, 0, 0, 0);
	else if (ch->flags & POSIX_SPAWN_SETSCHEDULER)
		r = call(SYS_sched_setscheduler, 0, ch->policy, (long)&ch->sched, 0, 0);
	if (!r && (ch->flags & POSIX_SPAWN_SETSID))
		r = call(SYS_setsid, 0, 0, 0, 0, 0);
	if (r >= 0 && (ch->flags & POSIX_SPAWN_SETPGROUP))
		r = call(SYS_setpgid, 0, ch->pgroup, 0, 0, 0);
	if (r >= 0 && (ch->flags & POSIX_SPAWN_RESETIDS)) {
		r = call(SYS_setresuid, -1, call(SYS_getuid, 0, 0, 0, 0, 0), -1, 0, 0);
		if (!r)
			r = call(SYS_setresgid, -1, call(SYS_getgid, 0, 0, 0, 0, 0), -1, 0, 0);
	}
	for (int i = 0; r >= 0 && ch->fa && i < ch->fa->used; i++) {
		const struct action *a = &ch->fa->list[i];

		switch (a->tag) {
		case DO_CLOSE:
			r = call(SYS_close, a->a.close.fd, 0, 0, 0, 0);
			if (r < 0) {
				struct rlimit rl;

				/* only a descriptor out of range is an error */
				r = a->a.close.fd < 0 ||
				    (!vu_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &rl) &&
				     (rlim_t)a->a.close.fd >= rl.rlim_cur) ? -EBADF : 0;
			}
			break;
		case DO_OPEN:
			call(SYS_close, a->a.open.fd, 0, 0, 0, 0);
			r = call(SYS_openat, AT_FDCWD, (long)a->a.open.path, a->a.open.oflag | O_LARGEFILE,
				 a->a.open.mode, 0);
			if (r >= 0 && r != a->a.open.fd) {
				long fd = r;

				r = call(SYS_dup2, fd, a->a.open.fd, 0, 0, 0);
				if (r >= 0)
					r = call(SYS_close, fd, 0, 0, 0, 0);
			}
			break;
		case DO_DUP2:
			if (a->a.dup2.fd == a->a.dup2.newfd) {
				/* Austin Group 411: the same fd clears close-on-exec */
				r = call(SYS_fcntl, a->a.dup2.fd, F_GETFD, 0, 0, 0);
				if (r >= 0)
					r = call(SYS_fcntl, a->a.dup2.fd, F_SETFD, r & ~FD_CLOEXEC, 0, 0);
			} else {
				r = call(SYS_dup2, a->a.dup2.fd, a->a.dup2.newfd, 0, 0, 0);
			}
			break;
		case DO_CHDIR:
			r = call(SYS_chdir, (long)a->a.chdir.path, 0, 0, 0, 0);
			break;
		case DO_FCHDIR:
			r = call(SYS_fchdir, a->a.fchdir.fd, 0, 0, 0, 0);
			break;
		case DO_CLOSEFROM:
			r = call(SYS_close_range, a->a.closefrom.from, ~0U, 0, 0, 0);
			break;
		case DO_TCSETPGRP: {
			pid_t pg = (ch->flags & POSIX_SPAWN_SETPGROUP) && ch->pgroup ? ch->pgroup
				   : (pid_t)call(SYS_getpgid, 0, 0, 0, 0, 0);

			r = call(SYS_ioctl, a->a.tcsetpgrp.fd, TIOCSPGRP, (long)&pg, 0, 0);
			break;
		}
		}
	}
	if (r >= 0) {
		/* the program's own mask (vu's wrapper keeps SIGSYS deliverable) */
		sigprocmask(SIG_SETMASK, ch->flags & POSIX_SPAWN_SETSIGMASK ? &ch->sigmask : &ch->oldmask,
			    NULL);
		if (ch->search)
			vu_exec_search(ch->file, ch->argv, ch->envp, 0);
		else
			execve(ch->file, ch->argv, ch->envp);
		r = -errno;
	}
	ch->err = r < 0 && r > -4096 ? (int)-r : EINVAL;
	vu_sys1(SYS_exit_group, 127);
	return 127;
}

/* vu_spawn -- posix_spawn(p) with vu's child: the error number, 0, or -1
 * when glibc's must do it (a layout, flag or action vu does not know). */
int vu_spawn(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
	     const posix_spawnattr_t *attr, char *const argv[], char *const envp[], int search)
{
	const struct actions *acts = (const struct actions *)fa;
	struct child ch;
	sigset_t all;
	size_t argc = 0, size;
	void *stack;
	unsigned char sel;
	long r;
	int ec, depth;
	struct vu_fds_saved fsv;

	if (!__atomic_load_n(&layout, __ATOMIC_ACQUIRE))
		__atomic_store_n(&layout, check_layout(), __ATOMIC_RELEASE);
	if (layout < 0 || !vu.lib_path)
		return -1;
	memset(&ch, 0, sizeof(ch));
	if (attr) {
		if (posix_spawnattr_getflags(attr, &ch.flags) || (ch.flags & ~KNOWN_FLAGS))
			return -1;
		posix_spawnattr_getpgroup(attr, &ch.pgroup);
		posix_spawnattr_getsigdefault(attr, &ch.sigdef);
		posix_spawnattr_getsigmask(attr, &ch.sigmask);
		posix_spawnattr_getschedparam(attr, &ch.sched);
		posix_spawnattr_getschedpolicy(attr, &ch.policy);
	}
	if (acts) {
		if (acts->used < 0 || (acts->used && !acts->list))
			return -1;
		for (int i = 0; i < acts->used; i++)
			if (acts->list[i].tag < 0 || acts->list[i].tag >= DO_KINDS)
				return -1;
		ch.fa = acts;
	}
	ch.file = file;
	ch.argv = argv;
	ch.envp = envp;
	ch.search = search;
	/* room for the child: vu's dispatch runs on it (glibc: argv + 32 KiB) */
	while (argv && argv[argc])
		argc++;
	size = ((argc + 1) * sizeof(char *) + 256 * 1024 + 4095) & ~4095UL;
	r = vu_sys6(SYS_mmap, 0, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (r < 0 && r > -4096)
		return (int)-r;
	stack = (void *)r;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &ch.oldmask);
	/* the child's wrapped calls take dispatch levels of this thread's block
	 * and open its selector (shared memory), and its exec never gives them
	 * back: both are put back here */
	sel = vu_selector;
	if (vu_self)
		vu_vfork_settle(vu_self);	/* (a vfork child's level, not ours to keep) */
	depth = vu_self ? vu_self->depth : 0;
	vu_fds_save(&fsv);
	r = clone(child_main, (char *)stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, &ch);
	vu_fds_restore(&fsv);	/* (a dup2 over one of vu's descriptors moved it in the child only) */
	if (vu_self) {
		vu_self->depth = depth;
		vu_self->vfork_pending = 0;
	}
	vu_selector = sel;
	if (r > 0) {
		ec = ch.err;
		if (ec > 0)
			waitpid((pid_t)r, NULL, 0);
	} else {
		ec = errno;
	}
	vu_sys2(SYS_munmap, stack, size);
	if (!ec && pid)
		*pid = (pid_t)r;
	sigprocmask(SIG_SETMASK, &ch.oldmask, NULL);
	return ec;
}
