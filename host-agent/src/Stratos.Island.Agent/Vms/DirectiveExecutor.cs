// Island directives -> VMM operations -> VmStateReports (link.proto VmDirective / VmStateReport).
// The VMM is the board's backend (IVmmBackend, docs/vmm.md "Backend contract"): QEMU, or Xen with
// the agent in dom0; the comments below name the QEMU operations, Xen's are in docs/vmm.md "Xen".
//
// Authority: the agent never starts or stops a VM on its own; it executes what the island orders and
// reports what really happened. Every directive gets exactly one report echoing its directive id:
//   START  -> QemuBackend.StartAsync -> RUNNING, or START_FAILED with the reason (missing kernel, QEMU
//             error tail); a START for a VM that already runs reports RUNNING (idempotent). A VM
//             with a heartbeat port (docs/guests.md) is RUNNING at its guest's first heartbeat.
//   STOP   -> IVmmInstance.StopAsync (powerdown, quit, SIGKILL within the timeout) -> NOT_RUNNING
//   KILL   -> IVmmInstance.KillAsync -> NOT_RUNNING
//   PAUSE / RESUME / RESET -> QMP stop / cont / system_reset -> PAUSED / RUNNING
// A directive for a VM without QEMU (STOP, KILL) reports NOT_RUNNING; one that cannot be done
// (PAUSE without QEMU, unknown VM) reports the real state with the reason in detail.
// Observations outside a directive (guest panic, triple fault, QEMU exit or death) become
// spontaneous reports (directive id 0): CRASHED or EXITED with the exit status; an expired guest
// watchdog becomes HUNG (QEMU still runs; the island escalates and directs).
//
// Ordering: directives for one VM run one after the other (a per-VM gate); different VMs run in
// parallel. Handlers are entered from the link thread and return at once.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Stratos.Island.Agent.State;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Agent.Link;
using Stratos.Island.Protocol.Link.V1;
// The host's one ObservedVmState is the codec's (the VMM backends report it); the generated
// message's enum of the same values is written only where a VmStateReport is built (Report).
using ObservedVmState = Stratos.Island.Codec.ObservedVmState;

namespace Stratos.Island.Agent.Vms;

public sealed class DirectiveExecutor : IAsyncDisposable
{
    private readonly IVmmBackend _backend;
    private readonly StateCache _cache;
    private readonly VmSpecFactory _specs;
    private readonly HeartbeatRelay _relay;
    private readonly ISupervisionSink _reports;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<uint, SemaphoreSlim> _gates = new();
    private readonly ConcurrentDictionary<uint, IVmmInstance> _running = new();
    private readonly ConcurrentDictionary<uint, int> _inDirective = new();
    private readonly ConcurrentDictionary<uint, int> _pendingPerVm = new();
    private readonly ConcurrentDictionary<uint, IVmmInstance> _awaitingAlive = new();   // heartbeat-port VMs before their first HB
    private readonly CancellationTokenSource _stop = new();
    private int _busy;

    public DirectiveExecutor(IVmmBackend backend, StateCache cache, VmSpecFactory specs, HeartbeatRelay relay, ISupervisionSink reports, ILogger logger)
    {
        _backend = backend;
        _cache = cache;
        _specs = specs;
        _relay = relay;
        _reports = reports;
        _logger = logger;
    }

    /// <summary>Raised after every report the executor sends (tests and the event log use it).</summary>
    public event Action<VmStateReport>? Reported;

    /// <summary>Directives being executed or waiting.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>The QEMU of a VM, if one runs.</summary>
    public IVmmInstance? Running(uint vmId) => _running.GetValueOrDefault(vmId);

    /// <summary>Queues a directive (returns at once; the report follows).</summary>
    public Task HandleAsync(VmDirective directive)
    {
        Interlocked.Increment(ref _busy);
        _pendingPerVm.AddOrUpdate(directive.VmId, 1, (_, n) => n + 1);
        return Task.Run(async () =>
        {
            try
            {
                await ExecuteAsync(directive).ConfigureAwait(false);
            }
            finally
            {
                _pendingPerVm.AddOrUpdate(directive.VmId, 0, (_, n) => n - 1);
                Interlocked.Decrement(ref _busy);
            }
        });
    }

