/*
 * init.c -- start-up of libvu in a process: am I preloaded? which config?
 * which layers? then arm the interception. Runs before the program's main
 * (and before SUD is armed), so it may use libc.
 */
#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_core.h"

struct vu_state vu;

void vu_exec_setup(const char *explicit_none) VU_HIDDEN;
void vu_exec_resolve(void) VU_HIDDEN;

/* Is this library in LD_PRELOAD (and not merely dlopen'ed, e.g. by `vu
 * check` through ffi)? Entries are compared as files (device and inode),
 * which costs a stat each instead of a realpath walk. The list is read in
 * place (no copy, no strtok: neither the heap nor the C library's string
 * functions, pages a process under vu need not touch to start). */
static int preloaded(const char *self, const struct stat *me)
{
	const char *pl = vu_getenv("LD_PRELOAD"), *base = self;
	size_t sl = vu_strlen(self), bl, n;

	if (!pl)
		return 0;
	for (const char *q = self; *q; q++)
		if (*q == '/')
			base = q + 1;
	bl = vu_strlen(base);
	for (const char *p = pl; (p = vu_preload_next(p, &n)); p += n) {
		int slash = 0;

		for (size_t k = 0; k < n; k++)
			slash |= p[k] == '/';
		if (!slash) {
			if (n == bl && !vu_strncmp(p, base, n))
				return 1;	/* a bare name: ld.so searched for it */
		} else if (n == sl && !vu_strncmp(p, self, n)) {
			return 1;	/* (as ld.so named it: no stat) */
		} else if (n < PATH_MAX) {
			char *tok = vu_keep_room(n + 1);	/* (given back below) */
			struct stat st;
			int same;

			if (!tok)
				return 0;
			vu_memcpy(tok, p, n);
			tok[n] = 0;
			same = !vu_sys4(SYS_newfstatat, AT_FDCWD, tok, &st, 0) && st.st_dev == me->st_dev &&
			       st.st_ino == me->st_ino;
			vu_keep_trim(tok, n + 1, 0);
			if (same)
				return 1;
		}
	}
	return 0;
}

/* this library's absolute path (what children get in LD_PRELOAD): ld.so
 * names it as LD_PRELOAD did, usually absolute already */
static int self_path(const char *name, char *out)
{
	if (name[0] == '/')
		return vu_path_normalize(name, out, PATH_MAX) > 0;
	return vu_host_realpath(name, out) != NULL;
}

static void open_log(void)
{
	const char *d = vu_getenv("VU_DEBUG");
	long fd;

	if (!d || !*d || !strcmp(d, "0"))
		return;
	vu_debug_on = 1;
	fd = vu_sys3(SYS_fcntl, 2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0) {
		int kept = vu_fd_keep((int)fd);

		if (kept >= 0)
			vu_log_fd = kept;
	}
}

static void log_start(void)
{
	if (!vu_debug_on)
		return;
	vu_log("libvu %s, mode %s, config %s, %d layer%s", vu.lib_path,
	       vu.mode == VU_MODE_ALL ? "all" : "libc",
	       vu.config_path ? vu.config_path : "(none)", vu.nlayers,
	       vu.nlayers == 1 ? "" : "s");
	for (int i = 0; i < vu.nlayers; i++)
		vu_log("layer %d: %s", i, vu.layers[i].type->name);
	/* the calls someone wants: the others take the fast way */
	char line[8192];
	size_t n = 0;

	line[0] = 0;
	for (long nr = 0; nr < VU_NR_COUNT && n < sizeof(line) - 64; nr++)
		if (vu_syscalls[nr].name[0] && vu_wanted(nr))
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", vu_syscalls[nr].name);
	vu_log("wanted:%s", n ? line : " none");
}

void vu_stdio_setup(void) VU_HIDDEN;
void vu_thread_blocks_freed(void) VU_HIDDEN;

int vu_init_state;	/* VU_INIT_*: vu_libc_call starts vu if a wrapper comes first */

