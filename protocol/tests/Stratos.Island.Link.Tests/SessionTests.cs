using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Link.Tests;

/// <summary>
/// The session layer between an agent and an island session joined by an in-memory message pipe,
/// under simulated time. The pipe can hold messages back (a silent peer) and the tests can swap in a
/// new session object with a new boot id (a restarted process).
/// </summary>
[TestClass]
public sealed class SessionTests
{
    private long _now = 1_000;

    private sealed class Pipe : IMessageTransport
    {
        public readonly Queue<byte[]> Queue = new();
        public bool Full;
        public bool Blackhole;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            if (Full)
            {
                return LinkSendStatus.NoTxBuffer;
            }

            if (!Blackhole)
            {
                Queue.Enqueue(buffer.AsSpan(offset, count).ToArray());
            }

            return LinkSendStatus.Ok;
        }
    }

    private sealed class Recorder : ISessionListener
    {
        public readonly List<string> Log = new();
        public readonly List<EnvelopeBody> Bodies = new();
        public readonly List<uint> Sequences = new();
        public readonly List<uint> TimedOut = new();

        public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version) => Log.Add($"up {peerBootId:x} restarted={peerRestarted} v{version}");

        public void OnSessionDown(SessionDownReason reason, string detail) => Log.Add($"down {reason}");

        public void OnEnvelope(Envelope envelope)
        {
            Bodies.Add(envelope.BodyCase);
            Sequences.Add(envelope.Sequence);
        }

        public void OnRequestTimeout(uint correlationId) => TimedOut.Add(correlationId);
    }

    private Pipe _toIsland = new();
    private Pipe _toAgent = new();
    private Recorder _agentEvents = new();
    private Recorder _islandEvents = new();
    private LinkSession _agent = null!;
    private LinkSession _island = null!;

    [TestInitialize]
    public void Create()
    {
        _agent = NewAgent(0xA1);
        _island = NewIsland(0x15, new SessionSettings { BoardId = "virtual", SupervisionCycleMs = 10, VmCount = 2 });
    }

    private LinkSession NewAgent(ulong boot, SessionSettings? settings = null)
    {
        _agentEvents = new Recorder();
        return new LinkSession(Role.Agent, boot, settings ?? new SessionSettings(), _toIsland, _agentEvents);
    }

    private LinkSession NewIsland(ulong boot, SessionSettings? settings = null)
    {
        _islandEvents = new Recorder();
        return new LinkSession(Role.Island, boot, settings ?? new SessionSettings(), _toAgent, _islandEvents);
    }

    /// <summary>Delivers queued messages both ways and polls both sides, advancing time by stepMs each round.</summary>
    private void Run(int totalMs, int stepMs = 5) => SessionPump.Run(_agent, _island, _toIsland.Queue, _toAgent.Queue, ref _now, totalMs, stepMs);

    private void Deliver() => SessionPump.Deliver(_agent, _island, _toIsland.Queue, _toAgent.Queue, _now);

    private void Connect()
    {
        _island.TransportUp(_now);
        _agent.TransportUp(_now);
        Run(20);
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.AreEqual(SessionState.Up, _island.State);
    }

    private static byte[] Encode(Envelope e)
    {
        var buffer = new byte[496];
        Assert.AreEqual(CodecStatus.Ok, e.Encode(buffer, 0, buffer.Length, out int n));
        return buffer.AsSpan(0, n).ToArray();
    }

    private LinkSendStatus SendAlive(LinkSession from, uint entity)
    {
        from.Outgoing.SetBody(EnvelopeBody.AliveIndication);
        from.Outgoing.AliveIndication.EntityId = entity;
        from.Outgoing.AliveIndication.Count = 1;
        return from.Send(from.Outgoing);
    }

    [TestMethod]
    public void A_message_the_caller_encoded_goes_out_byte_for_byte_as_Send_would_write_it()
    {
        Connect();
        _agent.Outgoing.SetBody(EnvelopeBody.Checkpoint);
        _agent.Outgoing.CorrelationId = 300;   // a varint of two bytes
        _agent.Outgoing.Checkpoint.EntityId = 2;
        _agent.Outgoing.Checkpoint.CheckpointId = 7;
        Assert.AreEqual(LinkSendStatus.Ok, _agent.Send(_agent.Outgoing));
        byte[] sent = _toIsland.Queue.ToArray()[^1];

        // The same Envelope as its caller would encode it: without protocol_version and sequence.
        var fieldsOnly = new Envelope();
        Assert.AreEqual(CodecStatus.Ok, fieldsOnly.Decode(sent, 0, sent.Length));
        uint sequence = fieldsOnly.Sequence;
        fieldsOnly.ProtocolVersion = 0;
        fieldsOnly.Sequence = 0;
        byte[] fields = Encode(fieldsOnly);
        Assert.AreEqual(LinkSendStatus.Ok, _agent.SendEncoded(fields, 0, fields.Length));
        byte[] encoded = _toIsland.Queue.ToArray()[^1];

        var received = new Envelope();
        Assert.AreEqual(CodecStatus.Ok, received.Decode(encoded, 0, encoded.Length));
        Assert.AreEqual(sequence + 1, received.Sequence, "the session's next sequence number");
        received.Sequence = sequence;
        CollectionAssert.AreEqual(sent, Encode(received), "canonical: the bytes Send writes for the same Envelope");
        int before = _islandEvents.Bodies.Count;
        Run(5);
        Assert.AreEqual(2, _islandEvents.Bodies.Count - before, "the island took both");

        Assert.AreEqual(LinkSendStatus.TooLarge, _agent.SendEncoded(new byte[496], 0, 496), "no room left for version and sequence");
        Assert.AreEqual(LinkSendStatus.BadArgument, _agent.SendEncoded(fields, 1, fields.Length));
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void Hello_and_HelloAck_bring_both_sides_up_with_each_others_boot_ids()
    {
        Connect();
        Assert.AreEqual(0x15UL, _agent.PeerBootId);
        Assert.AreEqual(0xA1UL, _island.PeerBootId);
        CollectionAssert.AreEqual(new[] { "up 15 restarted=False v1" }, _agentEvents.Log);
        CollectionAssert.AreEqual(new[] { "up a1 restarted=False v1" }, _islandEvents.Log);
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void The_highest_common_version_is_chosen()
    {
        _agent = NewAgent(0xA1, new SessionSettings { MinVersion = 1, MaxVersion = 3 });
        _island = NewIsland(0x15, new SessionSettings { MinVersion = 1, MaxVersion = 2 });
        Connect();
        Assert.AreEqual(2u, _agent.Version);
        Assert.AreEqual(2u, _island.Version);
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void No_common_version_is_refused_and_retried_slowly()
    {
        _agent = NewAgent(0xA1, new SessionSettings { MinVersion = 2, MaxVersion = 3 });
        _island = NewIsland(0x15, new SessionSettings { MinVersion = 1, MaxVersion = 1 });
        _island.TransportUp(_now);
        _agent.TransportUp(_now);
        Run(500);
        Assert.AreEqual(SessionState.Connecting, _agent.State);
        Assert.AreEqual(SessionState.Connecting, _island.State);
        Assert.IsTrue(_agentEvents.Log.Count is >= 1 and <= 2, string.Join(", ", _agentEvents.Log));
        Assert.IsTrue(_agentEvents.Log.TrueForAll(l => l == "down VersionMismatch"));
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void Keepalives_keep_an_idle_session_up()
    {
        Connect();
        Run(5_000, 10);
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.AreEqual(0, _agent.Counters.KeepaliveTimeouts);
        Assert.AreEqual(0, _island.Counters.KeepaliveTimeouts);
        Assert.IsGreaterThanOrEqualTo(45L, _agent.Counters.Sent, "about one ping per 100 ms");
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void A_silent_island_is_detected_and_the_session_comes_back_when_it_speaks_again()
    {
        Connect();
        _toAgent.Blackhole = true;
        Run(1_200);
        Assert.AreEqual(SessionState.Connecting, _agent.State);
        CollectionAssert.Contains(_agentEvents.Log, "down KeepaliveTimeout");
        _toAgent.Blackhole = false;
        Run(250);   // the next Hello: the agent's resends have backed off to HelloRetryMaxMs
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.AreEqual("up 15 restarted=False v1", _agentEvents.Log[^1]);
    }

    [TestMethod]
    [Verifies("IslDsgn~session-before-hello~1")]
    public void An_island_restart_unseen_by_the_transport_is_detected_through_no_session_and_reported()
    {
        Connect();
        _island = NewIsland(0x16);
        _island.TransportUp(_now);
        Assert.AreEqual(LinkSendStatus.Ok, SendAlive(_agent, 1));
        long before = _now;
        while (_agentEvents.Log.Count < 3 && _now - before < 1_000)
        {
            Run(0, 1);
        }

        Assert.IsLessThanOrEqualTo(5L, _now - before, "back within one message round trip, far inside the 100 ms goal");
        Assert.AreEqual(SessionState.Up, _agent.State);
        CollectionAssert.AreEqual(new[] { "up 15 restarted=False v1", "down NoSessionAtPeer", "up 16 restarted=True v1" }, _agentEvents.Log);
        Assert.AreEqual(1, _agent.Counters.PeerRestarts);
        Assert.IsLessThanOrEqualTo(100L, _now - before);
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void An_agent_restart_is_reported_to_the_island_as_down_then_up_restarted()
    {
        Connect();
        _agent = NewAgent(0xA2);
        _agent.TransportUp(_now);
        Run(20);
        Assert.AreEqual(SessionState.Up, _agent.State);
        CollectionAssert.AreEqual(new[] { "up a1 restarted=False v1", "down PeerRestarted", "up a2 restarted=True v1" }, _islandEvents.Log);
    }

    [TestMethod]
    public void Transport_down_and_up_re_establishes_at_once()
    {
        Connect();
        _agent.TransportDown("ring reset");
        _island.TransportDown("ring reset");
        Assert.AreEqual(SessionState.Down, _agent.State);
        _island.TransportUp(_now);
        _agent.TransportUp(_now);
        Deliver();
        Assert.AreEqual(SessionState.Up, _agent.State, "one round trip, no waiting");
        CollectionAssert.AreEqual(new[] { "up 15 restarted=False v1", "down TransportDown", "up 15 restarted=False v1" }, _agentEvents.Log);
    }

    /// <summary>
    /// Runs both sessions over a line that takes <paramref name="oneWayMs"/> each way (a UART into a
    /// guest under emulation: the Xen machine's dom0 answered after 50-500 ms) until
    /// <paramref name="until"/> holds or <paramref name="totalMs"/> pass; returns the time it took.
    /// </summary>
    private long RunSlowLine(int oneWayMs, int totalMs, Func<bool> until)
    {
        var toIsland = new List<(long Due, byte[] Message)>();
        var toAgent = new List<(long Due, byte[] Message)>();
        long start = _now;
        while (_now - start < totalMs && !until())
        {
            while (_toIsland.Queue.TryDequeue(out var m))
            {
                toIsland.Add((_now + oneWayMs, m));
            }

            while (_toAgent.Queue.TryDequeue(out var m))
            {
                toAgent.Add((_now + oneWayMs, m));
            }

            foreach (var (due, m) in toIsland.FindAll(x => x.Due <= _now))
            {
                _island.OnMessage(m, 0, m.Length, _now);
            }

            foreach (var (due, m) in toAgent.FindAll(x => x.Due <= _now))
            {
                _agent.OnMessage(m, 0, m.Length, _now);
            }

            toIsland.RemoveAll(x => x.Due <= _now);
            toAgent.RemoveAll(x => x.Due <= _now);
            _agent.Poll(_now);
            _island.Poll(_now);
            _now += 5;
        }

        return _now - start;
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void An_island_restarted_behind_a_line_slower_than_the_hello_retry_is_back_within_a_few_round_trips()
    {
        // The Xen board's link loss (issue 18): island-sim killed, the agent re-Hellos into the
        // void, a new island answers over a line whose round trip (300 ms) is longer than the
        // Hello retry. Every HelloAck then answered an older Hello than the agent's latest, and the
        // agent, taking only the latest, never came up.
        Connect();
        _toIsland.Blackhole = true;
        _toAgent.Blackhole = true;
        Run(3_000);
        Assert.AreEqual(SessionState.Connecting, _agent.State);
        _toIsland.Blackhole = false;
        _toAgent.Blackhole = false;
        _island = NewIsland(0x16, new SessionSettings { BoardId = "virtual", SupervisionCycleMs = 10, VmCount = 2 });
        _island.TransportUp(_now);

        long took = RunSlowLine(oneWayMs: 150, totalMs: 20_000, () => _agent.State == SessionState.Up);
        Assert.AreEqual(SessionState.Up, _agent.State, "the agent's session never came back: " + string.Join(", ", _agentEvents.Log));
        Assert.AreEqual(0x16UL, _agent.PeerBootId);
        Assert.AreEqual("up 16 restarted=True v1", _agentEvents.Log[^1]);
        Assert.IsLessThanOrEqualTo(4 * 300L, took, "back within a few round trips of 300 ms");

        // The island settles: the Hellos still in flight re-open its session at most a few times,
        // then both sides stay up and application traffic flows.
        RunSlowLine(oneWayMs: 150, totalMs: 3_000, () => false);
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.AreEqual(SessionState.Up, _island.State);
        Assert.IsLessThanOrEqualTo(3, _islandEvents.Log.Count(l => l.StartsWith("up", StringComparison.Ordinal)), string.Join(", ", _islandEvents.Log));
        Assert.AreEqual(LinkSendStatus.Ok, SendAlive(_agent, 1));
        RunSlowLine(oneWayMs: 150, totalMs: 400, () => false);
        CollectionAssert.Contains(_islandEvents.Bodies, EnvelopeBody.AliveIndication);
    }

    [TestMethod]
    public void Hellos_into_a_silent_line_back_off_to_one_per_HelloRetryMaxMs()
    {
        _toIsland.Blackhole = true;
        long sentBefore = _agent.Counters.Sent;
        _agent.TransportUp(_now);
        Run(10_000, 10);
        long hellos = _agent.Counters.Sent - sentBefore;
        // After 50, 100 and 200 ms, one every 250 ms: 42 in 10 s (200 at a fixed 50 ms).
        Assert.IsLessThanOrEqualTo(43L, hellos, "Hellos sent in 10 s");
        Assert.IsGreaterThanOrEqualTo(38L, hellos, "still four a second");
        _toIsland.Blackhole = false;
        _island.TransportUp(_now);
        long took = RunSlowLine(oneWayMs: 1, totalMs: 2_000, () => _agent.State == SessionState.Up);
        Assert.IsLessThanOrEqualTo(260L, took, "the next Hello within HelloRetryMaxMs");
    }

    [TestMethod]
    [Verifies("IslDsgn~session-before-hello~1")]
    public void Application_messages_before_a_session_are_refused_not_delivered()
    {
        _island.TransportUp(_now);
        var e = new Envelope();
        e.SetBody(EnvelopeBody.VmRequest);
        e.Sequence = 1;
        e.VmRequest.VmId = 1;
        e.VmRequest.Action = VmAction.Start;
        var bytes = Encode(e);
        _island.OnMessage(bytes, 0, bytes.Length, _now);
        Assert.AreEqual(0, _islandEvents.Bodies.Count);
        Assert.AreEqual(1, _island.Counters.NoSessionRejects);
        var reply = new Envelope();
        var sent = _toAgent.Queue.Dequeue();
        Assert.AreEqual(CodecStatus.Ok, reply.Decode(sent, 0, sent.Length));
        Assert.AreEqual(ErrorCode.FailedPrecondition, reply.Error.Code);
        Assert.AreEqual(LinkSession.NoSessionMessage, reply.Error.Message);
    }

    [TestMethod]
    [Verifies("IslDsgn~session-sequence~1")]
    public void Duplicates_are_dropped_out_of_order_delivered_and_gaps_counted()
    {
        Connect();
        var e = new Envelope();
        e.SetBody(EnvelopeBody.AliveIndication);
        e.AliveIndication.EntityId = 1;
        e.AliveIndication.Count = 1;
        uint start = 100;
        foreach (uint seq in new uint[] { start, start, start + 3, start + 2, start + 4 })
        {
            e.Sequence = seq;
            var b = Encode(e);
            _island.OnMessage(b, 0, b.Length, _now);
        }

        CollectionAssert.AreEqual(new uint[] { start, start + 3, start + 2, start + 4 }, _islandEvents.Sequences);
        Assert.AreEqual(1, _island.Counters.Duplicates);
        Assert.AreEqual(1, _island.Counters.OutOfOrder);
        Assert.AreEqual(start - 2 + 2, _island.Counters.Gaps, "gap from the HelloAck's sequence to 100, and 101..102");
    }

    [TestMethod]
    [Verifies("IslDsgn~session-sequence~1")]
    public void Keepalives_between_messages_are_not_counted_as_gaps_on_either_side()
    {
        Connect();
        for (int i = 0; i < 20; i++)
        {
            Assert.AreEqual(LinkSendStatus.Ok, SendAlive(_agent, 1));
            Assert.AreEqual(LinkSendStatus.Ok, SendAlive(_island, 1));
            Run(250);   // two or three Ping/Pong rounds between application messages
        }

        Assert.IsGreaterThan(40L, _island.Counters.Received, "pings reached the island");
        Assert.AreEqual(0L, _island.Counters.Gaps);
        Assert.AreEqual(0L, _agent.Counters.Gaps);
        Assert.AreEqual(0L, _island.Counters.Duplicates + _island.Counters.OutOfOrder);
        Assert.AreEqual(20, _islandEvents.Bodies.Count);
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Malformed_bytes_are_counted_answered_and_valid_traffic_continues()
    {
        Connect();
        var garbage = new byte[] { 0x0a, 0xff, 0xff };
        _island.OnMessage(garbage, 0, garbage.Length, _now);
        Assert.AreEqual(1, _island.Counters.DecodeErrors);
        Assert.AreEqual(LinkSendStatus.Ok, SendAlive(_agent, 3));
        Deliver();
        CollectionAssert.Contains(_islandEvents.Bodies, EnvelopeBody.AliveIndication);
        Assert.AreEqual(SessionState.Up, _island.State);
        CollectionAssert.Contains(_agentEvents.Bodies, EnvelopeBody.Error, "the agent hears about the malformed frame");
    }

    [TestMethod]
    public void Without_application_bodies_the_agent_names_each_body_and_still_reads_its_own()
    {
        // The host agent's setting: it decodes application bodies itself, once (Google.Protobuf).
        _agent = NewAgent(0xA1, new SessionSettings { DecodeApplicationBodies = false });
        Connect();
        _island.Outgoing.SetBody(EnvelopeBody.VmStatus);
        _island.Outgoing.VmStatus.VmId = 4;
        _island.Outgoing.VmStatus.Name = "web";
        Assert.AreEqual(LinkSendStatus.Ok, _island.Send(_island.Outgoing));

        Run(2000);

        CollectionAssert.Contains(_agentEvents.Log, "up 15 restarted=False v1", "the HelloAck's body was read: the island's boot id");
        CollectionAssert.AreEqual(new[] { EnvelopeBody.VmStatus }, _agentEvents.Bodies);
        Assert.AreEqual(SessionState.Up, _agent.State, "keepalives answered over two peer time-outs");
        Assert.AreEqual(0L, _agent.Counters.DecodeErrors);
    }

    [TestMethod]
    public void Tracked_requests_time_out_unless_completed_and_a_session_drop_clears_them()
    {
        Connect();
        uint answered = _agent.NewCorrelationId();
        uint lost = _agent.NewCorrelationId();
        Assert.IsTrue(_agent.TrackRequest(answered, _now + 200));
        Assert.IsTrue(_agent.TrackRequest(lost, _now + 200));
        Assert.IsTrue(_agent.CompleteRequest(answered));
        Run(300);
        CollectionAssert.AreEqual(new[] { lost }, _agentEvents.TimedOut);
        Assert.IsTrue(_agent.TrackRequest(_agent.NewCorrelationId(), _now + 200));
        _agent.TransportDown("gone");
        Assert.AreEqual(0, _agent.TrackedRequests);
    }

    [TestMethod]
    [Verifies("IslDsgn~sends-never-block~1")]
    public void Sends_never_wait_a_full_ring_is_reported_and_counted()
    {
        Assert.AreEqual(LinkSendStatus.NotReady, SendAlive(_agent, 1));
        Connect();
        _toIsland.Full = true;
        Assert.AreEqual(LinkSendStatus.NoTxBuffer, SendAlive(_agent, 1));
        Assert.AreEqual(1, _agent.Counters.SendFailures);
        _toIsland.Full = false;
        Assert.AreEqual(LinkSendStatus.Ok, SendAlive(_agent, 1));
    }

    /// <summary>A one-slot pipe and a counting listener: nothing in the test allocates per message.</summary>
    private sealed class SlotPipe : IMessageTransport, ISessionListener
    {
        public readonly byte[] Slot = new byte[496];
        public int Length;
        public int Delivered;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            Array.Copy(buffer, offset, Slot, 0, count);
            Length = count;
            return LinkSendStatus.Ok;
        }

        public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version) { }

        public void OnSessionDown(SessionDownReason reason, string detail) { }

        public void OnEnvelope(Envelope envelope) => Delivered++;

        public void OnRequestTimeout(uint correlationId) { }
    }

    [TestMethod]
    [Verifies("IslDsgn~steady-state-no-allocation~1")]
    public void Steady_state_traffic_allocates_nothing()
    {
        var toIsland = new SlotPipe();
        var toAgent = new SlotPipe();
        var agent = new LinkSession(Role.Agent, 1, new SessionSettings(), toIsland, toAgent);
        var island = new LinkSession(Role.Island, 2, new SessionSettings(), toAgent, toIsland);
        island.TransportUp(_now);
        agent.TransportUp(_now);
        island.OnMessage(toIsland.Slot, 0, toIsland.Length, _now);
        agent.OnMessage(toAgent.Slot, 0, toAgent.Length, _now);
        Assert.AreEqual(SessionState.Up, agent.State);

        void Round(int i)
        {
            agent.Outgoing.SetBody(i % 2 == 0 ? EnvelopeBody.AliveIndication : EnvelopeBody.Checkpoint);
            agent.Outgoing.AliveIndication.EntityId = 1;
            agent.Outgoing.AliveIndication.Count = 1;
            agent.Outgoing.Checkpoint.EntityId = 1;
            agent.Outgoing.Checkpoint.CheckpointId = 7;
            agent.Send(agent.Outgoing);
            island.OnMessage(toIsland.Slot, 0, toIsland.Length, _now);
            _now += 10;
            toIsland.Length = 0;
            agent.Poll(_now);
            if (toIsland.Length > 0)
            {
                island.OnMessage(toIsland.Slot, 0, toIsland.Length, _now);
                agent.OnMessage(toAgent.Slot, 0, toAgent.Length, _now);
            }

            island.Poll(_now);
        }

        for (int i = 0; i < 1_000; i++)
        {
            Round(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Round(i);
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.AreEqual(SessionState.Up, agent.State);
        Assert.IsGreaterThanOrEqualTo(11_000, toIsland.Delivered);
    }
}
