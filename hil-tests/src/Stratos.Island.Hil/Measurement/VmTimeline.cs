using System;
using System.Collections.Generic;
using System.Linq;

namespace Stratos.Island.Hil.Measurement;

/// <summary>
/// The recorded history of one VM (or of the island itself, name "island") during a scenario:
/// heartbeats, checkpoints, status changes, actions, faults and recoveries on one time axis.
/// Marks may be added out of order (events arrive late); readers get them sorted by time.
/// </summary>
public sealed class VmTimeline
{
    private readonly List<TimelineMark> _marks = new();

    public VmTimeline(string vmName)
    {
        if (string.IsNullOrWhiteSpace(vmName))
            throw new ArgumentException("a timeline needs a VM name", nameof(vmName));
        VmName = vmName;
    }

    public string VmName { get; }

    /// <summary>The marks sorted by time (stable for equal times: insertion order).</summary>
    public IReadOnlyList<TimelineMark> Marks => _marks.OrderBy(m => m.TimeMs).ToList();

    public void Add(double timeMs, MarkKind kind, string label)
    {
        if (double.IsNaN(timeMs) || double.IsInfinity(timeMs))
            throw new ArgumentOutOfRangeException(nameof(timeMs), $"timeline '{VmName}': mark '{label}' has no finite time");
        _marks.Add(new TimelineMark(timeMs, kind, label));
    }

    public int Count(MarkKind kind) => _marks.Count(m => m.Kind == kind);
}
