using System;
using System.Collections.Generic;
using System.Linq;

namespace Stratos.Island.Hil.Events;

/// <summary>
/// "Expect A, then B, then C within T" over the island's event stream, like a console harness:
/// steps must appear in order (other events may come between), the first step at or after the
/// start time, the last one no later than start + T. Matching is greedy (the earliest event that
/// fits each step), which finds a match whenever one exists for ordered, independent steps.
/// </summary>
public sealed class EventSequence
{
    private readonly List<EventMatch> _steps = new();

    private EventSequence(EventMatch first) => _steps.Add(first);

    public static EventSequence Expect(EventMatch first) => new(first);

    public EventSequence Then(EventMatch next)
    {
        _steps.Add(next);
        return this;
    }

    public IReadOnlyList<EventMatch> Steps => _steps;

    /// <summary>Matches against recorded events (ordered by sequence) from <paramref name="fromMs"/>.</summary>
    public SequenceMatch Match(IReadOnlyList<IslandEvent> events, double fromMs, TimeSpan within)
    {
        double deadline = fromMs + within.TotalMilliseconds;
        var matched = new List<IslandEvent>();
        int index = 0;
        foreach (var step in _steps)
        {
            IslandEvent? hit = null;
            for (; index < events.Count; index++)
            {
                var e = events[index];
                if (e.TimeMs < fromMs)
                    continue;
                if (step.Matches(e))
                {
                    hit = e;
                    index++;
                    break;
                }
            }
            if (hit is null)
                return SequenceMatch.Fail(matched, $"expected {step} (step {matched.Count + 1} of {_steps.Count}) after {Describe(matched)}; saw: {Tail(events, fromMs)}");
            if (hit.TimeMs > deadline)
                return SequenceMatch.Fail(matched, $"{step} came at {hit.TimeMs - fromMs:0.0} ms, later than the {within.TotalMilliseconds:0} ms allowed");
            matched.Add(hit);
        }
        return new SequenceMatch(true, matched, null);
    }

    private static string Describe(List<IslandEvent> matched) =>
        matched.Count == 0 ? "the start" : string.Join(" -> ", matched.Select(m => m.ToString()));

    private static string Tail(IReadOnlyList<IslandEvent> events, double fromMs)
    {
        var seen = events.Where(e => e.TimeMs >= fromMs).Select(e => e.ToString()).ToList();
        if (seen.Count == 0)
            return "no events";
        return string.Join("; ", seen.Count > 12 ? seen.Skip(seen.Count - 12).Prepend("...") : seen);
    }
}

/// <summary>Result of <see cref="EventSequence.Match"/>: the events that matched each step, or why not.</summary>
public sealed record SequenceMatch(bool Success, IReadOnlyList<IslandEvent> Matched, string? Failure)
{
    public static SequenceMatch Fail(List<IslandEvent> matched, string failure) => new(false, matched, failure);
}
