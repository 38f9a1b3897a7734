// What Xen itself reports about a domain, and what the agent infers from it (docs/vmm.md "Xen").
//
// `xl list` prints one row per domain: name, domid, memory (MiB), vCPUs, six state flags and CPU
// time. The flags are positional, a letter when set and '-' when not:
//   r running   b blocked (idle, waiting for an event: still alive)   p paused
//   s shutdown (the guest asked: poweroff or reboot, reason in xenstore control/shutdown)
//   c crashed   d dying (being destroyed)
// The agent maps them to ObservedVmState: r or b -> Running, p -> Paused, c -> Crashed, s or d ->
// Exited. A domain missing from the list is NotRunning.
//
// Deaths are observed through xenstore watches, not by polling: `xenstore-watch @releaseDomain`
// prints the watched path once when the watch is set and again each time any domain is released
// (dies); `@introduceDomain` likewise when one is created; a watch on /local/domain/<id>/... fires
// with the path that changed. The agent re-reads `xl list` on each event to learn which domain.
using System;
using System.Collections.Generic;
using System.Globalization;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Xen;

/// <summary>Xen's state flags of one domain.</summary>
[Flags]
public enum XenStateFlags
{
    None = 0,
    Running = 1,
    Blocked = 2,
    Paused = 4,
    Shutdown = 8,
    Crashed = 16,
    Dying = 32,
}

/// <summary>One row of `xl list`.</summary>
public sealed record XenDomainRow(string Name, int DomainId, uint MemoryMib, uint Vcpus, XenStateFlags Flags, double CpuSeconds)
{
    /// <summary>What the agent reports for this row (crash wins over shutdown and dying).</summary>
    public ObservedVmState Observed =>
        (Flags & XenStateFlags.Crashed) != 0 ? ObservedVmState.Crashed
        : (Flags & (XenStateFlags.Shutdown | XenStateFlags.Dying)) != 0 ? ObservedVmState.Exited
        : (Flags & XenStateFlags.Paused) != 0 ? ObservedVmState.Paused
        : ObservedVmState.Running;
}

/// <summary>Parses `xl list` output.</summary>
public static class XlList
{
    private const string FlagLetters = "rbpscd";

    /// <summary>
    /// The rows of `xl list` (the header line is skipped). Throws FormatException naming the line
    /// when a row does not have the six columns or a column is not what xl prints.
    /// </summary>
    public static IReadOnlyList<XenDomainRow> Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var rows = new List<XenDomainRow>();
        string[] lines = output.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.StartsWith("Name ", StringComparison.Ordinal))
                continue;
            string[] columns = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            // A domain name has no blanks (xl refuses them), so a row has exactly six columns.
            if (columns.Length != 6)
                throw Bad(i, line, $"has {columns.Length} columns, expected 6 (name, id, mem, vcpus, state, time)");
            if (!int.TryParse(columns[1], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                throw Bad(i, line, $"domain id '{columns[1]}' is not a number");
            if (!uint.TryParse(columns[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint memory))
                throw Bad(i, line, $"memory '{columns[2]}' is not a number");
            if (!uint.TryParse(columns[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint vcpus))
                throw Bad(i, line, $"vcpus '{columns[3]}' is not a number");
            if (!TryParseFlags(columns[4], out XenStateFlags flags))
                throw Bad(i, line, $"state '{columns[4]}' is not six flags of rbpscd");
            if (!double.TryParse(columns[5], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double cpu))
                throw Bad(i, line, $"time '{columns[5]}' is not a number of seconds");
            rows.Add(new XenDomainRow(columns[0], id, memory, vcpus, flags, cpu));
        }

        return rows;
    }

    /// <summary>Six positional flags, e.g. "r-----", "---sc-".</summary>
    public static bool TryParseFlags(string text, out XenStateFlags flags)
    {
        flags = XenStateFlags.None;
        if (text is null || text.Length != FlagLetters.Length)
            return false;
        for (int i = 0; i < FlagLetters.Length; i++)
        {
            if (text[i] == FlagLetters[i])
                flags |= (XenStateFlags)(1 << i);
            else if (text[i] != '-')
                return false;
        }

        return true;
    }

    private static FormatException Bad(int index, string line, string problem) =>
        new($"xl list line {index + 1} '{line}': {problem}");
}

/// <summary>What a xenstore watch event says.</summary>
public enum XenWatchKind
{
    /// <summary>A domain was released (died): re-read the domain list.</summary>
    DomainReleased,
    /// <summary>A domain was introduced (created).</summary>
    DomainIntroduced,
    /// <summary>A path under /local/domain/&lt;id&gt; changed.</summary>
    DomainPath,
    /// <summary>Any other watched path.</summary>
    Other,
}

/// <summary>One line of `xenstore-watch` output.</summary>
public readonly record struct XenWatchEvent(XenWatchKind Kind, string Path, int DomainId, string SubPath)
{
    /// <summary>Classifies a watch line; null for an empty line.</summary>
    public static XenWatchEvent? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string path = line.Trim();
        if (path.Length == 0)
            return null;
        // xenstore-watch prints "<path>" or, with a token, "<path> <token>": the path is the first word.
        int blank = path.IndexOf(' ', StringComparison.Ordinal);
        if (blank > 0)
            path = path[..blank];
        if (path == "@releaseDomain")
            return new XenWatchEvent(XenWatchKind.DomainReleased, path, -1, "");
        if (path == "@introduceDomain")
            return new XenWatchEvent(XenWatchKind.DomainIntroduced, path, -1, "");
        const string prefix = "/local/domain/";
        if (path.StartsWith(prefix, StringComparison.Ordinal))
        {
            string rest = path[prefix.Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            string idText = slash < 0 ? rest : rest[..slash];
            if (int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                return new XenWatchEvent(XenWatchKind.DomainPath, path, id, slash < 0 ? "" : rest[(slash + 1)..]);
        }

        return new XenWatchEvent(XenWatchKind.Other, path, -1, "");
    }
}
