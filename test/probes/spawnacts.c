/*
 * spawnacts -- posix_spawn and posix_spawnp with every file action and
 * attribute, each child a shell that prints what it got: descriptors,
 * working folder, signal dispositions and mask, process group, session.
 * The test compares the output natively and under vu.
 *
 * usage: spawnacts DIR   (a scratch folder; its files are named in the output)
 */
#include "probe.h"
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

static const char *dir;

/* print what a child sees; its output goes to our stdout */
static const char *report =
	"echo \"  cwd=$(pwd | sed \"s|$D|DIR|\")\"; "
	"for f in 3 4 5 6 7 8 9; do [ -e /proc/self/fd/$f ] && echo \"  fd $f -> $(readlink /proc/self/fd/$f | sed \"s|$D|DIR|\")\"; done; "
	"grep -E '^(SigBlk|SigIgn)' /proc/self/status | sed 's/^/  /'; "
	"echo \"  pgid=$( [ $(cut -d' ' -f5 /proc/self/stat) = $$ ] && echo self || echo inherited)\"; "
	"echo \"  sid=$( [ $(cut -d' ' -f6 /proc/self/stat) = $$ ] && echo self || echo inherited)\"; "
	"[ -f out ] && echo \"  out: $(cat out)\"; exit 7";

static void run(const char *what, int p, const char *file, posix_spawn_file_actions_t *fa,
		posix_spawnattr_t *at, char *const *argv)
{
	pid_t pid = 0;
	int st = 0, r;

	printf("%s:\n", what);	/* before the child can write */
	fflush(stdout);
	r = p ? posix_spawnp(&pid, file, fa, at, argv, environ)
	      : posix_spawn(&pid, file, fa, at, argv, environ);
	if (r) {
		printf("  error %s\n", strerrorname_np(r));
		return;
	}
	waitpid(pid, &st, 0);
	printf("  status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

static void handler(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	char path[4200], sub[4096];
	char *const sh[] = { "sh", "-c", (char *)report, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t set;
	int dfd;

	if (argc != 2)
		return 2;
	dir = argv[1];
	setenv("D", dir, 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(sub, sizeof(sub), "%.4000s/sub", dir);
	mkdir(sub, 0755);
	signal(SIGUSR1, handler);
	signal(SIGUSR2, SIG_IGN);

	run("plain", 0, "/bin/sh", NULL, NULL, sh);
	run("plain p", 1, "sh", NULL, NULL, sh);

	posix_spawn_file_actions_init(&fa);
	snprintf(path, sizeof(path), "%s/out", sub);
	posix_spawn_file_actions_addchdir_np(&fa, sub);
	posix_spawn_file_actions_addopen(&fa, 5, "out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 5, 6);
	posix_spawn_file_actions_addclose(&fa, 5);
	posix_spawn_file_actions_addclose(&fa, 9);	/* not open: ignored */
	run("open chdir dup2 close", 0, "/bin/sh", &fa, NULL, sh);
	posix_spawn_file_actions_destroy(&fa);
	int w = open(path, O_WRONLY | O_APPEND);
	dprintf(w, "x\n");
	close(w);

	dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addfchdir_np(&fa, dfd);
	posix_spawn_file_actions_adddup2(&fa, dfd, dfd);	/* keeps it open across exec */
	run("fchdir, dup2 onto itself", 0, "/bin/sh", &fa, NULL, sh);
	posix_spawn_file_actions_destroy(&fa);

	int keep = open("/dev/null", O_RDONLY);	/* 4 or so, inherited */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, keep);
	run("closefrom", 0, "/bin/sh", &fa, NULL, sh);
	posix_spawn_file_actions_destroy(&fa);
	close(keep);

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, 100000);	/* out of range: EBADF */
	run("close out of range", 0, "/bin/sh", &fa, NULL, sh);
	posix_spawn_file_actions_destroy(&fa);

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 5, "/nonexistent/x", O_RDONLY, 0);
	run("open fails", 0, "/bin/sh", &fa, NULL, sh);
	posix_spawn_file_actions_addchdir_np(&fa, "/nonexistent");
	posix_spawn_file_actions_destroy(&fa);

	posix_spawnattr_init(&at);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	posix_spawnattr_setsigdefault(&at, &set);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	posix_spawnattr_setsigmask(&at, &set);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
				      POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_RESETIDS);
	run("sigdef sigmask pgroup resetids", 0, "/bin/sh", NULL, &at, sh);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	run("setsid", 1, "sh", NULL, &at, sh);
	posix_spawnattr_destroy(&at);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);	/* inherited by default */
	run("inherited mask", 0, "/bin/sh", NULL, NULL, sh);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	char *const none[] = { "x", NULL };
	run("missing", 0, "/nonexistent", NULL, NULL, none);
	run("missing p", 1, "no-such-program-here", NULL, NULL, none);
	run("not executable", 0, "/etc/hostname", NULL, NULL, none);
	snprintf(path, sizeof(path), "%s/script", dir);
	int s = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	dprintf(s, "echo no shebang\n");
	close(s);
	run("script without #!", 0, path, NULL, NULL, none);
	return 0;
}