    /// <summary>
    /// Re-synchronisation: one report per known VM with its real state (RUNNING / PAUSED for VMs with
    /// QEMU, NOT_RUNNING for the others), directive id 0, so the island reconciles with directives.
    /// VMs with a directive under way are skipped: that directive's report is the truth.
    /// </summary>
    public void ReportAll(IEnumerable<uint> vmIds)
    {
        foreach (uint id in vmIds.Union(_running.Keys).Distinct())
        {
            if (_pendingPerVm.TryGetValue(id, out int pending) && pending > 0)
            {
                continue; // a directive is executing or queued: its own report tells the island
            }

            if (_running.TryGetValue(id, out IVmmInstance? vm) && _awaitingAlive.TryGetValue(id, out IVmmInstance? booting) && booting == vm)
            {
                Report(id, ObservedVmState.Starting, 0, 0, "re-sync: guest booting, " + vm.Describe);
            }
            else if (_running.TryGetValue(id, out vm))
            {
                ObservedVmState state = vm.State == ObservedVmState.Paused ? ObservedVmState.Paused : ObservedVmState.Running;
                Report(id, state, 0, 0, "re-sync: " + vm.Describe);
            }
            else
            {
                Report(id, ObservedVmState.NotRunning, 0, 0, "re-sync: " + NoVm);
            }
        }
    }

    /// <summary>
    /// Agent start: re-adopts the QEMUs a previous agent run left running (QemuBackend.AdoptAsync),
    /// for every VM the cache knows by name (its definition gives the spec); they are then tracked like
    /// VMs this run started (heartbeat relay, observations, directives) and the next re-sync reports
    /// their real state. QEMUs of unknown VMs are killed; leftover folders are removed. Returns what
    /// was cleaned up.
    /// </summary>
    public async Task<IReadOnlyList<StaleVm>> AdoptRunningAsync(CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, uint>(StringComparer.Ordinal);
        BackendAdoption adoption = await _backend.AdoptRunningAsync(name =>
        {
            uint id;
            try
            {
                id = _cache.FindVm(name);
            }
            catch (AgentException)
            {
                return null;
            }

            VmDefinition? definition = _cache.Definition(id);
            if (definition is null)
            {
                return null;
            }

            ids[name] = id;
            return _specs.Create(definition);
        }, cancellationToken).ConfigureAwait(false);
        foreach (IVmmInstance vm in adoption.Adopted)
        {
            Adopt(ids[vm.Name], vm);
            _logger.LogInformation("VM '{Vm}': re-adopted {Handle} ({State})", vm.Name, vm.Describe, vm.State);
        }

        return adoption.Stale;
    }

