using System;

namespace Stratos.Island.Agent.Vmm;

/// <summary>What the VMM really did; mirrors ObservedVmState in link.proto (same numbers).</summary>
public enum ObservedVmState
{
    /// <summary>Not set.</summary>
    Unspecified = 0,
    /// <summary>No VMM process for this VM (never started, or stopped/killed by the agent).</summary>
    NotRunning = 1,
    /// <summary>QEMU is starting (process launched, QMP not yet ready or guest not yet resumed).</summary>
    Starting = 2,
    /// <summary>The guest runs.</summary>
    Running = 3,
    /// <summary>vCPUs paused (QMP stop, or QEMU paused itself).</summary>
    Paused = 4,
    /// <summary>QEMU exited on its own (guest shutdown, isa-debug-exit, quit); ExitStatus set.</summary>
    Exited = 5,
    /// <summary>The guest crashed (panic, triple fault under -no-reboot) or QEMU died from a signal.</summary>
    Crashed = 6,
    /// <summary>QEMU could not be started.</summary>
    StartFailed = 7,
    /// <summary>
    /// The guest's watchdog (i6300esb) expired: QEMU runs, the guest is hung. Reported, not a
    /// state the VM stays in: QEMU's watchdog action is none, so the island decides what follows.
    /// </summary>
    Hung = 8,
}

/// <summary>
/// One observed state change. ExitStatus follows link.proto VmStateReport.exit_status: the
/// process exit status, or minus the signal number when QEMU died from a signal; null while alive.
/// </summary>
public sealed record VmObservation(string VmName, ObservedVmState State, string Detail, int? ExitStatus, DateTimeOffset At);

/// <summary>A QEMU process of this backend found running from a previous agent run.</summary>
public sealed record StaleVm(string VmName, int Pid, string RuntimeDirectory, bool Killed, string Detail);

/// <summary>What <see cref="QemuBackend.AdoptAsync"/> found: QEMUs re-adopted, and folders or QEMUs cleaned up.</summary>
public sealed record VmAdoption(System.Collections.Generic.IReadOnlyList<QemuVm> Adopted, System.Collections.Generic.IReadOnlyList<StaleVm> Stale);

/// <summary>
/// Milliseconds from the start of QemuVm's launch to the end of each start-up step, in order: the
/// serial console connected (to the agent's own listener, before QEMU exists), QEMU spawned, QMP
/// negotiated, `cont` answered (Running; the console is read from then on), the guest's first line
/// received (0 until it arrives).
/// </summary>
public sealed class StartTimeline
{
    public double SerialConnectedMs { get; internal set; }
    public double SpawnedMs { get; internal set; }
    public double QmpReadyMs { get; internal set; }
    public double RunningMs { get; internal set; }
    public double FirstLineMs { get; internal set; }

    public override string ToString() => System.FormattableString.Invariant(
        $"serial {SerialConnectedMs:0.0} ms, spawned {SpawnedMs:0.0} ms, QMP ready {QmpReadyMs:0.0} ms, running {RunningMs:0.0} ms, first guest line {FirstLineMs:0.0} ms");
}
