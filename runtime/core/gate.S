/*
 * gate.S -- the only code from which vu issues system calls.
 *
 * Syscall User Dispatch lets system calls made from inside [vu_gate_start,
 * vu_gate_end) through whatever the selector says; everything else traps with
 * SIGSYS when the selector is BLOCK. So this region holds: the raw syscall
 * gate, vu's signal restorer (rt_sigreturn must not trap), the clone
 * trampoline (a thread must not be born inside the SIGSYS frame) and the
 * exit path that unmaps a thread's vu block.
 */
	.section .note.GNU-stack,"",@progbits

/* void vu_call_on_stack(unsigned long sp, void *fn, long sig, void *si, void *uc)
 * -- call fn(sig, si, uc) on another stack (a program's signal handler on the
 * program's sigaltstack). Not in the gate: it makes no system call. */
	.text
	.p2align 4
	.globl vu_call_on_stack
	.hidden vu_call_on_stack
	.type vu_call_on_stack, @function
vu_call_on_stack:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq	%rsi, %rax
	movq	%rdi, %rsp
	movq	%rdx, %rdi
	movq	%rcx, %rsi
	movq	%r8, %rdx
	call	*%rax
	movq	%rbp, %rsp
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size vu_call_on_stack, .-vu_call_on_stack

	.section vu_gate,"ax",@progbits
	.p2align 4
	.globl vu_gate_start
	.hidden vu_gate_start
vu_gate_start:

/* long vu_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
	.globl vu_syscall6
	.protected vu_syscall6
	.type vu_syscall6, @function
vu_syscall6:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	movq	8(%rsp), %r9
	syscall
	ret
	.size vu_syscall6, .-vu_syscall6

/* vu_restorer -- sa_restorer of every handler vu installs */
	.p2align 4
	.globl vu_restorer
	.hidden vu_restorer
	.type vu_restorer, @function
vu_restorer:
	movq	$15, %rax		/* __NR_rt_sigreturn */
	syscall
	hlt
	.size vu_restorer, .-vu_restorer

/*
 * vu_clone_tramp -- the SIGSYS handler returns here (through sigreturn) for
 * a clone that gets a new stack. All registers are the program's, rax holds
 * the syscall number. The handler has stored the return address at the top
 * of the child's stack (rsi lowered by 8) and in the parent's vu_clone_ret.
 */
	.p2align 4
	.globl vu_clone_tramp
	.hidden vu_clone_tramp
	.type vu_clone_tramp, @function
vu_clone_tramp:
	syscall
	testq	%rax, %rax
	jz	1f
	movq	vu_clone_ret@gottpoff(%rip), %rcx
	jmpq	*%fs:(%rcx)
1:	/* child: arm SUD, keep every register, return to the program */
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	vu_thread_child		/* flags are still in rdi */
	movq	%rbx, %rsp
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	ret
	.size vu_clone_tramp, .-vu_clone_tramp

/* void vu_exit_unmap(void *addr, size_t len, int status) -- noreturn:
 * unmap the thread's vu block (maybe the stack we run on) and exit. */
	.p2align 4
	.globl vu_exit_unmap
	.hidden vu_exit_unmap
	.type vu_exit_unmap, @function
vu_exit_unmap:
	movq	$11, %rax		/* __NR_munmap */
	syscall
	movq	%rdx, %rdi
	movq	$60, %rax		/* __NR_exit */
	syscall
	hlt
	.size vu_exit_unmap, .-vu_exit_unmap

	.globl vu_gate_end
	.hidden vu_gate_end
vu_gate_end:
