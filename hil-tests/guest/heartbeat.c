/*
 * Heartbeat guest: a freestanding x86 test guest for the Stratos Island host agent.
 *
 * Primer (the full protocol is in README.md):
 * - It boots through PVH (start.S), reads optional settings from the kernel command line,
 *   calibrates the TSC against the PIT, prints its first period on COM1 at once (`HB <seq>`
 *   followed by one `CP <id> <seq>` per configured checkpoint), then `READY ...`, and then one
 *   period every period.
 * - It polls COM1 for command lines (`rate`, `cps`, `stop`, `start`, `slow`, `skip`, `reorder`,
 *   `hang`, `crash`, `exit`) and answers each with `ACK <line>` or `ERR <reason>`.
 * - States: RUNNING (emitting) <-> STOPPED (`stop`/`start`); HUNG (`hang`, terminal); the
 *   `crash` and `exit` commands leave the guest (triple fault / isa-debug-exit).
 * Time is the TSC (calibrated against the PIT at boot); the serial port is polled every
 * 1/POLLS_PER_MS ms (each port read is a VM exit into QEMU, so polling flat out would cost the
 * host far more). Idle modes (kernel command line hb.idle=):
 *   poll (default)  spin on the TSC with `pause` between polls, interrupts always off;
 *   hlt             sleep in `hlt` until the next 1 kHz local APIC timer tick: an idle guest then
 *                   costs the host almost nothing. Needs a hypervisor that delivers interrupts to
 *                   a 32-bit guest with paging off: TCG does (hardware KVM should); the PVM
 *                   flavour of KVM on some cloud VMs fails to emulate its `iret` (see README.md).
 * READY reports the mode in effect (idle=poll when hlt was asked for but no tick arrived).
 */
#include <stdint.h>
#include <stddef.h>

/* ---- port I/O ---------------------------------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t value) { __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

extern void triple_fault(void) __attribute__((noreturn));
extern void timer_isr(void);
volatile uint32_t timer_ticks;

/* ---- COM1: polled 16550 ------------------------------------------------------------------ */

#define COM1_BASE 0x3f8
#define UART_DATA (COM1_BASE + 0)
#define UART_IER (COM1_BASE + 1)
#define UART_FCR (COM1_BASE + 2)
#define UART_LCR (COM1_BASE + 3)
#define UART_MCR (COM1_BASE + 4)
#define UART_LSR (COM1_BASE + 5)
#define UART_LSR_DATA_READY 0x01
#define UART_LSR_THR_EMPTY 0x20

static void uart_init(void)
{
    outb(UART_IER, 0x00);            /* no interrupts: everything is polled */
    outb(UART_LCR, 0x80);            /* DLAB on: divisor 1 = 115200 baud (ignored by QEMU) */
    outb(UART_DATA, 0x01);
    outb(UART_IER, 0x00);
    outb(UART_LCR, 0x03);            /* 8N1, DLAB off */
    outb(UART_FCR, 0x07);            /* FIFOs on and cleared */
    outb(UART_MCR, 0x03);            /* DTR, RTS */
}

static void uart_putc(char c)
{
    while ((inb(UART_LSR) & UART_LSR_THR_EMPTY) == 0) { }
    outb(UART_DATA, (uint8_t)c);
}

static int uart_getc(void)
{
    if ((inb(UART_LSR) & UART_LSR_DATA_READY) == 0) return -1;
    return inb(UART_DATA);
}

/* ---- small text helpers (no libc) --------------------------------------------------------- */

#define LINE_MAX_CHARS 120

struct line { char text[LINE_MAX_CHARS + 2]; size_t len; };

static void line_reset(struct line *l) { l->len = 0; }
static void line_str(struct line *l, const char *s) { while (*s && l->len < LINE_MAX_CHARS) l->text[l->len++] = *s++; }
static void line_u32(struct line *l, uint32_t v)
{
    char digits[10]; int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v != 0);
    while (n > 0 && l->len < LINE_MAX_CHARS) l->text[l->len++] = digits[--n];
}
static void line_send(struct line *l)
{
    for (size_t i = 0; i < l->len; i++) uart_putc(l->text[i]);
    uart_putc('\n');
}
static void send_text(const char *a, const char *b)
{
    struct line l; line_reset(&l); line_str(&l, a); if (b) line_str(&l, b); line_send(&l);
}

static int str_eq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }

