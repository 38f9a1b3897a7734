using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Hil.Events;

/// <summary>
/// Collects the island's events as a bench receives them (any thread) and answers, on the run's time
/// axis: the events so far (island timestamps mapped per boot with <see cref="IslandClockMapping"/>),
/// waits for an <see cref="EventSequence"/>, and the sequence-contiguity check of the soak report.
/// </summary>
public sealed class EventRecorder
{
    private readonly object _gate = new();
    private readonly List<(Event Event, double ReceivedMs)> _received = new();
    private readonly Dictionary<uint, IslandClockMapping> _clocks = new();
    private readonly RunClock _clock;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventRecorder(RunClock clock) => _clock = clock;

    /// <summary>Records one event received now (or at <paramref name="receivedMs"/> for replays in tests).</summary>
    public void Add(Event e, double? receivedMs = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        double at = receivedMs ?? _clock.NowMs;
        TaskCompletionSource changed;
        lock (_gate)
        {
            _received.Add((e, at));
            if (!_clocks.TryGetValue(e.BootCount, out var mapping))
                _clocks[e.BootCount] = mapping = new IslandClockMapping();
            mapping.Observe(e.BootCount, e.TimestampUs, at);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>Every event so far, each boot's island time mapped onto the run's axis, by arrival.</summary>
    public IReadOnlyList<IslandEvent> Snapshot()
    {
        lock (_gate)
            return _received.Select(r => new IslandEvent(r.Event, r.ReceivedMs)
            {
                TimeMs = _clocks[r.Event.BootCount].ToHostMs(r.Event.TimestampUs),
            }).ToList();
    }

    /// <summary>Waits until <paramref name="sequence"/> matches from <paramref name="fromMs"/>, or the time is up.</summary>
    public async Task<SequenceMatch> WaitForAsync(EventSequence sequence, double fromMs, TimeSpan within, CancellationToken cancellationToken = default)
    {
        double giveUpMs = fromMs + within.TotalMilliseconds;
        while (true)
        {
            Task changed;
            lock (_gate)
                changed = _changed.Task;
            var match = sequence.Match(Snapshot(), fromMs, within);
            double remaining = giveUpMs - _clock.NowMs;
            if (match.Success || remaining <= 0)
                return match;
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(Math.Min(remaining, 250)), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private readonly List<(uint After, uint Next)> _streamGaps = new();

    /// <summary>Records that the live stream jumped from <paramref name="after"/> to <paramref name="next"/> (the bench backfilled the records from ReadLog).</summary>
    public void NoteStreamGap(uint after, uint next)
    {
        lock (_gate)
            _streamGaps.Add((after, next));
    }

    /// <summary>Jumps in the live WatchEvents stream (records it did not deliver, backfilled from the log).</summary>
    public IReadOnlyList<(uint After, uint Next)> StreamGaps()
    {
        lock (_gate)
            return _streamGaps.ToList();
    }

    /// <summary>
    /// Gaps in the log's sequence numbers among the received events (sorted, duplicates ignored):
    /// each as (last before the gap, first after it). Empty = contiguous.
    /// </summary>
    public IReadOnlyList<(uint After, uint Next)> SequenceGaps()
    {
        List<uint> sequences;
        lock (_gate)
            sequences = _received.Select(r => r.Event.Sequence).Distinct().OrderBy(s => s).ToList();
        return FindGaps(sequences);
    }

    public static IReadOnlyList<(uint After, uint Next)> FindGaps(IReadOnlyList<uint> sortedDistinct)
    {
        var gaps = new List<(uint, uint)>();
        for (int i = 1; i < sortedDistinct.Count; i++)
            if (sortedDistinct[i] != sortedDistinct[i - 1] + 1)
                gaps.Add((sortedDistinct[i - 1], sortedDistinct[i]));
        return gaps;
    }
}
