/*
 * trace.h -- between the trace layer (trace.c: options, hooks, the file)
 * and its decoder (fmt.c: one call as a JSON or strace-like line).
 */
#ifndef VU_TRACE_H
#define VU_TRACE_H

#include "vu_layer.h"

/* What trace_enter saw of a call, kept for its leave. */
struct trace_rec {
	const struct vu_call *c;	/* the call (with layer: the key) */
	const void *layer;
	long pid, tid;			/* who made it */
	long nr;
	long args[6];			/* as the program made the call */
	int src;			/* enum vu_source */
	int exec;			/* an exec: its line was written at entry */
	unsigned char in_ok;		/* bit i: in_set[i] holds input set i */
	unsigned long in_set[6];	/* sigset inputs, read at entry */
	long t0_ns;			/* CLOCK_REALTIME at entry */
	long m0_ns;			/* CLOCK_MONOTONIC at entry */
};

/* Which line of a call. */
enum trace_phase {
	TRACE_DONE = 0,		/* the call and its result */
	TRACE_NORETURN,		/* exit, exit_group: the call, no result */
	TRACE_UNFINISHED,	/* an exec, before it runs */
	TRACE_RESUMED,		/* an exec that came back: its result */
};

/* One line to write. */
struct trace_line {
	int strace;			/* strace-like text, not JSON */
	long pid, tid;
	const struct trace_rec *r;
	int phase;			/* enum trace_phase */
	int ret_known;			/* 0: the result is not seen (clone via the trampoline) */
	long ret;			/* result or -errno */
	long dur_ns;
	const long *now_args;		/* the arguments the kernel got, or NULL */
	char *tmp;			/* TRACE_TMP bytes for copies of program memory, or NULL */
};

#define TRACE_TMP 4160		/* a path, and a little room */

/* A text under construction: never more than cap bytes; full says
 * something did not fit. */
struct tout {
	char *p;
	size_t len, cap;
	int full;
};

/* trace_format -- the line for l into o, with its newline. Hook path. */
void trace_format(struct tout *o, const struct trace_line *l);

/* trace_note_inputs -- read at entry what the call may change before its
 * line is written (a signal set it reads, when it writes the same one). */
void trace_note_inputs(struct trace_rec *r);

/* trace_fmt_init -- errno names and messages, at start-up. */
void trace_fmt_init(void);

#endif