/* Parses a decimal u32 from s[0..len); returns 0 on an empty string, a non-digit or overflow. */
static int parse_u32(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 10) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > 0xffffffffu) return 0;
    *out = (uint32_t)v;
    return 1;
}


/* 64-by-32 division by shift and subtract: a 32-bit freestanding build has no libgcc __udivdi3. */
static uint64_t udiv64(uint64_t n, uint32_t d)
{
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) { r -= d; q |= (uint64_t)1 << i; }
    }
    return q;
}

/* ---- time base: TSC calibrated against PIT channel 0 --------------------------------------- */

#define PIT_CH0_DATA 0x40
#define PIT_COMMAND 0x43
#define PIT_HZ 1193182u
#define CALIBRATION_PIT_TICKS 23864u     /* 20 ms */
#define CALIBRATION_MAX_STUCK_READS 5000000u
#define FALLBACK_TSC_PER_MS 1000000u     /* 1 GHz, only when no PIT answers */

static uint32_t tsc_per_ms = FALLBACK_TSC_PER_MS;
static int tsc_calibrated;

static uint16_t pit_read(void)
{
    outb(PIT_COMMAND, 0x00);             /* latch channel 0 */
    uint8_t lo = inb(PIT_CH0_DATA);
    uint8_t hi = inb(PIT_CH0_DATA);
    return (uint16_t)(lo | (hi << 8));
}

static void calibrate_tsc(void)
{
    outb(PIT_COMMAND, 0x34);             /* channel 0, lo/hi byte, mode 2, binary */
    outb(PIT_CH0_DATA, 0xff);
    outb(PIT_CH0_DATA, 0xff);
    uint16_t previous = pit_read();
    uint64_t tsc_start = rdtsc();
    uint32_t elapsed = 0, stuck = 0;
    while (elapsed < CALIBRATION_PIT_TICKS) {
        uint16_t now = pit_read();
        uint16_t delta = (uint16_t)(previous - now);   /* the counter counts down and wraps */
        if (delta == 0) {
            if (++stuck > CALIBRATION_MAX_STUCK_READS) return;   /* no PIT: keep the fallback */
            continue;
        }
        stuck = 0;
        elapsed += delta;
        previous = now;
    }
    uint64_t tsc_delta = rdtsc() - tsc_start;
    /* ticks per ms = tsc_delta * PIT_HZ / (elapsed * 1000) */
    uint64_t per_ms = udiv64(udiv64(tsc_delta * 1000u, elapsed) * PIT_HZ, 1000000u);
    if (per_ms == 0 || per_ms > 0xffffffffu) return;
    tsc_per_ms = (uint32_t)per_ms;
    tsc_calibrated = 1;
}

/* ---- idle: local APIC timer tick at 1 kHz, hlt between polls -------------------------------- */

/* On microvm the 8259 does not reach the CPU (probed), so the tick comes from the local APIC
 * timer, which QEMU/KVM emulate for every x86 machine. Paging is off: its MMIO is at 0xfee00000. */
#define LAPIC_BASE 0xfee00000u
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_TIMER_DIVIDE_BY_16 0x3
#define LAPIC_TIMER_PERIODIC (1u << 17)
#define LAPIC_MASKED (1u << 16)
#define TIMER_VECTOR 0x30
#define SPURIOUS_VECTOR 0xff
#define IDT_ENTRIES 256
#define KERNEL_CODE_SELECTOR 0x08
#define TICK_CALIBRATION_MS 10u
#define TICK_PROBE_MS 500u    /* returns after 2 ticks; the bound only matters on a starved host */
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_DATA 0xa1

extern void ignore_isr(void);

struct idt_gate { uint16_t offset_low, selector; uint8_t zero, type_attr; uint16_t offset_high; } __attribute__((packed));
struct idt_pointer { uint16_t limit; uint32_t base; } __attribute__((packed));

static struct idt_gate idt[IDT_ENTRIES];
static int idle_with_hlt;
static uint32_t lapic_ticks_per_ms;

static inline void lapic_write(uint32_t reg, uint32_t value) { *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = value; }
static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg); }

static void set_gate(int vector, void (*handler)(void))
{
    uint32_t address = (uint32_t)(uintptr_t)handler;
    idt[vector].offset_low = (uint16_t)address;
    idt[vector].selector = KERNEL_CODE_SELECTOR;
    idt[vector].zero = 0;
    idt[vector].type_attr = 0x8e;       /* present, ring 0, 32-bit interrupt gate */
    idt[vector].offset_high = (uint16_t)(address >> 16);
}

