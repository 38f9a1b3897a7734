// The agent's part of the heartbeat trace (island-agent --trace-heartbeats FILE; docs/guests.md
// "Timing each hop"): one line per relayed heartbeat with the times of the agent's three hops,
//   vm seq read_ns relay_ns sent_ns
// read_ns: the read of QEMU's chardev socket that delivered the HB line returned; relay_ns: the relay
// posted the AliveIndication; sent_ns: the link thread handed it to the transport. CLOCK_MONOTONIC
// nanoseconds (MonotonicTraceFile), so the lines join island-sim's trace (the island's receive) and
// the guest's own stamps by time. Off unless asked for: it allocates a line per heartbeat.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using Stratos.Island.Agent.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Vms;

public sealed class HeartbeatTrace : IDisposable
{
    /// <summary>Relayed heartbeats still waiting for the link thread; more means the link is down (the posts were dropped).</summary>
    public const int MaxPending = 4096;

    private readonly MonotonicTraceFile _file;
    private readonly IslandLink _link;
    private readonly ConcurrentDictionary<Envelope, Pending> _pending = new(ReferenceEqualityComparer.Instance);

    public HeartbeatTrace(string path, IslandLink link)
    {
        _file = new MonotonicTraceFile(path, "island-agent heartbeat trace: vm seq read_ns relay_ns sent_ns (CLOCK_MONOTONIC)");
        _link = link;
        _link.PostSent += OnSent;
    }

    public string Path => _file.Path;

    /// <summary>A heartbeat of vm with the guest's sequence number is about to be posted.</summary>
    internal void Relaying(Envelope message, uint vmId, uint sequence, long readTicks)
    {
        if (_pending.Count >= MaxPending)
        {
            _pending.Clear();
        }

        _pending[message] = new Pending(vmId, sequence, readTicks, Stopwatch.GetTimestamp());
    }

    /// <summary>The post was refused (queue full, link down): it will never be sent.</summary>
    internal void NotPosted(Envelope message) => _pending.TryRemove(message, out _);

    private void OnSent(Envelope message)
    {
        if (_pending.TryRemove(message, out Pending? p))
        {
            long sent = Stopwatch.GetTimestamp();
            _file.Write(string.Create(CultureInfo.InvariantCulture,
                $"{p.VmId} {p.Sequence} {MonotonicTraceFile.ToNanoseconds(p.ReadTicks)} {MonotonicTraceFile.ToNanoseconds(p.RelayTicks)} {MonotonicTraceFile.ToNanoseconds(sent)}"));
        }
    }

    public void Dispose()
    {
        _link.PostSent -= OnSent;
        _file.Dispose();
    }

    private sealed record Pending(uint VmId, uint Sequence, long ReadTicks, long RelayTicks);
}
