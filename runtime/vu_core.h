/*
 * vu_core.h -- internal interfaces of the runtime (not for layers).
 */
#ifndef VU_CORE_H
#define VU_CORE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <ucontext.h>
#include "vu_wrap.h"

/* ---- gate.S ---- */
extern char vu_gate_start[] VU_HIDDEN, vu_gate_end[] VU_HIDDEN;
long vu_gate_syscall6(long nr, long a1, long a2, long a3, long a4, long a5,
		      long a6) VU_HIDDEN;
void vu_restorer(void) VU_HIDDEN;
void vu_clone_tramp(void) VU_HIDDEN;
void vu_exit_unmap(void *addr, size_t len, int status)
	VU_HIDDEN __attribute__((noreturn));

#define vu_sys0(n) vu_gate_syscall6((n), 0, 0, 0, 0, 0, 0)
#define vu_sys1(n, a) vu_gate_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define vu_sys2(n, a, b) vu_gate_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define vu_sys3(n, a, b, c) \
	vu_gate_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define vu_sys4(n, a, b, c, d) \
	vu_gate_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define vu_sys5(n, a, b, c, d, e) \
	vu_gate_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), \
			 (long)(e), 0)
#define vu_sys6(n, a, b, c, d, e, f) \
	vu_gate_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), \
			 (long)(e), (long)(f))

/* Always-on check: unlike assert(), never compiled out. */
#define VU_CHECK(cond, msg) \
	do { if (!(cond)) vu_fatal(70, "internal error: " msg); } while (0)

/* ---- the kernel's sigaction ---- */
struct vu_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};
#define VU_SIGBIT(s) (1UL << ((s) - 1))
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)	/* linux/signal.h: disarm while a handler runs */
#endif
#define VU_SA_RESTORER 0x04000000UL
/* the sa_flags bits the kernel keeps (UAPI_SA_FLAGS, Linux >= 5.11): it
 * clears the others, so a program can probe for a flag's support */
#define VU_SA_UAPI (0x1UL | 0x2UL | 0x4UL | 0x800UL | VU_SA_RESTORER | 0x08000000UL | \
		    0x10000000UL | 0x40000000UL | 0x80000000UL)

/* ---- per-thread block (mmap'ed: async-signal-safe to get) ---- */
/* The signal stack also carries program handlers for signals that arrive
 * while vu's SIGSYS handler runs, so it is as roomy as a small thread stack
 * (virtual: only touched pages cost), with a guard page below it. */
#define VU_ALTSTACK_SIZE (1024 * 1024)
#define VU_GUARD_SIZE 4096
#define VU_SCRATCH_DEPTH 4
#define VU_FRAMES 16		/* dispatch levels whose frame is remembered */
struct vu_thread {
	char guard[VU_GUARD_SIZE];
	char altstack[VU_ALTSTACK_SIZE];
	char scratch[VU_SCRATCH_DEPTH][VU_SCRATCH_SIZE];
	int depth;
	long tid;			/* the thread that owns this block */
	int own_altstack;		/* altstack installed for this thread */
	stack_t app_altstack;		/* what the program asked for (virtual) */
	unsigned long sud_rsp;		/* program's sp at the trapped call being handled */
	int on_app_stack;		/* program handlers running on app_altstack */
	/* a CLONE_VM|CLONE_VFORK child (posix_spawn) shares this block and
	 * never returns from its execve or _exit: the depth to go back to
	 * when the parent (tid) next enters vu */
	int vfork_pending, vfork_depth;
	/* the frame of the dispatch at each level: a longjmp past it
	 * abandons the level (vu_unwind_to) */
	unsigned long frame[VU_FRAMES];
};
extern __thread struct vu_thread *vu_self
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;
extern __thread unsigned long vu_clone_ret
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;
struct vu_thread *vu_thread_self(void) VU_HIDDEN;
int vu_altstack_has(const struct vu_thread *t, unsigned long sp) VU_HIDDEN;
int vu_app_altstack_has(const struct vu_thread *t, unsigned long sp) VU_HIDDEN;
void vu_altstack_full(struct vu_thread *t, stack_t *ss) VU_HIDDEN;
/* vu_call_on_stack -- call fn(sig, si, uc) with the stack pointer at sp */
void vu_call_on_stack(unsigned long sp, void *fn, long sig, void *si, void *uc) VU_HIDDEN;
struct vu_thread *vu_thread_new(void) VU_HIDDEN;
void vu_thread_child(unsigned long flags) VU_HIDDEN;

/* ---- global state ---- */
enum vu_mode { VU_MODE_OFF = 0, VU_MODE_LIBC, VU_MODE_ALL };
struct vu_state {
	int mode;			/* enum vu_mode */
	int debug;
	const char *lib_path;		/* absolute path of libvu.so */
	const char *config_path;	/* absolute, or NULL */
	const char *config_dir;
	int nlayers;
	struct vu_layer *layers;
	/* which layers want which call: bit i = layer i (max 64 layers) */
	unsigned long long *layer_mask;	/* [VU_NR_COUNT] */
};
extern struct vu_state vu VU_HIDDEN;
#define VU_MAX_LAYERS 64

