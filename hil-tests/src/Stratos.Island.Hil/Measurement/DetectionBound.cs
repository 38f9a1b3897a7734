using System;
using System.Linq;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Hil.Measurement;

/// <summary>
/// The longest the island may take to report a supervision fault (its FAILED or EXPIRED event),
/// counted from the fault's injection, derived from the VM's supervision configuration
/// (docs/firmware.md "Supervision", docs/hil.md "Detection bounds"):
///
/// - Deadline (end checkpoint withheld): the next period's start checkpoint comes within one guest
///   heartbeat period P; the measurement fails in the first cycle past start + max:
///   <c>P + max + cycle</c> (max = the largest configured deadline max).
/// - Logical (reordered checkpoints): the wrong successor arrives within one period: <c>P + cycle</c>.
/// - Alive, heartbeats stopped: a reference window of W = reference_cycles * cycle is judged at its
///   end. The window in which the heartbeats stop still passes if it already holds
///   expected - min_margin indications, so the first failing window can end up to
///   <c>W * (1 + min_margin / expected)</c> after the stop; plus one cycle.
///   (The brief's "alive window + one cycle" is the case min_margin = 0.)
/// - Alive, heartbeats slowed: the current window may pass, the next one fails: <c>2 W + cycle</c>.
///
/// <c>slackMs</c> covers what lies between the guest and the island and is not supervision: the
/// agent's serial relay and the link (the virtual bench uses a few tens of ms on a loaded 2-core host).
/// </summary>
public static class DetectionBound
{
    public static (double BoundMs, string Rationale) For(
        VmDefinition vm, SupervisionKind supervision, bool heartbeatsStop,
        uint supervisionCycleMs, uint heartbeatPeriodMs, double slackMs)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (supervisionCycleMs == 0)
            throw new ArgumentOutOfRangeException(nameof(supervisionCycleMs), "supervision cycle must be at least 1 ms");
        var config = vm.Supervision
            ?? throw new ArgumentException($"VM '{vm.Name}': no supervision configured, so no detection bound", nameof(vm));
        double cycle = supervisionCycleMs;
        switch (supervision)
        {
            case SupervisionKind.Deadline:
            {
                if (config.Deadlines.Count == 0)
                    throw new ArgumentException($"VM '{vm.Name}': no deadline supervision configured", nameof(vm));
                uint max = config.Deadlines.Max(d => d.MaxMs);
                return (heartbeatPeriodMs + max + cycle + slackMs,
                    $"period {heartbeatPeriodMs} + deadline max {max} + cycle {cycle:0} + slack {slackMs:0} ms");
            }
            case SupervisionKind.Logical:
                if (config.Logical is null || config.Logical.InitialCheckpoints.Count == 0)
                    throw new ArgumentException($"VM '{vm.Name}': no logical supervision configured", nameof(vm));
                return (heartbeatPeriodMs + cycle + slackMs,
                    $"period {heartbeatPeriodMs} + cycle {cycle:0} + slack {slackMs:0} ms");
            case SupervisionKind.Alive:
            {
                var alive = config.Alive
                    ?? throw new ArgumentException($"VM '{vm.Name}': no alive supervision configured", nameof(vm));
                if (alive.ExpectedIndications == 0 || alive.ReferenceCycles == 0)
                    throw new ArgumentException($"VM '{vm.Name}': alive supervision needs expected_indications and reference_cycles > 0", nameof(vm));
                double window = alive.ReferenceCycles * cycle;
                if (heartbeatsStop)
                {
                    double carry = window * Math.Min(alive.MinMargin, alive.ExpectedIndications) / alive.ExpectedIndications;
                    return (window + carry + cycle + slackMs,
                        $"window {window:0} + carry-over {carry:0} (min_margin {alive.MinMargin}/{alive.ExpectedIndications}) + cycle {cycle:0} + slack {slackMs:0} ms");
                }
                return (2 * window + cycle + slackMs,
                    $"2 windows {2 * window:0} + cycle {cycle:0} + slack {slackMs:0} ms");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(supervision), $"{supervision} faults have no supervision bound");
        }
    }
}
