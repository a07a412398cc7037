/*
 * sym.c -- find glibc's own functions at start-up without ~300 dlsym calls.
 *
 * dlsym(RTLD_NEXT) costs about 0.25 µs a name here (a full lookup through
 * every loaded object), ~75 µs for the wrappers' real functions at every
 * exec. vu_libc_sym() looks a name up in libc's GNU hash table directly
 * (default-version, defined symbols only), and falls back to dlsym for
 * what it cannot answer itself: IFUNCs (their resolver must run), and any
 * process where another preloaded library could sit between vu and libc,
 * where RTLD_NEXT is the only right answer.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include "vu_core.h"

static struct {
	int ready;
	ElfW(Addr) base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *gnuhash;
	const ElfW(Half) *versym;
} libc;

static ElfW(Addr) fix(ElfW(Addr) p)
{
	/* ld.so has relocated these in place on x86_64; be safe elsewhere */
	return p < libc.base ? p + libc.base : p;
}

/* only libvu in LD_PRELOAD: then "next after libvu" is libc itself */
static int alone(void)
{
	const char *pl = vu_getenv("LD_PRELOAD");
	int n = 0;

	for (const char *p = pl; p && *p;) {
		while (*p == ':' || *p == ' ')
			p++;
		if (*p)
			n++;
		while (*p && *p != ':' && *p != ' ')
			p++;
	}
	return n <= 1;
}

static void sym_init(void)
{
	void *h;
	struct link_map *lm = NULL;

	libc.ready = -1;
	if (!alone())
		return;
	h = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
	if (!h || dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm)
		return;
	libc.base = lm->l_addr;
	for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB: libc.symtab = (const void *)fix(d->d_un.d_ptr); break;
		case DT_STRTAB: libc.strtab = (const void *)fix(d->d_un.d_ptr); break;
		case DT_GNU_HASH: libc.gnuhash = (const void *)fix(d->d_un.d_ptr); break;
		case DT_VERSYM: libc.versym = (const void *)fix(d->d_un.d_ptr); break;
		}
	}
	dlclose(h);
	if (libc.symtab && libc.strtab && libc.gnuhash && libc.versym)
		libc.ready = 1;
}

/* the IFUNC lookup() last found (its (void *)-1), thread-local */
static __thread const ElfW(Sym) *ifunc_sym __attribute__((tls_model("initial-exec")));

static uint32_t gnu_hash(const char *name)
{
	uint32_t h = 5381;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = h * 33 + *c;
	return h;
}

/* lookup -- name, whose GNU hash is h, in libc's table */
static void *lookup_h(const char *name, uint32_t h)
{
	const uint32_t *gh = libc.gnuhash;
	uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_size = gh[2];
	const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(gh + 4) + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t i;

	i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];
		const ElfW(Sym) *s = &libc.symtab[i];

		if ((h | 1) == (h2 | 1) && !strcmp(name, libc.strtab + s->st_name) &&
		    s->st_shndx != SHN_UNDEF && !(libc.versym[i] & 0x8000)) {
			if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC) {
				ifunc_sym = s;
				return (void *)-1;	/* ask dlsym, or run its resolver */
			}
			return (void *)(libc.base + s->st_value);
		}
		if (h2 & 1)
			return NULL;
	}
}

/* lookup -- name in libc's table */
static void *lookup(const char *name)
{
	return lookup_h(name, gnu_hash(name));
}

/* vu_libc_lazy_ok said yes */
static int lazy_on;

/* vu_libc_lazy_ok -- may the wrappers find their real functions on first
 * use (vu_libc_sym_lazy)? Start-up only. Only where nothing but libvu is
 * preloaded (libc's table answers) and on x86_64 (where an IFUNC's
 * resolver takes no argument and can be called as ld.so calls it). */
int vu_libc_lazy_ok(void)
{
	if (!libc.ready)
		sym_init();
#if defined(__x86_64__)
	__atomic_store_n(&lazy_on, libc.ready == 1, __ATOMIC_RELEASE);
#endif
	return lazy_on;
}

/* vu_libc_sym_lazy -- vu_libc_sym for a wrapper's first use, in any
 * thread and in a signal handler: only reads libc's tables (and runs an
 * IFUNC's resolver, a pure function), never dlsym. 0 while vu_init has not
 * said the wrappers may look theirs up (before it, or when
 * vu_libc_resolve found them all): then *out is left as it is. */
int vu_libc_sym_lazy(const char *name, unsigned hash, void **out)
{
	void *p;

	if (!__atomic_load_n(&lazy_on, __ATOMIC_ACQUIRE))
		return 0;
	p = lookup_h(name, hash);
#if defined(__x86_64__)
	if (p == (void *)-1) {
		/* the IFUNC's resolver, as ld.so's elf_ifunc_invoke calls it */
		const ElfW(Sym) *s = ifunc_sym;

		p = s ? ((void *(*)(void))(libc.base + s->st_value))() : NULL;
	}
#endif
	*out = p == (void *)-1 ? NULL : p;
	return 1;
}

/* vu_libc_sym -- glibc's definition of name (what dlsym(RTLD_NEXT, name)
 * gives in libvu), or NULL. Start-up only. */
void *vu_libc_sym_hashed(const char *name, unsigned hash)
{
	void *p;

	if (!libc.ready)
		sym_init();
	if (libc.ready < 0)
		return dlsym(RTLD_NEXT, name);
	p = lookup_h(name, hash);
	return p == (void *)-1 ? dlsym(RTLD_NEXT, name) : p;
}

void *vu_libc_sym(const char *name)
{
	void *p;

	if (!libc.ready)
		sym_init();
	if (libc.ready < 0)
		return dlsym(RTLD_NEXT, name);
	p = lookup(name);
	return p == (void *)-1 ? dlsym(RTLD_NEXT, name) : p;
}
