using System;
using System.IO;
using System.Linq;
using Stratos.Island.Boards;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Hil.Scenarios;

/// <summary>
/// What the scenarios know about the system under test: its board (supervision cycle) and island
/// configuration (VM definitions, for the detection bounds), the guest heartbeat period, and the
/// slack allowed between guest and island (serial relay + link).
/// </summary>
public sealed record HilTarget(BoardDescriptor Board, IslandConfig Config, uint HeartbeatPeriodMs, double SlackMs)
{
    /// <summary>Guest heartbeat period of the heartbeat guest when its command line does not set one.</summary>
    public const uint DefaultHeartbeatPeriodMs = 100;

    /// <summary>Relay + link + host scheduling on a loaded 2-core machine (virtual bench).</summary>
    public const double VirtualSlackMs = 150;

    /// <summary>The Linux test guest's heartbeat period on the Xen board (stratos.rate=200 in hil-vms.yaml).</summary>
    public const uint XenHeartbeatPeriodMs = 200;

    /// <summary>
    /// Between a fault in dom0 and the island, on the Xen board under TCG (docs/hil.md "The Xen
    /// bench"): the injection is marked when dom0 begins the command, and `xl pause` took 1.24 s
    /// there before it returned (its effect lands somewhere within that); then the domain's console
    /// through xenconsoled to the agent and the 115200 baud serial link (tens of ms).
    /// </summary>
    public const double XenSlackMs = 1300;

    /// <summary>
    /// The board virtual-xen with the scenarios' roster (boards/virtual-xen/hil-vms.yaml: 'base' and
    /// 'web' as PV Linux domUs) and Xen's bounds.
    /// </summary>
    public static HilTarget ForXen(string boardsDir) =>
        Load(boardsDir, "virtual-xen", Path.Combine(boardsDir, "virtual-xen", "hil-vms.yaml"), XenHeartbeatPeriodMs, XenSlackMs) with
        {
            // The QEMU bench's process-exit bound plus two xl runs in the TCG dom0 of at most the
            // measured slack each: the injecting `xl destroy` and the agent's `xl list` after the
            // @releaseDomain watch (measured detections 1.4, 2.4 and 3.4 s; docs/hil.md).
            VmEndBoundMs = 2000 + 2 * XenSlackMs,
            VmEndBoundRationale = "`xl destroy` in a TCG dom0 -> @releaseDomain watch -> `xl list` -> agent report -> serial link -> island (2000 + 2 x 1300 ms)",
        };

    public static HilTarget Load(string boardsDir, string boardId, string? configPath, uint heartbeatPeriodMs, double slackMs)
    {
        var board = BoardLoader.LoadById(boardsDir, boardId);
        var config = IslandConfigLoader.Load(configPath ?? Path.Combine(boardsDir, boardId, IslandConfigLoader.ConfigFileName), board);
        return new HilTarget(board, config, heartbeatPeriodMs, slackMs);
    }

    /// <summary>
    /// Bound from a VM's end by its VMM (killed, destroyed, exited) to its Failed state on the island:
    /// no supervision is involved, the VMM's report is (docs/hil.md "Detection bounds").
    /// </summary>
    public double VmEndBoundMs { get; init; } = 2000;

    public string VmEndBoundRationale { get; init; } = "QEMU exit -> agent report -> island: process fault, no supervision bound; 2 s on a loaded host";

    public VmDefinition Vm(string name) =>
        Config.Vms.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"{Config.SourcePath}: no VM '{name}' (scenarios need it)");

    /// <summary>A probe for a supervision fault on a VM, with its bound from the VM's configuration.</summary>
    public FaultProbe SupervisionProbe(string vm, FaultKind fault, SupervisionKind supervision, bool heartbeatsStop)
    {
        var (bound, rationale) = DetectionBound.For(Vm(vm), supervision, heartbeatsStop, Board.Island.SupervisionCycleMs, HeartbeatPeriodMs, SlackMs);
        return new FaultProbe { Vm = vm, Fault = fault, Supervision = supervision, BoundMs = bound, BoundRationale = rationale };
    }
}
