using System;
using System.Collections.Generic;
using System.Linq;
using Stratos.Island.Hil.Measurement;

namespace Stratos.Island.Hil.Scenarios;

/// <summary>How a scenario ended. Skipped is a result of its own, counted apart (never a pass).</summary>
public enum ScenarioOutcome
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>The recorded result of one scenario: outcome, message, measured faults and timelines.</summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }
    /// <summary>Suite group ("supervision", "recovery", ...), used as the JUnit/TRX class name.</summary>
    public required string Group { get; init; }
    public required ScenarioOutcome Outcome { get; init; }
    /// <summary>Failure message, or the skip reason ("skipped: board cannot hang the island").</summary>
    public string Message { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; }
    public TimeSpan Duration { get; init; }
    public IReadOnlyList<FaultMeasurement> Faults { get; init; } = Array.Empty<FaultMeasurement>();
    public IReadOnlyList<VmTimeline> Timelines { get; init; } = Array.Empty<VmTimeline>();
    /// <summary>Free-form log lines (what the scenario did), kept for the report.</summary>
    public IReadOnlyList<string> Log { get; init; } = Array.Empty<string>();
}

/// <summary>One bench run: every scenario's result plus where and how it ran.</summary>
public sealed record RunResult
{
    public required string RunId { get; init; }
    public required string Bench { get; init; }
    public required string Suite { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public TimeSpan Duration { get; init; }
    public IReadOnlyList<ScenarioResult> Scenarios { get; init; } = Array.Empty<ScenarioResult>();

    public int Passed => Scenarios.Count(s => s.Outcome == ScenarioOutcome.Passed);
    public int Failed => Scenarios.Count(s => s.Outcome == ScenarioOutcome.Failed);
    public int Skipped => Scenarios.Count(s => s.Outcome == ScenarioOutcome.Skipped);

    /// <summary>Every fault of the run.</summary>
    public IEnumerable<FaultMeasurement> AllFaults => Scenarios.SelectMany(s => s.Faults);

    /// <summary>Share of faults detected within their bound (1.0 when there were none).</summary>
    public double DetectionCoverage
    {
        get
        {
            var faults = AllFaults.ToList();
            return faults.Count == 0 ? 1.0 : faults.Count(f => f.DetectedWithinBound) / (double)faults.Count;
        }
    }
}
