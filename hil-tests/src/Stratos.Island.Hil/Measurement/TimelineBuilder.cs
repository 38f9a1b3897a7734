using System.Collections.Generic;
using System.Globalization;
using Stratos.Island.Hil.Events;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Measurement;

/// <summary>
/// Builds per-VM timelines from island events (VmState and SupervisionStatus -> status marks,
/// Escalation -> action marks; events without a subject go to the "island" timeline), then adds the
/// heartbeats, checkpoints and faults the bench observed itself.
/// </summary>
public sealed class TimelineBuilder
{
    public const string IslandTimeline = "island";
    private readonly Dictionary<string, VmTimeline> _timelines = new();
    private readonly List<string> _order = new();

    public VmTimeline For(string vm)
    {
        if (!_timelines.TryGetValue(vm, out var timeline))
        {
            _timelines[vm] = timeline = new VmTimeline(vm);
            _order.Add(vm);
        }
        return timeline;
    }

    public TimelineBuilder AddEvents(IEnumerable<IslandEvent> events)
    {
        foreach (var e in events)
        {
            string subject = e.Subject.Length > 0 ? e.Subject : IslandTimeline;
            switch (e.Type)
            {
                case EventType.VmState:
                    For(subject).Add(e.TimeMs, MarkKind.StatusChange, Name((VmState)e.Value));
                    break;
                case EventType.SupervisionStatus:
                    For(subject).Add(e.TimeMs, MarkKind.StatusChange, Name((LocalStatus)e.Value));
                    break;
                case EventType.Escalation:
                    For(subject).Add(e.TimeMs, MarkKind.Action, Name((SafeAction)e.Value));
                    break;
                case EventType.IslandBoot:
                case EventType.SafeState:
                case EventType.GlobalStatus:
                case EventType.LinkUp:
                case EventType.LinkDown:
                    For(IslandTimeline).Add(e.TimeMs, e.Type == EventType.SafeState ? MarkKind.Action : MarkKind.StatusChange, e.Type.ToString());
                    break;
            }
        }
        return this;
    }

    public TimelineBuilder AddHeartbeat(string vm, double timeMs, uint sequence) =>
        Add(vm, timeMs, MarkKind.Heartbeat, "HB " + sequence.ToString(CultureInfo.InvariantCulture));

    public TimelineBuilder AddCheckpoint(string vm, double timeMs, uint checkpointId) =>
        Add(vm, timeMs, MarkKind.Checkpoint, "CP " + checkpointId.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The heartbeat and checkpoint lanes from what the guests printed: "HB seq" -> heartbeat,
    /// "CP id seq" -> checkpoint (hil-tests/guest/README.md); other lines are ignored.
    /// </summary>
    public TimelineBuilder AddGuestLines(IEnumerable<Benches.GuestLine> lines)
    {
        foreach (var line in lines)
        {
            string[] words = line.Text.Trim().Split(' ');
            if (words.Length == 2 && words[0] == "HB" && uint.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint seq))
                AddHeartbeat(line.Vm, line.TimeMs, seq);
            else if (words.Length == 3 && words[0] == "CP" && uint.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
                AddCheckpoint(line.Vm, line.TimeMs, id);
        }
        return this;
    }

    public TimelineBuilder AddFault(FaultMeasurement fault)
    {
        For(fault.Vm).Add(fault.InjectedMs, MarkKind.Fault, fault.Fault.ToString());
        if (fault.RecoveredMs is double recovered)
            For(fault.Vm).Add(recovered, MarkKind.Recovery, "recovered");
        return this;
    }

    public TimelineBuilder Add(string vm, double timeMs, MarkKind kind, string label)
    {
        For(vm).Add(timeMs, kind, label);
        return this;
    }

    public IReadOnlyList<VmTimeline> Build()
    {
        var list = new List<VmTimeline>();
        foreach (var name in _order)
            list.Add(_timelines[name]);
        return list;
    }

    /// <summary>Short upper-case names as the CLI prints them (VM_STATE_RUNNING -> RUNNING).</summary>
    private static string Name(VmState s) => Strip(s.ToString());
    private static string Name(LocalStatus s) => Strip(s.ToString());
    private static string Name(SafeAction s) => Strip(s.ToString());

    private static string Strip(string name) => name.ToUpperInvariant();
}
