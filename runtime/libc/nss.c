/*
 * nss.c -- users and groups through vu's view in "libc" mode (issue 13).
 *
 * glibc's getpwnam and its kin read /etc/nsswitch.conf and /etc/passwd
 * (its "files" source is inside libc) with internal opens that no wrapper
 * sees: in "libc" mode a remapped, bound, hidden or overlaid /etc/passwd
 * was invisible to them. Here they are rebuilt as a small NSS front:
 *
 * - the "passwd:" and "group:" lines of /etc/nsswitch.conf, read through
 *   vu's fopen (the view's nsswitch.conf), name the sources in order,
 *   with glibc's default actions (return on success, else go on) and the
 *   [STATUS=ACTION] items (SUCCESS, NOTFOUND, UNAVAIL, TRYAGAIN; return,
 *   continue; "!" negates); no line: "files";
 * - "files" (and "compat", whose +/- lines are skipped) is vu's: the file
 *   opened through vu's fopen, parsed by glibc's fgetpwent_r/fgetgrent_r;
 * - any other source is glibc's module for it (libnss_NAME.so.2, loaded
 *   with dlopen as glibc loads it), called at its _nss_NAME_* entry points;
 *   its own calls are made through vu's wrappers like any library's.
 *
 * Only in "libc" mode and only when a layer wants openat: otherwise
 * glibc's own functions run (in "all" mode their opens trap and go through
 * the stack already). A line with an action vu does not know ("merge")
 * hands the call to glibc's function. glibc's functions that look users up
 * inside glibc (glob's ~user, wordexp, getlogin) still read the real
 * files: a documented gap (test/compat/libc-gaps.json).
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vu_core.h"
#include "vu_libc.h"

#define MAX_SOURCES 8

struct source {
	char name[32];
	/* what to do on each status: 1 return, 0 continue (index: status + 2,
	 * NSS_STATUS_TRYAGAIN -2 .. NSS_STATUS_RETURN 2) */
	unsigned char ret[5];
	void *lib;		/* the module, dlopen'd at first use (files: NULL) */
	int tried;
	int listing;		/* its set*ent was called for the enumeration */
};

struct db {
	const char *name;	/* "passwd" or "group" */
	const char *file;	/* /etc/passwd, /etc/group */
	int parsed, glibc;	/* glibc: a line vu cannot follow */
	int n;
	struct source src[MAX_SOURCES];
	/* enumeration: the source now, and the stream of "files" */
	int at;
	FILE *f;
	/* the entry points' infix ("pw", "gr") and id name ("uid", "gid") */
	const char *ab, *id;
	/* the result of the non-reentrant forms, grown as glibc's is */
	union {
		struct passwd pw;
		struct group gr;
	} one;
	char *buf;
	size_t len;
};

static struct db pw_db = { .name = "passwd", .file = "/etc/passwd", .ab = "pw", .id = "uid" };
static struct db gr_db = { .name = "group", .file = "/etc/group", .ab = "gr", .id = "gid" };

/* glibc's function behind a wrapper here, looked up at its first use
 * (the entries are "lazy" in syscalls.json: most processes never call
 * them, and start-up does not look them up) */
