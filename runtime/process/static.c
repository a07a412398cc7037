/*
 * static.c -- vu's own loader for static programs (no PT_INTERP: gcc
 * -static, musl static, busybox, Go with CGO_ENABLED=0), which never read
 * LD_PRELOAD.
 *
 * - exec side (vu_exec_static): an exec of a static x86_64 ELF becomes an
 *   exec of `vu-static` (beside libvu.so) with the same argv, the program
 *   open as VU_STATIC_FD and its path as VU_STATIC_EXE. vu-static is a
 *   small dynamic program: libvu.so is preloaded into it and armed as in
 *   any other.
 * - loader side (vu_static_main, called by vu-static's main): maps the
 *   program's PT_LOAD segments (a static-pie at a base of mmap's choice),
 *   builds the stack the kernel would have (argv, envp, auxv), switches vu
 *   to "foreign mode" and jumps to the entry with fs 0.
 * - foreign mode: the program's %fs is its own (its TLS). vu's code reaches
 *   its own TLS (vu_self, vu_selector, errno) through %fs, so every handler
 *   vu installs enters through gate.S's vu_foreign_entry, which switches
 *   to vu's thread pointer and back; vu finds it through %gs, which points
 *   at the thread's struct vu_fx (the program may not set %gs: EPERM).
 *   ARCH_SET_FS/GET_FS are emulated (the value is kept in vu_fx), brk is
 *   emulated for the program (vu-static's glibc has the kernel's), and
 *   each thread the program clones gets a block and a vu thread pointer
 *   of its own, made by the parent before the clone (vu_foreign_new_thread).
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "vu_core.h"

#ifndef ARCH_SET_GS
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG 4096UL
#define PG_DOWN(x) ((unsigned long)(x) & ~(PG - 1))
#define PG_UP(x) (((unsigned long)(x) + PG - 1) & ~(PG - 1))
#define MAX_PH 64
#define STACK_SIZE (8UL << 20)
#define VU_STATIC_MARK 0x5653544154494331L

int vu_foreign;

static unsigned long vu_static_ino, vu_static_dev;
static unsigned long app_lo, app_hi;	/* the program's image */
static unsigned long brk_start, brk_cur;
static unsigned long main_tp;		/* vu's thread pointer of the main thread */
static void *(*allocate_tls)(void *);	/* ld.so's _dl_allocate_tls */
static int app_fd = -1;			/* the program, kept open (vu's fd) */
static char app_path[PATH_MAX] VU_PAGE_BSS;		/* its absolute path: /proc/self/exe */

static int is_err(long r)
{
	return r < 0 && r > -4096;
}

/* ---------------------------------------------------------------- exec */

/* a static x86_64 ELF vu can load, open as fd? 1 yes, 0 not static (or
 * not an ELF vu judges here), -1 static but not loadable (*why) */
static int static_elf(int fd, const char **why)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int loads = 0;

	if (vu_sys4(SYS_pread64, fd, &eh, sizeof(eh), 0) != (long)sizeof(eh) ||
	    vu_strncmp((const char *)eh.e_ident, ELFMAG, SELFMAG))
		return 0;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(ph))
		return 0;	/* enter.c refuses it ("foreign") */
	for (int i = 0; i < eh.e_phnum; i++) {
		if (vu_sys4(SYS_pread64, fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    (long)sizeof(ph))
			return 0;	/* the kernel says ENOEXEC */
		if (ph.p_type == PT_INTERP)
			return 0;
		if (ph.p_type == PT_LOAD)
			loads++;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		*why = "a static ELF that is neither an executable nor a static-pie";
		return -1;
	}
	if (!loads || eh.e_phnum > MAX_PH) {
		*why = "a static ELF with no loadable segment or too many program headers";
		return -1;
	}
	return 1;
}

long vu_exec_bottom(struct vu_call *c, vu_bottom_fn *bottom) VU_HIDDEN;

