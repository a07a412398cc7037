/*
 * vu_core.h -- internal interfaces of the runtime (not for layers: what they
 * use of the runtime is in vu_layer.h, which this header includes).
 */
#ifndef VU_CORE_H
#define VU_CORE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <signal.h>
#include <ucontext.h>
#include "vu_wrap.h"

/* word-at-a-time string scans (util.c, path.c): aligned 8-byte loads never
 * cross into an unmapped page; HAS_ZERO's lowest flagged byte is the first
 * zero byte (bytes above it may be flagged falsely: take the lowest) */
#define VU_ONES 0x0101010101010101UL
#define VU_HIGHS 0x8080808080808080UL
#define VU_HAS_ZERO(w) (((w) - VU_ONES) & ~(w) & VU_HIGHS)
typedef unsigned long __attribute__((may_alias)) vu_word;
/* reads past the end, within the word: not for ASan's eyes (gcc says
 * __SANITIZE_ADDRESS__, clang __has_feature) */
#if defined(__SANITIZE_ADDRESS__)
#define VU_WORDWISE __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VU_WORDWISE __attribute__((no_sanitize_address))
#endif
#endif
#ifndef VU_WORDWISE
#define VU_WORDWISE
#endif

/* ---- gate.S ---- */
extern char vu_gate_start[] VU_HIDDEN, vu_gate_end[] VU_HIDDEN;
void vu_restorer(void) VU_HIDDEN;
char *vu_keep(const char *s) VU_HIDDEN;
const char *vu_preload_next(const char *p, size_t *n) VU_HIDDEN;
/* (Linux 5.14; older headers lack them: init.c, rewrite.c) */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
extern struct stat vu_self_st VU_HIDDEN;
char *vu_keep_room(size_t n) VU_HIDDEN;
void vu_keep_trim(char *p, size_t room, size_t n) VU_HIDDEN;
void vu_clone_tramp(void) VU_HIDDEN;
void vu_exit_unmap(void *addr, size_t len, int status)
	VU_HIDDEN __attribute__((noreturn));

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
/* a path argument of the call of one dispatch level, absolute and
 * normalized (vu_call_path) */
struct vu_path_memo {
	long src;		/* the argument's value it was made from; 0: none */
	int arg;
	int scanned;		/* names is known */
	int measured;		/* wlen and wflags are known */
	unsigned wflags;	/* VU_NAMES_ABS and VU_NAMES_PLAIN of it as written */
	int resolved;		/* len, hash and str are known, for dirfd */
	int dirfd;
	long wlen;		/* its length as written */
	struct vu_names names;	/* its names as written (vu_call_names) */
	long len;		/* of str, or -errno */
	unsigned long hash;	/* vu_strmap_hash(str, len) */
	const char *str;	/* the argument itself when it is already
				 * absolute and normalized, else path */
	char path[2 * PATH_MAX];	/* the path; behind it, the cwd or dirfd's path it was joined to */
};
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
	/* foreign mode (static.c): %gs points here */
	struct vu_fx {
		struct vu_thread *block;	/* %gs:0 this block */
		unsigned long vu_fs;		/* %gs:8 vu's thread pointer for this thread */
		unsigned long app_fs;		/* %gs:16 the program's (ARCH_SET_FS, kept virtual) */
		unsigned long clone_ret;	/* %gs:24 where a re-issued clone returns */
	} fx;
	/* where a rewritten site's call (rewrite_entry.S) starts on the
	 * altstack: 0 for its middle; below the frame of vu_sig_tramp while a
	 * program handler runs on its own stack (vu's frames above are live) */
	unsigned long rw_top;
	/* a thread started by this one with CLONE_VM and no TLS of its own
	 * (it runs on this block too): rewritten sites take the trap path,
	 * whose stack the kernel keeps per thread (rewrite_entry.S) */
	int tls_shared;
	/* each dispatch level's paths, worked out once per call (last: the
	 * offsets above are known to rewrite_entry.S) */
	struct vu_path_memo memo[VU_SCRATCH_DEPTH][2];
};
extern __thread struct vu_thread *vu_self
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;
extern __thread unsigned long vu_clone_ret
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;
extern __thread int vu_quiet_fd1
	__attribute__((tls_model("initial-exec"))) VU_HIDDEN;
