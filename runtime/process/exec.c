/*
 * exec.c -- a whole process tree sees one stack: every exec gets
 * LD_PRELOAD (with libvu first) and VU_CONFIG (absolute) in its environment,
 * even when the program scrubbed them (env -i, clearenv, sudo's env_reset).
 * Also the exec family of libc, which glibc implements with internal calls
 * the "libc" mode would not see.
 */
#include <dlfcn.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <limits.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include "vu_core.h"
#include "vu_libc.h"

extern char **environ;

/* (all three in vu_keep's area: start-up writes one page for its strings) */
static const char *env_preload = "";	/* "LD_PRELOAD=/abs/libvu.so" */
static const char *env_config = "";	/* "VU_CONFIG=/abs/vu.json", or "" */
#define VU_EXEC_ENV_MAX 8
#define VU_EXEC_LINE_MAX 512
static char *env_extra[VU_EXEC_ENV_MAX];	/* layers' "NAME=value" lines */
static int n_extra;

/* vu_exec_env_add -- at start-up: a "NAME=value" line that every child gets
 * too, as VU_CONFIG (its own NAME is replaced), so a layer's per-tree state
 * survives env -i. Returns 0 or -errno. */
int vu_exec_env_add(const char *line)
{
	const char *eq = line;
	size_t len = vu_strlen(line);

	while (*eq && *eq != '=')
		eq++;
	if (!*eq || eq == line || len >= VU_EXEC_LINE_MAX)
		return -EINVAL;
	for (int i = 0; i < n_extra; i++) {
		if (!vu_strncmp(env_extra[i], line, eq - line + 1)) {
			char *kept = len <= vu_strlen(env_extra[i]) ? env_extra[i] : vu_keep(line);

			if (!kept)
				return -ENOSPC;
			vu_stpcpy(kept, line);
			env_extra[i] = kept;
			return 0;
		}
	}
	if (n_extra == VU_EXEC_ENV_MAX || !(env_extra[n_extra] = vu_keep(line)))
		return -ENOSPC;
	n_extra++;
	return 0;
}

/* is envp line e one that a layer's line replaces? */
static int replaced(const char *e)
{
	for (int i = 0; i < n_extra; i++) {
		size_t n = 0;

		while (env_extra[i][n] != '=')
			n++;
		if (!vu_strncmp(e, env_extra[i], n + 1))
			return 1;
	}
	return 0;
}

/* vu_exec_setup -- at start-up: the two lines every child must get. */
void vu_exec_setup(const char *explicit_none) VU_HIDDEN;
void vu_exec_setup(const char *explicit_none)
{
	enum { room = 4200 };
	char *line = vu_keep_room(room);	/* (formatted in place: vu_keep_trim) */

	if (line) {
		vu_format(line, room, "LD_PRELOAD=%s", vu.lib_path);
		vu_keep_trim(line, room, vu_strlen(line) + 1);
		env_preload = line;
	}
	if (vu.config_path && vu_config_home()) {
		char home[520];

		/* "~" in the config means the first process's home, in every child */
		vu_format(home, sizeof(home), "VU_HOME=%s", vu_config_home());
		vu_exec_env_add(home);
	}
	if (vu.config_path) {
		line = vu_keep_room(room);
		if (line) {
			vu_format(line, room, "VU_CONFIG=%s", vu.config_path);
			vu_keep_trim(line, room, vu_strlen(line) + 1);
			env_config = line;
		}
	} else if (explicit_none) {
		env_config = "VU_CONFIG=";
	}
}

/* does the colon/space separated list hold our library? */
static int has_lib(const char *list)
{
	const char *lib = vu.lib_path;
	size_t l = vu_strlen(lib), n;

	for (const char *p = list; (p = vu_preload_next(p, &n)); p += n)
		if (n == l && !vu_strncmp(p, lib, l))
			return 1;
	return 0;
}

struct envbuf {
	void *map;
	size_t len;
};

/* build the child's environment in the call's scratch, else in an
 * anonymous mapping (no malloc: this runs in the SIGSYS handler and in
 * vfork children). A vfork or posix_spawn child shares the parent's memory
 * and never comes back from a successful exec: a mapping made there stayed
 * in the parent, one per spawn; the scratch is the thread's, and reused. */
