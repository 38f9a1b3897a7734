// Live events from the island -> the WatchEvents fan-out, without holes. The island pushes each
// record once and never re-sends (docs/island-sim.md: "the event log is the source of truth"): when
// the ring was full, or the link was down, records are missing. The feed notices a gap in
// Event.sequence (and every session up after the first record) and reads the missing records with
// LogRead before publishing the newer one, so subscribers see contiguous sequences in order.
// One consumer task does all of it: ordering needs no lock.
using System;
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
    private readonly EventHub _hub;
    private readonly Func<uint, CancellationToken, Task<System.Collections.Generic.IReadOnlyList<Event>>> _readLog;
    private readonly ILogger _logger;
    private readonly Channel<Event?> _input = Channel.CreateUnbounded<Event?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private uint _last;

    /// <param name="readLog">Reads committed records from a sequence (the island's LogRead).</param>
    public EventFeed(EventHub hub, Func<uint, CancellationToken, Task<System.Collections.Generic.IReadOnlyList<Event>>> readLog, ILogger logger)
    {
        _hub = hub;
        _readLog = readLog;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Highest sequence published so far.</summary>
    public uint LastSequence => Volatile.Read(ref _last);

    /// <summary>A live event from the link (any thread; never blocks).</summary>
    public void OnEvent(Event record) => _input.Writer.TryWrite(record);

    /// <summary>A session came up: records committed while the link was down are read back.</summary>
    public void OnSessionUp() => _input.Writer.TryWrite(null);

    private async Task PumpAsync()
    {
        try
        {
            await foreach (Event? record in _input.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (record is null)
                {
                    if (_last != 0)
                    {
                        await BackfillAsync(uint.MaxValue).ConfigureAwait(false);
                    }

                    continue;
                }

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
                    await BackfillAsync(record.Sequence).ConfigureAwait(false);
                }

                if (record.Sequence > _last)
                {
                    Publish(record);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task BackfillAsync(uint before)
    {
        try
        {
            foreach (Event missing in await _readLog(_last + 1, _stop.Token).ConfigureAwait(false))
            {
                if (missing.Sequence > _last && missing.Sequence < before)
                {
                    Publish(missing);
                }
            }
        }
        catch (AgentException e)
        {
            _logger.LogWarning("events after #{Last} could not be read back: {Error}", _last, e.Message);
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
        await _pump.ConfigureAwait(false);
    }
}
