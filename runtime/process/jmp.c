/*
 * jmp.c -- longjmp and siglongjmp, seen by vu: a program that leaves a
 * signal handler with siglongjmp (a timeout around a blocking call) may
 * abandon a vu call the signal interrupted. The wrappers tell the
 * dispatcher where the jump lands (vu_unwind_to), then make it.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include "vu_core.h"

typedef void jmp_fn(struct __jmp_buf_tag *env, int val);

enum { J_LONGJMP, J__LONGJMP, J_SIGLONGJMP, J_CHK, J_COUNT };
static const char *const names[J_COUNT] = { "longjmp", "_longjmp", "siglongjmp", "__longjmp_chk" };
static jmp_fn *real[J_COUNT];

/* at start-up (and before it, on a first use from another library's
 * constructor): glibc's functions */
__attribute__((constructor(101))) static void vu_jmp_resolve(void)
{
	for (int i = 0; i < J_COUNT; i++)
		if (!real[i])
			real[i] = (jmp_fn *)dlsym(RTLD_NEXT, names[i]);
}

/* the stack pointer saved in a glibc x86_64 jmp_buf (JB_RSP = 6), mangled
 * with the pointer guard: xor %fs:0x30, then rotate left 17 */
static unsigned long saved_sp(struct __jmp_buf_tag *env)
{
	unsigned long v = (unsigned long)env->__jmpbuf[6], guard;

	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	v = (v >> 17) | (v << 47);
	return v ^ guard;
}

static __attribute__((noreturn)) void jump(int which, struct __jmp_buf_tag *env, int val)
{
	if (!real[which])
		vu_jmp_resolve();
	if (vu_self && vu_self->depth)
		vu_unwind_to(saved_sp(env));
	real[which](env, val);
	__builtin_unreachable();
}

VU_EXPORT void longjmp(struct __jmp_buf_tag *env, int val)
{
	jump(J_LONGJMP, env, val);
}

VU_EXPORT void _longjmp(struct __jmp_buf_tag *env, int val)
{
	jump(J__LONGJMP, env, val);
}

VU_EXPORT void siglongjmp(struct __jmp_buf_tag *env, int val)
{
	jump(J_SIGLONGJMP, env, val);
}

VU_EXPORT void __longjmp_chk(struct __jmp_buf_tag *env, int val)
{
	jump(J_CHK, env, val);
}
