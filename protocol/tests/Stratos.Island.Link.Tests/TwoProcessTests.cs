using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Link.Tests;

/// <summary>The agent in this process, the island in a child process, over a real /dev/shm file and
/// a real kick socket.</summary>
[TestClass]
public sealed class TwoProcessTests
{
    private const string Channel = "stratos-bench"; // the peer's channel
    private const int PeerSpinMicroseconds = 50;

    private sealed class Agent : IDisposable
    {
        public readonly SharedMemoryLinkPort Port;
        public readonly RpmsgEndpoint Endpoint;
        public readonly RecordingSink Sink = new();
        public readonly RecordingErrors Errors = new();

        public Agent(TestPaths paths)
        {
            Port = SharedMemoryLinkPort.OpenDriver(paths.Shm, paths.Socket, LinkLayout.CreateOpenAmpLinuxReference(), 20, 15_000, Errors);
            Endpoint = Port.Link.CreateEndpoint(Channel, RpmsgHeader.AddressAny, Sink);
            Port.Link.Start();
        }

        public void WaitUntil(Func<bool> condition, string what)
        {
            long deadline = Environment.TickCount64 + 15_000;
            while (!condition())
            {
                if (Environment.TickCount64 > deadline)
                {
                    ISharedMemory m = Port.Memory;
                    LinkCounters c = Port.Link.Counters;
                    Assert.Fail("timed out waiting for " + what + " (link state " + Port.Link.State + "; status 0x" + m.ReadByte(0x2c).ToString("x")
                        + "; vring0 avail " + m.ReadUInt16(0x5002) + " flags " + m.ReadUInt16(0x5000) + " used " + m.ReadUInt16(0x6002) + " flags " + m.ReadUInt16(0x6000)
                        + "; vring1 avail " + m.ReadUInt16(0x9002) + " flags " + m.ReadUInt16(0x9000) + " used " + m.ReadUInt16(0xA002) + " flags " + m.ReadUInt16(0xA000)
                        + "; tx " + c.TxMessages + " rx " + c.RxMessages + " kicks " + c.KicksSent + "/" + c.KicksSuppressed + " restarts " + c.PeerRestarts
                        + " kick socket connected " + Port.Kicks.IsConnected + ")");
                }

                Port.WaitAndPoll(20);
            }
        }

        /// <summary>After a restart, messages sent while the link was re-forming may be lost (a
        /// session layer retries them): ping until one echo comes back, then every echo must.</summary>
        public void Resynchronise()
        {
            byte[] ping = { 1, 0xEE };
            long deadline = Environment.TickCount64 + 15_000;
            while (Environment.TickCount64 < deadline)
            {
                WaitUntil(() => Endpoint.RemoteAddress != RpmsgHeader.AddressAny && Port.Link.State == LinkState.Up, "the island's announcement");
                int before = Sink.Messages.Count;
                Endpoint.TrySendToRemote(ping, 0, ping.Length);
                long until = Environment.TickCount64 + 300;
                while (Sink.Messages.Count == before && Environment.TickCount64 < until)
                {
                    Port.WaitAndPoll(20);
                }

                if (Sink.Messages.Count > before)
                {
                    return;
                }
            }

            Assert.Fail("the link never carried an echo after the restart");
        }

        public void AssertEchoes(int count)
        {
            WaitUntil(() => Endpoint.RemoteAddress != RpmsgHeader.AddressAny, "the island's announcement");
            for (int i = 0; i < count; i++)
            {
                int size = 1 + (i * 37) % RpmsgHeader.MaxPayload;
                byte[] payload = LinkPair.Bytes(size, i);
                payload[0] = 1; // echo tag
                int before = Sink.Messages.Count;
                LinkSendStatus status;
                while ((status = Endpoint.TrySendToRemote(payload, 0, size)) == LinkSendStatus.NoTxBuffer)
                {
                    Port.WaitAndPoll(1);
                }

                Assert.AreEqual(LinkSendStatus.Ok, status);
                WaitUntil(() => Sink.Messages.Count > before, "echo " + i);
                CollectionAssert.AreEqual(payload, Sink.Messages[^1].Payload, "echo " + i);
            }

            Assert.AreEqual(0, Errors.Errors.Count, string.Join(" | ", Errors.Errors));
        }

        public void Dispose() => Port.Dispose();
    }

    private static Process StartIsland(TestPaths paths)
    {
        Process island = TestPaths.StartPeer("peer", paths.Shm, paths.Socket, PeerSpinMicroseconds.ToString());
        return island;
    }

    [TestMethod]
    public void Messages_of_every_size_echo_between_two_processes()
    {
        using TestPaths paths = new();
        Process? island = null;
        try
        {
            island = StartIsland(paths);
            using Agent agent = new(paths);
            agent.AssertEchoes(300);
            Assert.AreEqual(LinkState.Up, agent.Port.Link.State);
        }
        finally
        {
            TestPaths.Stop(island);
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    public void Agent_process_restart_is_recovered_by_the_island()
    {
        using TestPaths paths = new();
        Process? island = null;
        try
        {
            island = StartIsland(paths);
            using (Agent first = new(paths))
            {
                first.AssertEchoes(20);
            }

            using Agent second = new(paths);
            second.Resynchronise();
            second.AssertEchoes(20);
        }
        finally
        {
            TestPaths.Stop(island);
        }
    }

    // The island keeps one file (one inode) across its restarts and re-initialises it in place, so
    // a peer that maps once (the agent here without any Remap, and a libmetal-style process holding
    // flock(LOCK_EX) on the file) follows the island through a kill -9 and a new boot.
    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    [Verifies("IslDsgn~one-inode~1")]
    public void Island_process_restart_over_the_same_file_is_followed_by_map_once_peers()
    {
        using TestPaths paths = new();
        Process? island = null;
        try
        {
            island = StartIsland(paths);
            using Agent agent = new(paths);
            agent.AssertEchoes(20);
            ulong inode = agent.Port.Memory.Inode;
            using PythonPeer mapOnce = PythonPeer.Start("exclusive_lock_peer.py", paths.Shm, "0x80000");
            Assert.AreEqual("locked " + inode, mapOnce.ReadLine(5_000, "lock and map the island's file"));
            island.Kill();
            island.WaitForExit(5_000);
            island.Dispose();
            island = StartIsland(paths);
            agent.WaitUntil(() => agent.Endpoint.RemoteAddress == RpmsgHeader.AddressAny || agent.Port.Link.Counters.PeerRestarts > 0, "the agent to notice");
            agent.WaitUntil(() => agent.Port.Link.State == LinkState.Up && agent.Endpoint.RemoteAddress != RpmsgHeader.AddressAny, "the new island");
            agent.Resynchronise();
            agent.AssertEchoes(20);
            Assert.IsTrue(agent.Port.Link.Counters.PeerRestarts >= 1);
            Assert.AreEqual(0, agent.Port.Memory.Remaps, "the agent never remapped");
            Assert.IsFalse(agent.Port.Memory.FileWasReplaced());
            Assert.AreEqual("u32 1", mapOnce.Ask("u32 0x0"), "the map-once peer sees the new boot's resource table (ver 1)");
            Assert.AreEqual("u8 7", mapOnce.Ask("u8 0x2c"), "and the renegotiated status ACKNOWLEDGE|DRIVER|DRIVER_OK");
        }
        finally
        {
            TestPaths.Stop(island);
        }
    }

    [TestMethod]
    public void Both_processes_restarting_come_back_up()
    {
        using TestPaths paths = new();
        Process? island = null;
        try
        {
            island = StartIsland(paths);
            using (Agent first = new(paths))
            {
                first.AssertEchoes(10);
            }

            island.Kill();
            island.WaitForExit(5_000);
            island.Dispose();
            island = StartIsland(paths);
            using Agent second = new(paths);
            second.Resynchronise();
            second.AssertEchoes(10);
        }
        finally
        {
            TestPaths.Stop(island);
        }
    }
}

/// <summary>Serial framing over a real pseudo-terminal pair (socat) to an echo process.</summary>
[TestClass]
public sealed class SerialPtyTests
{
    private sealed class Frames : ISerialFrameSink
    {
        public readonly List<byte[]> Received = new();

        public void OnFrame(byte[] buffer, int offset, int length) => Received.Add(buffer[offset..(offset + length)]);
    }

    private static (Process Socat, string A, string B) StartPtyPair()
    {
        ProcessStartInfo start = new("socat") { UseShellExecute = false, RedirectStandardError = true };
        foreach (string arg in new[] { "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0" })
        {
            start.ArgumentList.Add(arg);
        }

        Process socat = Process.Start(start)!;
        List<string> ptys = new();
        long deadline = Environment.TickCount64 + 10_000;
        while (ptys.Count < 2 && Environment.TickCount64 < deadline)
        {
            string? line = socat.StandardError.ReadLine();
            if (line == null)
            {
                break;
            }

            int at = line.IndexOf("PTY is ", StringComparison.Ordinal);
            if (at >= 0)
            {
                ptys.Add(line[(at + 7)..].Trim());
            }
        }

        socat.StandardError.BaseStream.CopyToAsync(Stream.Null);
        Assert.AreEqual(2, ptys.Count, "socat did not report two ptys");
        return (socat, ptys[0], ptys[1]);
    }

    /// <summary>A folder of its own and a listening UNIX socket com2.sock in it, as the Xen machine's COM2.</summary>
    private static (string Dir, string Path, System.Net.Sockets.Socket Listener) ListenOnComSocket(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "com2.sock");
        var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        return (dir, path, listener);
    }

    /// <summary>
    /// The Xen board's link loss (issue 18): island-sim, connected to the machine's COM2 socket, is
    /// killed in the middle of a frame; the UART delivers that half frame to the agent's decoder and
    /// keeps it there. A new island connects and answers: its first frame must get through, not be
    /// glued to the half frame and lost (the transport opens with a 0x00 delimiter).
    /// </summary>
    [TestMethod]
    public void A_transport_connecting_after_a_peer_vanished_mid_frame_gets_its_first_frame_through()
    {
        var (dir, path, listener) = ListenOnComSocket("serres-");
        try
        {
            using var listening = listener;
            Frames agent = new();
            SerialFrameDecoder uart = new(agent, new SerialFrameCounters());   // one byte stream, as dom0's ttyS1

            // The first island: half of a 200-byte frame, then SIGKILL (the connection closes).
            byte[] plain = new byte[SerialFrameWriter.MaxPayload + 4], frame = new byte[SerialFrameWriter.MaxEncodedFrame];
            int length = SerialFrameWriter.Encode(LinkPair.Bytes(200, 7), 0, 200, plain, frame);
            using (var first = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            {
                first.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                first.Send(frame, 0, length / 2, System.Net.Sockets.SocketFlags.None);
            }

            using (var machine = listener.Accept())
            {
                Drain(machine, uart);
            }

            // The restarted island connects and sends its first frame.
            using var second = SerialPortTransport.ConnectUnixSocket(path, new Frames());
            byte[] helloAck = LinkPair.Bytes(120, 9);
            Assert.IsTrue(second.TrySendFrame(helloAck, 0, helloAck.Length));
            second.Dispose();
            using (var machine = listener.Accept())
            {
                Drain(machine, uart);
            }

            Assert.AreEqual(1, agent.Received.Count, $"frames: {uart.Counters.Frames}, bad CRC {uart.Counters.BadCrc}, truncated {uart.Counters.Truncated}");
            CollectionAssert.AreEqual(helloAck, agent.Received[0]);
            Assert.AreEqual(1, uart.Counters.BadCrc + uart.Counters.Truncated, "the half frame is counted, not delivered");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// island-sim's end of the Xen machine's COM2 (issue 18): while dom0 does not read its UART, QEMU
    /// stops draining the socket. A queued transport never waits for it: frames queue up to the
    /// queue's size, then each send is refused at once with NoTxBuffer and counted; once the line
    /// drains, every accepted frame arrives whole and in order, and sends are accepted again.
    /// (Before: write(2) retried EAGAIN in a loop and island-sim's main loop stopped.)
    /// </summary>
    [TestMethod]
    [Timeout(60_000)]
    public void A_queued_transport_never_waits_for_a_line_nobody_drains_and_delivers_every_accepted_frame()
    {
        var (dir, path, listener) = ListenOnComSocket("serq-");
        try
        {
            using var listening = listener;
            const int queueBytes = 4096;
            using var island = SerialPortTransport.ConnectUnixSocket(path, new Frames(), queueBytes);
            using var machine = listener.Accept();

            // Nobody reads: fill the socket, then the queue. Each send returns at once.
            byte[] payload = new byte[300];
            int accepted = 0;
            long slowestMs = 0;
            LinkSendStatus status;
            do
            {
                BitConverter.TryWriteBytes(payload, accepted);
                long began = Environment.TickCount64;
                status = island.Send(payload, 0, payload.Length);
                slowestMs = Math.Max(slowestMs, Environment.TickCount64 - began);
                if (status == LinkSendStatus.Ok)
                {
                    accepted++;
                }
            }
            while (status == LinkSendStatus.Ok && accepted < 1_000_000);
            Assert.AreEqual(LinkSendStatus.NoTxBuffer, status, "the line never filled");
            Assert.IsTrue(slowestMs < 200, $"a send took {slowestMs} ms: sends must not wait for the line");
            Assert.AreEqual(1, island.TxNoBuffer);
            Assert.IsTrue(island.PendingTxBytes > queueBytes - SerialFrameWriter.MaxEncodedFrame, $"{island.PendingTxBytes} bytes queued");
            long began2 = Environment.TickCount64;
            Assert.AreEqual(0, island.Receive(50));
            Assert.IsTrue(Environment.TickCount64 - began2 < 1000, "Receive waits at most its time-out");

            // The line drains: every accepted frame arrives, whole and in order, none refused half-sent.
            Frames machineSide = new();
            SerialFrameDecoder uart = new(machineSide, new SerialFrameCounters());
            byte[] buffer = new byte[65536];
            machine.ReceiveTimeout = 2000;
            while (machineSide.Received.Count < accepted)
            {
                island.Receive(1);
                if (machine.Available > 0)
                {
                    uart.Feed(buffer, 0, machine.Receive(buffer));
                }
            }

            Assert.AreEqual(0, island.PendingTxBytes);
            Assert.AreEqual(0, uart.Counters.BadCrc + uart.Counters.Truncated + uart.Counters.Overlong, "no frame was cut");
            for (int i = 0; i < accepted; i++)
            {
                Assert.AreEqual(i, BitConverter.ToInt32(machineSide.Received[i], 0), $"frame {i} out of order");
            }

            Assert.AreEqual(LinkSendStatus.Ok, island.Send(payload, 0, payload.Length), "sends are accepted again");
            Assert.AreEqual(LinkSendStatus.TooLarge, island.Send(new byte[SerialFrameWriter.MaxPayload + 1], 0, SerialFrameWriter.MaxPayload + 1));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Drain(System.Net.Sockets.Socket connection, SerialFrameDecoder decoder)
    {
        byte[] buffer = new byte[1024];
        int n;
        while ((n = connection.Receive(buffer)) > 0)
        {
            decoder.Feed(buffer, 0, n);
        }
    }

    [TestMethod]
    public void Frames_survive_line_noise_between_two_processes_over_a_pty_pair()
    {
        (Process socat, string a, string b) = StartPtyPair();
        Process? peer = null;
        try
        {
            peer = TestPaths.StartPeer("serial-peer", b);
            Frames frames = new();
            using SerialPortTransport port = SerialPortTransport.Open(a, 115200, frames);
            // The peer may not have opened its end yet: repeat the first frame until it answers.
            byte[] hello = { 1, 0, 2, 0, 0, 3 };
            long deadline = Environment.TickCount64 + 15_000;
            while (frames.Received.Count == 0 && Environment.TickCount64 < deadline)
            {
                Assert.IsTrue(port.TrySendFrame(hello, 0, hello.Length));
                port.Receive(200);
            }

            CollectionAssert.AreEqual(hello, frames.Received[0]);
            frames.Received.Clear();
            port.Decoder.Counters.Frames = 0;

            byte[] noise = { 0x31, 0x32, 0x7F, 0x00, 0x05, 0x44 };
            byte[] big = LinkPair.Bytes(512, 3);
            port.Write(noise, 0, noise.Length);
            Assert.IsTrue(port.TrySendFrame(big, 0, big.Length));
            byte[] small = { 0xAA };
            Assert.IsTrue(port.TrySendFrame(small, 0, 1));
            deadline = Environment.TickCount64 + 10_000;
            while (frames.Received.Count < 2 && Environment.TickCount64 < deadline)
            {
                port.Receive(200);
            }

            // The noise's tail merged with the big frame at the peer: that frame is lost, the next one is not.
            Assert.IsTrue(frames.Received.Exists(f => f.Length == 1 && f[0] == 0xAA), "the frame after the noise came back");
            port.TrySendFrame(new byte[] { 4 }, 0, 1);
            Assert.IsTrue(peer.WaitForExit(10_000));
        }
        finally
        {
            TestPaths.Stop(peer);
            TestPaths.Stop(socat);
        }
    }
}
