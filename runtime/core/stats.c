/*
 * stats.c -- VU_STATS=FILE: how many calls came in through the libc
 * wrappers and how many trapped (SUD), per process, for the bench's
 * "traps per 1,000 system calls". Off unless the variable is set at
 * start-up; then the counters are relaxed atomics, and each process appends
 * {"pid":..,"libc":N,"sud":M,"exe":"..","traps":{"openat":K,..}} to FILE
 * before exec and at exit (a line per image; lines of one process add up).
 * "traps" names the calls that still trapped: what the fast path misses;
 * "sites" names where they trapped, busiest first: the module (from
 * /proc/self/maps) and offset of the syscall instruction, the call, the
 * count, and why it is not on the fast path. With VU_REWRITE=1 (rewrite.c)
 * "sud" says "rewritten" or why the site stays on SUD, "rw" counts the
 * calls made through rewritten sites (not traps) and "rewritten" lists
 * those sites with their calls.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "vu_core.h"

int vu_stats_on;
unsigned long vu_stats_libc;
unsigned long vu_stats_rw_allow;
unsigned long vu_stats_vc[2];	/* the verdict cache: answered, asked in vain */
static unsigned long stats_sud, stats_rw;
static unsigned long stats_nr[VU_NR_COUNT] VU_BIG_BSS;
static char stats_path[PATH_MAX] VU_PAGE_BSS;

/* trapping sites: open addressing on the instruction's address */
#define SITES 1024
#define SITES_SHOWN 40
struct site {
	unsigned long at;	/* address after the syscall instruction; 0: free */
	long nr;
	unsigned long n;
};
static struct site sites[SITES] VU_BIG_BSS;

