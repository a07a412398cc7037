/*
 * ids.c -- the process's virtual user and group ids.
 *
 * The program starts as root: real, effective, saved and file-system ids
 * 0, supplementary groups { 0 }. The set*id calls change these as the
 * kernel would for a process with those ids (root may set anything; others
 * only to one of their own ids) without touching the real credentials, for
 * the whole process (not per thread, as glibc makes them look). They are
 * inherited by fork (memory) and carried across execve in the environment
 * variable VU_FAKEROOT_IDS, which is only present once they differ from
 * the start.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "fakeroot.h"

#define FR_NGROUPS 1024
#define ENV_NAME "VU_FAKEROOT_IDS="

struct fr_ids {
	uint32_t uid[4];	/* real, effective, saved, file system */
	uint32_t gid[4];
	int ngroups;
	uint32_t groups[FR_NGROUPS];
};

enum { R, E, S, FS };

static struct fr_ids ids = { .ngroups = 1 };

static int is_default(void)
{
	for (int i = 0; i < 4; i++)
		if (ids.uid[i] || ids.gid[i])
			return 0;
	return ids.ngroups == 1 && ids.groups[0] == 0;
}

/* parse "r,e,s,fs:r,e,s,fs:g1,g2,..." */
static int parse(const char *s, struct fr_ids *o)
{
	char *end;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < 8; i++) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v > 0xffffffffUL || *end != (i == 3 || i == 7 ? ':' : ','))
			return -1;
		if (i < 4)
			o->uid[i] = (uint32_t)v;
		else
			o->gid[i - 4] = (uint32_t)v;
		s = end + 1;
	}
	while (*s && o->ngroups < FR_NGROUPS) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v > 0xffffffffUL || (*end && *end != ','))
			return -1;
		o->groups[o->ngroups++] = (uint32_t)v;
		s = *end ? end + 1 : end;
	}
	return *s ? -1 : 0;
}

/* fr_ids_init -- at start-up: the ids a parent handed down, else root */
void fr_ids_init(void)
{
	const char *env = vu_getenv("VU_FAKEROOT_IDS");
	struct fr_ids got;

	if (!env)
		return;
	if (parse(env, &got)) {
		vu_debug("fakeroot: ignored a malformed VU_FAKEROOT_IDS=%s", env);
		return;
	}
	ids = got;
}

/* ---- capabilities: root's, as fakeroot's (setcap raises CAP_SETFCAP
 * first) ---- */

#define CAP_V1 0x19980330u
#define CAP_V2 0x20071026u
#define CAP_V3 0x20080522u

static struct {
	uint64_t eff, perm, inh;
	int known;
} caps;

