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
