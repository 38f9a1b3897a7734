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
using Stratos.Island.Link.Linux;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Vms;

public sealed class HeartbeatTrace : IDisposable
{
    /// <summary>Relayed heartbeats still waiting for the link thread; more means the link is down (the posts were dropped).</summary>
    public const int MaxPending = 4096;

    private readonly MonotonicTraceFile _file;
    private readonly ConcurrentDictionary<Envelope, PendingLine> _pending = new(ReferenceEqualityComparer.Instance);

    /// <summary>A trace into path; the link's IslandLink.PostSent goes to <see cref="Sent"/> (AgentRuntime wires it).</summary>
    public HeartbeatTrace(string path)
    {
        _file = new MonotonicTraceFile(path, "island-agent heartbeat trace: vm seq read_ns relay_ns sent_ns (CLOCK_MONOTONIC)");
    }

    public string Path => _file.Path;

    /// <summary>Relayed heartbeats not sent yet.</summary>
    public int Pending => _pending.Count;

    /// <summary>A heartbeat of vm with the guest's sequence number is about to be posted.</summary>
    internal void Relaying(Envelope message, uint vmId, uint sequence, long readTicks)
    {
        if (_pending.Count >= MaxPending)
        {
            _pending.Clear();
        }

        _pending[message] = new PendingLine(vmId, sequence, readTicks, Stopwatch.GetTimestamp());
    }

    /// <summary>The post was refused (queue full, link down): it will never be sent.</summary>
    internal void NotPosted(Envelope message) => _pending.TryRemove(message, out _);

    /// <summary>The link thread handed a posted message to the transport (IslandLink.PostSent).</summary>
    public void Sent(Envelope message)
    {
        if (_pending.TryRemove(message, out PendingLine? p))
        {
            long sent = Stopwatch.GetTimestamp();
            _file.Write(string.Create(CultureInfo.InvariantCulture,
                $"{p.VmId} {p.Sequence} {MonotonicTraceFile.ToNanoseconds(p.ReadTicks)} {MonotonicTraceFile.ToNanoseconds(p.RelayTicks)} {MonotonicTraceFile.ToNanoseconds(sent)}"));
        }
    }

    public void Dispose() => _file.Dispose();

    private sealed record PendingLine(uint VmId, uint Sequence, long ReadTicks, long RelayTicks);
}
