// One PV domain of the Xen backend (docs/vmm.md "Xen"): launch, operations, and what Xen reports
// mapped to observed states.
//
// Launch: `xl create -p` (built, vCPUs paused) -> `xl domid` -> the console pty from xenstore
// (/local/domain/<id>/console/tty, written by xenconsoled) opened raw -> `xl unpause` -> Running,
// the caller's hook, then the console is read. The console is the supervision channel (a PV domain
// has no virtio-serial port): the agent reports RUNNING at the first heartbeat on it.
//
// Observation (XenBackend refreshes on every @releaseDomain event and when the console closes):
//   row with flag c (on_crash = "preserve" keeps it)     -> Crashed, then `xl destroy`
//   row with flag s (shut down, xl not yet done with it)  -> Exited, then `xl destroy`
//   no row, or a row of another domain id (a successor)   -> Exited: the guest shut down and xl
//                                                            destroyed it (on_poweroff/on_reboot),
//                                                            or something outside the agent did
//   row paused / running differing from the state         -> Paused / Running
// The detail carries what the guest announced on its console before (SHUTDOWN reboot|poweroff,
// PANIC ...). Xen gives no exit status: ExitStatus stays null.
//
// Operations: pause/resume = `xl pause`/`xl unpause`; stop = `xl shutdown` (PV control/shutdown =
// poweroff), then `xl destroy` when the domain is not gone within the grace period or has no PV
// control yet; kill = `xl destroy`. Reset has no PV equivalent that keeps the island in charge
// (on_reboot = "destroy"): it is refused, the island restarts a VM by stop and start.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Xen;

/// <summary>A PV domain started or re-adopted by <see cref="XenBackend"/>.</summary>
public sealed class XenDomain : IVmmInstance
{
    private readonly XenBackend _backend;
    private readonly TaskCompletionSource<VmObservation> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _operation = new(1, 1);
    private readonly object _stateLock = new();
    private ObservedVmState _state = ObservedVmState.Starting;
    private int _ending;
    private string? _announcedShutdown;
    private string? _panic;

    internal XenDomain(XenBackend backend, XenDomainSpec spec, string directory)
    {
        _backend = backend;
        Spec = spec;
        Directory = directory;
    }

    public XenDomainSpec Spec { get; }

    public string Name => Spec.Name;

