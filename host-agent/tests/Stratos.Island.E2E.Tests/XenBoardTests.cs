using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.E2E.Tests;

/// <summary>
/// The virtual board's Xen variant end to end (boards/virtual-xen, docs/vmm.md "Xen"), started as a
/// user does (`island-xen.sh up`, what `./island up --vmm xen` runs): island-sim on the host, the
/// Xen machine under QEMU (TCG here), the agent in dom0 linked to island-sim over dom0's COM2, and
/// the Linux test guest as a PV domU the island starts. A scenario script in dom0 then injects the
/// faults a user's domain can suffer, from outside the agent: its vCPUs frozen (`xl pause`: a hang,
/// seen only as missing heartbeats), a kernel panic (the guest's own `crash` command on its console:
/// Xen marks the domain crashed) and a destroy behind the agent's back; after each the island must
/// restart the domain; then island-sim is killed and started again (the link lost). Before the agent
/// starts, dom0 creates the same domain by plain `xl create` with no island, for the
/// create-to-first-heartbeat comparison (docs/benchmarks.md). `down` must leave nothing behind.
/// Category full: a TCG Xen boot and four domain boots take minutes.
/// </summary>
[TestClass]
public sealed class XenBoardTests
{
    private static readonly string Repo = FindRepo();

    /// <summary>The island's boot id in `island status` (its own line, not the agent's).</summary>
    private static readonly Regex IslandBoot = new(@"^island\s.*\(boot ([0-9a-f]{16})", RegexOptions.Multiline);

    [TestMethod]
    [TestCategory("full")]
    [Timeout(1_200_000)]
    public async Task The_island_starts_supervises_and_restarts_a_pv_linux_domain_through_the_agent_in_dom0()
    {
        string state = Path.Combine(Path.GetTempPath(), "xenb-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(state);
        string script = Path.Combine(Repo, "hil-tests", "guest", "xen", "island-xen.sh");
        try
        {
            File.WriteAllText(Path.Combine(state, "dom0-before-agent.sh"), Baseline());
            File.WriteAllText(Path.Combine(state, "dom0-scenario.sh"), Scenario);
            var up = Run(script, state, "up", "--timeout-s", "600");
            string agentLog = ReadOrEmpty(state, "island-agent.log");
            Assert.AreEqual(0, up.Status, $"up failed: {up.Output}\nagent: {Tail(agentLog)}\nconsole: {Tail(ReadOrEmpty(state, "console.log"))}");
            StringAssert.Contains(up.Output, "autostart VMs running: linux");

            // The host's CLI reaches the agent in dom0 (TLS through QEMU's forward) with what `up`
            // printed: reads work, several at once; a stop is refused (TCP callers are readers).
            StringAssert.Contains(up.Output, "export ISLAND_ENDPOINT=127.0.0.1:");
            var cli = CliEnvironment(state);
            var list = IslandCli.Run(cli, "vm", "list");
            Assert.AreEqual(0, list.Status, list.Output);
            StringAssert.Contains(list.Output, "linux");
            var status = IslandCli.Run(cli, "status");
            Assert.AreEqual(0, status.Status, status.Output);
            StringAssert.Matches(status.Output, new Regex(@"link\s+up"));
            string islandBoot = IslandBoot.Match(status.Output).Groups[1].Value;
            Assert.AreEqual(16, islandBoot.Length, status.Output);
            var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => IslandCli.Run(cli, "-o", "json", "vm", "show", "linux"))));
            foreach (var shown in concurrent)
            {
                Assert.AreEqual(0, shown.Status, shown.Output);
                StringAssert.Contains(shown.Output, "\"name\": \"linux\"");
            }

            var refused = IslandCli.Run(cli, "vm", "stop", "linux");
            Assert.AreEqual(5, refused.Status, refused.Output);
            StringAssert.Contains(refused.Output, "is a reader");
            Console.WriteLine("xen board: host CLI over TLS: vm list, status, 4 concurrent vm show; stop refused (reader)");

            await WaitAsync(() => File.Exists(Path.Combine(state, "scenario-done")) || File.Exists(Path.Combine(state, "scenario-failed")), 900,
                () => Tail(ReadOrEmpty(state, "dom0-scenario.log")) + "\nagent: " + Tail(ReadOrEmpty(state, "island-agent.log")) + "\nisland-sim: " + Tail(ReadOrEmpty(state, "island-sim.log")));
            string scenario = ReadOrEmpty(state, "dom0-scenario.log");
            agentLog = ReadOrEmpty(state, "island-agent.log");
            Assert.IsFalse(File.Exists(Path.Combine(state, "scenario-failed")),
                $"scenario: {scenario}\nagent: {Tail(agentLog)}\nisland-sim: {Tail(ReadOrEmpty(state, "island-sim.log"))}\nmachine: {Tail(ReadOrEmpty(state, "machine.log"))}");

