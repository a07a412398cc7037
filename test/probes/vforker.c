/* vforker -- vfork children that do what pex-unix (gcc's driver) and
 * _posixsubprocess do between vfork and exec: dup2 a pipe onto stdout,
 * close descriptors, open a file, exec a program by PATH (failing first),
 * or _exit; N rounds, then the parent's own calls.
 *
 * usage: vforker N PATH
 * Prints what the children wrote to the pipe (the first round's, then a
 * count of identical rounds), their statuses, and the parent's reads of
 * PATH after the rounds (libc open and fstatat, twice). */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char first[4 * 4096];

/* one child: 0 exec cat PATH, 1 _exit(7), 2 a failing exec then cat,
 * 3 open PATH in the child and exec cat on fd 0 */
/* what the child wrote, until it closes the pipe */
static void drain(int fd, char *out, size_t len)
{
	size_t got = 0;
	long n;

	while (got < len - 1 && (n = read(fd, out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
}

static int child(int kind, const char *path, char *out, size_t len)
{
	int p[2], st;
	pid_t pid;

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	pid = vfork();
	if (pid == 0) {
		char *const cat[] = { "cat", (char *)path, NULL };
		char *const cat0[] = { "cat", NULL };

		if (dup2(p[1], 1) < 0)
			_exit(90);
		close(p[0]);
		switch (kind) {
		case 1:
			_exit(7);
		case 2:
			execv("/nonexistent/cat", cat);	/* ENOENT, then the real one */
			execvp("cat", cat);
			_exit(91);
		case 3: {
			int fd = open(path, O_RDONLY);

			if (fd < 0 || dup2(fd, 0) < 0)
				_exit(92);
			execvp("cat", cat0);
			_exit(93);
		}
		default:
			execvp("cat", cat);
			_exit(94);
		}
	}
	CHECK(pid > 0);
	close(p[1]);
	drain(p[0], out, len);
	close(p[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	int n, same = 0, statuses[4] = { 0 };
	const char *path;
	char buf[4096], all[4 * 4096];

	CHECK(argc == 3);
	n = atoi(argv[1]);
	path = argv[2];

	for (int i = 0; i < n; i++) {
		size_t o = 0;

		for (int k = 0; k < 4; k++) {
			statuses[k] = child(k, path, buf, sizeof(buf));
			o += (size_t)snprintf(all + o, sizeof(all) - o, "child %d: status %d: %s\n", k, statuses[k], buf);
		}
		if (i == 0)
			snprintf(first, sizeof(first), "%s", all);
		else if (!strcmp(first, all))
			same++;
	}
	printf("%srounds like the first: %d of %d\n", first, same + 1, n);
	for (int k = 0; k < 2; k++) {
		struct stat st;
		int fd = open(path, O_RDONLY);
		long r;

		CHECK(fd >= 0);
		r = read(fd, buf, sizeof(buf) - 1);
		buf[r > 0 ? r : 0] = 0;
		close(fd);
		CHECK(fstatat(AT_FDCWD, path, &st, 0) == 0);
		printf("parent: %s(size %lld)\n", buf, (long long)st.st_size);
	}
	return 0;
}
