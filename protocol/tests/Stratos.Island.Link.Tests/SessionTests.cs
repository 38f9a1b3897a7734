using System.Collections.Generic;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Link.Tests;

/// <summary>Agent and island sessions over a real rpmsg link (in-memory rings), with a hand-driven clock.</summary>
[TestClass]
public sealed class SessionTests
{
    private sealed class Side : ISessionSink
    {
        public readonly List<(uint Version, ulong PeerBoot, bool Restarted)> Established = new();
        public readonly List<string> Lost = new();
        public readonly List<(uint Id, EnvelopeBody Body)> Responses = new();
        public readonly List<uint> Timeouts = new();
        public readonly List<(EnvelopeBody Body, uint Correlation, uint Sequence)> Messages = new();
        public readonly RecordingErrors Errors = new();
        public LinkSession Session = null!;
        public bool AnswerStatusRequests;

        public void OnEstablished(uint version, ulong peerBootId, bool peerRestarted) => Established.Add((version, peerBootId, peerRestarted));

        public void OnSessionLost(string reason) => Lost.Add(reason);

        public void OnResponse(uint correlationId, Envelope envelope) => Responses.Add((correlationId, envelope.BodyCase));

        public void OnRequestTimeout(uint correlationId) => Timeouts.Add(correlationId);

        public void OnMessage(Envelope envelope)
        {
            Messages.Add((envelope.BodyCase, envelope.CorrelationId, envelope.Sequence));
            if (AnswerStatusRequests && envelope.BodyCase == EnvelopeBody.StatusRequest)
            {
                Session.BeginMessage(EnvelopeBody.RequestResult);
                Assert.AreEqual(LinkSendStatus.Ok, Session.TrySendResponse(envelope.CorrelationId));
            }
        }
    }

    private sealed class Harness
    {
        public readonly LinkPair Pair = new();
        public Side Agent = null!;
        public Side Island = null!;
        public long Now = 1_000;

        public Harness(uint agentMin = 1, uint agentMax = 1, uint islandMin = 1, uint islandMax = 1)
        {
            Agent = NewSide(Pair.Driver, Role.Agent, 0xA6E7_0001, agentMin, agentMax);
            Island = NewSide(Pair.Device, Role.Island, 0x151A_0001, islandMin, islandMax);
            Pair.Settle();
            Island.Session.Start(Now);
            Agent.Session.Start(Now);
            Run(50);
        }

        public Side NewSide(RpmsgLink link, Role role, ulong bootId, uint min, uint max)
        {
            Side side = new();
            EndpointTransport transport = new();
            SessionSettings settings = new()
            {
                Role = role, BootId = bootId, MinVersion = min, MaxVersion = max, BoardId = "virt", SoftwareVersion = "test",
                HelloRetryMs = 100, KeepaliveIntervalMs = 200, PeerTimeoutMs = 1_000,
            };
            side.Session = new LinkSession(settings, transport, side, side.Errors);
            transport.Endpoint = link.CreateEndpoint("stratos-session", RpmsgHeader.AddressAny, side.Session);
            return side;
        }

        /// <summary>Advances the clock in 10 ms steps, polling links and sessions.</summary>
        public void Run(int milliseconds, bool islandAlive = true)
        {
            for (int t = 0; t < milliseconds; t += 10)
            {
                Now += 10;
                if (islandAlive)
                {
                    Pair.Device.Poll();
                    Island.Session.Poll(Now);
                }

                Pair.Driver.Poll();
                Agent.Session.Poll(Now);
            }
        }
    }

    [TestMethod]
    public void Hello_negotiates_the_highest_common_version_and_exchanges_boot_ids()
    {
        Harness h = new(agentMin: 1, agentMax: 3, islandMin: 1, islandMax: 2);
        Assert.AreEqual(SessionState.Established, h.Agent.Session.State);
        Assert.AreEqual(SessionState.Established, h.Island.Session.State);
        Assert.AreEqual(2u, h.Agent.Session.Version);
        Assert.AreEqual((2u, 0x151A_0001ul, false), h.Agent.Established[0]);
        Assert.AreEqual((2u, 0xA6E7_0001ul, false), h.Island.Established[0]);
    }