    private async Task ExecuteAsync(VmDirective d)
    {
        SemaphoreSlim gate = _gates.GetOrAdd(d.VmId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(_stop.Token).ConfigureAwait(false);
        _inDirective[d.VmId] = 1;
        try
        {
            string name = _cache.VmName(d.VmId);
            _logger.LogInformation("directive {Id}: {Action} VM '{Vm}' ({Reason})", d.DirectiveId, d.Action, name, d.Reason);
            switch (d.Action)
            {
                case DirectiveAction.Start:
                    await StartAsync(d).ConfigureAwait(false);
                    break;
                case DirectiveAction.Stop:
                case DirectiveAction.Kill:
                    await EndAsync(d).ConfigureAwait(false);
                    break;
                case DirectiveAction.Pause:
                case DirectiveAction.Resume:
                case DirectiveAction.Reset:
                    await ControlAsync(d).ConfigureAwait(false);
                    break;
                default:
                    Report(d.VmId, CurrentState(d.VmId), d.DirectiveId, 0, "unknown directive action " + (int)d.Action);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "directive {Id} for VM {Vm} failed", d.DirectiveId, d.VmId);
            Report(d.VmId, CurrentState(d.VmId), d.DirectiveId, 0, e.Message);
        }
        finally
        {
            _inDirective.TryRemove(d.VmId, out _);
            gate.Release();
        }
    }

    private async Task StartAsync(VmDirective d)
    {
        if (_running.TryGetValue(d.VmId, out IVmmInstance? existing))
        {
            Report(d.VmId, ObservedVmState.Running, d.DirectiveId, 0, "already running, " + existing.Describe);
            return;
        }

        VmDefinition? definition = _cache.Definition(d.VmId);
        if (definition is null)
        {
            Report(d.VmId, ObservedVmState.StartFailed, d.DirectiveId, 0, $"no definition for VM id {d.VmId}");
            return;
        }

        IVmmInstance vm;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            if (d.TimeoutMs > 0)
            {
                timeout.CancelAfter(TimeSpan.FromMilliseconds(d.TimeoutMs));
            }

            // Once the VM runs and before its console is read: the relay attaches (the first heartbeat
            // is relayed too) and RUNNING goes out, so the island has it before any heartbeat (it
            // ignores alive indications of a VM it does not know to be running).
            vm = await _backend.StartAsync(_specs.Create(definition), running =>
            {
                if (running.HeartbeatPort is { } port)
                {
                    // Subscribed before the relay, so RUNNING goes out before the first indication.
                    ReportRunningWhenAlive(d, running, port);
                    _relay.Attach(d.VmId, port);
                }
                else
                {
                    _relay.Attach(d.VmId, running.Serial!);
                    Report(d.VmId, ObservedVmState.Running, d.DirectiveId, 0, running.Describe);
                }
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is VmmException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            _relay.Detach(d.VmId);
            _logger.LogWarning("VM '{Vm}': start failed: {Error}", definition.Name, e.Message);
            Report(d.VmId, ObservedVmState.StartFailed, d.DirectiveId, 0, e is OperationCanceledException ? $"not running within {d.TimeoutMs} ms" : e.Message);
            return;
        }

        Adopt(d.VmId, vm, relayAttached: true);
        _logger.LogDebug("VM '{Vm}': {Handle} start steps: {Steps}", definition.Name, vm.Describe, vm is QemuVm qemu ? qemu.StartSteps : vm is Stratos.Island.Agent.Vmm.Xen.XenDomain xen ? xen.StartSteps : null);
    }

    /// <summary>
    /// A VM with a heartbeat port is RUNNING for the island once its guest is alive: its first
    /// heartbeat on that port. A real kernel takes seconds to boot (more under TCG on a loaded host);
    /// the island arms supervision at RUNNING, so the boot is bounded by the start directive's
    /// timeout (start_timeout_ms) instead of eating the alive tolerance. The report echoes the start
    /// directive; if the island gave up meanwhile (timeout, kill) it is stale and ignored there.
    /// </summary>
    private void ReportRunningWhenAlive(VmDirective d, IVmmInstance vm, GuestSerialReader port)
    {
        int reported = 0;
        void FirstHeartbeat(uint sequence)
        {
            if (Interlocked.Exchange(ref reported, 1) != 0)
            {
                return;
            }

            port.Heartbeat -= FirstHeartbeat;
            _awaitingAlive.TryRemove(new KeyValuePair<uint, IVmmInstance>(d.VmId, vm));
            Report(d.VmId, ObservedVmState.Running, d.DirectiveId, 0, $"guest alive (HB {sequence} on its heartbeat port), {vm.Describe}");
        }

        _awaitingAlive[d.VmId] = vm;
        port.Heartbeat += FirstHeartbeat;
    }

    private void Adopt(uint vmId, IVmmInstance vm, bool relayAttached = false)
    {
        _running[vmId] = vm;
        _cache.SetPid(vmId, vm.Pid);
        if (vm.Supervision is not null && !relayAttached)
        {
            _relay.Attach(vmId, vm.Supervision);
        }

        vm.StateChanged += observation => OnObservation(vmId, vm, observation);
        _ = vm.Ended.ContinueWith(_ => Forget(vmId, vm), TaskScheduler.Default);
    }

    private void Forget(uint vmId, IVmmInstance vm)
    {
        _awaitingAlive.TryRemove(new KeyValuePair<uint, IVmmInstance>(vmId, vm));
        if (_running.TryRemove(new KeyValuePair<uint, IVmmInstance>(vmId, vm)))
        {
            _relay.Detach(vmId);
            _cache.SetPid(vmId, 0);
        }
    }

    private void OnObservation(uint vmId, IVmmInstance vm, VmObservation observation)
    {
        if (_inDirective.ContainsKey(vmId) || observation.State == ObservedVmState.NotRunning)
        {
            return; // the directive's own report covers it
        }

        if (observation.State is ObservedVmState.Crashed or ObservedVmState.Exited)
        {
            Forget(vmId, vm);
            Report(vmId, observation.State, 0, observation.ExitStatus ?? 0, observation.Detail);
        }
        else if (observation.State is ObservedVmState.Paused or ObservedVmState.Running or ObservedVmState.Hung)
        {
            Report(vmId, observation.State, 0, 0, observation.Detail);
        }
    }

    private async Task EndAsync(VmDirective d)
    {
        if (!_running.TryGetValue(d.VmId, out IVmmInstance? vm))
        {
            Report(d.VmId, ObservedVmState.NotRunning, d.DirectiveId, 0, NoVm + " running");
            return;
        }

        VmObservation end = d.Action == DirectiveAction.Kill
            ? await vm.KillAsync(_stop.Token).ConfigureAwait(false)
            : await vm.StopAsync(d.TimeoutMs > 0 ? TimeSpan.FromMilliseconds(d.TimeoutMs * 0.6) : null, _stop.Token).ConfigureAwait(false);
        Forget(d.VmId, vm);
        Report(d.VmId, ObservedVmState.NotRunning, d.DirectiveId, end.ExitStatus ?? 0, end.Detail);
    }

    private async Task ControlAsync(VmDirective d)
    {
        if (!_running.TryGetValue(d.VmId, out IVmmInstance? vm))
        {
            Report(d.VmId, ObservedVmState.NotRunning, d.DirectiveId, 0, $"cannot {d.Action.ToString().ToLowerInvariant()}: {NoVm} running");
            return;
        }

        switch (d.Action)
        {
            case DirectiveAction.Pause:
                await vm.PauseAsync(_stop.Token).ConfigureAwait(false);
                Report(d.VmId, ObservedVmState.Paused, d.DirectiveId, 0, "vCPUs stopped");
                break;
            case DirectiveAction.Resume:
                await vm.ResumeAsync(_stop.Token).ConfigureAwait(false);
                Report(d.VmId, ObservedVmState.Running, d.DirectiveId, 0, "vCPUs resumed");
                break;
            default:
                await vm.ResetAsync(_stop.Token).ConfigureAwait(false);
                Report(d.VmId, ObservedVmState.Running, d.DirectiveId, 0, "guest reset");
                break;
        }
    }

    /// <summary>What a VM without its VMM instance lacks, in reports: "no QEMU" / "no Xen domain".</summary>
    private string NoVm => _backend.Kind == VmmKind.Xen ? "no Xen domain" : "no QEMU";

    private ObservedVmState CurrentState(uint vmId) =>
        _running.TryGetValue(vmId, out IVmmInstance? vm) ? vm.State : ObservedVmState.NotRunning;

    private void Report(uint vmId, ObservedVmState state, uint directiveId, int exitStatus, string detail)
    {
        var report = new VmStateReport { VmId = vmId, State = (Stratos.Island.Protocol.Link.V1.ObservedVmState)state, DirectiveId = directiveId, ExitStatus = exitStatus, Detail = Truncate(detail) };
        if (!_reports.Post(new Envelope { VmStateReport = report }))
        {
            _logger.LogWarning("VM {Vm}: report {State} (directive {Directive}) not sent: link down or queue full", vmId, state, directiveId);
        }
        else
        {
            _logger.LogInformation("VM {Vm}: reported {State} (directive {Directive}): {Detail}", vmId, state, directiveId, report.Detail);
        }

        Reported?.Invoke(report);
    }

    private static string Truncate(string text) =>
        WireText.Fit(text.ReplaceLineEndings(" "), Stratos.Island.Codec.Link.VmStateReport.DetailMaxLength);

    /// <summary>
    /// Agent shutdown: stops executing directives. VMs keep running (docs/agent.md: on a clean stop
    /// the island decides; the next agent run re-adopts them, AdoptRunningAsync).
    /// </summary>
    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        return ValueTask.CompletedTask;
    }
}