/* own_file -- the file libvu was loaded from (info->dli_fname):
 * _dl_find_object (glibc 2.35+, a lookup meant for unwinders) where there
 * is one, else dladdr, ten times the work */
static int own_file(Dl_info *info)
{
#ifdef DLFO_STRUCT_HAS_EH_DBASE
	struct dl_find_object fo;

	if (_dl_find_object((void *)own_file, &fo) == 0 && fo.dlfo_link_map &&
	    fo.dlfo_link_map->l_name && fo.dlfo_link_map->l_name[0]) {
		info->dli_fname = fo.dlfo_link_map->l_name;
		return 1;
	}
#endif
	return dladdr((void *)own_file, info);
}

static void vu_init(void)
{
	Dl_info info;
	char *self = vu_keep_room(PATH_MAX);	/* (formatted in place: no PATH_MAX on the stack) */
	const char *env = vu_getenv("VU_CONFIG");
	long r;

	struct stat me;

	if (!self || !own_file(&info) || !info.dli_fname || !self_path(info.dli_fname, self) ||
	    stat(self, &me)) {
		if (self)
			vu_keep_trim(self, PATH_MAX, 0);
		return;
	}
	vu_keep_trim(self, PATH_MAX, vu_strlen(self) + 1);
	vu_self_st = me;	/* (compiled.c: this libvu's identity, without a stat) */
	if (!preloaded(self, &me))
		return;
	vu.lib_path = self;
	vu_libc_resolve();
	vu_exec_resolve();
	open_log();
	{
		/* VU_VERDICT_CACHE=0: every call goes down the layers (verdict.c) */
		const char *vc = vu_getenv("VU_VERDICT_CACHE");

		vu_vc_off = vc && vc[0] == '0' && !vc[1];
	}
	vu_config_load();
	vu_exec_setup(env && !*env ? "" : NULL);
	vu_fncalls_setup();
	vu_interest_compute();
	vu_stdio_setup();
	log_start();
	if (vu.mode != VU_MODE_ALL) {
		vu_thread_blocks_freed();
		return;
	}
	vu_rewrite_images();	/* the C library's and the loader's patched code */
	r = vu_sud_install();
	if (r)
		vu_fatal(125, "cannot arm Syscall User Dispatch (%s); this kernel needs "
			 "Linux 5.11+ with CONFIG_GENERIC_ENTRY, or use \"intercept\": \"libc\" in %s",
			 r == -EINVAL ? "EINVAL" : r == -EPERM ? "EPERM" : "error",
			 vu.config_path ? vu.config_path : "vu.json");
}

/* Start-up's own pages in a few calls instead of a fault each. A page
 * fault is a kernel entry per page (2 µs on one machine, 10 µs on another,
 * where a system call costs 1 µs); a process under vu first touched ~20
 * pages of libvu one at a time: code spread over the hot part's 64 KiB
 * fault-around windows, read-only tables, and the variables start-up
 * writes. MADV_POPULATE_READ / _WRITE (Linux 5.14) map them in one call
 * per range: the hot code and .rodata (page-cache pages: no copy), .data
 * and .bss (zeroed or copied on write, as their first write would). On an
 * older kernel the calls fail (EINVAL) and the pages fault in as before:
 * a place, never a behaviour. */
extern const char __vu_hot_start[] VU_HIDDEN, __vu_hot_end[] VU_HIDDEN;
extern const char __vu_rodata_start[] VU_HIDDEN, __vu_rodata_end[] VU_HIDDEN;
extern char __vu_data_start[] VU_HIDDEN, __vu_bss_end[] VU_HIDDEN;

static void populate(const void *from, const void *to, int how)
{
	uintptr_t lo = ((uintptr_t)from + 4095) & ~(uintptr_t)4095;	/* (the markers lie before
									 * their section's alignment) */
	uintptr_t hi = ((uintptr_t)to + 4095) & ~(uintptr_t)4095;

	if (hi > lo)
		vu_syscall6(SYS_madvise, (long)lo, (long)(hi - lo), how, 0, 0, 0);
}