static void start_tick(void)
{
    idle_with_hlt = 0;
    /* Exceptions (vectors 0..31) have no gate: any fault ends in a triple fault, i.e. a crash. */
    for (int v = 32; v < IDT_ENTRIES; v++) set_gate(v, ignore_isr);
    set_gate(TIMER_VECTOR, timer_isr);
    struct idt_pointer pointer = { sizeof idt - 1, (uint32_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(pointer));
    outb(PIC_MASTER_DATA, 0xff);        /* mask the 8259s: nothing should come from them */
    outb(PIC_SLAVE_DATA, 0xff);

    lapic_write(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);   /* software-enable the local APIC */
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_MASKED | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);     /* one-shot countdown for calibration */
    uint64_t until = rdtsc() + (uint64_t)TICK_CALIBRATION_MS * tsc_per_ms;
    while ((int64_t)(rdtsc() - until) < 0) __asm__ volatile("pause");
    uint32_t counted = 0xffffffffu - lapic_read(LAPIC_TIMER_CURRENT);
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    lapic_ticks_per_ms = counted / TICK_CALIBRATION_MS;
    if (lapic_ticks_per_ms == 0) return;               /* timer does not count: poll */

    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, lapic_ticks_per_ms);

    /* Probe: do ticks arrive? Wait up to TICK_PROBE_MS of TSC time with interrupts on. */
    uint32_t before = timer_ticks;
    until = rdtsc() + (uint64_t)TICK_PROBE_MS * tsc_per_ms;
    __asm__ volatile("sti");
    while (timer_ticks - before < 2 && (int64_t)(rdtsc() - until) < 0) __asm__ volatile("pause");
    __asm__ volatile("cli");
    idle_with_hlt = timer_ticks - before >= 2;
    if (!idle_with_hlt) lapic_write(LAPIC_LVT_TIMER, LAPIC_MASKED | TIMER_VECTOR);
}

#define POLLS_PER_MS 2u

/* Sleeps until the next tick (at most 1 ms), or spins 1/POLLS_PER_MS ms in polling mode. */
static void idle(void)
{
    if (idle_with_hlt) { __asm__ volatile("sti; hlt; cli"); return; }   /* sti's shadow covers hlt */
    uint64_t until = rdtsc() + tsc_per_ms / POLLS_PER_MS;
    while ((int64_t)(rdtsc() - until) < 0) __asm__ volatile("pause");
}

/* ---- configuration and state --------------------------------------------------------------- */

#define MAX_CHECKPOINTS 16
#define RATE_MIN_MS 1u
#define RATE_MAX_MS 60000u
#define SLOW_MAX_FACTOR 100u
#define DEBUG_EXIT_PORT 0xf4
#define PVPANIC_PORT 0x505          /* QEMU -device pvpanic (ISA); reads 0xff when absent */
#define PVPANIC_PANICKED 0x01

static uint32_t rate_ms = 100;
static uint32_t slow_factor = 1;
static uint32_t checkpoints[MAX_CHECKPOINTS];
static uint32_t checkpoint_count;
static int emitting = 1;
static int want_hlt_idle;
static uint32_t heartbeat_seq;
static uint32_t checkpoint_seq;
static int skip_pending;
static uint32_t skip_id;
static int reorder_pending;
static uint64_t next_period_tsc;

static uint64_t period_ticks(void) { return (uint64_t)rate_ms * slow_factor * tsc_per_ms; }

/* Parses "a,b,c" (or "-" for none) into the checkpoint list; returns 0 on a bad list. */
static int parse_checkpoints(const char *s, size_t len)
{
    uint32_t ids[MAX_CHECKPOINTS]; uint32_t count = 0;
    if (len == 1 && s[0] == '-') { checkpoint_count = 0; return 1; }
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == ',') {
            if (count == MAX_CHECKPOINTS) return 0;
            if (!parse_u32(s + start, i - start, &ids[count])) return 0;
            count++;
            start = i + 1;
        }
    }
    for (uint32_t i = 0; i < count; i++) checkpoints[i] = ids[i];
    checkpoint_count = count;
    return 1;
}

static void line_checkpoints(struct line *l)
{
    if (checkpoint_count == 0) { line_str(l, "-"); return; }
    for (uint32_t i = 0; i < checkpoint_count; i++) { if (i) line_str(l, ","); line_u32(l, checkpoints[i]); }
}

