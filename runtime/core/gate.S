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

	.section .text.vu_gate,"ax",@progbits	/* (first in the code: runtime/text-order.ld) */
	.p2align 4
	.globl vu_gate_start
	.hidden vu_gate_start
vu_gate_start:

/* the C call's (nr, a1..a6) into the kernel's registers */
	.macro SYSCALL_ARGS6
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	movq	8(%rsp), %r9
	.endm

/* long vu_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
	.globl vu_syscall6
	.protected vu_syscall6
	.type vu_syscall6, @function
vu_syscall6:
	SYSCALL_ARGS6
	syscall
	.globl vu_ip_own
	.hidden vu_ip_own
vu_ip_own:				/* (seccomp.c: vu's own calls) */
	ret
	.size vu_syscall6, .-vu_syscall6

/* long vu_app_syscall6(...) -- vu_syscall6 for the program's own calls
 * (vu_gate_call): another instruction, which the program's seccomp filters
 * judge in full (seccomp.c) */
	.p2align 4
	.globl vu_app_syscall6
	.hidden vu_app_syscall6
	.type vu_app_syscall6, @function
vu_app_syscall6:
	SYSCALL_ARGS6
	syscall
	ret
	.size vu_app_syscall6, .-vu_app_syscall6

/* vu_restorer -- sa_restorer of every handler vu installs */
	.p2align 4
	.globl vu_restorer
	.hidden vu_restorer
	.type vu_restorer, @function
vu_restorer:
	movq	$15, %rax		/* __NR_rt_sigreturn */
	syscall
	.globl vu_ip_restorer
	.hidden vu_ip_restorer
vu_ip_restorer:
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
	.globl vu_ip_unmap
	.hidden vu_ip_unmap
vu_ip_unmap:
	movq	%rdx, %rdi
	movq	$60, %rax		/* __NR_exit */
	syscall
	.globl vu_ip_exit
	.hidden vu_ip_exit
vu_ip_exit:
	hlt
	.size vu_exit_unmap, .-vu_exit_unmap

/* ---- foreign mode (static.c): a static program owns %fs; %gs points at
 * the thread's struct vu_fx: 0 block, 8 vu_fs, 16 app_fs, 24 clone_ret.
 * Without FSGSBASE the bases move by arch_prctl, from here. ---- */
	.p2align 4
	.globl vu_fs_get
	.hidden vu_fs_get
	.type vu_fs_get, @function
vu_fs_get:				/* -> the fs base (clobbers rcx, r11, rdi, rsi) */
	subq	$8, %rsp
	movq	$158, %rax		/* __NR_arch_prctl */
	movq	$0x1003, %rdi		/* ARCH_GET_FS */
	movq	%rsp, %rsi
	syscall
	movq	(%rsp), %rax
	addq	$8, %rsp
	ret
	.size vu_fs_get, .-vu_fs_get

	.p2align 4
	.globl vu_fs_set
	.hidden vu_fs_set
	.type vu_fs_set, @function
vu_fs_set:				/* (base) (clobbers rax, rcx, r11, rdi, rsi) */
	movq	%rdi, %rsi
	movq	$0x1002, %rdi		/* ARCH_SET_FS */
	movq	$158, %rax
	syscall
	ret
	.size vu_fs_set, .-vu_fs_set

/* vu_foreign_entry -- a handler vu installs, in foreign mode: rax = the C
 * handler, rdi/rsi/rdx its arguments. Runs it with vu's fs, and gives the
 * interrupted code its own back: vu's when vu was interrupted, else the
 * program's as it is now (a trapped ARCH_SET_FS changed it). */
	.p2align 4
vu_foreign_entry:
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rax, %r15
	movq	%rdi, %r12
	movq	%rsi, %r13
	movq	%rdx, %r14
	call	vu_fs_get
	movq	%rax, %rbx
	movq	%gs:8, %rdi
	cmpq	%rdi, %rbx
	je	1f
	call	vu_fs_set
