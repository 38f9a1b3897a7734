// The native methods the nanoCLR-on-Zephyr port provides to this app (README.md "HAL contract").
// nanoFramework binds an `extern` method marked [MethodImpl(MethodImplOptions.InternalCall)] to the C
// function registered for it in the port's native assembly table (by class, method and signature);
// each class below is one such native class. Every method returns a status instead of throwing:
// 0 = success, a negative Zephyr errno otherwise (-EINVAL, -EIO, -ETIMEDOUT, ...), except where a
// method returns data. No method blocks longer than its README entry says.
using System.Runtime.CompilerServices;

namespace Stratos.Island.Firmware.Nano.Native
{
    /// <summary>Monotonic time from the Zephyr kernel (k_uptime_ticks, k_cyc_to_us).</summary>
    public static class NativeClock
    {
        /// <summary>Microseconds since boot, never decreasing (k_ticks_to_us_floor64(k_uptime_ticks())).</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern long MonotonicUs();
    }

    /// <summary>The island's flash partitions (Zephyr flash_area / flash driver).</summary>
    public static class NativeFlash
    {
        /// <summary>Partition id of the event log (board.yaml island.event_log).</summary>
        public const int EventLogPartition = 0;

        /// <summary>Partition id of the configuration record (board.yaml island.config_partition).</summary>
        public const int ConfigPartition = 1;

        /// <summary>Erase page size of the partition in bytes, or a negative errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int PageSize(int partition);

        /// <summary>Size of the partition in bytes, or a negative errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int PartitionSize(int partition);

        /// <summary>flash_area_read: count bytes at offset into buffer[bufferOffset..].</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Read(int partition, int offset, byte[] buffer, int bufferOffset, int count);

        /// <summary>flash_area_erase of one page (blocks for the page erase time).</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int ErasePage(int partition, int pageIndex);

        /// <summary>flash_area_write; offset and count must be multiples of the write block size.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Write(int partition, int offset, byte[] data, int dataOffset, int count);

        /// <summary>Write block size (program granularity) in bytes: 1, 4, 8, 16 or 32.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int WriteBlockSize(int partition);
    }

    /// <summary>The shared-memory carve-out (board.yaml link.shm_base / shm_size), little-endian.</summary>
    public static class NativeShm
    {
        /// <summary>Size of the mapped carve-out in bytes (0 when the board has none).</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Size();

        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern byte Read8(int offset);

        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern ushort Read16(int offset);

        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern uint Read32(int offset);

        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void Write8(int offset, byte value);

        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void Write16(int offset, ushort value);

        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void Write32(int offset, uint value);

        /// <summary>memcpy from the carve-out into destination[destinationOffset..].</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void ReadBlock(int offset, byte[] destination, int destinationOffset, int count);

        /// <summary>memcpy from source[sourceOffset..] into the carve-out.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void WriteBlock(int offset, byte[] source, int sourceOffset, int count);

        /// <summary>memset 0 of count bytes of the carve-out.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void Zero(int offset, int count);

        /// <summary>barrier_dmem_fence_full() (DMB ISH on Arm); also what acquire/release use.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void MemoryBarrier();
    }

    /// <summary>The inter-processor doorbell (Zephyr mbox or IPM).</summary>
    public static class NativeDoorbell
    {
        /// <summary>Registers the receive callback: every inbound kick sets the managed event named by
        /// <see cref="DoorbellEventId"/> (posted from the ISR through the CLR's event queue). 0 or -errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Open();

        /// <summary>mbox_send / ipm_send with no data; never blocks (wait = 0). 0, -EBUSY or -errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Send();

        /// <summary>Blocks the calling managed thread until a kick arrived since the last call or
        /// timeoutMs elapsed. Returns 1 for a kick, 0 for a timeout, -errno on error.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Wait(int timeoutMs);
    }

    /// <summary>The hardware watchdog (Zephyr task_wdt channel on the board's hardware watchdog).</summary>
    public static class NativeWatchdog
    {
        /// <summary>task_wdt_add(timeoutMs, NULL, NULL): no callback = system reset on expiry.
        /// timeoutMs must be at least 100 (task_wdt's minimum). Returns the channel id or -errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Start(int timeoutMs);

        /// <summary>task_wdt_feed(channel). 0 or -EINVAL.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int Feed(int channel);
    }

    /// <summary>Power domains (SCMI power domain protocol or the vendor's power controller).</summary>
    public static class NativePower
    {
        /// <summary>SCMI POWER_STATE_SET (0x4), synchronous. 0 or -errno (the SCMI status mapped).</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int StateSet(int scmiDomainId, uint scmiState);

        /// <summary>SCMI POWER_STATE_GET (0x5): the state in the low 32 bits, or a negative errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern long StateGet(int scmiDomainId);

        /// <summary>Pulses the A-cluster's reset (board.yaml island.a_cluster_reset). 0 or -errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int ResetACluster();
    }

    /// <summary>Board signals: the safe-state output and the island's reset cause.</summary>
    public static class NativeBoard
    {
        /// <summary>gpio_pin_set_dt on board.yaml island.safe_state_gpio (1 = asserted). 0 or -errno.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int SetSafeState(int asserted);

        /// <summary>hwinfo_get_reset_cause mapped to ResetReason numbers (1 power-on, 2 watchdog,
        /// 3 software, 4 external pin, 5 brown-out, 0 unknown); clears the cause afterwards.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int ResetCause();

        /// <summary>A 64-bit random number from the entropy driver (sys_csrand_get), never 0.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern long Random64();

        /// <summary>sys_reboot(SYS_REBOOT_COLD): used when the configuration cannot be loaded.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern void Reboot();
    }

    /// <summary>The crypto accelerator (PSA Crypto psa_verify_hash with the provisioned key).</summary>
    public static class NativeCrypto
    {
        /// <summary>ECDSA P-256 over a 32-byte SHA-256 digest, signature r||s (64 bytes, big-endian),
        /// against the public key provisioned at manufacturing. 1 = valid, 0 = invalid, -errno on error.</summary>
        [MethodImpl(MethodImplOptions.InternalCall)]
        public static extern int VerifyP256(byte[] digest, byte[] signature, int signatureOffset, int signatureLength);
    }
}
