/*
 * vu_plugin.h -- what a plugin layer (a shared object loaded by the
 * "plugin" layer of vu.json) may use of libvu. Build a plugin with
 *
 *   gcc -shared -fPIC -O2 -Wall -I<vu>/runtime -I<vu>/generated-c \
 *       mylayer.c -o mylayer.so
 *
 * and define its entry point with VU_PLUGIN("name", &ops). No -lvu: the
 * functions below are resolved in the libvu.so that loads the plugin.
 *
 * The rules of the hook path (wants at start-up; enter and leave on every
 * call, inside libc wrappers and SIGSYS handlers, in any thread, also in a
 * vfork child): no malloc or free, no stdio, no locks a signal handler could
 * already hold, no libc function that makes a system call (it would come
 * back through vu); make system calls with vu_sys*(), take per-call memory
 * from vu_call_alloc(), keep state in memory set up by init. Pure functions
 * of libc (strlen, memcmp, memcpy) are fine. init runs once per process at
 * start-up, before the program's main, and may use libc freely.
 */
#ifndef VU_PLUGIN_H
#define VU_PLUGIN_H

#include <stddef.h>
#include "vu_layer.h"

#define VU_API __attribute__((visibility("default")))

/* vu_syscall6 -- the real system call, below every layer, issued from
 * vu's gate (never trapped again). Returns the result or -errno. */
VU_API long vu_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

#ifndef vu_sys0	/* (libvu's own code has its own, see vu_core.h) */
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
#endif

/* vu_syscall_info -- the table entry of system call nr (its name, argument
 * names and kinds, VU_SC_* flags), or NULL when vu does not know the call. */
VU_API const struct vu_syscall_info *vu_syscall_info(long nr);

/* vu_syscall_lookup -- the number of a system call by its kernel name, or
 * -1 when it is not in vu's table on this architecture. */
VU_API long vu_syscall_lookup(const char *name);

/* vu_call_abspath -- path argument i of c made absolute (against the dirfd
 * argument before it, or the cwd) with ".", ".." and "//" removed
 * lexically, into out (len bytes). Returns the length or -errno. */
VU_API long vu_call_abspath(const struct vu_call *c, int i, char *out, size_t len);

/* vu_path_prefix -- is path (absolute, normalized) prefix or below it?
 * Returns the length of prefix (path + n is "" or "/rest"), or -1. */
VU_API long vu_path_prefix(const char *path, const char *prefix);

/* vu_format -- snprintf for the hook path: %s %d %u %x %p %c %% with the
 * l and z modifiers. Returns the length it wanted. */
VU_API int vu_format(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vu_debug_log -- one "vu[pid]: ..." line on stderr when VU_DEBUG is set
 * (vu_format's conversions); nothing otherwise. */
VU_API void vu_debug_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* vu_layer_options -- the plugin's "options" object of vu.json, as JSON
 * text ("{}" when absent). */
VU_API const char *vu_layer_options(const struct vu_layer *self);

/* vu_option_string, vu_option_long -- member key of the options object
 * (init only: they parse with malloc). Return 1 and set *out when present,
 * 0 when absent, -EINVAL when it has another JSON type (or a long does not
 * fit). Strings stay valid for the life of the process. */
VU_API int vu_option_string(const struct vu_layer *self, const char *key, const char **out);
VU_API int vu_option_long(const struct vu_layer *self, const char *key, long *out);

/* VU_PLUGIN -- the one symbol a plugin exports. */
#define VU_PLUGIN(NAME, OPS) \
	VU_API const struct vu_plugin vu_plugin = { VU_ABI_VERSION, (NAME), (OPS) }

#endif
