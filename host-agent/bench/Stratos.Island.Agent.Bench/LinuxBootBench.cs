// ./bench.sh linux-boot [--iterations N]   (N rounds, default 12; BENCH_DUMP=1 prints every round)
//
// The Linux test guest (hil-tests/guest/linux: Debian's kernel, uncompressed and booted at its PVH
// entry point as the demo VM boots it, and the project's initramfs) booted through the agent, from
// the StartVm API call to its first heartbeat at the island, against the same kernel and initramfs
// booted by a bare QEMU to the first byte on its heartbeat port, in the same run. Both under TCG
// (the development machines' PVM KVM cannot boot an unmodified kernel, docs/guests.md), with the
// demo VM's devices (virtio-serial port, i6300esb, pvpanic-pci), memory and command line (the
// agent's tsc_early_khz included, TcgLinuxClock). The island is ScriptedIsland (a real island-role
// LinkSession over the real shared-memory link), the agent the real island-agent process. Each
// round runs one start of each, back to back, their order alternating; boot_overhead is the median
// over the rounds of their difference, with a distribution-free confidence interval
// (MedianInterval). Beside it, per round: the agent's timeline (VmRequest at the island, QEMU
// spawned and `cont` answered from the agent's start steps, the first HB line read from its
// heartbeat trace, the island's receive) and the CPU each boot's window cost: its QEMU, the agent,
// this process, every other process on the machine, and the hypervisor's steal (ProcCpu). A TCG
// boot varies by hundreds of ms with the machine's other load; the CPU columns show how much of a
// round's difference that load explains.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Agent.Tests;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using ProtoObserved = Stratos.Island.Protocol.Link.V1.ObservedVmState;

using Stratos.Island.Bench;
using Stratos.Island.Link.Linux;
using Stratos.Island.VirtualBoard;
namespace Stratos.Island.Agent.Bench;

internal static class LinuxBootBench
{
    // The demo VM's command line (boards/virtual/vms.yaml), watchdog off: a bare QEMU has no one to
    // ping it for, and arming it costs the same in both.
    private const string Cmdline = "console=ttyS0 quiet panic=-1 stratos.watchdog=0";
    private const uint MemoryMib = 256;

