/*
 * trace.c -- the trace layer: one line per system call of the program,
 * appended to one file by every process and thread of the tree.
 *
 * enter() notes the call as the program made it (arguments, where it came
 * from, the time); leave() writes its line with the result (fmt.c
 * decodes it). Put the layer first in the stack to see calls before other
 * layers rewrite them. Calls that may not come back are written at entry:
 * exit and exit_group with no result, an exec as "unfinished" (and, when
 * it fails, a "resumed" line with the error).
 *
 * Whole lines from many writers: the file is opened O_APPEND and each line
 * goes out in ONE write(2) through the gate. The descriptor is vu's own
 * (vu_fd_keep_at): high, close-on-exec, kept across close_range, closefrom
 * and dup2 over it; children inherit it over fork, and a new image after
 * exec opens the file again from the config.
 *
 * Per thread: a small mapped block (tthread) holds the calls on their way
 * down, keyed by call and layer, and the ids of the thread; its pointer is
 * an initial-exec TLS word, safe in the SIGSYS handler.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vu_decode.h"
#include "trace.h"

#define LINE_CAP 16384		/* a line, from the call's scratch */
#define SMALL_LINE 512		/* ... or on the stack when there is none */
#define RECS 16			/* calls in flight per thread (nested by signals) */

/* the options, in the order of layers/trace.json */
enum { OPT_OUTPUT, OPT_FORMAT, OPT_SYSCALLS };

typedef int clock_fn(clockid_t, struct timespec *);

struct trace {
	int fd;				/* vu's own; moved by fds.c when needed */
	int strace;			/* format "strace" */
	clock_fn *clock;		/* libc's clock_gettime (vDSO), or NULL */
	unsigned char want[VU_NR_COUNT];	/* enter/leave run for it */
	unsigned char show[VU_NR_COUNT];	/* ... and it gets a line */
};

struct tthread {
	long owner;			/* the thread that mapped it */
	long tid, pid;			/* who made the last call */
	int n;
	struct trace_rec recs[RECS];
};

static __thread struct tthread *tself __attribute__((tls_model("initial-exec")));

/* ---- per thread ---- */

static struct tthread *tthread(void)
{
	long p;

