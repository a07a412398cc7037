/*
 * config_fuzz.c -- libFuzzer harness for vu's config reader: the JSON parser
 * (runtime/config/json.c) on the raw bytes, then the whole check of a vu.json
 * (runtime/config/config.c: types, layers, options, paths, layer init) on the same
 * bytes written to a file, as `vu check` and the preloaded library read it.
 *
 * The layer registry here is the real remap layer plus "kinds", a layer
 * with one option of every kind (int, bool, enum, paths, lists, maps,
 * object, defaults, a required one) and an init that can fail, so option
 * checking is fuzzed beyond what the layers of this tree use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vu_core.h"
#include "json.h"

struct vu_state vu;
/* what gate.S refers to; the harness never clones through it */
__thread unsigned long vu_clone_ret __attribute__((tls_model("initial-exec")));
void vu_thread_child(unsigned long flags)
{
	(void)flags;
}
/* and the entries of static programs' foreign mode (runtime/process/static.c) */
void vu_sigsys(int sig, siginfo_t *si, void *uc);
void vu_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
}
void vu_sig_tramp(void);
void vu_sig_tramp(void)
{
}
void vu_foreign_thread_child(unsigned long flags, struct vu_fx *fx)
{
	(void)flags, (void)fx;
}
/* what layers tell the dispatcher (runtime/core/dispatch.c, not linked
 * here: the harness dispatches nothing) */
void vu_layer_names_only(const struct vu_layer *self, const struct vu_name_bits *f, unsigned flags)
{
	(void)self, (void)f, (void)flags;
}
void vu_layer_forget_names(int index)
{
	(void)index;
}

extern const struct vu_layer_ops vu_layer_remap_ops;
int vu_config_check(const char *path, char *out, int outlen);

static const struct vu_opt_desc remap_opts[] = {
	{ "map", VU_OPT_PATH_MAP, 1, NULL, NULL, "from -> to" },
};

static const char *const colors[] = { "red", "green", NULL };

static const struct vu_opt_desc kinds_opts[] = {
	{ "s", VU_OPT_STRING, 0, NULL, NULL, "string" },
	{ "p", VU_OPT_PATH, 0, NULL, NULL, "existing path" },
	{ "np", VU_OPT_NEWPATH, 0, NULL, "\"new/path\"", "new path, defaulted" },
	{ "pl", VU_OPT_PATH_LIST, 0, NULL, "[\"~/x\", \"/y\"]", "path list" },
	{ "pm", VU_OPT_PATH_MAP, 0, NULL, NULL, "path map" },
	{ "sl", VU_OPT_STRING_LIST, 0, NULL, NULL, "string list" },
	{ "b", VU_OPT_BOOL, 0, NULL, "false", "bool" },
	{ "i", VU_OPT_INT, 0, NULL, "7", "int" },
	{ "e", VU_OPT_ENUM, 0, colors, "\"red\"", "enum" },
	{ "o", VU_OPT_OBJECT, 0, NULL, NULL, "object" },
	{ "r", VU_OPT_INT, 1, NULL, NULL, "required int" },
};

/* init looks at every parsed value, so a bad one shows up under ASan */
static int kinds_init(struct vu_layer *self, char *err, size_t errlen)
{
	size_t sum = 0;

	for (int i = 0; i < (int)(sizeof(kinds_opts) / sizeof(kinds_opts[0])); i++) {
		const struct vu_opt_value *v = &self->opt[i];

		if (v->str)
			sum += strlen(v->str);
		for (int k = 0; k < v->count; k++) {
			if (v->items && v->items[k])
				sum += strlen(v->items[k]);
			if (v->keys && v->keys[k])
				sum += strlen(v->keys[k]);
		}
	}
	if (self->opt[7].num < 0) {
		snprintf(err, errlen, "i must not be negative (%zu)", sum);
		return -EINVAL;
	}
	return 0;
}

static const struct vu_layer_ops kinds_ops = {
	.abi = VU_ABI_VERSION,
	.init = kinds_init,
};

const struct vu_layer_type vu_layer_types[] = {
	{ "kinds", kinds_opts, sizeof(kinds_opts) / sizeof(kinds_opts[0]), &kinds_ops },
	{ "remap", remap_opts, 1, &vu_layer_remap_ops },
};
const int vu_layer_type_count = 2;

/*
 * The reader allocates for the life of the process and never frees (it runs
 * once, at start-up). Fuzzing it millions of times would run out of memory,
 * so build.sh renames its malloc family to fz_* and every block is freed
 * after each input here. Blocks carry their slot number in a header.
 */
struct fz_hdr {
	size_t slot;
	size_t pad;
};
static void **fz_live;
static size_t fz_n, fz_cap;

static void *fz_track(struct fz_hdr *h)
{
	if (!h)
		return NULL;
	if (fz_n == fz_cap) {
		fz_cap = fz_cap ? fz_cap * 2 : 1024;
		fz_live = realloc(fz_live, fz_cap * sizeof(*fz_live));
		if (!fz_live)
			abort();
	}
	h->slot = fz_n;
	fz_live[fz_n++] = h;
	return h + 1;
}

void *fz_malloc(size_t n)
{
	return fz_track(malloc(sizeof(struct fz_hdr) + n));
}

void *fz_calloc(size_t n, size_t m)
{
	if (m && n > ((size_t)-1 - sizeof(struct fz_hdr)) / m)
		return NULL;
	return fz_track(calloc(1, sizeof(struct fz_hdr) + n * m));
}

void fz_free(void *p)
{
	struct fz_hdr *h = p;

	if (!p)
		return;
	h--;
	fz_live[h->slot] = NULL;
	free(h);
}

void *fz_realloc(void *p, size_t n)
{
	struct fz_hdr *h = p, *nh;

	if (!p)
		return fz_malloc(n);
	h--;
	nh = realloc(h, sizeof(*h) + n);
	if (!nh)
		return NULL;
	fz_live[nh->slot] = nh;
	return nh + 1;
}

char *fz_strndup(const char *s, size_t n)
{
	size_t l = strnlen(s, n);
	char *d = fz_malloc(l + 1);

	if (d) {
		memcpy(d, s, l);
		d[l] = 0;
	}
	return d;
}

char *fz_strdup(const char *s)
{
	return fz_strndup(s, (size_t)-1);
}

static void fz_reset(void)
{
	for (size_t i = 0; i < fz_n; i++)
		free(fz_live[i]);
	fz_n = 0;
}

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/dev/shm/vu-fuzz-%d.json", (int)getpid());
	if (access("/dev/shm", W_OK))
		snprintf(path, sizeof(path), "/tmp/vu-fuzz-%d.json", (int)getpid());
	setenv("HOME", "/tmp", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_json_error je;
	static char out[1 << 16];
	int fd;

	/* the parser alone, in memory: it must never read past size */
	{
		char *copy = malloc(size ? size : 1);

		memcpy(copy, data, size);
		vu_json_parse(copy, size, &je);
		free(copy);
		fz_reset();
	}
	/* the whole check, from a file */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (vu_config_check(path, out, sizeof(out)) == 0 && out[0])
		abort();	/* "no errors" must come with no error text */
	fz_reset();
	return 0;
}
