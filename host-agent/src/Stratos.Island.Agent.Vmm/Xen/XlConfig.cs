// The xl domain configuration the Xen backend writes for one PV domain (docs/vmm.md "Xen").
// xl(1) reads `key = value` lines; strings are double-quoted. The agent, not xl, decides what a
// shutdown, reboot or crash leads to, so every lifecycle action hands the decision back:
//   on_poweroff = "destroy"   the domain is gone; the agent reports Exited
//   on_reboot   = "destroy"   xl would otherwise rebuild it silently; the island restarts it instead
//   on_crash    = "preserve"  the crashed domain stays (state c), so the agent observes and reports
//                             Crashed before it destroys it: the crash is never lost in a race
// A value that xl's parser could misread (a double quote, a backslash, a line break, NUL) is refused
// with an error naming the field, never escaped: a kernel command line needs none of them.
using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace Stratos.Island.Agent.Vmm.Xen;

/// <summary>What one PV domain runs: the Xen counterpart of <see cref="VmSpec"/>.</summary>
public sealed record XenDomainSpec
{
    /// <summary>Domain name, [a-z0-9-], 1..32 characters (as VmSpec.Name).</summary>
    public required string Name { get; init; }
    /// <summary>PV kernel image (a path in dom0), required.</summary>
    public required string Kernel { get; init; }
    /// <summary>Initial ramdisk, optional.</summary>
    public string? Ramdisk { get; init; }
    /// <summary>Kernel command line; the domain console is hvc0.</summary>
    public string? Cmdline { get; init; }
    /// <summary>Domain memory in MiB.</summary>
    public uint MemoryMib { get; init; } = 128;
    /// <summary>Virtual CPUs.</summary>
    public uint Vcpus { get; init; } = 1;

    /// <summary>Throws VmmException(InvalidSpec or FileMissing) naming the first bad field.</summary>
    public void Validate(bool checkFiles = true)
    {
        new VmSpec { Name = Name, Kernel = Kernel, MemoryMib = MemoryMib, Vcpus = Vcpus }.ValidateShape();
        if (string.IsNullOrEmpty(Kernel))
            throw Invalid("kernel", "is required");
        CheckValue("kernel", Kernel);
        if (!Path.IsPathRooted(Kernel))
            throw Invalid("kernel", $"'{Kernel}' is not an absolute path");
        if (Ramdisk is not null)
        {
            CheckValue("ramdisk", Ramdisk);
            if (!Path.IsPathRooted(Ramdisk))
                throw Invalid("ramdisk", $"'{Ramdisk}' is not an absolute path");
        }
        if (Cmdline is not null)
            CheckValue("cmdline", Cmdline);
        if (!checkFiles)
            return;
        if (!File.Exists(Kernel))
            throw new VmmException(VmmErrorKind.FileMissing, $"domain '{Name}': kernel file '{Kernel}' does not exist");
        if (Ramdisk is not null && !File.Exists(Ramdisk))
            throw new VmmException(VmmErrorKind.FileMissing, $"domain '{Name}': ramdisk file '{Ramdisk}' does not exist");
    }

    private void CheckValue(string field, string value)
    {
        int bad = value.IndexOfAny(['"', '\\', '\n', '\r', '\0']);
        if (bad >= 0)
            throw Invalid(field, $"contains {Describe(value[bad])}, which an xl configuration string cannot carry");
    }

    private static string Describe(char c) => c switch
    {
        '"' => "a double quote",
        '\\' => "a backslash",
        '\0' => "NUL",
        _ => "a line break",
    };

    private VmmException Invalid(string field, string problem) =>
        new(VmmErrorKind.InvalidSpec, $"domain '{Name}': field '{field}' {problem}");
}

/// <summary>Writes the xl configuration of a <see cref="XenDomainSpec"/>.</summary>
public static class XlConfig
{
    /// <summary>The configuration text; validates the spec first (files included when checkFiles).</summary>
    public static string Generate(XenDomainSpec spec, bool checkFiles = true)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate(checkFiles);
        var text = new StringBuilder();
        text.Append("# written by the Stratos Island agent; xl create -f this file\n");
        Line(text, "name", Quote(spec.Name));
        Line(text, "type", Quote("pv"));
        Line(text, "kernel", Quote(spec.Kernel));
        if (spec.Ramdisk is not null)
            Line(text, "ramdisk", Quote(spec.Ramdisk));
        if (!string.IsNullOrEmpty(spec.Cmdline))
            Line(text, "extra", Quote(spec.Cmdline));
        Line(text, "memory", spec.MemoryMib.ToString(CultureInfo.InvariantCulture));
        Line(text, "vcpus", spec.Vcpus.ToString(CultureInfo.InvariantCulture));
        Line(text, "on_poweroff", Quote("destroy"));
        Line(text, "on_reboot", Quote("destroy"));
        Line(text, "on_crash", Quote("preserve"));
        return text.ToString();
    }

    private static string Quote(string value) => "\"" + value + "\"";

    private static void Line(StringBuilder text, string key, string value) => text.Append(key).Append(" = ").Append(value).Append('\n');
}
