/*
 * x86len.c -- a small x86-64 instruction length decoder for the lazy
 * rewriter (rewrite.c): legacy prefixes, REX, VEX/EVEX, the one-byte map
 * and the 0F, 0F38, 0F3A maps, ModRM/SIB/displacement/immediate. Enough for
 * compiler output; anything it does not know is refused (-1), and then the
 * function that holds it is not patched.
 */
#include "vu_x86len.h"

/* one-byte map: bit 0 ModRM; imm kind in bits 1-3 */
#define M 1
#define I8 (1 << 1)
#define I32 (2 << 1)	/* 16 with 0x66 */
#define I16 (3 << 1)
#define IZ64 (4 << 1)	/* B8+r: 32, 64 with REX.W, 16 with 0x66 */
#define I16_8 (5 << 1)	/* enter */
#define MOFFS (6 << 1)
#define BAD 0x80
#define NONE 0

static const unsigned char map1[256] = {
	/* 00 */ M, M, M, M, I8, I32, BAD, BAD, M, M, M, M, I8, I32, BAD, BAD,
	/* 10 */ M, M, M, M, I8, I32, BAD, BAD, M, M, M, M, I8, I32, BAD, BAD,
	/* 20 */ M, M, M, M, I8, I32, BAD, BAD, M, M, M, M, I8, I32, BAD, BAD,
	/* 30 */ M, M, M, M, I8, I32, BAD, BAD, M, M, M, M, I8, I32, BAD, BAD,
	/* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 60 */ BAD, BAD, BAD, M, BAD, BAD, BAD, BAD, I32, M | I32, I8, M | I8, 0, 0, 0, 0,
	/* 70 */ I8, I8, I8, I8, I8, I8, I8, I8, I8, I8, I8, I8, I8, I8, I8, I8,
	/* 80 */ M | I8, M | I32, BAD, M | I8, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, BAD, 0, 0, 0, 0, 0,
	/* a0 */ MOFFS, MOFFS, MOFFS, MOFFS, 0, 0, 0, 0, I8, I32, 0, 0, 0, 0, 0, 0,
	/* b0 */ I8, I8, I8, I8, I8, I8, I8, I8, IZ64, IZ64, IZ64, IZ64, IZ64, IZ64, IZ64, IZ64,
	/* c0 */ M | I8, M | I8, I16, 0, BAD, BAD, M | I8, M | I32, I16_8, 0, I16, 0, 0, I8, BAD, 0,
	/* d0 */ M, M, M, M, BAD, BAD, BAD, 0, M, M, M, M, M, M, M, M,
	/* e0 */ I8, I8, I8, I8, I8, I8, I8, I8, I32, I32, BAD, I8, 0, 0, 0, 0,
	/* f0 */ BAD, 0, BAD, BAD, 0, 0, M, M, 0, 0, 0, 0, 0, 0, M, M,
};