            // What the agent reported, in order: the first start, then a restart after each fault.
            string[] reports = agentLog.Split('\n').Where(l => l.Contains("VM 1: reported", StringComparison.Ordinal)).ToArray();
            Assert.IsTrue(reports.Count(r => r.Contains("reported Running", StringComparison.Ordinal) && r.Contains("guest alive (HB", StringComparison.Ordinal)) >= 4,
                "RUNNING at the first heartbeat on the console, four times:\n" + string.Join('\n', reports));
            // The panic ends the heartbeats at once, while the kernel's panic path under nested TCG
            // takes seconds to reach Xen: whichever comes first, the island's kill for the missing
            // heartbeats (its report then names the crash the domain had meanwhile) or Xen's crash
            // flag (a spontaneous Crashed), the crash is reported as Xen's.
            Assert.IsTrue(reports.Any(r => (r.Contains("reported Crashed", StringComparison.Ordinal) || r.Contains("reported NotRunning", StringComparison.Ordinal))
                    && r.Contains("Xen state c", StringComparison.Ordinal)),
                "the panic reported as Xen's crash:\n" + string.Join('\n', reports));
            Assert.IsTrue(reports.Any(r => r.Contains("reported Exited", StringComparison.Ordinal) && r.Contains("destroyed outside the agent", StringComparison.Ordinal)),
                "the destroy behind the agent's back reported as an exit:\n" + string.Join('\n', reports));
            Assert.IsTrue(reports.Any(r => r.Contains("reported NotRunning", StringComparison.Ordinal)),
                "the hung domain killed by the island's directive:\n" + string.Join('\n', reports));
            int[] domains = File.ReadAllLines(Path.Combine(state, "scenario-domains")).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            Assert.AreEqual(4, domains.Distinct().Count(), "each restart is a new domain: " + string.Join(',', domains));

            // Detection and recovery per fault, on dom0's clock (the scenario's and the agent's logs).
            var faults = new[]
            {
                Fault("hang", scenario, "paused behind", agentLog, "directive \\d+: (Kill|Stop) VM 'linux'"),
                Fault("crash", scenario, "crash sent", agentLog, "directive \\d+: (Kill|Stop) VM 'linux'|VM 1: reported Crashed"),
                Fault("destroy", scenario, "destroyed behind", agentLog, "VM 1: reported Exited"),
            };
            foreach (var f in faults)
            {
                Console.WriteLine($"xen board: {f.Name}: detected in {f.DetectedMs:0} ms ({f.DetectedBy}), running again after {f.RecoveredMs:0} ms");
                Assert.IsTrue(f.DetectedMs >= 0 && f.RecoveredMs > f.DetectedMs, $"{f.Name}: detection {f.DetectedMs} ms, recovery {f.RecoveredMs} ms");
            }

            // Create-to-first-heartbeat: through the island (START directive -> RUNNING at HB 1, from
            // the agent's log; the first start, with no other domU) against plain `xl create` of
            // the same domain in the same machine just before the agent started (no other domU).
            string[] plain = File.ReadAllText(Path.Combine(state, "scenario-plain")).Trim().Split(' ');
            double islandMs = IslandStartMs(agentLog);
            Console.WriteLine($"xen board: island start -> first heartbeat {islandMs:0} ms; plain xl create {plain[0]} ms, create -> first heartbeat {plain[1]} ms");

            // dom0 loses its link: island-sim killed (SIGKILL) and started again on the same state
            // (`up` starts what is not running). The domain does not notice; the agent re-Hellos
            // and re-syncs it as running, and the island does not restart it.
            int resyncsBefore = Count(agentLog, "re-sync: reported");
            int simPid = int.Parse(ReadOrEmpty(state, "island-sim.pid").Trim(), CultureInfo.InvariantCulture);
            Process.GetProcessById(simPid).Kill(entireProcessTree: true);
            // SIGKILL is asynchronous: `up` must see island-sim gone (or a zombie), not still up.
            await WaitAsync(() => Gone(simPid), 30,
                () => $"island-sim {simPid} still runs after SIGKILL");
            var again = Run(script, state, "up", "--no-wait");
            Assert.AreEqual(0, again.Status, again.Output);
            long restartedAt = Environment.TickCount64;
            // Seen from the host: the agent in session with the new island (a new boot id) well
            // inside the island's 20 s agent tolerance, so the A-cluster is not reset.
            string? after = null;
            await WaitAsync(() => IslandCli.Run(cli, "status") is var s && s.Status == 0 && Regex.IsMatch(s.Output, @"link\s+up")
                    && IslandBoot.Match(s.Output).Groups[1].Value is var b && b.Length == 16 && b != islandBoot && (after = b) is not null, 120,
                () => Tail(ReadOrEmpty(state, "island-agent.log")) + "\nisland-sim: " + Tail(ReadOrEmpty(state, "island-sim.log")));
            long relinkedMs = Environment.TickCount64 - restartedAt;
            Console.WriteLine($"xen board: link loss: island-sim restarted, agent in session with it (boot {after}) after {relinkedMs} ms (host clock, island status over TLS)");
            Assert.IsLessThan(20_000L, relinkedMs, "inside the island's 20 s agent tolerance");
            await WaitAsync(() => Count(ReadOrEmpty(state, "island-agent.log"), "re-sync: reported") > resyncsBefore, 300,
                () => Tail(ReadOrEmpty(state, "island-agent.log")));
            await WaitAsync(() => ReadOrEmpty(state, "island-agent.log").Contains($"VM 1: reported Running (directive 0): re-sync: Xen domain {domains[^1]}", StringComparison.Ordinal), 120,
                () => Tail(ReadOrEmpty(state, "island-agent.log")));
            string afterLoss = ReadOrEmpty(state, "island-agent.log")[agentLog.Length..];
            // The restarted island (a new boot) runs its boot orchestration: its START for the
            // autostart VM is answered "already running" with the same domain; nothing kills,
            // stops or re-creates it.
            Assert.IsFalse(Regex.IsMatch(afterLoss, "(Kill|Stop|Reset) VM 'linux'") || afterLoss.Contains("guest alive (HB 1", StringComparison.Ordinal),
                "the running domain survives the link loss untouched:\n" + afterLoss);
            foreach (Match started in Regex.Matches(afterLoss, @"VM 1: reported \w+ \(directive [1-9]\d*\): .*"))
            {
                StringAssert.Contains(started.Value, $"already running, Xen domain {domains[^1]}", "a START after the link loss finds the domain running");
            }