    /// <summary>RUN/NAME: domain.cfg and domid.</summary>
    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, XenBackend.ConfigFileName);

    /// <summary>Xen's domain id (0 until created).</summary>
    public int DomainId { get; private set; }

    public int Pid => DomainId;

    public string Describe => "Xen domain " + DomainId.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when a previous agent run created this domain.</summary>
    public bool Adopted { get; private set; }

    /// <summary>The console pty's path in dom0.</summary>
    public string? ConsolePath { get; private set; }

    /// <summary>The domain console (hvc0): guest lines and commands.</summary>
    public GuestSerialReader? Serial { get; private set; }

    /// <summary>The console is also the heartbeat channel: RUNNING for the island at its first heartbeat.</summary>
    public GuestSerialReader? HeartbeatPort => Serial;

    public GuestSerialReader? Supervision => Serial;

    /// <summary>Milliseconds from the start of the launch: domain built (paused), console open, unpaused (Running), first heartbeat.</summary>
    public XenStartTimeline StartSteps { get; } = new();

    public event Action<VmObservation>? StateChanged;

    public ObservedVmState State
    {
        get
        {
            lock (_stateLock)
                return _state;
        }
    }

    public Task<VmObservation> Ended => _ended.Task;

    internal async Task LaunchAsync(Action<XenDomain>? whenRunning, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Raise(ObservedVmState.Starting, "xl create -p", null);
        bool created = false;
        string step = "xl create";
        try
        {
            await _backend.Tool.CreatePausedAsync(ConfigPath, cancellationToken).ConfigureAwait(false);
            created = true;
            StartSteps.CreatedMs = clock.Elapsed.TotalMilliseconds;
            step = "domain id";
            DomainId = await _backend.Tool.DomainIdAsync(Name, cancellationToken).ConfigureAwait(false);
            File.WriteAllText(Path.Combine(Directory, XenBackend.DomainIdFileName), DomainId.ToString(CultureInfo.InvariantCulture));
            step = "console";
            await OpenConsoleAsync(cancellationToken).ConfigureAwait(false);
            StartSteps.ConsoleMs = clock.Elapsed.TotalMilliseconds;
            Serial!.Heartbeat += _ => { if (StartSteps.FirstHeartbeatMs == 0) StartSteps.FirstHeartbeatMs = clock.Elapsed.TotalMilliseconds; };
            step = "xl unpause";
            await _backend.Tool.UnpauseAsync(Name, cancellationToken).ConfigureAwait(false);
            StartSteps.RunningMs = clock.Elapsed.TotalMilliseconds;
        }
        catch (Exception e) when (e is VmmException or IOException or OperationCanceledException)
        {
            await AbandonAsync(created).ConfigureAwait(false);
            if (e is OperationCanceledException)
                throw;
            throw new VmmException(e is VmmException v ? v.Kind : VmmErrorKind.StartFailed, $"domain '{Name}' did not start ({step}): {e.Message}", e);
        }

        Raise(ObservedVmState.Running, $"{Describe}, PV", null);
        whenRunning?.Invoke(this);
        Serial!.StartReading();
        // A release event during the launch was not this domain's to act on: read the list once now.
        _ = _backend.RefreshAsync();
    }

    /// <summary>
    /// After a failed `xl create`: whether a domain of this name exists all the same. The launch
    /// refused a name already in use, so such a domain is this create's: an `xl create` killed at
    /// its time-out may have built it (Xen run of 2026-12-07 20:41 UTC: 'web' left as domain 2, and
    /// every later start refused as "already exists, not started by this agent").
    /// </summary>
    private async Task<bool> CreatedAnywayAsync()
    {
        try
        {
            IReadOnlyList<XenDomainRow> rows = await _backend.Tool.ListAsync(CancellationToken.None).ConfigureAwait(false);
            return rows.Any(r => r.Name == Name);
        }
        catch (VmmException)
        {
            return true;   // the list cannot tell: destroy quietly (nothing to destroy is not an error)
        }
    }

    internal async Task AdoptAsync(XenDomainRow row, CancellationToken cancellationToken)
    {
        Adopted = true;
        DomainId = row.DomainId;
        await OpenConsoleAsync(cancellationToken).ConfigureAwait(false);
        Raise(row.Observed, $"re-adopted {Describe}", null);
        Serial!.StartReading();
    }

    private async Task OpenConsoleAsync(CancellationToken cancellationToken)
    {
        // xenconsoled publishes the pty shortly after the domain is introduced.
        string key = $"/local/domain/{DomainId.ToString(CultureInfo.InvariantCulture)}/console/tty";
        var waited = Stopwatch.StartNew();
        string tty = "";
        while (true)
        {
            try
            {
                tty = await _backend.Tool.ReadAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (VmmException) when (waited.Elapsed < _backend.Options.ConsoleTimeout)
            {
                tty = "";
            }

            if (tty.Length > 0)
                break;
            if (waited.Elapsed >= _backend.Options.ConsoleTimeout)
                throw new VmmException(VmmErrorKind.StartFailed, $"xenconsoled did not publish {key} within {_backend.Options.ConsoleTimeout.TotalSeconds:0.#} s (is xenconsoled running?)");
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        ConsolePath = tty;
        var reader = GuestSerialReader.Attach(ConsolePty.Open(tty), tty);
        reader.ShutdownAnnounced += text => _announcedShutdown = text;
        reader.Panic += text => _panic = text;
        // The console closes when xenconsoled lets go of the domain: read the list then.
        _ = reader.Closed.ContinueWith(_ => _backend.RefreshAsync(), TaskScheduler.Default);
        Serial = reader;
    }

    /// <summary>What Xen reports now (row null: no such domain) -> the observed state.</summary>
    internal async Task ObserveAsync(XenDomainRow? row)
    {
        if (_ended.Task.IsCompleted || State == ObservedVmState.Starting)
            return;   // a launch observes its own failures
        if (row is null || row.DomainId != DomainId)
        {
            _gone.TrySetResult();
            if (Volatile.Read(ref _ending) != 0)
                return;   // stop / kill finish it
            string detail = _announcedShutdown is { } what
                ? $"guest {what} (announced SHUTDOWN {what}); domain destroyed by xl"
                : "gone: shut down by the guest or destroyed outside the agent";
            await FinishAsync(ObservedVmState.Exited, detail, destroy: false).ConfigureAwait(false);
            return;
        }

        ObservedVmState observed = row.Observed;
        if (observed == ObservedVmState.Crashed)
        {
            await FinishAsync(ObservedVmState.Crashed, "domain crashed (Xen state c)" + (_panic is { } p ? ": PANIC " + p : ""), destroy: true).ConfigureAwait(false);
        }
        else if (observed == ObservedVmState.Exited)
        {
            if (Volatile.Read(ref _ending) != 0)
                return;
            string detail = _announcedShutdown is { } what ? $"guest {what} (announced SHUTDOWN {what})" : "guest shut down (Xen state s)";
            await FinishAsync(ObservedVmState.Exited, detail, destroy: true).ConfigureAwait(false);
        }
        else if (Volatile.Read(ref _ending) == 0 && _operation.CurrentCount > 0 && observed != State && State is ObservedVmState.Running or ObservedVmState.Paused)
        {
            Raise(observed, observed == ObservedVmState.Paused ? "paused outside the agent" : "unpaused outside the agent", null);
        }
    }

    public async Task PauseAsync(CancellationToken cancellationToken = default)
    {
        await RunOperationAsync(() => _backend.Tool.PauseAsync(Name, cancellationToken), cancellationToken).ConfigureAwait(false);
        Raise(ObservedVmState.Paused, "xl pause", null);
    }

    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        await RunOperationAsync(() => _backend.Tool.UnpauseAsync(Name, cancellationToken), cancellationToken).ConfigureAwait(false);
        Raise(ObservedVmState.Running, "xl unpause", null);
    }

    public Task ResetAsync(CancellationToken cancellationToken = default) =>
        throw new VmmException(VmmErrorKind.InvalidState,
            $"domain '{Name}': reset is not supported on Xen (a PV domain reboots through xl, which on_reboot = \"destroy\" hands to the island: stop and start it)");

    /// <summary>`xl shutdown`, then `xl destroy` when the domain is not gone within the grace period.</summary>
    public async Task<VmObservation> StopAsync(TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default)
    {
        TimeSpan grace = gracePeriod ?? _backend.Options.StopGracePeriod;
        var clock = Stopwatch.StartNew();
        Interlocked.Exchange(ref _ending, 1);
        string how;
        try
        {
            await _backend.Tool.ShutdownAsync(Name, cancellationToken).ConfigureAwait(false);
            how = await WaitGoneAsync(grace, cancellationToken).ConfigureAwait(false)
                ? $"shut down by the guest in {clock.ElapsedMilliseconds} ms"
                : $"not down within {grace.TotalMilliseconds:0} ms: destroyed";
        }
        catch (VmmException e) when (e.Kind == VmmErrorKind.XenToolFailed)
        {
            // No PV control yet (still booting) or already gone.
            how = "destroyed (xl shutdown failed: " + e.Message + ")";
        }

        if (!_gone.Task.IsCompleted)
            await _backend.DestroyQuietlyAsync(Name, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(ObservedVmState.NotRunning, how, destroy: false).ConfigureAwait(false);
    }

    /// <summary>`xl destroy`: the domain ends now.</summary>
    public async Task<VmObservation> KillAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _ending, 1);
        if (!_ended.Task.IsCompleted)
            await _backend.DestroyQuietlyAsync(Name, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(ObservedVmState.NotRunning, "destroyed (xl destroy)", destroy: false).ConfigureAwait(false);
    }

    public async Task DetachAsync()
    {
        _backend.Forget(this);
        if (Serial is not null)
            await Serial.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<bool> WaitGoneAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        try
        {
            await _gone.Task.WaitAsync(grace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task RunOperationAsync(Func<Task> operation, CancellationToken cancellationToken)
    {
        if (_ended.Task.IsCompleted)
            throw new VmmException(VmmErrorKind.InvalidState, $"domain '{Name}' has ended ({_ended.Task.Result.State})");
        await _operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await operation().ConfigureAwait(false);
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>The terminal state, once: closes the console, destroys the domain if asked, removes the folder.</summary>
    private async Task<VmObservation> FinishAsync(ObservedVmState state, string detail, bool destroy)
    {
        if (_ended.Task.IsCompleted)
            return await _ended.Task.ConfigureAwait(false);
        var observation = new VmObservation(Name, state, detail, null, DateTimeOffset.UtcNow);
        lock (_stateLock)
        {
            if (_ended.Task.IsCompleted)
                return _ended.Task.Result;
            _state = state;
        }

        if (destroy)
        {
            Interlocked.Exchange(ref _ending, 1);
            await _backend.DestroyQuietlyAsync(Name, CancellationToken.None).ConfigureAwait(false);
        }

        _backend.Forget(this);
        if (Serial is not null)
            await Serial.DisposeAsync().ConfigureAwait(false);
        XenBackend.TryDeleteDirectory(Directory);
        StateChanged?.Invoke(observation);
        _ended.TrySetResult(observation);
        return observation;
    }

    private async Task AbandonAsync(bool created)
    {
        Interlocked.Exchange(ref _ending, 1);
        if (created || await CreatedAnywayAsync().ConfigureAwait(false))
            await _backend.DestroyQuietlyAsync(Name, CancellationToken.None).ConfigureAwait(false);
        if (Serial is not null)
            await Serial.DisposeAsync().ConfigureAwait(false);
        XenBackend.TryDeleteDirectory(Directory);
        var observation = new VmObservation(Name, ObservedVmState.StartFailed, "start failed", null, DateTimeOffset.UtcNow);
        lock (_stateLock)
            _state = ObservedVmState.StartFailed;
        _ended.TrySetResult(observation);
    }

    private void Raise(ObservedVmState state, string detail, int? exitStatus)
    {
        lock (_stateLock)
            _state = state;
        StateChanged?.Invoke(new VmObservation(Name, state, detail, exitStatus, DateTimeOffset.UtcNow));
    }
}

/// <summary>Milliseconds from the start of a Xen domain's launch to the end of each step (0 until reached).</summary>
public sealed class XenStartTimeline
{
    public double CreatedMs { get; internal set; }
    public double ConsoleMs { get; internal set; }
    public double RunningMs { get; internal set; }
    public double FirstHeartbeatMs { get; internal set; }

    public override string ToString() => FormattableString.Invariant(
        $"created (paused) {CreatedMs:0.0} ms, console {ConsoleMs:0.0} ms, running {RunningMs:0.0} ms, first heartbeat {FirstHeartbeatMs:0.0} ms");
}
