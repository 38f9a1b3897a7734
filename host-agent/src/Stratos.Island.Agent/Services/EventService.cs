// The island's event log for operators. ReadLog pages through LogRead/LogChunk until the island says
// end (or the wanted count is reached). WatchEvents subscribes to the live fan-out FIRST, then replays
// committed records from from_sequence with ReadLog, then streams live events, skipping any sequence
// already replayed: no gap and no duplicate between replay and live.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using ApiEvent = Stratos.Island.Protocol.Agent.V1.Event;
using ReadLogResponse = Stratos.Island.Protocol.Agent.V1.ReadLogResponse;

namespace Stratos.Island.Agent.Services;

public sealed class EventService
{
    /// <summary>Most LogRead round trips one ReadLog makes.</summary>
    public const int MaxPages = 4096;

    private readonly IslandGateway _island;
    private readonly StateCache _cache;
    private readonly EventHub _hub;

    public EventService(IslandGateway island, StateCache cache, EventHub hub)
    {
        _island = island;
        _cache = cache;
        _hub = hub;
    }

    /// <summary>ReadLog of the operator API: the island's records in API form, with the VM names.</summary>
    public async Task<ReadLogResponse> ReadLogAsync(uint fromSequence, uint maxRecords, CancellationToken cancellationToken)
    {
        IslandLogRead read = await ReadIslandLogAsync(fromSequence, maxRecords, cancellationToken).ConfigureAwait(false);
        var response = new ReadLogResponse { FirstAvailable = read.FirstAvailable, NextSequence = read.NextSequence };
        foreach (Event record in read.Records)
        {
            response.Events.Add(ToApi(record));
        }

        return response;
    }

    /// <summary>
    /// The island's records from <paramref name="fromSequence"/> as the link carries them (the event
    /// feed fills holes in the live stream with them, in the same form as the pushed events), paging
    /// LogRead until the island says end, up to <paramref name="maxRecords"/> (0 = all).
    /// </summary>
    public async Task<IslandLogRead> ReadIslandLogAsync(uint fromSequence, uint maxRecords, CancellationToken cancellationToken)
    {
        _island.EnsureUp();
        var records = new List<Event>();
        uint firstAvailable = 0;
        uint next = fromSequence == 0 ? 1 : fromSequence;
        for (int page = 0; page < MaxPages; page++)
        {
            uint wanted = maxRecords == 0 ? 0 : maxRecords - (uint)records.Count;
            var request = new Envelope { LogRead = new LogRead { FromSequence = next, MaxRecords = wanted } };
            LinkReply reply = await _island.Link.RequestAsync(request, ReplyShape.LogPages, null, cancellationToken).ConfigureAwait(false);
            bool end = false;
            uint before = next;
            foreach (Envelope message in reply.Messages)
            {
                if (message.BodyCase == Envelope.BodyOneofCase.Error)
                {
                    throw new AgentException(message.Error.Code == ErrorCode.Unspecified ? ErrorCode.Internal : message.Error.Code,
                        $"event log: island reported an error: {message.Error.Message}");
                }

                if (message.BodyCase != Envelope.BodyOneofCase.LogChunk)
                {
                    continue;
                }

                LogChunk chunk = message.LogChunk;
                records.AddRange(chunk.Records);
                firstAvailable = chunk.FirstAvailable;
                next = Math.Max(next, chunk.NextSequence);
                end |= chunk.End;
            }

            if (end || next == before || (maxRecords != 0 && records.Count >= maxRecords))
            {
                break;
            }
        }

        return new IslandLogRead(records, firstAvailable, next);
    }

    /// <param name="subscribed">Called once the subscription exists, before the first event (the API sends
    /// its response headers then, so a client knows no later event can be missed).</param>
    public async IAsyncEnumerable<ApiEvent> WatchAsync(uint fromSequence, Func<Task>? subscribed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _island.EnsureUp();
        using EventHub.Subscription subscription = _hub.Subscribe();
        if (subscribed != null)
        {
            await subscribed().ConfigureAwait(false);
        }

        uint last = 0;
        if (fromSequence != 0)
        {
            ReadLogResponse replay = await ReadLogAsync(fromSequence, 0, cancellationToken).ConfigureAwait(false);
            foreach (ApiEvent e in replay.Events)
            {
                last = e.Sequence;
                yield return e;
            }
        }

        await foreach (Event record in ReadAll(subscription, cancellationToken).ConfigureAwait(false))
        {
            if (record.Sequence != 0 && record.Sequence <= last)
            {
                continue;
            }

            yield return ToApi(record);
        }
    }

    private static async IAsyncEnumerable<Event> ReadAll(EventHub.Subscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await subscription.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (AgentException)
            {
                throw;
            }

            if (!more)
            {
                yield break;
            }

            while (subscription.Reader.TryRead(out Event? record))
            {
                yield return record;
            }
        }
    }

    /// <summary>What subject_id names depends on the event type (common.proto EventType).</summary>
    private string SubjectName(Event record)
    {
        if (record.Type == EventType.PowerDomain)
        {
            foreach (var domain in _cache.PowerDomains())
            {
                if (domain.DomainId == record.SubjectId)
                {
                    return domain.Name;
                }
            }

            return "domain " + record.SubjectId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (record.SubjectId == 0)
        {
            // Supervised entity 0 is the host agent itself; elsewhere 0 means the island.
            return record.Type is EventType.SupervisionStatus or EventType.Escalation ? "agent" : "island";
        }

        return _cache.VmName(record.SubjectId);
    }

    public ApiEvent ToApi(Event record) => new()
    {
        Sequence = record.Sequence,
        TimestampUs = record.TimestampUs,
        BootCount = record.BootCount,
        Type = record.Type,
        SubjectId = record.SubjectId,
        Subject = SubjectName(record),
        Value = record.Value,
        Detail = record.Detail,
    };
}

/// <summary>What a paged LogRead returned: the records in link form, the oldest sequence the island
/// still holds, and the sequence to read from next.</summary>
public sealed record IslandLogRead(IReadOnlyList<Event> Records, uint FirstAvailable, uint NextSequence);
