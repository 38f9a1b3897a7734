using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>
/// GuestSerialReader against a UNIX socket server written here, standing in for QEMU's chardev so
/// that byte-level cases the real guest never produces (split lines, garbage) can be sent.
/// </summary>
[TestClass]
public sealed class GuestSerialReaderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [TestMethod]
    [Verifies("IslDsgn~guest-output-bounded~1")]
    public async Task Lines_split_across_writes_are_joined_and_bad_lines_are_counted()
    {
        await using var serial = await SerialPeer.ConnectAsync();
        Socket peer = serial.Peer;
        GuestSerialReader reader = serial.Reader;
        var heartbeats = new ConcurrentQueue<uint>();
        var checkpoints = new ConcurrentQueue<(uint, uint)>();
        var malformed = new ConcurrentQueue<string>();
        reader.Heartbeat += heartbeats.Enqueue;
        reader.Checkpoint += (id, seq) => checkpoints.Enqueue((id, seq));
        reader.MalformedLine += malformed.Enqueue;

        await peer.SendAsync(Encoding.ASCII.GetBytes("HB 1\r\nH"));
        await Task.Delay(20);
        await peer.SendAsync(Encoding.ASCII.GetBytes("B 2\nCP 5 9\ngarbage\n" + new string('x', 300) + "\nHB 3\n"));
        await VmHarness.WaitForAsync(() => heartbeats.Count == 3, "three heartbeats");

        CollectionAssert.AreEqual(new uint[] { 1, 2, 3 }, heartbeats.ToArray());
        CollectionAssert.AreEqual(new[] { (5u, 9u) }, checkpoints.ToArray());
        Assert.AreEqual(2L, reader.MalformedCount);
        Assert.AreEqual("garbage", malformed.ToArray()[0]);
        Assert.AreEqual(3L, reader.LastHeartbeatSequence);

        // Commands go out as one LF-terminated line; the ACK completes the wait.
        var sending = reader.SendCommandAndWaitAsync("rate 50", Timeout);
        var buffer = new byte[64];
        int n = await peer.ReceiveAsync(buffer);
        Assert.AreEqual("rate 50\n", Encoding.ASCII.GetString(buffer, 0, n));
        await peer.SendAsync(Encoding.ASCII.GetBytes("ACK rate 50\n"));
        await sending.WaitAsync(Timeout);

        var rejected = reader.SendCommandAndWaitAsync("rate 0", Timeout);
        await peer.ReceiveAsync(buffer);
        await peer.SendAsync(Encoding.ASCII.GetBytes("ERR rate must be 1..60000 ms: rate 0\n"));
        var error = await Assert.ThrowsExactlyAsync<VmmException>(() => rejected);
        Assert.AreEqual(VmmErrorKind.GuestRejected, error.Kind);
        Assert.Contains("rate must be", error.Message);

        peer.Shutdown(SocketShutdown.Both);
        await reader.Closed.WaitAsync(Timeout);
    }

    [TestMethod]
    [Verifies("IslDsgn~guest-announced-shutdown~1")]
    public async Task Announced_reboot_and_poweroff_are_reported_and_any_other_announcement_is_malformed()
    {
        await using var serial = await SerialPeer.ConnectAsync();
        Socket peer = serial.Peer;
        GuestSerialReader reader = serial.Reader;
        var announced = new ConcurrentQueue<string>();
        var malformed = new ConcurrentQueue<string>();
        reader.ShutdownAnnounced += announced.Enqueue;
        reader.MalformedLine += malformed.Enqueue;

        await peer.SendAsync(Encoding.ASCII.GetBytes("SHUTDOWN reboot\nSHUTDOWN now\nSHUTDOWN\nSHUTDOWN poweroff\nSHUTDOWN stop\nHB 1\n"));
        await VmHarness.WaitForAsync(() => reader.HeartbeatCount == 1, "the heartbeat after the announcements");

        CollectionAssert.AreEqual(new[] { "reboot", "poweroff", "stop" }, announced.ToArray());
        CollectionAssert.AreEqual(new[] { "SHUTDOWN now", "SHUTDOWN" }, malformed.ToArray());
    }

    /// <summary>A UNIX socket server written here (QEMU's chardev stand-in) and the reader connected to it.</summary>
    private sealed class SerialPeer : IAsyncDisposable
    {
        private readonly string _path;
        private readonly Socket _listener;

        private SerialPeer(string path, Socket listener, Socket peer, GuestSerialReader reader)
        {
            _path = path;
            _listener = listener;
            Peer = peer;
            Reader = reader;
        }

        public Socket Peer { get; }

        public GuestSerialReader Reader { get; }

        public static async Task<SerialPeer> ConnectAsync()
        {
            string path = Path.Combine(Path.GetTempPath(), "siser-" + Guid.NewGuid().ToString("N")[..10] + ".sock");
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var connecting = GuestSerialReader.ConnectAsync(path, Timeout);
            Socket peer = await listener.AcceptAsync();
            return new SerialPeer(path, listener, peer, await connecting);
        }

        public async ValueTask DisposeAsync()
        {
            await Reader.DisposeAsync();
            Peer.Dispose();
            _listener.Dispose();
            File.Delete(_path);
        }
    }
}
