/*
 * faketime.c -- the faketime layer: the realtime clocks show another time.
 *
 * fake = real + offset. With "offset" the offset is given; with "at" it is
 * at - base, where base is the real time the process tree started: the
 * first process records it in VU_FAKETIME_BASE, which every child inherits
 * (also across env -i, through vu_exec_env_add), so all processes of a tree
 * agree and the fake clock runs on from "at". libfaketime's absolute form
 * ("2020-01-01 12:00:00": no "@", no zone) stops the clock instead: every
 * reading is that instant, and an absolute deadline is as far ahead of
 * the real now as it is of the frozen one.
 *
 * Readings are shifted forward in leave hooks (clock_gettime and
 * gettimeofday: the libc wrappers call the vDSO, raw calls trap; time is
 * recomputed at full precision so that it agrees with clock_gettime).
 * Times the program hands to the kernel are shifted back in enter hooks:
 * absolute deadlines on realtime clocks (clock_nanosleep, timerfd and POSIX
 * timers with TIMER_ABSTIME, futex waits with FUTEX_CLOCK_REALTIME and PI
 * locks) and "now" in utimensat and friends (NULL or UTIME_NOW become the
 * fake now, written out). Monotonic and boot clocks, file times and stat are
 * left alone.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#include <utime.h>
#include "vu_layer.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

#define NS 1000000000L
#define TIMER_IDS 4096			/* POSIX timer ids we remember the clock of */
#define LBITS (8 * sizeof(unsigned long))
#define BASE_ENV "VU_FAKETIME_BASE"
#define AT_ENV "VU_FAKETIME_AT"	/* the instant of an "@..." at, as the tree's first process read it */
#define CLOCK_ENV "VU_FAKETIME_CLOCK"	/* the descriptor of the tree's shared clock */

/* the fake clock: one page every process of the tree maps (a memfd they
 * inherit), so clock_settime in one moves it for all */
struct fake_clock {
	unsigned seq;			/* odd while a writer is at it */
	int frozen;			/* the clock stands at at_s, at_ns */
	long off_s, off_ns;		/* else fake = real + off; 0 <= off_ns < NS */
	long at_s, at_ns;
};

struct faketime {
	struct fake_clock own;		/* as configured */
	struct fake_clock *clk;		/* the tree's (or &own) */
	int (*real_gettime)(clockid_t, struct timespec *);	/* glibc's (vDSO) */
	unsigned long rt_timer[TIMER_IDS / LBITS];	/* timer id on a realtime clock? */
};

/* ---- time arithmetic ---- */

static void ts_add(struct timespec *t, long s, long ns)
{
	t->tv_sec += s;
	t->tv_nsec += ns;
	if (t->tv_nsec >= NS) {
		t->tv_nsec -= NS;
		t->tv_sec++;
	}
}

static void real_now(const struct faketime *f, struct timespec *ts);

/* a consistent copy of the clock (a writer killed half-way is waited for
 * only so long) */
static void clock_read(const struct faketime *f, struct fake_clock *k)
{
	const struct fake_clock *c = f->clk;

	for (int tries = 0;; tries++) {
		unsigned s = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);

		if ((s & 1) && tries < (1 << 16))
			continue;
		k->frozen = __atomic_load_n(&c->frozen, __ATOMIC_RELAXED);
		k->off_s = __atomic_load_n(&c->off_s, __ATOMIC_RELAXED);
		k->off_ns = __atomic_load_n(&c->off_ns, __ATOMIC_RELAXED);
		k->at_s = __atomic_load_n(&c->at_s, __ATOMIC_RELAXED);
		k->at_ns = __atomic_load_n(&c->at_ns, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == s || tries >= (1 << 16))
			return;
	}
}

