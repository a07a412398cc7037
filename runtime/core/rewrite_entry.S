/*
 * rewrite_entry.S -- where a rewritten syscall site enters vu (rewrite.c).
 * Not in the gate: it makes no system call itself.
 *
 * A site's trampoline has re-run the displaced instructions, stepped over
 * the program's red zone (rsp -= 128), pushed the site's index and called
 * here. This saves what a syscall instruction preserves (every register but
 * rax, rcx, r11; flags; the x87/SSE/AVX state through xsave), moves to the
 * lower half of the thread's vu signal stack (the program's stack may be
 * small: a coroutine, a signal stack) unless already on vu's stack, and
 * calls vu_rw_call(regs) (below t->rw_top when a program handler runs on
 * its own stack above vu frames that are live). Back in the program: rax the result, rcx the
 * address after the syscall instruction and r11 the flags, as the kernel
 * leaves them.
 */
#define RW_TOP 1183976	/* offsetof(struct vu_thread, rw_top): rewrite.c checks */
#define TLS_SHARED 1183984	/* offsetof(struct vu_thread, tls_shared) */
	.section .note.GNU-stack,"",@progbits
	.section .text.vu_rw_entry,"ax",@progbits	/* (its own section: runtime/text-order.ld places it) */
	.p2align 4
	.globl vu_rw_entry
	.hidden vu_rw_entry
	.type vu_rw_entry, @function
vu_rw_entry:
	pushfq
	cld
	pushq	%rax		/* struct vu_rw_regs, from the bottom: */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%r10
	pushq	%r8
	pushq	%r9
	pushq	%rcx
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	movq	%rsp, %rbx
	movq	vu_self@gottpoff(%rip), %rax
	movq	%fs:(%rax), %rax
	testq	%rax, %rax
	jz	1f
	cmpl	$0, TLS_SHARED(%rax)
	jne	8f				/* a thread without TLS shares this block */
	leaq	4096(%rax), %rbp		/* t->altstack */
	movq	%rsp, %rdi
	subq	%rbp, %rdi
	cmpq	$1048576, %rdi
	jbe	1f				/* already on vu's stack */
	/* never a stack pointer that is not one, even for an instruction: a
	 * signal delivered there (a 10 kHz timer did) has no stack to be
	 * delivered on, and the kernel kills the process with SIGSEGV */
	movq	RW_TOP(%rax), %rdi		/* t->rw_top: below live vu frames */
	testq	%rdi, %rdi
	jnz	7f
	leaq	4096+524288(%rax), %rdi		/* else the middle of vu's signal stack */
7:	movq	%rdi, %rsp
1:	andq	$-64, %rsp
	subq	vu_rw_xsave_size(%rip), %rsp
	andq	$-64, %rsp
	cmpb	$0, vu_rw_xsave(%rip)
	je	2f
	xorl	%eax, %eax
	movq	%rax, 512(%rsp)
	movq	%rax, 520(%rsp)
	movq	%rax, 528(%rsp)
	movq	%rax, 536(%rsp)
	movq	%rax, 544(%rsp)
	movq	%rax, 552(%rsp)
	movq	%rax, 560(%rsp)
	movq	%rax, 568(%rsp)
	movl	$-1, %eax
	movl	$-1, %edx
	xsave64	(%rsp)
	jmp	3f
2:	fxsave64 (%rsp)
3:	movq	%rbx, %rdi
	call	vu_rw_call
	movq	%rax, 80(%rbx)			/* regs->rax */
	cmpb	$0, vu_rw_xsave(%rip)
	je	4f
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor64 (%rsp)
	jmp	5f
4:	fxrstor64 (%rsp)
5:	movq	%rbx, %rsp
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%rcx
	popq	%r9
	popq	%r8
	popq	%r10
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rax
	popfq
	ret
	/* the block (and its stack) is shared with a thread started without
	 * its own TLS: back to the trampoline's own syscall (R2, VU_RW_R2
	 * bytes after the return address), which traps on this thread's own
	 * signal stack */
8:	addq	$13, 96(%rsp)
	jmp	5b			/* %rbx is %rsp: the same restore */
	.size vu_rw_entry, .-vu_rw_entry
