using System.Collections.Generic;
using System.Linq;
using Stratos.Island.Hil.Events;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Measurement;

/// <summary>What the bench looks for after injecting a fault into one VM (or the agent / island).</summary>
public sealed record FaultProbe
{
    public required string Vm { get; init; }
    public required FaultKind Fault { get; init; }
    public required SupervisionKind Supervision { get; init; }
    /// <summary>The island's detection event (default: the VM's supervision FAILED or EXPIRED).</summary>
    public EventMatch? Detection { get; init; }
    /// <summary>The action (default: any escalation for the VM).</summary>
    public EventMatch? Action { get; init; }
    /// <summary>Recovery (default: the VM Running again); a heartbeat after the action also counts.</summary>
    public EventMatch? Recovery { get; init; }
    public double? BoundMs { get; init; }
    public string BoundRationale { get; init; } = "";
}

/// <summary>
/// Turns an injection time plus the recorded events (and heartbeats) into a <see cref="FaultMeasurement"/>:
/// detection = first detection event at or after injection; action = first action event at or after
/// detection; recovery = the earlier of the first recovery event and the first heartbeat after the action
/// (or after detection when no action was taken).
/// </summary>
public static class FaultMeasurer
{
    public static FaultMeasurement Measure(FaultProbe probe, double injectedMs, IReadOnlyList<IslandEvent> events, IReadOnlyList<double>? heartbeatsMs = null)
    {
        var detection = probe.Detection ?? EventMatch.SupervisionFault(probe.Vm);
        var action = probe.Action ?? EventMatch.AnyEscalation(probe.Vm);
        var recovery = probe.Recovery ?? EventMatch.VmState(probe.Vm, VmState.Running);

        double? detected = First(events, detection, injectedMs);
        double? acted = detected is double d ? First(events, action, d) : null;
        double? recovered = null;
        if ((acted ?? detected) is double after)
        {
            recovered = First(events, recovery, after);
            var beat = heartbeatsMs?.Where(t => t > after).DefaultIfEmpty(double.NaN).Min();
            if (beat is double b && !double.IsNaN(b) && (recovered is null || b < recovered))
                recovered = b;
        }
        return new FaultMeasurement
        {
            Vm = probe.Vm,
            Fault = probe.Fault,
            Supervision = probe.Supervision,
            InjectedMs = injectedMs,
            DetectedMs = detected,
            ActionMs = acted,
            RecoveredMs = recovered,
            BoundMs = probe.BoundMs,
            BoundRationale = probe.BoundRationale,
        };
    }

    private static double? First(IReadOnlyList<IslandEvent> events, EventMatch match, double fromMs)
    {
        foreach (var e in events)
            if (e.TimeMs >= fromMs && match.Matches(e))
                return e.TimeMs;
        return null;
    }
}
