/* tpstates -- every thread-pointer state a thread can start with, and every
 * way of starting one: each thread reads the file ROUNDS times with inline
 * syscall instructions (so that, under vu, its site traps, is rewritten and
 * is then entered through its trampoline), checks the bytes, and ends with
 * a raw exit (or _exit / return, as its kind does). Prints one line per
 * state: "STATE: ok FIRSTLINE" or "STATE: ERRNO-NAME".
 *
 *   pthread     pthread_create: glibc's TLS (clone3, then clone)
 *   clone-tls-shared  glibc's clone(), CLONE_SETTLS with the thread
 *               pointer of a live pthread (parked while the clone runs)
 *   clone-tls-none    CLONE_SETTLS with a null thread pointer: only raw
 *               calls can run on it (vu refuses it: EINVAL and a vu: line)
 *   clone-parent glibc's clone() without CLONE_SETTLS: the parent's TLS
 *   raw-clone   a raw clone syscall (inline) with a new stack, no TLS flag
 *   raw-nostack a raw clone syscall, CLONE_VM|CLONE_VFORK without a stack:
 *               the child runs on the parent's stack until it exits (under
 *               vu a fork: it reports through its exit status)
 *   clone3      raw clone3 with a new stack (refused with ENOSYS under vu:
 *               then the same thread through clone, as glibc does)
 *   vfork-stack clone(CLONE_VM|CLONE_VFORK) with a new stack (posix_spawn's way)
 *   fork-like   clone without CLONE_VM: a process
 * Usage: tpstates [FILE] [ROUNDS] [STATE...] (default: all, in this order) */
#include "probe.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static const char *path = "/etc/passwd";
static int rounds = 40;
static char expect[65536];
static long expect_len;

/* per thread: its result, and a word the kernel clears when it exits */
struct slot {
	volatile int tid;	/* CLONE_CHILD_CLEARTID / PARENT_SETTID */
	volatile long res;	/* 1 ok, -errno, 0 not run */
	char buf[65536];
};

static long work(struct slot *s)
{
	for (int i = 0; i < rounds; i++) {
		long n = raw_slurp(path, s->buf, sizeof(s->buf));

		if (n < 0)
			return n;
		if (n != expect_len || memcmp(s->buf, expect, (size_t)n))
			return -EIO;
	}
	return 1;
}

static __attribute__((noreturn)) void raw_exit(int st)
{
	for (;;)
		raw6(SYS_exit, st, 0, 0, 0, 0, 0);
}

static void wait_clear(struct slot *s)
{
	int v;

	while ((v = s->tid) != 0)
		raw6(SYS_futex, (long)&s->tid, FUTEX_WAIT, v, 0, 0, 0);
}

static void report(const char *state, long res)
{
	if (res == 1) {
		const char *nl = strchr(expect, '\n');

		printf("%s: ok %.*s\n", state, nl ? (int)(nl - expect) : (int)strlen(expect), expect);
	} else {
		printf("%s: %s\n", state, res ? strerrorname_np((int)-res) : "not run");
	}
	fflush(stdout);
}

static char *new_stack(size_t sz)
{
	char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	CHECK(p != MAP_FAILED);
	return p + sz;
}

static int clone_fn(void *a)
{
	struct slot *s = a;

	s->res = work(s);
	raw_exit(s->res == 1 ? 0 : 1);
}

/* a pthread parked on a condition: its thread pointer is lent to a clone */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int park_done;
static void *volatile park_tp;

