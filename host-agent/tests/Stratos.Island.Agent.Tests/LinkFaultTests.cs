using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.TestHooks;
using Stratos.Island.Boards;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using LinkEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;
using LinkEvent = Stratos.Island.Protocol.Link.V1.Event;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The agent's link fault test hook (--fault-socket: LinkFaultHook = LinkFaults + FaultInjectingChannel
/// + LinkFaultSocket, in Stratos.Island.Agent.TestHooks) on the real
/// shared-memory link to the scripted island, driven through the real UNIX command socket; and the
/// event feed filling holes in the live stream from the island's log.
/// </summary>
[TestClass]
public sealed class LinkFaultTests
{
    // The agent as island-agent's host assembles it: with --fault-socket the hook is plugged in
    // through AgentOptions.LinkChannelDecorator, without it the agent gets no decorator at all.
    private static async Task<(TempDir Dir, ScriptedIsland Island, AgentRuntime Agent, LinkFaultHook? Hook)> StartAsync(bool faults)
    {
        var dir = new TempDir();
        var island = new ScriptedIsland(dir.Path);
        AgentOptions options = island.AgentOptionsIn(dir.Path);
        LinkFaultHook? hook = faults ? new LinkFaultHook(Path.Combine(dir.Path, "faults.sock"), NullLogger.Instance) : null;
        if (hook is not null)
        {
            options = options with { LinkChannelDecorator = hook.Decorate };
        }

        AgentRuntime agent = await AgentRuntime.StartAsync(options, NullLoggerFactory.Instance);
        await island.WaitForAsync(() => agent.Link.IsUp, "link up", 10000);
        return (dir, island, agent, hook);
    }

    private static async Task StopAsync((TempDir Dir, ScriptedIsland Island, AgentRuntime Agent, LinkFaultHook? Hook) rig)
    {
        rig.Hook?.Dispose();
        await rig.Agent.DisposeAsync();
        await rig.Agent.Backend.DisposeAsync();
        await rig.Island.DisposeAsync();
        rig.Dir.Dispose();
    }