    public static async Task<int> RunAsync(string[] args)
    {
        if (BenchProcess.Iterations(args, 12, "linux-boot") is not int iterations)
        {
            return 2;
        }

        string repo = BenchProcess.FindRepo();
        string guestDir = Path.Combine(repo, "hil-tests", "guest", "build", "linux");
        string kernel = Path.Combine(guestDir, "vmlinux");
        string initrd = Path.Combine(guestDir, "initramfs.cpio.gz");
        string agentExe = Path.Combine(repo, "host-agent", "src", "Stratos.Island.Agent.Host", "bin", "Release", "net10.0", "island-agent");
        BenchProcess.Run(Path.Combine(repo, "hil-tests", "guest", "linux", "build.sh"));
        BenchProcess.Run("dotnet", "build", Path.Combine(repo, "host-agent", "src", "Stratos.Island.Agent.Host"), "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly");

        string dir = Path.Combine(Path.GetTempPath(), "sibench-linux-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var island = new ScriptedIsland(dir) { DirectOnStart = true };
        island.Vms[1] = new VmStatus { VmId = 1, Name = "linux", State = VmState.Stopped, Criticality = Criticality.Qm };
        island.Definitions.Add(new VmDefinition
        {
            VmId = 1, Name = "linux", Criticality = Criticality.Qm, BootOrder = 1, StartTimeoutMs = 60000,
            Vmm = new VmmConfig
            {
                Machine = "microvm", MemoryMib = MemoryMib, Vcpus = 1, Kernel = kernel, Initrd = initrd, Cmdline = Cmdline,
                Accelerator = VmmAccelerator.Tcg, HeartbeatPort = true, Watchdog = true, PanicDevice = true,
            },
        });
        long heartbeatTicks = 0, requestTicks = 0, runningTicks = 0;
        // Completed by the island thread at the first heartbeat: the bench blocks on it, as it blocks
        // on the bare QEMU's socket, instead of polling while the guest boots.
        var alive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        island.Observer = m =>
        {
            if (m.AliveIndication is { EntityId: 1 })
            {
                if (Interlocked.CompareExchange(ref heartbeatTicks, Stopwatch.GetTimestamp(), 0) == 0)
                {
                    Volatile.Read(ref alive).TrySetResult();
                }
            }
            else if (m.VmRequest is { VmId: 1, Action: VmAction.Start })
            {
                Interlocked.CompareExchange(ref requestTicks, Stopwatch.GetTimestamp(), 0);
            }
            else if (m.VmStateReport is { VmId: 1, State: ProtoObserved.Running, DirectiveId: > 0 })
            {
                Interlocked.CompareExchange(ref runningTicks, Stopwatch.GetTimestamp(), 0);
            }
        };

        var layout = new VirtualBoardLayout(dir);
        string socket = layout.AgentSocket;
        // At debug level the agent logs one line per start, its start steps (QemuVm.StartSteps).
        using Process agent = BenchProcess.StartAgent(repo, agentExe, dir, island.ShmPath, island.KickPath, traceHeartbeats: true, logLevel: "debug");
        var startSteps = new System.Collections.Concurrent.ConcurrentQueue<string>();
        agent.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains("start steps:", StringComparison.Ordinal))
            {
                startSteps.Enqueue(line);
            }
        };
        agent.BeginOutputReadLine();
        try
        {
            await island.WaitForAsync(() => island.Received.Any(m => m.VmStateReport is not null) && File.Exists(socket), "agent up and re-synchronised", 30000);
            using var api = Stratos.Island.Grpc.GrpcClient.ForUnixSocket(socket);
            int directive = 5000;
            var rounds = new List<Round>();
            double loadBefore = ProcCpu.LoadAverage();

            async Task<Boot> StartThroughAgent()
            {
                Volatile.Write(ref alive, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                Interlocked.Exchange(ref heartbeatTicks, 0);
                Interlocked.Exchange(ref requestTicks, 0);
                Interlocked.Exchange(ref runningTicks, 0);
                startSteps.Clear();
                var cpu = CpuSample.Take(agent.Id);
                long t0 = Stopwatch.GetTimestamp();
                await api.UnaryAsync(Stratos.Island.Protocol.AgentMethods.StartVm, new Stratos.Island.Protocol.Agent.V1.StartVmRequest { Name = "linux" }, Stratos.Island.Protocol.Agent.V1.StartVmResponse.Parser);
                await Volatile.Read(ref alive).Task.WaitAsync(TimeSpan.FromSeconds(60));
                long heartbeat = Interlocked.Read(ref heartbeatTicks);
                int qemuPid = int.Parse(File.ReadAllText(Path.Combine(layout.VmDir("linux"), "qemu.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                var used = cpu.Since(agent.Id, qemuPid);
                int? nice = ProcCpu.Nice(qemuPid);
                DumpCommandLine("agent's QEMU", qemuPid);
                int before = island.Received.Count(m => m.VmStateReport is { State: ProtoObserved.NotRunning, DirectiveId: > 0 });
                island.Send(new Envelope { VmDirective = new VmDirective { DirectiveId = (uint)directive++, VmId = 1, Action = DirectiveAction.Kill } });
                await island.WaitForAsync(() => island.Received.Count(m => m.VmStateReport is { State: ProtoObserved.NotRunning, DirectiveId: > 0 }) > before, "linux killed", 15000);
                island.Vms[1] = new VmStatus { VmId = 1, Name = "linux", State = VmState.Stopped, Criticality = Criticality.Qm };
                double Ms(long ticks) => ticks == 0 ? double.NaN : Stopwatch.GetElapsedTime(t0, ticks).TotalMilliseconds;
                long read = await FirstTracedReadAsync(layout.AgentHeartbeatTrace, t0);
                var (spawned, running) = ParseStartSteps(startSteps);
                double request = Ms(Interlocked.Read(ref requestTicks));
                return new Boot(Ms(heartbeat), used, nice, request, request + spawned, request + running, Ms(read));
            }

            // Warm-up (page cache, the agent's JIT), then the rounds.
            await StartThroughAgent();
            BareQemu(kernel, initrd, dir, agent.Id);
            for (int round = 0; round < iterations; round++)
            {
                Boot? bare = round % 2 == 1 ? BareQemu(kernel, initrd, dir, agent.Id) : null;
                Boot through = await StartThroughAgent();
                bare ??= BareQemu(kernel, initrd, dir, agent.Id);
                var r = new Round(through, bare, ProcCpu.LoadAverage());
                rounds.Add(r);
                if (Environment.GetEnvironmentVariable("BENCH_DUMP") == "1")
                {
                    Console.Error.WriteLine(FormattableString.Invariant(
                        $"round {round}: agent {through.Ms:0.0} bare {bare.Ms:0.0} diff {r.Diff:0.0} | agent: request {through.RequestMs:0.0} spawned {through.SpawnedMs:0.0} cont {through.ContMs:0.0} hb read {through.HbReadMs:0.0} island {through.Ms:0.0} | nice {through.QemuNice} / {bare.QemuNice} | cpu ms qemu {through.Cpu.QemuMs:0} / {bare.Cpu.QemuMs:0}, agent {through.Cpu.AgentMs:0.0} / {bare.Cpu.AgentMs:0.0}, bench {through.Cpu.BenchMs:0.0} / {bare.Cpu.BenchMs:0.0}, others {through.Cpu.OthersMs:0} / {bare.Cpu.OthersMs:0}, steal {through.Cpu.StealMs:0} / {bare.Cpu.StealMs:0} | load {r.Load:0.00}"));
                }
            }

            Report(rounds, loadBefore);
            return 0;
        }
        finally
        {
            await BenchProcess.StopAgentAsync(agent, island, dir);
        }
    }

    private static void Report(List<Round> rounds, double loadBefore)
    {
        List<double> Of(Func<Round, double> f) => rounds.Select(f).Where(v => !double.IsNaN(v)).ToList();
        List<double> agentMs = Of(r => r.Agent.Ms), bareMs = Of(r => r.Bare.Ms), diff = Of(r => r.Diff);
        double p50 = Program.Median(diff);
        var (low, high, coverage) = MedianInterval.Of(diff);
        double Med(Func<Round, double> f) => Of(f) is { Count: > 0 } v ? Program.Median(v) : double.NaN;
        Console.WriteLine(FormattableString.Invariant($"StartVm API call -> first heartbeat at the island   p50 {Program.Median(agentMs):0.0} ms  (n={agentMs.Count}, min {agentMs.Min():0.0}, max {agentMs.Max():0.0})"));
        Console.WriteLine(FormattableString.Invariant($"bare QEMU -> first byte on the heartbeat port       p50 {Program.Median(bareMs):0.0} ms  (min {bareMs.Min():0.0}, max {bareMs.Max():0.0})"));
        Console.WriteLine(FormattableString.Invariant($"boot overhead, per round (agent minus the adjacent bare boot)  p50 {p50:0.0} ms, {coverage * 100:0.0} % CI [{low:0.0}, {high:0.0}] ms (order statistics)  (p25 {Program.Percentile(diff, 0.25):0.0}, p75 {Program.Percentile(diff, 0.75):0.0}, min {diff.Min():0.0}, max {diff.Max():0.0}; difference of the medians {Program.Median(agentMs) - Program.Median(bareMs):0.0} ms)"));
        Console.WriteLine(FormattableString.Invariant($"  agent timeline p50: call -> VmRequest at the island {Med(r => r.Agent.RequestMs):0.0} ms, -> QEMU spawned {Med(r => r.Agent.SpawnedMs):0.0} ms, -> `cont` answered {Med(r => r.Agent.ContMs):0.0} ms, -> first HB line read by the agent {Med(r => r.Agent.HbReadMs):0.0} ms, -> at the island {Med(r => r.Agent.Ms):0.0} ms (read -> island {Med(r => r.Agent.Ms - r.Agent.HbReadMs):0.00} ms)"));
        Console.WriteLine(FormattableString.Invariant($"  CPU during a boot, p50 agent boot / bare boot: QEMU {Med(r => r.Agent.Cpu.QemuMs):0} / {Med(r => r.Bare.Cpu.QemuMs):0} ms, island-agent {Med(r => r.Agent.Cpu.AgentMs):0.0} / {Med(r => r.Bare.Cpu.AgentMs):0.0} ms, bench (island, API client) {Med(r => r.Agent.Cpu.BenchMs):0.0} / {Med(r => r.Bare.Cpu.BenchMs):0.0} ms, other processes {Med(r => r.Agent.Cpu.OthersMs):0} / {Med(r => r.Bare.Cpu.OthersMs):0} ms, stolen {Med(r => r.Agent.Cpu.StealMs):0} / {Med(r => r.Bare.Cpu.StealMs):0} ms; load average {loadBefore:0.00} at the start, {rounds[^1].Load:0.00} at the end"));
        // Where the agent's CPU of a boot goes, by thread name: medians over the rounds, agent boot / bare boot.
        var names = rounds.SelectMany(r => r.Agent.Cpu.AgentThreadsMs.Keys.Concat(r.Bare.Cpu.AgentThreadsMs.Keys)).Distinct()
            .Select(n => (Name: n, Agent: Med(r => r.Agent.Cpu.AgentThreadsMs.GetValueOrDefault(n)), Bare: Med(r => r.Bare.Cpu.AgentThreadsMs.GetValueOrDefault(n))))
            .Where(t => t.Agent >= 0.5 || t.Bare >= 0.5).OrderByDescending(t => t.Agent - t.Bare).ToList();
        Console.WriteLine("  island-agent's CPU by thread, p50 agent boot / bare boot (schedstat): " + string.Join(", ", names.Select(t => FormattableString.Invariant($"'{t.Name}' {t.Agent:0.0} / {t.Bare:0.0} ms"))));
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"bench\":\"linux-boot\",\"boot_overhead_ms_p50\":{p50:0.0},\"boot_overhead_ms_ci_low\":{low:0.0},\"boot_overhead_ms_ci_high\":{high:0.0},\"boot_overhead_ci_coverage\":{coverage:0.000},\"boot_overhead_ms_p25\":{Program.Percentile(diff, 0.25):0.0},\"boot_overhead_ms_p75\":{Program.Percentile(diff, 0.75):0.0},\"agent_start_to_heartbeat_ms_p50\":{Program.Median(agentMs):0.0},\"bare_qemu_to_first_hb_byte_ms_p50\":{Program.Median(bareMs):0.0},\"difference_of_medians_ms\":{Program.Median(agentMs) - Program.Median(bareMs):0.0},\"agent_spawned_ms_p50\":{Med(r => r.Agent.SpawnedMs):0.0},\"agent_cont_ms_p50\":{Med(r => r.Agent.ContMs):0.0},\"agent_hb_read_ms_p50\":{Med(r => r.Agent.HbReadMs):0.0},\"agent_cpu_ms_p50\":{Med(r => r.Agent.Cpu.AgentMs):0.0},\"agent_cpu_bare_ms_p50\":{Med(r => r.Bare.Cpu.AgentMs):0.0},\"load_start\":{loadBefore:0.00},\"load_end\":{rounds[^1].Load:0.00},\"accelerator\":\"tcg\",\"rounds\":{rounds.Count}}}"));
    }

    /// <summary>
    /// CLOCK_MONOTONIC of the agent's read of the first heartbeat it relayed after <paramref name="t0"/>
    /// (its heartbeat trace, flushed every 200 ms), as a Stopwatch timestamp; 0 when none shows up.
    /// </summary>
    private static async Task<long> FirstTracedReadAsync(string trace, long t0)
    {
        long t0Ns = MonotonicTraceFile.ToNanoseconds(t0);
        for (int attempt = 0; attempt < 20; attempt++)
        {
            using (var stream = new FileStream(trace, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var reader = new StreamReader(stream))
            {
                while (reader.ReadLine() is string line)
                {
                    string[] f = line.Split(' ');
                    if (f.Length == 5 && f[0] == "1" && long.TryParse(f[2], out long readNs) && readNs > t0Ns)
                    {
                        return t0 + (long)((readNs - t0Ns) * (Stopwatch.Frequency / 1e9));
                    }
                }
            }

            await Task.Delay(100);
        }

        return 0;
    }

    /// <summary>
    /// One boot: ms to its first heartbeat, the CPU used meanwhile, QEMU's nice value, and (through
    /// the agent) its timeline in ms from the call: the VmRequest at the island, QEMU spawned and
    /// `cont` answered (the agent's start steps, counted from the request: the START directive
    /// reaches it within a millisecond), the first HB line read by the agent.
    /// </summary>
    private sealed record Boot(double Ms, CpuUse Cpu, int? QemuNice, double RequestMs = double.NaN, double SpawnedMs = double.NaN, double ContMs = double.NaN, double HbReadMs = double.NaN);

    private static readonly HashSet<string> Dumped = new();

    /// <summary>With BENCH_DUMP=1, the command line of each side's QEMU, once: what differs between them.</summary>
    private static void DumpCommandLine(string which, int pid)
    {
        if (Environment.GetEnvironmentVariable("BENCH_DUMP") == "1" && Dumped.Add(which))
        {
            string argv = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');
            Console.Error.WriteLine($"{which}: {argv}");
        }
    }

    /// <summary>Spawned and running (`cont` answered) ms of the agent's last "start steps" debug line (QemuVm.StartSteps); NaN when none came.</summary>
    private static (double Spawned, double Running) ParseStartSteps(System.Collections.Concurrent.ConcurrentQueue<string> lines)
    {
        for (int attempt = 0; attempt < 20 && lines.IsEmpty; attempt++)
        {
            Thread.Sleep(50);
        }

        var match = lines.LastOrDefault() is { } line
            ? System.Text.RegularExpressions.Regex.Match(line, @"spawned ([0-9.]+) ms, QMP ready [0-9.]+ ms, running ([0-9.]+) ms")
            : System.Text.RegularExpressions.Match.Empty;
        double Value(int group) => match.Success ? double.Parse(match.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
        return (Value(1), Value(2));
    }

    private sealed record Round(Boot Agent, Boot Bare, double Load)
    {
        public double Diff => Agent.Ms - Bare.Ms;
    }

    /// <summary>CPU ms during one boot: its QEMU, island-agent, this process, everything else on the machine, and stolen by the hypervisor.</summary>
    /// <summary>AgentThreadsMs: the agent's CPU by thread name (ns resolution, threads alive at both ends of the boot).</summary>
    private sealed record CpuUse(double QemuMs, double AgentMs, double BenchMs, double OthersMs, double StealMs, Dictionary<string, double> AgentThreadsMs);

    private sealed record CpuSample(double AgentMs, double BenchMs, double BusyMs, double StealMs, Dictionary<string, long> AgentThreadNs)
    {
        public static CpuSample Take(int agentPid)
        {
            var (busy, steal) = ProcCpu.Machine();
            return new CpuSample(ProcCpu.ProcessMs(agentPid), ProcCpu.ProcessMs(Environment.ProcessId), busy, steal, ProcCpu.ThreadNs(agentPid));
        }

        /// <summary>Until now, with the boot's QEMU (still running: its whole life was this boot).</summary>
        public CpuUse Since(int agentPid, int qemuPid)
        {
            double qemu = ProcCpu.ProcessMs(qemuPid);
            var now = Take(agentPid);
            double agent = now.AgentMs - AgentMs, bench = now.BenchMs - BenchMs;
            var threads = now.AgentThreadNs.ToDictionary(t => t.Key, t => (t.Value - AgentThreadNs.GetValueOrDefault(t.Key)) / 1e6);
            return new CpuUse(qemu, agent, bench, now.BusyMs - BusyMs - qemu - agent - bench, now.StealMs - StealMs, threads);
        }
    }

    /// <summary>Bare QEMU, the agent's arguments for this VM without -S and QMP: ms from Process.Start to the first byte on the heartbeat port.</summary>
    private static Boot BareQemu(string kernel, string initrd, string dir, int agentPid)
    {
        string port = Path.Combine(dir, "bare-hb.sock");
        File.Delete(port);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(port));
        listener.Listen(1);
        string cmdline = TcgLinuxClock.Apply(Cmdline, underTcg: true, "microvm", kernel) ?? Cmdline;
        var cpu = CpuSample.Take(agentPid);
        long t0 = Stopwatch.GetTimestamp();
        using Process qemu = BenchProcess.Start("qemu-system-x86_64", "-machine", "microvm,pcie=on,accel=tcg",
            "-m", MemoryMib.ToString(System.Globalization.CultureInfo.InvariantCulture), "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
            "-chardev", "null,id=serial0", "-serial", "chardev:serial0", "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
            "-chardev", "socket,id=heartbeat0,path=" + port,
            "-device", "virtio-serial-pci,id=virtio-serial0",
            "-device", "virtserialport,bus=virtio-serial0.0,chardev=heartbeat0,name=org.stratos.island.heartbeat.0",
            "-device", "i6300esb", "-action", "watchdog=none", "-device", "pvpanic-pci", "-no-reboot");
        try
        {
            using Socket client = listener.Accept();
            client.ReceiveTimeout = 60000;
            var buffer = new byte[256];
            if (client.Receive(buffer) <= 0)
            {
                throw new InvalidOperationException("bare QEMU closed its heartbeat port before a byte");
            }

            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var used = cpu.Since(agentPid, qemu.Id);
            DumpCommandLine("bare QEMU", qemu.Id);
            return new Boot(ms, used, ProcCpu.Nice(qemu.Id));
        }
        finally
        {
            qemu.Kill();
            qemu.WaitForExit();
            File.Delete(port);
        }
    }
}
