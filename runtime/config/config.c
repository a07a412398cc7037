/*
 * config.c -- find vu.json, read it, check it against the layer manifests
 * (generated-c/vu_layer_types.c) and build the layer stack. Runs at start-up,
 * before SUD is armed, so it may use libc freely.
 *
 * Every problem becomes "FILE:LINE:COL: message"; the preloaded library
 * prints them and exits 125 before the program's main, `vu check` gets them
 * through vu_config_check().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <linux/magic.h>
#include <unistd.h>
#include "vu_core.h"
#include "json.h"
#include "suggest.h"
#include "compiled.h"

#define VU_CONFIG_MAX (1 << 20)
#define VU_MAX_ERRORS 50

struct vu_errors {
	const char *file;
	int count;
	char *text;	/* "FILE:LINE:COL: msg\n"... */
	size_t len;
};

static void err_add(struct vu_errors *e, const struct vu_json *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_add(struct vu_errors *e, const struct vu_json *at, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	if (e->count++ >= VU_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(NULL, 0, "%s:%d:%d: %s\n", e->file, at ? at->line : 1, at ? at->col : 1, msg);
	e->text = realloc(e->text, e->len + n + 1);
	if (!e->text)
		vu_fatal(125, "out of memory");
	snprintf(e->text + e->len, n + 1, "%s:%d:%d: %s\n", e->file, at ? at->line : 1,
		 at ? at->col : 1, msg);
	e->len += n;
}

/* vu_config_home -- what "~" in a config means: the home the first vu
 * process of the tree saw (VU_HOME, handed to every child like VU_CONFIG,
 * so that env -i or a changed $HOME does not change what a config names),
 * else $HOME; NULL when neither is an absolute path. */
const char *vu_config_home(void)
{
	static const char *home;	/* (vu_keep: one page for start-up's strings) */
	const char *h = __atomic_load_n(&home, __ATOMIC_ACQUIRE);

	if (!h) {
		h = vu_getenv("VU_HOME");
		if (!h || h[0] != '/')
			h = vu_getenv("HOME");
		if (!h || h[0] != '/' || vu_strlen(h) >= PATH_MAX || !(h = vu_keep(h)))
			return NULL;
		__atomic_store_n(&home, h, __ATOMIC_RELEASE);
	}
	return h;
}

/* Make a config path absolute: relative to the config's folder, ~ is the
 * home (vu_config_home). p is a string of the config's JSON tree, kept for
 * the life of the process, as the result is. */
static char *abs_path(const char *dir, const char *p, int tilde)
{
	char buf[PATH_MAX * 2];
	const char *home = vu_config_home();

	char norm[PATH_MAX];

	if (p[0] == '/') {
		/* most paths of a config: already normalized, or normalized
		 * as they are (no copy, no formatting) */
		long n = vu_path_plain(p);

		if (n >= 0 && n < PATH_MAX)
			return (char *)p;	/* the config's own string: it lives as long */
		if (vu_path_normalize(p, norm, sizeof(norm)) < 0)
			return NULL;
		return strdup(norm);
	}
	if (tilde && p[0] == '~' && (p[1] == '/' || !p[1]) && home)
		snprintf(buf, sizeof(buf), "%s/%s", home, p + 1);
	else
		snprintf(buf, sizeof(buf), "%s/%s", dir, p);
	if (vu_path_normalize(buf, norm, sizeof(norm)) < 0)
		return NULL;
	return strdup(norm);	/* its own size: 10,000 paths are not 40 MiB */
}

static int expect_type(struct vu_errors *e, const struct vu_json *v, int type,
		       const char *what)
{
	if (v->type == type)
		return 0;
	err_add(e, v, "%s must be %s, not %s", what, vu_json_type_name(type),
		vu_json_type_name(v->type));
	return -1;
}

static const char *path_or_err(struct vu_errors *e, const struct vu_json *v,
			       const char *dir, int must_exist, int tilde, const char *what)
{
	char *p;
	struct stat st;

	if (expect_type(e, v, VU_J_STR, what))
		return NULL;
	if (!v->slen) {
		err_add(e, v, "%s must not be empty", what);
		return NULL;
	}
	p = abs_path(dir, v->str, tilde);
	if (!p) {
		err_add(e, v, "%s is too long", what);
		return NULL;
	}
	if (must_exist && stat(p, &st)) {
		err_add(e, v, "%s: %s: %s", what, p, strerror(errno));
		return NULL;
	}
	return p;
}

static const char **str_array(int n)
{
	const char **a = calloc(n + 1, sizeof(*a));

	if (!a)
		vu_fatal(125, "out of memory");
	return a;
}

/* One option value, checked and converted by its kind. */
static void parse_opt(struct vu_errors *e, const struct vu_opt_desc *d,
		      const struct vu_json *v, const char *dir, struct vu_opt_value *out,
		      const char *layer)
{
	char what[160];

	snprintf(what, sizeof(what), "%s.%s", layer, d->name);
	out->set = 1;
	switch (d->kind) {
	case VU_OPT_STRING:
		if (!expect_type(e, v, VU_J_STR, what))
			out->str = v->str;
		break;
	case VU_OPT_PATH:
	case VU_OPT_NEWPATH:
		out->str = path_or_err(e, v, dir, d->kind == VU_OPT_PATH, 1, what);
		break;
	case VU_OPT_ENUM:
		if (expect_type(e, v, VU_J_STR, what))
			break;
		for (int i = 0; d->choices && d->choices[i]; i++)
			if (!strcmp(d->choices[i], v->str))
				out->str = d->choices[i];
		if (!out->str) {
			char list[256] = "";

			for (int i = 0; d->choices && d->choices[i]; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list),
					 "%s\"%s\"", i ? ", " : "", d->choices[i]);
			err_add(e, v, "%s: \"%s\" is not one of %s", what, v->str, list);
		}
		break;
	case VU_OPT_BOOL:
		if (!expect_type(e, v, VU_J_BOOL, what))
			out->num = v->boolean;
		break;
	case VU_OPT_INT:
		/* beyond 2^53 a double no longer holds every integer, and a
		 * cast of one beyond LONG_MAX is undefined: refuse both */
		if (v->type != VU_J_NUM || !v->is_int)
			err_add(e, v, "%s must be an integer", what);
		else if (v->num < -9007199254740992.0 || v->num > 9007199254740992.0)
			err_add(e, v, "%s: %.*s is out of range (-2^53 to 2^53)", what,
				(int)(v->srclen > 40 ? 40 : v->srclen), v->src);
		else
			out->num = (long)v->num;
		break;
	case VU_OPT_OBJECT:
		if (!expect_type(e, v, VU_J_OBJ, what))
			out->str = strndup(v->src, v->srclen);
		break;
	case VU_OPT_STRING_OR_NUMBER:
		if (v->type == VU_J_STR)
			out->str = v->str;
		else if (v->type == VU_J_NUM)
			out->str = strndup(v->src, v->srclen);
		else
			err_add(e, v, "%s must be a string or a number, not %s", what,
				vu_json_type_name(v->type));
		break;
	case VU_OPT_STRING_LIST:
	case VU_OPT_PATH_LIST:
		if (expect_type(e, v, VU_J_ARR, what))
			break;
		out->count = v->count;
		out->items = str_array(v->count);
		for (int i = 0; i < v->count; i++) {
			if (d->kind == VU_OPT_STRING_LIST)
				out->items[i] = expect_type(e, v->items[i], VU_J_STR, what) ?
					NULL : v->items[i]->str;
			else
				out->items[i] = path_or_err(e, v->items[i], dir, 0, 1, what);
		}
		break;
	case VU_OPT_PATH_MAP:
		if (expect_type(e, v, VU_J_OBJ, what))
			break;
		out->count = v->count;
		out->keys = str_array(v->count);
		out->items = str_array(v->count);
		for (int i = 0; i < v->count; i++) {
			out->keys[i] = path_or_err(e, v->keys[i], dir, 0, 1, what);
			out->items[i] = path_or_err(e, v->items[i], dir, 1, 1, what);
		}
		break;
	default:
		err_add(e, v, "%s: option kind %d unknown to this libvu", what, d->kind);
	}
}

static const struct vu_layer_type *find_type(const char *name)
{
	for (int i = 0; i < vu_layer_type_count; i++)
		if (!strcmp(vu_layer_types[i].name, name))
			return &vu_layer_types[i];
	return NULL;
}

const struct vu_layer_type *vu_layer_type_named(const char *name)
{
	return find_type(name);
}

static void type_list(char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < vu_layer_type_count; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "",
			 vu_layer_types[i].name);
}

