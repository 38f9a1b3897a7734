// ./bench.sh e2e [--iterations N]   (N rounds, default 60; a single QEMU start varies by +-10 ms here;
//                                     BENCH_DUMP=1 prints every round on stderr)
//
// 1. agent_start_to_heartbeat: the StartVm request `island vm start web` sends (issued in-process,
//    so the CLI's process start-up, measured by 2., is not counted twice) -> agent -> VmRequest ->
//    island accepts and directs START -> agent launches QEMU -> the guest's first HB line -> relayed
//    AliveIndication reaches the island. cli_start_to_heartbeat is the same with a real
//    `island vm start` process, start-up included. The island is ScriptedIsland (real island-role LinkSession
//    over the real shared-memory link) so the arrival time is observable; the agent is the real
//    island-agent process. Baseline in the same run: a bare QEMU of the same guest (same machine,
//    CPU, memory, kernel and command line, without the agent's -S, QMP and runtime folder), from
//    Process.Start to its first serial byte. Each round runs one API start and one bare start back
//    to back (order alternating); start_overhead is the median over the rounds of their difference
//    (the difference of the two medians is printed too).
// 2. cli_list: wall time of `island vm list` against that agent, vs the floor of a .NET console app
//    launched the same way (host-agent/bench/Stratos.Island.StartupFloor: a hello world published
//    like the CLI, ReadyToRun apphost with the same runtime settings; runs interleaved with the CLI's)
//    and `virsh -c test:///default list` (libvirt-clients).
// The guest's first line is its first heartbeat (its first serial byte), before READY.
// The same project runs ./bench.sh linux-boot (LinuxBootBench.cs) and hb-jitter (HeartbeatJitterBench.cs).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using static Stratos.Island.Bench.BenchProcess;
using Stratos.Island.Agent.Tests;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using ProtoObserved = Stratos.Island.Protocol.Link.V1.ObservedVmState;

namespace Stratos.Island.Agent.Bench;

public static class Program
{
    private const string GuestCmdline = "console=ttyS0 hb.rate=5";

    public static async Task<int> Main(string[] args)
    {
        // ./bench.sh linux-boot and hb-jitter share this project (and its helpers) with e2e.
        if (args.Length > 0 && args[0] == "linux-boot")
        {
            return await LinuxBootBench.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "hb-jitter")
        {
            return await HeartbeatJitterBench.RunAsync(args[1..]);
        }

        if (Iterations(args, 60, "e2e") is not int iterations)
        {
            return 2;
        }

        string repo = FindRepo();
        string kernel = Path.Combine(repo, "hil-tests", "guest", "build", "heartbeat.elf");
        Run("make", "-s", "-C", Path.Combine(repo, "hil-tests", "guest"));
        var (agentExe, cliExe, floorExe) = BuildAgentCliAndFloor(repo);

        string dir = Path.Combine(Path.GetTempPath(), "sibench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var island = new ScriptedIsland(dir) { DirectOnStart = true };
        island.Vms[1] = new VmStatus { VmId = 1, Name = "web", State = VmState.Stopped, Criticality = Criticality.Qm };
        island.Definitions.Add(new VmDefinition
        {
            VmId = 1, Name = "web", Criticality = Criticality.Qm, BootOrder = 1,
            Vmm = new VmmConfig { Machine = "microvm", MemoryMib = 32, Vcpus = 1, Kernel = kernel, Cmdline = GuestCmdline },
        });
        long heartbeatTicks = 0, requestTicks = 0, runningTicks = 0;
        island.Observer = m =>
        {
            if (m.AliveIndication is { EntityId: 1 })
            {
                Interlocked.CompareExchange(ref heartbeatTicks, Stopwatch.GetTimestamp(), 0);
            }
            else if (m.VmRequest is { VmId: 1, Action: Stratos.Island.Protocol.Link.V1.VmAction.Start })
            {
                Interlocked.CompareExchange(ref requestTicks, Stopwatch.GetTimestamp(), 0);
            }
            else if (m.VmStateReport is { VmId: 1, State: ProtoObserved.Running, DirectiveId: > 0 })
            {
                Interlocked.CompareExchange(ref runningTicks, Stopwatch.GetTimestamp(), 0);
            }
        };

        string socket = Path.Combine(dir, "agent.sock");
        using Process agent = StartAgent(repo, agentExe, dir, island.ShmPath, island.KickPath);
        try
        {
            await island.WaitForAsync(() => island.Received.Any(m => m.VmStateReport is not null) && File.Exists(socket), "agent up and re-synchronised", 30000);
            var cliStart = new List<double>();
            var apiStart = new List<double>();
            var bare = new List<double>();
            var bareHeartbeat = new List<double>();
            var overhead = new List<double>();    // per round: API start -> first HB at the island, minus the adjacent bare start
            var toRequest = new List<double>();   // API call -> VmRequest at the island
            var toRunning = new List<double>();   // VmRequest -> RUNNING report at the island (directive, QEMU start)
            var toHeartbeat = new List<double>(); // RUNNING report -> first heartbeat at the island
            using var api = Stratos.Island.Grpc.GrpcClient.ForUnixSocket(socket);
            int directive = 5000;

            // One start through the agent to the first heartbeat at the island, then kill: ms and the island's timestamps.
            async Task<(double Ms, long Request, long Running, long Heartbeat)> StartThroughAgent(bool viaCli)
            {
                Interlocked.Exchange(ref heartbeatTicks, 0);
                Interlocked.Exchange(ref requestTicks, 0);
                Interlocked.Exchange(ref runningTicks, 0);
                long t0 = Stopwatch.GetTimestamp();
                if (viaCli)
                {
                    int status = RunCli(cliExe, socket, "vm", "start", "web");
                    if (status != 0)
                    {
                        throw new InvalidOperationException($"island vm start web exited {status}");
                    }
                }
                else
                {
                    await api.UnaryAsync(Stratos.Island.Protocol.AgentMethods.StartVm, new Stratos.Island.Protocol.Agent.V1.StartVmRequest { Name = "web" }, Stratos.Island.Protocol.Agent.V1.StartVmResponse.Parser);
                }

                await island.WaitForAsync(() => Interlocked.Read(ref heartbeatTicks) != 0, "first heartbeat of web", 15000);
                long heartbeat = Interlocked.Read(ref heartbeatTicks);
                var result = (Stopwatch.GetElapsedTime(t0, heartbeat).TotalMilliseconds, Interlocked.Read(ref requestTicks) - t0, Interlocked.Read(ref runningTicks) - t0, heartbeat - t0);
                int before = island.Received.Count(m => m.VmStateReport is { State: ProtoObserved.NotRunning, DirectiveId: > 0 });
                island.Send(new Envelope { VmDirective = new VmDirective { DirectiveId = (uint)directive++, VmId = 1, Action = DirectiveAction.Kill } });
                await island.WaitForAsync(() => island.Received.Count(m => m.VmStateReport is { State: ProtoObserved.NotRunning, DirectiveId: > 0 }) > before, "web killed", 15000);
                island.Vms[1] = new VmStatus { VmId = 1, Name = "web", State = VmState.Stopped, Criticality = Criticality.Qm };
                return result;
            }

            // Warm-up of every path, then rounds: API start and bare start back to back (their order
            // alternating, so neither always runs first), and every third round a start through a real
            // CLI process.
            await StartThroughAgent(viaCli: false);
            await StartThroughAgent(viaCli: true);
            BareQemu(kernel, dir);
            for (int round = 0; round < iterations; round++)
            {
                (double FirstByte, double FirstHeartbeat) plain = default;
                if (round % 2 == 1)
                {
                    plain = BareQemu(kernel, dir);
                }

                var (ms, request, running, heartbeat) = await StartThroughAgent(viaCli: false);
                if (round % 2 == 0)
                {
                    plain = BareQemu(kernel, dir);
                }

                apiStart.Add(ms);
                bare.Add(plain.FirstByte);
                bareHeartbeat.Add(plain.FirstHeartbeat);
                overhead.Add(ms - plain.FirstByte);
                if (Environment.GetEnvironmentVariable("BENCH_DUMP") == "1")
                {
                    Console.Error.WriteLine(FormattableString.Invariant($"round {round}: api {ms:0.0} bare {plain.FirstByte:0.0} diff {ms - plain.FirstByte:0.0}"));
                }
                double tick = Stopwatch.Frequency / 1000.0;
                if (request > 0 && running > 0)
                {
                    toRequest.Add(request / tick);
                    toRunning.Add((running - request) / tick);
                    toHeartbeat.Add((heartbeat - running) / tick);
                }

                if (round % 3 == 0)
                {
                    cliStart.Add((await StartThroughAgent(viaCli: true)).Ms);
                }
            }

            // Interleaved, so drift in the machine's load hits both alike.
            var (list, floor) = TimeInterleaved(iterations * 2, () => RunCli(cliExe, socket, "vm", "list"), () => RunQuiet(floorExe));
            var virsh = Time(iterations, () => RunQuiet("virsh", "-c", "test:///default", "list"));

            double startP50 = Median(cliStart), bareP50 = Median(bare), overheadP50 = Median(overhead);
            Console.WriteLine($"StartVm API call -> first heartbeat         p50 {Median(apiStart):0.0} ms  (n={apiStart.Count}, min {apiStart.Min():0.0}, max {apiStart.Max():0.0})");
            Console.WriteLine($"bare QEMU -> first serial byte             p50 {bareP50:0.0} ms  (min {bare.Min():0.0}, max {bare.Max():0.0}; end of first HB line p50 {Median(bareHeartbeat):0.0} ms)");
            Console.WriteLine($"start overhead, per round (API start minus the adjacent bare start)  p50 {overheadP50:0.0} ms  (p25 {Percentile(overhead, 0.25):0.0}, p75 {Percentile(overhead, 0.75):0.0}; difference of the medians {Median(apiStart) - bareP50:0.0} ms)");
            Console.WriteLine($"vm start through a real CLI process -> first heartbeat  p50 {startP50:0.0} ms  (overhead {startP50 - bareP50:0.0} ms, the CLI's own start-up included)");
            if (toRequest.Count > 0)
            {
                Console.WriteLine($"  API breakdown p50: call -> VmRequest at the island {Median(toRequest):0.0} ms, -> RUNNING report {Median(toRunning):0.0} ms, -> first heartbeat {Median(toHeartbeat):0.0} ms");
            }

            Console.WriteLine($"  API overhead over bare QEMU's first HB line (the guest's own first-byte -> HB line gap excluded): {Median(apiStart) - Median(bareHeartbeat):0.0} ms");
            Console.WriteLine($"island vm list                              p50 {Median(list):0.0} ms");
            Console.WriteLine($".NET hello-world floor                      p50 {Median(floor):0.0} ms");
            Console.WriteLine($"virsh -c test:///default list               p50 {Median(virsh):0.0} ms");
            // start_overhead is measured from the StartVm request (what `island vm start` sends): the CLI
            // process's own start-up is the cli_list-vs-floor comparison, reported separately, and the
            // CLI-launched figure is in the cli_start_* fields.
            Console.WriteLine(FormattableString.Invariant(
                $"{{\"bench\":\"e2e\",\"start_overhead_ms_p50\":{overheadP50:0.0},\"agent_start_to_heartbeat_ms_p50\":{Median(apiStart):0.0},\"bare_qemu_to_first_byte_ms_p50\":{bareP50:0.0},\"cli_list_ms_p50\":{Median(list):0.0},\"dotnet_floor_ms_p50\":{Median(floor):0.0},\"virsh_list_ms_p50\":{Median(virsh):0.0},\"cli_start_to_heartbeat_ms_p50\":{startP50:0.0},\"cli_start_overhead_ms_p50\":{startP50 - bareP50:0.0},\"bare_qemu_to_first_hb_ms_p50\":{Median(bareHeartbeat):0.0},\"start_overhead_difference_of_medians_ms\":{Median(apiStart) - bareP50:0.0},\"rounds\":{iterations}}}"));
            return 0;
        }
        finally
        {
            await StopAgentAsync(agent, island, dir);
        }
    }

    /// <summary>Bare QEMU with the agent's arguments for this guest: ms to the first serial byte and to the end of the first HB line.</summary>
    private static (double FirstByte, double FirstHeartbeat) BareQemu(string kernel, string dir)
    {
        string serial = Path.Combine(dir, "bare-serial.sock");
        File.Delete(serial);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(serial));
        listener.Listen(1);
        bool kvm = File.Exists("/dev/kvm");
        long t0 = Stopwatch.GetTimestamp();
        using Process qemu = Start("qemu-system-x86_64", "-machine", "microvm" + (kvm ? ",accel=kvm" : ",accel=tcg"), "-cpu", kvm ? "host,-arch-capabilities" : "max",
            "-m", "32", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
            "-chardev", "socket,id=s0,path=" + serial, "-serial", "chardev:s0", "-kernel", kernel, "-append", GuestCmdline);
        try
        {
            using Socket client = listener.Accept();
            client.ReceiveTimeout = 10000;
            var buffer = new byte[4096];
            var text = new StringBuilder();
            double firstByte = -1;
            while (true)
            {
                int read = client.Receive(buffer);
                if (read <= 0)
                {
                    throw new InvalidOperationException("bare QEMU closed its serial before a heartbeat");
                }

                if (firstByte < 0)
                {
                    firstByte = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                string seen = "\n" + text;
                int hb = seen.IndexOf("\nHB ", StringComparison.Ordinal);
                if (hb >= 0 && seen.IndexOf('\n', hb + 1) > 0)
                {
                    return (firstByte, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
        }
        finally
        {
            qemu.Kill();
            qemu.WaitForExit();
            File.Delete(serial);
        }
    }

    private static (List<double> First, List<double> Second) TimeInterleaved(int runs, Func<int> first, Func<int> second)
    {
        var a = new List<double>();
        var b = new List<double>();
        first();
        second();
        for (int i = 0; i < runs; i++)
        {
            a.AddRange(Time(1, first, warm: false));
            b.AddRange(Time(1, second, warm: false));
        }

        return (a, b);
    }

    private static List<double> Time(int runs, Func<int> action, bool warm = true)
    {
        var result = new List<double>();
        if (warm)
        {
            action(); // warm the page cache
        }
        for (int i = 0; i < runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int status = action();
            if (status != 0)
            {
                throw new InvalidOperationException("a timed command exited " + status);
            }

            result.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        return result;
    }

    internal static double Median(List<double> values) => Percentile(values, 0.5);

    // Linear interpolation between the closest ranks.
    internal static double Percentile(List<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToList();
        double rank = p * (sorted.Count - 1);
        int low = (int)Math.Floor(rank);
        return low + 1 < sorted.Count ? sorted[low] + (rank - low) * (sorted[low + 1] - sorted[low]) : sorted[low];
    }

    private static int RunCli(string cli, string socket, params string[] args) => RunQuiet(cli, new[] { "--socket", socket }.Concat(args).ToArray());
}
