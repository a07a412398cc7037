/*
 * uname.c -- the uname layer: the system's names as configured.
 *
 * The leave hook of uname(2) writes the configured fields over what the
 * kernel answered, so the fields nobody configured stay real. glibc's
 * gethostname and getdomainname call uname internally; SUD catches that in
 * "all" mode and runtime/libc/libc_extra.c wraps them for the fast path and
 * "libc" mode, so they come here as uname too.
 */
#include <stdlib.h>
#include <sys/utsname.h>
#include "vu_layer.h"

#define FIELDS 6
#define FIELD_LEN 65	/* struct new_utsname: 64 bytes and a NUL */

_Static_assert(sizeof(((struct utsname *)0)->nodename) == FIELD_LEN, "utsname field size");

/* in the order of the manifest's options */
static const size_t field_off[FIELDS] = {
	offsetof(struct utsname, sysname),
	offsetof(struct utsname, nodename),
	offsetof(struct utsname, release),
	offsetof(struct utsname, version),
	offsetof(struct utsname, machine),
	offsetof(struct utsname, domainname),
};

static int uname_init(struct vu_layer *self, char *err, size_t errlen)
{
	for (int i = 0; i < FIELDS; i++) {
		const struct vu_opt_value *v = &self->opt[i];

		if (v->set && vu_strlen(v->str) >= FIELD_LEN) {
			vu_format(err, errlen, "%s is %lu bytes long; the kernel's fields hold at most %d",
			       self->type->opts[i].name, (unsigned long)vu_strlen(v->str),
			       FIELD_LEN - 1);
			self->err_opt = i;
			return -EINVAL;
		}
	}
	return 0;
}

static int uname_wants(struct vu_layer *self, long nr)
{
	(void)self;
	return nr == VU_NR_uname;
}

static void uname_leave(struct vu_layer *self, struct vu_call *c)
{
	char *u = (char *)c->args[0];

	if (c->ret != 0 || !u)
		return;
	for (int i = 0; i < FIELDS; i++) {
		const struct vu_opt_value *v = &self->opt[i];
		char *f = u + field_off[i];
		size_t n;

		if (!v->set)
			continue;
		n = vu_strlen(v->str);
		vu_memcpy(f, v->str, n);
		for (; n < FIELD_LEN; n++)
			f[n] = 0;
	}
}

const struct vu_layer_ops vu_layer_uname_ops = {
	.abi = VU_ABI_VERSION,
	.init = uname_init,
	.wants = uname_wants,
	.leave = uname_leave,
};
