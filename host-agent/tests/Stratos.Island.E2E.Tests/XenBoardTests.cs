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
/// restart the domain. Then the same domain is created by plain `xl create` with no island, for the
/// create-to-first-heartbeat comparison (docs/benchmarks.md). `down` must leave nothing behind.
/// Category full: a TCG Xen boot and four domain boots take minutes.
/// </summary>
[TestClass]
public sealed class XenBoardTests
{
    private static readonly string Repo = FindRepo();

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
            File.WriteAllText(Path.Combine(state, "dom0-scenario.sh"), Scenario);
            var up = Run(script, state, "up", "--timeout-s", "600");
            string agentLog = ReadOrEmpty(state, "island-agent.log");
            Assert.AreEqual(0, up.Status, $"up failed: {up.Output}\nagent: {Tail(agentLog)}\nconsole: {Tail(ReadOrEmpty(state, "console.log"))}");
            StringAssert.Contains(up.Output, "autostart VMs running: linux");

            await WaitAsync(() => File.Exists(Path.Combine(state, "scenario-done")) || File.Exists(Path.Combine(state, "scenario-failed")), 900,
                () => Tail(ReadOrEmpty(state, "dom0-scenario.log")) + "\nagent: " + Tail(ReadOrEmpty(state, "island-agent.log")));
            string scenario = ReadOrEmpty(state, "dom0-scenario.log");
            agentLog = ReadOrEmpty(state, "island-agent.log");
            Assert.IsFalse(File.Exists(Path.Combine(state, "scenario-failed")), $"scenario: {scenario}\nagent: {Tail(agentLog)}");

            // What the agent reported, in order: the first start, then a restart after each fault.
            string[] reports = agentLog.Split('\n').Where(l => l.Contains("VM 1: reported", StringComparison.Ordinal)).ToArray();
            Assert.IsTrue(reports.Count(r => r.Contains("reported Running", StringComparison.Ordinal) && r.Contains("guest alive (HB", StringComparison.Ordinal)) >= 4,
                "RUNNING at the first heartbeat on the console, four times:\n" + string.Join('\n', reports));
            Assert.IsTrue(reports.Any(r => r.Contains("reported Crashed", StringComparison.Ordinal) && r.Contains("Xen state c", StringComparison.Ordinal)),
                "the panic reported as Xen's crash:\n" + string.Join('\n', reports));
            Assert.IsTrue(reports.Any(r => r.Contains("reported Exited", StringComparison.Ordinal) && r.Contains("destroyed outside the agent", StringComparison.Ordinal)),
                "the destroy behind the agent's back reported as an exit:\n" + string.Join('\n', reports));
            Assert.IsTrue(reports.Any(r => r.Contains("reported NotRunning", StringComparison.Ordinal)),
                "the hung domain killed by the island's directive:\n" + string.Join('\n', reports));
            int[] domains = File.ReadAllLines(Path.Combine(state, "scenario-domains")).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            Assert.AreEqual(4, domains.Distinct().Count(), "each restart is a new domain: " + string.Join(',', domains));

            // Create-to-first-heartbeat: through the island (START directive -> RUNNING at HB 1, from
            // the agent's log) against plain `xl create` of the same domain in the same machine.
            string[] plain = File.ReadAllText(Path.Combine(state, "scenario-plain")).Trim().Split(' ');
            double islandMs = IslandStartMs(agentLog);
            Console.WriteLine($"xen board: island start -> first heartbeat {islandMs:0} ms; plain xl create {plain[0]} ms, create -> first heartbeat {plain[1]} ms");
        }
        finally
        {
            var down = Run(script, state, "down");
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
        log() { echo "$(cut -d' ' -f1 /proc/uptime) $*"; }
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

        xl destroy linux || fail "xl destroy"; log "domain $d destroyed behind the agent's back"
        wait_for 300 runs 4 || fail "no restart after the destroy"
        d=$(xl domid linux) || fail "no domain after the destroy"; echo "$d" >> /state/scenario-domains; log "restarted: domain $d"

        # The same domain with no island: plain xl create, first HB on its console.
        sed -e 's/^name = .*/name = "plain"/' /run/island/vms/linux/domain.cfg > /tmp/plain.cfg
        t0=$(ms)
        xl create -f /tmp/plain.cfg || fail "plain xl create"
        t1=$(ms)
        ptty=$(xenstore-read /local/domain/$(xl domid plain)/console/tty) || fail "plain console"
        stty -F "$ptty" raw -echo
        exec 3<"$ptty"
        while read -r line <&3; do case "$line" in HB*) break ;; esac; done
        t2=$(ms)
        exec 3<&-
        xl destroy plain
        echo "$((t1 - t0)) $((t2 - t0))" > /state/scenario-plain
        log "plain: xl create $((t1 - t0)) ms, first heartbeat $((t2 - t0)) ms"
        touch /state/scenario-done
        """;

    /// <summary>Milliseconds from the agent's first START directive to its RUNNING report (agent log timestamps).</summary>
    private static double IslandStartMs(string agentLog)
    {
        string[] lines = agentLog.Split('\n');
        TimeSpan At(string line) => TimeSpan.ParseExact(Regex.Match(line, @"\d\d:\d\d:\d\d\.\d\d\d").Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
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