    private static async Task<string> CommandAsync(string socketPath, string line)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5)) ?? "";
    }

    /// <summary>Collects WatchEvents sequence numbers until <paramref name="last"/> arrives.</summary>
    private static Task WatchUntilAsync(GrpcClient client, uint last, System.Collections.Generic.List<uint> seen, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        await foreach (WatchEventsResponse e in client.ServerStreamingAsync(AgentMethods.WatchEvents, new WatchEventsRequest(), WatchEventsResponse.Parser, null, cancellationToken))
        {
            seen.Add(e.Event.Sequence);
            if (e.Event.Sequence == last)
            {
                return;
            }
        }
    });

    [TestMethod]
    public void Bad_fault_commands_are_refused_naming_what_was_wrong()
    {
        var faults = new LinkFaults();

        StringAssert.Contains(faults.Execute("drop sideways 3"), "direction 'sideways'");
        StringAssert.Contains(faults.Execute("drop out -1"), "N '-1'");
        StringAssert.Contains(faults.Execute("delay out 3"), "expected delay out|in N MS");
        StringAssert.Contains(faults.Execute("slow 0 100"), "MS '0'");
        StringAssert.Contains(faults.Execute("explode"), "unknown command 'explode'");
        StringAssert.Contains(faults.Execute(""), "empty command");
        Assert.AreEqual(MessageFault.None, faults.Next(LinkDirection.Out, out _));
    }

    [TestMethod]
    public void The_plan_consumes_each_fault_once_per_message_in_order()
    {
        var faults = new LinkFaults();
        Assert.AreEqual("ok drop out 2", faults.Execute("drop out 2"));
        Assert.AreEqual("ok delay in 1 40", faults.Execute("delay in 1 40"));

        Assert.AreEqual(MessageFault.Drop, faults.Next(LinkDirection.Out, out _));
        Assert.AreEqual(MessageFault.Drop, faults.Next(LinkDirection.Out, out _));
        Assert.AreEqual(MessageFault.None, faults.Next(LinkDirection.Out, out _));
        Assert.AreEqual(MessageFault.Delay, faults.Next(LinkDirection.In, out int delay));
        Assert.AreEqual(40, delay);
        Assert.AreEqual(MessageFault.None, faults.Next(LinkDirection.In, out _));
        Assert.AreEqual(2L, faults.Count("dropped", LinkDirection.Out));
        StringAssert.Contains(faults.Execute("status"), "dropped_out=2 ");
    }

    [TestMethod]
    public void Corrupted_envelopes_are_rejected_by_the_island_codec()
    {
        var envelope = new Stratos.Island.Codec.Link.Envelope();
        envelope.SetBody(Stratos.Island.Codec.Link.EnvelopeBody.AliveIndication);
        envelope.ProtocolVersion = 1;
        envelope.Sequence = 7;
        envelope.AliveIndication.EntityId = 0;
        envelope.AliveIndication.Count = 1;
        var buffer = new byte[64];
        Assert.AreEqual(Stratos.Island.Codec.CodecStatus.Ok, envelope.Encode(buffer, 0, buffer.Length, out int written));
        byte[] message = buffer.AsSpan(0, written).ToArray();

        FaultInjectingChannel.Corrupt(message);

        Assert.AreNotEqual(Stratos.Island.Codec.CodecStatus.Ok, new Stratos.Island.Codec.Link.Envelope().Decode(message, 0, message.Length));
    }

    [TestMethod]
    public void A_forged_copy_follows_the_message_and_fails_only_its_auth_tag()
    {
        var faults = new LinkFaults();
        Assert.AreEqual("ok forge out 1", faults.Execute("forge out 1"));
        Assert.AreEqual(MessageFault.Forge, faults.Next(LinkDirection.Out, out _));
        Assert.AreEqual(MessageFault.None, faults.Next(LinkDirection.Out, out _));
        StringAssert.Contains(faults.Execute("status"), "forged_out=1 forged_in=0 ");

        // An authenticated message: the envelope, then the 18-byte trailer 0x22 0x10 tag[16].
        byte[] key = new byte[32];
        new Random(15).NextBytes(key);
        using var agent = new DotNetLinkAuthenticator(key);
        var envelope = new Stratos.Island.Codec.Link.Envelope();
        envelope.SetBody(Stratos.Island.Codec.Link.EnvelopeBody.AliveIndication);
        envelope.ProtocolVersion = 1;
        envelope.Sequence = 7;
        envelope.AliveIndication.Count = 1;
        var buffer = new byte[64];
        Assert.AreEqual(Stratos.Island.Codec.CodecStatus.Ok, envelope.Encode(buffer, 0, buffer.Length, out int signed));
        buffer[signed] = Stratos.Island.Link.Session.LinkAuthentication.TrailerFieldKey;
        buffer[signed + 1] = Stratos.Island.Link.Session.LinkAuthentication.TagBytes;
        agent.ComputeTag(Stratos.Island.Link.Session.LinkKey.Hello, 7, buffer, 0, signed, buffer, signed + 2);
        byte[] forged = buffer.AsSpan(0, signed + Stratos.Island.Link.Session.LinkAuthentication.TrailerBytes).ToArray();

        FaultInjectingChannel.Forge(forged);

        Assert.AreEqual(Stratos.Island.Codec.CodecStatus.Ok, new Stratos.Island.Codec.Link.Envelope().Decode(forged, 0, forged.Length), "still a well-formed envelope");
        CollectionAssert.AreEqual(buffer.AsSpan(0, forged.Length - 1).ToArray(), forged[..^1], "only the tag's last byte differs");
        Assert.AreNotEqual(buffer[forged.Length - 1], forged[^1]);
    }

    [TestMethod]
    public async Task Without_the_option_there_is_no_fault_socket_and_no_wrapper()
    {
        var rig = await StartAsync(faults: false);
        try
        {
            Assert.IsNull(rig.Agent.Options.LinkChannelDecorator);
            Assert.IsFalse(File.Exists(Path.Combine(rig.Dir.Path, "faults.sock")));
            Assert.IsFalse(rig.Agent.Link.Session!.Description.Contains("fault", StringComparison.Ordinal), rig.Agent.Link.Session.Description);
        }
        finally
        {
            await StopAsync(rig);
        }
    }

    [TestMethod]
    public async Task Corrupted_and_duplicated_messages_reach_the_island_as_decode_errors_and_duplicates()
    {
        var rig = await StartAsync(faults: true);
        try
        {
            string socket = Path.Combine(rig.Dir.Path, "faults.sock");
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket), "only the agent's user may inject faults");
            long decodeBefore = Interlocked.Read(ref rig.Island.SessionCounters.DecodeErrors);
            long duplicatesBefore = Interlocked.Read(ref rig.Island.SessionCounters.Duplicates);

            Assert.AreEqual("ok corrupt out 2", await CommandAsync(socket, "corrupt out 2"));
            await rig.Island.WaitForAsync(() => Interlocked.Read(ref rig.Island.SessionCounters.DecodeErrors) - decodeBefore == 2, "2 decode errors at the island");
            // Alive indications (every 100 ms) are sequence-checked: duplicating 3 shows at least one.
            Assert.AreEqual("ok dup out 3", await CommandAsync(socket, "dup out 3"));
            await rig.Island.WaitForAsync(() => Interlocked.Read(ref rig.Island.SessionCounters.Duplicates) > duplicatesBefore, "a duplicate dropped by the island's session");

            StringAssert.Contains(await CommandAsync(socket, "status"), "corrupted_out=2 ");
            Assert.IsTrue(rig.Agent.Link.IsUp, "the link survives a glitch");
        }
        finally
        {
            await StopAsync(rig);
        }
    }

    [TestMethod]
    public async Task A_tx_stall_takes_the_session_down_and_it_comes_back_afterwards()
    {
        var rig = await StartAsync(faults: true);
        try
        {
            string socket = Path.Combine(rig.Dir.Path, "faults.sock");
            int sessions = rig.Island.SessionsUp;
            int reconnects = rig.Agent.Link.Counters.Reconnects;

            Assert.AreEqual("ok txfull 1500", await CommandAsync(socket, "txfull 1500"));
            // Counters, not the transient down state (a loaded machine may never show the ~0.5 s
            // window between the 1 s keepalive time-out and the end of the stall to a poller).
            await rig.Island.WaitForAsync(() => rig.Agent.Link.Counters.Reconnects > reconnects && rig.Agent.Link.IsUp && rig.Island.SessionsUp > sessions,
                "the agent's keepalive time-out (1 s without the island) and the session re-established after the stall", 10000);

            StringAssert.DoesNotMatch(await CommandAsync(socket, "status"), new System.Text.RegularExpressions.Regex("stalled_turns=0 "));
        }
        finally
        {
            await StopAsync(rig);
        }
    }

    [TestMethod]
    public async Task A_slow_agent_turns_its_link_loop_late()
    {
        var rig = await StartAsync(faults: true);
        try
        {
            string socket = Path.Combine(rig.Dir.Path, "faults.sock");
            Assert.AreEqual("ok slow 300 1000", await CommandAsync(socket, "slow 300 1000"));
            await Task.Delay(1200);
            var alive = rig.Island.Received.Count(m => m.AliveIndication is not null);
            await Task.Delay(1000);
            int after = rig.Island.Received.Count(m => m.AliveIndication is not null) - alive;

            StringAssert.DoesNotMatch(await CommandAsync(socket, "status"), new System.Text.RegularExpressions.Regex("slow_turns=0$| slow_turns=0 "));
            Assert.IsTrue(after >= 7, $"alive indications resume at 10/s after the slow period; saw {after} in 1 s");
        }
        finally
        {
            await StopAsync(rig);
        }
    }

    [TestMethod]
    public async Task The_feed_reads_a_hole_again_until_the_log_gives_it()
    {
        var rig = await StartAsync(faults: false);
        try
        {
            using var client = GrpcClient.ForUnixSocket(rig.Agent.Options.SocketPath);
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var seen = new System.Collections.Generic.List<uint>();
            Task watch = WatchUntilAsync(client, 6, seen, cancel.Token);
            await rig.Island.WaitForAsync(() => rig.Agent.Events.SubscriberCount == 1, "the watcher subscribed");
            rig.Island.Send(new LinkEnvelope { Event = new LinkEvent { Sequence = 1, Type = EventType.VmState, SubjectId = 1 } });
            await rig.Island.WaitForAsync(() => rig.Agent.Feed.LastSequence == 1, "event 1 published");

            // The first read of the hole 2..5 is lost (its answer never comes): the feed must hold #6
            // and read again, not publish past the hole.
            rig.Island.LogReadsToIgnore = 1;
            rig.Island.Send(new LinkEnvelope { Event = new LinkEvent { Sequence = 6, Type = EventType.VmState, SubjectId = 1 } });
            await watch.WaitAsync(TimeSpan.FromSeconds(20));

            CollectionAssert.AreEqual(new uint[] { 1, 2, 3, 4, 5, 6 }, seen);
            Assert.IsTrue(rig.Island.Received.Count(m => m.LogRead is { FromSequence: 2 }) >= 2, "the hole was read twice");
            Assert.AreEqual(0L, rig.Agent.Feed.Lost);
        }
        finally
        {
            await StopAsync(rig);
        }
    }

    [TestMethod]
    public async Task A_burst_with_lost_pushes_reaches_a_watcher_contiguous()
    {
        var rig = await StartAsync(faults: true);
        try
        {
            using var client = GrpcClient.ForUnixSocket(rig.Agent.Options.SocketPath);
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var seen = new System.Collections.Generic.List<uint>();
            Task watch = WatchUntilAsync(client, 10, seen, cancel.Token);
            await rig.Island.WaitForAsync(() => rig.Agent.Events.SubscriberCount == 1, "the watcher subscribed");
            rig.Island.Send(new LinkEnvelope { Event = new LinkEvent { Sequence = 1, Type = EventType.VmState, SubjectId = 1 } });
            await rig.Island.WaitForAsync(() => rig.Agent.Feed.LastSequence == 1, "event 1 published");

            // A burst of 2..10 where the link loses every other push (the island's pushes are never re-sent).
            string socket = Path.Combine(rig.Dir.Path, "faults.sock");
            for (uint sequence = 2; sequence <= 10; sequence++)
            {
                if (sequence % 2 == 0)
                {
                    Assert.AreEqual("ok drop in 1", await CommandAsync(socket, "drop in 1"));
                }

                rig.Island.Send(new LinkEnvelope { Event = new LinkEvent { Sequence = sequence, Type = EventType.VmState, SubjectId = 1 } });
                await Task.Delay(20);
            }

            await watch.WaitAsync(TimeSpan.FromSeconds(15));

            CollectionAssert.AreEqual(Enumerable.Range(1, 10).Select(i => (uint)i).ToArray(), seen);
            Assert.IsGreaterThanOrEqualTo(1L, rig.Hook!.Faults.Count("dropped", LinkDirection.In));
            Assert.AreEqual(0L, rig.Agent.Feed.Lost);
        }
        finally
        {
            await StopAsync(rig);
        }
    }

    [TestMethod]
    public async Task The_feed_reads_the_tail_of_a_burst_whose_last_records_were_lost()
    {
        var rig = await StartAsync(faults: false);
        try
        {
            using var client = GrpcClient.ForUnixSocket(rig.Agent.Options.SocketPath);
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var seen = new System.Collections.Generic.List<uint>();
            Task watch = WatchUntilAsync(client, 10, seen, cancel.Token);
            await rig.Island.WaitForAsync(() => rig.Agent.Events.SubscriberCount == 1, "the watcher subscribed");

            // The scripted island's log holds 1..10; only #1 and #2 arrive live, nothing after them.
            rig.Island.Send(new LinkEnvelope { Event = new LinkEvent { Sequence = 1, Type = EventType.VmState, SubjectId = 1 } });
            rig.Island.Send(new LinkEnvelope { Event = new LinkEvent { Sequence = 2, Type = EventType.VmState, SubjectId = 1 } });
            await watch.WaitAsync(TimeSpan.FromSeconds(10));

            CollectionAssert.AreEqual(Enumerable.Range(1, 10).Select(i => (uint)i).ToArray(), seen);
            Assert.AreEqual(8L, rig.Agent.Feed.Backfilled);
        }
        finally
        {
            await StopAsync(rig);
        }
    }
}