/* vu_stats_site -- from the SIGSYS handler: one trap at address at */
void vu_stats_site(unsigned long at, long nr)
{
	unsigned long h;

	if (vu_rewrite_on)
		at = vu_rewrite_origin(at);	/* a trampoline's own syscall: its site */
	h = (at * 0x9E3779B97F4A7C15UL) >> 54;

	for (int k = 0; k < 16; k++) {
		struct site *s = &sites[(h + k) % SITES];
		unsigned long cur = __atomic_load_n(&s->at, __ATOMIC_ACQUIRE);

		if (cur == 0 && __atomic_compare_exchange_n(&s->at, &cur, at, 0, __ATOMIC_ACQ_REL,
							     __ATOMIC_ACQUIRE))
			s->nr = nr;
		if (cur == 0 || cur == at) {
			__atomic_fetch_add(&s->n, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/* the mapping of /proc/self/maps (text in buf) that holds at: its file's
 * last name into name and the file offset of at; 0 when found */
static int site_where(const char *buf, unsigned long at, char *name, size_t len, unsigned long *off)
{
	for (const char *l = buf; *l;) {
		unsigned long lo = 0, hi = 0, fo = 0;
		const char *p = l, *e = l, *base;

		while (*e && *e != '\n')
			e++;
		while (*p >= '0' && *p <= 'f' && *p != '-')
			lo = lo * 16 + (unsigned long)(*p <= '9' ? *p - '0' : *p - 'a' + 10), p++;
		if (*p == '-')
			p++;
		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			hi = hi * 16 + (unsigned long)(*p <= '9' ? *p - '0' : *p - 'a' + 10), p++;
		if (at >= lo && at < hi) {
			while (p < e && *p == ' ')
				p++;
			while (p < e && *p != ' ')
				p++;	/* perms */
			while (p < e && *p == ' ')
				p++;
			while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
				fo = fo * 16 + (unsigned long)(*p <= '9' ? *p - '0' : *p - 'a' + 10), p++;
			for (int f = 0; f < 3 && p < e; f++) {	/* dev, inode, then the path */
				while (p < e && *p == ' ')
					p++;
				if (f < 2)
					while (p < e && *p != ' ')
						p++;
			}
			base = p;
			for (const char *q = p; q < e; q++)
				if (*q == '/')
					base = q + 1;
			if ((size_t)(e - base) >= len)
				base = e - (len - 1);
			vu_memcpy(name, base, e - base);
			name[e - base] = 0;
			for (char *q = name; *q; q++)	/* vu's image of it (rewrite.c): its name */
				if (q[0] == '+' && q[1] == 'v' && q[2] == 'u' && q[3] == '-')
					*q = 0;
			for (char *q = name; *q; q++)
				if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
					*q = '?';
			*off = at - lo + fo;
			return 0;
		}
		l = *e ? e + 1 : e;
	}
	return -1;
}

/* why a site in this module is not on the fast path */
static const char *site_why(const char *mod, const char *exe)
{
	const char *b = exe;

	for (const char *q = exe; *q; q++)
		if (*q == '/')
			b = q + 1;
	if (!*mod || mod[0] == '[')
		return "code outside any file (JIT or generated)";
	if (!vu_strncmp(mod, "libc.so", 7) || !vu_strncmp(mod, "libpthread", 10))
		return "inside glibc: a call glibc makes without its PLT (no wrapper sees it)";
	if (!vu_strncmp(mod, "ld-linux", 8))
		return "the dynamic loader (dlopen, lazy binding)";
	if (!vu_strcmp(mod, b))
		return "an inline syscall instruction in the program";
	return "an inline syscall instruction in a library";
}

/* append the busiest sites to line (len bytes used of size), and forget them */
static int sites_format(char *line, size_t size, int len, const char *exe)
{
	static char maps[65536] VU_BIG_BSS;
	long fd = vu_sys4(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	long got = 0, r;

	maps[0] = 0;
	while (fd >= 0 && got < (long)sizeof(maps) - 1 &&
	       (r = vu_sys3(SYS_read, fd, maps + got, sizeof(maps) - 1 - got)) > 0)
		got += r;
	maps[got] = 0;
	if (fd >= 0)
		vu_sys1(SYS_close, fd);
	len += vu_format(line + len, size - len, ",\"sites\":[");
	for (int shown = 0; shown < SITES_SHOWN; shown++) {
		struct site *best = 0;
		char mod[64];
		unsigned long off = 0;

		for (int i = 0; i < SITES; i++)
			if (sites[i].at && sites[i].n && (!best || sites[i].n > best->n))
				best = &sites[i];
		if (!best || (size_t)len + 256 > size)
			break;
		if (site_where(maps, best->at - 2, mod, sizeof(mod), &off))
			mod[0] = 0;
		len += vu_format(line + len, size - len,
				 "%s{\"at\":\"%s+0x%lx\",\"call\":\"%s\",\"n\":%lu,\"sud\":\"%s\"}",
				 shown ? "," : "", mod[0] ? mod : "?", off,
				 best->nr >= 0 && best->nr < VU_NR_COUNT && vu_syscalls[best->nr].name[0] ?
				 vu_syscalls[best->nr].name : "?", best->n,
				 vu_rewrite_why(best->at) ? vu_rewrite_why(best->at) : site_why(mod, exe));
		best->n = 0;
	}
	for (int i = 0; i < SITES; i++)
		sites[i].at = sites[i].n = 0;
	len += vu_format(line + len, size - len, "]");
	if (vu_rewrite_on) {
		/* the rewritten sites and their calls since (not traps) */
		unsigned long at, calls;
		long nr;
		int i = 0, shown = 0;

		len += vu_format(line + len, size - len, ",\"rewritten\":[");
		while ((size_t)len + 256 < size && vu_rewrite_next(&i, &at, &nr, &calls)) {
			char mod[64];
			unsigned long off = 0;

			if (site_where(maps, at - 2, mod, sizeof(mod), &off))
				mod[0] = 0;
			len += vu_format(line + len, size - len, "%s{\"at\":\"%s+0x%lx\",\"call\":\"%s\",\"n\":%lu}",
					 shown++ ? "," : "", mod[0] ? mod : "?", off,
					 nr >= 0 && nr < VU_NR_COUNT && vu_syscalls[nr].name[0] ?
					 vu_syscalls[nr].name : "?", calls);
		}
		len += vu_format(line + len, size - len, "]");
	}
	return len;
}

/* vu_stats_flush -- append this image's counts to the file and start over
 * from zero (signal-safe: gate calls only). */
static void vu_stats_flush(void)
{
	static char line[PATH_MAX + 24576] VU_BIG_BSS;
	char exe[PATH_MAX];
	unsigned long libc = __atomic_exchange_n(&vu_stats_libc, 0, __ATOMIC_RELAXED);
	unsigned long sud = __atomic_exchange_n(&stats_sud, 0, __ATOMIC_RELAXED);
	unsigned long rw = __atomic_exchange_n(&stats_rw, 0, __ATOMIC_RELAXED);
	unsigned long rwa = __atomic_exchange_n(&vu_stats_rw_allow, 0, __ATOMIC_RELAXED);
	unsigned long vch = __atomic_exchange_n(&vu_stats_vc[0], 0, __ATOMIC_RELAXED);
	unsigned long vcm = __atomic_exchange_n(&vu_stats_vc[1], 0, __ATOMIC_RELAXED);
	long n = vu_sys4(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof(exe) - 1);
	long fd;
	int len;

	exe[n > 0 ? n : 0] = 0;
	for (char *p = exe; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '?';
	len = vu_format(line, sizeof(line), "{\"pid\":%ld,\"libc\":%lu,\"sud\":%lu,\"rw\":%lu,\"rw_allow\":%lu,\"cached\":%lu,"
			"\"uncached\":%lu,\"exe\":\"%s\",\"traps\":{", vu_sys0(SYS_getpid), libc, sud, rw, rwa, vch, vcm, exe);
	for (long nr = 0, sep = 0; nr < VU_NR_COUNT; nr++) {
		unsigned long k = __atomic_exchange_n(&stats_nr[nr], 0, __ATOMIC_RELAXED);

		if (k && (size_t)len + 64 < sizeof(line))
			len += vu_format(line + len, sizeof(line) - len, "%s\"%s\":%lu", sep++ ? "," : "",
				      vu_syscalls[nr].name[0] ? vu_syscalls[nr].name : "?", k);
	}
	len += vu_format(line + len, sizeof(line) - len, "}");
	len = sites_format(line, sizeof(line), len, exe);
	len += vu_format(line + len, sizeof(line) - len, "}\n");
	fd = vu_sys4(SYS_openat, AT_FDCWD, stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	vu_sys3(SYS_write, fd, line, len);
	vu_sys1(SYS_close, fd);
}

/* vu_stats_note -- from the dispatcher, only when VU_STATS is on. */
void vu_stats_note(const struct vu_call *c)
{
	if (c->source == VU_SRC_SUD && vu_rewrite_marked(c)) {
		__atomic_fetch_add(&stats_rw, 1, __ATOMIC_RELAXED);
	} else if (c->source == VU_SRC_SUD) {
		__atomic_fetch_add(&stats_sud, 1, __ATOMIC_RELAXED);
		if (c->nr >= 0 && c->nr < VU_NR_COUNT)
			__atomic_fetch_add(&stats_nr[c->nr], 1, __ATOMIC_RELAXED);
	}
	if (c->nr == SYS_exit_group || c->nr == SYS_execve || c->nr == SYS_execveat)
		vu_stats_flush();
}

/* a fork child starts with the parent's counts: they are the parent's
 * (glibc's fork runs this; vu's own fork calls vu_stats_forked) */
static void stats_child(void)
{
	__atomic_store_n(&vu_stats_libc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&stats_sud, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&stats_rw, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vu_stats_rw_allow, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vu_stats_vc[0], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vu_stats_vc[1], 0, __ATOMIC_RELAXED);
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		__atomic_store_n(&stats_nr[nr], 0, __ATOMIC_RELAXED);
	for (int i = 0; i < SITES; i++)
		sites[i].at = sites[i].n = 0;
}

void vu_stats_forked(void)
{
	if (vu_stats_on)
		stats_child();
}

__attribute__((constructor(102))) static void vu_stats_init(void)
{
	const char *f = vu_getenv("VU_STATS");
	char cwd[PATH_MAX];

	if (!vu.lib_path || !f || !*f)
		return;		/* not preloaded, or not asked */
	if (f[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(stats_path, sizeof(stats_path), "%s", f);
	else
		snprintf(stats_path, sizeof(stats_path), "%s/%s", cwd, f);
	pthread_atfork(NULL, NULL, stats_child);
	vu_stats_on = 1;
	vu_direct_compute();	/* every wrapper entry is counted from now on */
	vu_vc_wrappers_off();
}

/* vu_stats_exit -- a static program's exit_group (static.c): vu-static
 * runs no destructor */
void vu_stats_exit(void) VU_HIDDEN;
void vu_stats_exit(void)
{
	if (vu_stats_on)
		vu_stats_flush();
}

__attribute__((destructor)) static void vu_stats_fini(void)
{
	if (vu_stats_on)
		vu_stats_flush();
}