/* every capability this kernel has (/proc/sys/kernel/cap_last_cap) */
static uint64_t all_caps(void)
{
	char buf[16];
	long fd = vu_sys4(SYS_openat, AT_FDCWD, "/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC, 0), n;
	long last = 40;

	if (fd >= 0) {
		n = vu_sys3(SYS_read, fd, buf, sizeof(buf) - 1);
		vu_sys1(SYS_close, fd);
		if (n > 0) {
			last = 0;
			for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
				last = last * 10 + (buf[i] - '0');
		}
	}
	return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

static void caps_init(void)
{
	if (caps.known)
		return;
	caps.perm = caps.eff = ids.uid[E] == 0 ? all_caps() : 0;
	caps.inh = 0;
	caps.known = 1;
}

/* capget/capset (per process; Linux keeps them per thread) */
static long caps_call(struct vu_call *c)
{
	uint32_t *hdr = (uint32_t *)c->args[0];
	uint32_t *data = (uint32_t *)c->args[1];
	int words;

	if (!hdr)
		return -EFAULT;
	if (hdr[0] != CAP_V1 && hdr[0] != CAP_V2 && hdr[0] != CAP_V3) {
		hdr[0] = CAP_V3;
		return data ? -EINVAL : 0;
	}
	/* another process: as fakeroot, the capabilities of root (capget);
	 * capset of another is EPERM, as from the kernel */
	if (hdr[1] && (long)hdr[1] != vu_sys0(SYS_getpid) && c->nr == VU_NR_capset)
		return -EPERM;
	words = hdr[0] == CAP_V1 ? 1 : 2;
	caps_init();
	if (c->nr == VU_NR_capget) {
		if (!data)
			return 0;
		for (int w = 0; w < words; w++) {
			data[3 * w] = (uint32_t)(caps.eff >> (32 * w));
			data[3 * w + 1] = (uint32_t)(caps.perm >> (32 * w));
			data[3 * w + 2] = (uint32_t)(caps.inh >> (32 * w));
		}
		return 0;
	}
	if (!data)
		return -EFAULT;
	uint64_t eff = 0, perm = 0, inh = 0;

	for (int w = 0; w < words; w++) {
		eff |= (uint64_t)data[3 * w] << (32 * w);
		perm |= (uint64_t)data[3 * w + 1] << (32 * w);
		inh |= (uint64_t)data[3 * w + 2] << (32 * w);
	}
	if (words == 1) {	/* (v1 leaves the upper half as it was) */
		eff |= caps.eff & ~0xffffffffULL;
		perm |= caps.perm & ~0xffffffffULL;
		inh |= caps.inh & ~0xffffffffULL;
	}
	/* the kernel's rules: permitted only shrinks, effective within it */
	if ((perm & ~caps.perm) || (eff & ~perm) || (inh & ~(caps.inh | caps.perm)))
		return -EPERM;
	caps.eff = eff;
	caps.perm = perm;
	caps.inh = inh;
	return 0;
}

/* fr_ids_wants -- the table marks call nr as an id call; and capget and
 * capset, whose answers follow the ids (root has every capability) */
int fr_ids_wants(long nr)
{
	return vu_sems[nr].ids.of != VU_IDS_NONE || nr == VU_NR_capget || nr == VU_NR_capset;
}

static int mine(const uint32_t *id, uint32_t v)
{
	return v == id[R] || v == id[E] || v == id[S];
}

/* setuid/setgid: root sets all four, others only the effective one to
 * their real or saved id */
static long set1(uint32_t *id, uint32_t v)
{
	if (v == (uint32_t)-1)
		return -EINVAL;
	if (ids.uid[E] == 0) {
		id[R] = id[E] = id[S] = id[FS] = v;
		return 0;
	}
	if (v != id[R] && v != id[S])
		return -EPERM;
	id[E] = id[FS] = v;
	return 0;
}

static long setre(uint32_t *id, uint32_t r, uint32_t e)
{
	int priv = ids.uid[E] == 0;
	uint32_t nr = id[R], ne = id[E];

	if (r != (uint32_t)-1) {
		if (!priv && r != id[R] && r != id[E])
			return -EPERM;
		nr = r;
	}
	if (e != (uint32_t)-1) {
		if (!priv && !mine(id, e))
			return -EPERM;
		ne = e;
	}
	if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != id[R]))
		id[S] = ne;
	id[R] = nr;
	id[E] = id[FS] = ne;
	return 0;
}

static long setres(uint32_t *id, uint32_t r, uint32_t e, uint32_t s)
{
	int priv = ids.uid[E] == 0;
	uint32_t v[3] = { r, e, s };

	for (int i = 0; i < 3; i++)
		if (v[i] != (uint32_t)-1 && !priv && !mine(id, v[i]))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (v[i] != (uint32_t)-1)
			id[i] = v[i];
	id[FS] = id[E];
	return 0;
}

static long setfs(uint32_t *id, uint32_t v)
{
	uint32_t old = id[FS];

	if (v != (uint32_t)-1 && (ids.uid[E] == 0 || mine(id, v) || v == id[FS]))
		id[FS] = v;
	return old;
}

/* a get: one id returned, or each id it names written to its pointer */
static long get_ids(const uint32_t *id, const struct vu_sem_ids *s, struct vu_call *c)
{
	int n = 0;

	for (int i = R; i <= FS; i++) {
		if (!(s->which & VU_ID_BIT(i)))
			continue;
		if (s->arg[i] < 0)
			return id[i];
		if (!c->args[s->arg[i]])
			return -EFAULT;
		n++;
	}
	for (int i = R; i <= FS; i++)
		if (s->which & VU_ID_BIT(i))
			*(uint32_t *)c->args[s->arg[i]] = id[i];
	return n ? 0 : -ENOSYS;
}

/* a set: the kernel's rule goes by which ids the call sets */
static long set_ids(uint32_t *id, unsigned which, const uint32_t *v)
{
	if (which == VU_ID_BIT(FS))
		return setfs(id, v[FS]);
	if (which == VU_ID_BIT(E))
		return set1(id, v[E]);		/* setuid: root sets all of them */
	if (which == (VU_ID_BIT(R) | VU_ID_BIT(E)))
		return setre(id, v[R], v[E]);
	return setres(id, v[R], v[E], v[S]);
}

static long get_groups(long size, uint32_t *list)
{
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return ids.ngroups;
	if (size < ids.ngroups)
		return -EINVAL;
	if (!list)
		return -EFAULT;
	for (int i = 0; i < ids.ngroups; i++)
		list[i] = ids.groups[i];
	return ids.ngroups;
}

static long set_groups(long size, const uint32_t *list)
{
	if (ids.uid[E] != 0)
		return -EPERM;
	if (size < 0 || size > FR_NGROUPS)
		return -EINVAL;
	if (size && !list)
		return -EFAULT;
	for (long i = 0; i < size; i++)
		ids.groups[i] = list[i];
	ids.ngroups = (int)size;
	return 0;
}