	if (tself)
		return tself;
	p = vu_sys6(SYS_mmap, 0, sizeof(struct tthread), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	tself = (struct tthread *)p;
	tself->owner = vu_sys0(SYS_gettid);
	return tself;
}

/* the caller's ids: a fork child or a vfork-style child sharing this
 * block has another tid than the last call, and then maybe another pid */
static void ids(struct tthread *t)
{
	long tid = vu_sys0(SYS_gettid);

	if (tid != t->tid) {
		t->tid = tid;
		t->pid = vu_sys0(SYS_getpid);
	}
}

static struct trace_rec *push(struct tthread *t)
{
	if (t->n == RECS) {
		/* drop what vfork-style children left behind by exec */
		int k = 0;

		for (int i = 0; i < RECS; i++)
			if (t->recs[i].tid == t->tid)
				t->recs[k++] = t->recs[i];
		t->n = k;
		if (k == RECS)
			return NULL;
	}
	/* take the slot first: a signal handler's calls then go above it */
	t->n++;
	__asm__ __volatile__("" ::: "memory");
	return &t->recs[t->n - 1];
}

/* pop the record of (layer, c) into *out */
static int pop(struct tthread *t, const void *layer, const struct vu_call *c, struct trace_rec *out)
{
	for (int i = t->n - 1; i >= 0; i--) {
		if (t->recs[i].c != c || t->recs[i].layer != layer)
			continue;
		*out = t->recs[i];
		__asm__ __volatile__("" ::: "memory");
		t->n = i;
		return 1;
	}
	return 0;
}

/* ---- time ---- */

static long now(const struct trace *tr, clockid_t id)
{
	struct timespec ts = { 0, 0 };

	if (tr->clock) {
		/* the vDSO makes no system call; if it falls back to one, it
		 * must not trap back into vu */
		unsigned char s = vu_selector_allow();

		tr->clock(id, &ts);
		vu_selector_restore(s);
	} else {
		vu_sys2(SYS_clock_gettime, id, &ts);
	}
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* ---- output ---- */

/* format l and write it in one write(2) */
static void emit(const struct trace *tr, struct vu_call *c, struct trace_line *l)
{
	unsigned long mark = c->scratch_used;
	char small[SMALL_LINE];
	struct tout o = { .p = vu_call_alloc(c, LINE_CAP), .len = 0, .cap = LINE_CAP, .full = 0 };
	long r;

	l->strace = tr->strace;
	l->tmp = o.p ? vu_call_alloc(c, TRACE_TMP) : NULL;
	if (!o.p) {
		o.p = small;
		o.cap = sizeof(small);
	}
	trace_format(&o, l);
	do
		r = vu_sys3(SYS_write, __atomic_load_n(&tr->fd, __ATOMIC_ACQUIRE), o.p, o.len);
	while (r == -EINTR);
	vu_call_release(c, mark);
}

static int is_exec(long nr)
{
	return nr == SYS_execve || nr == SYS_execveat;
}

/* can the result differ between parent and child? */
static int forks(long nr)
{
	return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork;
}

static void note(struct trace_rec *r, const void *layer, const struct vu_call *c,
		 const struct tthread *t)
{
	r->c = c;
	r->layer = layer;
	r->pid = t->pid;
	r->tid = t->tid;
	r->nr = c->nr;
	for (int i = 0; i < 6; i++)
		r->args[i] = c->args[i];
	r->src = c->source;
	r->exec = is_exec(c->nr);
	trace_note_inputs(r);
}

/* exit, exit_group: the line now, there is no leave */
static void no_return(struct trace *tr, struct tthread *t, struct vu_layer *self, struct vu_call *c)
{
	struct trace_rec r;
	struct trace_line l = { .pid = t->pid, .tid = t->tid, .r = &r, .phase = TRACE_NORETURN };

	if (tr->show[c->nr]) {
		note(&r, self, c, t);
		r.t0_ns = now(tr, CLOCK_REALTIME);
		emit(tr, c, &l);
	}
	/* a thread's end: give its block back (the process's end does) */
	if (c->nr == SYS_exit && t->owner == t->tid) {
		tself = NULL;
		vu_sys2(SYS_munmap, t, sizeof(*t));
	}
}

static enum vu_action trace_enter(struct vu_layer *self, struct vu_call *c)
{
	struct trace *tr = self->state;
	struct tthread *t = tthread();
	struct trace_rec *r;

	if (!t)
		return VU_CONTINUE;
	ids(t);
	if (vu_syscalls[c->nr].ret == VU_RET_NORETURN) {
		no_return(tr, t, self, c);
		return VU_CONTINUE;
	}
	if (!tr->show[c->nr] || !(r = push(t)))
		return VU_CONTINUE;
	note(r, self, c, t);
	if (r->exec) {
		struct trace_line l = { .pid = t->pid, .tid = t->tid, .r = r, .phase = TRACE_UNFINISHED };

		r->t0_ns = now(tr, CLOCK_REALTIME);
		emit(tr, c, &l);
	}
	/* last: the time of the call is the time below this layer */
	r->t0_ns = now(tr, CLOCK_REALTIME);
	r->m0_ns = now(tr, CLOCK_MONOTONIC);
	return VU_CONTINUE;
}

static void trace_leave(struct vu_layer *self, struct vu_call *c)
{
	struct trace *tr = self->state;
	long m1 = now(tr, CLOCK_MONOTONIC);
	struct tthread *t = tself;
	struct trace_rec r;
	struct trace_line l;

	if (!t || !pop(t, self, c, &r))
		return;
	if (forks(r.nr)) {
		ids(t);		/* in a child: its own pid and tid */
		r.pid = t->pid;
		r.tid = t->tid;
	}
	l = (struct trace_line){
		.pid = r.pid,
		.tid = r.tid,
		.r = &r,
		.phase = r.exec ? TRACE_RESUMED : TRACE_DONE,
		/* a clone with a new stack happens after the SIGSYS handler
		 * returns, in vu's trampoline: its result is not seen here */
		.ret_known = !(r.src == VU_SRC_SUD && r.nr == SYS_clone && r.args[1]),
		.ret = c->ret,
		.dur_ns = m1 - r.m0_ns,
		.now_args = c->args,
	};
	emit(tr, c, &l);
}

static int trace_wants(struct vu_layer *self, long nr)
{
	const struct trace *tr = self->state;

	return tr->want[nr];
}

/* ---- start-up ---- */

static int family_of(const char *name)
{
	for (int f = 1; f <= VU_FAMILY_MISC; f++)
		if (!strcmp(vu_family_names[f], name))
			return f;
	return 0;
}

static long nr_of(const char *name)
{
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		if (vu_syscalls[nr].name[0] && !strcmp(vu_syscalls[nr].name, name))
			return nr;
	return -1;
}

/* "syscalls": names and families ("file" or "%file"; a name wins over a
 * family of the same name), "!" in front leaves them out. Only "!" items:
 * everything else. */
static int parse_filter(struct trace *tr, const struct vu_opt_value *v, char *err, size_t errlen)
{
	int positive = 0;

	for (int i = 0; v->set && i < v->count; i++)
		positive |= v->items[i][0] != '!';
	/* with no list, calls vu has no name for are traced too */
	memset(tr->show, !positive, sizeof(tr->show));
	for (int i = 0; v->set && i < v->count; i++) {
		const char *item = v->items[i];
		int neg = item[0] == '!', fam_only, f = 0;
		const char *name = item + neg;
		long nr = -1;

		fam_only = name[0] == '%';
		name += fam_only;
		if (!fam_only)
			nr = nr_of(name);
		if (nr < 0)
			f = family_of(name);
		if (nr < 0 && !f) {
			snprintf(err, errlen, "syscalls: \"%s\" is not a system call of %s nor a family "
				 "(file desc fs process signal memory net time ipc id system sched misc)",
				 item, VU_ARCH);
			return -EINVAL;
		}
		if (nr >= 0)
			tr->show[nr] = !neg;
		for (long k = 0; f && k < VU_NR_COUNT; k++)
			if (vu_syscalls[k].family == f)
				tr->show[k] = !neg;
	}
	for (long k = 0; k < VU_NR_COUNT; k++)
		tr->want[k] = tr->show[k];
	tr->want[VU_NR_exit] = 1;	/* a thread's block is given back there */
	return 0;
}

/* the output's folder must exist; the file need not */
static int check_output(const char *out, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", out);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "output: the folder %s does not exist", dir);
		return -ENOENT;
	}
	if (!stat(out, &st) && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "output: %s is a folder", out);
		return -EISDIR;
	}
	return 0;
}

