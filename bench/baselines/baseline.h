/*
 * baseline.h -- what the baselines share: the seed virtualization (a
 * program that opens /etc/passwd gets /etc/hostname), the tracee-memory
 * helpers of the two ptrace baselines, and the seccomp filter that selects
 * open/openat.
 *
 * The seed calls are the ones that take the path: open, openat, and the
 * stat family (stat, lstat, newfstatat, statx), so that the micro
 * benchmark's stat is virtualized too.
 *
 * Each baseline is one technique of the survey, written as plainly as it
 * can be: it compares the path string exactly (no cwd, dirfd or ".."
 * resolution: the workload opens the absolute path) and does nothing else.
 */
#ifndef BASELINE_H
#define BASELINE_H

#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define SEED_FROM "/etc/passwd"
#define SEED_TO "/etc/hostname"

static inline void bl_die(const char *who, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror(errno));
	exit(125);
}

/* Is the string at addr in process pid exactly SEED_FROM? One read of
 * sizeof(SEED_FROM) bytes: a shorter string at the end of a mapping gives
 * a short read, which is not a match either. */
static inline int bl_is_seed(pid_t pid, unsigned long addr)
{
	char buf[sizeof(SEED_FROM)];
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)addr, sizeof(buf) };

	if (!addr || process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(buf))
		return 0;
	return !memcmp(buf, SEED_FROM, sizeof(buf));
}

/* Place SEED_TO in the tracee below its stack pointer and the red zone
 * (the tracee is stopped in a system call: nothing of its own lives
 * there). Returns the address, or 0. */
static inline unsigned long bl_place_seed(pid_t pid, unsigned long sp)
{
	unsigned long addr = (sp - 128 - 64) & ~15UL;
	struct iovec l = { (void *)SEED_TO, sizeof(SEED_TO) }, r = { (void *)addr, sizeof(SEED_TO) };

	if (process_vm_writev(pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(SEED_TO))
		return 0;
	return addr;
}

/* The filter of the seccomp baselines: the seed calls get `action`,
 * everything else is allowed. */
#define BL_FILTER(action)                                                        \
	{                                                                        \
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),          \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                          \
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 6, 0),                \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 5, 0),                  \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_newfstatat, 4, 0),            \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_statx, 3, 0),                 \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_stat, 2, 0),                  \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_lstat, 1, 0),                 \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                          \
		BPF_STMT(BPF_RET | BPF_K, (action)),                                   \
	}

/* Which argument of seed call nr is the path, or -1: not a seed call. */
static inline int bl_path_arg(long nr)
{
	switch (nr) {
	case __NR_open:
	case __NR_stat:
	case __NR_lstat:
		return 0;
	case __NR_openat:
	case __NR_newfstatat:
	case __NR_statx:
		return 1;
	}
	return -1;
}

#endif
