// The Xen VMM backend (docs/vmm.md "Xen"): the agent runs in dom0 and each VM is a PV domain that
// `xl` creates from a configuration the backend writes (XlConfig). Beside QemuBackend, behind the
// same contract (IVmmBackend, VmmBackend.cs).
//
// Runtime folder per domain: RUN/NAME/{domain.cfg, domid}. domain.cfg marks the domain as this
// backend's: a domain without a folder is never touched (re-adoption, cleanup).
//
// Observation is driven by xenstore, not by polling: one `xenstore-watch @releaseDomain` process per
// backend prints a line whenever any domain shuts down, crashes or is destroyed (xenstored fires the
// watch on each of these); each line makes the backend read `xl list` once and hand every tracked
// domain its row (XenDomain.Observe). The closing of a domain's console (xenconsoled closes the pty
// when the domain goes) triggers the same read. The watch prints its path once when it is set: the
// backend waits for that line before it creates a domain, so no release is missed.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Xen;

/// <summary>Tunables of the Xen backend.</summary>
public sealed record XenBackendOptions
{
    /// <summary>Root of the per-domain folders (the agent's runtime directory).</summary>
    public required string RuntimeDirectory { get; init; }
    public string Xl { get; init; } = "xl";
    public string XenstoreRead { get; init; } = "xenstore-read";
    public string XenstoreWatch { get; init; } = "xenstore-watch";
    /// <summary>Time-out of one toolstack command (xl create of a large domain takes seconds under TCG).</summary>
    public TimeSpan ToolTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long xenconsoled may take to publish a new domain's console pty.</summary>
    public TimeSpan ConsoleTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Default grace period of a stop (`xl shutdown`, then `xl destroy`).</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Starts PV domains and observes them through xenstore; re-adopts them after an agent restart.</summary>
public sealed class XenBackend : IVmmBackend
{
    internal const string ConfigFileName = "domain.cfg";
    internal const string DomainIdFileName = "domid";

    private readonly ConcurrentDictionary<string, XenDomain> _domains = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly SemaphoreSlim _watchGate = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private Process? _watch;
    private int _refreshQueued;

    public XenBackend(XenBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        RuntimeDirectory = Path.GetFullPath(options.RuntimeDirectory);
        Tool = new XlTool(options.Xl, options.XenstoreRead, options.ToolTimeout);
        Directory.CreateDirectory(RuntimeDirectory);
    }

    public VmmKind Kind => VmmKind.Xen;

    public XenBackendOptions Options { get; }

    public string RuntimeDirectory { get; }

    public XlTool Tool { get; }

    /// <summary>Domains this backend tracks.</summary>
    public IReadOnlyList<XenDomain> Domains => _domains.Values.ToList();

    /// <summary>Release events the watch delivered (tests check that observation is event-driven).</summary>
    public long WatchEvents => Interlocked.Read(ref _watchEvents);

    private long _watchEvents;

    /// <summary>The machine name of a VM definition for this backend: a PV domain.</summary>
    public const string PvMachine = "xen-pv";

    /// <summary>
    /// The PV domain a VmSpec describes. QEMU-only parts of a spec are refused naming the field
    /// (a PV domain has no disk device here, no virtio-serial heartbeat port, no i6300esb, no
    /// pvpanic, no QEMU arguments); the machine must be <see cref="PvMachine"/>; the accelerator
    /// does not apply (Xen runs the domain) and is ignored.
    /// </summary>
    public static XenDomainSpec DomainSpec(VmSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? unsupported =
            spec.Machine != PvMachine ? $"machine: '{spec.Machine}' is not a Xen machine; the Xen backend runs '{PvMachine}' domains"
            : spec.Disk is not null ? "disk: a disk image is not supported on the Xen backend (a PV domain boots from kernel and initrd)"
            : spec.HeartbeatPort ? "heartbeat_port: a Xen PV domain has no virtio-serial port; its heartbeats are read on its console (hvc0)"
            : spec.Watchdog ? "watchdog: the i6300esb is a QEMU device; a hang of a Xen domain is detected by its missing heartbeats"
            : spec.PanicDevice ? "panic_device: pvpanic is a QEMU device; Xen itself reports a crashed PV domain"
            : spec.ExtraArgs.Count > 0 ? $"extra_args: QEMU arguments ('{string.Join(' ', spec.ExtraArgs)}') do not apply to a Xen domain"
            : null;
        if (unsupported is not null)
            throw new VmmException(VmmErrorKind.InvalidSpec, $"VM '{spec.Name}': {unsupported}");
        return new XenDomainSpec
        {
            Name = spec.Name,
            Kernel = spec.Kernel,
            Ramdisk = spec.Initrd,
            Cmdline = spec.Cmdline,
            MemoryMib = spec.MemoryMib,
            Vcpus = spec.Vcpus,
        };
    }