            Assert.IsFalse(ReadOrEmpty(state, "island-sim.log").Contains("A-cluster reset", StringComparison.Ordinal), "no A-cluster reset: " + Tail(ReadOrEmpty(state, "island-sim.log")));
            WriteReport(state, faults, islandMs, plain, relinkedMs);
        }
        finally
        {
            var down = Run(script, state, "down");
            CopyLogs(state);
            string machinePid = ReadOrEmpty(state, "machine.pid");
            Assert.AreEqual(0, down.Status, down.Output);
            Assert.IsFalse(File.Exists(Path.Combine(state, "link.sock")), "the link socket is removed");
            Assert.IsFalse(Process.GetProcesses().Any(p => SafeCommandLine(p).Contains(state, StringComparison.Ordinal)), "no process of this board is left");
            Directory.Delete(state, recursive: true);
        }
    }

    // Runs in dom0 next to the agent (island-xen.sh: STATE/dom0-scenario.sh). Every wait is bounded;
    // on failure it writes scenario-failed and stops.
    private const string Scenario = """
        set -u
        agentlog=/state/island-agent.log
        log() { echo "$(date +%H:%M:%S.%3N) $*"; }
        fail() { log "FAIL $*"; touch /state/scenario-failed; exit 1; }
        runs() { [ "$(grep -c 'VM 1: reported Running' $agentlog)" -ge "$1" ]; }
        wait_for() { # seconds command...
          t=$1; shift; n=0
          while ! "$@"; do n=$((n + 1)); [ $n -ge $((t * 2)) ] && return 1; sleep 0.5; done
        }
        ms() { echo $(( $(date +%s%N) / 1000000 )); }
        wait_for 600 runs 1 || fail "the island never got the domain running"
        d=$(xl domid linux) || fail "no domain linux"; echo "$d" >> /state/scenario-domains; log "running: domain $d"

        xl pause linux || fail "xl pause"; log "domain $d paused behind the agent's back (a hang)"
        wait_for 300 runs 2 || fail "no restart after the hang"
        d=$(xl domid linux) || fail "no domain after the hang"; echo "$d" >> /state/scenario-domains; log "restarted: domain $d"

        tty=$(xenstore-read /local/domain/$d/console/tty) || fail "no console tty"
        sleep 2
        echo crash > "$tty"; log "crash sent on $tty"
        wait_for 300 runs 3 || fail "no restart after the crash"
        d=$(xl domid linux) || fail "no domain after the crash"; echo "$d" >> /state/scenario-domains; log "restarted: domain $d"

        # Logged before: Xen's @releaseDomain reaches the agent before `xl destroy` returns.
        log "domain $d destroyed behind the agent's back"; xl destroy linux || fail "xl destroy"
        wait_for 300 runs 4 || fail "no restart after the destroy"
        d=$(xl domid linux) || fail "no domain after the destroy"; echo "$d" >> /state/scenario-domains; log "restarted: domain $d"

        # The baseline (dom0-before-agent.sh) ran the same domain as the one the agent generated.
        grep -v '^name' /run/island/vms/linux/domain.cfg > /tmp/agent.cfg
        grep -v '^name' /tmp/plain.cfg | diff /tmp/agent.cfg - || fail "the baseline's xl config differs from the agent's"
        touch /state/scenario-done
        """;

    private sealed record FaultTiming(string Name, double DetectedMs, string DetectedBy, double RecoveredMs);

    /// <summary>
    /// From the fault's line in the scenario log to the first agent-log line matching `detected`
    /// after it, and to the next RUNNING report after that.
    /// </summary>
    private static FaultTiming Fault(string name, string scenario, string injectedMark, string agentLog, string detected)
    {
        TimeSpan injected = At(scenario.Split('\n').First(l => l.Contains(injectedMark, StringComparison.Ordinal)));
        string[] lines = agentLog.Split('\n').Where(l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d\.\d\d\d ")).ToArray();
        int d = Array.FindIndex(lines, l => At(l) >= injected && Regex.IsMatch(l, detected));
        Assert.IsTrue(d >= 0, $"{name}: nothing matching '{detected}' after {injected}");
        int r = Array.FindIndex(lines, d, l => l.Contains("VM 1: reported Running", StringComparison.Ordinal));
        Assert.IsTrue(r >= 0, $"{name}: no RUNNING after the detection");
        return new FaultTiming(name, (At(lines[d]) - injected).TotalMilliseconds, Regex.Match(lines[d], detected).Value, (At(lines[r]) - injected).TotalMilliseconds);
    }

    /// <summary>summary.json and the logs in HIL_RUN_DIR when it is set (./hil.sh --vmm xen runs the HIL bench instead, docs/hil.md).</summary>
    private static void WriteReport(string state, FaultTiming[] faults, double islandMs, string[] plain, long relinkedMs)
    {
        string? runDir = Environment.GetEnvironmentVariable("HIL_RUN_DIR");
        if (string.IsNullOrEmpty(runDir))
        {
            return;
        }

        Directory.CreateDirectory(runDir);
        using (var stream = File.Create(Path.Combine(runDir, "summary.json")))
        using (var json = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("bench", "virtual-xen");
            json.WriteStartObject("totals");
            json.WriteNumber("passed", faults.Length + 2);
            json.WriteNumber("failed", 0);
            json.WriteNumber("skipped", 0);
            json.WriteNumber("faults", faults.Length);
            json.WriteNumber("detection_coverage", 1.0);
            json.WriteEndObject();
            json.WriteStartArray("scenarios");
            void Scenario(string group, string scenarioName, string message, double? detectedMs = null, double? recoveredMs = null)
            {
                json.WriteStartObject();
                json.WriteString("group", group);
                json.WriteString("name", scenarioName);
                json.WriteString("result", "passed");
                json.WriteString("message", message);
                if (detectedMs is { } dm)
                {
                    json.WriteNumber("detection_ms", Math.Round(dm));
                }

                if (recoveredMs is { } rm)
                {
                    json.WriteNumber("recovery_ms", Math.Round(rm));
                }

                json.WriteEndObject();
            }

            Scenario("start", "autostart PV domain, RUNNING at its first heartbeat", $"island START -> RUNNING {islandMs:0} ms; plain xl create {plain[0]} ms, to first HB {plain[1]} ms");
            foreach (var f in faults)
            {
                Scenario("faults", f.Name + " -> restart", "detected by " + f.DetectedBy, f.DetectedMs, f.RecoveredMs);
            }

            Scenario("link", "island-sim killed and restarted -> agent re-syncs the running domain", "no directive for the running domain", recoveredMs: relinkedMs);
            json.WriteEndArray();
            json.WriteEndObject();
        }

    }

    /// <summary>The board's logs into HIL_RUN_DIR when it is set, whether the run passed or not.</summary>
    private static void CopyLogs(string state)
    {
        string? runDir = Environment.GetEnvironmentVariable("HIL_RUN_DIR");
        if (string.IsNullOrEmpty(runDir))
        {
            return;
        }

        Directory.CreateDirectory(runDir);
        foreach (string log in new[] { "island-agent.log", "dom0-scenario.log", "island-sim.log", "console.log", "machine.log" })
        {
            if (File.Exists(Path.Combine(state, log)))
            {
                File.Copy(Path.Combine(state, log), Path.Combine(runDir, log), overwrite: true);
            }
        }
    }

    /// <summary>What `up` wrote for the CLI (STATE/api/cli.env: ISLAND_ENDPOINT, ISLAND_TLS_CA).</summary>
    private static (string Name, string Value)[] CliEnvironment(string state) =>
        File.ReadAllLines(Path.Combine(state, "api", "cli.env")).Where(l => l.Contains('=')).Select(l => (l[..l.IndexOf('=')], l[(l.IndexOf('=') + 1)..])).ToArray();

    private static TimeSpan At(string line) =>
        TimeSpan.ParseExact(Regex.Match(line, @"\d\d:\d\d:\d\d\.\d\d\d").Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    /// <summary>
    /// Runs in dom0 before the agent starts (island-xen.sh: STATE/dom0-before-agent.sh): the baseline,
    /// the board's domain created by plain `xl create` with no island, its first HB read on its
    /// console. The configuration is the one the agent writes (XlConfig) for vms.yaml's `linux`;
    /// the scenario checks it against the agent's own file.
    /// </summary>
    private static string Baseline()
    {
        string vms = File.ReadAllText(Path.Combine(Repo, "boards", "virtual-xen", "vms.yaml"));
        string Field(string name) => Regex.Match(vms, "^      " + name + ": *(.*?) *(#.*)?$", RegexOptions.Multiline).Groups[1].Value;
        return $$"""
            set -u
            log() { echo "$(date +%H:%M:%S.%3N) $*"; }
            ms() { echo $(( $(date +%s%N) / 1000000 )); }
            cat > /tmp/plain.cfg <<'EOF'
            # written by the Stratos Island agent; xl create -f this file
            name = "plain"
            type = "pv"
            kernel = "{{Path.Combine(Repo, Field("kernel"))}}"
            ramdisk = "{{Path.Combine(Repo, Field("initrd"))}}"
            extra = "{{Field("cmdline")}}"
            memory = {{Field("memory_mib")}}
            vcpus = {{Field("vcpus")}}
            on_poweroff = "destroy"
            on_reboot = "destroy"
            on_crash = "preserve"
            EOF
            t0=$(ms)
            xl create -f /tmp/plain.cfg || { log "FAIL plain xl create"; exit 1; }
            t1=$(ms)
            tty=$(xenstore-read /local/domain/$(xl domid plain)/console/tty)
            stty -F "$tty" raw -echo
            exec 3<"$tty"
            while read -r line <&3; do case "$line" in HB*) break ;; esac; done
            t2=$(ms)
            exec 3<&-
            xl destroy plain
            echo "$((t1 - t0)) $((t2 - t0))" > /state/scenario-plain
            log "baseline before the agent: plain xl create $((t1 - t0)) ms, first heartbeat $((t2 - t0)) ms"
            """;
    }

    /// <summary>Milliseconds from the agent's first START directive to its RUNNING report (agent log timestamps).</summary>
    private static double IslandStartMs(string agentLog)
    {
        string[] lines = agentLog.Split('\n');
        string start = lines.First(l => l.Contains("Start VM 'linux'", StringComparison.Ordinal));
        string running = lines.First(l => l.Contains("VM 1: reported Running", StringComparison.Ordinal));
        return (At(running) - At(start)).TotalMilliseconds;
    }

    private static (int Status, string Output) Run(string script, string state, params string[] args)
    {
        var info = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["ISLAND_STATE_DIR"] = state;
        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    private static async Task WaitAsync(Func<bool> condition, int timeoutS, Func<string> detail)
    {
        long deadline = Environment.TickCount64 + (timeoutS * 1000L);
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("the dom0 scenario did not finish: " + detail());
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>The process has exited: no /proc entry, or a zombie (state Z) not yet reaped.</summary>
    private static bool Gone(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static string SafeCommandLine(Process p)
    {
        try
        {
            return File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string ReadOrEmpty(string state, string name)
    {
        string path = Path.Combine(state, name);
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    private static string FindRepo()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Stratos.Island.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
