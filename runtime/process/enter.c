/*
 * enter.c -- can vu enter the program an exec would run? Nothing runs
 * unvirtualized in silence: a program vu cannot enter is refused at the
 * exec with a `vu:` line on stderr and an errno, unless vu.json's
 * "run_unvirtualized" names its class.
 *
 * - "setuid": a set-user-ID or set-group-ID program whose owner is not the
 *   caller, or one with file capabilities run by a user other than root:
 *   the kernel runs it in secure-execution mode, where the loader ignores
 *   LD_PRELOAD (EACCES). A nosuid mount drops those bits: such a program
 *   is entered as any other.
 * - "foreign": an ELF of another class or machine (a 32-bit program: its
 *   loader ignores a 64-bit LD_PRELOAD with a warning and runs it as it
 *   is) (ENOEXEC).
 * - "static": a program with no PT_INTERP (gcc -static, Go, musl static,
 *   busybox) is started through vu's own loader (static.c); but a #!
 *   script whose interpreter is one would be run by the kernel directly,
 *   past the loader (EACCES). With "static" named, static programs run
 *   natively instead, unvirtualized (no trap per call).
 * A #! script is judged by its interpreter (up to 4 levels, as the kernel).
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include "vu_core.h"

enum verdict { ENTER, SETUID, FOREIGN, STATIC };

/* is the program open as fd run in secure-execution mode? */
static int secure(int fd, const struct stat *st)
{
	struct statfs sf;
	char v[8];
	long uid = vu_sys0(SYS_getuid), gid = vu_sys0(SYS_getgid);

	if (vu_sys2(SYS_fstatfs, fd, &sf) == 0 && (sf.f_flags & ST_NOSUID))
		return 0;
	if ((st->st_mode & S_ISUID) && (long)st->st_uid != uid)
		return 1;
	if ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && (long)st->st_gid != gid)
		return 1;
	return uid != 0 && vu_sys4(SYS_fgetxattr, fd, "security.capability", v, 0) > 0;
}

/* the ELF open as fd: FOREIGN, STATIC, or ENTER */
static enum verdict elf(int fd, const Elf64_Ehdr *eh)
{
	Elf64_Phdr ph;

	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(ph))
		return FOREIGN;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (vu_sys4(SYS_pread64, fd, &ph, sizeof(ph), eh->e_phoff + i * sizeof(ph)) !=
		    (long)sizeof(ph))
			return ENTER;	/* the kernel will say ENOEXEC */
		if (ph.p_type == PT_INTERP)
			return ENTER;
	}
	return STATIC;
}

/* judge path (from dirfd): depth counts #! levels; why gets the path */
static enum verdict judge(struct vu_call *c, int dirfd, const char *path, int flags, int depth,
			  const char **why)
{
	union { Elf64_Ehdr eh; char b[256]; } head;
	struct stat st;
	enum verdict v = ENTER;
	long fd, n;

	if (!path || depth > 4)
		return ENTER;
	if (!*path && (flags & AT_EMPTY_PATH))
		fd = vu_sys1(SYS_dup, dirfd);
	else
		fd = vu_sys4(SYS_openat, dirfd, path,
			     O_RDONLY | O_CLOEXEC | O_NONBLOCK | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
	if (fd < 0)
		return ENTER;		/* the exec gives the kernel's own error */
	*why = path;
	if (vu_sys2(SYS_fstat, fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	if (secure((int)fd, &st)) {
		v = SETUID;
		goto out;
	}
	n = vu_sys4(SYS_pread64, fd, head.b, sizeof(head.b) - 1, 0);
	if (n >= EI_NIDENT + 4 && !vu_strncmp(head.b, ELFMAG, SELFMAG)) {
		if (n < (long)sizeof(Elf64_Ehdr))
			head.eh.e_ident[EI_CLASS] = ELFCLASSNONE;	/* too short for ELF64 */
		v = elf((int)fd, &head.eh);
		if (v == STATIC && depth == 0)
			v = ENTER;	/* vu's loader takes it (static.c) */
	} else if (n > 2 && head.b[0] == '#' && head.b[1] == '!') {
		/* the interpreter: the first word of the line */
		char *p = head.b + 2, *e;

		head.b[n] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++)
			;
		if (e > p && *e) {
			char *interp = vu_call_alloc(c, e - p + 1);

			if (interp) {
				vu_memcpy(interp, p, e - p);
				interp[e - p] = 0;
				v = judge(c, AT_FDCWD, interp, 0, depth + 1, why);
			}
		}
	}
out:
	vu_sys1(SYS_close, fd);
	return v;
}

long vu_exec_enterable(struct vu_call *c)
{
	static const char *const opt[] = { "", "setuid", "foreign", "static" };
	unsigned long mark = c->scratch_used;
	const char *why = 0;
	enum verdict v;
	char line[PATH_MAX + 400];
	long e;

	if (c->nr == VU_NR_execveat)
		v = judge(c, (int)c->args[0], (const char *)c->args[1], (int)c->args[4], 0, &why);
	else
		v = judge(c, AT_FDCWD, (const char *)c->args[0], 0, 0, &why);
	vu_call_release(c, mark);
	if (v == ENTER ||
	    (v == SETUID && (vu.unvirtualized & VU_UNVIRT_SETUID)) ||
	    (v == FOREIGN && (vu.unvirtualized & VU_UNVIRT_FOREIGN)) ||
	    (v == STATIC && (vu.unvirtualized & VU_UNVIRT_STATIC)))
		return 0;
	e = v == FOREIGN ? -ENOEXEC : -EACCES;
	vu_format(line, sizeof(line), "%s: %s; vu cannot enter it, so it is not run "
		  "(to run such programs unvirtualized, put \"run_unvirtualized\": [\"%s\"] in %s)",
		  why ? why : "?",
		  v == SETUID ? "a set-user-ID, set-group-ID or file-capability program, run "
				"in secure-execution mode, where the loader ignores LD_PRELOAD" :
		  v == FOREIGN ? "an ELF of another class or machine (its loader cannot load "
				 "vu's library)" :
				 "a script whose interpreter is a static program (the kernel would "
				 "start it past vu's loader)",
		  opt[v], vu.config_path ? vu.config_path : "vu.json");
	vu_fatal_line(line);
	return e;
}
