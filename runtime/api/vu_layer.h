/*
 * vu_layer.h -- the one public header of vu: what a layer (built in or a
 * plugin) sees of a system call, what it answers, and the helpers of libvu
 * it may use. Built-in layers include this header and nothing else of the
 * runtime; plugins too.
 *
 * A request walks the stack from the first layer of vu.json to the last.
 * Each layer's enter() may answer it (VU_DONE, with c->ret set), rewrite its
 * arguments and pass it down, or pass it through (VU_CONTINUE). Below the
 * last layer the real call is made. Then leave() runs, bottom-up, in every
 * layer whose enter() ran, and may look at or change c->ret.
 *
 * The per-syscall part (numbers, argument kinds) is generated from
 * syscalls.json into vu_syscalls.h.
 */
#ifndef VU_LAYER_H
#define VU_LAYER_H

#include <errno.h>	/* hooks answer -errno */
#include <stdarg.h>
#include <stddef.h>
#include "vu_syscalls.h"

/* VU_API -- a function or variable of libvu that layers use. Inside libvu
 * (VU_BUILDING_LIBVU, set by binding.gyp) it is protected: exported, and
 * libvu's own calls bind to it directly (no PLT). A plugin sees it with
 * default visibility; no -lvu: the libvu.so that loads the plugin has it. */
/* VU_BIG_BSS -- a large zeroed array of libvu's that most processes touch
 * little or not at all: placed apart (.lbss, after .bss), so that the small
 * variables every process writes share as few pages as they can (each page
 * is a page fault at every exec: ~20 us on a VM, issue 12) */
#define VU_BIG_BSS __attribute__((section(".lbss.vu")))
/* the same for a buffer of about a page of which a process writes the
 * start: on a page of its own, it is one page written, not two */
#define VU_PAGE_BSS __attribute__((section(".lbss.vu"), aligned(4096)))

#ifdef VU_BUILDING_LIBVU
#define VU_API __attribute__((visibility("protected")))
#else
#define VU_API __attribute__((visibility("default")))
#endif

/* 2 (2026-11-23): struct vu_syscall_info holds its strings (no pointers) */
/* 3 (2026-12-06): struct vu_call carries the decoded operation (op), the
 * helpers have one public name each */
/* 4 (2026-12-07): struct vu_roots carries a summary of its last names,
 * struct vu_op the call's worked-out paths (vu_call_path) */
#define VU_ABI_VERSION 5

/* What a hook tells the stack to do next. */
enum vu_action {
	VU_CONTINUE = 0,	/* pass the (maybe rewritten) call down */
	VU_DONE = 1,		/* answered: c->ret holds the result (or -errno) */
};

/* Where the call came from. */
enum vu_source {
	VU_SRC_LIBC = 0,	/* a generated libc wrapper (fast path) */
	VU_SRC_SUD = 1,		/* a trapped syscall instruction (SIGSYS) */
};

/* One system call on its way through the stack. */
struct vu_op;

struct vu_call {
	long nr;		/* VU_NR_* of the build architecture */
	long args[6];		/* raw register values, rewritten in place */
	long ret;		/* result, or -errno */
	int source;		/* enum vu_source */
	int depth;		/* index of the layer being walked */
	char *scratch;		/* per-call scratch, VU_SCRATCH_SIZE bytes, or NULL */
	unsigned long scratch_used;	/* bytes handed out by vu_call_alloc */
	long core_tmp[2];	/* reserved for vu's core */
	const struct vu_op *op;	/* what the call does, decoded once (see below) */
};

#define VU_SCRATCH_SIZE 32768

/* vu_call_alloc -- n bytes of this call's scratch (gone when the call
 * returns), or NULL. Layers never keep pointers into it across calls. */
static inline void *vu_call_alloc(struct vu_call *c, unsigned long n)
{
	void *p;

	n = (n + 15) & ~15UL;
	if (!c->scratch || c->scratch_used + n > VU_SCRATCH_SIZE)
		return 0;
	p = c->scratch + c->scratch_used;
	c->scratch_used += n;
	return p;
}

/* vu_call_release -- give back everything allocated since mark (a value of
 * c->scratch_used taken before). */
static inline void vu_call_release(struct vu_call *c, unsigned long mark)
{
	c->scratch_used = mark;
}

