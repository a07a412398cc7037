/*
 * api.c -- the functions libvu exports to plugin layers (vu_plugin.h).
 * The runtime's own helpers are hidden (vu_core.h) so that its internal
 * calls stay direct; these thin public wrappers are the stable surface.
 * Each is documented where plugins read it, in vu_plugin.h.
 */
#include <limits.h>
#include <string.h>
#include "vu_core.h"
#include "vu_plugin.h"
#include "json.h"

long vu_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return vu_gate_syscall6(nr, a1, a2, a3, a4, a5, a6);
}

const struct vu_syscall_info *vu_syscall_info(long nr)
{
	if (nr < 0 || nr >= VU_NR_COUNT || !vu_syscalls[nr].name[0])
		return NULL;
	return &vu_syscalls[nr];
}

long vu_syscall_lookup(const char *name)
{
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		if (vu_syscalls[nr].name[0] && !vu_strcmp(vu_syscalls[nr].name, name))
			return nr;
	return -1;
}

long vu_call_abspath(const struct vu_call *c, int i, char *out, size_t len)
{
	if (c->nr < 0 || c->nr >= VU_NR_COUNT || i < 0 || i >= 6)
		return -EINVAL;
	return vu_call_path(c, i, out, len);
}

long vu_path_prefix(const char *path, const char *prefix)
{
	return vu_path_under(path, prefix);
}

int vu_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vu_vfmt(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

void vu_debug_log(const char *fmt, ...)
{
	char line[900];
	va_list ap;

	if (!vu.debug)
		return;
	va_start(ap, fmt);
	vu_vfmt(line, sizeof(line), fmt, ap);
	va_end(ap);
	vu_log("%s", line);
}

/* A plugin's layer has one option, "options" (see layers/plugin.c). */
const char *vu_layer_options(const struct vu_layer *self)
{
	const struct vu_layer_type *t = self ? self->type : NULL;

	if (t && t->nopts >= 1 && t->opts[0].kind == VU_OPT_OBJECT && self->opt &&
	    self->opt[0].str)
		return self->opt[0].str;
	return "{}";
}

static const struct vu_json *option(const struct vu_layer *self, const char *key)
{
	const char *text = vu_layer_options(self);
	struct vu_json_error je;
	struct vu_json *root = vu_json_parse(text, strlen(text), &je);

	return root && root->type == VU_J_OBJ ? vu_json_get(root, key) : NULL;
}

int vu_option_string(const struct vu_layer *self, const char *key, const char **out)
{
	const struct vu_json *v = option(self, key);

	if (!v)
		return 0;
	if (v->type != VU_J_STR)
		return -EINVAL;
	*out = v->str;
	return 1;
}

int vu_option_long(const struct vu_layer *self, const char *key, long *out)
{
	const struct vu_json *v = option(self, key);

	if (!v)
		return 0;
	if (v->type != VU_J_NUM || !v->is_int || v->num < (double)LONG_MIN ||
	    v->num > (double)LONG_MAX)
		return -EINVAL;
	*out = (long)v->num;
	return 1;
}