/* 0F map: M, I8 (imm8 after ModRM), BAD; jcc rel32 handled apart */
static unsigned char map2(unsigned op)
{
	if (op == 0x05 || op == 0x06 || op == 0x07 || op == 0x08 || op == 0x09 ||
	    op == 0x0b || op == 0x0e || op == 0x77 || (op >= 0x30 && op <= 0x37) ||
	    op == 0xa0 || op == 0xa1 || op == 0xa2 || op == 0xa8 || op == 0xa9 || op == 0xaa ||
	    (op >= 0xc8 && op <= 0xcf))
		return NONE;
	if (op == 0x04 || op == 0x0a || op == 0x0c || op == 0x0f || op == 0x24 || op == 0x25 ||
	    op == 0x26 || op == 0x27 || op == 0x36 || op == 0x39 || (op >= 0x3b && op <= 0x3f) ||
	    op == 0x7a || op == 0x7b || op == 0xff)
		return BAD;
	if ((op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba || op == 0xc2 ||
	    (op >= 0xc4 && op <= 0xc6))
		return M | I8;
	return M;
}

/* the ModRM, SIB and displacement at p; length or -1 */
static int modrm_len(const unsigned char *p, const unsigned char *end, int *riprel)
{
	unsigned m, mod, rm;
	int n = 1;

	if (p >= end)
		return -1;
	m = p[0];
	mod = m >> 6;
	rm = m & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (p + 1 >= end)
			return -1;
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		*riprel = 1;
		n += 4;
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n;
}

int vu_x86_decode(const unsigned char *p, const unsigned char *end, struct vu_x86i *in)
{
	const unsigned char *s = p;
	int opsize16 = 0, addr32 = 0, rexw = 0, n;
	unsigned op, flags;

	in->riprel = 0;
	in->branch = VU_X86_NONE;
	in->target = 0;
	in->rex = 0;
	in->prefixes = 0;
	for (;;) {
		if (p >= end || p - s > 14)
			return -1;
		if (*p == 0x66)
			opsize16 = 1;
		else if (*p == 0x67)
			addr32 = 1;
		else if (*p == 0xf0 || *p == 0xf2 || *p == 0xf3 || *p == 0x2e || *p == 0x3e ||
			 *p == 0x26 || *p == 0x36 || *p == 0x64 || *p == 0x65)
			;
		else
			break;
		in->prefixes++;
		p++;
	}
	if ((*p & 0xf0) == 0x40) {
		in->rex = *p;
		rexw = (*p & 8) != 0;
		p++;
		if (p >= end)
			return -1;
	}
	in->op_at = (int)(p - s);
	op = *p++;
	in->map = 0;
	in->op = op;
	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		/* VEX / EVEX (always so in 64-bit mode) */
		unsigned map;
		int imm;

		if (in->rex || p >= end)
			return -1;
		if (op == 0xc5) {
			map = 1;
			p += 1;
		} else if (op == 0xc4) {
			map = p[0] & 0x1f;
			p += 2;
		} else {
			map = p[0] & 0x07;
			p += 3;
		}
		if (p >= end || map < 1 || map > 6 || map == 4)
			return -1;
		in->map = map;
		in->op = op = *p++;
		if (map == 1 && op == 0x77 && s[in->op_at] != 0x62)
			return (int)(p - s);	/* vzeroupper/vzeroall */
		n = modrm_len(p, end, &in->riprel);
		if (n < 0)
			return -1;
		p += n;
		imm = map == 3 || (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 ||
						(op >= 0xc4 && op <= 0xc6)));
		p += imm;
		return p > end ? -1 : (int)(p - s);
	}
	if (op == 0x0f) {
		if (p >= end)
			return -1;
		op = *p++;
		in->map = 1;
		in->op = op;
		if (op == 0x38 || op == 0x3a) {
			if (p >= end)
				return -1;
			in->map = op == 0x38 ? 2 : 3;
			in->op = *p++;
			n = modrm_len(p, end, &in->riprel);
			if (n < 0)
				return -1;
			p += n + (in->map == 3);
			return p > end ? -1 : (int)(p - s);
		}
		if (op >= 0x80 && op <= 0x8f) {
			if (p + 4 > end)
				return -1;
			in->branch = VU_X86_JCC;
			p += 4;
			in->target = (unsigned long)(p - s) + (long)(int)(p[-4] | p[-3] << 8 | p[-2] << 16 |
								  (unsigned)p[-1] << 24);
			return (int)(p - s);
		}
		flags = map2(op);
		if (flags & BAD)
			return -1;
		if (flags & M) {
			n = modrm_len(p, end, &in->riprel);
			if (n < 0)
				return -1;
			p += n;
		}
		if (flags & I8)
			p++;
		return p > end ? -1 : (int)(p - s);
	}
	flags = map1[op];
	if (flags & BAD)
		return -1;
	if (flags & M) {
		n = modrm_len(p, end, &in->riprel);
		if (n < 0)
			return -1;
		if (op == 0xff) {
			unsigned reg = (p[0] >> 3) & 7;

			if (reg == 2 || reg == 3)
				in->branch = VU_X86_CALLI;
			else if (reg == 4 || reg == 5)
				in->branch = VU_X86_JMPI;
		}
		if ((op == 0xf6 || op == 0xf7) && ((p[0] >> 3) & 7) < 2)
			flags |= op == 0xf6 ? I8 : I32;
		p += n;
	}
	switch (flags & 0x0e) {
	case I8:
		p += 1;
		break;
	case I32:
		p += opsize16 && !rexw ? 2 : 4;
		break;
	case I16:
		p += 2;
		break;
	case IZ64:
		p += rexw ? 8 : opsize16 ? 2 : 4;
		break;
	case I16_8:
		p += 3;
		break;
	case MOFFS:
		p += addr32 ? 4 : 8;
		break;
	}
	if (p > end)
		return -1;
	n = (int)(p - s);
	if ((op >= 0x70 && op <= 0x7f) || op == 0xeb || (op >= 0xe0 && op <= 0xe3)) {
		in->branch = op == 0xeb ? VU_X86_JMP : VU_X86_JCC;
		in->target = (unsigned long)n + (long)(signed char)p[-1];
	} else if (op == 0xe8 || op == 0xe9) {
		in->branch = op == 0xe8 ? VU_X86_CALL : VU_X86_JMP;
		in->target = (unsigned long)n + (long)(int)(p[-4] | p[-3] << 8 | p[-2] << 16 |
							    (unsigned)p[-1] << 24);
	} else if (op == 0xc3 || op == 0xc2) {
		in->branch = VU_X86_RET;
	}
	return n;
}