static long refuse(const char *path, const char *why)
{
	char line[PATH_MAX + 300];

	vu_format(line, sizeof(line), "%s: %s; vu cannot enter it, so it is not run",
		  *path ? path : "(fd)", why);
	vu_fatal_line(line);
	return -ENOEXEC;
}

long vu_exec_static(struct vu_call *c, vu_bottom_fn *bottom)
{
	int at = c->nr == VU_NR_execveat;
	int dirfd = at ? (int)c->args[0] : AT_FDCWD, flags = at ? (int)c->args[4] : 0;
	const char *path = (const char *)c->args[at ? 1 : 0];
	char *const *argv = (char *const *)c->args[at ? 2 : 1];
	char *const *envp = (char *const *)c->args[at ? 3 : 2];
	unsigned long mark = c->scratch_used;
	const char *why = 0;
	struct stat st;
	char vs[PATH_MAX], fdl[32], exel[PATH_MAX + 16], **env;
	unsigned long map = 0;
	const char *slash;
	size_t n = 0, o = 0;
	long fd, r;
	int k;

	if (!path || !vu.lib_path || c->core_tmp[1] == VU_STATIC_MARK)
		return 1;	/* (the exec of vu-static this function makes) */
	if (!*path && (flags & AT_EMPTY_PATH))
		fd = vu_sys3(SYS_fcntl, dirfd, F_DUPFD, 3);
	else
		fd = vu_sys4(SYS_openat, dirfd, path,
			     O_RDONLY | O_NONBLOCK | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
	if (fd < 0)
		return 1;	/* the exec gives the kernel's own error */
	if (vu_foreign && app_fd >= 0 && !vu_sys2(SYS_fstat, fd, &st) &&
	    st.st_ino == vu_static_ino && st.st_dev == vu_static_dev) {
		/* /proc/self/exe of a static program names vu-static: run the
		 * program again (busybox's applets do this) */
		vu_sys1(SYS_close, fd);
		fd = vu_sys3(SYS_fcntl, app_fd, F_DUPFD, 3);
		if (fd < 0)
			return fd;
		path = app_path;
		at = 0;
	}
	if (vu_sys2(SYS_fstat, fd, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_ISUID | S_ISGID)) || !(st.st_mode & 0111) ||
	    (k = static_elf((int)fd, &why)) == 0) {
		vu_sys1(SYS_close, fd);
		return 1;	/* not ours: as before (enter.c judges it) */
	}
	if (k < 0) {
		vu_sys1(SYS_close, fd);
		if (vu.unvirtualized & VU_UNVIRT_STATIC)
			return 1;
		return refuse(path, why);
	}
	slash = vu.lib_path;
	for (const char *p = vu.lib_path; *p; p++)
		if (*p == '/')
			slash = p;
	if ((size_t)(slash - vu.lib_path) + 11 > sizeof(vs))
		return 1;
	vu_memcpy(vs, vu.lib_path, slash - vu.lib_path);
	vu_stpcpy(vs + (slash - vu.lib_path), "/vu-static");
	if (vu_sys4(SYS_faccessat, AT_FDCWD, vs, X_OK, 0)) {
		vu_sys1(SYS_close, fd);
		return refuse(path, "a static program, and vu's loader (vu-static, beside "
			      "libvu.so) is missing");
	}
	for (; envp && envp[n]; n++)
		;
	/* the environment: in the call's scratch, else a mapping (the
	 * layers may have used most of the scratch for the path) */
	env = vu_call_alloc(c, (n + 3) * sizeof(char *));
	if (!env) {
		long m = vu_sys6(SYS_mmap, 0, (n + 3) * sizeof(char *), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (is_err(m)) {
			vu_sys1(SYS_close, fd);
			return -ENOMEM;
		}
		env = (char **)m;
		map = (unsigned long)m;
	}
	vu_format(fdl, 32, "VU_STATIC_FD=%ld", fd);
	if (*path && path != app_path && at && *path != '/' && dirfd != AT_FDCWD)
		vu_format(exel, PATH_MAX + 16, "VU_STATIC_EXE=/dev/fd/%d/%s", dirfd, path);
	else if (*path)
		vu_format(exel, PATH_MAX + 16, "VU_STATIC_EXE=%s", path);
	else
		vu_format(exel, PATH_MAX + 16, "VU_STATIC_EXE=/dev/fd/%d", dirfd);
	env[o++] = fdl;
	env[o++] = exel;
	for (size_t i = 0; i < n; i++)
		if (vu_strncmp(envp[i], "VU_STATIC_", 10))
			env[o++] = envp[i];
	env[o] = NULL;
	{
		struct vu_call c2 = *c;

		c2.nr = VU_NR_execve;
		c2.core_tmp[1] = VU_STATIC_MARK;
		c2.args[0] = (long)vs;
		c2.args[1] = (long)argv;
		c2.args[2] = (long)env;
		r = vu_exec_bottom(&c2, at ? NULL : bottom);
	}
	vu_sys1(SYS_close, fd);
	vu_call_release(c, mark);
	if (map)
		vu_sys2(SYS_munmap, map, (n + 3) * sizeof(char *));
	return r;
}

/* -------------------------------------------------------- foreign mode */

/* vu_foreign_new_thread -- in the parent's SIGSYS handler, for a thread
 * the program clones: a block, and a vu thread pointer made by ld.so as
 * for a new pthread (static TLS from the initial images), its header
 * (self pointers, stack and pointer guards) like the main thread's. Kept
 * when the thread exits (a few KiB). */
struct vu_fx *vu_foreign_new_thread(void)
{
	struct vu_thread *t;
	unsigned long *tp, *m = (unsigned long *)main_tp, dtv;

	if (!allocate_tls)
		return NULL;
	t = vu_thread_new();
	if (!t)
		return NULL;
	tp = allocate_tls(NULL);
	if (!tp) {
		vu_sys2(SYS_munmap, t, sizeof(*t));
		return NULL;
	}
	dtv = tp[1];
	vu_memcpy(tp, m, 0x50);	/* tcbhead_t up to feature_1 */
	tp[0] = (unsigned long)tp;
	tp[1] = dtv;
	tp[2] = (unsigned long)tp;
	t->fx.block = t;
	t->fx.vu_fs = (unsigned long)tp;
	t->fx.app_fs = 0;
	return &t->fx;
}

static long brk_emul(unsigned long a)
{
	unsigned long oe = PG_UP(brk_cur), ne = PG_UP(a);

	if (a < brk_start)
		return (long)brk_cur;
	if (ne > oe) {
		long r = vu_sys6(SYS_mmap, oe, ne - oe, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (r != (long)oe) {
			if (!is_err(r))
				vu_sys2(SYS_munmap, r, ne - oe);
			return (long)brk_cur;
		}
	} else if (ne < oe) {
		vu_sys2(SYS_munmap, ne, oe - ne);
	}
	brk_cur = a;
	return (long)a;
}

void vu_stats_exit(void) VU_HIDDEN;

/* vu_foreign_bottom -- the calls foreign mode answers itself */
long vu_foreign_bottom(struct vu_call *c, ucontext_t *uc, int *handled)
{
	struct vu_thread *t = vu_self;

	*handled = 0;
	if (!uc || !t)
		return 0;
	switch (c->nr) {
	case VU_NR_arch_prctl:
		*handled = 1;
		switch (c->args[0]) {
		case ARCH_SET_FS:
			t->fx.app_fs = (unsigned long)c->args[1];
			return 0;
		case ARCH_GET_FS:
			*(unsigned long *)c->args[1] = t->fx.app_fs;
			return 0;
		case ARCH_SET_GS:
			vu_debug("refused the program's arch_prctl(ARCH_SET_GS): vu's %%gs");
			return -EPERM;
		case ARCH_GET_GS:
			*(unsigned long *)c->args[1] = 0;
			return 0;
		}
		*handled = 0;
		break;
	case VU_NR_brk: {
		unsigned long ip = uc->uc_mcontext.gregs[REG_RIP];

		if (ip >= app_lo && ip < app_hi) {
			*handled = 1;
			return brk_emul((unsigned long)c->args[0]);
		}
		break;
	}
	case VU_NR_readlink:
	case VU_NR_readlinkat: {
		int a = c->nr == VU_NR_readlinkat;
		const char *p = (const char *)c->args[a];
		char *buf = (char *)c->args[a + 1];
		size_t n = (size_t)c->args[a + 2], l = vu_strlen(app_path);

		if (!app_path[0] || !p || vu_strcmp(p, "/proc/self/exe"))
			break;
		*handled = 1;
		if (l > n)
			l = n;
		vu_memcpy(buf, app_path, l);
		return (long)l;
	}
	case VU_NR_exit_group:
		vu_stats_exit();	/* no destructor runs in vu-static */
		break;
	}
	return 0;
}

/* -------------------------------------------------------------- loader */

struct image {
	unsigned long base, entry, phdr, hi;
	int phnum;
};

static void die(const char *exe, const char *what) __attribute__((noreturn));
static void die(const char *exe, const char *what)
{
	vu_fatal(126, "%s: %s", exe, what);
}

static void load(int fd, const char *exe, struct image *im)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PH];
	unsigned long lo = ~0UL, hi = 0;
	long r;
	const char *why = 0;

	if (static_elf(fd, &why) != 1)
		die(exe, why ? why : "not a static x86_64 ELF program");
	vu_sys4(SYS_pread64, fd, &eh, sizeof(eh), 0);
	if (vu_sys4(SYS_pread64, fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff) !=
	    (long)(eh.e_phnum * sizeof(ph[0])))
		die(exe, "cannot read its program headers");
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (PG_DOWN(ph[i].p_vaddr) < lo)
			lo = PG_DOWN(ph[i].p_vaddr);
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	hi = PG_UP(hi);
	if (eh.e_type == ET_DYN) {
		r = vu_sys6(SYS_mmap, 0, hi - lo, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (is_err(r))
			die(exe, "no room for it");
		im->base = (unsigned long)r - lo;
	} else {
		r = vu_sys6(SYS_mmap, lo, hi - lo, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (r != (long)lo)
			die(exe, "its fixed addresses are taken in vu-static");
		im->base = 0;
	}
	im->phdr = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr *p = &ph[i];
		int prot = 0;
		unsigned long start, fend, mend;

		if (p->p_type == PT_PHDR)
			im->phdr = im->base + p->p_vaddr;
		if (p->p_type != PT_LOAD)
			continue;
		if (!im->phdr && eh.e_phoff >= p->p_offset && eh.e_phoff < p->p_offset + p->p_filesz)
			im->phdr = im->base + p->p_vaddr + (eh.e_phoff - p->p_offset);
		prot = ((p->p_flags & PF_R) ? PROT_READ : 0) | ((p->p_flags & PF_W) ? PROT_WRITE : 0) |
		       ((p->p_flags & PF_X) ? PROT_EXEC : 0);
		start = im->base + PG_DOWN(p->p_vaddr);
		fend = im->base + p->p_vaddr + p->p_filesz;
		mend = im->base + p->p_vaddr + p->p_memsz;
		if ((p->p_vaddr - p->p_offset) & (PG - 1))
			die(exe, "a segment not aligned to its file offset");
		if (p->p_filesz) {
			r = vu_sys6(SYS_mmap, start, PG_UP(fend) - start, prot | PROT_WRITE,
				    MAP_PRIVATE | MAP_FIXED, fd, PG_DOWN(p->p_offset));
			if (is_err(r))
				die(exe, "cannot map a segment");
			if (p->p_memsz > p->p_filesz)
				for (unsigned long a = fend; a < PG_UP(fend); a++)
					*(char *)a = 0;
			if (!(prot & PROT_WRITE))
				vu_sys3(SYS_mprotect, start, PG_UP(fend) - start, prot);
		} else {
			fend = start;
		}
		if (PG_UP(mend) > PG_UP(fend)) {
			r = vu_sys6(SYS_mmap, PG_UP(fend), PG_UP(mend) - PG_UP(fend), prot,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			if (is_err(r))
				die(exe, "cannot map a segment's zero part");
		}
	}
	if (!im->phdr)
		die(exe, "its program headers are not in a loaded segment");
	im->entry = im->base + eh.e_entry;
	im->phnum = eh.e_phnum;
	im->hi = im->base + hi;
	app_lo = im->base + lo;
	app_hi = im->base + hi;
}

static void *noop(void *a)
{
	return a;
}

/* does a layer want a call the vDSO would answer? */
static int vdso_wanted(void)
{
	static const short nrs[] = { VU_NR_clock_gettime, VU_NR_gettimeofday, VU_NR_clock_getres, VU_NR_getcpu,
#ifdef VU_NR_time
				     VU_NR_time,
#endif
	};

	for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (vu_layer_mask_of(nrs[i]))
			return 1;
	return 0;
}

/* vu_static_main -- vu-static's main: load and enter the program. */
VU_EXPORT int vu_static_main(int argc, char **argv, char **envp)
{
	const char *exe = NULL;
	long fd = -1;
	int envc = 0, naux = 0, keep = 0;
	char **e;
	unsigned long *auxv, *sp, top, st;
	struct image im;
	struct vu_thread *t;
	pthread_t th;
	size_t elen;
	char *s;

	if (!vu.lib_path)
		vu_fatal(126, "vu-static: runs only under vu (libvu.so in LD_PRELOAD)");
	/* the environment exec gave, followed by the auxiliary vector (main's
	 * envp is environ, which a constructor's setenv may have moved) */
	envp = argv + argc + 1;
	for (e = envp; *e; e++) {
		if (!vu_strncmp(*e, "VU_STATIC_FD=", 13)) {
			fd = 0;
			for (const char *p = *e + 13; *p >= '0' && *p <= '9'; p++)
				fd = fd * 10 + (*p - '0');
		} else if (!vu_strncmp(*e, "VU_STATIC_EXE=", 14)) {
			exe = *e + 14;
		} else {
			keep++;
		}
	}
	auxv = (unsigned long *)(e + 1);
	for (unsigned long *a = auxv; a[0] != AT_NULL; a += 2)
		naux++;
	if (!exe)
		vu_fatal(126, "vu-static: no VU_STATIC_EXE: it is started by vu's exec of a static program");
	if (fd < 0)
		fd = vu_sys4(SYS_openat, AT_FDCWD, exe, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		die(exe, "cannot open it");
	load((int)fd, exe, &im);
	{
		char l[64];
		struct stat me;
		long n;

		vu_format(l, sizeof(l), "/proc/self/fd/%ld", fd);
		n = vu_sys3(SYS_readlink, l, app_path, sizeof(app_path) - 1);
		app_path[n > 0 ? n : 0] = 0;
		if (!vu_sys2(SYS_stat, "/proc/self/exe", &me)) {
			vu_static_ino = me.st_ino;
			vu_static_dev = me.st_dev;
		}
		app_fd = vu_fd_keep((int)fd);
		if (app_fd < 0)
			vu_sys1(SYS_close, fd);
	}
	brk_start = brk_cur = im.hi;

	/* the stack, as the kernel builds it */
	st = (unsigned long)vu_sys6(SYS_mmap, 0, STACK_SIZE + PG, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (is_err((long)st))
		die(exe, "no memory for its stack");
	vu_sys3(SYS_mprotect, st, PG, PROT_NONE);
	top = st + STACK_SIZE + PG;
	elen = vu_strlen(exe) + 1;
	s = (char *)(top - 16 - elen);
	vu_memcpy(s, exe, elen);		/* AT_EXECFN */
	top = ((unsigned long)s - 16) & ~15UL;	/* AT_RANDOM */
	vu_memcpy((void *)top, (void *)getauxval(AT_RANDOM), 16);
	envc = keep;
	sp = (unsigned long *)(top - 64);
	sp -= 1 + (argc + 1) + (envc + 1) + 2 * (naux + 1);
	sp = (unsigned long *)((unsigned long)sp & ~15UL);
	{
		unsigned long *w = sp;

		*w++ = (unsigned long)argc;
		for (int i = 0; i < argc; i++)
			*w++ = (unsigned long)argv[i];
		*w++ = 0;
		for (e = envp; *e; e++)
			if (vu_strncmp(*e, "VU_STATIC_", 10))
				*w++ = (unsigned long)*e;
		*w++ = 0;
		for (unsigned long *a = auxv; a[0] != AT_NULL; a += 2) {
			unsigned long v = a[1], type = a[0];

			switch (a[0]) {
			case AT_PHDR: v = im.phdr; break;
			case AT_PHENT: v = sizeof(Elf64_Phdr); break;
			case AT_PHNUM: v = (unsigned long)im.phnum; break;
			case AT_ENTRY: v = im.entry; break;
			case AT_BASE: v = 0; break;
			case AT_EXECFN: v = (unsigned long)s; break;
			case AT_RANDOM: v = top; break;
			case AT_SYSINFO_EHDR:
				/* the vDSO answers the time calls without a
				 * system call: no wrapper of vu's is in a static
				 * program, so a layer that wants them (faketime,
				 * trace) hides it and the C library (glibc, musl,
				 * Go's runtime) makes the calls, which trap */
				if (vdso_wanted()) {
					type = AT_IGNORE;
					v = 0;
				}
				break;
			}
			*w++ = type;
			*w++ = v;
		}
		*w++ = AT_NULL;
		*w++ = 0;
	}
	{
		/* comm, as the kernel names a program: its file's name */
		char comm[16];
		const char *b = exe;

		for (const char *p = exe; *p; p++)
			if (*p == '/' && p[1])
				b = p + 1;
		vu_format(comm, sizeof(comm), "%s", b);
		vu_sys2(SYS_prctl, PR_SET_NAME, comm);
	}

	/* vu-static's glibc runs in every thread the program makes: it must
	 * know it is multi-threaded (locks, __libc_single_threaded) */
	if (!pthread_create(&th, NULL, noop, NULL))
		pthread_join(th, NULL);
	allocate_tls = (void *(*)(void *))dlvsym(RTLD_DEFAULT, "_dl_allocate_tls", "GLIBC_PRIVATE");

	/* foreign mode */
	t = vu_thread_self();
	if (!t)
		die(exe, "no memory for vu's thread block");
	main_tp = vu_fs_get();
	t->fx.block = t;
	t->fx.vu_fs = main_tp;
	t->fx.app_fs = 0;
	if (vu_sys2(SYS_arch_prctl, ARCH_SET_GS, &t->fx))
		die(exe, "cannot set vu's %gs");
	vu_foreign = 1;
	if (vu.mode != VU_MODE_ALL) {
		/* wrappers cannot see a static program: it needs SUD */
		vu.mode = VU_MODE_ALL;
		if (vu_sud_install())
			die(exe, "cannot arm Syscall User Dispatch, which a static program needs");
	}
	vu_interest_compute();
	if (vu_sud_foreign_install())
		die(exe, "cannot install vu's SIGSYS handler");
	vu_debug("vu-static: %s at %p, entry %p", exe, (void *)im.base, (void *)im.entry);
	vu_static_jump(im.entry, (unsigned long)sp);
}