static int trace_init(struct vu_layer *self, char *err, size_t errlen)
{
	const struct vu_opt_value *o = self->opt;
	const char *out = o[OPT_OUTPUT].str;
	struct trace *tr = calloc(1, sizeof(*tr));
	int r, fd;

	if (!tr)
		return -ENOMEM;
	tr->fd = -1;
	tr->strace = o[OPT_FORMAT].str && !strcmp(o[OPT_FORMAT].str, "strace");
	self->state = tr;
	r = parse_filter(tr, &o[OPT_SYSCALLS], err, errlen);
	if (!r)
		r = check_output(out, err, errlen);
	if (r || self->check_only)
		return r;
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "output: cannot open %s: %s", out, strerror(errno));
		return -errno;
	}
	tr->fd = fd;
	r = vu_fd_keep_at(&tr->fd);
	if (r < 0) {
		close(fd);
		snprintf(err, errlen, "output: cannot keep a descriptor for %s: %s", out, strerror(-r));
		return r;
	}
	tr->clock = (clock_fn *)dlsym(RTLD_NEXT, "clock_gettime");
	trace_fmt_init();
	return 0;
}

const struct vu_layer_ops vu_layer_trace_ops = {
	.abi = VU_ABI_VERSION,
	.init = trace_init,
	.wants = trace_wants,
	.enter = trace_enter,
	.leave = trace_leave,
};
