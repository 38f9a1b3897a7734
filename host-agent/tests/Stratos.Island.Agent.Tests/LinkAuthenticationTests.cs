using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Link;
using Stratos.Island.Boards;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;

using Stratos.Island.Link.Tests;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The authenticated link (docs/link.md "Authentication"): the agent's session as island-agent runs it
/// (HmacLinkAuthenticator on libcrypto's SHA-256 block function) against the island's session on the
/// firmware's software SHA-256 (IslandLinkAuthenticator), an independent .NET implementation
/// (DotNetLinkAuthenticator) as the reference,
/// joined by an in-memory pipe under simulated time; an attacker with write access to the pipe
/// forges, replays, reorders and truncates messages.
/// </summary>
[TestClass]
public sealed class LinkAuthenticationTests
{
    private static readonly byte[] BoardKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private long _now = 1_000;

    private sealed class Pipe : IMessageTransport
    {
        public readonly Queue<byte[]> Queue = new();
        public readonly List<byte[]> Sent = new();

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            byte[] copy = buffer.AsSpan(offset, count).ToArray();
            Queue.Enqueue(copy);
            Sent.Add(copy);
            return LinkSendStatus.Ok;
        }
    }

    private sealed class Recorder : ISessionListener, ILinkRejectionSink
    {
        public readonly List<string> Log = new();
        public readonly List<Envelope> Delivered = new();
        public readonly List<string> Rejections = new();
        public readonly List<string> Errors = new();

        public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version) => Log.Add("up");

        public void OnSessionDown(SessionDownReason reason, string detail) => Log.Add($"down {reason}: {detail}");

        public void OnEnvelope(Envelope envelope)
        {
            var copy = new Envelope();
            byte[] buffer = new byte[496];
            envelope.Encode(buffer, 0, buffer.Length, out int n);
            copy.Decode(buffer, 0, n);
            Delivered.Add(copy);
            if (envelope.BodyCase == EnvelopeBody.Error)
            {
                Errors.Add($"{envelope.Error.Code}: {envelope.Error.Message}");
            }
        }

        public void OnRequestTimeout(uint correlationId)
        {
        }

        public void OnRejected(LinkRejection rejection, uint sequence, string detail) => Rejections.Add($"{rejection} {sequence}: {detail}");
    }

    private readonly Pipe _toIsland = new();
    private readonly Pipe _toAgent = new();
    private readonly Recorder _agentEvents = new();
    private readonly Recorder _islandEvents = new();
    private LinkSession _agent = null!;
    private LinkSession _island = null!;

    private void Create(byte[]? agentKey, byte[]? islandKey, bool agentRequires = false, bool islandRequires = false)
    {
        _agent = new LinkSession(Role.Agent, 0xA1A1, new SessionSettings
        {
            Authenticator = agentKey is null ? null : new HmacLinkAuthenticator(agentKey, LibcryptoSha256Block.Select(_ => { })),
            RequireAuthentication = agentRequires,
            RejectionSink = _agentEvents,
        }, _toIsland, _agentEvents);
        _island = new LinkSession(Role.Island, 0x1515, new SessionSettings
        {
            BoardId = "virtual",
            Authenticator = islandKey is null ? null : new IslandLinkAuthenticator(islandKey),
            RequireAuthentication = islandRequires,
            RejectionSink = _islandEvents,
        }, _toAgent, _islandEvents);
        _island.TransportUp(_now);
        _agent.TransportUp(_now);
        Run(30);
    }

    /// <summary>Delivers queued messages both ways and polls both sides, advancing time by stepMs each round.</summary>
    private void Run(int totalMs, int stepMs = 5) => SessionPump.Run(_agent, _island, _toIsland.Queue, _toAgent.Queue, ref _now, totalMs, stepMs);

    private void Deliver() => SessionPump.Deliver(_agent, _island, _toIsland.Queue, _toAgent.Queue, _now);

    /// <summary>The agent sends one checkpoint; returns the bytes that went on the wire (delivered).</summary>
    private byte[] SendCheckpoint(uint entity)
    {
        Envelope outgoing = _agent.Outgoing;
        outgoing.SetBody(EnvelopeBody.Checkpoint);
        outgoing.Checkpoint.EntityId = entity;
        outgoing.Checkpoint.CheckpointId = 1;
        Assert.AreEqual(LinkSendStatus.Ok, _agent.Send(outgoing));
        byte[] wire = _toIsland.Sent[^1];
        Deliver();
        return wire;
    }

    private int IslandCheckpoints() => _islandEvents.Delivered.FindAll(e => e.BodyCase == EnvelopeBody.Checkpoint).Count;

    private void AssertStillUpAndServing()
    {
        int before = IslandCheckpoints();
        SendCheckpoint(99);
        Run(300);
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.AreEqual(SessionState.Up, _island.State);
        Assert.IsTrue(_agent.Authenticated && _island.Authenticated);
        Assert.AreEqual(before + 1, IslandCheckpoints(), "valid traffic continues after the rejection");
    }

    private void AssertAgentToldOf(string kind)
    {
        Assert.IsTrue(_agentEvents.Errors.Exists(e => e.StartsWith("Integrity") && e.Contains(kind)),
            "the agent received Error INTEGRITY naming '" + kind + "': " + string.Join(" | ", _agentEvents.Errors));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-tag~1")]
    [Verifies("IslDsgn~link-auth-negotiation~1")]
    public void Both_sides_with_the_board_key_negotiate_an_authenticated_session_and_tag_every_message()
    {
        Create(BoardKey, BoardKey);
        Assert.IsTrue(_agent.Authenticated);
        Assert.IsTrue(_island.Authenticated);
        SendCheckpoint(1);
        Run(300);
        Assert.AreEqual(1, IslandCheckpoints());
        foreach (byte[] wire in _toIsland.Sent)
        {
            Assert.AreEqual(0x22, wire[^18], "every agent message ends in auth_tag");
            Assert.AreEqual(16, wire[^17]);
        }

        foreach (byte[] wire in _toAgent.Sent)
        {
            Assert.AreEqual(0x22, wire[^18], "every island message ends in auth_tag");
        }

        Assert.AreEqual(0, _island.Counters.AuthForged + _island.Counters.AuthReplayed + _island.Counters.AuthReordered + _island.Counters.AuthTruncated);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-rejection~1")]
    public void Forged_message_is_rejected_counted_reported_and_the_link_stays_up()
    {
        Create(BoardKey, BoardKey);
        byte[] wire = SendCheckpoint(1);
        byte[] forged = (byte[])wire.Clone();
        forged[^19] ^= 0x02;   // one bit of the last body value (checkpoint id 1 -> 3), tag unchanged
        // A fresh sequence number, so only the tag can give it away.
        _island.OnMessage(forged, 0, forged.Length, _now);
        Run(20);
        Assert.AreEqual(1, _island.Counters.AuthForged);
        Assert.AreEqual(1, IslandCheckpoints());
        StringAssert.StartsWith(_islandEvents.Rejections[0], "Forged");
        AssertAgentToldOf("forged");
        AssertStillUpAndServing();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-rejection~1")]
    public void Message_tagged_with_another_board_key_is_rejected_as_forged()
    {
        Create(BoardKey, BoardKey);
        var attacker = new DotNetLinkAuthenticator(new byte[32]);
        attacker.StartSession(_agent.BootId, _island.BootId);
        var envelope = new Envelope { ProtocolVersion = 1, Sequence = 1000 };
        envelope.SetBody(EnvelopeBody.Checkpoint);
        envelope.Checkpoint.EntityId = 7;
        byte[] buffer = new byte[496];
        Assert.AreEqual(CodecStatus.Ok, envelope.Encode(buffer, 0, 478, out int n));
        buffer[n] = 0x22;
        buffer[n + 1] = 16;
        attacker.ComputeTag(LinkKey.AgentToIsland, 1000, buffer, 0, n, buffer, n + 2);
        _island.OnMessage(buffer, 0, n + 18, _now);
        Assert.AreEqual(1, _island.Counters.AuthForged);
        Assert.AreEqual(0, IslandCheckpoints());
        AssertStillUpAndServing();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-rejection~1")]
    public void Replayed_message_is_rejected_counted_reported_and_the_link_stays_up()
    {
        Create(BoardKey, BoardKey);
        byte[] wire = SendCheckpoint(1);
        _island.OnMessage(wire, 0, wire.Length, _now);
        Run(20);
        Assert.AreEqual(1, _island.Counters.AuthReplayed);
        Assert.AreEqual(1, IslandCheckpoints(), "the replay was not delivered");
        StringAssert.StartsWith(_islandEvents.Rejections[0], "Replayed");
        AssertAgentToldOf("replayed");
        AssertStillUpAndServing();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-rejection~1")]
    public void Reordered_message_is_rejected_counted_reported_and_the_link_stays_up()
    {
        Create(BoardKey, BoardKey);
        byte[] older = SendCheckpoint(1);
        SendCheckpoint(2);
        _island.OnMessage(older, 0, older.Length, _now);
        Run(20);
        Assert.AreEqual(1, _island.Counters.AuthReordered);
        Assert.AreEqual(2, IslandCheckpoints());
        StringAssert.StartsWith(_islandEvents.Rejections[0], "Reordered");
        AssertAgentToldOf("reordered");
        AssertStillUpAndServing();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-rejection~1")]
    public void Truncated_message_is_rejected_counted_reported_and_the_link_stays_up()
    {
        Create(BoardKey, BoardKey);
        Envelope outgoing = _agent.Outgoing;
        outgoing.SetBody(EnvelopeBody.Checkpoint);
        outgoing.Checkpoint.EntityId = 5;
        _toIsland.Queue.Clear();
        Assert.AreEqual(LinkSendStatus.Ok, _agent.Send(outgoing));
        byte[] wire = _toIsland.Queue.Dequeue();
        for (int cut = 1; cut <= 18; cut++)
        {
            _island.OnMessage(wire, 0, wire.Length - cut, _now);
        }

        Run(20);
        Assert.AreEqual(0, IslandCheckpoints(), "no cut-short copy was delivered");
        Assert.AreEqual(18, _island.Counters.AuthTruncated + _island.Counters.AuthForged + _island.Counters.DecodeErrors);
        Assert.IsGreaterThanOrEqualTo(1L, _island.Counters.AuthTruncated);
        AssertStillUpAndServing();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-rejection~1")]
    public void Forged_message_to_the_agent_is_rejected_and_the_island_is_told()
    {
        Create(BoardKey, BoardKey);
        Run(200);
        byte[] fromIsland = _toAgent.Sent[^1];
        byte[] forged = (byte[])fromIsland.Clone();
        forged[^1] ^= 0x80;
        _agent.OnMessage(forged, 0, forged.Length, _now);
        Run(20);
        Assert.AreEqual(1, _agent.Counters.AuthForged);
        Assert.IsTrue(_islandEvents.Errors.Exists(e => e.StartsWith("Integrity") && e.Contains("forged")), string.Join(" | ", _islandEvents.Errors));
        AssertStillUpAndServing();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-negotiation~1")]
    public void Island_that_requires_authentication_refuses_an_agent_without_the_key_with_a_clear_reason()
    {
        Create(null, BoardKey, islandRequires: true);
        Run(200);
        Assert.AreEqual(SessionState.Connecting, _agent.State);
        Assert.AreNotEqual(SessionState.Up, _island.State);
        Assert.IsGreaterThanOrEqualTo(1L, _island.Counters.AuthRefused);
        Assert.IsTrue(_agentEvents.Log.Exists(l => l.StartsWith("down AuthenticationRequired") && l.Contains("requires an authenticated link")),
            string.Join(" | ", _agentEvents.Log));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-negotiation~1")]
    public void Agent_that_requires_authentication_refuses_an_island_without_the_key_with_a_clear_reason()
    {
        Create(BoardKey, null, agentRequires: true);
        Assert.AreEqual(SessionState.Connecting, _agent.State);
        Assert.IsTrue(_agentEvents.Log.Exists(l => l.StartsWith("down AuthenticationRequired") && l.Contains("island offered none")),
            string.Join(" | ", _agentEvents.Log));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-negotiation~1")]
    public void Without_a_requirement_a_peer_without_the_key_gets_an_unauthenticated_session()
    {
        Create(BoardKey, null);
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.IsFalse(_agent.Authenticated);
        Assert.IsFalse(_island.Authenticated);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-negotiation~1")]
    public void Different_board_keys_never_come_up_and_the_agent_names_the_key()
    {
        byte[] other = (byte[])BoardKey.Clone();
        other[0] ^= 1;
        Create(BoardKey, other);
        Run(200);
        Assert.AreEqual(SessionState.Connecting, _agent.State);
        Assert.IsGreaterThanOrEqualTo(1L, _island.Counters.AuthForged);
        Assert.IsTrue(_agentEvents.Log.Exists(l => l.Contains("same board key")), string.Join(" | ", _agentEvents.Log));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-keys~1")]
    public void Restarted_island_is_re_authenticated_with_fresh_session_keys()
    {
        Create(BoardKey, BoardKey);
        byte[] oldSession = SendCheckpoint(1);
        _island = new LinkSession(Role.Island, 0x2626, new SessionSettings { Authenticator = new IslandLinkAuthenticator(BoardKey), RejectionSink = _islandEvents }, _toAgent, _islandEvents);
        _island.TransportUp(_now);
        Run(100);   // the agent's traffic meets "no session", it re-Hellos
        Run(1500);
        Assert.AreEqual(SessionState.Up, _agent.State);
        Assert.IsTrue(_island.Authenticated);
        // A message of the old session (old keys) does not verify in the new one.
        _island.OnMessage(oldSession, 0, oldSession.Length, _now);
        Assert.AreEqual(1, _island.Counters.AuthForged);
    }

    [TestMethod]
    [Verifies("IslDsgn~steady-state-no-allocation~1")]
    public void Authenticated_steady_state_allocates_nothing_on_the_island()
    {
        Create(BoardKey, BoardKey);
        Run(300);
        var island = new IslandLinkAuthenticator(BoardKey);
        island.StartSession(1, 2);
        byte[] data = new byte[478];
        byte[] tag = new byte[16];
        island.ComputeTag(LinkKey.AgentToIsland, 1, data, 0, data.Length, tag, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (uint i = 0; i < 1000; i++)
        {
            island.ComputeTag(LinkKey.AgentToIsland, i, data, 0, data.Length, tag, 0);
        }

        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-keys~1")]
    [Verifies("IslDsgn~link-auth-tag~1")]
    public void All_implementations_compute_the_same_tags()
    {
        using var reference = new DotNetLinkAuthenticator(BoardKey);
        ILinkAuthenticator[] implementations =
        {
            new IslandLinkAuthenticator(BoardKey),
            new HmacLinkAuthenticator(BoardKey, LibcryptoSha256Block.Select(_ => { })),
        };
        reference.StartSession(0x0123456789abcdef, 0xfedcba9876543210);
        foreach (ILinkAuthenticator implementation in implementations)
        {
            implementation.StartSession(0x0123456789abcdef, 0xfedcba9876543210);
        }

        var random = new Random(4231);
        byte[] expected = new byte[16];
        byte[] actual = new byte[16];
        foreach (LinkKey key in new[] { LinkKey.Hello, LinkKey.AgentToIsland, LinkKey.IslandToAgent })
        {
            for (int round = 0; round < 50; round++)
            {
                byte[] data = new byte[random.Next(0, 479)];
                random.NextBytes(data);
                uint sequence = (uint)random.Next();
                reference.ComputeTag(key, sequence, data, 0, data.Length, expected, 0);
                foreach (ILinkAuthenticator implementation in implementations)
                {
                    implementation.ComputeTag(key, sequence, data, 0, data.Length, actual, 0);
                    CollectionAssert.AreEqual(expected, actual, $"{implementation.GetType().Name} {key} round {round}");
                }
            }
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-negotiation~1")]
    public void Board_key_file_readable_by_group_or_other_is_refused_with_the_fix()
    {
        string dir = Directory.CreateTempSubdirectory("i15-key").FullName;
        try
        {
            string path = Path.Combine(dir, "board.key");
            byte[] key = LinkKeyFile.Create(path);
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            CollectionAssert.AreEqual(key, LinkKeyFile.Read(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => LinkKeyFile.Read(path));
            StringAssert.Contains(e.Message, "0640");
            StringAssert.Contains(e.Message, "chmod 600");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(path, "not a key");
            e = Assert.ThrowsExactly<InvalidDataException>(() => LinkKeyFile.Read(path));
            StringAssert.Contains(e.Message, "32 bytes or 64 hex digits");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