1:	movq	%r12, %rdi
	movq	%r13, %rsi
	movq	%r14, %rdx
	call	*%r15
	movq	%gs:8, %rdi
	cmpq	%rdi, %rbx
	je	2f
	movq	%gs:16, %rdi
	call	vu_fs_set
2:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	ret

	.p2align 4
	.globl vu_foreign_entry_sigsys
	.hidden vu_foreign_entry_sigsys
	.type vu_foreign_entry_sigsys, @function
vu_foreign_entry_sigsys:
	leaq	vu_sigsys(%rip), %rax
	jmp	vu_foreign_entry
	.size vu_foreign_entry_sigsys, .-vu_foreign_entry_sigsys

	.p2align 4
	.globl vu_foreign_entry_sigtramp
	.hidden vu_foreign_entry_sigtramp
	.type vu_foreign_entry_sigtramp, @function
vu_foreign_entry_sigtramp:
	leaq	vu_sig_tramp(%rip), %rax
	jmp	vu_foreign_entry
	.size vu_foreign_entry_sigtramp, .-vu_foreign_entry_sigtramp

/* void vu_call_app(sp, fn, sig, si, uc): the program's handler, with the
 * program's fs, on stack sp (0: this one); vu's fs again after. */
	.p2align 4
	.globl vu_call_app
	.hidden vu_call_app
	.type vu_call_app, @function
vu_call_app:
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	movq	%rdi, %r12
	movq	%rsi, %r13
	movq	%rdx, %r14
	movq	%rcx, %r15
	movq	%r8, %rbx
	movq	%gs:16, %rdi
	call	vu_fs_set
	movq	%r14, %rdi
	movq	%r15, %rsi
	movq	%rbx, %rdx
	testq	%r12, %r12
	jz	1f
	movq	%r12, %rsp
1:	call	*%r13
	leaq	-48(%rbp), %rsp
	movq	%gs:8, %rdi
	call	vu_fs_set
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size vu_call_app, .-vu_call_app

/* vu_static_jump(entry, sp) -- noreturn: enter a static program as the
 * kernel does (fs 0, rsp at argc, rdx 0: no rtld_fini) */
	.p2align 4
	.globl vu_static_jump
	.hidden vu_static_jump
	.type vu_static_jump, @function
vu_static_jump:
	movq	%rdi, %r12
	movq	%rsi, %r13
	xorl	%edi, %edi
	call	vu_fs_set
	movq	%r13, %rsp
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	jmpq	*%r12
	.size vu_static_jump, .-vu_static_jump

/* vu_clone_tramp_foreign -- vu_clone_tramp in foreign mode: the child's
 * stack holds its new struct vu_fx (0: a vfork child, sharing the
 * parent's) and, above it, the return address. */
	.p2align 4
	.globl vu_clone_tramp_foreign
	.hidden vu_clone_tramp_foreign
	.type vu_clone_tramp_foreign, @function
vu_clone_tramp_foreign:
	syscall
	testq	%rax, %rax
	jz	1f
	jmpq	*%gs:24
1:	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	movq	%rsp, %rbx
	andq	$-16, %rsp
	movq	96(%rbx), %r12		/* the new struct vu_fx */
	movq	%rdi, %r13		/* clone flags */
	testq	%r12, %r12
	jz	2f
	movq	$158, %rax
	movq	$0x1001, %rdi		/* ARCH_SET_GS */
	movq	%r12, %rsi
	syscall
	call	vu_fs_get
	movq	%rax, 16(%r12)		/* the child's fs is the program's */
2:	movq	%gs:8, %rdi
	call	vu_fs_set
	movq	%r13, %rdi
	movq	%r12, %rsi
	call	vu_foreign_thread_child
	movq	%gs:16, %rdi
	call	vu_fs_set
	movq	%rbx, %rsp
	popq	%r13
	popq	%r12
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
	addq	$8, %rsp		/* the struct vu_fx slot */
	ret
	.size vu_clone_tramp_foreign, .-vu_clone_tramp_foreign

	.globl vu_gate_end
	.hidden vu_gate_end
vu_gate_end:
