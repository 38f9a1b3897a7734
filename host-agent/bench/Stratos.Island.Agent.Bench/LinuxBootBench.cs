// ./bench.sh linux-boot [--iterations N]   (N rounds, default 12; BENCH_DUMP=1 prints every round)
//
// The Linux test guest (hil-tests/guest/linux: Debian's kernel, the project's initramfs) booted
// through the agent, from the StartVm API call to its first heartbeat at the island, against the
// same kernel and initramfs booted by a bare QEMU to the first byte on its heartbeat port, in the
// same run. Both under TCG (the development machines' PVM KVM cannot boot an unmodified kernel,
// docs/guests.md), with the demo VM's devices (virtio-serial port, i6300esb, pvpanic-pci), memory
// and command line (the agent's tsc_early_khz included, TcgLinuxClock). The island is ScriptedIsland
// (a real island-role LinkSession over the real shared-memory link), the agent the real island-agent
// process. Each round runs one start of each, back to back, their order alternating;
// boot_overhead is the median over the rounds of their difference. A TCG boot takes seconds and
// varies by tens of ms from one boot to the next, so the paired median needs a dozen rounds or more
// to resolve the agent's share.
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
        string kernel = Path.Combine(guestDir, "vmlinuz");
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
        long heartbeatTicks = 0;
        island.Observer = m =>
        {
            if (m.AliveIndication is { EntityId: 1 })
            {
                Interlocked.CompareExchange(ref heartbeatTicks, Stopwatch.GetTimestamp(), 0);
            }
        };

        string socket = Path.Combine(dir, "agent.sock");
        using Process agent = BenchProcess.StartAgent(repo, agentExe, dir, island.ShmPath, island.KickPath);
        try
        {
            await island.WaitForAsync(() => island.Received.Any(m => m.VmStateReport is not null) && File.Exists(socket), "agent up and re-synchronised", 30000);
            using var api = Stratos.Island.Grpc.GrpcClient.ForUnixSocket(socket);
            int directive = 5000;
            var agentMs = new List<double>();
            var bareMs = new List<double>();
            var overhead = new List<double>();

            async Task<double> StartThroughAgent()
            {
                Interlocked.Exchange(ref heartbeatTicks, 0);
                long t0 = Stopwatch.GetTimestamp();
                await api.UnaryAsync(Stratos.Island.Protocol.AgentMethods.StartVm, new Stratos.Island.Protocol.Agent.V1.StartVmRequest { Name = "linux" }, Stratos.Island.Protocol.Agent.V1.StartVmResponse.Parser);
                await island.WaitForAsync(() => Interlocked.Read(ref heartbeatTicks) != 0, "first heartbeat of the Linux guest", 60000);
                double ms = Stopwatch.GetElapsedTime(t0, Interlocked.Read(ref heartbeatTicks)).TotalMilliseconds;
                int before = island.Received.Count(m => m.VmStateReport is { State: ProtoObserved.NotRunning, DirectiveId: > 0 });
                island.Send(new Envelope { VmDirective = new VmDirective { DirectiveId = (uint)directive++, VmId = 1, Action = DirectiveAction.Kill } });
                await island.WaitForAsync(() => island.Received.Count(m => m.VmStateReport is { State: ProtoObserved.NotRunning, DirectiveId: > 0 }) > before, "linux killed", 15000);
                island.Vms[1] = new VmStatus { VmId = 1, Name = "linux", State = VmState.Stopped, Criticality = Criticality.Qm };
                return ms;
            }

            // Warm-up (page cache, the agent's JIT), then the rounds.
            await StartThroughAgent();
            BareQemu(kernel, initrd, dir);
            for (int round = 0; round < iterations; round++)
            {
                double bare = round % 2 == 1 ? BareQemu(kernel, initrd, dir) : 0;
                double through = await StartThroughAgent();
                if (round % 2 == 0)
                {
                    bare = BareQemu(kernel, initrd, dir);
                }

                agentMs.Add(through);
                bareMs.Add(bare);
                overhead.Add(through - bare);
                if (Environment.GetEnvironmentVariable("BENCH_DUMP") == "1")
                {
                    Console.Error.WriteLine(FormattableString.Invariant($"round {round}: agent {through:0.0} bare {bare:0.0} diff {through - bare:0.0}"));
                }
            }

            double overheadP50 = Program.Median(overhead);
            Console.WriteLine(FormattableString.Invariant($"StartVm API call -> first heartbeat at the island   p50 {Program.Median(agentMs):0.0} ms  (n={agentMs.Count}, min {agentMs.Min():0.0}, max {agentMs.Max():0.0})"));
            Console.WriteLine(FormattableString.Invariant($"bare QEMU -> first byte on the heartbeat port       p50 {Program.Median(bareMs):0.0} ms  (min {bareMs.Min():0.0}, max {bareMs.Max():0.0})"));
            Console.WriteLine(FormattableString.Invariant($"boot overhead, per round (agent minus the adjacent bare boot)  p50 {overheadP50:0.0} ms  (p25 {Program.Percentile(overhead, 0.25):0.0}, p75 {Program.Percentile(overhead, 0.75):0.0}; difference of the medians {Program.Median(agentMs) - Program.Median(bareMs):0.0} ms)"));
            Console.WriteLine(FormattableString.Invariant(
                $"{{\"bench\":\"linux-boot\",\"boot_overhead_ms_p50\":{overheadP50:0.0},\"boot_overhead_ms_p25\":{Program.Percentile(overhead, 0.25):0.0},\"boot_overhead_ms_p75\":{Program.Percentile(overhead, 0.75):0.0},\"agent_start_to_heartbeat_ms_p50\":{Program.Median(agentMs):0.0},\"bare_qemu_to_first_hb_byte_ms_p50\":{Program.Median(bareMs):0.0},\"difference_of_medians_ms\":{Program.Median(agentMs) - Program.Median(bareMs):0.0},\"accelerator\":\"tcg\",\"rounds\":{iterations}}}"));
            return 0;
        }
        finally
        {
            await BenchProcess.StopAgentAsync(agent, island, dir);
        }
    }

    /// <summary>Bare QEMU, the agent's arguments for this VM without -S and QMP: ms from Process.Start to the first byte on the heartbeat port.</summary>
    private static double BareQemu(string kernel, string initrd, string dir)
    {
        string port = Path.Combine(dir, "bare-hb.sock");
        File.Delete(port);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(port));
        listener.Listen(1);
        string cmdline = TcgLinuxClock.Apply(Cmdline, underTcg: true, "microvm", kernel) ?? Cmdline;
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

            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        finally
        {
            qemu.Kill();
            qemu.WaitForExit();
            File.Delete(port);
        }
    }
}