    [TestMethod]
    public void No_common_version_is_refused_with_an_error_and_counted()
    {
        Harness h = new(agentMin: 3, agentMax: 4, islandMin: 1, islandMax: 2);
        Assert.AreEqual(SessionState.Connecting, h.Agent.Session.State);
        Assert.AreEqual(SessionState.WaitingForHello, h.Island.Session.State);
        Assert.IsTrue(h.Island.Session.Counters.VersionMismatches >= 1);
        Assert.IsTrue(h.Agent.Session.Counters.VersionMismatches >= 1);
        Assert.IsTrue(h.Agent.Errors.Errors.Exists(e => e.Message.Contains("agent offers versions 3..4, island supports 1..2")));
    }

    [TestMethod]
    public void Answer_is_matched_to_its_request_by_correlation_id()
    {
        Harness h = new();
        h.Island.AnswerStatusRequests = true;
        h.Agent.Session.BeginMessage(EnvelopeBody.StatusRequest);
        Assert.AreEqual(LinkSendStatus.Ok, h.Agent.Session.TrySendRequest(500, out uint id));
        Assert.AreNotEqual(0u, id);
        h.Run(30);
        Assert.AreEqual(1, h.Agent.Responses.Count);
        Assert.AreEqual((id, EnvelopeBody.RequestResult), h.Agent.Responses[0]);
        Assert.AreEqual(0, h.Agent.Timeouts.Count);
    }

    [TestMethod]
    public void Unanswered_request_times_out_at_its_deadline()
    {
        Harness h = new();
        h.Agent.Session.BeginMessage(EnvelopeBody.StatusRequest);
        h.Agent.Session.TrySendRequest(300, out uint id);
        h.Run(250);
        Assert.AreEqual(0, h.Agent.Timeouts.Count);
        h.Run(100);
        CollectionAssert.AreEqual(new[] { id }, h.Agent.Timeouts);
        Assert.AreEqual(1, h.Agent.Session.Counters.RequestsTimedOut);
        Assert.AreEqual(1, h.Island.Messages.Count, "the island saw the request");
    }

    [TestMethod]
    public void Idle_sessions_keep_each_other_alive_with_pings()
    {
        Harness h = new();
        h.Run(5_000);
        Assert.AreEqual(SessionState.Established, h.Agent.Session.State);
        Assert.AreEqual(SessionState.Established, h.Island.Session.State);
        Assert.IsTrue(h.Agent.Session.Counters.KeepalivesSent >= 10);
        Assert.AreEqual(0, h.Agent.Lost.Count);
        Assert.AreEqual(0, h.Agent.Messages.Count, "pings and pongs are not surfaced");
    }

    [TestMethod]
    public void Silent_island_loses_the_session_fails_pending_requests_and_the_agent_says_hello_again()
    {
        Harness h = new();
        h.Agent.Session.BeginMessage(EnvelopeBody.StatusRequest);
        h.Agent.Session.TrySendRequest(60_000, out uint id);
        int sentBefore = h.Agent.Session.Counters.Sent;
        h.Run(1_500, islandAlive: false);
        Assert.AreEqual(SessionState.Connecting, h.Agent.Session.State);
        Assert.AreEqual(1, h.Agent.Lost.Count);
        StringAssert.Contains(h.Agent.Lost[0], "peer silent");
        CollectionAssert.AreEqual(new[] { id }, h.Agent.Timeouts);
        Assert.IsTrue(h.Agent.Session.Counters.Sent > sentBefore + 2, "Hello is repeated");
        h.Run(300);
        Assert.AreEqual(SessionState.Established, h.Agent.Session.State);
        Assert.IsFalse(h.Agent.Established[^1].Restarted, "same island boot id: not a restart");
    }

