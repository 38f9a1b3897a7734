// Live events from the island -> the WatchEvents fan-out, without holes. The island pushes each
// record once and never re-sends (docs/island-sim.md: "the event log is the source of truth"): when
// its TX ring or queue was full, or the link was down, records are missing. The feed fills every hole
// itself from the island's log (LogRead by sequence) before it publishes anything newer, so every
// subscriber sees contiguous sequences in order:
//   * a gap in Event.sequence: read the missing records; while some are still missing (the read
//     failed, the link went down, the answer lost pages in a full ring) hold the newer records and
//     read again every RetryDelayMs, up to MaxAttempts reads; only then publish past the hole (and
//     log which records were lost);
//   * every session up after the first record: read what was committed while the link was down;
//   * the tail of a burst (its last records lost, so no later record shows the gap): TailCheckMs
//     after the last input, read from the last published sequence once.
// One consumer task does all of it: ordering needs no lock.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Services;

public sealed class EventFeed : IAsyncDisposable
{
    /// <summary>Reads of the log for one hole before the feed publishes past it.</summary>
    public const int MaxAttempts = 20;

    private readonly EventHub _hub;
    private readonly Func<uint, CancellationToken, Task<IReadOnlyList<Event>>> _readLog;
    private readonly ILogger _logger;
    private readonly Channel<Item> _input = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private readonly Timer _tail;
    private uint _last;
    private long _backfilled;
    private long _lost;

    /// <param name="readLog">Reads committed records from a sequence (the island's LogRead).</param>
    public EventFeed(EventHub hub, Func<uint, CancellationToken, Task<IReadOnlyList<Event>>> readLog, ILogger logger)
    {
        _hub = hub;
        _readLog = readLog;
        _logger = logger;
        _tail = new Timer(_ => _input.Writer.TryWrite(new Item(ItemKind.TailCheck, null)));
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Pause between two reads of the log for the same hole.</summary>
    public int RetryDelayMs { get; init; } = 250;

    /// <summary>Quiet time after the last input before the feed checks the log's tail once.</summary>
    public int TailCheckMs { get; init; } = 500;

    /// <summary>Highest sequence published so far.</summary>
    public uint LastSequence => Volatile.Read(ref _last);

    /// <summary>Records published from the log (not from the live stream).</summary>
    public long Backfilled => Interlocked.Read(ref _backfilled);

    /// <summary>Records the feed gave up on (the log did not give them after MaxAttempts reads).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>A live event from the link (any thread; never blocks).</summary>
    public void OnEvent(Event record) => _input.Writer.TryWrite(new Item(ItemKind.Record, record));

    /// <summary>A session came up: records committed while the link was down are read back.</summary>
    public void OnSessionUp() => _input.Writer.TryWrite(new Item(ItemKind.SessionUp, null));

    private async Task PumpAsync()
    {
        try
        {
            await foreach (Item item in _input.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                switch (item.Kind)
                {
                    case ItemKind.SessionUp:
                    case ItemKind.TailCheck:
                        if (_last != 0)
                        {
                            // Whatever the log holds past the last published record; one read (a tail
                            // check finds nothing most of the time), a session up retries like a hole.
                            await BackfillAsync(uint.MaxValue, item.Kind == ItemKind.SessionUp ? 3 : 1).ConfigureAwait(false);
                        }

                        continue;
                }

                Event record = item.Record!;
                if (record.Sequence == 0)
                {
                    _hub.Publish(record); // not committed (flash write failed): shown, never read back
                    continue;
                }

                if (record.Sequence <= _last)
                {
                    continue;
                }

                if (_last != 0 && record.Sequence > _last + 1)
                {
                    await BackfillAsync(record.Sequence, MaxAttempts).ConfigureAwait(false);
                    if (record.Sequence > _last + 1)
                    {
                        Interlocked.Add(ref _lost, record.Sequence - _last - 1);
                        _logger.LogWarning("events #{From}..#{To} are not in the island's log after {Attempts} reads; the stream continues at #{Next}",
                            _last + 1, record.Sequence - 1, MaxAttempts, record.Sequence);
                    }
                }

                Publish(record);
                _tail.Change(TailCheckMs, Timeout.Infinite);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>Publishes the log's records after the last published one and before <paramref name="before"/>, reading up to <paramref name="attempts"/> times until none is missing.</summary>
    private async Task BackfillAsync(uint before, int attempts)
    {
        for (int attempt = 1; attempt <= attempts; attempt++)
        {
            bool complete = false;
            try
            {
                IReadOnlyList<Event> records = await _readLog(_last + 1, _stop.Token).ConfigureAwait(false);
                if (records.Count > 0 && records[0].Sequence > _last + 1)
                {
                    return; // the log no longer holds them (overwritten): reading again will not help
                }

                foreach (Event missing in records)
                {
                    if (missing.Sequence == _last + 1 && missing.Sequence < before)
                    {
                        Publish(missing);
                        Interlocked.Increment(ref _backfilled);
                    }
                }

                // Done when the hole is closed, or (for an open-ended read) the read came back whole.
                complete = before == uint.MaxValue ? records.Count == 0 || records[^1].Sequence <= _last : _last + 1 >= before;
            }
            catch (AgentException e)
            {
                _logger.LogDebug("events after #{Last}: read {Attempt} of {Attempts} failed: {Error}", _last, attempt, attempts, e.Message);
            }

            if (complete || attempt == attempts)
            {
                return;
            }

            await Task.Delay(RetryDelayMs, _stop.Token).ConfigureAwait(false);
        }
    }

    private void Publish(Event record)
    {
        _hub.Publish(record);
        Volatile.Write(ref _last, record.Sequence);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _input.Writer.TryComplete();
        await _tail.DisposeAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
    }

    private enum ItemKind
    {
        Record,
        SessionUp,
        TailCheck,
    }

    private readonly record struct Item(ItemKind Kind, Event? Record);
}