static char **inject(char *const *envp, struct envbuf *eb, struct vu_call *c)
{
	size_t n = 0, need, i, o = 0;
	const char *old_preload = NULL;
	char **out, *s;

	if (!vu.lib_path)
		return (char **)envp;
	for (; envp && envp[n]; n++)
		if (!vu_strncmp(envp[n], "LD_PRELOAD=", 11))
			old_preload = envp[n] + 11;
	if (old_preload && has_lib(old_preload) && !env_config[0] && !n_extra)
		return (char **)envp;
	need = (n + 3 + n_extra) * sizeof(char *) + vu_strlen(env_preload) +
	       vu_strlen(env_config) + 4 + (old_preload ? vu_strlen(old_preload) : 0);
	for (i = 0; i < (size_t)n_extra; i++)
		need += vu_strlen(env_extra[i]) + 1;
	need = (need + 15) & ~15UL;
	out = c ? vu_call_alloc(c, need) : NULL;
	if (!out) {
		long m;

		need = (need + 4095) & ~4095UL;
		m = vu_sys6(SYS_mmap, 0, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (m < 0 && m > -4096)
			return NULL;
		eb->map = (void *)m;
		eb->len = need;
		out = eb->map;
	}
	s = (char *)(out + n + 3 + n_extra);
	/* LD_PRELOAD: libvu first, then whatever the program had */
	out[o++] = s;
	if (old_preload && has_lib(old_preload)) {
		s = vu_stpcpy(s, "LD_PRELOAD=");
		s = vu_stpcpy(s, old_preload) + 1;
	} else {
		s = vu_stpcpy(s, env_preload);
		if (old_preload && *old_preload) {
			*s++ = ':';
			s = vu_stpcpy(s, old_preload);
		}
		s++;
	}
	if (env_config[0]) {
		out[o++] = s;
		s = vu_stpcpy(s, env_config) + 1;
	}
	for (i = 0; i < (size_t)n_extra; i++) {
		out[o++] = s;
		s = vu_stpcpy(s, env_extra[i]) + 1;
	}
	for (i = 0; i < n; i++) {
		if (!vu_strncmp(envp[i], "LD_PRELOAD=", 11))
			continue;
		if (env_config[0] && !vu_strncmp(envp[i], "VU_CONFIG=", 10))
			continue;
		if (replaced(envp[i]))
			continue;
		out[o++] = envp[i];
	}
	out[o] = NULL;
	return out;
}

/* vu_exec_bottom -- execve/execveat with the environment fixed. */
long vu_exec_bottom(struct vu_call *c, vu_bottom_fn *bottom)
{
	int ei = c->nr == SYS_execveat ? 3 : 2;
	struct envbuf eb = { 0, 0 };
	long saved = c->args[ei], r;
	unsigned long mark = c->scratch_used;
	char **env;

	/* with layers, nothing runs unvirtualized in silence (enter.c) */
	if (vu.nlayers && (r = vu_exec_enterable(c)) != 0)
		return r;
	/* a static program: through vu's own loader (static.c), unless the
	 * config lets static programs run natively */
	if (vu.nlayers && !(vu.unvirtualized & VU_UNVIRT_STATIC) &&
	    (r = vu_exec_static(c, bottom)) != 1)
		return r;
	env = inject((char *const *)c->args[ei], &eb, c);
	if (!env)
		return -ENOMEM;
	c->args[ei] = (long)env;
	r = bottom ? bottom(c) : vu_gate_call(c);
	c->args[ei] = saved;
	vu_call_release(c, mark);
	if (eb.map)
		vu_sys2(SYS_munmap, eb.map, eb.len);
	return r;
}

static long bottom_execve(struct vu_call *c)
{
	unsigned char s = vu_allow();
	long r = vu_take_errno(vu_real_execve((const char *)c->args[0],
					      (char *const *)c->args[1],
					      (char *const *)c->args[2]));

	vu_restore(s);
	return r;
}

VU_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct vu_call c = VU_CALL(SYS_execve, (long)path, (long)argv, (long)envp);

	return (int)vu_set_errno(vu_libc_call(&c, vu_real_execve ? bottom_execve : NULL));
}

VU_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

VU_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct vu_call c = VU_CALL(SYS_execveat, fd, (long)"", (long)argv, (long)envp,
				   AT_EMPTY_PATH);

	return (int)vu_set_errno(vu_libc_call(&c, NULL));
}

/* execveat -- glibc 2.34's: the system call as it is */
VU_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
		       int flags)
{
	struct vu_call c = VU_CALL(SYS_execveat, dirfd, (long)path, (long)argv, (long)envp, flags);

	return (int)vu_set_errno(vu_libc_call(&c, NULL));
}