    [TestMethod]
    public void Island_reboot_with_a_new_boot_id_is_reported_as_a_peer_restart_at_the_resync_point()
    {
        Harness h = new();
        // The island reboots: a new link instance, a new session with a new boot id.
        h.Pair.NewDevice();
        h.Island = h.NewSide(h.Pair.Device, Role.Island, 0x151A_0002, 1, 1);
        h.Pair.Device.Start();
        h.Island.Session.Start(h.Now);
        h.Agent.Session.OnTransportReset("link restarted");
        h.Run(400);
        Assert.AreEqual(SessionState.Established, h.Agent.Session.State);
        Assert.AreEqual((1u, 0x151A_0002ul, true), h.Agent.Established[^1]);
        Assert.AreEqual(1, h.Agent.Session.Counters.PeerRestarts);
    }

    [TestMethod]
    public void Agent_restart_is_reported_to_the_island_as_a_peer_restart()
    {
        Harness h = new();
        h.Pair.NewDriver();
        h.Agent = h.NewSide(h.Pair.Driver, Role.Agent, 0xA6E7_0002, 1, 1);
        h.Pair.Driver.Start();
        h.Agent.Session.Start(h.Now);
        h.Run(400);
        Assert.AreEqual(SessionState.Established, h.Island.Session.State);
        Assert.AreEqual((1u, 0xA6E7_0002ul, true), h.Island.Established[^1]);
    }

    [TestMethod]
    public void Duplicate_and_skipped_sequences_are_counted_and_duplicates_dropped()
    {
        Harness h = new();
        Envelope envelope = new();
        byte[] buffer = new byte[496];
        uint baseSequence = (uint)h.Agent.Session.Counters.Sent + 100u;
        void Inject(uint sequence)
        {
            envelope.Clear();
            envelope.SetBody(EnvelopeBody.StatusRequest);
            envelope.ProtocolVersion = 1;
            envelope.Sequence = sequence;
            Assert.AreEqual(CodecStatus.Ok, envelope.Encode(buffer, 0, buffer.Length, out int written));
            h.Island.Session.OnMessage(0x400, 0x401, buffer, 0, written);
        }

        Inject(baseSequence);      // jump ahead: counted as out of order
        Inject(baseSequence + 1);
        Inject(baseSequence + 1);  // duplicate: dropped
        Inject(baseSequence - 5);  // old: dropped
        Inject(baseSequence + 4);  // two missing
        SessionCounters c = h.Island.Session.Counters;
        Assert.AreEqual(2, c.DuplicatesDropped);
        Assert.AreEqual(2, c.OutOfOrder);
        Assert.AreEqual(3, h.Island.Messages.Count);
        Assert.IsTrue(c.MissingSequences >= 2);
    }

    [TestMethod]
    public void Malformed_envelope_is_counted_and_answered_with_an_error_without_breaking_the_session()
    {
        Harness h = new();
        byte[] garbage = { 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
        h.Island.Session.OnMessage(0x400, 0x401, garbage, 0, garbage.Length);
        Assert.AreEqual(1, h.Island.Session.Counters.Malformed);
        StringAssert.Contains(h.Island.Errors.Errors[0].Message, "malformed Envelope of 12 bytes");
        h.Run(30);
        Assert.IsTrue(h.Agent.Messages.Exists(m => m.Body == EnvelopeBody.Error));
        h.Island.AnswerStatusRequests = true;
        h.Agent.Session.BeginMessage(EnvelopeBody.StatusRequest);
        Assert.AreEqual(LinkSendStatus.Ok, h.Agent.Session.TrySendRequest(500, out uint id));
        h.Run(30);
        Assert.AreEqual(id, h.Agent.Responses[^1].Id);
    }

    [TestMethod]
    public void Sending_before_the_session_is_established_is_refused()
    {
        LinkPair pair = new();
        Side side = new();
        LinkSession session = new(new SessionSettings { Role = Role.Agent, BootId = 1 }, new EndpointTransport(), side, null!);
        session.BeginMessage(EnvelopeBody.StatusRequest);
        Assert.AreEqual(LinkSendStatus.NotReady, session.TrySendMessage());
        Assert.AreEqual(LinkSendStatus.NotReady, session.TrySendRequest(100, out _));
        Assert.AreEqual(LinkState.Up, pair.Driver.State);
    }
}