/* fr_ids_call -- answer an id call (fr_ids_wants) as the table describes it */
static long ids_call(struct vu_call *c)
{
	const struct vu_sem_ids *s = &vu_sems[c->nr].ids;
	uint32_t *id = s->of == VU_IDS_GID ? ids.gid : ids.uid;
	uint32_t v[4];

	if (s->of == VU_IDS_GROUPS) {
		/* the list is the pointer argument, its size the other one */
		int li = fr_arg_of_kind(c->nr, VU_ARG_PTR), ni = li == 0 ? 1 : 0;

		if (li < 0)
			return -ENOSYS;
		if (s->sets)
			return set_groups((long)c->args[ni], (const uint32_t *)c->args[li]);
		return get_groups((int)c->args[ni], (uint32_t *)c->args[li]);
	}
	if (!s->sets)
		return get_ids(id, s, c);
	for (int i = R; i <= FS; i++)
		v[i] = s->arg[i] >= 0 ? (uint32_t)c->args[s->arg[i]] : (uint32_t)-1;
	return set_ids(id, s->which, v);
}

long fr_ids_call(struct vu_call *c)
{
	if (c->nr == VU_NR_capget || c->nr == VU_NR_capset)
		return caps_call(c);
	return ids_call(c);
}

/* ---- across execve ---- */

/* the environment built for the exec now under way in this thread */
static __thread long *env_map __attribute__((tls_model("initial-exec")));

static char *put_num(char *s, uint32_t v, char sep)
{
	char tmp[12];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*s++ = tmp[--n];
	if (sep)
		*s++ = sep;
	return s;
}

static char *encode(char *s)
{
	s = vu_stpcpy(s, ENV_NAME);
	for (int i = 0; i < 4; i++)
		s = put_num(s, ids.uid[i], i == 3 ? ':' : ',');
	for (int i = 0; i < 4; i++)
		s = put_num(s, ids.gid[i], i == 3 ? ':' : ',');
	for (int i = 0; i < ids.ngroups; i++)
		s = put_num(s, ids.groups[i], i + 1 < ids.ngroups ? ',' : 0);
	*s++ = 0;
	return s;
}

/* fr_ids_exec_enter -- give the new program the ids of this one: replace
 * VU_FAKEROOT_IDS in the environment (or drop it when they are root's) */
void fr_ids_exec_enter(struct vu_call *c)
{
	int ei = fr_arg_of_kind(c->nr, VU_ARG_ENVP), dflt = is_default(), found = 0;
	char *const *envp = ei >= 0 ? (char *const *)c->args[ei] : NULL;
	unsigned long mark = c->scratch_used;
	char *mine_env = vu_call_alloc(c, sizeof(ENV_NAME) + 12 * (8 + FR_NGROUPS));
	size_t n = 0, need;
	char **out, *s;
	long m;

	if (!mine_env || ei < 0)
		return;
	encode(mine_env);
	for (; envp && envp[n]; n++) {
		if (vu_strncmp(envp[n], ENV_NAME, sizeof(ENV_NAME) - 1))
			continue;
		found++;
		if (dflt || vu_strcmp(envp[n], mine_env))
			found += 2;	/* stale: must go */
	}
	if ((dflt && !found) || (!dflt && found == 1)) {
		vu_call_release(c, mark);
		return;
	}
	need = 3 * sizeof(long) + (n + 2) * sizeof(char *) + vu_strlen(mine_env) + 1;
	need = (need + 4095) & ~4095UL;
	m = vu_sys6(SYS_mmap, 0, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096) {
		vu_call_release(c, mark);
		return;
	}
	env_map = (long *)m;
	env_map[0] = (long)need;
	env_map[1] = c->args[ei];
	out = (char **)(env_map + 3);
	s = (char *)(out + n + 2);
	n = 0;
	for (size_t i = 0; envp && envp[i]; i++)
		if (vu_strncmp(envp[i], ENV_NAME, sizeof(ENV_NAME) - 1))
			out[n++] = envp[i];
	if (!dflt) {
		out[n++] = s;
		vu_stpcpy(s, mine_env);
	}
	out[n] = NULL;
	env_map[2] = (long)out;
	c->args[ei] = (long)out;
	vu_call_release(c, mark);
}

/* fr_ids_exec_leave -- the exec failed: the program's environment back */
void fr_ids_exec_leave(struct vu_call *c)
{
	int ei = fr_arg_of_kind(c->nr, VU_ARG_ENVP);
	long *m = env_map;

	if (!m || ei < 0 || c->args[ei] != m[2])
		return;
	c->args[ei] = m[1];
	env_map = NULL;
	vu_sys2(SYS_munmap, m, m[0]);
}
