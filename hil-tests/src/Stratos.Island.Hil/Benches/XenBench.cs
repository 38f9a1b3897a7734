using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// The virtual bench on the Xen board (./hil.sh --vmm xen, docs/hil.md "The Xen bench"): island-sim
/// on the host, the agent in dom0 of the Xen machine, the VMs PV Linux domUs. One
/// <see cref="XenMachine"/> serves every scenario of a run; each bench (one per scenario) starts
/// from a clean machine: the previous agent killed, every domain destroyed, island-sim started
/// again on an empty state (a new boot on this bench's clock), then the agent, so the island boots
/// the board's roster from scratch.
///
/// Faults, each a command in dom0 (its injection time = when dom0 began it):
/// - guest hang = `xl pause VM` (the vCPUs stop: no heartbeats, the domain alive; Xen reports nothing);
/// - guest crash = `xl destroy VM` (the domain ends abruptly from outside, as SIGKILL ends a QEMU);
/// - agent kill = SIGKILL to the agent in dom0; the bench starts it again (like Restart=always),
///   and it re-adopts the running domains.
/// </summary>
public sealed class XenBench : IBench
{
    private readonly Func<CancellationToken, Task<XenMachine>> _machine;
    private readonly CancellationTokenSource _stop = new();
    private XenMachine? _started;
    private AgentApi? _api;
    private Task? _pump;

    /// <param name="machine">the run's machine, booted on first use</param>
    public XenBench(Func<CancellationToken, Task<XenMachine>> machine)
    {
        _machine = machine;
        Events = new EventRecorder(Clock);
    }

    public string Name => "virtual-xen";
    public RunClock Clock { get; private set; } = new();
    public EventRecorder Events { get; private set; }

    /// <summary>Two PV domains booted one after the other in a TCG dom0 (21-58 s each, docs/benchmarks.md "xen-start"), after the agent's start.</summary>
    public TimeSpan BootTime => TimeSpan.FromMinutes(6);

    /// <summary>Detection, `xl destroy` of the old domain (seconds under TCG), a new domain's boot.</summary>
    public TimeSpan RecoveryTime => TimeSpan.FromMinutes(4);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var machine = await _machine(cancellationToken).ConfigureAwait(false);
        await machine.CleanDom0Async(cancellationToken).ConfigureAwait(false);
        // The scenario's time axis starts with the island's new boot.
        Clock = new RunClock();
        Events = new EventRecorder(Clock);
        await machine.RestartIslandAsync(cancellationToken).ConfigureAwait(false);
        int apiStarts = machine.ApiStarts();
        await machine.StartAgentAsync(cancellationToken).ConfigureAwait(false);
        await machine.WaitForAgentApiAsync(apiStarts, cancellationToken).ConfigureAwait(false);
        _started = machine;
        _api = new AgentApi(machine.ApiSocket);
        _pump = _api.PumpEventsAsync(Events, 1, _stop.Token);
    }

    public string? CanInject(FaultKind fault) => fault switch
    {
        FaultKind.GuestHang or FaultKind.GuestCrash or FaultKind.AgentKill => null,
        _ => $"{fault} is not injected on the Xen board (docs/hil.md \"The Xen bench\")",
    };

    public async Task<double> InjectAsync(FaultKind fault, string target, CancellationToken cancellationToken)
    {
        if (CanInject(fault) is string reason)
            throw new NotSupportedException("xen bench: " + reason);
        var machine = _started ?? throw new InvalidOperationException("xen bench: not started");
        if (fault is FaultKind.GuestHang or FaultKind.GuestCrash && !IsVmName(target))
            throw new ArgumentException($"xen bench: '{target}' is not a VM name", nameof(target));
        string script = fault switch
        {
            FaultKind.GuestHang => "xl pause " + target,
            FaultKind.GuestCrash => "xl destroy " + target,
            _ => "kill -9 \"$pid\"",
        };
        // The agent's pid is read before the injection mark with builtins: the kill then follows the
        // mark at once (a `$(cat ...)` forked and exec'd after it: up to 5 s in a busy TCG dom0).
        string? prepare = fault == FaultKind.AgentKill ? "read -r pid < /run/island/agent.pid" : null;
        var done = await machine.RunInDom0Async(script, TimeSpan.FromMinutes(1), cancellationToken, prepare).ConfigureAwait(false);
        if (done.Status != 0)
            throw new InvalidOperationException($"xen bench: '{script}' in dom0 failed ({done.Status}): {done.Output}");
        machine.NoteInjection($"{DateTime.UtcNow:HH:mm:ss.fff} {fault} '{script}': began {Clock.NowMs - Stopwatch.GetElapsedTime(done.StartedTimestamp).TotalMilliseconds:0} ms into the scenario, returned {Stopwatch.GetElapsedTime(done.StartedTimestamp).TotalMilliseconds:0} ms later");
        if (fault == FaultKind.AgentKill)
            await machine.StartAgentAsync(cancellationToken).ConfigureAwait(false);
        return Clock.NowMs - Stopwatch.GetElapsedTime(done.StartedTimestamp).TotalMilliseconds;
    }

    private static bool IsVmName(string name) => name.Length > 0 && name.Length <= 64
        && name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") < 0;

    public AgentApi Api => _api ?? throw new InvalidOperationException("xen bench: not started");

    public Task<IReadOnlyList<Vm>> ListVmsAsync(CancellationToken cancellationToken) => Api.ListVmsAsync(cancellationToken);

    public Task<GetSupervisionStatusResponse> GetSupervisionStatusAsync(CancellationToken cancellationToken) => Api.GetSupervisionStatusAsync(cancellationToken);

    /// <summary>Lets go of the machine; the next bench (or the run's end) cleans it.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            if (_pump is not null)
                await _pump.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already stopping.
        }
        _api?.Dispose();
        _stop.Dispose();
    }
}
