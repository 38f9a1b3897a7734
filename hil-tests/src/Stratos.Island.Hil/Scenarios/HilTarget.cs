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

    public static HilTarget Load(string boardsDir, string boardId, string? configPath, uint heartbeatPeriodMs, double slackMs)
    {
        var board = BoardLoader.LoadById(boardsDir, boardId);
        var config = IslandConfigLoader.Load(configPath ?? Path.Combine(boardsDir, boardId, IslandConfigLoader.ConfigFileName), board);
        return new HilTarget(board, config, heartbeatPeriodMs, slackMs);
    }

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