static void clock_write(struct faketime *f, const struct fake_clock *k)
{
	struct fake_clock *c = f->clk;
	unsigned s;

	for (;;) {
		s = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
		if (!(s & 1) && __atomic_compare_exchange_n(&c->seq, &s, s + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
	}
	__atomic_store_n(&c->frozen, k->frozen, __ATOMIC_RELAXED);
	__atomic_store_n(&c->off_s, k->off_s, __ATOMIC_RELAXED);
	__atomic_store_n(&c->off_ns, k->off_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&c->at_s, k->at_s, __ATOMIC_RELAXED);
	__atomic_store_n(&c->at_ns, k->at_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&c->seq, s + 2, __ATOMIC_RELEASE);
}

/* an absolute fake deadline -> the real one (saturating; never before 0);
 * a frozen clock: the offset of this moment */
static void ts_back(const struct faketime *f, struct timespec *t)
{
	struct fake_clock k;
	long s, off_s, off_ns;

	if (t->tv_nsec < 0 || t->tv_nsec >= NS)
		return;		/* invalid: let the kernel say EINVAL */
	clock_read(f, &k);
	off_s = k.off_s;
	off_ns = k.off_ns;
	if (k.frozen) {
		struct timespec now;

		real_now(f, &now);
		off_s = k.at_s - now.tv_sec;
		off_ns = k.at_ns - now.tv_nsec;
		if (off_ns < 0) {
			off_ns += NS;
			off_s--;
		}
	}
	if (__builtin_sub_overflow((long)t->tv_sec, off_s, &s))
		s = off_s < 0 ? LONG_MAX - 1 : 0;
	t->tv_sec = s;
	t->tv_nsec -= off_ns;
	if (t->tv_nsec < 0) {
		t->tv_nsec += NS;
		t->tv_sec--;
	}
	if (t->tv_sec < 0)
		t->tv_sec = t->tv_nsec = 0;
}

/* the clocks that show the fake time */
static int realtime(long clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE ||
	       clk == CLOCK_REALTIME_ALARM || clk == CLOCK_TAI;
}

static void real_now(const struct faketime *f, struct timespec *ts)
{
	if (f->real_gettime) {
		unsigned char s = vu_selector_allow();

		f->real_gettime(CLOCK_REALTIME, ts);
		vu_selector_restore(s);
	} else {
		vu_sys2(SYS_clock_gettime, CLOCK_REALTIME, ts);
	}
}

/* the fake reading of ts, real now (k: the clock) */
static void shift(const struct fake_clock *k, struct timespec *ts)
{
	if (k->frozen)
		*ts = (struct timespec){ k->at_s, k->at_ns };
	else
		ts_add(ts, k->off_s, k->off_ns);
}

static void fake_now(const struct faketime *f, struct timespec *ts)
{
	struct fake_clock k;

	clock_read(f, &k);
	real_now(f, ts);
	shift(&k, ts);
}

/* copy n bytes of the program's memory without faulting in vu's handler:
 * 0, or -EFAULT where the kernel would have said so */
static int safe_read(void *dst, const void *src, size_t n)
{
	struct iovec l = { dst, n }, r = { (void *)src, n };
	long got = vu_sys6(SYS_process_vm_readv, vu_sys0(SYS_getpid), &l, 1, &r, 1, 0);

	if (got == (long)n)
		return 0;
	if (got == -ENOSYS || got == -EPERM) {	/* a filter forbids it: trust */
		vu_memcpy(dst, src, n);
		return 0;
	}
	return -EFAULT;
}

/* ---- options ---- */

static int digits(const char **p, int n, long *out)
{
	long v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* local_to_utc -- mktime of tm, in a child process: mktime sets glibc's
 * time zone state (tzset), and a program whose own state then differs
 * from it goes wrong (coreutils' date -u printed TZ's offset added to %s
 * when a constructor had called mktime first: tried, natively too) */
static int local_to_utc(struct tm *tm, long *out)
{
	int p[2], st;
	long v = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		time_t t = mktime(tm);

		v = (long)t;
		n = write(p[1], &v, sizeof(v));
		_exit(t == (time_t)-1 || n != sizeof(v));
	}
	close(p[1]);
	n = read(p[0], &v, sizeof(v));
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(v) || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	*out = v;
	return 0;
}

/* parse_iso -- ISO 8601 (see the manifest) into seconds and nanoseconds
 * since the epoch; 0, -1 (malformed) or -2 (no time zone). local: a time
 * without a zone, and a date alone, are the process's local time (TZ), as
 * libfaketime reads "@2020-01-01 12:00:00" */
static int parse_iso(const char *p, long *sec, long *nsec, int local)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long y, mo, d, h = 0, mi = 0, s = 0, ns = 0, zone = 0;
	int zoneless = local;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s))
				return -1;
			if (*p == '.' || *p == ',') {
				long scale = NS / 10;

				if (p[1] < '0' || p[1] > '9')
					return -1;
				for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
					ns += (*p - '0') * scale;
			}
		}
		if (h > 23 || mi > 59 || s > 60)
			return -1;
		if (*p == 'Z' || *p == 'z') {
			p++;
			zoneless = 0;
		} else if (*p == '+' || *p == '-') {
			int neg = *p++ == '-';
			long zh, zm = 0;

			if (digits(&p, 2, &zh))
				return -1;
			if (*p == ':')
				p++;
			if (*p && digits(&p, 2, &zm))
				return -1;
			if (zh > 23 || zm > 59)
				return -1;
			zone = (neg ? -1 : 1) * (zh * 3600 + zm * 60);
			zoneless = 0;
		} else if (!*p) {
			if (!local)
				return -2;
		} else {
			return -1;
		}
		if (*p)
			return -1;
	}
	if (zoneless) {
		/* start-up (libc allowed): the local time of TZ */
		struct tm tm = { .tm_year = (int)y - 1900, .tm_mon = (int)mo - 1, .tm_mday = (int)d,
				 .tm_hour = (int)h, .tm_min = (int)mi, .tm_sec = (int)s, .tm_isdst = -1 };

		if (local_to_utc(&tm, sec))
			return -1;
		*nsec = ns;
		return 0;
	}
	*sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - zone;
	*nsec = ns;
	return 0;
}

