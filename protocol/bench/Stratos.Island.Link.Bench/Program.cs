// ./bench.sh link: the agent (driver) in this process, the island (device) in a child process
// started from this same program ("peer" mode), over a real /dev/shm file and a real kick socket.
//
// Measures, in one run: the floor (raw ping-pong over the same memory and kick mechanism), the link
// round trip for 16/256/496-byte payloads (>= 20,000 round trips each after warm-up; the 16-byte
// runs are interleaved with the floor runs so both see the same machine load), and one-way 496-byte
// throughput; the rpmsg code's own round trip with both roles in this process (RingsInProcessBench);
// then the session's round trip with and without link authentication (SessionAuthBench).
// Last line: JSON.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Bench;

internal static class Program
{
    private const int SpinMicroseconds = 200;
    private const int Rounds = 4;
    private const int RoundTripsPerRound = 5_000;
    private const int RoundTripsPerSize = 20_000;
    private const int WarmupRoundTrips = 20_000;
    private const int WarmupMilliseconds = 1_500;
    private const int ThroughputMilliseconds = 2_000;
    private const int KickOnlyPerRound = 2_500;

    public static int FloorBase(LinkLayout layout) => layout.SharedMemorySize - 0x1000;

    private static int Main(string[] args)
    {
        if (args.Length == 4 && args[0] == "peer")
        {
            return Peer.Run(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
        }

        if (args.Length == 2 && args[0] == "serial-peer")
        {
            return SerialPeer.Run(args[1]);
        }

        if (args.Length == 1 && args[0] == "agent-send")
        {
            return AgentSendBench.Run();
        }

        if (args.Length != 0)
        {
            Console.Error.WriteLine("usage: Stratos.Island.Link.Bench            (run the benchmark)");
            Console.Error.WriteLine("       Stratos.Island.Link.Bench peer SHM SOCKET SPIN_US   (island side)");
            Console.Error.WriteLine("       Stratos.Island.Link.Bench serial-peer TTY          (serial echo)");
            Console.Error.WriteLine("       Stratos.Island.Link.Bench agent-send               (the agent's send path, AgentSendBench)");
            return 2;
        }

        return new Driver().Run();
    }

    private sealed class Driver : IRpmsgSink
    {
        private readonly string _shmPath = "/dev/shm/stratos-link-bench-" + Environment.ProcessId;
        private readonly string _socketPath = Path.Combine(Path.GetTempPath(), "stratos-link-bench-" + Environment.ProcessId + ".sock");
        private int _replies;
        private int _lastReplyLength;
        private int _reportedBulk;

        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
        {
            _lastReplyLength = length;
            if (length == 5 && buffer[offset] == Peer.TagReport)
            {
                _reportedBulk = buffer[offset + 1] | (buffer[offset + 2] << 8) | (buffer[offset + 3] << 16) | (buffer[offset + 4] << 24);
            }

            _replies++;
        }

        public int Run()
        {
            Process? child = null;
            try
            {
                child = StartPeer(_shmPath, _socketPath, SpinMicroseconds);
                LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
                using SharedMemoryLinkPort port = SharedMemoryLinkPort.OpenDriver(_shmPath, _socketPath, layout, SpinMicroseconds, 15_000, new ConsoleErrors("agent"));
                RpmsgEndpoint endpoint = port.Link.CreateEndpoint(Peer.Channel, RpmsgHeader.AddressAny, this);
                port.Link.Start();
                long deadline = Environment.TickCount64 + 10_000;
                while (endpoint.RemoteAddress == RpmsgHeader.AddressAny)
                {
                    if (Environment.TickCount64 > deadline)
                    {
                        throw new TimeoutException("island never announced '" + Peer.Channel + "'");
                    }

                    port.WaitAndPoll(50);
                }

                FloorPingPong floor = new(port.Memory, port.Kicks, FloorBase(layout), SpinMicroseconds, device: false);
                uint seq = 0;
                double[] floorTimes = new double[Rounds * RoundTripsPerRound];
                double[] link16 = new double[Rounds * RoundTripsPerRound];
                byte[] payload = new byte[RpmsgHeader.MaxPayload];
                payload[0] = Peer.TagEcho;

                // Warm-up of both paths in both processes (page faults, caches, and the JIT: tiered
                // compilation only starts counting calls 100 ms after start-up, so a warm-up shorter
                // than that measures tier-0 code). At least WarmupMilliseconds per path.
                long warmUntil = Stopwatch.GetTimestamp() + WarmupMilliseconds * Stopwatch.Frequency / 1000;
                while (Stopwatch.GetTimestamp() < warmUntil)
                {
                    floor.Phase = FloorPingPong.PhaseFloor;
                    FloorRun(floor, ref seq, null, WarmupRoundTrips / 10);
                    floor.Phase = FloorPingPong.PhaseLink;
                    LinkRun(port, endpoint, payload, 16, null, 0, WarmupRoundTrips / 10);
                    LinkRun(port, endpoint, payload, 496, null, 0, WarmupRoundTrips / 10);
                }

                for (int round = 0; round < Rounds; round++)
                {
                    floor.Phase = FloorPingPong.PhaseFloor;
                    FloorRun(floor, ref seq, floorTimes, RoundTripsPerRound, round * RoundTripsPerRound);
                    floor.Phase = FloorPingPong.PhaseLink;
                    LinkRun(port, endpoint, payload, 16, link16, round * RoundTripsPerRound, RoundTripsPerRound);
                }

                // The same comparison with spinning off: every message costs a kick and a wake-up.
                double[] kickFloor = new double[Rounds * KickOnlyPerRound];
                double[] kickLink = new double[Rounds * KickOnlyPerRound];
                SetSpin(port, floor, 0);
                for (int round = 0; round < Rounds; round++)
                {
                    floor.Phase = FloorPingPong.PhaseFloor;
                    FloorRun(floor, ref seq, kickFloor, KickOnlyPerRound, round * KickOnlyPerRound);
                    floor.Phase = FloorPingPong.PhaseLink;
                    LinkRun(port, endpoint, payload, 16, kickLink, round * KickOnlyPerRound, KickOnlyPerRound);
                }

                SetSpin(port, floor, SpinMicroseconds);
                LinkRun(port, endpoint, payload, 16, null, 0, WarmupRoundTrips);

                double[] link256 = new double[RoundTripsPerSize];
                LinkRun(port, endpoint, payload, 256, link256, 0, RoundTripsPerSize);
                double[] link496 = new double[RoundTripsPerSize];
                LinkRun(port, endpoint, payload, 496, link496, 0, RoundTripsPerSize);
                // 16 bytes again, not interleaved with the floor: shows how much the placement of the
                // two processes on this machine moves the numbers between runs.
                double[] solo16 = new double[RoundTripsPerSize];
                LinkRun(port, endpoint, payload, 16, solo16, 0, RoundTripsPerSize);

                (double msgsPerSecond, int bulkSent) = Throughput(port, endpoint);

                payload[0] = Peer.TagExit;
                endpoint.TrySendToRemote(payload, 0, 1);
                if (!child.WaitForExit(5_000))
                {
                    child.Kill();
                }

                Report(floorTimes, link16, link256, link496, solo16, kickFloor, kickLink, msgsPerSecond, bulkSent, port.Link.Counters);
                return 0;
            }
            finally
            {
                if (child != null && !child.HasExited)
                {
                    child.Kill();
                    child.WaitForExit(5_000);
                }

                child?.Dispose();
                File.Delete(_shmPath);
                File.Delete(_socketPath);
            }
        }

        private static void SetSpin(SharedMemoryLinkPort port, FloorPingPong floor, int microseconds)
        {
            port.SpinMicroseconds = microseconds;
            floor.SpinMicroseconds = microseconds;
            floor.RequestedPeerSpin = (uint)microseconds;
        }

        private static void FloorRun(FloorPingPong floor, ref uint seq, double[]? times, int count, int at = 0)
        {
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                seq++;
                floor.Publish(FloorPingPong.PingOffset, seq);
                uint pong = seq - 1;
                while (pong != seq)
                {
                    pong = floor.WaitChange(FloorPingPong.PongOffset, pong, 2_000, watchPhase: false);
                }

                if (times != null)
                {
                    times[at + i] = Microseconds(start);
                }
            }
        }

        private void LinkRun(SharedMemoryLinkPort port, RpmsgEndpoint endpoint, byte[] payload, int size, double[]? times, int at, int count)
        {
            payload[0] = Peer.TagEcho;
            for (int i = 0; i < count; i++)
            {
                int expected = _replies + 1;
                long start = Stopwatch.GetTimestamp();
                LinkSendStatus status = endpoint.TrySendToRemote(payload, 0, size);
                if (status != LinkSendStatus.Ok)
                {
                    throw new InvalidOperationException("send failed during round trips: " + status);
                }

                while (_replies < expected)
                {
                    port.WaitAndPoll(2_000);
                }

                if (times != null)
                {
                    times[at + i] = Microseconds(start);
                }

                if (_lastReplyLength != size)
                {
                    throw new InvalidDataException("echo of " + size + " bytes came back as " + _lastReplyLength);
                }
            }
        }

        private (double MsgsPerSecond, int Sent) Throughput(SharedMemoryLinkPort port, RpmsgEndpoint endpoint)
        {
            byte[] bulk = new byte[RpmsgHeader.MaxPayload];
            bulk[0] = Peer.TagBulk;
            int sent = 0;
            long start = Stopwatch.GetTimestamp();
            long stopAt = start + ThroughputMilliseconds * Stopwatch.Frequency / 1000;
            while (true)
            {
                LinkSendStatus status = endpoint.TrySendToRemote(bulk, 0, bulk.Length);
                if (status == LinkSendStatus.Ok)
                {
                    sent++;
                    if ((sent & 255) == 0 && Stopwatch.GetTimestamp() >= stopAt)
                    {
                        break;
                    }
                }
                else if (status == LinkSendStatus.NoTxBuffer)
                {
                    // Waiting for the island: give up the core in case it shares this one.
                    Thread.Yield();
                }
                else
                {
                    throw new InvalidOperationException("bulk send failed: " + status);
                }
            }

            int expected = _replies + 1;
            bulk[0] = Peer.TagReport;
            while (endpoint.TrySendToRemote(bulk, 0, 1) == LinkSendStatus.NoTxBuffer)
            {
                Thread.SpinWait(16);
            }

            while (_replies < expected)
            {
                port.WaitAndPoll(2_000);
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (_reportedBulk != sent)
            {
                throw new InvalidDataException("island counted " + _reportedBulk + " bulk messages, agent sent " + sent);
            }

            return (sent / seconds, sent);
        }

        // Raw timestamps: TimeSpan's 100 ns tick is too coarse for sub-microsecond round trips.
        private static double Microseconds(long start) => (Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency;

        private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

        private static void Report(double[] floor, double[] link16, double[] link256, double[] link496, double[] solo16, double[] kickFloor, double[] kickLink,
            double msgsPerSecond, int bulkSent, LinkCounters counters)
        {
            Array.Sort(solo16);
            Array.Sort(kickFloor);
            Array.Sort(kickLink);
            Array.Sort(floor);
            Array.Sort(link16);
            Array.Sort(link256);
            Array.Sort(link496);
            CultureInfo c = CultureInfo.InvariantCulture;
            void Line(string name, double[] t) => Console.WriteLine(string.Format(c, "{0,-22} n={1,6}  p50 {2,8:F3} us  p99 {3,8:F3} us  max {4,9:F1} us", name, t.Length, Percentile(t, 0.5), Percentile(t, 0.99), t[^1]));
            Line("floor ping-pong", floor);
            Line("link rtt 16 B", link16);
            Line("link rtt 256 B", link256);
            Line("link rtt 496 B", link496);
            Line("link rtt 16 B (solo)", solo16);
            Line("kick-only floor", kickFloor);
            Line("kick-only link 16 B", kickLink);
            double mbPerSecond = msgsPerSecond * RpmsgHeader.MaxPayload / 1e6;
            Console.WriteLine(string.Format(c, "one-way 496 B          {0:F0} msgs/s  {1:F1} MB/s ({2} messages)", msgsPerSecond, mbPerSecond, bulkSent));
            Console.WriteLine(string.Format(c, "agent kicks sent {0}, suppressed {1}, link errors {2}", counters.KicksSent, counters.KicksSuppressed, counters.ErrorsTotal));
            double ratio = Percentile(link16, 0.5) / Percentile(floor, 0.5);
            Console.WriteLine(string.Format(c, "goals: rtt_p50/floor_p50 = {0:F2} (<= 1.3: {1}), rtt_p50 < 20 us: {2}, >= 100000 msgs/s: {3}",
                ratio, ratio <= 1.3 ? "met" : "MISSED", Percentile(link16, 0.5) < 20 ? "met" : "MISSED", msgsPerSecond >= 100_000 ? "met" : "MISSED"));
            double[] rings = RingsInProcessBench.RoundTripUs();
            Console.WriteLine(string.Format(c, "rings rtt 16 B (both roles in-process, one thread) p50 {0:F3} us  p99 {1:F3} us", Percentile(rings, 0.5), Percentile(rings, 0.99)));
            SessionAuthBench.Results auth = SessionAuthBench.Run();
            for (int v = 0; v < 3; v++)
            {
                Line("session rtt 16 B (" + SessionAuthBench.VariantNames[v] + ")", auth.Rtt16[v]);
                Line("session rtt 400 B (" + SessionAuthBench.VariantNames[v] + ")", auth.Rtt400[v]);
                Console.WriteLine(string.Format(c, "session one-way alive ({0}) {1:F0} msgs/s", SessionAuthBench.VariantNames[v], auth.OneWayPerSecond[v]));
            }

            double P50(double[][] t, SessionAuthBench.Variant v) => Percentile(t[(int)v], 0.5);
            double authAdded = P50(auth.Rtt16, SessionAuthBench.Variant.Deployed) - P50(auth.Rtt16, SessionAuthBench.Variant.Plain);
            double firmwareAdded = P50(auth.Rtt16, SessionAuthBench.Variant.Firmware) - P50(auth.Rtt16, SessionAuthBench.Variant.Plain);
            Console.WriteLine(SessionAuthBench.HostBlockFunctionLine);
            Console.WriteLine(string.Format(c, "goal: authentication (deployed: agent and island-sim on the host's SHA-256 block function) adds {0:F3} us to the p50 round trip (<= 2 us: {1}); both ends software SHA-256 (firmware): {2:F3} us",
                authAdded, authAdded <= 2 ? "met" : "MISSED", firmwareAdded));
            Console.WriteLine(string.Format(c,
                "{{\"bench\":\"link\",\"rtt_p50_us\":{0:F3},\"rtt_p99_us\":{1:F3},\"floor_p50_us\":{2:F3},\"floor_p99_us\":{3:F3},\"msgs_per_s\":{4:F0},\"mb_per_s\":{5:F1},"
                + "\"session_rtt_p50_us\":{6:F3},\"session_auth_rtt_p50_us\":{7:F3},\"auth_added_p50_us\":{8:F3},\"auth_firmware_both_added_p50_us\":{9:F3},"
                + "\"session_rtt_400_p50_us\":{10:F3},\"session_auth_rtt_400_p50_us\":{11:F3},\"session_oneway_msgs_per_s\":{12:F0},\"session_auth_oneway_msgs_per_s\":{13:F0}}}",
                Percentile(link16, 0.5), Percentile(link16, 0.99), Percentile(floor, 0.5), Percentile(floor, 0.99), msgsPerSecond, mbPerSecond,
                P50(auth.Rtt16, SessionAuthBench.Variant.Plain), P50(auth.Rtt16, SessionAuthBench.Variant.Deployed), authAdded, firmwareAdded,
                P50(auth.Rtt400, SessionAuthBench.Variant.Plain), P50(auth.Rtt400, SessionAuthBench.Variant.Deployed),
                auth.OneWayPerSecond[(int)SessionAuthBench.Variant.Plain], auth.OneWayPerSecond[(int)SessionAuthBench.Variant.Deployed]));
        }
    }

    /// <summary>Starts this program again in peer mode (the island side).</summary>
    public static Process StartPeer(string shmPath, string socketPath, int spinMicroseconds)
    {
        string self = typeof(Program).Assembly.Location;
        ProcessStartInfo start = new("dotnet") { UseShellExecute = false, RedirectStandardError = false };
        start.ArgumentList.Add(self);
        start.ArgumentList.Add("peer");
        start.ArgumentList.Add(shmPath);
        start.ArgumentList.Add(socketPath);
        start.ArgumentList.Add(spinMicroseconds.ToString(CultureInfo.InvariantCulture));
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the island peer process");
    }
}
