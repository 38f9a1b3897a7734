using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// A real board, described by a <see cref="BenchFile"/>. The agent is reached on a local UNIX socket,
/// or through <c>ssh -N -L local:remote host</c> started (and stopped) by the bench. Faults come from
/// the bench file's hooks: power cut (power_off + power_on), island reset, A-cluster reset. Faults that
/// need the heartbeat guest's console, the agent's process or a link shim are not reachable on a
/// board through the operator API, so <see cref="CanInject"/> names why and the scenario is skipped.
/// </summary>
public sealed class BoardBench : IBench
{
    private readonly BenchFile _file;
    private readonly CancellationTokenSource _stop = new();
    private Process? _tunnel;
    private AgentApi? _api;
    private Task? _pump;

    public BoardBench(BenchFile file)
    {
        _file = file;
        Events = new EventRecorder(Clock);
    }

    public string Name => $"board:{_file.Board}";
    public RunClock Clock { get; } = new();
    public EventRecorder Events { get; }
    public BenchFile File => _file;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_file.Agent.SshHost is string host)
        {
            if (System.IO.File.Exists(_file.Agent.Socket))
                System.IO.File.Delete(_file.Agent.Socket);
            var start = new ProcessStartInfo("ssh") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var option in _file.Agent.SshOptions)
                start.ArgumentList.Add(option);
            foreach (var arg in new[] { "-N", "-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes", "-L", $"{_file.Agent.Socket}:{_file.Agent.SshRemoteSocket}", host })
                start.ArgumentList.Add(arg);
            _tunnel = Process.Start(start) ?? throw new InvalidOperationException($"{_file.Path}: agent.ssh: ssh did not start");
            var waited = Stopwatch.StartNew();
            while (!System.IO.File.Exists(_file.Agent.Socket))
            {
                if (_tunnel.HasExited)
                    throw new InvalidOperationException($"{_file.Path}: agent.ssh: ssh to '{host}' exited with {_tunnel.ExitCode}: {(await _tunnel.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim()}");
                if (waited.Elapsed > TimeSpan.FromSeconds(20))
                    throw new TimeoutException($"{_file.Path}: agent.ssh: no forwarded socket at '{_file.Agent.Socket}' after 20 s");
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        _api = new AgentApi(_file.Agent.Socket);
        // Fail early with the API's own error (UNAVAILABLE naming the socket) when the agent is not there.
        await _api.ListVmsAsync(cancellationToken).ConfigureAwait(false);
        _pump = _api.PumpEventsAsync(Events, 0, _stop.Token);
    }

    public string? CanInject(FaultKind fault) => fault switch
    {
        FaultKind.PowerCutDuringLogWrite when _file.Hooks.PowerOff is null => "the bench file has no hooks.power_off / hooks.power_on",
        FaultKind.PowerCutDuringLogWrite => null,
        FaultKind.IslandReset when _file.Hooks.IslandReset is null => "the bench file has no hooks.island_reset",
        FaultKind.IslandReset => null,
        FaultKind.AClusterReset when _file.Hooks.AClusterReset is null => "the bench file has no hooks.a_cluster_reset",
        FaultKind.AClusterReset => null,
        FaultKind.IslandHang => "a board island cannot be made to hang from outside (needs a debug probe halt hook)",
        FaultKind.IslandKill => "a board island has no process to kill (use hooks.island_reset)",
        FaultKind.LinkRingScribble => "the board's shared memory is not reachable from the bench host",
        FaultKind.AgentKill or FaultKind.AgentFreeze or FaultKind.AgentSlow => "the board bench reaches the agent only through its API, not its process",
        FaultKind.LinkDrop or FaultKind.LinkDuplicate or FaultKind.LinkDelay or FaultKind.LinkCorrupt or FaultKind.LinkTxRingFull or FaultKind.LinkForge =>
            "link faults need a fault-injecting transport inside the agent, which a board agent does not run",
        _ => "guest faults need the heartbeat guest's serial console, which the operator API does not expose",
    };

    public async Task<double> InjectAsync(FaultKind fault, string target, CancellationToken cancellationToken)
    {
        string? reason = CanInject(fault);
        if (reason is not null)
            throw new NotSupportedException($"{Name}: cannot inject {fault}: {reason}");
        var timeout = TimeSpan.FromMilliseconds(_file.Hooks.TimeoutMs);
        double at = Clock.NowMs;
        switch (fault)
        {
            case FaultKind.PowerCutDuringLogWrite:
                await CommandHook.RunAsync("power_off", _file.Hooks.PowerOff!, timeout, cancellationToken).ConfigureAwait(false);
                await CommandHook.RunAsync("power_on", _file.Hooks.PowerOn!, timeout, cancellationToken).ConfigureAwait(false);
                break;
            case FaultKind.IslandReset:
                await CommandHook.RunAsync("island_reset", _file.Hooks.IslandReset!, timeout, cancellationToken).ConfigureAwait(false);
                break;
            case FaultKind.AClusterReset:
                await CommandHook.RunAsync("a_cluster_reset", _file.Hooks.AClusterReset!, timeout, cancellationToken).ConfigureAwait(false);
                break;
        }
        return at;
    }

    public AgentApi Api => _api ?? throw new InvalidOperationException($"{Name}: not started");

    public Task<IReadOnlyList<Vm>> ListVmsAsync(CancellationToken cancellationToken) =>
        (_api ?? throw new InvalidOperationException($"{Name}: not started")).ListVmsAsync(cancellationToken);

    public Task<GetSupervisionStatusResponse> GetSupervisionStatusAsync(CancellationToken cancellationToken) =>
        (_api ?? throw new InvalidOperationException($"{Name}: not started")).GetSupervisionStatusAsync(cancellationToken);

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
            // The tunnel and the client still have to go.
        }
        _api?.Dispose();
        if (_tunnel is { HasExited: false })
        {
            _tunnel.Kill();
            await _tunnel.WaitForExitAsync().ConfigureAwait(false);
        }
        _tunnel?.Dispose();
        _stop.Dispose();
    }
}