/* parse_offset -- "-3600", "1.5", "-1d", "+3h", "1d12h" into seconds and
 * nanoseconds (0 <= ns < NS); 0 or -1 */
static int parse_offset(const char *text, long *sec, long *nsec)
{
	const char *p = text;
	long double total = 0, x;
	char *end;
	int neg = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p || *p == '+' || *p == '-' || *p == ' ')
		return -1;
	x = strtold(p, &end);
	if (end != p && !*end) {
		total = x;		/* plain seconds (a JSON number or its text) */
	} else {
		while (*p) {
			long double unit;

			if (*p < '0' || *p > '9')
				return -1;
			x = strtold(p, &end);
			if (end == p)
				return -1;
			switch (*end) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 7 * 86400; break;
			case 'y': unit = 365 * 86400; break;
			default: return -1;
			}
			total += x * unit;
			p = end + 1;
		}
	}
	if (neg)
		total = -total;
	if (!(total > -3e11L && total < 3e11L))	/* about 10,000 years, and not NaN */
		return -1;
	*sec = (long)total;
	if (total < *sec)
		(*sec)--;		/* floor */
	*nsec = (long)((total - *sec) * NS + 0.5L);
	if (*nsec >= NS) {
		*nsec -= NS;
		(*sec)++;
	}
	return 0;
}

/* base -- the real start of the process tree: VU_FAKETIME_BASE, else now
 * (recorded for the children) */
static int tree_base(struct vu_layer *self, long *sec, long *nsec)
{
	const char *env = vu_getenv(BASE_ENV);
	char line[96];
	struct timespec now;

	if (env) {
		char *end;
		long s = strtol(env, &end, 10), ns = 0;

		if (end != env && *end == '.' && strlen(end + 1) == 9) {
			const char *q = end + 1;

			if (!digits(&q, 9, &ns) && !*q) {
				*sec = s;
				*nsec = ns;
				goto keep;
			}
		}
	}
	vu_sys2(SYS_clock_gettime, CLOCK_REALTIME, &now);
	*sec = now.tv_sec;
	*nsec = now.tv_nsec;
keep:
	if (self->check_only)
		return 0;
	snprintf(line, sizeof(line), BASE_ENV "=%ld.%09ld", *sec, *nsec);
	if (vu_setenv(BASE_ENV, line + sizeof(BASE_ENV)))
		return -errno;
	return vu_exec_env_add(line);
}

/* the descriptor of an inherited tree clock: the one VU_FAKETIME_CLOCK
 * names, else any "memfd:vu-faketime" among this process's (the number
 * moves as each process takes it as vu's own, and a shell's own getenv may
 * not answer before its main); -1 when there is none */