/* Kernel command line (PVH start info, Xen public/arch-x86/hvm/start_info.h). Tokens:
 * hb.rate=<ms> hb.cps=<ids> hb.stopped hb.idle=hlt; others are ignored, bad values keep defaults. */
#define HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

/* True when token[0..len) starts with prefix; rest and rest_len then describe what follows. */
static int token_prefix(const char *token, size_t len, const char *prefix, const char **rest, size_t *rest_len)
{
    size_t n = 0;
    while (prefix[n]) { if (n >= len || token[n] != prefix[n]) return 0; n++; }
    *rest = token + n; *rest_len = len - n;
    return 1;
}

static int token_is(const char *token, size_t len, const char *word)
{
    const char *rest; size_t rest_len;
    return token_prefix(token, len, word, &rest, &rest_len) && rest_len == 0;
}

static void read_cmdline(const struct hvm_start_info *info)
{
    if (info == NULL || info->magic != HVM_START_MAGIC || info->cmdline_paddr == 0 || (info->cmdline_paddr >> 32) != 0) return;
    const char *p = (const char *)(uintptr_t)info->cmdline_paddr;
    while (*p) {
        while (*p == ' ') p++;
        const char *token = p;
        while (*p && *p != ' ') p++;
        size_t len = (size_t)(p - token);
        const char *value; size_t value_len; uint32_t v;
        if (token_prefix(token, len, "hb.rate=", &value, &value_len)) {
            if (parse_u32(value, value_len, &v) && v >= RATE_MIN_MS && v <= RATE_MAX_MS) rate_ms = v;
        } else if (token_prefix(token, len, "hb.cps=", &value, &value_len)) {
            parse_checkpoints(value, value_len);
        } else if (token_is(token, len, "hb.idle=hlt")) {
            want_hlt_idle = 1;
        } else if (token_is(token, len, "hb.stopped")) {
            emitting = 0;
        }
    }
}

/* ---- one period: HB then the checkpoints ---------------------------------------------------- */

static void emit_period(void)
{
    struct line l;
    heartbeat_seq++;
    line_reset(&l); line_str(&l, "HB "); line_u32(&l, heartbeat_seq); line_send(&l);

    uint32_t ids[MAX_CHECKPOINTS]; uint32_t n = 0;
    for (uint32_t i = 0; i < checkpoint_count; i++) {
        if (skip_pending && checkpoints[i] == skip_id) { skip_pending = 0; continue; }
        ids[n++] = checkpoints[i];
    }
    if (reorder_pending && n >= 2) {
        uint32_t t = ids[0]; ids[0] = ids[1]; ids[1] = t;
        reorder_pending = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        checkpoint_seq++;
        line_reset(&l); line_str(&l, "CP "); line_u32(&l, ids[i]); line_str(&l, " "); line_u32(&l, checkpoint_seq); line_send(&l);
    }
}

/* ---- commands -------------------------------------------------------------------------------- */

static void __attribute__((noreturn)) hang_forever(void)
{
    for (;;) __asm__ volatile("cli; hlt");
}

