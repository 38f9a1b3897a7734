// A test-hook wrapper around the real transport (shared memory, rpmsg char, serial) that applies the
// LinkFaults plan to whole messages, below the session layer, so both sessions see what a faulty
// link would give them. Enabled only by the agent's --fault-socket option (the HIL bench); without
// it the agent uses the transport directly.
//
// Per message (outgoing in TrySend, incoming in the inner channel's sink callback):
//   drop      the message vanishes (TrySend still answers Ok: it left the agent, the wire lost it)
//   duplicate it goes out / is delivered twice (the receiver's session drops the repeat)
//   corrupt   byte 0 becomes 0x07 (field number 0, wire type 7) and the last byte is inverted: every
//             protobuf decoder rejects the envelope (the island's codec: InvalidFieldNumber)
//   forge     it goes out / is delivered, then a copy whose last byte is inverted: in an authenticated
//             session that is the last byte of the auth_tag, a well-formed message with a wrong tag
//             (an attacker's guess): the receiver rejects it as forged (docs/link.md "Authentication")
//   delay     held for MS ms; later messages queue behind it (order is kept, like a slow link)
// Per link-thread turn (Pump):
//   txfull    the inner transport is not pumped: the island's messages stay in its TX ring until it
//             is full and its sends fail with NoTxBuffer
//   slow      the turn sleeps first, so the agent's alive indications and keepalives come late
// Runs on the link thread only (like every ILinkChannel); the plan itself is thread-safe.
using System;
using System.Collections.Generic;
using System.Threading;
using Stratos.Island.Agent.Link;
using Stratos.Island.Link;

namespace Stratos.Island.Agent.TestHooks;

public sealed class FaultInjectingChannel : ILinkChannel, ILinkChannelSink
{
    private readonly ILinkChannel _inner;
    private readonly ILinkChannelSink _sink;
    private readonly LinkFaults _faults;
    private readonly Queue<(long DueMs, byte[] Message)> _outgoing = new();
    private readonly Queue<(long DueMs, byte[] Message)> _incoming = new();

    private FaultInjectingChannel(LinkChannelFactory inner, ILinkChannelSink sink, LinkFaults faults)
    {
        _sink = sink;
        _faults = faults;
        _inner = inner(this);
    }

    /// <summary>Wraps a channel factory: every channel it opens goes through the fault plan.</summary>
    public static LinkChannelFactory Wrap(LinkChannelFactory inner, LinkFaults faults) =>
        sink => new FaultInjectingChannel(inner, sink, faults);

    public string Description => _inner.Description + " (fault injection on)";

    public void Pump(int timeoutMs)
    {
        int slow = _faults.SlowTurnMs();
        if (slow > 0)
        {
            Thread.Sleep(slow);
        }

        if (_faults.TxStalled())
        {
            Thread.Sleep(Math.Max(1, timeoutMs));
        }
        else
        {
            _inner.Pump(timeoutMs);
        }

        long now = _faults.NowMs;
        while (_incoming.Count > 0 && _incoming.Peek().DueMs <= now)
        {
            byte[] message = _incoming.Dequeue().Message;
            _sink.OnChannelMessage(message, 0, message.Length);
        }

        while (_outgoing.Count > 0 && _outgoing.Peek().DueMs <= now)
        {
            byte[] message = _outgoing.Peek().Message;
            if (_inner.TrySend(message, 0, message.Length) != LinkSendStatus.Ok)
            {
                break; // the ring is full: try again next turn
            }

            _outgoing.Dequeue();
        }
    }

    public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
    {
        MessageFault fault = _faults.Next(LinkDirection.Out, out int delayMs);
        switch (fault)
        {
            case MessageFault.Drop:
                return LinkSendStatus.Ok;
            case MessageFault.Corrupt:
                byte[] corrupted = Copy(buffer, offset, count);
                Corrupt(corrupted);
                return Send(corrupted, 0, corrupted.Length, 0);
            case MessageFault.Duplicate:
            case MessageFault.Forge:
                LinkSendStatus first = Send(buffer, offset, count, 0);
                if (first == LinkSendStatus.Ok)
                {
                    byte[] again = Copy(buffer, offset, count);
                    if (fault == MessageFault.Forge)
                    {
                        Forge(again);
                    }

                    Send(again, 0, again.Length, 0);
                }

                return first;
            default:
                return Send(buffer, offset, count, delayMs);
        }
    }

    private LinkSendStatus Send(byte[] buffer, int offset, int count, int delayMs)
    {
        if (delayMs == 0 && _outgoing.Count == 0)
        {
            return _inner.TrySend(buffer, offset, count);
        }

        _outgoing.Enqueue((Due(_outgoing, delayMs), Copy(buffer, offset, count)));
        return LinkSendStatus.Ok;
    }

    void ILinkChannelSink.OnChannelUp() => _sink.OnChannelUp();

    void ILinkChannelSink.OnChannelDown(string reason)
    {
        _incoming.Clear();
        _outgoing.Clear();
        _sink.OnChannelDown(reason);
    }

    void ILinkChannelSink.OnChannelMessage(byte[] buffer, int offset, int count)
    {
        MessageFault fault = _faults.Next(LinkDirection.In, out int delayMs);
        switch (fault)
        {
            case MessageFault.Drop:
                return;
            case MessageFault.Corrupt:
                byte[] corrupted = Copy(buffer, offset, count);
                Corrupt(corrupted);
                Deliver(corrupted, 0, corrupted.Length, 0);
                return;
            case MessageFault.Duplicate:
                Deliver(buffer, offset, count, 0);
                Deliver(buffer, offset, count, 0);
                return;
            case MessageFault.Forge:
                byte[] forged = Copy(buffer, offset, count);
                Forge(forged);
                Deliver(buffer, offset, count, 0);
                Deliver(forged, 0, forged.Length, 0);
                return;
            default:
                Deliver(buffer, offset, count, delayMs);
                return;
        }
    }

    private void Deliver(byte[] buffer, int offset, int count, int delayMs)
    {
        if (delayMs == 0 && _incoming.Count == 0)
        {
            _sink.OnChannelMessage(buffer, offset, count);
            return;
        }

        _incoming.Enqueue((Due(_incoming, delayMs), Copy(buffer, offset, count)));
    }

    private long Due(Queue<(long DueMs, byte[] Message)> queue, int delayMs)
    {
        long due = _faults.NowMs + delayMs;
        foreach (var queued in queue)
        {
            due = Math.Max(due, queued.DueMs);
        }

        return due;
    }

    /// <summary>Makes the envelope undecodable: tag byte 0x07 = field number 0, wire type 7.</summary>
    public static void Corrupt(byte[] message)
    {
        if (message.Length == 0)
        {
            return;
        }

        message[0] = 0x07;
        if (message.Length > 1)
        {
            message[^1] ^= 0xFF;
        }
    }

    /// <summary>A forged copy: the last byte (of an authenticated message: of its auth_tag) inverted.</summary>
    public static void Forge(byte[] message)
    {
        if (message.Length > 0)
        {
            message[^1] ^= 0xFF;
        }
    }

    private static byte[] Copy(byte[] buffer, int offset, int count)
    {
        var copy = new byte[count];
        Array.Copy(buffer, offset, copy, 0, count);
        return copy;
    }

    public void Wake() => _inner.Wake();

    public LinkCounters? TransportCounters => _inner.TransportCounters;

    public void Dispose() => _inner.Dispose();
}
