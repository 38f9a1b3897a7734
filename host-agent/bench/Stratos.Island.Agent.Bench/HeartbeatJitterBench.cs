// ./bench.sh hb-jitter [--seconds N] [--hogs N] [--kvm]   (N s of steady state, default 60; hogs:
//     CPU-bound processes running alongside, default 0; --kvm: base, a freestanding guest idling in
//     hlt, under KVM instead of TCG)
//
// The virtual board as `./island up` runs it (the real island-sim, the real island-agent, the demo
// VMs base, web and linux of boards/virtual/vms.yaml under TCG), with the heartbeat trace on in both
// processes (--trace-heartbeats, docs/guests.md "Timing each hop") and the Linux guest stamping its
// heartbeats (stratos.stamps=1: `HBT <seq> <ns>` on its console, read through the agent's console
// tap). Every relayed heartbeat of the Linux guest is then timed at each hop:
//   guest write (the guest's CLOCK_MONOTONIC just before `HB` goes to the port)
//   -> agent read (the agent's read of QEMU's port socket returned the line)
//   -> relay (the relay posted the AliveIndication)
//   -> link send (the link thread handed it to the shared-memory transport)
//   -> island receive (island-sim's main loop handed it to the firmware core).
// Host timestamps are one clock (CLOCK_MONOTONIC); the guest's clock has its own origin, so the
// guest -> agent hop is shown above its minimum over the run (its constant part is unknowable).
// The baseline of the same run is the guest's own interval between heartbeats: the island cannot see
// a steadier stream than the guest writes, so jitter added by the host is the island's interval
// spread minus the guest's. base and web (freestanding guests, no stamps) are shown from the agent's
// read on. Prints the distributions, then the JSON line.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.VirtualBoard;

using Stratos.Island.Bench;
namespace Stratos.Island.Agent.Bench;

internal static class HeartbeatJitterBench
{
    private const uint LinuxVmId = 3;   // boards/virtual/vms.yaml: base, web, linux

    public static async Task<int> RunAsync(string[] args)
    {
        int seconds = 60, hogs = 0;
        bool kvm = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--kvm")
            {
                kvm = true;
            }
            else if (i + 1 < args.Length && args[i] == "--seconds" && int.TryParse(args[i + 1], out seconds) && seconds > 0)
            {
                i++;
            }
            else if (i + 1 < args.Length && args[i] == "--hogs" && int.TryParse(args[i + 1], out hogs) && hogs >= 0)
            {
                i++;
            }
            else
            {
                Console.Error.WriteLine("usage: ./bench.sh hb-jitter [--seconds N] [--hogs N] [--kvm]");
                return 2;
            }
        }

