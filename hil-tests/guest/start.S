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
    xorl %ebp, %ebp
    pushl %ebx                      /* hvm_start_info physical address */
    call guest_main
1:  cli
    hlt
    jmp 1b

    /* Triple fault: load an empty IDT and raise an exception. The CPU cannot deliver it,
     * nor the double fault that follows, so it shuts down; QEMU turns that into a reset
     * request (or a shutdown with -no-reboot). */
    .globl triple_fault
triple_fault:
    cli
    lidt empty_idt
    ud2
2:  hlt
    jmp 2b

    .section .rodata
    .balign 8
empty_idt:
    .word 0
    .long 0

    .section .bss
    .balign 16
stack_bottom:
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