/* did_you_mean -- " (did you mean \"NAME\"?)" for the known name nearest
 * to typed, or "" when none is near (buf holds the text) */
static const char *did_you_mean(char *buf, size_t len, const char *typed, const char *const *known, int n)
{
	struct vu_suggest s;
	const char *best;

	vu_suggest_init(&s);
	for (int i = 0; i < n; i++)
		vu_suggest_offer(&s, typed, known[i]);
	best = vu_suggest_done(&s, typed);
	if (!best)
		return "";
	snprintf(buf, len, " (did you mean \"%s\"?)", best);
	return buf;
}

static const char *type_hint(char *buf, size_t len, const char *typed)
{
	const char *known[64];
	int n = 0;

	for (int i = 0; i < vu_layer_type_count && n < 64; i++)
		known[n++] = vu_layer_types[i].name;
	return did_you_mean(buf, len, typed, known, n);
}

static const char *opt_hint(char *buf, size_t len, const struct vu_layer_type *t, const char *typed)
{
	const char *known[64];
	int n = 0;

	for (int i = 0; i < t->nopts && n < 64; i++)
		known[n++] = t->opts[i].name;
	return did_you_mean(buf, len, typed, known, n);
}

static void opt_list(const struct vu_layer_type *t, char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < t->nopts; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "",
			 t->opts[i].name);
}

