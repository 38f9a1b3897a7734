using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Hil.Benches;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;

namespace Stratos.Island.Hil.Scenarios;

/// <summary>What a scenario body gets: the bench, its log, and the fault probes it registers.</summary>
public sealed class ScenarioContext
{
    private readonly List<string> _log = new();
    private readonly List<(FaultProbe Probe, double InjectedMs)> _faults = new();

    public ScenarioContext(IBench bench, CancellationToken cancellationToken)
    {
        Bench = bench;
        CancellationToken = cancellationToken;
    }

    public IBench Bench { get; }
    public CancellationToken CancellationToken { get; }
    public TimelineBuilder Timelines { get; } = new();
    public IReadOnlyList<string> LogLines => _log;

    public void Log(string line) => _log.Add($"{Bench.Clock.NowMs,9:0.0} ms  {line}");

    /// <summary>Injects a fault (the bench must be able to: ask <see cref="IBench.CanInject"/> via the scenario's needs) and tracks it.</summary>
    public async Task<double> InjectAsync(FaultProbe probe, string target)
    {
        double at = await Bench.InjectAsync(probe.Fault, target, CancellationToken).ConfigureAwait(false);
        _faults.Add((probe, at));
        Log($"injected {probe.Fault} into '{target}'");
        return at;
    }

    /// <summary>Measures a fault the body injected through the bench itself (as <see cref="InjectAsync"/> would have).</summary>
    public void Track(FaultProbe probe, double injectedMs)
    {
        _faults.Add((probe, injectedMs));
        Log($"measuring {probe.Fault} on '{probe.Vm}' from {injectedMs:0.0} ms");
    }

    /// <summary>Asserts an ordered event sequence within a time; a miss fails the scenario with the reason.</summary>
    public async Task ExpectAsync(EventSequence sequence, double fromMs, TimeSpan within)
    {
        var match = await Bench.Events.WaitForAsync(sequence, fromMs, within, CancellationToken).ConfigureAwait(false);
        if (!match.Success)
            throw new ScenarioFailure(match.Failure!);
        Log("saw " + string.Join(" -> ", match.Matched.Select(m => m.ToString())));
    }

    internal IReadOnlyList<FaultMeasurement> MeasureFaults(IReadOnlyList<IslandEvent> events, Func<string, IReadOnlyList<double>> heartbeats) =>
        _faults.Select(f => FaultMeasurer.Measure(f.Probe, f.InjectedMs, events, heartbeats(f.Probe.Vm))).ToList();
}

/// <summary>A scenario's own assertion failed (message says what was expected and what was seen).</summary>
public sealed class ScenarioFailure(string message) : Exception(message);

/// <summary>One HIL scenario: a name, a group, the faults it needs, and its body.</summary>
public sealed record Scenario(string Name, string Group, IReadOnlyList<FaultKind> Needs, Func<ScenarioContext, Task> Body)
{
    /// <summary>Whether the Xen bench runs it (./hil.sh --vmm xen), and in which suite.</summary>
    public XenSuite Xen { get; init; }
}

/// <summary>The Xen bench's suites (docs/hil.md "The Xen bench"): a quick scenario also runs in the full suite.</summary>
public enum XenSuite
{
    /// <summary>Not on Xen: the Xen board has no such VM, device or fault hook.</summary>
    None,
    Full,
    Quick,
}

/// <summary>
/// Runs scenarios on a bench: skips (with the bench's reason) those needing a fault it cannot inject,
/// runs the others, measures every injected fault against its bound, and fails a scenario whose body
/// threw or whose fault was not detected within bound. Results feed the report writers.
/// </summary>
public static class ScenarioRunner
{
    public static async Task<ScenarioResult> RunAsync(Scenario scenario, IBench bench, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = DateTimeOffset.UtcNow;
        foreach (var fault in scenario.Needs)
        {
            if (bench.CanInject(fault) is string reason)
                return new ScenarioResult
                {
                    Name = scenario.Name,
                    Group = scenario.Group,
                    Outcome = ScenarioOutcome.Skipped,
                    Message = $"skipped: {bench.Name} cannot inject {fault}: {reason}",
                    StartedAt = started,
                };
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var context = new ScenarioContext(bench, limit.Token);
        var watch = Stopwatch.StartNew();
        string? failure = null;
        try
        {
            await scenario.Body(context).ConfigureAwait(false);
        }
        catch (ScenarioFailure e)
        {
            failure = e.Message;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            failure = $"timed out after {timeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
        }
        var events = bench.Events.Snapshot();
        // The agent fills holes in its live stream from the island's log (EventFeed): the stream a
        // watcher gets must be contiguous in every scenario, whatever the fault did to the link.
        var streamGaps = bench.Events.StreamGaps();
        foreach (var (after, next) in streamGaps)
            context.Log($"event stream skipped {after + 1}..{next - 1} (the bench backfilled them from ReadLog)");
        if (streamGaps.Count > 0)
            failure ??= "WatchEvents skipped records: " + string.Join(", ", streamGaps.Select(g => $"{g.After + 1}..{g.Next - 1}"));
        context.Timelines.AddEvents(events);
        if (bench is Benches.IGuestConsoles consoles)
            context.Timelines.AddGuestLines(consoles.GuestLines());
        IReadOnlyList<double> Beats(string vm) =>
            context.Timelines.For(vm).Marks.Where(m => m.Kind == MarkKind.Heartbeat).Select(m => m.TimeMs).ToList();
        var faults = context.MeasureFaults(events, Beats);
        foreach (var fault in faults)
            context.Timelines.AddFault(fault);
        failure ??= faults.Select(f => f.Violation()).FirstOrDefault(v => v is not null);
        if (failure is not null)
        {
            // The whole event stream on the run's axis, to read the failure against.
            foreach (var e in events)
                context.Log($"event at {e.TimeMs:0.0} ms (boot {e.Event.BootCount}, island {e.Event.TimestampUs / 1000.0:0.0} ms): {e}");
        }
        return new ScenarioResult
        {
            Name = scenario.Name,
            Group = scenario.Group,
            Outcome = failure is null ? ScenarioOutcome.Passed : ScenarioOutcome.Failed,
            Message = failure ?? "",
            StartedAt = started,
            Duration = watch.Elapsed,
            Faults = faults,
            Timelines = context.Timelines.Build(),
            Log = context.LogLines.ToList(),
        };
    }
}
