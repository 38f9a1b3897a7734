// Guest serial lines -> island supervision: one GuestSerialReader per running VM (owned by its
// QemuVm); `HB <seq>` becomes AliveIndication(vm id, 1) and `CP <id>` becomes Checkpoint(vm id, id),
// posted without waiting (a full queue drops and counts, docs/agent.md). The relay only translates:
// it never judges the heartbeat rate, that is the island's job.
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
    private readonly ConcurrentDictionary<uint, Attachment> _attached = new();

    public HeartbeatRelay(ISupervisionSink sink)
    {
        _sink = sink;
    }

    /// <summary>Heartbeats relayed so far.</summary>
    public long Heartbeats => System.Threading.Interlocked.Read(ref _heartbeats);

    /// <summary>Checkpoints relayed so far.</summary>
    public long Checkpoints => System.Threading.Interlocked.Read(ref _checkpoints);

    private long _heartbeats;
    private long _checkpoints;

    /// <summary>Relays a reader's lines as supervision of vmId until Detach (or the reader closes).</summary>
    public void Attach(uint vmId, GuestSerialReader reader)
    {
        Detach(vmId);
        var attachment = new Attachment(reader,
            _ =>
            {
                System.Threading.Interlocked.Increment(ref _heartbeats);
                _sink.Post(new Envelope { AliveIndication = new AliveIndication { EntityId = vmId, Count = 1 } });
            },
            (checkpoint, _) =>
            {
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
}

/// <summary>Posts relayed supervision on the island link.</summary>
public sealed class LinkSupervisionSink : ISupervisionSink
{
    private readonly IslandLink _link;

    public LinkSupervisionSink(IslandLink link) => _link = link;

    public bool Post(Envelope message) => _link.Post(message);
}