#define REAL(fn) (vu_real_##fn ? vu_real_##fn : \
		  (vu_real_##fn = (__typeof__(vu_real_##fn))vu_libc_sym(#fn)))

/* vu's or glibc's? */
static int ours(void)
{
	return vu.mode == VU_MODE_LIBC && vu_init_state == VU_INIT_DONE && vu_wants(VU_NR_openat);
}

static int status_of(const char *w, size_t n)
{
	static const char *const names[] = { "TRYAGAIN", "UNAVAIL", "NOTFOUND", "SUCCESS", "RETURN" };

	for (int i = 0; i < 5; i++)
		if (strlen(names[i]) == n && !strncasecmp(w, names[i], n))
			return i;
	return -1;
}

/* one [STATUS=ACTION ...] item list; 0, or -1 for one vu does not follow */
static int actions(struct source *s, const char *p, const char *end)
{
	while (p < end) {
		int neg = 0, st;
		const char *w;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		if (*p == '!') {
			neg = 1;
			p++;
		}
		for (w = p; p < end && *p != '='; p++)
			;
		st = status_of(w, (size_t)(p - w));
		if (st < 0 || p >= end)
			return -1;
		for (w = ++p; p < end && *p != ' ' && *p != '\t'; p++)
			;
		int act = (size_t)(p - w) == 6 && !strncasecmp(w, "return", 6) ? 1 :
			  (size_t)(p - w) == 8 && !strncasecmp(w, "continue", 8) ? 0 : -1;
		if (act < 0)
			return -1;	/* "merge" */
		if (neg) {
			for (int i = 0; i < 5; i++)
				if (i != st)
					s->ret[i] = (unsigned char)act;
		} else {
			s->ret[st] = (unsigned char)act;
		}
	}
	return 0;
}

/* the db's line of nsswitch.conf, as the view has it */
static void parse(struct db *d)
{
	char line[1024];
	FILE *f;
	int found = 0;

	d->n = 0;
	d->glibc = 0;
	f = fopen("/etc/nsswitch.conf", "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		size_t k = strlen(d->name);
		char *p = line, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, d->name, k) || (p[k] != ':' && p[k] != ' ' && p[k] != '\t'))
			continue;
		p += k;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != ':')
			continue;
		found = 1;
		end = p + strcspn(p, "#\n");
		while (p < end) {
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p >= end)
				break;
			if (*p == '[') {
				char *close = memchr(p, ']', (size_t)(end - p));

				if (!close || !d->n || actions(&d->src[d->n - 1], p + 1, close)) {
					d->glibc = 1;
					break;
				}
				p = close + 1;
				continue;
			}
			char *w = p;

			while (p < end && *p != ' ' && *p != '\t' && *p != '[')
				p++;
			if (d->n == MAX_SOURCES || (size_t)(p - w) >= sizeof(d->src[0].name)) {
				d->glibc = 1;
				break;
			}
			struct source *s = &d->src[d->n++];

			memset(s, 0, sizeof(*s));
			memcpy(s->name, w, (size_t)(p - w));
			s->ret[NSS_STATUS_SUCCESS + 2] = 1;	/* glibc's defaults */
		}
	}
	if (f)
		fclose(f);
	if (!d->n && !d->glibc) {
		memset(&d->src[0], 0, sizeof(d->src[0]));
		strcpy(d->src[0].name, "files");
		d->src[0].ret[NSS_STATUS_SUCCESS + 2] = 1;
		d->n = 1;
	}
	d->parsed = 1;
}

static int is_files(const struct source *s)
{
	return !strcmp(s->name, "files") || !strcmp(s->name, "compat");
}

/* _nss_NAME_WHAT of source s, or NULL */
static void *entry(struct source *s, const char *what)
{
	char sym[96];

	if (!s->tried) {
		char file[64];

		s->tried = 1;
		snprintf(file, sizeof(file), "libnss_%s.so.2", s->name);
		s->lib = dlopen(file, RTLD_LAZY);
	}
	if (!s->lib)
		return NULL;
	snprintf(sym, sizeof(sym), "_nss_%s_%s", s->name, what);
	return dlsym(s->lib, sym);
}

static struct db *ready(struct db *d)
{
	if (!d->parsed)
		parse(d);
	return d->glibc ? NULL : d;
}

/* ---- one entry, any database (passwd, group) ---- */

/* a module's lookup by name, by id, its next entry: the entry is a struct
 * passwd or a struct group, passed by pointer either way */
typedef enum nss_status by_name_fn(const char *, void *, char *, size_t, int *);
typedef enum nss_status by_id_fn(unsigned, void *, char *, size_t, int *);
typedef enum nss_status next_fn(void *, char *, size_t, int *);
typedef enum nss_status set_fn(int);
typedef enum nss_status end_fn(void);

/* the next entry of d's stream f (glibc's parser of the file format):
 * 0, ENOENT at the end, ERANGE */
static int file_next(struct db *d, FILE *f, void *ent, char *buf, size_t len)
{
	void *r;

	return d == &pw_db ? fgetpwent_r(f, ent, buf, len, (struct passwd **)&r)
			   : fgetgrent_r(f, ent, buf, len, (struct group **)&r);
}

static const char *ent_name(struct db *d, const void *ent)
{
	return d == &pw_db ? ((const struct passwd *)ent)->pw_name : ((const struct group *)ent)->gr_name;
}

static unsigned ent_id(struct db *d, const void *ent)
{
	return d == &pw_db ? ((const struct passwd *)ent)->pw_uid : ((const struct group *)ent)->gr_gid;
}

/* compat's NIS lines (+name, -name) are not entries */
static int is_entry(struct db *d, const void *ent)
{
	const char *n = ent_name(d, ent);

	return n[0] != '+' && n[0] != '-';
}

/* the files source: the first entry named name (or with id *id) */
static enum nss_status files_find(struct db *d, const char *name, const unsigned *id, void *ent, char *buf,
				  size_t len, int *err)
{
	FILE *f = fopen(d->file, "re");
	enum nss_status st = NSS_STATUS_NOTFOUND;
	int e;

	if (!f) {
		*err = errno;
		return errno == ENOENT ? NSS_STATUS_UNAVAIL : NSS_STATUS_TRYAGAIN;
	}
	while ((e = file_next(d, f, ent, buf, len)) == 0)
		if (is_entry(d, ent) && (name ? !strcmp(ent_name(d, ent), name) : ent_id(d, ent) == *id)) {
			st = NSS_STATUS_SUCCESS;
			break;
		}
	if (e == ERANGE) {
		*err = ERANGE;
		st = NSS_STATUS_TRYAGAIN;
	}
	fclose(f);
	return st;
}

/* a lookup down d's sources; glibc's return convention (0 or ERANGE,
 * *result the entry or NULL) */
static int lookup(struct db *d, const char *name, const unsigned *id, void *ent, char *buf, size_t len,
		  void **result)
{
	int err = 0;

	*result = NULL;
	for (int i = 0; i < d->n; i++) {
		struct source *s = &d->src[i];
		enum nss_status st;
		char what[24];

		if (is_files(s)) {
			st = files_find(d, name, id, ent, buf, len, &err);
		} else {
			snprintf(what, sizeof(what), "get%s%s_r", d->ab, name ? "nam" : d->id);
			void *fn = entry(s, what);

			st = !fn ? NSS_STATUS_UNAVAIL : name ? ((by_name_fn *)fn)(name, ent, buf, len, &err)
							     : ((by_id_fn *)fn)(*id, ent, buf, len, &err);
		}
		if (st == NSS_STATUS_TRYAGAIN && err == ERANGE)
			return ERANGE;	/* the caller gives more room */
		if (st == NSS_STATUS_SUCCESS)
			*result = ent;
		if (st >= NSS_STATUS_TRYAGAIN && st <= NSS_STATUS_RETURN && s->ret[st + 2])
			break;
	}
	return 0;
}

/* ---- enumeration (getpwent, getgrent) ---- */

static void *ent_entry(struct db *d, struct source *s, const char *verb)
{
	char what[24];

	snprintf(what, sizeof(what), "%s%sent%s", verb, d->ab, verb[0] == 'g' ? "_r" : "");
	return entry(s, what);
}

static void ent_end(struct db *d)
{
	if (d->f)
		fclose(d->f);
	d->f = NULL;
	for (int i = 0; i < d->n; i++) {
		struct source *s = &d->src[i];
		end_fn *fn;

		if (!s->listing)
			continue;
		s->listing = 0;
		fn = (end_fn *)ent_entry(d, s, "end");
		if (fn)
			fn();
	}
	d->at = 0;
}

/* the next entry of d, from source d->at on: 0, ENOENT at the end, ERANGE */
static int ent_next(struct db *d, void *ent, char *buf, size_t len)
{
	while (d->at < d->n) {
		struct source *s = &d->src[d->at];
		int err = 0, e;

		if (is_files(s)) {
			if (!d->f)
				d->f = fopen(d->file, "re");
			while (d->f && (e = file_next(d, d->f, ent, buf, len)) != ENOENT) {
				if (e)
					return e;	/* ERANGE: the caller gives more room */
				if (is_entry(d, ent))
					return 0;
			}
		} else {
			next_fn *fn = (next_fn *)ent_entry(d, s, "get");
			enum nss_status st;

			if (fn) {
				if (!s->listing) {
					set_fn *set = (set_fn *)ent_entry(d, s, "set");

					s->listing = 1;
					if (set)
						set(0);
				}
				st = fn(ent, buf, len, &err);
				if (st == NSS_STATUS_TRYAGAIN && err == ERANGE)
					return ERANGE;
				if (st == NSS_STATUS_SUCCESS)
					return 0;
			}
		}
		d->at++;
	}
	return ENOENT;
}

/* the non-reentrant forms: name, an id, or the next entry (both NULL) into
 * d's own result, its buffer doubled while the entry does not fit */
