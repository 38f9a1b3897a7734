using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;

namespace Stratos.Island.Agent.Vmm;

/// <summary>
/// Why a Linux guest under TCG is told its TSC rate (docs/guests.md "Time under TCG").
/// <para>
/// Under TCG the guest's TSC counts at the host's TSC rate (QEMU hands out the host's cycle
/// counter). A Linux kernel on microvm, which has neither HPET nor the ACPI PM timer, calibrates
/// its TSC against the PIT only; on a loaded host TCG runs that short calibration loop too slowly,
/// the calibration fails ("Unable to calibrate against PIT", "could not calculate TSC khz") and the
/// kernel stops in early boot. Seen here with a load average of 12 on 2 cores: the same kernel then
/// hung in 4 boots of 4; with <c>tsc_early_khz</c> it booted every time. The kernel parameter skips
/// the calibration, so the backend appends it for a Linux kernel run on microvm under TCG, unless
/// the command line already sets it. A Linux kernel is a bzImage (the boot protocol's "HdrS" magic)
/// or an uncompressed ELF vmlinux that names itself Linux in its Xen guest-OS note (the note a
/// kernel with CONFIG_PVH carries beside its PVH entry point, which microvm boots it at).
/// </para>
/// </summary>
public static class TcgLinuxClock
{
    /// <summary>Offset of the Linux x86 boot protocol's header magic "HdrS" in a bzImage.</summary>
    private const int BootHeaderMagicOffset = 0x202;
    private static readonly byte[] BootHeaderMagic = "HdrS"u8.ToArray();
    /// <summary>ELF64 little-endian header: magic, class 2 (64-bit), data 1 (little-endian).</summary>
    private static readonly byte[] Elf64LittleMagic = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1];
    private const int ElfHeaderBytes = 64;
    private const int ProgramHeaderNote = 4;          // PT_NOTE
    private const uint XenNoteGuestOs = 6;            // XEN_ELFNOTE_GUEST_OS, "linux" for Linux
    /// <summary>Bound on the note bytes read (a kernel's notes are a few hundred bytes).</summary>
    private const int MaxNoteBytes = 64 * 1024;
    private static readonly Lazy<uint?> HostKhz = new(ReadHostTscKhz);

    /// <summary>The host's TSC rate in kHz, or null when it cannot be read.</summary>
    public static uint? HostTscKhz => HostKhz.Value;

    /// <summary>True when the file is a Linux x86 kernel image: a bzImage, or an ELF vmlinux with Xen's guest-OS note "linux".</summary>
    public static bool IsLinuxKernel(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> start = stackalloc byte[ElfHeaderBytes];
            if (file.Length < ElfHeaderBytes)
                return false;
            file.ReadExactly(start);
            if (start[..Elf64LittleMagic.Length].SequenceEqual(Elf64LittleMagic))
                return HasLinuxGuestNote(file, start);
            if (file.Length < BootHeaderMagicOffset + BootHeaderMagic.Length)
                return false;
            Span<byte> magic = stackalloc byte[4];
            file.Position = BootHeaderMagicOffset;
            file.ReadExactly(magic);
            return magic.SequenceEqual(BootHeaderMagic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Walks the PT_NOTE segments of an ELF64 file for a note named "Xen" of type GUEST_OS whose
    /// text is "linux". Notes: namesz, descsz, type (4 bytes each), then the name and the
    /// description, each padded to 4 bytes.
    /// </summary>
    private static bool HasLinuxGuestNote(FileStream file, ReadOnlySpan<byte> header)
    {
        long programHeaders = BinaryPrimitives.ReadInt64LittleEndian(header[0x20..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[0x36..]);
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(header[0x38..]);
        Span<byte> entry = stackalloc byte[0x38];
        for (int i = 0; i < entries && entrySize >= entry.Length; i++)
        {
            file.Position = programHeaders + (long)i * entrySize;
            file.ReadExactly(entry);
            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) != ProgramHeaderNote)
                continue;
            long offset = BinaryPrimitives.ReadInt64LittleEndian(entry[0x08..]);
            long size = BinaryPrimitives.ReadInt64LittleEndian(entry[0x20..]);
            if (size <= 0 || size > MaxNoteBytes || offset < 0 || offset + size > file.Length)
                continue;
            byte[] notes = new byte[size];
            file.Position = offset;
            file.ReadExactly(notes);
            for (int at = 0; at + 12 <= notes.Length;)
            {
                int nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at));
                int descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 4));
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 8));
                if (nameSize < 0 || nameSize > notes.Length || descSize < 0 || descSize > notes.Length)
                    break;
                int name = at + 12;
                int desc = name + Align4(nameSize);
                if (desc + descSize > notes.Length)
                    break;
                if (type == XenNoteGuestOs && notes.AsSpan(name, nameSize).SequenceEqual("Xen\0"u8)
                    && notes.AsSpan(desc, descSize).TrimEnd((byte)0).SequenceEqual("linux"u8))
                    return true;
                at = desc + Align4(descSize);
            }
        }
        return false;
    }

    private static int Align4(int size) => (size + 3) & ~3;

    /// <summary>The command line to use: <paramref name="cmdline"/>, plus tsc_early_khz when the rules above ask for it.</summary>
    public static string? Apply(string? cmdline, bool underTcg, string machine, string kernel)
    {
        if (!underTcg || machine != "microvm" || HostTscKhz is not uint khz
            || (cmdline?.Contains("tsc_early_khz=", StringComparison.Ordinal) ?? false) || !IsLinuxKernel(kernel))
            return cmdline;
        string token = "tsc_early_khz=" + khz.ToString(CultureInfo.InvariantCulture);
        return string.IsNullOrEmpty(cmdline) ? token : cmdline + " " + token;
    }

    /// <summary>
    /// intel_pstate's base frequency (the TSC rate of an Intel CPU with an invariant TSC) when the
    /// host has it, else /proc/cpuinfo's "cpu MHz" of the first CPU (what a virtual machine's kernel
    /// reports as its TSC rate).
    /// </summary>
    private static uint? ReadHostTscKhz()
    {
        try
        {
            const string baseFrequency = "/sys/devices/system/cpu/cpu0/cpufreq/base_frequency";
            if (File.Exists(baseFrequency) && uint.TryParse(File.ReadAllText(baseFrequency).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out uint khz) && khz > 0)
                return khz;
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("cpu MHz", StringComparison.Ordinal))
                    continue;
                int colon = line.IndexOf(':');
                if (colon > 0 && double.TryParse(line.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz) && mhz > 0)
                    return (uint)Math.Round(mhz * 1000);
                break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