/* where_init_failed -- the JSON node a layer's init pointed its error at
 * (self->err_opt, self->err_item), else the layer's object. */
static const struct vu_json *where_init_failed(const struct vu_json *lj,
					       const struct vu_layer *self)
{
	const struct vu_json *v;

	if (self->err_opt < 0 || self->err_opt >= self->type->nopts)
		return lj;
	v = vu_json_get(lj, self->type->opts[self->err_opt].name);
	if (!v)
		return lj;
	if (self->err_item >= 0 && (v->type == VU_J_ARR || v->type == VU_J_OBJ) &&
	    self->err_item < v->count)
		return v->items[self->err_item];
	return v;
}

/* init_layer -- the layer's type and options are set: the rest of it, and
 * its init hook; 0 or -errno (and msg) */
static int init_layer(struct vu_layer *layer, const char *dir, int index, int check_only,
		      char *msg, size_t msglen)
{
	layer->config_dir = dir;
	layer->index = index;
	layer->check_only = check_only;
	layer->err_opt = layer->err_item = -1;
	vu_layer_forget_names(index);	/* (until its init says otherwise) */
	return layer->type->ops->init ? layer->type->ops->init(layer, msg, msglen) : 0;
}

static void build_layer(struct vu_errors *e, const struct vu_json *lj, const char *dir,
			struct vu_layer *layer, int index, int check_only)
{
	const struct vu_json *tj = vu_json_get(lj, "type");
	const struct vu_layer_type *t;
	struct vu_opt_value *vals;
	char list[512], what[32], hint[128];
	int before = e->count;

