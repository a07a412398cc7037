/*
 * api.c -- the part of vu_layer.h that is about the table, the stack and a
 * plugin's options (the helpers are in util.c, path.c, roots.c and the
 * process/ files). Each is documented where layers read it, in vu_layer.h.
 */
#include <limits.h>
#include <string.h>
#include "vu_core.h"
#include "json.h"

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

int vu_below_wants(const struct vu_layer *self, long nr)
{
	return nr >= 0 && nr < VU_NR_COUNT && (vu_layer_mask_of(nr) >> self->index) > 1;
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

void vu_call_nocache(struct vu_call *c)
{
	if (c->op)
		((struct vu_op *)c->op)->nocache = 1;
}