static void *once(struct db *d, const char *name, const unsigned *id, int next)
{
	void *r = NULL;
	int e;

	if (!d->buf && !(d->buf = malloc(d->len = 1024)))
		return errno = ENOMEM, NULL;
	for (;;) {
		if (next) {
			e = ent_next(d, &d->one, d->buf, d->len);
			r = e ? NULL : &d->one;
			e = e == ENOENT ? 0 : e;
		} else {
			e = lookup(d, name, id, &d->one, d->buf, d->len, &r);
		}
		if (e != ERANGE)
			break;
		char *b = realloc(d->buf, d->len * 2);

		if (!b)
			return errno = ENOMEM, NULL;
		d->buf = b;
		d->len *= 2;
	}
	if (e)
		errno = e;
	return r;
}

/* ---- the functions: vu's front, or glibc's own (glibc: its call) ---- */

#define FRONT(d, glibc) do { if (!ours() || !ready(d)) return glibc; } while (0)
#define FRONT_VOID(d, glibc) do { if (!ours() || !ready(d)) { glibc; return; } } while (0)

VU_EXPORT int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, struct passwd **result)
{
	FRONT(&pw_db, REAL(getpwnam_r) ? vu_real_getpwnam_r(name, pw, buf, len, result) : ENOSYS);
	return lookup(&pw_db, name, NULL, pw, buf, len, (void **)result);
}

VU_EXPORT int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **result)
{
	FRONT(&pw_db, REAL(getpwuid_r) ? vu_real_getpwuid_r(uid, pw, buf, len, result) : ENOSYS);
	return lookup(&pw_db, NULL, &uid, pw, buf, len, (void **)result);
}

VU_EXPORT struct passwd *getpwnam(const char *name)
{
	FRONT(&pw_db, REAL(getpwnam) ? vu_real_getpwnam(name) : NULL);
	return once(&pw_db, name, NULL, 0);
}

VU_EXPORT struct passwd *getpwuid(uid_t uid)
{
	FRONT(&pw_db, REAL(getpwuid) ? vu_real_getpwuid(uid) : NULL);
	return once(&pw_db, NULL, &uid, 0);
}

VU_EXPORT void setpwent(void)
{
	FRONT_VOID(&pw_db, if (REAL(setpwent)) vu_real_setpwent());
	ent_end(&pw_db);
}

VU_EXPORT void endpwent(void)
{
	FRONT_VOID(&pw_db, if (REAL(endpwent)) vu_real_endpwent());
	ent_end(&pw_db);
}

VU_EXPORT int getpwent_r(struct passwd *pw, char *buf, size_t len, struct passwd **result)
{
	int e;

	FRONT(&pw_db, REAL(getpwent_r) ? vu_real_getpwent_r(pw, buf, len, result) : ENOSYS);
	e = ent_next(&pw_db, pw, buf, len);
	*result = e ? NULL : pw;
	return e;
}

VU_EXPORT struct passwd *getpwent(void)
{
	FRONT(&pw_db, REAL(getpwent) ? vu_real_getpwent() : NULL);
	return once(&pw_db, NULL, NULL, 1);
}

VU_EXPORT int getgrnam_r(const char *name, struct group *gr, char *buf, size_t len, struct group **result)
{
	FRONT(&gr_db, REAL(getgrnam_r) ? vu_real_getgrnam_r(name, gr, buf, len, result) : ENOSYS);
	return lookup(&gr_db, name, NULL, gr, buf, len, (void **)result);
}

VU_EXPORT int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len, struct group **result)
{
	FRONT(&gr_db, REAL(getgrgid_r) ? vu_real_getgrgid_r(gid, gr, buf, len, result) : ENOSYS);
	return lookup(&gr_db, NULL, &gid, gr, buf, len, (void **)result);
}

VU_EXPORT struct group *getgrnam(const char *name)
{
	FRONT(&gr_db, REAL(getgrnam) ? vu_real_getgrnam(name) : NULL);
	return once(&gr_db, name, NULL, 0);
}

VU_EXPORT struct group *getgrgid(gid_t gid)
{
	FRONT(&gr_db, REAL(getgrgid) ? vu_real_getgrgid(gid) : NULL);
	return once(&gr_db, NULL, &gid, 0);
}

VU_EXPORT void setgrent(void)
{
	FRONT_VOID(&gr_db, if (REAL(setgrent)) vu_real_setgrent());
	ent_end(&gr_db);
}

VU_EXPORT void endgrent(void)
{
	FRONT_VOID(&gr_db, if (REAL(endgrent)) vu_real_endgrent());
	ent_end(&gr_db);
}