static void populate_startup(void)
{
	populate((const char *)((uintptr_t)__vu_hot_start & ~(uintptr_t)4095), __vu_hot_end, MADV_POPULATE_READ);
	populate(__vu_rodata_start, __vu_rodata_end, MADV_POPULATE_READ);
	populate(__vu_data_start, __vu_bss_end, MADV_POPULATE_WRITE);
}

/* vu_init_run -- once: from the constructor, or from the first wrapper
 * entered before it (then the constructor finds it done) */
void vu_init_run(void)
{
	/* (in .data, a page the loader has written: the first write to .bss,
	 * vu_init_state's, comes after the pages are populated) */
	static int populate_pending = 1;
	int not_yet = VU_INIT_NOT_YET;

	if (__atomic_exchange_n(&populate_pending, 0, __ATOMIC_RELAXED))
		populate_startup();
	if (!__atomic_compare_exchange_n(&vu_init_state, &not_yet, VU_INIT_RUNNING, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	vu_env_index(1);	/* (util.c: the VU_* variables there are, while vu starts) */
	vu_init();
	vu_env_index(0);
	if (vu_interest[0] == 2)	/* not preloaded (or no config): nothing wanted */
		for (long nr = 0; nr < VU_NR_COUNT; nr++)
			vu_interest[nr] = 0;
	vu_direct_compute();
	__atomic_store_n(&vu_init_state, VU_INIT_DONE, __ATOMIC_RELEASE);
}

int vu_wants_early(long nr)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's own start-up (getrlimit) comes here before its shadow
	 * memory exists: vu_init, instrumented, cannot run yet */
	if (__atomic_load_n(&vu_init_state, __ATOMIC_ACQUIRE) != VU_INIT_DONE)
		return 0;
#endif
	if (__atomic_load_n(&vu_init_state, __ATOMIC_ACQUIRE) == VU_INIT_NOT_YET)
		vu_init_run();
	if (__atomic_load_n(&vu_init_state, __ATOMIC_ACQUIRE) != VU_INIT_DONE)
		return 0;	/* vu_init's own calls */
	return vu_wanted(nr);	/* (3: not worked out yet) */
}

/* libvu is linked with -z initfirst: ld.so runs this before the
 * constructors of every other library (libselinux's, a program's own), and
 * before the C library's own initialization, which sets environ: until
 * then it is the array the constructor is given, and what vu sets waits
 * (vu_setenv, vu_env_replay). */
__attribute__((constructor(101))) static void vu_init_ctor(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	if (!environ && envp) {
		environ = envp;
		vu_env_early = 1;
	}
	vu_init_run();
}

/* DT_FINI (binding.gyp: -Wl,-fini=vu_fini): crti.o's _fini, which does
 * nothing on x86-64, lies in .fini after all of libvu's code: one more page
 * fault in every process, at its exit. This one lies with start-up's code
 * (text-order.ld). */
void vu_fini(void) VU_HIDDEN;
void vu_fini(void)
{
}

/* __libc_start_main -- the program starts: every constructor has run, the
 * C library's too; what vu set in the environment before it is set again */
typedef int vu_start_fn(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
			void (*)(void), void *);

VU_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
				void (*init)(void), void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	static vu_start_fn *real;

	if (!real)	/* (libc's own table: dlsym's full search costs ~10,000 instructions) */
		real = (vu_start_fn *)vu_libc_sym("__libc_start_main");
	if (!real)
		real = (vu_start_fn *)dlsym(RTLD_NEXT, "__libc_start_main");
	if (vu_env_early)
		vu_env_replay();
	if (!real)
		vu_fatal(70, "internal error: the C library's __libc_start_main was not found");
	return real(main, argc, argv, init, fini, rtld_fini, stack_end);
}
