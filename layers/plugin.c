/*
 * plugin.c -- the plugin layer: a user's layer from a shared object.
 *
 * At start-up the object is dlopen'ed (RTLD_NOW: nothing is bound lazily on
 * the hook path) and must export `const struct vu_plugin vu_plugin` built
 * against this libvu's layer ABI; a missing file, a missing symbol or
 * another ABI is a config error at the path's position. The plugin gets an
 * instance of its own (struct vu_layer) whose one option, "options", holds
 * the JSON text of the config's "options" object; this layer forwards
 * wants/enter/leave to it.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "vu_layer.h"

struct plugin {
	const struct vu_plugin *p;
	struct vu_opt_desc desc;	/* the plugin's one option, "options" */
	struct vu_layer_type type;
	struct vu_layer inner;
};

/* the plugin links against libvu's vu_* API: make libvu's symbols global
 * (it is when preloaded; `vu check` loads it RTLD_LOCAL through ffi) */
static void libvu_global(void)
{
	Dl_info info;

	if (dladdr((void *)libvu_global, &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

static int plugin_init(struct vu_layer *self, char *err, size_t errlen)
{
	const char *path = self->opt[0].str;
	struct plugin *pl;
	void *h;
	const struct vu_plugin *p;
	int r, abi;

	libvu_global();
	self->err_opt = 0;	/* errors until the plugin's own init: at "path" */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		vu_format(err, errlen, "cannot load it: %s", dlerror());
		return -EINVAL;
	}
	p = dlsym(h, VU_PLUGIN_SYMBOL);
	if (!p) {
		vu_format(err, errlen, "%s does not export `const struct vu_plugin vu_plugin` "
		       "(define it with VU_PLUGIN(name, &ops) from vu_layer.h)", path);
		return -EINVAL;
	}
	abi = p->abi != VU_ABI_VERSION || !p->ops ? p->abi : p->ops->abi;
	if (abi != VU_ABI_VERSION) {
		vu_format(err, errlen, "%s was built for layer ABI %d, this libvu has ABI %d: "
		       "rebuild it against this vu's headers", path, abi, VU_ABI_VERSION);
		return -EINVAL;
	}
	self->err_opt = -1;
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->p = p;
	pl->desc = (struct vu_opt_desc){ "options", VU_OPT_OBJECT, 0, NULL, "{}",
					 "the plugin's options" };
	pl->type = (struct vu_layer_type){ p->name ? p->name : "?", &pl->desc, 1, p->ops };
	pl->inner = *self;
	pl->inner.type = &pl->type;
	pl->inner.opt = &self->opt[1];
	pl->inner.state = NULL;
	pl->inner.err_opt = pl->inner.err_item = -1;
	if (p->ops->init) {
		char msg[400] = "";

		r = p->ops->init(&pl->inner, msg, sizeof(msg));
		if (r < 0) {
			vu_format(err, errlen, "%s: %s", pl->type.name, msg[0] ? msg : strerror(-r));
			self->err_opt = 1;
			return r;
		}
	}
	vu_debug("plugin %s loaded from %s", pl->type.name, path);
	self->state = pl;
	return 0;
}

static int plugin_wants(struct vu_layer *self, long nr)
{
	struct plugin *pl = self->state;

	return pl->p->ops->wants ? pl->p->ops->wants(&pl->inner, nr) : 0;
}

static enum vu_action plugin_enter(struct vu_layer *self, struct vu_call *c)
{
	struct plugin *pl = self->state;

	return pl->p->ops->enter ? pl->p->ops->enter(&pl->inner, c) : VU_CONTINUE;
}

static void plugin_leave(struct vu_layer *self, struct vu_call *c)
{
	struct plugin *pl = self->state;

	if (pl->p->ops->leave)
		pl->p->ops->leave(&pl->inner, c);
}

const struct vu_layer_ops vu_layer_plugin_ops = {
	.abi = VU_ABI_VERSION,
	.init = plugin_init,
	.wants = plugin_wants,
	.enter = plugin_enter,
	.leave = plugin_leave,
};
