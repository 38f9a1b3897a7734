// ObservedVmState is the link's own (Stratos.Island.Codec, generated from link.proto with the island
// codec): one enum for what the VMM really did, from the backend to the VmStateReport.
using System;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm;

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