/* ---- util.c: no libc on the hook path ---- */
size_t vu_strlen(const char *s) VU_HIDDEN;
int vu_strcmp(const char *a, const char *b) VU_HIDDEN;
int vu_strncmp(const char *a, const char *b, size_t n) VU_HIDDEN;
void *vu_memcpy(void *d, const void *s, size_t n) VU_HIDDEN;
char *vu_stpcpy(char *d, const char *s) VU_HIDDEN;
/* vu_fmt -- snprintf subset (%s %d %ld %lu %x %lx %c %%), signal-safe */
int vu_fmt(char *buf, size_t len, const char *fmt, ...)
	VU_HIDDEN __attribute__((format(printf, 3, 4)));
int vu_vfmt(char *buf, size_t len, const char *fmt, va_list ap) VU_HIDDEN;
void vu_fatal_line(const char *s) VU_HIDDEN;
void vu_log(const char *fmt, ...) VU_HIDDEN __attribute__((format(printf, 1, 2)));
void vu_fatal(int status, const char *fmt, ...)
	VU_HIDDEN __attribute__((noreturn, format(printf, 2, 3)));
#define vu_debug(...) do { if (vu.debug) vu_log(__VA_ARGS__); } while (0)

/* ---- fds.c: vu's own descriptors ---- */
int vu_fd_keep(int fd) VU_HIDDEN;	/* move high, cloexec, register */
int vu_fd_keep_at(int *slot) VU_HIDDEN;	/* the same, and *slot follows moves */
int vu_fd_is_ours(int fd) VU_HIDDEN;
int vu_fd_count(void) VU_HIDDEN;
extern int vu_log_fd VU_HIDDEN;
long vu_fd_bottom(struct vu_call *c, int *handled) VU_HIDDEN;

/* ---- dispatch.c ---- */
long vu_dispatch(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc) VU_HIDDEN;
void vu_unwind_to(unsigned long sp) VU_HIDDEN;
void vu_interest_compute(void) VU_HIDDEN;

/* ---- stats.c ---- */
void vu_stats_note(const struct vu_call *c) VU_HIDDEN;

/* ---- procmodel.c: calls vu emulates in "all" mode ---- */
int vu_core_wants(long nr) VU_HIDDEN;
long vu_core_bottom(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc) VU_HIDDEN;
void vu_signals_owner(void) VU_HIDDEN;
long vu_sigaction_emul(int sig, const struct vu_ksigaction *act,
		       struct vu_ksigaction *oact, size_t size) VU_HIDDEN;

/* ---- sud.c ---- */
int vu_sud_arm(void) VU_HIDDEN;
int vu_sud_install(void) VU_HIDDEN;

/* ---- exec.c ---- */
long vu_execve_injected(long nr, struct vu_call *c) VU_HIDDEN;
int vu_exec_env_add(const char *line) VU_HIDDEN;

/* ---- config.c ---- */
void vu_config_load(void) VU_HIDDEN;
const char *vu_config_home(void) VU_HIDDEN;

/* ---- realpath.c ---- */
char *vu_host_realpath(const char *path, char *resolved) VU_HIDDEN;

/* ---- path.c ---- */
/* vu_path_abs -- make path absolute (against dirfd or the cwd) and remove
 * "." "..", "//" lexically, into out (size len). Returns length or -errno. */
long vu_path_abs(int dirfd, const char *path, char *out, size_t len) VU_HIDDEN;
long vu_path_normalize(const char *in, char *out, size_t len) VU_HIDDEN;
int vu_call_dirfd(const struct vu_call *c, int i) VU_HIDDEN;
long vu_call_path(const struct vu_call *c, int i, char *out, size_t len) VU_HIDDEN;
/* vu_call_for_each_path -- for each path argument i of c (non-empty) that
 * maybe(ctx, path, dirfd) lets through (a cheap look at the string first),
 * fn(ctx, c, i, abs) with the path made absolute and normalized in scratch
 * (given back after each). fn returns VU_CONTINUE to go on, or VU_DONE with
 * c->ret set. No scratch: c->ret = -ENOMEM and VU_DONE. A path that cannot
 * be made absolute is left to the kernel (its own error). */
enum vu_action vu_call_for_each_path(struct vu_call *c,
				     int (*maybe)(const void *ctx, const char *path, int dirfd),
				     enum vu_action (*fn)(const void *ctx, struct vu_call *c, int i,
							  const char *abs),
				     const void *ctx) VU_HIDDEN;
long vu_path_under(const char *path, const char *prefix) VU_HIDDEN;

/* ---- generated ---- */
void vu_libc_resolve(void) VU_HIDDEN;
extern const struct vu_layer_type vu_layer_types[] VU_HIDDEN;
extern const int vu_layer_type_count VU_HIDDEN;

#endif