/* vu_vfork_settle -- back from a vfork child that left this thread's
 * shared block deeper (its exec or exit never came back): the level is put
 * back, once this thread runs again (the child has another tid) */
static inline void vu_vfork_settle(struct vu_thread *t)
{
	if (__builtin_expect(t->vfork_pending, 0) && vu_sys0(SYS_gettid) == t->tid) {
		t->depth = t->vfork_depth;
		t->vfork_pending = 0;
	}
}
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
	const char *lib_path;		/* absolute path of libvu.so */
	const char *config_path;	/* absolute, or NULL */
	const char *config_dir;
	int nlayers;
	struct vu_layer *layers;
	unsigned unvirtualized;		/* VU_UNVIRT_*: classes of programs allowed to run unvirtualized */
	/* which layers want which call: bit i = layer i (max 64 layers) */
	unsigned long long *layer_mask;	/* [VU_NR_COUNT] */
};
extern struct vu_state vu VU_HIDDEN;
/* "run_unvirtualized" in vu.json: programs vu cannot enter that may still run */
#define VU_UNVIRT_SETUID 1	/* set-user-ID, set-group-ID, file capabilities */
#define VU_UNVIRT_FOREIGN 2	/* ELFs vu cannot load: another class or machine */
#define VU_UNVIRT_STATIC 4	/* static programs vu's loader cannot enter */

/* ---- enter.c ---- */
/* vu_exec_enterable -- 0 when vu can enter the program an exec of c would
 * run (or the config lets it run unvirtualized), else -errno after a `vu:`
 * line on stderr. */
long vu_exec_enterable(struct vu_call *c) VU_HIDDEN;
#define VU_MAX_LAYERS 64

/* ---- util.c (the rest is in vu_layer.h) ---- */
void vu_fatal_line(const char *s) VU_HIDDEN;
void vu_fatal(int status, const char *fmt, ...)
	VU_HIDDEN __attribute__((noreturn, format(printf, 2, 3)));

/* ---- fds.c: vu's own descriptors ---- */
int vu_fd_is_ours(int fd) VU_HIDDEN;
#define VU_FDS_SAVED 16
struct vu_fds_saved {
	int n, log;
	int fds[VU_FDS_SAVED];
};
void vu_fds_save(struct vu_fds_saved *s) VU_HIDDEN;
void vu_fds_restore(const struct vu_fds_saved *s) VU_HIDDEN;
int vu_fd_count(void) VU_HIDDEN;
extern int vu_log_fd VU_HIDDEN;
long vu_fd_bottom(struct vu_call *c, int *handled) VU_HIDDEN;

/* ---- dispatch.c ---- */
long vu_dispatch(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc) VU_HIDDEN;
void vu_unwind_to(unsigned long sp) VU_HIDDEN;
void vu_interest_compute(void) VU_HIDDEN;
void vu_direct_compute(void) VU_HIDDEN;
unsigned long long vu_layer_mask_of(long nr) VU_HIDDEN;
int vu_wanted(long nr) VU_HIDDEN;
long vu_path_plain(const char *p) VU_HIDDEN;
void vu_core_bottom_compute(void) VU_HIDDEN;

/* ---- stats.c ---- */
void vu_stats_note(const struct vu_call *c) VU_HIDDEN;
void vu_stats_site(unsigned long at, long nr) VU_HIDDEN;

/* ---- init.c: vu starts once, at its constructor or at the first wrapper
 * entered before it ---- */
