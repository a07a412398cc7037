/* names -- the system's names as a program sees them: uname through libc
 * and as an inline syscall, gethostname and getdomainname with buffers of
 * every size from 1 to 12 and a roomy one (glibc's truncation and errors). */
#include "probe.h"
#include <sys/utsname.h>

static void show(const char *how, const struct utsname *u)
{
	printf("%s: %s|%s|%s|%s|%s|%s\n", how, u->sysname, u->nodename, u->release,
	       u->version, u->machine, u->domainname);
}

int main(void)
{
	struct utsname u;
	char buf[256];

	CHECK(uname(&u) == 0);
	show("libc uname", &u);
	memset(&u, 0, sizeof(u));
	CHECK(raw3(SYS_uname, &u, 0, 0) == 0);
	show("raw uname", &u);
	for (size_t len = 1; len <= 13; len++) {
		int r;

		memset(buf, '#', sizeof(buf));
		errno = 0;
		r = len == 13 ? gethostname(buf, sizeof(buf)) : gethostname(buf, len);
		printf("gethostname(%zu): %d %s \"%.*s\"\n", len == 13 ? sizeof(buf) : len, r,
		       r ? strerror(errno) : "ok", (int)(len == 13 ? strlen(buf) : len), buf);
		memset(buf, '#', sizeof(buf));
		r = len == 13 ? getdomainname(buf, sizeof(buf)) : getdomainname(buf, len);
		printf("getdomainname(%zu): %d \"%.*s\"\n", len == 13 ? sizeof(buf) : len, r,
		       (int)(len == 13 ? strlen(buf) : len), buf);
	}
	return 0;
}
