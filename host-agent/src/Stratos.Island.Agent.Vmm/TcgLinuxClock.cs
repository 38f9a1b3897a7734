using System;
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
/// the calibration, so the backend appends it for a Linux kernel (the boot protocol's "HdrS"
/// magic) run on microvm under TCG, unless the command line already sets it.
/// </para>
/// </summary>
public static class TcgLinuxClock
{
    /// <summary>Offset of the Linux x86 boot protocol's header magic "HdrS" in a bzImage.</summary>
    private const int BootHeaderMagicOffset = 0x202;
    private static readonly byte[] BootHeaderMagic = "HdrS"u8.ToArray();
    private static readonly Lazy<uint?> HostKhz = new(ReadHostTscKhz);

    /// <summary>The host's TSC rate in kHz, or null when it cannot be read.</summary>
    public static uint? HostTscKhz => HostKhz.Value;

    /// <summary>True when the file is a Linux x86 kernel image (bzImage boot header).</summary>
    public static bool IsLinuxKernel(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            if (file.Length < BootHeaderMagicOffset + BootHeaderMagic.Length)
                return false;
            Span<byte> magic = stackalloc byte[4];
            file.Position = BootHeaderMagicOffset;
            file.ReadExactly(magic);
            return magic.SequenceEqual(BootHeaderMagic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

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
