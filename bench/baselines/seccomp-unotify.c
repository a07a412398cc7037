/*
 * baseline-seccomp-unotify PROGRAM ARGS -- the seed virtualization with
 * seccomp user notification: the program's filter returns
 * SECCOMP_RET_USER_NOTIF for the seed calls (open, openat, the stat family)
 * and hands the listener fd to this supervisor. For /etc/passwd the
 * supervisor opens /etc/hostname itself and installs the descriptor in the
 * program as the call's result (SECCOMP_IOCTL_NOTIF_ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND), or stats it and writes the result into the
 * program's buffer; every other call continues in the kernel
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
 */
#include "baseline.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *me = "baseline-seccomp-unotify";

static void send_fd(int sock, int fd)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec io = { &c, 1 };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &m, 0) != 1)
		bl_die(me, "sendmsg");
}

static int recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec io = { &c, 1 };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, 0) != 1 || !(cm = CMSG_FIRSTHDR(&m)) || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void child_main(int sock, char **argv)
{
	struct sock_filter f[] = BL_FILTER(SECCOMP_RET_USER_NOTIF);
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int lfd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		bl_die(me, "PR_SET_NO_NEW_PRIVS");
	lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (lfd < 0)
		bl_die(me, "seccomp");
	send_fd(sock, lfd);
	close(lfd);
	close(sock);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "%s: %s: %s\n", me, argv[1], strerror(errno));
	_exit(127);
}

/* the stat family, done here on SEED_TO, the result copied to the
 * program's buffer: 0 or -errno */
static long stat_for(pid_t pid, const struct seccomp_data *d)
{
	const unsigned long long *a = d->args;
	union { struct stat st; struct statx stx; } u;
	unsigned long to;
	size_t len = sizeof(u.st);
	int r;

	switch (d->nr) {
	case __NR_stat: r = stat(SEED_TO, &u.st); to = a[1]; break;
	case __NR_lstat: r = lstat(SEED_TO, &u.st); to = a[1]; break;
	case __NR_newfstatat: r = fstatat(AT_FDCWD, SEED_TO, &u.st, (int)a[3]); to = a[2]; break;
	default:
		r = statx(AT_FDCWD, SEED_TO, (int)a[2], (unsigned)a[3], &u.stx);
		to = a[4];
		len = sizeof(u.stx);
	}
	if (r)
		return -errno;
	struct iovec l = { &u, len }, rv = { (void *)to, len };

	return process_vm_writev(pid, &l, 1, &rv, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* answer one notification */
static void serve(int lfd, struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	int a = bl_path_arg(req->data.nr), flags, fd;
	int is_open = req->data.nr == __NR_open || req->data.nr == __NR_openat;

	if (a >= 0 && !is_open && bl_is_seed(req->pid, req->data.args[a]) &&
	    !ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id)) {
		long r = stat_for(req->pid, &req->data);

		resp->id = req->id;
		resp->val = 0;
		resp->error = (int)r;
		resp->flags = 0;
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, resp);
		return;
	}
	if (a >= 0 && is_open && bl_is_seed(req->pid, req->data.args[a]) &&
	    !ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id)) {
		flags = (int)req->data.args[a + 1];
		fd = open(SEED_TO, flags & ~O_CLOEXEC, (mode_t)req->data.args[a + 2]);
		if (fd >= 0) {
			struct seccomp_notif_addfd add = {
				.id = req->id,
				.flags = SECCOMP_ADDFD_FLAG_SEND,
				.srcfd = fd,
				.newfd = 0,
				.newfd_flags = flags & O_CLOEXEC,
			};

			ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
			close(fd);
			return;
		}
		resp->id = req->id;
		resp->val = 0;
		resp->error = -errno;
		resp->flags = 0;
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, resp);
		return;
	}
	resp->id = req->id;
	resp->val = 0;
	resp->error = 0;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

int main(int argc, char **argv)
{
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int sv[2], lfd, st = 0;
	pid_t child;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM ARGS\n", me);
		return 2;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz))
		bl_die(me, "SECCOMP_GET_NOTIF_SIZES");
	req = calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req));
	resp = calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		bl_die(me, "socketpair");
	child = fork();
	if (child < 0)
		bl_die(me, "fork");
	if (child == 0) {
		close(sv[0]);
		child_main(sv[1], argv);
	}
	close(sv[1]);
	lfd = recv_fd(sv[0]);
	close(sv[0]);
	if (lfd < 0) {
		waitpid(child, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
	}
	for (;;) {
		struct pollfd p = { lfd, POLLIN, 0 };

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			bl_die(me, "poll");
		}
		if (p.revents & POLLIN) {
			memset(req, 0, sz.seccomp_notif);
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0)
				serve(lfd, req, resp);
			continue;
		}
		if (p.revents & (POLLHUP | POLLERR))
			break;	/* no process uses the filter any more */
	}
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
