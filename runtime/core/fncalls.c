/*
 * fncalls.c -- "does a layer want any call this glibc function can make?"
 * (issue 15). A wrapper whose own call no layer wants runs glibc's
 * function with the SUD selector open, and a stream function (stdio.c)
 * runs glibc's with it open when no layer wants read or write: the calls
 * glibc makes in there do not trap, so no layer sees them. That is right
 * only when no layer wants any of them; which calls a function can make
 * is worked out from the C library's binary at build time
 * (tools/libc-calls.mjs -> vu_fncalls.c), not listed by hand.
 *
 * The table is trusted only for the C library it was made from (its
 * build id); on any other (glibc upgraded since libvu was built, another
 * machine) every function counts as able to make any call: a shortcut is
 * taken only when no layer wants anything, and in "all" mode the calls
 * trap instead (slower, never unseen). Rebuilding libvu makes the table
 * again.
 *
 * "Wants" is the layers' (vu_layer_mask_of): the core's own interest (the
 * process model's signal masks and threads, its descriptors) is not about
 * what glibc does inside a function, and the wrappers ask it for their
 * own call as before.
 */
#include <dlfcn.h>
#include <elf.h>
#include <gnu/libc-version.h>
#include <link.h>
#include "vu_core.h"

unsigned char vu_fn_state[VU_FN_COUNT][2];

static int table_ok;	/* the table is about the C library in this process */

/* the build id of the C library this process runs on, or NULL */
static const unsigned char *libc_build_id(unsigned *len)
{
#ifdef DLFO_STRUCT_HAS_EH_DBASE
	struct dl_find_object fo;
	const struct link_map *lm;
	const ElfW(Ehdr) *eh;
	const ElfW(Phdr) *ph;

	if (_dl_find_object((void *)gnu_get_libc_version, &fo) || !(lm = fo.dlfo_link_map))
		return NULL;
	eh = fo.dlfo_map_start;
	if (!vu_memeq(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		const char *p, *end;

		if (ph[i].p_type != PT_NOTE)
			continue;
		p = (const char *)(lm->l_addr + ph[i].p_vaddr);
		end = p + ph[i].p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const void *)p;
			const char *name = p + sizeof(*n);
			const unsigned char *desc = (const void *)(name + ((n->n_namesz + 3) & ~3u));

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && vu_memeq(name, "GNU", 4)) {
				*len = n->n_descsz;
				return desc;
			}
			p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
		}
	}
#endif
	(void)len;
	return NULL;
}

void vu_fncalls_setup(void)
{
	unsigned len = 0;
	const unsigned char *id = libc_build_id(&len);

	table_ok = id && vu_fncalls_count == VU_FN_COUNT && len && len == vu_fncalls_build_id_len &&
		   vu_memeq(id, vu_fncalls_build_id, len);
	if (!table_ok)
		vu_debug("the table of glibc's calls (vu_fncalls.c) is not about this C library "
			 "(rebuild libvu): shortcuts only where no layer wants any call");
}

void vu_fncalls_reset(void)
{
	for (unsigned i = 0; i < VU_FN_COUNT; i++)
		vu_fn_state[i][0] = vu_fn_state[i][1] = 0;
}

/* does a layer want any call but own? (the answer for an unknown call) */
static int any_wanted(long own)
{
	for (long nr = 0; nr < VU_NR_COUNT; nr++)
		if (nr != own && vu_layer_mask_of(nr))
			return 1;
	return 0;
}

int vu_fn_loud_slow(unsigned fn, long own, int buffered)
{
	int loud = 0;

	if (vu_init_state != VU_INIT_DONE || fn >= VU_FN_COUNT)
		return 0;	/* before vu_init nothing is wanted yet: asked again later */
	if (!table_ok) {
		loud = any_wanted(own);
	} else {
		for (const unsigned short *p = vu_fncalls_nrs + vu_fncalls_at[2 * fn + (buffered != 0)]; *p != 0xffff; p++) {
			if (*p == 0xfffe ? any_wanted(own) : *p != own && vu_layer_mask_of(*p)) {
				loud = 1;
				break;
			}
		}
	}
	__atomic_store_n(&vu_fn_state[fn][buffered != 0], loud ? 2 : 1, __ATOMIC_RELAXED);
	return loud;
}