static void execute(char *text, size_t len)
{
    /* Split "verb arg": exactly one space between them, no trailing spaces (strict protocol). */
    size_t verb_len = 0;
    while (verb_len < len && text[verb_len] != ' ') verb_len++;
    char verb[12];
    if (verb_len >= sizeof verb) { send_text("ERR unknown command: ", text); return; }
    for (size_t i = 0; i < verb_len; i++) verb[i] = text[i];
    verb[verb_len] = 0;
    const char *arg = verb_len < len ? text + verb_len + 1 : text + len;
    size_t arg_len = verb_len < len ? len - verb_len - 1 : 0;
    int takes_arg = str_eq(verb, "rate") || str_eq(verb, "cps") || str_eq(verb, "slow") || str_eq(verb, "skip") || str_eq(verb, "exit");
    uint32_t v = 0;

    if (!takes_arg && arg_len != 0) { send_text("ERR unexpected argument: ", text); return; }
    if (takes_arg && arg_len == 0) { send_text("ERR missing argument: ", text); return; }

    if (str_eq(verb, "rate")) {
        if (!parse_u32(arg, arg_len, &v) || v < RATE_MIN_MS || v > RATE_MAX_MS) { send_text("ERR rate must be 1..60000 ms: ", text); return; }
        rate_ms = v;
        next_period_tsc = rdtsc() + period_ticks();
    } else if (str_eq(verb, "cps")) {
        if (!parse_checkpoints(arg, arg_len)) { send_text("ERR cps wants up to 16 decimal ids separated by commas, or -: ", text); return; }
    } else if (str_eq(verb, "slow")) {
        if (!parse_u32(arg, arg_len, &v) || v < 1 || v > SLOW_MAX_FACTOR) { send_text("ERR slow factor must be 1..100: ", text); return; }
        slow_factor = v;
        next_period_tsc = rdtsc() + period_ticks();
    } else if (str_eq(verb, "skip")) {
        if (!parse_u32(arg, arg_len, &v)) { send_text("ERR skip wants a decimal checkpoint id: ", text); return; }
        skip_pending = 1; skip_id = v;
    } else if (str_eq(verb, "exit")) {
        if (!parse_u32(arg, arg_len, &v) || v > 127) { send_text("ERR exit code must be 0..127: ", text); return; }
    } else if (str_eq(verb, "reorder")) {
        reorder_pending = 1;
    } else if (str_eq(verb, "stop")) {
        emitting = 0;
    } else if (str_eq(verb, "start")) {
        if (!emitting) next_period_tsc = rdtsc() + period_ticks();
        emitting = 1;
    } else if (!str_eq(verb, "hang") && !str_eq(verb, "crash")) {
        send_text("ERR unknown command: ", text); return;
    }

    send_text("ACK ", text);

    if (str_eq(verb, "hang")) hang_forever();
    if (str_eq(verb, "crash")) {
        send_text("PANIC crash command", NULL);
        /* Tell QEMU through pvpanic when it is there (GUEST_PANICKED event), then triple fault. */
        uint8_t capabilities = inb(PVPANIC_PORT);
        if (capabilities != 0xff && (capabilities & PVPANIC_PANICKED)) outb(PVPANIC_PORT, PVPANIC_PANICKED);
        triple_fault();
    }
    if (str_eq(verb, "exit")) {
        /* isa-debug-exit: QEMU exits with status (value << 1) | 1. Still here: no such device. */
        outl(DEBUG_EXIT_PORT, v);
        send_text("ERR exit needs -device isa-debug-exit,iobase=0xf4,iosize=4", NULL);
    }
}

/* ---- main loop ------------------------------------------------------------------------------- */

void guest_main(const struct hvm_start_info *info)
{
    uart_init();
    read_cmdline(info);
    calibrate_tsc();
    if (want_hlt_idle) start_tick();

    /* The first period (HB, then its checkpoints) comes before READY: the guest's first serial
     * bytes are its first alive indication, so nothing on the way to the island waits for the
     * READY line's ~80 characters (each one a VM exit). */
    next_period_tsc = rdtsc();
    if (emitting) emit_period();
    next_period_tsc += period_ticks();

    struct line l; line_reset(&l);
    line_str(&l, "READY rate="); line_u32(&l, rate_ms);
    line_str(&l, " cps="); line_checkpoints(&l);
    line_str(&l, " emitting="); line_u32(&l, (uint32_t)emitting);
    line_str(&l, " tsc_khz="); line_u32(&l, tsc_per_ms);
    line_str(&l, tsc_calibrated ? " clock=pit" : " clock=fallback");
    line_str(&l, idle_with_hlt ? " idle=hlt" : " idle=poll");
    line_send(&l);

    char input[LINE_MAX_CHARS + 1]; size_t input_len = 0; int overflow = 0;
    for (;;) {
        int c;
        while ((c = uart_getc()) >= 0) {
            if (c == '\n' || c == '\r') {
                if (overflow) send_text("ERR line too long", NULL);
                else if (input_len > 0) { input[input_len] = 0; execute(input, input_len); }
                input_len = 0; overflow = 0;
            } else {
                if (input_len < LINE_MAX_CHARS) input[input_len++] = (char)c; else overflow = 1;
            }
        }
        uint64_t now = rdtsc();
        if ((int64_t)(now - next_period_tsc) >= 0) {
            if (emitting) emit_period();
            next_period_tsc += period_ticks();
            /* Fell behind by more than a period (host stalled us, e.g. while paused): resync. */
            if ((int64_t)(now - next_period_tsc) >= 0) next_period_tsc = now + period_ticks();
        }
        idle();
    }
}