/* run a file that is not an executable with /bin/sh, as glibc does */
static void exec_script(const char *file, char *const argv[], char *const envp[])
{
	int argc = 0;

	while (argv[argc])
		argc++;
	{
		char *nargv[argc + 2];

		nargv[0] = (char *)"/bin/sh";
		nargv[1] = (char *)file;
		for (int i = 1; i <= argc; i++)
			nargv[i + 1] = argv[i];
		if (argc == 0)
			nargv[2] = NULL;
		execve("/bin/sh", nargv, envp);
	}
}

/* vu_exec_search -- execvpe's PATH search with vu's execve; a file that
 * is not an executable goes to /bin/sh only when scripts is set (execvp
 * does that, posix_spawnp does not). Returns -1 with errno. */
int vu_exec_search(const char *file, char *const argv[], char *const envp[], int scripts)
{
	const char *path = vu_getenv("PATH");
	int got_eacces = 0;
	size_t flen;

	if (!*file) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		if (errno == ENOEXEC && scripts)
			exec_script(file, argv, envp);
		return -1;
	}
	if (!path)
		path = "/bin:/usr/bin";
	flen = strlen(file);
	if (flen > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		size_t dl = e - p;
		char buf[dl + flen + 2];

		if (dl)
			memcpy(buf, p, dl);
		else
			buf[dl++] = '.', dl = 1;
		buf[dl] = '/';
		memcpy(buf + dl + 1, file, flen + 1);
		execve(buf, argv, envp);
		switch (errno) {
		case EACCES:
			got_eacces = 1;
			/* fallthrough */
		case ENOENT:
		case ESTALE:
		case ENOTDIR:
		case ENODEV:
		case ETIMEDOUT:
			break;
		case ENOEXEC:
			if (scripts)
				exec_script(buf, argv, envp);
			return -1;
		default:
			return -1;
		}
		if (!*e)
			break;
		p = e;
	}
	if (got_eacces)
		errno = EACCES;
	return -1;
}

VU_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return vu_exec_search(file, argv, envp, 1);
}

VU_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

#define ARGS_FROM_VA(first, ap, argv, extra)                         \
	do {                                                         \
		va_list cp;                                          \
		int n = 1;                                           \
		va_copy(cp, ap);                                     \
		while (va_arg(cp, char *))                           \
			n++;                                         \
		va_end(cp);                                          \
		argv = alloca((n + 1) * sizeof(char *));             \
		argv[0] = (char *)(first);                           \
		for (int i = 1; i <= n; i++)                         \
			argv[i] = i < n ? va_arg(ap, char *) : NULL; \
		if (extra)                                           \
			va_arg(ap, char *);                          \
	} while (0)

VU_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, arg);
	ARGS_FROM_VA(arg, ap, argv, 0);
	va_end(ap);
	return execve(path, argv, environ);
}

VU_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, arg);
	ARGS_FROM_VA(arg, ap, argv, 0);
	va_end(ap);
	return execvpe(file, argv, environ);
}

VU_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **argv, **envp;

	va_start(ap, arg);
	ARGS_FROM_VA(arg, ap, argv, 1);
	envp = va_arg(ap, char **);
	va_end(ap);
	return execve(path, argv, envp);
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);
static spawn_fn *real_spawn[2];

/* vu_exec_resolve -- at start-up: glibc's posix_spawn and posix_spawnp
 * (their shape is not that of a system call, so not in the generated set) */
void vu_exec_resolve(void) VU_HIDDEN;
void vu_exec_resolve(void)
{
	real_spawn[0] = (spawn_fn *)vu_libc_sym("posix_spawn");
	real_spawn[1] = (spawn_fn *)vu_libc_sym("posix_spawnp");
}

int vu_spawn(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
	     const posix_spawnattr_t *attr, char *const argv[], char *const envp[], int search)
	VU_HIDDEN;

/* posix_spawn: vu's own child (spawn.c); else glibc's with the environment
 * fixed here (in "all" mode its clone and execve inside still trap, so the
 * selector is left as it is). */
static int spawn(int p, pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct envbuf eb = { 0, 0 };
	char **env;
	int r = vu_spawn(pid, file, fa, attr, argv, envp, p);

	if (r >= 0)
		return r;
	env = inject(envp, &eb, NULL);
	if (!env)
		return ENOMEM;
	r = real_spawn[p] ? real_spawn[p](pid, file, fa, attr, argv, env) : ENOSYS;
	if (eb.map)
		vu_sys2(SYS_munmap, eb.map, eb.len);
	return r;
}

VU_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(0, pid, path, fa, attr, argv, envp);
}

VU_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(1, pid, file, fa, attr, argv, envp);
}