        string repo = BenchProcess.FindRepo();
        BenchProcess.Run("make", "-s", "-C", Path.Combine(repo, "hil-tests", "guest"));
        BenchProcess.Run(Path.Combine(repo, "hil-tests", "guest", "linux", "build.sh"));
        BenchProcess.Run("dotnet", "build", Path.Combine(repo, "host-agent", "src", "Stratos.Island.Agent.Host"), "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
        BenchProcess.Run("dotnet", "build", Path.Combine(repo, "island-firmware", "src", "Stratos.Island.Sim"), "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly");

        string dir = Path.Combine(Path.GetTempPath(), "sibench-jitter-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        // The demo's configuration, the Linux guest stamping its heartbeats.
        string config = Path.Combine(dir, "vms.yaml");
        string yaml = File.ReadAllText(Path.Combine(repo, "boards", "virtual", "vms.yaml"));
        const string linuxCmdline = "cmdline: console=ttyS0 quiet panic=-1 stratos.watchdog=2";
        if (!yaml.Contains(linuxCmdline, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("boards/virtual/vms.yaml: the linux VM's command line is not '" + linuxCmdline + "' any more; update the bench");
        }

        yaml = yaml.Replace(linuxCmdline, linuxCmdline + " stratos.stamps=1", StringComparison.Ordinal);
        if (kvm)
        {
            const string baseVmm = "accelerator: tcg\n      kernel: hil-tests/guest/build/heartbeat.elf";
            int at = yaml.IndexOf(baseVmm, StringComparison.Ordinal);
            if (at < 0)
            {
                throw new InvalidOperationException("boards/virtual/vms.yaml: base's accelerator is not where the bench expects it; update the bench");
            }

            yaml = yaml[..at] + "accelerator: kvm" + yaml[(at + "accelerator: tcg".Length)..];
        }

        File.WriteAllText(config, yaml);
        // The virtual board as `island up` runs it (the one launcher), with that configuration and both heartbeat traces.
        var layout = new VirtualBoardLayout(dir);
        var launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(repo) { IslandConfig = config, TraceHeartbeats = true, SimLogLevel = "warn", AgentLogLevel = "warning" });
        launcher.Prepare();
        string islandTrace = layout.IslandHeartbeatTrace;
        string agentTrace = layout.AgentHeartbeatTrace;
        var hogProcesses = new List<Process>();
        for (int i = 0; i < hogs; i++)
        {
            hogProcesses.Add(BenchProcess.Start("sha256sum", "/dev/zero"));
        }

        using Process sim = StartLogged(layout.SimLog, launcher.SimCommand());
        Process? agent = null;
        var stamps = new ConcurrentDictionary<uint, long>();   // guest seq -> guest ns
        using var stop = new CancellationTokenSource();
        try
        {
            await Readiness.WaitForSocketAsync(layout.ControlSocket, "island-sim control socket", null, Readiness.DefaultTimeout);
            agent = StartLogged(layout.AgentLog, launcher.AgentCommand());
            string consoleTap = Path.Combine(layout.VmDir("linux"), "console.sock");
            await WaitForAsync(() => File.Exists(consoleTap), "the linux VM's console tap", 90000);
            Task reader = Task.Run(() => ReadStamps(consoleTap, stamps, stop.Token));
            // The HIL benches once saw a guest's relayed heartbeats come 250-330 ms late after a
            // command on its console tap (docs/hil.md): web gets one (`start`, which changes nothing
            // while it emits) every 700 ms for the whole run.
            Task<int> commands = Task.Run(() => SendCommands(Path.Combine(layout.VmDir("web"), "console.sock"), stop.Token));
            await WaitForAsync(() => !stamps.IsEmpty, "the Linux guest's first stamped heartbeat", 90000);
            // Settle (the first windows after a boot), then measure.
            await Task.Delay(5000);
            long from = Stopwatch.GetTimestamp();
            Console.Error.WriteLine($"hb-jitter: measuring {seconds} s ({hogs} CPU hogs)");
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            long to = Stopwatch.GetTimestamp();
            await Task.Delay(1000);   // the trace writers flush every 200 ms
            stop.Cancel();
            await reader;
            int sent = await commands;
            Terminate(agent);
            Terminate(sim);
            Console.WriteLine($"web: {sent} console commands sent through its tap during the run");
            return Report(ReadAgentTrace(agentTrace), ReadIslandTrace(islandTrace), stamps, ToNs(from), ToNs(to), seconds, hogs, kvm, Load());
        }
        finally
        {
            stop.Cancel();
            foreach (Process? p in new[] { agent, sim }.Concat(hogProcesses))
            {
                if (p is not null && !p.HasExited)
                {
                    p.Kill();
                    p.WaitForExit();
                }
            }

            agent?.Dispose();
            foreach (Process hog in hogProcesses)
            {
                hog.Dispose();
            }

            await Teardown.KillQemusAsync(layout.RuntimeDir);
            if (Environment.GetEnvironmentVariable("BENCH_KEEP") == "1")
            {
                Console.Error.WriteLine("hb-jitter: traces kept in " + dir);
            }
            else
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private sealed record AgentLine(uint Vm, uint Seq, long ReadNs, long RelayNs, long SentNs);

    private static int Report(List<AgentLine> agent, List<(uint Entity, long RecvNs)> island, ConcurrentDictionary<uint, long> stamps, long fromNs, long toNs, int seconds, int hogs, bool kvm, string load)
    {
        var json = new StringBuilder(FormattableString.Invariant($"{{\"bench\":\"hb-jitter\",\"seconds\":{seconds},\"cpu_hogs\":{hogs},\"base_accelerator\":\"{(kvm ? "kvm" : "tcg")}\",\"load\":\"{load}\""));

        // The Linux guest, hop by hop.
        List<AgentLine> linux = agent.Where(a => a.Vm == LinuxVmId && a.ReadNs >= fromNs && a.ReadNs < toNs && stamps.ContainsKey(a.Seq)).OrderBy(a => a.SentNs).ToList();
        List<long> linuxRecv = Pair(linux.Select(a => a.SentNs).ToList(), island.Where(i => i.Entity == LinuxVmId).Select(i => i.RecvNs).ToList());
        var guestToRead = linux.Select(a => (double)(a.ReadNs - stamps[a.Seq])).ToList();
        double offset = guestToRead.Count > 0 ? guestToRead.Min() : 0;
        var hops = new (string Name, List<double> Ms)[]
        {
            ("guest write -> agent read (above its minimum)", guestToRead.Select(v => (v - offset) / 1e6).ToList()),
            ("agent read -> relay post", linux.Select(a => (a.RelayNs - a.ReadNs) / 1e6).ToList()),
            ("relay post -> link send", linux.Select(a => (a.SentNs - a.RelayNs) / 1e6).ToList()),
            ("link send -> island receive", linux.Select((a, k) => (linuxRecv[k] - a.SentNs) / 1e6).Where((_, k) => linuxRecv[k] != 0).ToList()),
            ("guest write -> island receive (above its minimum)", EndToEnd(linux, linuxRecv, stamps)),
        };
        Console.WriteLine($"linux (vm {LinuxVmId}): {linux.Count} heartbeats traced over {seconds} s, {linuxRecv.Count(r => r != 0)} matched at the island");
        Console.WriteLine("  hop                                                  p50 ms   p99 ms   max ms");
        foreach (var (name, ms) in hops)
        {
            Console.WriteLine(FormattableString.Invariant($"  {name,-50} {P(ms, 0.5),8:0.00} {P(ms, 0.99),8:0.00} {(ms.Count > 0 ? ms.Max() : double.NaN),8:0.00}"));
        }

        json.Append(FormattableString.Invariant($",\"linux_heartbeats\":{linux.Count}"));
        string[] keys = { "guest_to_read", "read_to_relay", "relay_to_send", "send_to_island", "guest_to_island" };
        for (int h = 0; h < hops.Length; h++)
        {
            json.Append(FormattableString.Invariant($",\"hop_{keys[h]}_ms_p50\":{P(hops[h].Ms, 0.5):0.00},\"hop_{keys[h]}_ms_p99\":{P(hops[h].Ms, 0.99):0.00},\"hop_{keys[h]}_ms_max\":{(hops[h].Ms.Count > 0 ? hops[h].Ms.Max() : 0):0.00}"));
        }

        // Intervals: what the guest wrote, what the agent read, what the island saw.
        Console.WriteLine("  interval between heartbeats                          p50 ms   p99 ms   max ms");
        var guestSeqs = linux.Select(a => a.Seq).ToList();
        var intervals = new (string Name, string Key, List<double> Ms)[]
        {
            ("linux: in the guest (baseline)", "linux_guest", Intervals(guestSeqs.Select(s => stamps[s]).ToList())),
            ("linux: at the agent's read", "linux_agent", Intervals(linux.Select(a => a.ReadNs).ToList())),
            ("linux: at the island", "linux_island", Intervals(linuxRecv.Where(r => r != 0).ToList())),
        }.ToList();
        foreach (uint vm in new uint[] { 1, 2 })
        {
            List<AgentLine> lines = agent.Where(a => a.Vm == vm && a.ReadNs >= fromNs && a.ReadNs < toNs).OrderBy(a => a.SentNs).ToList();
            List<long> recv = Pair(lines.Select(a => a.SentNs).ToList(), island.Where(i => i.Entity == vm).Select(i => i.RecvNs).ToList());
            string name = vm == 1 ? "base" : "web";
            intervals.Add(($"{name}: at the agent's read (baseline)", name + "_agent", Intervals(lines.Select(a => a.ReadNs).ToList())));
            intervals.Add(($"{name}: at the island", name + "_island", Intervals(recv.Where(r => r != 0).ToList())));
        }

        intervals.Add(("agent's own alive indication: at the island", "agent_island", Intervals(island.Where(i => i.Entity == 0 && i.RecvNs >= fromNs && i.RecvNs < toNs).Select(i => i.RecvNs).ToList())));

        // What the alive supervision counts: indications per 1 s window (the demo's reference window).
        foreach (uint entity in new uint[] { 0, 1, 2, LinuxVmId })
        {
            var counts = island.Where(i => i.Entity == entity && i.RecvNs >= fromNs && i.RecvNs < toNs)
                .GroupBy(i => (i.RecvNs - fromNs) / 1_000_000_000).ToDictionary(g => g.Key, g => g.Count());
            long windows = (toNs - fromNs) / 1_000_000_000;
            var perWindow = Enumerable.Range(0, (int)windows).Select(w => counts.GetValueOrDefault(w, 0)).ToList();
            string name = entity switch { 0 => "agent", 1 => "base", 2 => "web", _ => "linux" };
            Console.WriteLine($"  {name}: indications per 1 s window at the island  {(perWindow.Count > 0 ? perWindow.Min() : 0)}..{(perWindow.Count > 0 ? perWindow.Max() : 0)}");
            json.Append(FormattableString.Invariant($",\"{name}_per_second_min\":{(perWindow.Count > 0 ? perWindow.Min() : 0)},\"{name}_per_second_max\":{(perWindow.Count > 0 ? perWindow.Max() : 0)}"));
        }
        foreach (var (name, key, ms) in intervals)
        {
            Console.WriteLine(FormattableString.Invariant($"  {name,-50} {P(ms, 0.5),8:0.00} {P(ms, 0.99),8:0.00} {(ms.Count > 0 ? ms.Max() : double.NaN),8:0.00}"));
            json.Append(FormattableString.Invariant($",\"{key}_interval_ms_p50\":{P(ms, 0.5):0.00},\"{key}_interval_ms_p99\":{P(ms, 0.99):0.00},\"{key}_interval_ms_max\":{(ms.Count > 0 ? ms.Max() : 0):0.00}"));
        }

        Console.WriteLine(json.Append('}').ToString());
        return linux.Count > 0 ? 0 : 1;
    }

    // Pairs each sent time with the island's receive of the same message: both streams keep their
    // order (one post queue, one ring), so the k-th send of an entity is its k-th receive; receives
    // from before the first send (a previous window) are skipped. 0 where the island has none.
    private static List<long> Pair(List<long> sent, List<long> received)
    {
        var result = new List<long>(sent.Count);
        int r = 0;
        foreach (long s in sent)
        {
            while (r < received.Count && received[r] < s - 50_000_000)
            {
                r++;
            }

            result.Add(r < received.Count ? received[r++] : 0);
        }

        return result;
    }

    private static List<double> EndToEnd(List<AgentLine> linux, List<long> recv, ConcurrentDictionary<uint, long> stamps)
    {
        var total = new List<double>();
        for (int k = 0; k < linux.Count; k++)
        {
            if (recv[k] != 0)
            {
                total.Add(recv[k] - stamps[linux[k].Seq]);
            }
        }

        double min = total.Count > 0 ? total.Min() : 0;
        return total.Select(v => (v - min) / 1e6).ToList();
    }

    private static List<double> Intervals(List<long> ns) => ns.Zip(ns.Skip(1), (a, b) => (b - a) / 1e6).ToList();

    private static double P(List<double> values, double p) => values.Count == 0 ? double.NaN : Program.Percentile(values, p);

    private static List<AgentLine> ReadAgentTrace(string path) =>
        File.ReadLines(path).Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')).Where(f => f.Length == 5)
            .Select(f => new AgentLine(uint.Parse(f[0], CultureInfo.InvariantCulture), uint.Parse(f[1], CultureInfo.InvariantCulture),
                long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture)))
            .ToList();

    private static List<(uint Entity, long RecvNs)> ReadIslandTrace(string path) =>
        File.ReadLines(path).Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')).Where(f => f.Length == 2)
            .Select(f => (uint.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture))).OrderBy(x => x.Item2).ToList();

    // `HBT <seq> <ns>` lines from the guest's console, through the agent's console tap.
    private static async Task ReadStamps(string tap, ConcurrentDictionary<uint, long> stamps, CancellationToken token)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(tap), token);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            while (await reader.ReadLineAsync(token) is string line)
            {
                string[] f = line.Trim().Split(' ');
                if (f.Length == 3 && f[0] == "HBT" && uint.TryParse(f[1], CultureInfo.InvariantCulture, out uint seq) && long.TryParse(f[2], CultureInfo.InvariantCulture, out long ns))
                {
                    stamps[seq] = ns;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Its output into a file: nobody reads a pipe here, and a full pipe would stall the process.
    private static Process StartLogged(string log, LaunchCommand command) =>
        BenchProcess.Start("sh", new[] { "-c", "exec \"$0\" \"$@\" >>'" + log + "' 2>&1", command.Program }.Concat(command.Arguments).ToArray());

    private static async Task<int> SendCommands(string tap, CancellationToken token)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(tap), token);
        int sent = 0;
        try
        {
            while (true)
            {
                await Task.Delay(700, token);
                await socket.SendAsync("start\n"u8.ToArray(), SocketFlags.None, token);
                sent++;
            }
        }
        catch (OperationCanceledException)
        {
            return sent;
        }
    }

    private static void Terminate(Process p)
    {
        BenchProcess.RunQuiet("kill", "-TERM", p.Id.ToString(CultureInfo.InvariantCulture));
        if (!p.WaitForExit(10000))
        {
            p.Kill();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, int timeoutMs)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("hb-jitter: timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }

    private static long ToNs(long ticks) => Stratos.Island.Link.Linux.MonotonicTraceFile.ToNanoseconds(ticks);

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
}