	snprintf(what, sizeof(what), "layers[%d]", index);
	if (expect_type(e, lj, VU_J_OBJ, what))
		return;
	if (!tj) {
		err_add(e, lj, "%s: missing \"type\"", what);
		return;
	}
	if (expect_type(e, tj, VU_J_STR, "\"type\""))
		return;
	t = find_type(tj->str);
	if (!t) {
		type_list(list, sizeof(list));
		err_add(e, tj, "unknown layer type \"%s\"%s (known: %s)", tj->str,
			type_hint(hint, sizeof(hint), tj->str), list);
		return;
	}
	vals = calloc(t->nopts + 1, sizeof(*vals));
	if (!vals)
		vu_fatal(125, "out of memory");
	for (int k = 0; k < lj->count; k++) {
		const char *key = lj->keys[k]->str;
		int found = 0;

		if (!strcmp(key, "type") || !strcmp(key, "$comment"))
			continue;
		for (int o = 0; o < t->nopts; o++) {
			if (strcmp(t->opts[o].name, key))
				continue;
			parse_opt(e, &t->opts[o], lj->items[k], dir, &vals[o], t->name);
			found = 1;
		}
		if (!found) {
			opt_list(t, list, sizeof(list));
			err_add(e, lj->keys[k], "unknown option \"%s\" for layer %s%s (options: %s)",
				key, t->name, opt_hint(hint, sizeof(hint), t, key), list[0] ? list : "none");
		}
	}
	for (int o = 0; o < t->nopts; o++) {
		if (vals[o].set)
			continue;
		if (t->opts[o].required) {
			err_add(e, lj, "layer %s needs option \"%s\"", t->name, t->opts[o].name);
		} else if (t->opts[o].def) {
			struct vu_json_error je;
			struct vu_json *dj = vu_json_parse(t->opts[o].def, strlen(t->opts[o].def), &je);

			if (dj)
				parse_opt(e, &t->opts[o], dj, dir, &vals[o], t->name);
		}
	}
	layer->type = t;
	layer->opt = vals;
	if (e->count == before) {
		char msg[512] = "";
		int r = init_layer(layer, dir, index, check_only, msg, sizeof(msg));

		if (r < 0)
			err_add(e, where_init_failed(lj, layer), "layer %s: %s", t->name,
				msg[0] ? msg : strerror(-r));
	}
}

/* What a non-regular file is, for "not a regular file (...)". */
static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISDIR(m))
		return "a directory";
	return "not a plain file";
}

/* Why path cannot be opened: a precise reason for a symlink loop or a
 * dangling symlink (*whole = 1: about the file, no position), else errno's
 * text (*whole = 0: "cannot read config: ..."). */
static void open_error(const char *path, int err, char *why, size_t whylen, int *whole)
{
	struct stat ls;
	char to[PATH_MAX];
	ssize_t n;

	*whole = 1;
	if (err == ELOOP) {
		snprintf(why, whylen, "symbolic link loop (%s)", strerror(err));
		return;
	}
	if (err == ENOENT && !lstat(path, &ls) && S_ISLNK(ls.st_mode)) {
		n = readlink(path, to, sizeof(to) - 1);
		to[n > 0 ? n : 0] = 0;
		snprintf(why, whylen, "dangling symbolic link (to %s, which does not exist)", to);
		return;
	}
	*whole = 0;
	snprintf(why, whylen, "%s", strerror(err));
}

/* A file modified in the last second may have a writer still at work (a
 * read can land between two of its writes): look again 5 ms later. Costs
 * nothing for a config that has been left alone for a second. */
static int recently_changed(int fd, const struct stat *st)
{
	struct timespec now, pause = { 0, 5 * 1000 * 1000 };
	struct stat again;

	if (clock_gettime(CLOCK_REALTIME, &now) || now.tv_sec - st->st_mtim.tv_sec > 1)
		return 0;
	while (nanosleep(&pause, &pause) && errno == EINTR)
		;
	return fstat(fd, &again) || again.st_size != st->st_size ||
	       again.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	       again.st_mtim.tv_nsec != st->st_mtim.tv_nsec;
}

/* read_file -- the whole config, NUL-terminated, or NULL with the reason in
 * why. Only a regular file is read: a FIFO, socket, device, directory or
 * /proc or /sys file is refused without reading it (a FIFO must not block
 * start-up forever: the open is O_NONBLOCK, and the kind is checked before
 * the open and again on the open file). A file that changes size while
 * read (a writer appending to it) is refused too: at most the size fstat
 * gave plus one byte is read, and the size is checked again afterwards.
 * *whole says the reason is about the file as a whole ("FILE: why"), not
 * "cannot read config: why" at 1:1. */
