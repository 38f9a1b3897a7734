using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Vmm.Xen;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Tests.Xen;

// The real path: the virtual board's Xen machine (hil-tests/guest/xen/machine.sh) boots Xen and a PV
// dom0 under QEMU (KVM when present, TCG otherwise); dom0 runs the agent's build from the host's root
// over 9p, creates a PV domain from the configuration XlConfig writes here, reads its heartbeats on
// the domain console (the pty xenstore names), pauses, resumes and destroys it while a xenstore watch
// records the release, and writes on its COM2, the island's serial link end. The test reads every
// result back through the backend's own parsers. Category full: a TCG boot costs minutes.
[TestClass]
public sealed class XenMachineTests
{
    [TestMethod]
    [TestCategory("full")]
    [Timeout(900_000)]
    public async Task Dom0_runs_the_agent_build_and_xl_and_a_pv_domain_heartbeats_on_its_console()
    {
        string root = GuestBuild.FindRepoRoot();
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string agentDll = Path.Combine(root, "host-agent", "src", "Stratos.Island.Agent.Host", "bin", configuration, "net10.0", "island-agent.dll");
        Assert.IsTrue(File.Exists(agentDll), $"the agent is not built: {agentDll}");
        string state = Directory.CreateTempSubdirectory("stratos-xen-").FullName;
        try
        {
            string build = Path.Combine(root, "hil-tests", "guest", "build", "xen");
            RunScript(Path.Combine(root, "hil-tests", "guest", "xen", "build.sh"));
            // The domain: the dom0 kernel and initramfs booted as a PV domU in heartbeat mode.
            File.WriteAllText(Path.Combine(state, "hb.cfg"), XlConfig.Generate(new XenDomainSpec
            {
                Name = "hb",
                Kernel = Path.Combine(build, "vmlinuz"),
                Ramdisk = Path.Combine(build, "dom0-initramfs.cpio.gz"),
                Cmdline = "console=hvc0 quiet stratos.role=domu stratos.rate=100",
                MemoryMib = 128,
            }));
            File.WriteAllText(Path.Combine(state, "bad.cfg"), XlConfig.Generate(new XenDomainSpec
            {
                Name = "bad",
                Kernel = "/nonexistent/vmlinuz",
                MemoryMib = 64,
            }, checkFiles: false));
            // Leftovers of a previous agent run for the re-adoption step: 'linux' is a VM of the
            // virtual-xen board, 'ghost' is not.
            foreach (string name in new[] { "linux", "ghost" })
            {
                File.WriteAllText(Path.Combine(state, name + ".cfg"), XlConfig.Generate(new XenDomainSpec
                {
                    Name = name,
                    Kernel = Path.Combine(build, "vmlinuz"),
                    Ramdisk = Path.Combine(build, "dom0-initramfs.cpio.gz"),
                    Cmdline = "console=hvc0 quiet stratos.role=domu stratos.rate=200",
                    MemoryMib = 128,
                }));
            }

            File.WriteAllText(Path.Combine(state, "dom0.sh"), Dom0Script(agentDll, root));
            string link = Path.Combine(state, "link.sock");

            var machine = Process.Start(new ProcessStartInfo(Path.Combine(root, "hil-tests", "guest", "xen", "machine.sh"))
            {
                ArgumentList = { "--state", state, "--link-socket", link, "--timeout-s", "840" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            Task<string> machineErr = machine.StandardError.ReadToEndAsync();
            string linkText = await ReadLinkAsync(link, machine);
            await machine.WaitForExitAsync();
            string console = File.ReadAllText(Path.Combine(state, "console.log"));
            Assert.AreEqual(0, machine.ExitCode, $"the Xen machine failed: {await machineErr}\n{Tail(console)}");
            StringAssert.Contains(console, "stratos-dom0: ready", Tail(console));
            StringAssert.Contains(console, "stratos-dom0: dom0.sh exited with 0", Tail(console));

            StringAssert.Contains(Read(state, "agent-help.txt"), "island-agent", "the agent's build runs in dom0");
            StringAssert.Contains(linkText, "dom0 link up", "dom0's COM2 reaches the host's link socket");

            var running = XlList.Parse(Read(state, "list-running.txt"));
            Assert.AreEqual(ObservedVmState.Running, running.Single(r => r.Name == "Domain-0").Observed);
            XenDomainRow hb = running.Single(r => r.Name == "hb");
            Assert.AreEqual(ObservedVmState.Running, hb.Observed);
            Assert.AreEqual(128u, hb.MemoryMib);
            Assert.AreEqual(ObservedVmState.Paused, XlList.Parse(Read(state, "list-paused.txt")).Single(r => r.Name == "hb").Observed);
            Assert.IsFalse(XlList.Parse(Read(state, "list-after.txt")).Any(r => r.Name == "hb"), "the destroyed domain is gone");

            string heartbeats = Read(state, "console-hb.txt");
            Assert.IsTrue(heartbeats.Split('\n').Count(l => GuestProtocol.TryParse(l.TrimEnd('\r'), out var m) && m.Kind == GuestMessageKind.Heartbeat) >= 3,
                "heartbeats on the domain console: " + heartbeats);
            Assert.IsTrue(Read(state, "watch.txt").Split('\n').Select(l => XenWatchEvent.Parse(l)).Count(e => e?.Kind == XenWatchKind.DomainReleased) >= 2,
                "the watch fires once when set and again when the domain is released");

            Assert.AreNotEqual("0", Read(state, "bad.rc").Trim(), "xl create of a domain whose kernel is missing fails");
            StringAssert.Contains(Read(state, "bad.txt"), "/nonexistent/vmlinuz");
            Assert.IsFalse(XlList.Parse(Read(state, "list-after.txt")).Any(r => r.Name == "bad"), "a failed create leaves no domain behind");

            // Re-adoption by the agent's Xen backend (board virtual-xen, no island connected): the
            // running domain of a known VM adopted, the unknown one destroyed, the gone one cleaned.
            string adopt = Read(state, "adopt-agent.log");
            string linuxId = Read(state, "adopt-linux-id.txt").Trim();
            StringAssert.Contains(adopt, $"VM 'linux': re-adopted Xen domain {linuxId} (Running)", adopt);
            StringAssert.Matches(adopt, new System.Text.RegularExpressions.Regex(@"leftover of VM 'ghost' \(pid \d+\) from a previous agent run: no VM of that name: domain \d+ destroyed"), adopt);
            StringAssert.Contains(adopt, "leftover of VM 'gone' (pid -1) from a previous agent run: domain gone; folder removed", adopt);
            var adopted = XlList.Parse(Read(state, "list-adopted.txt"));
            Assert.AreEqual(ObservedVmState.Running, adopted.Single(r => r.Name == "linux").Observed, "the adopted domain runs on");
            Assert.IsFalse(adopted.Any(r => r.Name == "ghost"), "the unknown VM's domain is destroyed");
            Assert.AreEqual("linux", Read(state, "adopt-folders.txt").Trim(), "only the adopted domain's folder stays");
            Assert.IsTrue(XlList.Parse(Read(state, "list-after-agent.txt")).Any(r => r.Name == "linux" && r.DomainId.ToString(System.Globalization.CultureInfo.InvariantCulture) == linuxId),
                "a killed agent leaves its domain running (the next agent re-adopts it)");

            string[] timing = Read(state, "timing.txt").Trim().Split(' ');
            Console.WriteLine($"xen machine: xl create {timing[0]} ms, create to first heartbeat {timing[1]} ms");
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static string Dom0Script(string agentDll, string repo) => $$"""
        set -u
        ms() { echo $(( $(date +%s%N) / 1000000 )); }
        stty -F /dev/ttyS1 raw 115200 && echo "dom0 link up" > /dev/ttyS1
        dotnet '{{agentDll}}' --help > /state/agent-help.txt 2>&1
        xl create -f /state/bad.cfg > /state/bad.txt 2>&1; echo $? > /state/bad.rc
        xenstore-watch @releaseDomain > /state/watch.txt 2>&1 &
        watcher=$!
        t0=$(ms)
        xl create -f /state/hb.cfg || exit 10
        t1=$(ms)
        tty=$(xenstore-read /local/domain/$(xl domid hb)/console/tty) || exit 11
        exec 3<"$tty"
        stty -F "$tty" raw -echo
        read -r first <&3
        while case "$first" in HB*) false ;; *) true ;; esac; do read -r first <&3; done
        t2=$(ms)
        echo "$first" > /state/console-hb.txt
        for i in 1 2 3 4; do read -r line <&3; echo "$line" >> /state/console-hb.txt; done
        echo "$((t1 - t0)) $((t2 - t0))" > /state/timing.txt
        xl list > /state/list-running.txt
        xl pause hb && xl list > /state/list-paused.txt && xl unpause hb
        xl destroy hb || exit 12
        exec 3<&-
        sleep 1
        xl list > /state/list-after.txt
        kill $watcher

        run=/run/agent-vms
        mkdir -p $run/linux $run/ghost $run/gone
        cp /state/linux.cfg $run/linux/domain.cfg; cp /state/ghost.cfg $run/ghost/domain.cfg; cp /state/ghost.cfg $run/gone/domain.cfg
        xl create -f $run/linux/domain.cfg || exit 13
        xl create -f $run/ghost/domain.cfg || exit 14
        xl domid linux > /state/adopt-linux-id.txt
        dotnet '{{agentDll}}' --board virtual-xen --boards-dir '{{repo}}/boards' --guest-kernel-dir '{{repo}}'           --socket /run/agent.sock --runtime-dir $run > /state/adopt-agent.log 2>&1 &
        agent=$!
        n=0
        until grep -q "re-adopted" /state/adopt-agent.log || [ $n -ge 240 ]; do sleep 0.5; n=$((n + 1)); done
        sleep 1
        xl list > /state/list-adopted.txt
        ls $run > /state/adopt-folders.txt
        kill -9 $agent
        sleep 1
        xl list > /state/list-after-agent.txt
        xl destroy linux
        xl destroy ghost 2>/dev/null
        exit 0
        """;

    private static async Task<string> ReadLinkAsync(string path, Process machine)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            if (machine.HasExited)
                return "";
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                break;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        var text = new StringBuilder();
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(14));
        while (!text.ToString().Contains('\n', StringComparison.Ordinal))
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (n == 0)
                break;
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    private static string Read(string state, string name)
    {
        string path = Path.Combine(state, name);
        Assert.IsTrue(File.Exists(path), $"dom0 did not write {name}");
        return File.ReadAllText(path);
    }

    private static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;

    private static void RunScript(string script)
    {
        using var process = Process.Start(new ProcessStartInfo(script) { RedirectStandardError = true, UseShellExecute = false })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"{script} failed: {errors}");
    }
}