enum { VU_INIT_NOT_YET, VU_INIT_RUNNING, VU_INIT_DONE };
extern int vu_init_state VU_HIDDEN;
void vu_init_run(void) VU_HIDDEN;

/* ---- rewrite.c: lazy rewriting of trapping sites (VU_REWRITE=1) ---- */
extern int vu_rewrite_on VU_HIDDEN;
void vu_rewrite_trap(unsigned long at, long nr) VU_HIDDEN;
int vu_rewrite_marked(const struct vu_call *c) VU_HIDDEN;
long vu_rewrite_clone(struct vu_call *c) VU_HIDDEN;
/* c->core_tmp[1] of a call made as it is at the bottom, never emulated
 * (spawn.c's child resetting handlers) */
#define VU_REAL_MARK 0x7265616cL

/* ---- seccomp.c: the program's own seccomp filters ---- */
long vu_app_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) VU_HIDDEN;
long vu_seccomp_bottom(struct vu_call *c, vu_bottom_fn *bottom) VU_HIDDEN;
const char *vu_rewrite_why(unsigned long at) VU_HIDDEN;
unsigned long vu_rewrite_origin(unsigned long at) VU_HIDDEN;
void vu_rewrite_save(void) VU_HIDDEN;
extern int vu_rewrite_fresh VU_HIDDEN;
void vu_rewrite_images(void) VU_HIDDEN;
void vu_rewrite_forked(void) VU_HIDDEN;
void vu_stats_forked(void) VU_HIDDEN;
int vu_rewrite_next(int *i, unsigned long *at, long *nr, unsigned long *calls) VU_HIDDEN;

/* ---- libc/stdio.c ---- */
#include <stdio.h>
/* vu_stream_of -- glibc's fdopen of fd with the selector open; on failure
 * fd is closed, errno kept */
FILE *vu_stream_of(int fd, const char *mode) VU_HIDDEN;

/* ---- op.c ---- */
/* vu_op_decode -- what c does (the table's "does" and c's flags) */
void vu_op_decode(const struct vu_call *c, struct vu_op *op) VU_HIDDEN;

/* ---- procmodel.c: calls vu emulates in "all" mode ---- */
int vu_core_wants(long nr) VU_HIDDEN;
/* the calls whose bottom is more than the real call */
extern unsigned char vu_core_special[VU_NR_COUNT] VU_HIDDEN;
long vu_core_bottom(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc) VU_HIDDEN;

/* ---- the verdict cache (verdict.c) ---- */
/* per call: 1 + the path argument when the cache serves it, else 0 */
extern int vu_vc_off VU_HIDDEN;
/* util.c: libvu was initialized before the C library (environ changes wait) */
extern int vu_env_early VU_HIDDEN;
void vu_env_replay(void) VU_HIDDEN;
void vu_env_index(int on) VU_HIDDEN;
extern unsigned long vu_stats_vc[2] VU_HIDDEN;	/* (stats.c) hits, misses */
/* (stats.c) calls that came through a rewritten site's trampoline into
 * vu with the selector open (the trampoline sends those to the kernel) */
extern unsigned long vu_stats_rw_allow VU_HIDDEN;
extern int vu_vc_spawning VU_HIDDEN;
int vu_vc_forgets(long nr) VU_HIDDEN;
extern unsigned char vu_vc_forget_after[VU_NR_COUNT] VU_HIDDEN;
void vu_vc_compute(long nr, int pure, unsigned long long leaves, unsigned long long mask) VU_HIDDEN;
/* does an open with these flags change (or create) anything? does a call
 * of this kind (not an open)? (vu_op.writes) O_TMPFILE is __O_TMPFILE |
 * O_DIRECTORY: a plain O_DIRECTORY open (opendir's) writes nothing */
static inline int vu_open_writes(unsigned long fl)
{
	if (fl & O_PATH)
		return 0;
	return (fl & O_ACCMODE) != O_RDONLY || (fl & (O_TRUNC | O_CREAT)) != 0 ||
	       (fl & __O_TMPFILE) == __O_TMPFILE;
}