static char *read_file(const char *path, size_t *len, char *why, size_t whylen, int *whole)
{
	struct stat st, st2;
	struct statfs fs;
	char *buf;
	size_t got = 0, size, want;
	int fd;

	*whole = 1;
	if (stat(path, &st)) {
		open_error(path, errno, why, whylen, whole);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file (%s)", file_kind(st.st_mode));
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		open_error(path, errno, why, whylen, whole);
		return NULL;
	}
	if (fstat(fd, &st)) {
		*whole = 0;
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {	/* replaced between the stat and the open */
		snprintf(why, whylen, "not a regular file (%s)", file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	if (!fstatfs(fd, &fs) && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC)) {
		snprintf(why, whylen, "not a regular file (a %s file)",
			 fs.f_type == PROC_SUPER_MAGIC ? "/proc" : "/sys");
		close(fd);
		return NULL;
	}
	if (st.st_size > VU_CONFIG_MAX) {
		*whole = 0;
		snprintf(why, whylen, "file too large (%ld bytes, at most %d)", (long)st.st_size,
			 VU_CONFIG_MAX);
		close(fd);
		return NULL;
	}
	size = st.st_size;
	want = size + 1;	/* one byte more than fstat said: did it grow? */
	buf = malloc(want + 1);
	while (buf && got < want) {
		ssize_t r = read(fd, buf + got, want - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	if (!buf || (got < size && fstat(fd, &st2) == 0 && st2.st_size == st.st_size)) {
		*whole = 0;
		snprintf(why, whylen, "cannot read it");
	} else if (got > size) {
		snprintf(why, whylen, "changed while read (it grew past its %zu bytes)", size);
	} else if (got < size) {
		snprintf(why, whylen, "changed while read (it shrank from %zu to %zu bytes)", size,
			 got);
	} else if (fstat(fd, &st2) || st2.st_size != st.st_size ||
		   st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		   st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
		snprintf(why, whylen, "changed while read (its size or time changed)");
	} else if (recently_changed(fd, &st2)) {
		snprintf(why, whylen, "changed while read (it is still being written)");
	} else {
		close(fd);
		buf[got] = 0;
		*len = got;
		return buf;
	}
	close(fd);
	free(buf);
	return NULL;
}

/* A problem with the config file as a whole: "FILE: msg", no position. */
static void err_file(struct vu_errors *e, const char *msg)
{
	int n;

	if (e->count++ >= VU_MAX_ERRORS)
		return;
	n = snprintf(NULL, 0, "%s: %s\n", e->file, msg);
	e->text = realloc(e->text, e->len + n + 1);
	if (!e->text)
		vu_fatal(125, "out of memory");
	snprintf(e->text + e->len, n + 1, "%s: %s\n", e->file, msg);
	e->len += n;
}

/* vu_config_build -- read and check the config at path (absolute) into st.
 * Returns the number of errors, described in e. */
/* the folder of the config at path (for its relative paths) */
static char *dir_of(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		vu_fatal(125, "out of memory");
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	return dir;
}

/* read_or_say -- the config's text, or NULL and the reason in e (a
 * function of its own: its PATH_MAX buffer is not on the stack while the
 * layers start, where every page written is a page fault) */
static __attribute__((noinline)) char *read_or_say(struct vu_errors *e, const char *path, size_t *len)
{
	static const struct vu_json file_pos = { .line = 1, .col = 1 };
	char why[PATH_MAX + 128];
	int whole;
	char *text = read_file(path, len, why, sizeof(why), &whole);

	if (!text) {
		if (whole)
			err_file(e, why);
		else
			err_add(e, &file_pos, "cannot read config: %s", why);
	}
	return text;
}

/* from_compiled -- st from the compiled form of the config (compiled.c),
 * its layers initialized: 1; 0 when there is none, or when a layer's init
 * fails (then the config is parsed, and the error said with its place) */
static int from_compiled(const char *path, const struct stat *cst, struct vu_state *st)
{
	char *dir;

	if (!vu_compiled_load(path, cst, st))
		return 0;
	dir = dir_of(path);
	st->config_path = path;
	st->config_dir = dir;
	for (int i = 0; i < st->nlayers; i++) {
		char msg[512] = "";

		st->layers[i].intercept_all = st->mode == VU_MODE_ALL;
		if (init_layer(&st->layers[i], dir, i, 0, msg, sizeof(msg)) < 0) {
			vu_debug("config: compiled %s: layer %d: %s; parsing it", path, i, msg);
			st->nlayers = 0;
			st->layers = NULL;
			st->mode = VU_MODE_ALL;
			st->unvirtualized = 0;
			return 0;
		}
	}
	return 1;
}

static int vu_config_build(const char *path, struct vu_state *st, struct vu_errors *e,
			   int check_only)
{
	struct vu_json_error je;
	struct vu_json *root, *layers, *mode, *unvirt;
	size_t len;
	char *text, *dir;
	int have_cst = 0;
	struct stat cst;

	e->file = path;
	if (!check_only && vu_sys4(SYS_newfstatat, AT_FDCWD, path, &cst, 0) == 0 && S_ISREG(cst.st_mode)) {
		have_cst = 1;
		if (from_compiled(path, &cst, st))
			return 0;
	}
	text = read_or_say(e, path, &len);
	if (!text)
		return e->count;
	root = vu_json_parse(text, len, &je);
	if (!root) {
		struct vu_json at = { .line = je.line, .col = je.col };

		err_add(e, &at, "%s", je.msg);
		return e->count;
	}
	if (expect_type(e, root, VU_J_OBJ, "the config"))
		return e->count;
	dir = dir_of(path);
	st->config_path = path;
	st->config_dir = dir;
	st->mode = VU_MODE_ALL;
	for (int k = 0; k < root->count; k++) {
		const char *key = root->keys[k]->str;

		if (strcmp(key, "$schema") && strcmp(key, "intercept") && strcmp(key, "layers") &&
		    strcmp(key, "$comment") && strcmp(key, "run_unvirtualized"))
		{
			static const char *const top[] = { "$schema", "intercept", "layers", "run_unvirtualized" };
			char hint[128];

			err_add(e, root->keys[k],
				"unknown key \"%s\"%s (expected $schema, intercept, layers, run_unvirtualized)", key,
				did_you_mean(hint, sizeof(hint), key, top, 4));
		}
	}
	unvirt = vu_json_get(root, "run_unvirtualized");
	if (unvirt && !expect_type(e, unvirt, VU_J_ARR, "\"run_unvirtualized\"")) {
		for (int i = 0; i < unvirt->count; i++) {
			const struct vu_json *it = unvirt->items[i];

			if (expect_type(e, it, VU_J_STR, "an item of \"run_unvirtualized\""))
				continue;
			if (!strcmp(it->str, "setuid"))
				st->unvirtualized |= VU_UNVIRT_SETUID;
			else if (!strcmp(it->str, "foreign"))
				st->unvirtualized |= VU_UNVIRT_FOREIGN;
			else if (!strcmp(it->str, "static"))
				st->unvirtualized |= VU_UNVIRT_STATIC;
			else
				err_add(e, it, "\"run_unvirtualized\" takes \"setuid\", \"static\" or \"foreign\", not \"%s\"",
					it->str);
		}
	}
	mode = vu_json_get(root, "intercept");
	if (mode && !expect_type(e, mode, VU_J_STR, "\"intercept\"")) {
		if (!strcmp(mode->str, "libc"))
			st->mode = VU_MODE_LIBC;
		else if (strcmp(mode->str, "all"))
			err_add(e, mode, "\"intercept\" must be \"all\" or \"libc\", not \"%s\"",
				mode->str);
	}
	layers = vu_json_get(root, "layers");
	if (!layers)
		err_add(e, root, "missing \"layers\" (use \"layers\": [] for none)");
	if (layers && !expect_type(e, layers, VU_J_ARR, "\"layers\"")) {
		if (layers->count > VU_MAX_LAYERS) {
			err_add(e, layers, "at most %d layers", VU_MAX_LAYERS);
			return e->count;
		}
		st->nlayers = layers->count;
		st->layers = calloc(layers->count + 1, sizeof(*st->layers));
		for (int i = 0; i < layers->count; i++) {
			st->layers[i].intercept_all = st->mode == VU_MODE_ALL;
			build_layer(e, layers->items[i], dir, &st->layers[i], i, check_only);
		}
	}
	if (!e->count && have_cst && st->layers)
		vu_compiled_save(path, &cst, st);	/* for the next process */
	return e->count;
}

/* Nearest vu.json in the cwd or its parents: any entry of that name, so
 * that a FIFO, a directory or a dangling symlink called vu.json is refused
 * by read_file rather than skipped or waited on. */
static char *find_upward(void)
{
	char dir[PATH_MAX], cand[PATH_MAX + 16];
	struct stat ls;

	if (!getcwd(dir, sizeof(dir)))
		return NULL;
	for (;;) {
		snprintf(cand, sizeof(cand), "%s%svu.json", dir, strcmp(dir, "/") ? "/" : "");
		if (!lstat(cand, &ls))
			return strdup(cand);
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir) {
			if (!strcmp(dir, "/"))
				return NULL;
			strcpy(dir, "/");
			continue;
		}
		*slash = 0;
	}
}

static char *make_abs_slow(const char *p);

static char *make_abs(const char *p)
{
	long n = vu_path_plain(p);
	char *out;

	if (n < 0 || n >= PATH_MAX)
		return make_abs_slow(p);
	/* (already absolute and normal: no PATH_MAX buffers on the stack) */
	out = strdup(p);
	if (!out)
		vu_fatal(125, "out of memory");
	return out;
}

static __attribute__((noinline)) char *make_abs_slow(const char *p)
{
	char cwd[PATH_MAX], buf[PATH_MAX * 2], *out = malloc(PATH_MAX);

	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(buf, sizeof(buf), "%s", p);
	else
		snprintf(buf, sizeof(buf), "%s/%s", cwd, p);
	if (!out || vu_path_normalize(buf, out, PATH_MAX) < 0)
		vu_fatal(125, "config path too long: %s", p);
	return out;
}

/* vu_config_load -- resolve the config of this process into `vu`, or exit
 * 125 with every error. */
void vu_config_load(void)
{
	const char *env = vu_getenv("VU_CONFIG");
	struct vu_errors e = { 0 };
	char *path;

	/* no config: no layers, and no SUD tax for nothing */
	vu.mode = VU_MODE_LIBC;
	if (env && !*env)
		return;		/* explicitly none */
	path = env ? make_abs(env) : find_upward();
	if (!path)
		return;
	if (vu_config_build(path, &vu, &e, 0)) {
		char *line = e.text, *nl;

		while (line && (nl = strchr(line, '\n'))) {
			*nl = 0;
			vu_fatal_line(line);
			line = nl + 1;
		}
		if (e.count > VU_MAX_ERRORS)
			vu_fatal_line("(more errors not shown)");
		vu_fatal(125, "not running the program: its configuration has %d error%s", e.count,
			 e.count == 1 ? "" : "s");
	}
	if (!env || strcmp(env, path))
		vu_setenv("VU_CONFIG", path);
	if (vu_config_home() && (!vu_getenv("VU_HOME") || strcmp(vu_getenv("VU_HOME"), vu_config_home())))
		vu_setenv("VU_HOME", vu_config_home());
}

/* vu_config_check -- for `vu check` (through ffi): check the config at path
 * without side effects. Writes the errors ("FILE:LINE:COL: msg" lines) into
 * out and returns their number; 0 when the config is good. */
VU_EXPORT int vu_config_check(const char *path, char *out, int outlen)
{
	struct vu_state st = { 0 };
	struct vu_errors e = { 0 };
	char *abs = make_abs(path);
	int n = vu_config_build(abs, &st, &e, 1);

	if (outlen > 0) {
		snprintf(out, outlen, "%s", e.text ? e.text : "");
	}
	free(e.text);
	return n;
}

/* vu_config_errors -- the same check, returning the error lines as one
 * string ("" when the config is good); for callers that cannot pass a
 * buffer. The string is never freed (a CLI calls this once). */
VU_EXPORT const char *vu_config_errors(const char *path)
{
	struct vu_state st = { 0 };
	struct vu_errors e = { 0 };
	char *abs = make_abs(path);

	vu_config_build(abs, &st, &e, 1);
	return e.text ? e.text : "";
}

/* ---- the resolved stack, as JSON, for `vu check` ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			vu_fatal(125, "out of memory");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_json_str(struct sbuf *b, const char *s)
{
	char esc[8];

	sb_str(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			sb_put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_str(b, esc);
		} else {
			sb_put(b, (const char *)&c, 1);
		}
	}
	sb_str(b, "\"");
}

static void sb_opt(struct sbuf *b, const struct vu_opt_desc *d, const struct vu_opt_value *v)
{
	char num[32];

	switch (d->kind) {
	case VU_OPT_BOOL:
		sb_str(b, v->num ? "true" : "false");
		break;
	case VU_OPT_INT:
		snprintf(num, sizeof(num), "%ld", v->num);
		sb_str(b, num);
		break;
	case VU_OPT_OBJECT:
		sb_str(b, v->str ? v->str : "{}");
		break;
	case VU_OPT_STRING_LIST:
	case VU_OPT_PATH_LIST:
		sb_str(b, "[");
		for (int i = 0; i < v->count; i++) {
			if (i)
				sb_str(b, ", ");
			sb_json_str(b, v->items[i]);
		}
		sb_str(b, "]");
		break;
	case VU_OPT_PATH_MAP:
		sb_str(b, "{");
		for (int i = 0; i < v->count; i++) {
			if (i)
				sb_str(b, ", ");
			sb_json_str(b, v->keys[i]);
			sb_str(b, ": ");
			sb_json_str(b, v->items[i]);
		}
		sb_str(b, "}");
		break;
	default:
		sb_json_str(b, v->str);
	}
}

/* vu_config_resolved -- for `vu check`: the stack as libvu will run it,
 * as JSON: {"config", "intercept", "layers": [{"type", options...}]}, with
 * defaults filled in and paths absolute; or "" when the config has errors. */
VU_EXPORT const char *vu_config_resolved(const char *path)
{
	struct vu_state st = { 0 };
	struct vu_errors e = { 0 };
	struct sbuf b = { 0 };
	char *abs = make_abs(path);

	if (vu_config_build(abs, &st, &e, 1))
		return "";
	sb_str(&b, "{\"config\": ");
	sb_json_str(&b, abs);
	sb_str(&b, st.mode == VU_MODE_LIBC ? ", \"intercept\": \"libc\"" : ", \"intercept\": \"all\"");
	if (st.unvirtualized) {
		int first = 1;

		sb_str(&b, ", \"run_unvirtualized\": [");
		if (st.unvirtualized & VU_UNVIRT_SETUID) {
			sb_str(&b, "\"setuid\"");
			first = 0;
		}
		if (st.unvirtualized & VU_UNVIRT_STATIC) {
			sb_str(&b, first ? "\"static\"" : ", \"static\"");
			first = 0;
		}
		if (st.unvirtualized & VU_UNVIRT_FOREIGN)
			sb_str(&b, first ? "\"foreign\"" : ", \"foreign\"");
		sb_str(&b, "]");
	}
	sb_str(&b, ", \"layers\": [");
	for (int i = 0; i < st.nlayers; i++) {
		const struct vu_layer *l = &st.layers[i];

		sb_str(&b, i ? ", {\"type\": " : "{\"type\": ");
		sb_json_str(&b, l->type->name);
		for (int o = 0; o < l->type->nopts; o++) {
			if (!l->opt[o].set)
				continue;
			sb_str(&b, ", ");
			sb_json_str(&b, l->type->opts[o].name);
			sb_str(&b, ": ");
			sb_opt(&b, &l->type->opts[o], &l->opt[o]);
		}
		sb_str(&b, "}");
	}
	sb_str(&b, "]}");
	return b.p;
}
