// Guest serial lines -> island supervision: one GuestSerialReader per running VM (owned by its
// QemuVm); `HB <seq>` becomes AliveIndication(vm id, 1) and `CP <id>` becomes Checkpoint(vm id, id),
// posted without waiting (a full queue drops and counts, docs/agent.md). The relay only translates:
// it never judges the heartbeat rate, that is the island's job; it only caps it. A guest may flood
// its port (docs/guests.md "Bad input"), and every VM's relay shares the link's post queue, so each
// VM may relay at most MaxMessagesPerSecond (a token bucket, burst MaxBurstMessages); the rest is
// dropped and counted (Dropped). The island still sees far more indications than any alive
// supervision expects, so a babbling guest fails its supervision instead of starving the others.
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Vms;

/// <summary>Where relayed messages go (the island link in production).</summary>
public interface ISupervisionSink
{
    bool Post(Envelope message);
}

public sealed class HeartbeatRelay
{
    private readonly ISupervisionSink _sink;
    /// <summary>Most HB + CP messages relayed per VM per second (a legitimate guest sends 10..100).</summary>
    public const int MaxMessagesPerSecond = 1000;
    /// <summary>Burst allowed above the steady rate (a guest's lines arrive in batches).</summary>
    public const int MaxBurstMessages = 200;

    private readonly ConcurrentDictionary<uint, Attachment> _attached = new();

    public HeartbeatRelay(ISupervisionSink sink)
    {
        _sink = sink;
    }

    /// <summary>The heartbeat trace (--trace-heartbeats), or null: off.</summary>
    public HeartbeatTrace? Trace { get; set; }

    /// <summary>Heartbeats relayed so far.</summary>
    public long Heartbeats => System.Threading.Interlocked.Read(ref _heartbeats);

    /// <summary>Checkpoints relayed so far.</summary>
    public long Checkpoints => System.Threading.Interlocked.Read(ref _checkpoints);

    /// <summary>Messages not relayed because their VM was over its rate.</summary>
    public long Dropped => System.Threading.Interlocked.Read(ref _dropped);

    private long _heartbeats;
    private long _checkpoints;
    private long _dropped;

    /// <summary>Relays a reader's lines as supervision of vmId until Detach (or the reader closes).</summary>
    public void Attach(uint vmId, GuestSerialReader reader)
    {
        Detach(vmId);
        var bucket = new TokenBucket(MaxMessagesPerSecond, MaxBurstMessages);
        var attachment = new Attachment(reader,
            sequence =>
            {
                if (!bucket.TryTake())
                {
                    System.Threading.Interlocked.Increment(ref _dropped);
                    return;
                }

                System.Threading.Interlocked.Increment(ref _heartbeats);
                var alive = new Envelope { AliveIndication = new AliveIndication { EntityId = vmId, Count = 1 } };
                HeartbeatTrace? trace = Trace;
                trace?.Relaying(alive, vmId, sequence, reader.LastReadTimestamp);
                if (!_sink.Post(alive))
                {
                    trace?.NotPosted(alive);
                }
            },
            (checkpoint, _) =>
            {
                if (!bucket.TryTake())
                {
                    System.Threading.Interlocked.Increment(ref _dropped);
                    return;
                }

                System.Threading.Interlocked.Increment(ref _checkpoints);
                _sink.Post(new Envelope
                {
                    Checkpoint = new Checkpoint { EntityId = vmId, CheckpointId = checkpoint, ObservedAtUs = (ulong)(Stopwatch.GetTimestamp() * 1_000_000.0 / Stopwatch.Frequency) },
                });
            });
        reader.Heartbeat += attachment.OnHeartbeat;
        reader.Checkpoint += attachment.OnCheckpoint;
        _attached[vmId] = attachment;
    }

    public void Detach(uint vmId)
    {
        if (_attached.TryRemove(vmId, out Attachment? old))
        {
            old.Reader.Heartbeat -= old.OnHeartbeat;
            old.Reader.Checkpoint -= old.OnCheckpoint;
        }
    }

    private sealed record Attachment(GuestSerialReader Reader, Action<uint> OnHeartbeat, Action<uint, uint> OnCheckpoint);

    /// <summary>Token bucket on the Stopwatch clock; used by one reader thread only (no locking).</summary>
    private sealed class TokenBucket
    {
        private readonly double _perTick;
        private readonly double _burst;
        private double _tokens;
        private long _lastTicks;

        public TokenBucket(int perSecond, int burst)
        {
            _perTick = perSecond / (double)Stopwatch.Frequency;
            _burst = burst;
            _tokens = burst;
            _lastTicks = Stopwatch.GetTimestamp();
        }

        public bool TryTake()
        {
            long now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (now - _lastTicks) * _perTick);
            _lastTicks = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}

/// <summary>Posts relayed supervision on the island link.</summary>
public sealed class LinkSupervisionSink : ISupervisionSink
{
    private readonly IslandLink _link;

    public LinkSupervisionSink(IslandLink link) => _link = link;

    public bool Post(Envelope message) => _link.Post(message);
}
