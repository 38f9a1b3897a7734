using System;
using System.Collections.Generic;
using System.IO;

namespace Stratos.Island.Agent.Vmm;

/// <summary>Which QEMU accelerator to use.</summary>
public enum Accelerator
{
    /// <summary>KVM when /dev/kvm opens read-write, otherwise TCG.</summary>
    Auto,
    /// <summary>KVM, fail when it is unusable.</summary>
    Kvm,
    /// <summary>TCG (software emulation).</summary>
    Tcg,
}

/// <summary>
/// What to run: mirrors VmmConfig in protocol/proto/stratos/island/link/v1/link.proto
/// (machine, memory_mib, vcpus, kernel, disk, extra_args, cmdline, initrd, accelerator and the
/// guest-contract devices) plus the VM name and backend choices the agent makes itself.
/// </summary>
public sealed record VmSpec
{
    /// <summary>Longest VM name (link.proto VmDefinition.name).</summary>
    public const int MaxNameLength = 32;
    /// <summary>Largest memory accepted, in MiB.</summary>
    public const uint MaxMemoryMib = 1 << 20;
    /// <summary>Most vCPUs accepted.</summary>
    public const uint MaxVcpus = 256;

    /// <summary>VM name, [a-z0-9-], 1..32 characters; names the runtime directory.</summary>
    public required string Name { get; init; }
    /// <summary>QEMU machine type.</summary>
    public string Machine { get; init; } = "microvm";
    /// <summary>Guest memory in MiB.</summary>
    public uint MemoryMib { get; init; } = 32;
    /// <summary>Virtual CPUs.</summary>
    public uint Vcpus { get; init; } = 1;
    /// <summary>Kernel image (-kernel), required.</summary>
    public required string Kernel { get; init; }
    /// <summary>Raw disk image, optional.</summary>
    public string? Disk { get; init; }
    /// <summary>Kernel command line (-append), optional.</summary>
    public string? Cmdline { get; init; }
    /// <summary>Initial ramdisk (-initrd), optional.</summary>
    public string? Initrd { get; init; }
    /// <summary>
    /// The virtio-serial port org.stratos.island.heartbeat.0 (docs/guests.md): the guest's HB/CP lines
    /// and commands go there instead of the serial console, which stays a plain console.
    /// </summary>
    public bool HeartbeatPort { get; init; }
    /// <summary>The i6300esb watchdog; QEMU's watchdog action is none and its WATCHDOG event is observed as Hung.</summary>
    public bool Watchdog { get; init; }
    /// <summary>The PCI pvpanic device: a guest kernel panic raises GUEST_PANICKED (observed as Crashed).</summary>
    public bool PanicDevice { get; init; }
    /// <summary>True when the spec needs PCI devices (microvm then gets pcie=on).</summary>
    public bool NeedsPci => HeartbeatPort || Watchdog || PanicDevice;
    /// <summary>Extra QEMU arguments, appended last.</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = Array.Empty<string>();
    /// <summary>Accelerator choice.</summary>
    public Accelerator Accelerator { get; init; } = Accelerator.Auto;
    /// <summary>CPU model (-cpu); null: the backend's default for the accelerator.</summary>
    public string? CpuModel { get; init; }
    /// <summary>
    /// Pass -no-reboot: a guest reset (triple fault) makes QEMU exit, observed as Crashed, instead of
    /// rebooting silently. The island decides restarts, so this is on by default.
    /// </summary>
    public bool NoReboot { get; init; } = true;

    /// <summary>Throws VmmException(InvalidSpec or FileMissing) naming the first bad field.</summary>
    public void Validate()
    {
        ValidateShape();
        if (string.IsNullOrEmpty(Kernel))
            throw Invalid("kernel", "is required");
        if (!File.Exists(Kernel))
            throw new VmmException(VmmErrorKind.FileMissing, $"VM '{Name}': kernel file '{Kernel}' does not exist");
        if (!string.IsNullOrEmpty(Disk))
        {
            if (Disk.Contains(',', StringComparison.Ordinal))
                throw Invalid("disk", $"path '{Disk}' contains ',' which QEMU's -drive syntax cannot carry");
            if (!File.Exists(Disk))
                throw new VmmException(VmmErrorKind.FileMissing, $"VM '{Name}': disk file '{Disk}' does not exist");
        }
        if (!string.IsNullOrEmpty(Initrd) && !File.Exists(Initrd))
            throw new VmmException(VmmErrorKind.FileMissing, $"VM '{Name}': initrd file '{Initrd}' does not exist");
        if (Cmdline is not null && Cmdline.IndexOfAny(['\n', '\r', '\0']) >= 0)
            throw Invalid("cmdline", "contains a line break or NUL");
        for (int i = 0; i < ExtraArgs.Count; i++)
            if (ExtraArgs[i] is null || ExtraArgs[i].Contains('\0', StringComparison.Ordinal))
                throw Invalid($"extra_args[{i}]", "is null or contains NUL");
    }

    /// <summary>The checks every backend shares: name, machine, memory and vCPU ranges.</summary>
    internal void ValidateShape()
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > MaxNameLength)
            throw Invalid("name", $"must be 1..{MaxNameLength} characters, got {Name?.Length ?? 0}");
        foreach (char c in Name)
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
                throw Invalid("name", $"'{Name}' may only contain a-z, 0-9 and '-'");
        if (string.IsNullOrWhiteSpace(Machine) || Machine.Contains(',', StringComparison.Ordinal))
            throw Invalid("machine", $"'{Machine}' is not a machine type name");
        if (MemoryMib == 0 || MemoryMib > MaxMemoryMib)
            throw Invalid("memory_mib", $"must be 1..{MaxMemoryMib}, got {MemoryMib}");
        if (Vcpus == 0 || Vcpus > MaxVcpus)
            throw Invalid("vcpus", $"must be 1..{MaxVcpus}, got {Vcpus}");
    }

    private VmmException Invalid(string field, string problem) =>
        new(VmmErrorKind.InvalidSpec, $"VM '{Name}': field '{field}' {problem}");
}