static long inherited_clock(const char *env)
{
	static const char name[] = "/memfd:vu-faketime";
	char path[40], link[64], buf[1024];
	long fd = -1, dir, n;

	if (env) {
		char *end;

		fd = strtol(env, &end, 10);
		if (*end || fd < 0)
			fd = -1;
	}
	if (fd >= 0) {
		vu_format(path, sizeof(path), "/proc/self/fd/%ld", fd);
		n = vu_sys4(SYS_readlinkat, AT_FDCWD, path, link, sizeof(link) - 1);
		if (n >= (long)sizeof(name) - 1 && !vu_strncmp(link, name, sizeof(name) - 1))
			return fd;
	}
	dir = vu_sys4(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0)
		return -1;
	fd = -1;
	while (fd < 0 && (n = vu_sys3(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long o = 0; o < n && fd < 0;) {
			const char *d_name = buf + o + 19;	/* struct linux_dirent64 */
			unsigned short reclen = *(const unsigned short *)(buf + o + 16);
			long k = 0;
			const char *q = d_name;

			o += reclen;
			if (*q < '0' || *q > '9')
				continue;
			for (; *q >= '0' && *q <= '9'; q++)
				k = k * 10 + (*q - '0');
			if (k == dir)
				continue;
			vu_format(path, sizeof(path), "/proc/self/fd/%ld", k);
			long m = vu_sys4(SYS_readlinkat, AT_FDCWD, path, link, sizeof(link) - 1);

			if (m >= (long)sizeof(name) - 1 && !vu_strncmp(link, name, sizeof(name) - 1))
				fd = k;
		}
	}
	vu_sys1(SYS_close, dir);
	return fd;
}

/* clock_share -- the tree's clock: the one a parent handed down (a memfd
 * this process inherited), else a new one set to this process's own;
 * handed on to the children (the descriptor is vu's: high, hidden from
 * the program's close and dup2, and kept across exec). Without one (no
 * memfd) the clock is this process's alone. */
static int clock_share(struct vu_layer *self, struct faketime *f)
{
	struct fake_clock *c = MAP_FAILED;
	char line[48];
	long fd, nfd;

	f->clk = &f->own;
	f->real_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	self->state = f;
	if (self->check_only)
		return 0;
	fd = inherited_clock(vu_getenv(CLOCK_ENV));
	if (fd >= 0)
		c = (void *)vu_sys6(SYS_mmap, 0, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if ((unsigned long)c > -4096UL) {
		fd = vu_sys2(SYS_memfd_create, "vu-faketime", 0);
		if (fd < 0 || vu_sys2(SYS_ftruncate, fd, 4096))
			goto alone;
		c = (void *)vu_sys6(SYS_mmap, 0, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if ((unsigned long)c > -4096UL)
			goto alone;
		*c = f->own;
	}
	f->clk = c;
	nfd = vu_fd_keep((int)fd);
	if (nfd < 0 || vu_sys3(SYS_fcntl, nfd, F_SETFD, 0))
		return 0;	/* the clock is shared up to here */
	snprintf(line, sizeof(line), CLOCK_ENV "=%ld", nfd);
	if (vu_setenv(CLOCK_ENV, line + sizeof(CLOCK_ENV)) || vu_exec_env_add(line))
		return -ENOMEM;
	return 0;
alone:
	if (fd >= 0)
		vu_sys1(SYS_close, fd);
	vu_debug("faketime: no clock shared with the tree (memfd: %ld)", fd);
	return 0;
}

static int faketime_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *at = &self->opt[0], *off = &self->opt[1];
	struct faketime *f;
	long s, ns;
	int r;

	if (at->set == off->set) {
		vu_format(err, errlen, "needs exactly one of \"at\" and \"offset\"");
		if (off->set)
			self->err_opt = 1;
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (at->set) {
		long bs, bns;

		/* "@2020-01-01 12:00:00": libfaketime's start-and-run form, in
		 * local time unless it says its zone; "2020-01-01 12:00:00" (a
		 * space, no zone): its absolute form, local time, the clock
		 * stopped. The first process of the tree reads it in its TZ and
		 * hands the instant to the others (VU_FAKETIME_AT), so a child
		 * with another TZ keeps the clock */
		int start = at->str[0] == '@';
		int frozen = !start && strchr(at->str, ' ') && parse_iso(at->str, &s, &ns, 0) == -2;
		int local = start || frozen;
		const char *had = local ? vu_getenv(AT_ENV) : NULL;
		char *end;

		if (had && (s = strtol(had, &end, 10), *end == '.') && (ns = strtol(end + 1, &end, 10), !*end))
			r = 0;
		else
			r = parse_iso(at->str + start, &s, &ns, local);
		if (!r && local && !self->check_only) {
			/* (every process hands it on: a child's env -i drops it) */
			char line[64];

			snprintf(line, sizeof(line), AT_ENV "=%ld.%09ld", s, ns);
			if ((!had && vu_setenv(AT_ENV, line + sizeof(AT_ENV))) || vu_exec_env_add(line))
				return -ENOMEM;
		}
		if (r) {
			self->err_opt = 0;
			vu_format(err, errlen, r == -2 ?
			       "at: \"%s\" needs a time zone: \"Z\" or an offset like \"+02:00\" (or \"@%s\": local time, as libfaketime)" :
			       "at: \"%s\" is not an ISO 8601 time like \"2020-01-01T00:00:00Z\", \"@2020-01-01 12:00:00\" or \"2020-01-01 12:00:00\"",
			       at->str, at->str);
			return -EINVAL;
		}
		if (frozen) {
			f->own.frozen = 1;
			f->own.at_s = s;
			f->own.at_ns = ns;
			vu_debug("faketime: frozen at %ld s + %ld ns", s, ns);
			return clock_share(self, f);
		}
		r = tree_base(self, &bs, &bns);
		if (r) {
			vu_format(err, errlen, "cannot record the start time for child processes");
			return r;
		}
		f->own.off_s = s - bs;
		f->own.off_ns = ns - bns;
		if (f->own.off_ns < 0) {
			f->own.off_ns += NS;
			f->own.off_s--;
		}
	} else if (parse_offset(off->str, &f->own.off_s, &f->own.off_ns)) {
		self->err_opt = 1;
		vu_format(err, errlen, "offset: \"%s\" is not seconds (-3600, 1.5) or amounts with units "
		       "s m h d w y (\"-1d\", \"+3h\", \"1d12h\")", off->str);
		return -EINVAL;
	}
	vu_debug("faketime: real + %ld s + %ld ns", f->own.off_s, f->own.off_ns);
	return clock_share(self, f);
}

/* what the table says the call does with a clock's time */
static const struct vu_sem_time *time_of(long nr)
{
	return &vu_sems[nr].time;
}

static int faketime_wants(struct vu_layer *self, long nr)
{
	const struct vu_sem_time *t;

	(void)self;
	if (!(vu_sc_flags[nr] & VU_SC_KNOWN))
		return 0;		/* a hole of the table */
	t = time_of(nr);
	switch (nr) {
	case VU_NR_futex:		/* its op says whether, and how, it waits */
	case VU_NR_clock_settime:	/* setting the realtime clock moves the fake one */
	case VU_NR_settimeofday:
		return 1;
	}
	/* readings, absolute deadlines, timers' clocks, "now" in file times */
	return t->now >= 0 || t->now_ret || (t->deadline >= 0 && t->abs_flags >= 0) ||
	       t->timer_out >= 0 || t->file_times >= 0;
}

/* ---- hooks ---- */

/* replace the absolute deadline c->args[i] (a timespec, or the it_value of
 * an itimerspec: a zero it_value disarms) by its real value */
static enum vu_action deadline_back(const struct faketime *f, struct vu_call *c, int i, int repr)
{
	const void *in = (const void *)c->args[i];
	size_t n = repr == VU_TIME_ITIMERSPEC ? sizeof(struct itimerspec) : sizeof(struct timespec);
	struct itimerspec *t;
	struct timespec *v;

	if (!in)
		return VU_CONTINUE;
	t = vu_call_alloc(c, sizeof(*t));
	if (!t)
		return VU_CONTINUE;
	if (safe_read(t, in, n)) {
		c->ret = -EFAULT;
		return VU_DONE;
	}
	v = repr == VU_TIME_ITIMERSPEC ? &t->it_value : (struct timespec *)t;
	if (repr != VU_TIME_ITIMERSPEC || v->tv_sec || v->tv_nsec)
		ts_back(f, v);
	c->args[i] = (long)t;
	return VU_CONTINUE;
}

/* the clock of a timerfd, from /proc/self/fdinfo ("clockid: 0") */
static int timerfd_realtime(int fd)
{
	char path[48], buf[640];
	const char *k;
	long f, n, clk = 0;

	vu_format(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = vu_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (f < 0)
		return 0;
	n = vu_sys3(SYS_read, f, buf, sizeof(buf) - 1);
	vu_sys1(SYS_close, f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (k = buf; *k; k++)
		if (!vu_strncmp(k, "\nclockid:", 9))
			break;
	if (!*k)
		return 0;
	for (k += 9; *k == ' ' || *k == '\t'; k++)
		;
	for (; *k >= '0' && *k <= '9'; k++)
		clk = clk * 10 + (*k - '0');
	return realtime(clk);
}

static int futex_abs_realtime(long op)
{
	int cmd = op & FUTEX_CMD_MASK, rt = (op & FUTEX_CLOCK_REALTIME) != 0;

	switch (cmd) {
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_LOCK_PI2:
		return rt;
	case FUTEX_LOCK_PI:
		return 1;	/* always absolute CLOCK_REALTIME */
	}
	return 0;	/* FUTEX_WAIT's timeout is relative */
}

/* does the call's clock show the fake time? (the table says where the
 * clock is: an argument, fixed, a timerfd's, a POSIX timer's) */
static int clock_realtime(const struct faketime *f, const struct vu_call *c,
			  const struct vu_sem_time *t)
{
	long a = t->clock_arg >= 0 ? c->args[t->clock_arg] : 0;
	unsigned long id = (unsigned long)(int)a;

	switch (t->clock) {
	case VU_CLOCK_SRC_ARG:
		return realtime(a);
	case VU_CLOCK_SRC_FIXED:
		return realtime(t->clock_fixed);
	case VU_CLOCK_SRC_FD:
		return timerfd_realtime((int)a);
	case VU_CLOCK_SRC_TIMER:
		return id < TIMER_IDS &&
		       (__atomic_load_n(&f->rt_timer[id / LBITS], __ATOMIC_RELAXED) >> (id % LBITS) & 1);
	}
	return 0;
}

/* file times that mean "now" (NULL, or UTIME_NOW in a timespec pair)
 * become the fake now, written out */
static enum vu_action times_now(const struct faketime *f, struct vu_call *c, int i, int repr)
{
	const struct timespec *in = (const struct timespec *)c->args[i];
	struct timespec now, *t;

	if (repr != VU_TIME_TIMESPEC && in)
		return VU_CONTINUE;	/* timevals, utimbuf: only NULL is now */
	t = vu_call_alloc(c, 2 * sizeof(*t));
	if (!t)
		return VU_CONTINUE;
	if (!in) {
		t[0].tv_nsec = t[1].tv_nsec = UTIME_NOW;
	} else if (safe_read(t, in, 2 * sizeof(*t))) {
		c->ret = -EFAULT;
		return VU_DONE;
	}
	if (t[0].tv_nsec != UTIME_NOW && t[1].tv_nsec != UTIME_NOW)
		return VU_CONTINUE;
	fake_now(f, &now);
	for (int k = 0; k < 2; k++)
		if (t[k].tv_nsec == UTIME_NOW)
			t[k] = now;
	if (repr == VU_TIME_TIMEVAL) {
		struct timeval *tv = (struct timeval *)t;	/* smaller: in place */

		for (int k = 0; k < 2; k++)
			tv[k] = (struct timeval){ now.tv_sec, now.tv_nsec / 1000 };
	} else if (repr == VU_TIME_UTIMBUF) {
		struct utimbuf *u = (struct utimbuf *)t;

		u->actime = u->modtime = now.tv_sec;
	}
	c->args[i] = (long)t;
	return VU_CONTINUE;
}

/* clock_settime(CLOCK_REALTIME) and settimeofday: the tree's fake clock
 * shows the time given from now on (a stopped clock stays stopped, at
 * it); the real clock is not touched, so no privilege is needed */
static enum vu_action set_clock(struct faketime *f, struct vu_call *c, const void *in, int repr)
{
	struct timespec t, now;
	struct fake_clock k;

	if (repr == VU_TIME_TIMEVAL) {
		struct timeval tv;

		if (safe_read(&tv, in, sizeof(tv))) {
			c->ret = -EFAULT;
			return VU_DONE;
		}
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
			c->ret = -EINVAL;
			return VU_DONE;
		}
		t = (struct timespec){ tv.tv_sec, tv.tv_usec * 1000L };
	} else if (safe_read(&t, in, sizeof(t))) {
		c->ret = -EFAULT;
		return VU_DONE;
	}
	if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= NS) {
		c->ret = -EINVAL;
		return VU_DONE;
	}
	clock_read(f, &k);
	if (k.frozen) {
		k.at_s = t.tv_sec;
		k.at_ns = t.tv_nsec;
	} else {
		real_now(f, &now);
		k.off_s = t.tv_sec - now.tv_sec;
		k.off_ns = t.tv_nsec - now.tv_nsec;
		if (k.off_ns < 0) {
			k.off_ns += NS;
			k.off_s--;
		}
	}
	clock_write(f, &k);
	vu_debug("faketime: the clock set to %ld s + %ld ns", (long)t.tv_sec, (long)t.tv_nsec);
	c->ret = 0;
	return VU_DONE;
}

static enum vu_action faketime_enter(struct vu_layer *self, struct vu_call *c)
{
	struct faketime *f = self->state;
	const struct vu_sem_time *t = time_of(c->nr);

	switch (c->nr) {
	case VU_NR_clock_settime:
		if (c->args[0] == CLOCK_REALTIME && c->args[1])
			return set_clock(f, c, (const void *)c->args[1], VU_TIME_TIMESPEC);
		return VU_CONTINUE;
	case VU_NR_settimeofday:	/* (a time zone alone: the kernel's) */
		if (c->args[0] && !c->args[1])
			return set_clock(f, c, (const void *)c->args[0], VU_TIME_TIMEVAL);
		return VU_CONTINUE;
	case VU_NR_futex:
		if (futex_abs_realtime(c->args[1]))
			return deadline_back(f, c, 3, VU_TIME_TIMESPEC);
		return VU_CONTINUE;
	}
	if (t->file_times >= 0)
		return times_now(f, c, t->file_times, t->file_times_repr);
	if (t->deadline >= 0 && t->abs_flags >= 0 && (c->args[t->abs_flags] & t->abs) &&
	    clock_realtime(f, c, t))
		return deadline_back(f, c, t->deadline, t->deadline_repr);
	return VU_CONTINUE;
}

/* a reading of a realtime clock, shifted: timespec and timeval as read,
 * time_t recomputed at full precision (so it agrees with clock_gettime) */
static void leave_now(const struct faketime *f, struct vu_call *c, const struct vu_sem_time *t)
{
	void *out = t->now >= 0 ? (void *)c->args[t->now] : NULL;
	struct fake_clock k;
	struct timespec now;

	if (!clock_realtime(f, c, t))
		return;
	clock_read(f, &k);
	switch (t->now_repr) {
	case VU_TIME_TIMESPEC:
		if (out)
			shift(&k, out);
		return;
	case VU_TIME_TIMEVAL:
		if (out) {
			struct timeval *tv = out;

			now = (struct timespec){ tv->tv_sec, tv->tv_usec * 1000L };
			shift(&k, &now);
			*tv = (struct timeval){ now.tv_sec, now.tv_nsec / 1000 };
		}
		return;
	}
	fake_now(f, &now);
	if (t->now_ret)
		c->ret = now.tv_sec;
	if (out)
		*(time_t *)out = now.tv_sec;
}

/* remember whether a new POSIX timer counts on a realtime clock */
static void leave_timer(struct faketime *f, struct vu_call *c, const struct vu_sem_time *t)
{
	const int *out = (const int *)c->args[t->timer_out];
	unsigned long id, bit;

	if (!out)
		return;
	id = (unsigned long)*out;
	if (id >= TIMER_IDS)
		return;
	bit = 1UL << (id % LBITS);
	if (clock_realtime(f, c, t))
		__atomic_fetch_or(&f->rt_timer[id / LBITS], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&f->rt_timer[id / LBITS], ~bit, __ATOMIC_RELAXED);
}

static void faketime_leave(struct vu_layer *self, struct vu_call *c)
{
	struct faketime *f = self->state;
	const struct vu_sem_time *t = time_of(c->nr);

	if ((unsigned long)c->ret > -4096UL)
		return;		/* failed */
	if (t->now >= 0 || t->now_ret)
		leave_now(f, c, t);
	if (t->timer_out >= 0)
		leave_timer(f, c, t);
}

const struct vu_layer_ops vu_layer_faketime_ops = {
	.abi = VU_ABI_VERSION,
	.init = faketime_init,
	.wants = faketime_wants,
	.enter = faketime_enter,
	.leave = faketime_leave,
};