/* Option value kinds, shared by the manifest, the parser and the layer. */
enum vu_opt_kind {
	VU_OPT_STRING = 1,	/* JSON string */
	VU_OPT_PATH,		/* string, made absolute against the config's folder; must exist */
	VU_OPT_NEWPATH,		/* string, made absolute; need not exist */
	VU_OPT_PATH_LIST,	/* array of strings, absolute, need not exist; ~ is $HOME */
	VU_OPT_PATH_MAP,	/* object: key absolute path (need not exist) -> value path (must exist) */
	VU_OPT_STRING_LIST,	/* array of strings */
	VU_OPT_BOOL,		/* true / false */
	VU_OPT_INT,		/* integer */
	VU_OPT_ENUM,		/* string, one of desc->choices */
	VU_OPT_OBJECT,		/* any JSON object, passed as its source text */
	VU_OPT_STRING_OR_NUMBER,	/* string (decoded) or number (its source text) */
};

/* One option of a layer type (generated from layers/<name>.json). */
struct vu_opt_desc {
	const char *name;
	int kind;			/* enum vu_opt_kind */
	int required;
	const char *const *choices;	/* VU_OPT_ENUM: NULL-terminated */
	const char *def;		/* default as JSON text, or NULL */
	const char *help;
};

/* A parsed option value. */
struct vu_opt_value {
	int set;		/* present in the config (or defaulted) */
	const char *str;	/* STRING, PATH, NEWPATH, ENUM, OBJECT */
	long num;		/* INT, BOOL */
	int count;		/* *_LIST, PATH_MAP */
	const char **keys;	/* PATH_MAP keys */
	const char **items;	/* *_LIST items, PATH_MAP values */
};

struct vu_layer;

/* What a layer type implements. Every hook is optional. */
struct vu_layer_ops {
	int abi;		/* VU_ABI_VERSION */
	/* init -- parse options, fill self->state; return 0 or -errno (and
	 * an explanation in err, at most errlen bytes) */
	int (*init)(struct vu_layer *self, char *err, size_t errlen);
	/* wants -- does the layer look at system call nr? Asked once per
	 * call, at its first use (on the hook path: the rules of enter), the
	 * same answer every time. 0 no; VU_WANTS (or any other nonzero) yes;
	 * VU_WANTS_ENTER: yes, but leave() has nothing to do for it (it is
	 * not called then); VU_WANTS_PURE: as VU_WANTS_ENTER, and what enter
	 * does with the call is a pure function of the call as the program
	 * made it (below) */
	int (*wants)(struct vu_layer *self, long nr);
	enum vu_action (*enter)(struct vu_layer *self, struct vu_call *c);
	void (*leave)(struct vu_layer *self, struct vu_call *c);
};

/* A layer type: name, options and code (generated registry). */
struct vu_layer_type {
	const char *name;
	const struct vu_opt_desc *opts;
	int nopts;
	const struct vu_layer_ops *ops;
};

#define VU_WANTS 1
#define VU_WANTS_ENTER 2
/* VU_WANTS_PURE -- enter's answer for this call depends on nothing but the
 * call's number, its number-like arguments (flags, modes, descriptors), the
 * text of its path and the working directory, and the layer's own config:
 * it lets the call on (VU_CONTINUE), perhaps with the path rewritten, or
 * stops it (VU_DONE). vu then remembers what the whole stack did with a
 * call of one path argument when every layer that wants it says so, and
 * the next identical call (same text, same arguments, the working
 * directory and the file system's names unchanged by this process) is
 * handed to the bottom as remembered, without entering the layers: the
 * verdict cache (docs/DESIGN.md). An answer that looked at anything else
 * (the file system, the time, the thread) calls vu_call_nocache first. */
#define VU_WANTS_PURE 6

/* One instance of a layer in the stack. */
struct vu_layer {
	const struct vu_layer_type *type;
	const struct vu_opt_value *opt;	/* indexed like type->opts */
	const char *config_dir;		/* absolute folder of vu.json */
	int index;			/* position in the stack, from 0 */
	int check_only;			/* `vu check`: validate, no side effects */
	void *state;			/* the layer's own */
	/* where init's error is: an index into type->opts and the item of a
	 * list or map option (-1: the option's whole value); -1, -1 (the
	 * default): the layer as a whole */
	int err_opt, err_item;
	int intercept_all;		/* "intercept": "all": SUD sees what libc wrappers miss */
};

/*
 * A plugin: a shared object built against this header that exports
 * `const struct vu_plugin vu_plugin` (VU_PLUGIN below), loaded by the plugin
 * layer. abi comes first so that a plugin built against another ABI is
 * recognised before anything else is read.
 */
struct vu_plugin {
	int abi;				/* VU_ABI_VERSION it was built with */
	const char *name;			/* for logs and errors */
	const struct vu_layer_ops *ops;		/* ops->abi must match too */
};

#define VU_PLUGIN_SYMBOL "vu_plugin"

/* VU_PLUGIN -- the one symbol a plugin exports. */
#define VU_PLUGIN(NAME, OPS) \
	VU_API const struct vu_plugin vu_plugin = { VU_ABI_VERSION, (NAME), (OPS) }

/* Argument helpers for layers. */
static inline const char *vu_arg_str(const struct vu_call *c, int i)
{
	return (const char *)c->args[i];
}

/*
 * What libvu offers layers. The rules of the hook path (wants at a call's
 * first use, enter and leave on every call, inside libc wrappers and SIGSYS handlers,
 * in any thread, also in a vfork child): no malloc or free, no stdio, no
 * locks a signal handler could already hold, no libc function that makes a
 * system call (it would come back through vu); make system calls with
 * vu_sys*(), take per-call memory from vu_call_alloc(), keep state in
 * memory set up by init. Pure functions of libc (strlen, memcmp, memcpy)
 * are fine, and so are the vu_str* ones below. init runs once per process
 * at start-up, before the program's main, and may use libc freely.
 */

/* ---- the real call (core/gate.S) ---- */

/* vu_syscall6 -- the real system call, below every layer, issued from
 * vu's gate (never trapped again). Returns the result or -errno. */
VU_API long vu_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

#define vu_sys0(n) vu_syscall6((n), 0, 0, 0, 0, 0, 0)
#define vu_sys1(n, a) vu_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define vu_sys2(n, a, b) vu_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define vu_sys3(n, a, b, c) vu_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define vu_sys4(n, a, b, c, d) \
	vu_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define vu_sys5(n, a, b, c, d, e) \
	vu_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define vu_sys6(n, a, b, c, d, e, f) \
	vu_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* vu_selector_allow -- let the system calls of what follows through (the
 * SUD selector at ALLOW: a vDSO function that falls back to a real call must
 * not trap back into vu); returns the state for vu_selector_restore. */
VU_API unsigned char vu_selector_allow(void);
VU_API void vu_selector_restore(unsigned char s);

/* ---- the table and the stack (api.c) ---- */

/* vu_syscall_info -- the table entry of system call nr (its name, argument
 * names and kinds, VU_SC_* flags), or NULL when vu does not know the call.
 * (The table itself, vu_syscalls[] of vu_syscalls.h, is libvu's: built-in
 * layers index it, plugins ask this function.) */
VU_API const struct vu_syscall_info *vu_syscall_info(long nr);

/* vu_syscall_lookup -- the number of a system call by its kernel name, or
 * -1 when it is not in vu's table on this architecture. */
VU_API long vu_syscall_lookup(const char *name);

/* vu_below_wants -- does a layer below self in the stack want call nr? */
VU_API int vu_below_wants(const struct vu_layer *self, long nr);

/* vu_layer_options -- a plugin's "options" object of vu.json, as JSON
 * text ("{}" when absent). */
VU_API const char *vu_layer_options(const struct vu_layer *self);

/* vu_option_string, vu_option_long -- member key of the options object
 * (init only: they parse with malloc). Return 1 and set *out when present,
 * 0 when absent, -EINVAL when it has another JSON type (or a long does not
 * fit). Strings stay valid for the life of the process. */
VU_API int vu_option_string(const struct vu_layer *self, const char *key, const char **out);
VU_API int vu_option_long(const struct vu_layer *self, const char *key, long *out);

/* ---- strings, formatting, the log (util.c): no libc on the hook path ---- */

VU_API size_t vu_strlen(const char *s);
VU_API int vu_strcmp(const char *a, const char *b);
VU_API int vu_strncmp(const char *a, const char *b, size_t n);
VU_API void *vu_memcpy(void *d, const void *s, size_t n);
/* vu_memeq -- are the n bytes at a and b the same? */
VU_API int vu_memeq(const void *a, const void *b, size_t n);
VU_API char *vu_stpcpy(char *d, const char *s);

/* vu_format -- snprintf for the hook path: %s %d %u %x %#x %p %c %% with the
 * l and z modifiers. Returns the length it wanted. */
VU_API int vu_format(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
VU_API int vu_vformat(char *buf, size_t len, const char *fmt, va_list ap);

/* vu_log -- one "vu[pid]: ..." line on vu's own copy of stderr
 * (vu_format's conversions). */
VU_API void vu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* vu_debug -- vu_log when VU_DEBUG is set (vu_debug_on); nothing otherwise. */
VU_API extern int vu_debug_on;
#define vu_debug(...) do { if (vu_debug_on) vu_log(__VA_ARGS__); } while (0)

/* ---- paths (path.c) ---- */

/* vu_path_normalize -- in must be absolute: ".", ".." and "//" removed
 * lexically, into out (len bytes). Returns the length or -errno. */
VU_API long vu_path_normalize(const char *in, char *out, size_t len);

/* vu_path_abs -- path made absolute (against dirfd or the cwd) and
 * normalized, into out (len bytes). Returns the length or -errno. */
VU_API long vu_path_abs(int dirfd, const char *path, char *out, size_t len);

/* vu_path_prefix -- is path (absolute, normalized) prefix or below it?
 * Returns the length of prefix (path + n is "" or "/rest"), or -1. */
VU_API long vu_path_prefix(const char *path, const char *prefix);

/* vu_call_dirfd -- the dirfd that goes with path argument i of c (the
 * argument just before it when its kind is dirfd), else AT_FDCWD. */
VU_API int vu_call_dirfd(const struct vu_call *c, int i);

/* vu_call_abspath -- path argument i of c made absolute (against the dirfd
 * argument before it, or the cwd) with ".", ".." and "//" removed
 * lexically, into out (len bytes). Returns the length or -errno. */
VU_API long vu_call_abspath(const struct vu_call *c, int i, char *out, size_t len);

/* vu_call_path -- path argument i of c as vu_call_abspath makes it, worked
 * out once per call and shared by every layer: the same string for the
 * same argument until a layer rewrites it (then it is worked out again).
 * Returns it (read-only, valid while the call lasts and the argument is
 * not rewritten), its length in *len and vu_strmap_hash of it in *hash;
 * or NULL and -errno in *len. */
VU_API const char *vu_call_path(const struct vu_call *c, int i, long *len, unsigned long *hash);

/* vu_call_names -- the names path argument i of c bears as written (the
 * vu_name_hash of each component, in order), worked out once per call and
 * shared by every layer: a layer that looks for certain names (say, the
 * last names of its trees: vu_roots_may_have_base) lets a path that bears
 * none of them go in a few instructions. NULL when vu has no room (then
 * look at the path yourself). n > VU_NAMES_MAX: too many components to
 * list (only flags is known). */
#define VU_NAMES_MAX 24
#define VU_NAMES_ABS 1		/* it starts with "/" */
#define VU_NAMES_DOTDOT 2	/* it has a ".." component */
#define VU_NAMES_PLAIN 4	/* absolute and normalized: no "//", no "." or ".."
				 * component, no trailing "/" (but "/" itself) */
struct vu_names {
	unsigned flags;		/* VU_NAMES_* */
	unsigned n;		/* components ("." and ".." included) */
	unsigned hash[VU_NAMES_MAX];
	unsigned last;		/* where the last component starts in the path as
				 * written (0: it is the first); the bytes before it
				 * are its folder part */
};
VU_API const struct vu_names *vu_call_names(const struct vu_call *c, int i);

/* vu_name_hash -- the hash of one name (a component, n bytes): of its
 * length and its first and last 8 bytes (fewer for a short name), so it
 * costs the same for any length; names that differ only in between
 * collide, which a filter built on it tolerates */
static inline unsigned vu_name_hash(const char *name, size_t n)
{
	unsigned long a, b, h;

	if (n >= 8) {
		__builtin_memcpy(&a, name, 8);
		__builtin_memcpy(&b, name + n - 8, 8);
	} else if (n >= 4) {
		unsigned x, y;

		__builtin_memcpy(&x, name, 4);
		__builtin_memcpy(&y, name + n - 4, 4);
		a = x;
		b = y;
	} else {
		a = n ? (unsigned long)(unsigned char)name[0] | (unsigned long)(unsigned char)name[n / 2] << 8 |
			(unsigned long)(unsigned char)name[n - 1] << 16 : 0;
		b = 0;
	}
	h = (a ^ (b * 0x9e3779b97f4a7c15UL) ^ n) * 0xff51afd7ed558ccdUL;
	return (unsigned)(h >> 32) ^ (unsigned)h;
}

/* vu_call_path_args -- the path arguments of c that name a file (those of
 * kind path, but a symlink's content), bit i for argument i */
VU_API unsigned vu_call_path_args(const struct vu_call *c);

/* vu_call_for_each_path -- for each path argument i of c (non-empty) that
 * maybe(ctx, path, dirfd) lets through (a cheap look at the string first),
 * fn(ctx, c, i, abs) with the path made absolute and normalized in scratch
 * (given back after each). fn returns VU_CONTINUE to go on, or VU_DONE with
 * c->ret set. No scratch: c->ret = -ENOMEM and VU_DONE. A path that cannot
 * be made absolute is left to the kernel (its own error). */
VU_API enum vu_action vu_call_for_each_path(struct vu_call *c,
					    int (*maybe)(const void *ctx, const char *path, int dirfd),
					    enum vu_action (*fn)(const void *ctx, struct vu_call *c, int i,
								 const char *abs),
					    const void *ctx);

/* vu_host_realpath -- glibc's realpath, for start-up code (layer init sees
 * the host's paths), not vu's own (libc/realpath.c). */
VU_API char *vu_host_realpath(const char *path, char *resolved);

/* ---- what a call does: decoded once per call from the table ---- */

/* One path argument of the call (syscalls.json "does".paths). */
struct vu_op_path {
	int arg;		/* index of the path in c->args */
	int dirfd_arg;		/* index of its dirfd, or -1: the cwd */
	int role;		/* enum vu_path_role: object, new, old, content */
	int follow;		/* the kernel follows a symlink in the last component */
	int empty;		/* "" (AT_EMPTY_PATH) or NULL names the dirfd itself */
	int empty_needs_fd;	/* ... but only a descriptor opened for real (not O_PATH) */
};

/* What the call does, as the table and its flags say (c->op). */
struct vu_op {
	int kind;		/* enum vu_op_kind, as in the table (an open stays VU_OP_OPEN) */
	int writes;		/* it can change a file system object (an open: by its flags) */
	int npaths;
	struct vu_op_path path[2];
	int fd_arg;		/* index of the descriptor it acts on, or -1 */
	unsigned long oflags;	/* VU_OP_OPEN: the open flags */
	unsigned long long resolve;	/* openat2: its RESOLVE_* flags */
	void *memo;		/* vu's core: the call's paths, worked out once (vu_call_path) */
	int nocache;		/* vu_call_nocache was called */
};

/* vu_call_nocache -- this call's answer is not to be remembered (a layer
 * whose wants() said VU_WANTS_PURE looked at the file system for it). */
VU_API void vu_call_nocache(struct vu_call *c);

/* vu_op_dirfd -- the directory path argument i of c is looked up from
 * (AT_FDCWD for the cwd), as the argument is now (a layer above may have
 * rewritten it). */
VU_API int vu_op_dirfd(const struct vu_call *c, int i);

/* What a path reaches, asked of the kernel (vu_reach_at, vu_op_reach). */
struct vu_reach {
	int fd;			/* O_PATH: the object, or with VU_REACH_PARENT its folder */
	int owned;		/* fd is vu's, closed by vu_reach_close */
	int exists;		/* (VU_REACH_STAT) the object, or the name in its folder, exists */
	unsigned mode;		/* (VU_REACH_STAT) its st_mode when it exists */
	unsigned long dev, ino;	/* (VU_REACH_STAT) its identity when it exists */
	const char *name;	/* VU_REACH_PARENT: the last component; "" when it is
				 * not a plain name (".", "..", "/"): then fd and real
				 * are the folder the path names */
	char *real;		/* the real path: the object's, or folder/name */
	unsigned long dirlen;	/* length of the folder's part of real */
};
#define VU_REACH_FOLLOW 1	/* follow a symlink in the last component */
#define VU_REACH_PARENT 2	/* look up the folder of the last component */
#define VU_REACH_STAT 4		/* fill exists, mode, dev, ino */
#define VU_REACH_EMPTY 8	/* "" or NULL names dirfd itself */

/* vu_reach_at -- look path up from dirfd as the kernel would (symlinks,
 * magic links of /proc, openat2's RESOLVE_* flags in resolve), opening it
 * O_PATH through the gate, and read back its real path. how: VU_REACH_*.
 * Memory comes from c's scratch. Returns 0, or the kernel's own -errno for
 * the lookup (the call would fail the same way). vu_reach_close gives the
 * descriptor back, also after an error. */
VU_API long vu_reach_at(struct vu_call *c, int dirfd, const char *path, int how,
			unsigned long long resolve, struct vu_reach *r);

/* vu_op_reach -- vu_reach_at for path argument i of c, with its dirfd,
 * follow rule, AT_EMPTY_PATH and RESOLVE_* as decoded in c->op; how may
 * add VU_REACH_PARENT and VU_REACH_STAT. */
VU_API long vu_op_reach(struct vu_call *c, int i, int how, struct vu_reach *r);
VU_API void vu_reach_close(struct vu_reach *r);

/* ---- roots: the trees a path layer (readonly, hide) is about (roots.c) ---- */

/* ---- a string map built at start-up, looked up in O(1) (strmap.c) ---- */
struct vu_strmap_slot {
	const char *key;	/* not copied: kept for the life of the map */
	unsigned len;		/* (16 bytes a slot: 10,000 keys in 512 KiB) */
	int value;
};
struct vu_strmap {
	struct vu_strmap_slot *slot;
	size_t cap, count;
};
/* vu_strmap_init -- room for n keys to start with (start-up, uses libc). 0
 * or -ENOMEM. */
VU_API int vu_strmap_init(struct vu_strmap *m, size_t n);
/* vu_strmap_put -- key (n bytes) -> value, 0 to INT_MAX (start-up: the
 * map grows as needed). 1 added, 0 already there (the first value stays),
 * -ENOMEM. */
VU_API int vu_strmap_put(struct vu_strmap *m, const char *key, size_t n, long value);
/* vu_strmap_get -- the value of key (n bytes), or -1 (signal-safe). */
VU_API long vu_strmap_get(const struct vu_strmap *m, const char *key, size_t n);
/* vu_strmap_hash -- the hash the map keys by: a caller that looks one key
 * up in several maps (or has it from vu_call_path) hashes it once */
VU_API unsigned long vu_strmap_hash(const char *key, size_t n);
VU_API long vu_strmap_get_hashed(const struct vu_strmap *m, const char *key, size_t n,
				 unsigned long h);
/* vu_strmap_put_hashed -- vu_strmap_put, h being vu_strmap_hash(key, n) */
VU_API int vu_strmap_put_hashed(struct vu_strmap *m, const char *key, size_t n, unsigned long h,
				long value);

/* vu_name_bits -- a bit per name hash (vu_name_hash), 16 bits or more per
 * name: a name whose bit is clear is none of those added (the last names
 * of vu_roots, remap's keys'). Made at start-up, read on the hook path. */
struct vu_name_bits {
	unsigned long *bits;
	unsigned mask;		/* bits - 1 */
};
/* room for n names, all clear: 0 or -ENOMEM (start-up: calloc) */
VU_API int vu_name_bits_init(struct vu_name_bits *f, int n);

static inline void vu_name_bits_add(struct vu_name_bits *f, unsigned h)
{
	h &= f->mask;
	f->bits[h / 64] |= 1UL << (h % 64);
}

/* could a name whose vu_name_hash is h have been added? 0: certainly not */
static inline int vu_name_bits_may(const struct vu_name_bits *f, unsigned h)
{
	unsigned b = h & f->mask;

	return f->bits && (f->bits[b / 64] >> (b % 64)) & 1;
}

/* vu_layer_names_only -- at init: this layer acts on a call that names
 * one entry of a folder open as a descriptor (fstatat(dirfd, "name",
 * AT_SYMLINK_NOFOLLOW) as tar, find and rm -r make it: a single name, no
 * "/", not "." or "..", relative to a descriptor, not followed when it is a
 * symlink) only when vu_name_bits_may(f, vu_name_hash(name)) (f NULL: for
 * no name), and, with VU_NAMES_ONLY_WRITES in flags, when the call writes
 * (vu_op.writes: an open by its flags). When every layer that wants such a
 * call said so and none acts on it, the call goes straight to the kernel,
 * as a verdict-cache hit does, without entering the layers (only calls
 * the verdict cache may serve: VU_WANTS_PURE). f stays the layer's,
 * unchanged, as long as it lives. A layer that never calls this is always
 * entered. */
#define VU_NAMES_ONLY_WRITES 1
/* and its answer for a path of several names, not followed, is its answer
 * for the folder part: the same for every last name not in f (vu then
 * remembers a folder whose name it let by, as the verdict cache does) */
#define VU_NAMES_ONLY_FOLDER 2
VU_API void vu_layer_names_only(const struct vu_layer *self, const struct vu_name_bits *f, unsigned flags);

struct vu_roots {
	int n;
	const char **path;	/* absolute, normalized, no trailing '/' */
	size_t *len;
	const char **base;	/* last component of each path ("" for "/") */
	unsigned long *dev, *ino;	/* identity of each root (0, 0: did not exist at start-up) */
	struct vu_strmap by_path, by_base, by_id;	/* path, last name, (dev, ino) -> index */
	unsigned long *id;		/* (dev, ino) pairs, the keys of by_id */
	struct vu_name_bits base_bits;	/* the last names (each item twice: as written, resolved) */
};

/* vu_roots_may_have_base -- could a name whose vu_name_hash is h be the
 * last name of a root? 0: certainly not */
static inline int vu_roots_may_have_base(const struct vu_roots *r, unsigned h)
{
	return vu_name_bits_may(&r->base_bits, h);
}

/* vu_roots_init -- at start-up (libc allowed): the trees named by items
 * (absolute, normalized), each as written and, when different, with its
 * symlinks resolved (both when want_both, else only the resolved one).
 * Returns 0 or -errno with a message in err. */
VU_API int vu_roots_init(struct vu_roots *r, const char *const *items, int n, int want_both,
			 char *err, size_t errlen);

/* vu_roots_match -- index of the longest root that abs (absolute,
 * normalized) is equal to or below, or -1. */
VU_API int vu_roots_match(const struct vu_roots *r, const char *abs);

/* vu_roots_is -- does abs name one of the roots exactly? */
VU_API int vu_roots_is(const struct vu_roots *r, const char *abs);

/* vu_roots_has_base -- is name (len bytes) the last component of a root? */
VU_API int vu_roots_has_base(const struct vu_roots *r, const char *name, size_t len);

/* vu_roots_id -- index of the root with this (device, inode), or -1. */
VU_API int vu_roots_id(const struct vu_roots *r, unsigned long dev, unsigned long ino);

/* vu_roots_holds -- index of the root that real (a path the kernel gave
 * back, e.g. vu_reach.real) is at or below, or -1: by path, then by the
 * identity of each component bearing a root's last name, so a root moved
 * with a renamed folder is still found. Scratch from c. */
VU_API int vu_roots_holds(const struct vu_roots *r, struct vu_call *c, const char *real);

/* vu_fd_realpath -- the path the kernel gives for fd (readlink of
 * /proc/self/fd/N) into out; the length, or -errno; -EINVAL when it is not
 * a path (pipe:[..], anon_inode:..) or the file was deleted. */
VU_API long vu_fd_realpath(int fd, char *out, size_t len);

/* ---- vu's own descriptors and the environment of children (process/) ---- */

/* vu_fd_keep -- take fd as vu's own (moved high, close-on-exec, hidden from
 * the program's close and dup2). Returns the fd to use, or -errno. */
VU_API int vu_fd_keep(int fd);

/* vu_fd_keep_at -- vu_fd_keep(*slot), and *slot follows the descriptor
 * whenever it has to move. Returns the fd, or -errno. */
VU_API int vu_fd_keep_at(int *slot);

/* vu_exec_env_add -- at start-up: a "NAME=value" line that every child gets
 * too, so a layer's per-tree state survives env -i. Returns 0 or -errno. */
VU_API int vu_exec_env_add(const char *line);

/* vu_getenv, vu_setenv -- the process's environment as glibc keeps it
 * (environ), whatever the program defines: a shell's own getenv and
 * setenv (bash exports both) answer from its variable table, which does
 * not exist yet at start-up and, once a setenv made it, no longer sees
 * environ. vu_setenv: start-up only; 0 or -1 and errno. */
VU_API const char *vu_getenv(const char *name);
VU_API int vu_setenv(const char *name, const char *value);

#endif