    async Task<IVmmInstance> IVmmBackend.StartAsync(VmSpec spec, Action<IVmmInstance>? whenRunning, CancellationToken cancellationToken) =>
        await StartAsync(DomainSpec(spec), whenRunning is null ? null : d => whenRunning(d), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Creates the domain paused, connects its console, unpauses it and runs whenRunning before the
    /// console is read. Any failure destroys what was created, removes the folder and throws
    /// VmmException naming the domain and the failed step.
    /// </summary>
    public async Task<XenDomain> StartAsync(XenDomainSpec spec, Action<XenDomain>? whenRunning = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string config = XlConfig.Generate(spec);
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        if (_domains.ContainsKey(spec.Name))
            throw new VmmException(VmmErrorKind.InvalidState, $"domain '{spec.Name}' is already running under this agent");
        await EnsureWatchingAsync(cancellationToken).ConfigureAwait(false);
        XenDomainRow? existing = (await Tool.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Name == spec.Name);
        if (existing is not null)
            throw new VmmException(VmmErrorKind.InvalidState, $"domain '{spec.Name}' already exists (id {existing.DomainId}, not started by this agent): not started twice");

        string directory = Path.Combine(RuntimeDirectory, spec.Name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ConfigFileName), config);
        var domain = new XenDomain(this, spec, directory);
        _domains[spec.Name] = domain;
        try
        {
            await domain.LaunchAsync(whenRunning, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _domains.TryRemove(new KeyValuePair<string, XenDomain>(spec.Name, domain));
            throw;
        }

        return domain;
    }

    async Task<BackendAdoption> IVmmBackend.AdoptRunningAsync(Func<string, VmSpec?> specFor, CancellationToken cancellationToken)
    {
        (IReadOnlyList<XenDomain> adopted, IReadOnlyList<StaleVm> stale) = await AdoptAsync(name => specFor(name) is { } spec ? DomainSpec(spec) : null, cancellationToken).ConfigureAwait(false);
        return new BackendAdoption(adopted, stale);
    }

    /// <summary>
    /// Agent start: every folder under the runtime root names a domain a previous run created. A
    /// domain that still runs (or is paused) and that specFor knows is re-adopted (console reopened,
    /// state from `xl list`); one specFor does not know, or one that crashed or shut down meanwhile,
    /// is destroyed; a folder without a domain is removed. Each of the latter is a StaleVm report
    /// (Pid = the domain id, -1 when gone). Domains without a folder are not this backend's and are
    /// left alone.
    /// </summary>
    public async Task<(IReadOnlyList<XenDomain> Adopted, IReadOnlyList<StaleVm> Stale)> AdoptAsync(Func<string, XenDomainSpec?> specFor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(specFor);
        var adopted = new List<XenDomain>();
        var stale = new List<StaleVm>();
        string[] folders = Directory.GetDirectories(RuntimeDirectory)
            .Where(d => File.Exists(Path.Combine(d, ConfigFileName)) && !_domains.ContainsKey(Path.GetFileName(d)))
            .ToArray();
        if (folders.Length == 0)
            return (adopted, stale);
        await EnsureWatchingAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<XenDomainRow> rows = await Tool.ListAsync(cancellationToken).ConfigureAwait(false);
        foreach (string folder in folders)
        {
            string name = Path.GetFileName(folder);
            XenDomainRow? row = rows.FirstOrDefault(r => r.Name == name);
            if (row is null)
            {
                TryDeleteDirectory(folder);
                stale.Add(new StaleVm(name, -1, folder, false, "domain gone; folder removed"));
                continue;
            }

            XenDomainSpec? spec = specFor(name);
            ObservedVmState observed = row.Observed;
            if (spec is null || observed is not (ObservedVmState.Running or ObservedVmState.Paused))
            {
                string why = spec is null ? "no VM of that name" : $"found {observed}";
                await DestroyQuietlyAsync(name, cancellationToken).ConfigureAwait(false);
                TryDeleteDirectory(folder);
                stale.Add(new StaleVm(name, row.DomainId, folder, true, $"{why}: domain {row.DomainId} destroyed"));
                continue;
            }

            var domain = new XenDomain(this, spec, folder);
            _domains[name] = domain;
            try
            {
                await domain.AdoptAsync(row, cancellationToken).ConfigureAwait(false);
                adopted.Add(domain);
            }
            catch (VmmException e)
            {
                _domains.TryRemove(new KeyValuePair<string, XenDomain>(name, domain));
                await DestroyQuietlyAsync(name, cancellationToken).ConfigureAwait(false);
                TryDeleteDirectory(folder);
                stale.Add(new StaleVm(name, row.DomainId, folder, true, $"not adoptable ({e.Message}): destroyed"));
            }
        }

        return (adopted, stale);
    }

    /// <summary>Reads `xl list` once (coalescing requests that arrive meanwhile) and hands each tracked domain its row.</summary>
    internal async Task RefreshAsync()
    {
        if (Interlocked.Exchange(ref _refreshQueued, 1) != 0)
            return;   // a refresh is queued and will read the list after this event anyway
        await _refreshGate.WaitAsync().ConfigureAwait(false);
        try
        {
            Interlocked.Exchange(ref _refreshQueued, 0);
            if (_domains.IsEmpty || _disposing.IsCancellationRequested)
                return;
            IReadOnlyList<XenDomainRow> rows;
            try
            {
                rows = await Tool.ListAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is VmmException or OperationCanceledException)
            {
                return;   // xl unavailable now: the next event reads again
            }

            foreach (XenDomain domain in _domains.Values)
                await domain.ObserveAsync(rows.FirstOrDefault(r => r.Name == domain.Name)).ConfigureAwait(false);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    internal void Forget(XenDomain domain) => _domains.TryRemove(new KeyValuePair<string, XenDomain>(domain.Name, domain));

    internal async Task DestroyQuietlyAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await Tool.DestroyAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (VmmException)
        {
            // already gone
        }
    }

    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Starts `xenstore-watch @releaseDomain` unless it runs; returns once the watch is set.</summary>
    private async Task EnsureWatchingAsync(CancellationToken cancellationToken)
    {
        await _watchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_watch is { HasExited: false })
                return;
            _watch?.Dispose();
            var info = new ProcessStartInfo(Options.XenstoreWatch)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add("@releaseDomain");
            Process watch;
            try
            {
                watch = Process.Start(info) ?? throw new VmmException(VmmErrorKind.XenToolFailed, $"'{Options.XenstoreWatch}' did not start");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new VmmException(VmmErrorKind.XenToolFailed, $"'{Options.XenstoreWatch}' cannot be run ({e.Message}): is this dom0 with Xen's tools installed?", e);
            }

            watch.StandardInput.Close();
            Task<string> errors = watch.StandardError.ReadToEndAsync(CancellationToken.None);
            // xenstore-watch prints the path once when the watch is set.
            string? first;
            try
            {
                first = await watch.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(Options.ToolTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                first = null;
            }

            if (first is null || XenWatchEvent.Parse(first)?.Kind != XenWatchKind.DomainReleased)
            {
                try
                {
                    watch.Kill();
                }
                catch (InvalidOperationException)
                {
                }

                await watch.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                string tail = (await errors.ConfigureAwait(false)).Trim();
                watch.Dispose();
                throw new VmmException(VmmErrorKind.XenToolFailed,
                    $"'{Options.XenstoreWatch} @releaseDomain' did not set its watch" + (tail.Length > 0 ? ": " + tail : first is null ? " (no output)" : $" (printed '{first}')"));
            }

            _watch = watch;
            _ = Task.Run(() => PumpWatchAsync(watch));
        }
        finally
        {
            _watchGate.Release();
        }
    }

    private async Task PumpWatchAsync(Process watch)
    {
        try
        {
            while (await watch.StandardOutput.ReadLineAsync(_disposing.Token).ConfigureAwait(false) is { } line)
            {
                if (XenWatchEvent.Parse(line)?.Kind == XenWatchKind.DomainReleased)
                {
                    Interlocked.Increment(ref _watchEvents);
                    await RefreshAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }

        // The watch ended (xenstored went away, or the backend is disposed): read the list once, and
        // set a new watch for the domains still tracked.
        if (_disposing.IsCancellationRequested)
            return;
        await RefreshAsync().ConfigureAwait(false);
        if (!_domains.IsEmpty)
        {
            try
            {
                await EnsureWatchingAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is VmmException or OperationCanceledException)
            {
                WatchError = e.Message;
            }
        }
    }

    /// <summary>Why the release watch could not be set again after it ended (null while it runs).</summary>
    public string? WatchError { get; private set; }

    /// <summary>Destroys every domain this backend still tracks and stops the watch.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (XenDomain domain in _domains.Values)
        {
            try
            {
                await domain.KillAsync().ConfigureAwait(false);
            }
            catch (VmmException)
            {
                // reported by the domain's own observation
            }
        }

        _disposing.Cancel();
        Process? watch = _watch;
        if (watch is not null)
        {
            try
            {
                watch.Kill();
            }
            catch (InvalidOperationException)
            {
            }

            await watch.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            watch.Dispose();
        }
    }
}