static void *parked(void *a)
{
	void *tp;

	(void)a;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	pthread_mutex_lock(&mu);
	park_tp = tp;
	pthread_cond_broadcast(&cv);
	while (!park_done)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *pthread_fn(void *a)
{
	struct slot *s = a;

	s->res = work(s);
	return NULL;
}

static int nwant;
static char **wanted;

static int want(const char *state)
{
	if (!nwant)
		return 1;
	for (int i = 0; i < nwant; i++)
		if (!strcmp(wanted[i], state))
			return 1;
	return 0;
}

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

int main(int argc, char **argv)
{
	static struct slot slots[8];
	const size_t ssz = 256 * 1024;

	if (argc > 1)
		path = argv[1];
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (argc > 3) {
		nwant = argc - 3;
		wanted = argv + 3;
	}
	expect_len = raw_slurp(path, expect, sizeof(expect));
	CHECK(expect_len >= 0);

	if (want("pthread")) {	/* pthread */
		pthread_t t;

		CHECK(pthread_create(&t, NULL, pthread_fn, &slots[0]) == 0);
		pthread_join(t, NULL);
		report("pthread", slots[0].res);
	}
	if (want("clone-tls-shared")) {	/* clone-tls-shared: the thread pointer of a live (parked) pthread */
		pthread_t t;
		struct slot *s = &slots[1];

		CHECK(pthread_create(&t, NULL, parked, NULL) == 0);
		pthread_mutex_lock(&mu);
		while (!park_tp)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		s->tid = 1;
		CHECK(clone(clone_fn, new_stack(ssz), THREAD_FLAGS | CLONE_SETTLS | CLONE_PARENT_SETTID |
			    CLONE_CHILD_CLEARTID, s, &s->tid, park_tp, &s->tid) > 0);
		wait_clear(s);
		pthread_mutex_lock(&mu);
		park_done = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(t, NULL);
		report("clone-tls-shared", s->res);
	}
	if (want("clone-tls-none")) {	/* clone-tls-none: CLONE_SETTLS with a null thread pointer (raw
		 * calls only: no C library code can run on it) */
		struct slot *s = &slots[1];
		long r;

		s->res = 0;
		s->tid = 1;
		r = clone(clone_fn, new_stack(ssz), THREAD_FLAGS | CLONE_SETTLS | CLONE_PARENT_SETTID |
			  CLONE_CHILD_CLEARTID, s, &s->tid, NULL, &s->tid);
		if (r < 0)
			s->res = -errno;
		else
			wait_clear(s);
		report("clone-tls-none", s->res);
	}
	if (want("clone-parent")) {	/* clone-parent: no CLONE_SETTLS */
		struct slot *s = &slots[2];

		s->tid = 1;
		CHECK(clone(clone_fn, new_stack(ssz), THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
			    s, &s->tid, NULL, &s->tid) > 0);
		wait_clear(s);
		report("clone-parent", s->res);
	}
	if (want("raw-clone")) {	/* raw-clone: inline clone syscall, new stack; the child calls
		 * clone_fn from the top of it */
		struct slot *s = &slots[3];
		char *sp = new_stack(ssz);
		long r;

		s->tid = 1;
		sp -= 16;
		((void **)sp)[0] = (void *)clone_fn;
		((void **)sp)[1] = s;
		{
			register long r10 __asm__("r10") = (long)&s->tid;
			register long r8 __asm__("r8") = 0;

			__asm__ volatile("syscall\n\t"
					 "testq %%rax, %%rax\n\t"
					 "jnz 1f\n\t"
					 "popq %%rax\n\t"
					 "popq %%rdi\n\t"
					 "andq $-16, %%rsp\n\t"
					 "call *%%rax\n\t"
					 "ud2\n"
					 "1:"
					 : "=a"(r)
					 : "a"(SYS_clone), "D"(THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID),
					   "S"(sp), "d"(&s->tid), "r"(r10), "r"(r8)
					 : "rcx", "r11", "memory");
		}
		if (r < 0)
			s->res = r;
		else
			wait_clear(s);
		report("raw-clone", s->res);
	}
	if (want("raw-nostack")) {	/* raw-nostack: CLONE_VM|CLONE_VFORK on the parent's stack, the
		 * child makes raw calls only and exits */
		struct slot *s = &slots[4];
		long r = raw6(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0, 0);
		int st;

		if (r == 0)	/* (POSIX: a vfork child changes nothing; vu's is a fork) */
			raw6(SYS_exit_group, work(s) == 1 ? 0 : 1, 0, 0, 0, 0, 0);
		if (r < 0)
			s->res = r;
		else
			s->res = waitpid((pid_t)r, &st, 0) == r && WIFEXITED(st) && !WEXITSTATUS(st) ? 1 : -EIO;
		report("raw-nostack", s->res);
	}
	if (want("clone3")) {	/* clone3 with a new stack; ENOSYS: clone, as glibc does */
		struct slot *s = &slots[5];
		size_t sz = ssz;
		char *top = new_stack(sz);
		struct clone_args ca = {
			.flags = THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
			.pidfd = 0, .child_tid = (unsigned long)&s->tid, .parent_tid = (unsigned long)&s->tid,
			.exit_signal = 0, .stack = (unsigned long)(top - sz), .stack_size = sz,
		};
		long r;

		s->tid = 1;
		r = raw6(SYS_clone3, (long)&ca, sizeof(ca), 0, 0, 0, 0);
		if (r == 0) {
			s->res = work(s);
			raw_exit(0);
		}
		if (r == -ENOSYS) {
			printf("clone3: ENOSYS, then clone\n");
			r = clone(clone_fn, top, (int)ca.flags, s, &s->tid, NULL, &s->tid);
		}
		if (r < 0)
			s->res = r;
		else
			wait_clear(s);
		report("clone3", s->res);
	}
	if (want("vfork-stack")) {	/* vfork-stack: posix_spawn's way */
		struct slot *s = &slots[6];
		int st;
		pid_t pid = clone(clone_fn, new_stack(ssz), CLONE_VM | CLONE_VFORK | SIGCHLD, s);

		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		report("vfork-stack", s->res);
	}
	if (want("fork-like")) {	/* fork-like: a process, which reports through its exit status */
		struct slot *s = &slots[7];
		int st;
		pid_t pid = clone(clone_fn, new_stack(ssz), SIGCHLD, s);

		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		/* its memory is its own: the result comes back as a status */
		report("fork-like", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : -EIO);
	}
	return 0;
}
