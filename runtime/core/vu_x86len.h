/* vu_x86len.h -- x86-64 instruction lengths (x86len.c), for rewrite.c */
#ifndef VU_X86LEN_H
#define VU_X86LEN_H

enum { VU_X86_NONE, VU_X86_JMP, VU_X86_JCC, VU_X86_CALL, VU_X86_RET, VU_X86_JMPI, VU_X86_CALLI };

struct vu_x86i {
	int op_at;		/* offset of the opcode byte (after prefixes, REX, VEX) */
	unsigned map;		/* 0 one-byte, 1 0F, 2 0F38, 3 0F3A (VEX/EVEX: their map) */
	unsigned op;
	unsigned rex;		/* the REX byte, or 0 */
	int prefixes;		/* legacy prefixes */
	int riprel;		/* a RIP-relative operand */
	int branch;		/* VU_X86_* */
	long target;		/* direct branches: target, relative to the instruction's start */
};

/* vu_x86_decode -- length of the instruction at p (never reading at or
 * past end), or -1 for one it does not know */
int vu_x86_decode(const unsigned char *p, const unsigned char *end, struct vu_x86i *in)
	__attribute__((visibility("hidden")));

#endif
