namespace Stratos.Island.Hil.Measurement;

/// <summary>
/// Every fault the benches know how to inject. A bench declares which ones it can inject
/// (<see cref="Benches.IBench.CanInject"/>); scenarios needing others are skipped with a reason.
/// </summary>
public enum FaultKind
{
    // Guest (heartbeat guest commands, hil-tests/guest/README.md).
    GuestHang,
    GuestCrash,
    GuestStallHeartbeats,
    GuestSlowHeartbeats,
    GuestLateCheckpoint,
    GuestReorderCheckpoints,
    GuestExit,
    // Agent process.
    AgentKill,
    AgentFreeze,
    AgentSlow,
    // Island.
    IslandReset,
    IslandHang,
    /// <summary>The island process killed (kill -9): a crashed MCU, reset by its hardware.</summary>
    IslandKill,
    // Link (fault-injecting transport shim).
    LinkDrop,
    LinkDuplicate,
    LinkDelay,
    LinkCorrupt,
    LinkTxRingFull,
    /// <summary>Random bytes written over the vrings in shared memory (a stray DMA or bad pointer).</summary>
    LinkRingScribble,
    /// <summary>A forged copy (wrong auth_tag) sent after a real message: what a writer of the shared
    /// memory without the board key can do (docs/link.md "Authentication").</summary>
    LinkForge,
    // Power.
    PowerCutDuringLogWrite,
    AClusterReset,
    // Linux guest (stratos-heartbeat commands on its heartbeat port, docs/guests.md).
    GuestKernelPanic,
    GuestWatchdogHang,
    GuestHelperKill,
    GuestReboot,
}

/// <summary>Which WdgM supervision is expected to see a fault first (decides the detection bound).</summary>
public enum SupervisionKind
{
    Alive,
    Deadline,
    Logical,
    /// <summary>Not a supervision fault (process death, link fault): bounded by the scenario's own limit.</summary>
    None,
}

/// <summary>
/// One injected fault and what followed, all on the run's host time axis (ms since the run's origin):
/// injection, detection (the island's FAILED / EXPIRED event), action (escalation event or directive),
/// recovery (heartbeats resumed / VM Running again). A missing time means it was never observed.
/// </summary>
public sealed record FaultMeasurement
{
    public required string Vm { get; init; }
    public required FaultKind Fault { get; init; }
    public required SupervisionKind Supervision { get; init; }
    public required double InjectedMs { get; init; }
    public double? DetectedMs { get; init; }
    public double? ActionMs { get; init; }
    public double? RecoveredMs { get; init; }
    /// <summary>Detection latency bound (ms), from <see cref="DetectionBound"/>; null = not bounded.</summary>
    public double? BoundMs { get; init; }
    /// <summary>How the bound was derived (printed in the report).</summary>
    public string BoundRationale { get; init; } = "";

    public double? DetectionLatencyMs => DetectedMs - InjectedMs;
    public double? ActionLatencyMs => ActionMs - InjectedMs;
    public double? RecoveryLatencyMs => RecoveredMs - InjectedMs;

    /// <summary>True when the fault was detected and, if bounded, within its bound.</summary>
    public bool DetectedWithinBound =>
        DetectionLatencyMs is double latency && (BoundMs is not double bound || latency <= bound);

    /// <summary>Why this measurement fails its scenario, or null when it passes.</summary>
    public string? Violation()
    {
        if (DetectedMs is null)
            return $"{Fault} on '{Vm}': never detected";
        if (DetectedMs < InjectedMs)
            return $"{Fault} on '{Vm}': detected at {DetectedMs:0.0} ms, before its injection at {InjectedMs:0.0} ms";
        if (BoundMs is double bound && DetectionLatencyMs > bound)
            return $"{Fault} on '{Vm}': detection latency {DetectionLatencyMs:0.0} ms exceeds the bound {bound:0.0} ms ({BoundRationale})";
        return null;
    }
}
