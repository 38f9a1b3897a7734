using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Agent.Vms;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The relay over real guest readers on UNIX sockets (the peer plays QEMU's chardev): a guest that
/// floods valid HB lines is capped, and another VM's indications still all go out (docs/guests.md "Bad input").
/// </summary>
[TestClass]
public sealed class HeartbeatRelayTests
{
    private sealed class Recorder : ISupervisionSink
    {
        public ConcurrentQueue<Envelope> Messages { get; } = new();

        public bool Post(Envelope message)
        {
            Messages.Enqueue(message);
            return true;
        }

        public int Alive(uint vmId) => Messages.Count(m => m.AliveIndication?.EntityId == vmId);
    }

    private static (GuestSerialReader Reader, Socket Guest) Pair(TempDir dir, string name)
    {
        string path = System.IO.Path.Combine(dir.Path, name + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var agentSide = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        agentSide.Connect(new UnixDomainSocketEndPoint(path));
        Socket guestSide = listener.Accept();
        var reader = GuestSerialReader.Attach(agentSide, path);
        return (reader, guestSide);
    }

    [TestMethod]
    [Timeout(60_000)]
    [Verifies("IslDsgn~guest-output-bounded~1")]
    public async Task A_guest_flooding_heartbeats_is_capped_and_another_vms_indications_all_go_out()
    {
        using var dir = new TempDir();
        var sink = new Recorder();
        var relay = new HeartbeatRelay(sink);
        var (flooder, flooderGuest) = Pair(dir, "flood");
        var (quiet, quietGuest) = Pair(dir, "quiet");
        relay.Attach(1, flooder);
        relay.Attach(2, quiet);
        flooder.StartReading();
        quiet.StartReading();

        // 200 000 valid lines, mixed with binary noise, as fast as the socket takes them.
        byte[] storm = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("HB 1\n", 1000)));
        byte[] noise = new byte[4096];
        new Random(7).NextBytes(noise);
        noise[^1] = (byte)'\n';   // ends the noise's last (malformed) line before the next storm
        var started = System.Diagnostics.Stopwatch.StartNew();
        Task flood = Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                flooderGuest.Send(storm);
                flooderGuest.Send(noise);
            }
        });
        for (uint seq = 1; seq <= 5; seq++)
        {
            quietGuest.Send(Encoding.ASCII.GetBytes($"HB {seq}\n"));
            await Task.Delay(20);
        }

        await flood;
        await WaitAsync(() => flooder.HeartbeatCount >= 200_000, "the whole storm read");
        await WaitAsync(() => sink.Alive(2) == 5, "the quiet VM's 5 indications relayed");
        double seconds = started.Elapsed.TotalSeconds;

        int relayed = sink.Alive(1);
        double allowed = HeartbeatRelay.MaxBurstMessages + HeartbeatRelay.MaxMessagesPerSecond * seconds + 1;
        Assert.IsLessThanOrEqualTo(allowed, (double)relayed, $"flooder relayed {relayed} in {seconds:0.00} s");
        Assert.IsGreaterThanOrEqualTo(HeartbeatRelay.MaxBurstMessages, relayed, "at least the burst went out");
        Assert.AreEqual(200_000L - relayed, relay.Dropped);
        Assert.IsGreaterThan(0L, flooder.MalformedCount, "the binary noise was malformed, not relayed");
        Assert.AreEqual(5, sink.Alive(2));

        flooderGuest.Dispose();
        quietGuest.Dispose();
        await flooder.DisposeAsync();
        await quiet.DisposeAsync();
    }

    [TestMethod]
    [Timeout(30_000)]
    public async Task A_guest_at_a_legitimate_rate_is_never_capped()
    {
        using var dir = new TempDir();
        var sink = new Recorder();
        var relay = new HeartbeatRelay(sink);
        var (reader, guest) = Pair(dir, "steady");
        relay.Attach(3, reader);
        reader.StartReading();

        // 100 heartbeats, each with 3 checkpoints, at a 5 ms period: 800 messages per second.
        for (uint seq = 1; seq <= 100; seq++)
        {
            guest.Send(Encoding.ASCII.GetBytes($"HB {seq}\nCP 1 {seq}\nCP 2 {seq}\nCP 3 {seq}\n"));
            await Task.Delay(5);
        }

        await WaitAsync(() => sink.Messages.Count == 400, "400 messages relayed");
        Assert.AreEqual(0L, relay.Dropped);
        guest.Dispose();
        await reader.DisposeAsync();
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + 20_000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
                throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(5);
        }
    }

    private sealed class RefusingSink : ISupervisionSink
    {
        public int Calls;

        public bool Post(Envelope message)
        {
            System.Threading.Interlocked.Increment(ref Calls);
            return false;
        }
    }

    [TestMethod]
    [Timeout(30_000)]
    public async Task The_heartbeat_trace_times_each_relayed_heartbeat_from_the_agents_read_to_the_link_send()
    {
        using var dir = new TempDir();
        var sink = new Recorder();
        var relay = new HeartbeatRelay(sink);
        string file = System.IO.Path.Combine(dir.Path, "agent-heartbeats.trace");
        using var trace = new HeartbeatTrace(file);
        relay.Trace = trace;
        var (reader, guest) = Pair(dir, "traced");
        relay.Attach(3, reader);
        reader.StartReading();
        long before = Stratos.Island.Link.Linux.MonotonicTraceFile.NowNanoseconds();
        for (uint seq = 7; seq <= 9; seq++)
        {
            guest.Send(Encoding.ASCII.GetBytes($"HB {seq}\n"));
            await Task.Delay(20);
        }

        long deadline = Environment.TickCount64 + 10_000;
        while (sink.Alive(3) < 3 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(5);
        }

        Assert.AreEqual(3, trace.Pending, "relayed, not sent yet");
        foreach (Envelope message in sink.Messages)
        {
            trace.Sent(message);   // what the link thread's PostSent does
        }

        trace.Sent(new Envelope { AliveIndication = new AliveIndication { EntityId = 3, Count = 1 } });   // not relayed: no line
        long after = Stratos.Island.Link.Linux.MonotonicTraceFile.NowNanoseconds();
        trace.Dispose();
        string[] lines = System.IO.File.ReadAllLines(file);
        StringAssert.StartsWith(lines[0], "# island-agent heartbeat trace");
        long[][] rows = lines.Skip(1).Select(l => l.Split(' ').Select(long.Parse).ToArray()).ToArray();
        Assert.HasCount(3, rows);
        CollectionAssert.AreEqual(new long[] { 7, 8, 9 }, rows.Select(r => r[1]).ToArray());
        foreach (long[] r in rows)
        {
            Assert.AreEqual(3L, r[0]);
            Assert.IsTrue(before <= r[2] && r[2] <= r[3] && r[3] <= r[4] && r[4] <= after, "read <= relay <= sent, within the test: " + string.Join(' ', r));
        }

        Assert.AreEqual(0, trace.Pending);
        await reader.DisposeAsync();
        guest.Dispose();
    }

    [TestMethod]
    [Timeout(30_000)]
    public async Task A_heartbeat_the_link_refuses_leaves_nothing_waiting_in_the_trace()
    {
        using var dir = new TempDir();
        var sink = new RefusingSink();
        var relay = new HeartbeatRelay(sink);
        using var trace = new HeartbeatTrace(System.IO.Path.Combine(dir.Path, "agent-heartbeats.trace"));
        relay.Trace = trace;
        var (reader, guest) = Pair(dir, "refused");
        relay.Attach(1, reader);
        reader.StartReading();
        guest.Send(Encoding.ASCII.GetBytes("HB 1\n"));
        long deadline = Environment.TickCount64 + 10_000;
        // Calls counts inside Post, after the trace took the heartbeat: Pending 0 after it means it was dropped again.
        while (!(System.Threading.Volatile.Read(ref sink.Calls) == 1 && trace.Pending == 0) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(5);
        }

        Assert.AreEqual(1, System.Threading.Volatile.Read(ref sink.Calls));
        Assert.AreEqual(0, trace.Pending);
        await reader.DisposeAsync();
        guest.Dispose();
    }
}