VU_EXPORT int getgrent_r(struct group *gr, char *buf, size_t len, struct group **result)
{
	int e;

	FRONT(&gr_db, REAL(getgrent_r) ? vu_real_getgrent_r(gr, buf, len, result) : ENOSYS);
	e = ent_next(&gr_db, gr, buf, len);
	*result = e ? NULL : gr;
	return e;
}

VU_EXPORT struct group *getgrent(void)
{
	FRONT(&gr_db, REAL(getgrent) ? vu_real_getgrent() : NULL);
	return once(&gr_db, NULL, NULL, 1);
}

/* ---- a user's groups ---- */

typedef enum nss_status initgroups_fn(const char *, gid_t, long *, long *, gid_t **, long, int *);

/* add g to the list (no repeats); -1: out of memory */
static int add_gid(gid_t **list, long *n, long *cap, gid_t g)
{
	for (long i = 0; i < *n; i++)
		if ((*list)[i] == g)
			return 0;
	if (*n == *cap) {
		gid_t *l = realloc(*list, (size_t)(*cap * 2) * sizeof(gid_t));

		if (!l)
			return -1;
		*list = l;
		*cap *= 2;
	}
	(*list)[(*n)++] = g;
	return 0;
}

/* the groups of user (group first), down the sources of "group:" as
 * glibc's initgroups does when there is no "initgroups:" line; malloc'd,
 * *n of them; NULL: out of memory */
static gid_t *groups_of(const char *user, gid_t group, long *n)
{
	struct db *d = ready(&gr_db);
	long cap = 16;
	gid_t *list = malloc((size_t)cap * sizeof(gid_t));
	size_t len = 4096;
	char *buf = malloc(len);

	*n = 0;
	if (!list || !buf || add_gid(&list, n, &cap, group)) {
		free(list);
		free(buf);
		return NULL;
	}
	for (int i = 0; d && i < d->n; i++) {
		struct source *s = &d->src[i];
		enum nss_status st = NSS_STATUS_NOTFOUND;
		int err = 0;

		if (is_files(s)) {
			FILE *f = fopen("/etc/group", "re");
			struct group gr, *r;
			int e;

			if (!f)
				continue;
			while ((e = fgetgrent_r(f, &gr, buf, len, &r)) == 0 || e == ERANGE) {
				if (e == ERANGE) {
					char *b = realloc(buf, len * 2);

					if (!b)
						break;
					buf = b;
					len *= 2;
					continue;	/* (the line is read again) */
				}
				for (char **m = gr.gr_mem; m && *m; m++)
					if (!strcmp(*m, user)) {
						if (add_gid(&list, n, &cap, gr.gr_gid))
							goto oom;
						st = NSS_STATUS_SUCCESS;
						break;
					}
			}
			fclose(f);
		} else {
			initgroups_fn *fn = (initgroups_fn *)entry(s, "initgroups_dyn");
			long start = *n, size = cap;

			if (!fn)
				continue;
			st = fn(user, group, &start, &size, &list, -1, &err);
			*n = start;
			cap = size;
		}
		if (st >= NSS_STATUS_TRYAGAIN && st <= NSS_STATUS_RETURN && s->ret[st + 2] && st != NSS_STATUS_SUCCESS)
			break;	/* (success: the other sources add their groups too) */
	}
	free(buf);
	return list;
oom:
	free(buf);
	free(list);
	return NULL;
}

VU_EXPORT int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
	gid_t *list;
	long n;
	int want;

	FRONT(&gr_db, REAL(getgrouplist) ? vu_real_getgrouplist(user, group, groups, ngroups) : -1);
	list = groups_of(user, group, &n);
	if (!list) {
		errno = ENOMEM;
		return -1;
	}
	want = (int)n;
	for (long i = 0; i < n && i < *ngroups; i++)
		groups[i] = list[i];
	free(list);
	if (want > *ngroups) {
		*ngroups = want;
		return -1;
	}
	*ngroups = want;
	return want;
}

VU_EXPORT int initgroups(const char *user, gid_t group)
{
	gid_t *list;
	long n;
	int r;

	FRONT(&gr_db, REAL(initgroups) ? vu_real_initgroups(user, group) : -1);
	list = groups_of(user, group, &n);
	if (!list) {
		errno = ENOMEM;
		return -1;
	}
	r = setgroups((size_t)n, list);
	free(list);
	return r;
}
