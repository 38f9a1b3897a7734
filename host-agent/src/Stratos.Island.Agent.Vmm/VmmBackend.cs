// The backend contract both VMM backends satisfy (docs/vmm.md "Backend contract"): QemuBackend
// (a QEMU process per VM) and Xen.XenBackend (a PV domain per VM, the agent in dom0). The agent's
// directive executor sees only these two interfaces.
//
//   StartAsync     validates the spec (errors name the field or file), starts the VM with its
//                  console or heartbeat channel connected before the guest runs, runs the caller's
//                  hook once the VM runs and before the first guest line is read, returns Running;
//                  a failed start leaves nothing behind (process or domain, runtime folder)
//   AdoptRunning   after an agent restart: re-adopts what a previous run left running for VMs the
//                  caller knows (specFor), cleans the rest, never touches what is not its own
//   instance       pause/resume/reset; stop = the guest is asked to shut down, ended by force when
//                  the grace period passes; kill = ended now; both return NotRunning. Observed
//                  changes outside an operation (guest exit, crash, hang) arrive on StateChanged,
//                  detected by events of the VMM (QMP events and process exit; xenstore watches),
//                  not by polling alone; Ended completes with the terminal observation
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm;

/// <summary>Which VMM runs the VMs: chosen per board (board.yaml `vmm`).</summary>
public enum VmmKind
{
    /// <summary>QEMU (KVM or TCG), a process per VM.</summary>
    Qemu,
    /// <summary>Xen, a PV domain per VM; the agent runs in dom0.</summary>
    Xen,
}

/// <summary>One VM as a backend runs it.</summary>
public interface IVmmInstance
{
    string Name { get; }

    /// <summary>Current observed state.</summary>
    ObservedVmState State { get; }

    /// <summary>The VMM's handle: QEMU's pid, or the Xen domain id.</summary>
    int Pid { get; }

    /// <summary>The handle for people and reports: "QEMU pid N" / "Xen domain N".</summary>
    string Describe { get; }

    /// <summary>The guest console (commands are sent here).</summary>
    GuestSerialReader? Serial { get; }

    /// <summary>A dedicated heartbeat channel: the VM is RUNNING for the island at its first heartbeat there.</summary>
    GuestSerialReader? HeartbeatPort { get; }

    /// <summary>Where the guest's heartbeats are read: the heartbeat channel, else the console.</summary>
    GuestSerialReader? Supervision { get; }

    /// <summary>Each observed state change, with a detail string.</summary>
    event Action<VmObservation>? StateChanged;

    /// <summary>Completes with the terminal observation.</summary>
    Task<VmObservation> Ended { get; }

    Task PauseAsync(CancellationToken cancellationToken = default);

    Task ResumeAsync(CancellationToken cancellationToken = default);

    Task ResetAsync(CancellationToken cancellationToken = default);

    /// <summary>Asks the guest to shut down, ends it by force after the grace period; NotRunning.</summary>
    Task<VmObservation> StopAsync(TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default);

    /// <summary>Ends the VM now; NotRunning.</summary>
    Task<VmObservation> KillAsync(CancellationToken cancellationToken = default);

    /// <summary>Lets go of the VM without stopping it (a dying agent): closes the agent's connections.</summary>
    Task DetachAsync();
}

/// <summary>What <see cref="IVmmBackend.AdoptRunningAsync"/> found.</summary>
public sealed record BackendAdoption(IReadOnlyList<IVmmInstance> Adopted, IReadOnlyList<StaleVm> Stale);

/// <summary>A VMM backend: starts VMs and re-adopts those a previous agent run left running.</summary>
public interface IVmmBackend : IAsyncDisposable
{
    VmmKind Kind { get; }

    /// <summary>Starts a VM; whenRunning runs once it runs, before its first guest line is read.</summary>
    Task<IVmmInstance> StartAsync(VmSpec spec, Action<IVmmInstance>? whenRunning, CancellationToken cancellationToken = default);

    /// <summary>Re-adopts running VMs that specFor knows (by name); cleans up the others.</summary>
    Task<BackendAdoption> AdoptRunningAsync(Func<string, VmSpec?> specFor, CancellationToken cancellationToken = default);
}
