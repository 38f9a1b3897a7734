/*
 * Heartbeat guest entry point (PVH boot).
 *
 * QEMU's x86 loader (used by `-M microvm -kernel`) boots an ELF image that carries a Xen
 * PVH note: XEN_ELFNOTE_PHYS32_ENTRY (type 18, name "Xen") holding the 32-bit physical entry
 * address. The loader (qboot on microvm) enters it in 32-bit protected mode with flat
 * 4 GiB segments, paging off, interrupts off, and %ebx = physical address of the
 * hvm_start_info structure (magic 0x336ec578). See Xen's public/arch-x86/hvm/start_info.h.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                         /* namesz: "Xen\0" */
    .long 4                         /* descsz: one 32-bit address */
    .long XEN_ELFNOTE_PHYS32_ENTRY  /* type */
    .asciz "Xen"
    .balign 4
    .long pvh_entry

    .section .text.entry, "ax"
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    cld
    movl $stack_top, %esp
    /* Own GDT (the loader's may live in memory we do not own): the interrupt gates name 0x08.
     * It also holds a TSS so that the task register is usable: VMX without unrestricted guest
     * treats an unusable TR as invalid guest state and falls back to instruction emulation. */
    movl $tss, %eax
    movw %ax, gdt_tss + 2
    shrl $16, %eax
    movb %al, gdt_tss + 4
    movb %ah, gdt_tss + 7
    lgdt gdt_descriptor
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movw $0x18, %ax
    ltr %ax
    xorl %eax, %eax
    lldt %ax
    xorl %ebp, %ebp
    pushl %ebx                      /* hvm_start_info physical address */
    call guest_main
2:  cli
    hlt
    jmp 2b

    /* Local APIC timer tick: counts and wakes the main loop from hlt. */
    .globl timer_isr
timer_isr:
    lock incl timer_ticks
    movl $0, 0xfee000b0             /* EOI register of the local APIC */
    iret

    /* Any other vector (spurious APIC interrupt, a stray PIC line): ignore it. */
    .globl ignore_isr
ignore_isr:
    iret

    /* Triple fault: load an empty IDT and raise an exception. The CPU cannot deliver it,
     * nor the double fault that follows, so it shuts down; QEMU turns that into a reset
     * request (or a shutdown with -no-reboot). */
    .globl triple_fault
triple_fault:
    cli
    lidt empty_idt
    ud2
3:  hlt
    jmp 3b

    .section .rodata
    .balign 8
empty_idt:
    .word 0
    .long 0

    .section .data
    .balign 8
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9a000000ffff        /* 0x08: code, base 0, limit 4 GiB, 32-bit */
    .quad 0x00cf92000000ffff        /* 0x10: data, base 0, limit 4 GiB */
gdt_tss:                            /* 0x18: 32-bit available TSS, base patched at entry */
    .word 0x67, 0
    .byte 0, 0x89, 0x00, 0
gdt_end:
gdt_descriptor:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .balign 16
tss:
    .skip 104
    .balign 16
stack_bottom:
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
