/*
 * vu_layer.h -- the layer ABI of vu: what a layer (built in or a plugin)
 * sees of a system call, and what it answers.
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

#include <stddef.h>
#include "vu_syscalls.h"

/* 2 (2026-11-23): struct vu_syscall_info holds its strings (no pointers) */
#define VU_ABI_VERSION 2

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
struct vu_call {
	long nr;		/* VU_NR_* of the build architecture */
	long args[6];		/* raw register values, rewritten in place */
	long ret;		/* result, or -errno */
	int source;		/* enum vu_source */
	int depth;		/* index of the layer being walked */
	char *scratch;		/* per-call scratch, VU_SCRATCH_SIZE bytes, or NULL */
	unsigned long scratch_used;	/* bytes handed out by vu_call_alloc */
	long core_tmp[2];	/* reserved for vu's core */
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
	/* wants -- does the layer look at system call nr? (start-up only) */
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
 * A plugin: a shared object built against this header (and vu_plugin.h)
 * that exports `const struct vu_plugin vu_plugin`, loaded by the plugin
 * layer. abi comes first so that a plugin built against another ABI is
 * recognised before anything else is read.
 */
struct vu_plugin {
	int abi;				/* VU_ABI_VERSION it was built with */
	const char *name;			/* for logs and errors */
	const struct vu_layer_ops *ops;		/* ops->abi must match too */
};

#define VU_PLUGIN_SYMBOL "vu_plugin"

/* Argument helpers for layers. */
static inline const char *vu_arg_str(const struct vu_call *c, int i)
{
	return (const char *)c->args[i];
}

#endif