static inline int vu_kind_writes(int kind)
{
	switch (kind) {
	case VU_OP_WRITE: case VU_OP_CREATE: case VU_OP_DELETE: case VU_OP_RENAME:
	case VU_OP_LINK: case VU_OP_META: case VU_OP_MOUNT: case VU_OP_UNKNOWN:
		return 1;
	}
	return 0;
}
int vu_names_filters(unsigned long long mask, const struct vu_name_bits **f, int max, int *writes,
		     int *folder) VU_HIDDEN;
void vu_layer_forget_names(int index) VU_HIDDEN;
int vu_layers_names_only(void) VU_HIDDEN;
void vu_vc_forget(void) VU_HIDDEN;
void vu_vc_wrappers_off(void) VU_HIDDEN;
/* compiled.c: the path of vu's cache file name (VU_CACHE_DIR, or cache/ beside
 * libvu.so), or 0: no cache */
int vu_cache_file(const char *name, char *out, size_t len) VU_HIDDEN;
void vu_vc_after(const struct vu_call *c) VU_HIDDEN;
long vu_dispatch_layers(struct vu_call *c, vu_bottom_fn *bottom, ucontext_t *uc,
			const struct vu_vc_key *key) VU_HIDDEN;
void vu_vc_record(const struct vu_call *c, const struct vu_vc_key *k, const long *orig) VU_HIDDEN;
void vu_signals_owner(void) VU_HIDDEN;
long vu_sigaction_emul(int sig, const struct vu_ksigaction *act,
		       struct vu_ksigaction *oact, size_t size) VU_HIDDEN;

/* ---- sud.c ---- */
int vu_sud_arm(void) VU_HIDDEN;
int vu_sud_install(void) VU_HIDDEN;

/* ---- static.c + gate.S: vu's own loader for static programs ("foreign
 * mode": the program's %fs is its own; vu's handlers switch to vu's) ---- */
extern int vu_foreign VU_HIDDEN;
void vu_foreign_entry_sigsys(void) VU_HIDDEN;	/* asm entries of the handlers */
void vu_foreign_entry_sigtramp(void) VU_HIDDEN;
void vu_clone_tramp_foreign(void) VU_HIDDEN;
/* vu_call_app -- fn(sig, si, uc) with the program's %fs, on stack sp (0: here) */
void vu_call_app(unsigned long sp, void *fn, long sig, void *si, void *uc) VU_HIDDEN;
void vu_static_jump(unsigned long entry, unsigned long sp) VU_HIDDEN __attribute__((noreturn));
unsigned long vu_fs_get(void) VU_HIDDEN;
void vu_fs_set(unsigned long fs) VU_HIDDEN;
struct vu_fx *vu_foreign_new_thread(void) VU_HIDDEN;
void vu_foreign_thread_child(unsigned long flags, struct vu_fx *fx) VU_HIDDEN;
int vu_sud_foreign_install(void) VU_HIDDEN;
long vu_foreign_bottom(struct vu_call *c, ucontext_t *uc, int *handled) VU_HIDDEN;
/* vu_exec_static -- 1: not a static program vu's loader runs (go on as
 * before); else the result of exec'ing it through vu-static */
long vu_exec_static(struct vu_call *c, vu_bottom_fn *bottom) VU_HIDDEN;

/* ---- exec.c ---- */
long vu_execve_injected(long nr, struct vu_call *c) VU_HIDDEN;

/* ---- config.c ---- */
void vu_config_load(void) VU_HIDDEN;
const char *vu_config_home(void) VU_HIDDEN;

/* ---- generated ---- */
void vu_libc_resolve(void) VU_HIDDEN;
extern const struct vu_layer_type vu_layer_types[] VU_HIDDEN;
extern const int vu_layer_type_count VU_HIDDEN;

#endif
