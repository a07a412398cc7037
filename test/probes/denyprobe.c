/* denyprobe -- calls a deny layer may refuse, through libc and as inline
 * syscalls, each printed with its result:
 *   denyprobe DIR   mkdir DIR/libc and DIR/raw, sigaction(SIGUSR1), getppid */
#include <signal.h>
#include <sys/stat.h>
#include "probe.h"

static void say(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror((int)-r) : "ok");
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct sigaction sa = { .sa_handler = on_usr1 };

	CHECK(argc == 2);
	snprintf(path, sizeof(path), "%s/libc", argv[1]);
	say("libc mkdir", mkdir(path, 0755) ? -errno : 0);
	snprintf(path, sizeof(path), "%s/raw", argv[1]);
	say("raw mkdir", raw3(SYS_mkdir, path, 0755, 0));
	say("libc sigaction", sigaction(SIGUSR1, &sa, NULL) ? -errno : 0);
	say("raw getppid", raw3(SYS_getppid, 0, 0, 0));
	return 0;
}
