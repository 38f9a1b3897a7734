using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// One test bench: a running island + agent + VMs that scenarios drive and observe.
/// Two implementations share this seam: the virtual bench (island-sim + island-agent + QEMU here)
/// and <see cref="BoardBench"/> (a real board described by a bench file). Scenarios ask
/// <see cref="CanInject"/> first and are skipped with the returned reason when the bench cannot.
/// </summary>
public interface IBench : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The run's time axis; every time the bench records is on it.</summary>
    RunClock Clock { get; }

    /// <summary>The island's events since <see cref="StartAsync"/> (WatchEvents stream).</summary>
    EventRecorder Events { get; }

    /// <summary>Brings the bench up (or attaches to it) and starts recording events.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Null when the bench can inject the fault, else why not ("board has no power hook").</summary>
    string? CanInject(FaultKind fault);

    /// <summary>Injects a fault and returns its injection time on the run's axis.</summary>
    Task<double> InjectAsync(FaultKind fault, string target, CancellationToken cancellationToken);

    /// <summary>The operator API client (for calls beyond the two below: power, VM requests).</summary>
    AgentApi Api { get; }

    /// <summary>The operator API's VM list (VmService.ListVms).</summary>
    Task<IReadOnlyList<Vm>> ListVmsAsync(CancellationToken cancellationToken);

    /// <summary>The operator API's supervision status (SupervisionService.GetSupervisionStatus).</summary>
    Task<GetSupervisionStatusResponse> GetSupervisionStatusAsync(CancellationToken cancellationToken);

    /// <summary>How long the scenarios wait for the VMs to boot (their first heartbeat reaching the island).</summary>
    TimeSpan BootTime => TimeSpan.FromSeconds(40);

    /// <summary>How long the scenarios wait for a VM to run again after a fault (detection, action, boot).</summary>
    TimeSpan RecoveryTime => TimeSpan.FromSeconds(40);
}
