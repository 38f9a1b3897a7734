using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.VirtualBoard.Tests;

/// <summary>Readiness and teardown against real processes and sockets (sh, sleep, AF_UNIX).</summary>
[TestClass]
public sealed class ProcessTests
{
    private static string NewDir()
    {
        string dir = Path.Combine("/tmp", "vbp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    public async Task Waiting_for_a_socket_ends_early_with_the_output_when_its_process_exits()
    {
        string dir = NewDir();
        try
        {
            using BoardProcess sim = BoardProcess.Start("island-sim", new LaunchCommand("/bin/sh", ["-c", "echo 'board: no such board'; exit 2"]));
            var wait = Stopwatch.StartNew();
            var failed = await Assert.ThrowsExactlyAsync<VirtualBoardException>(() => Readiness.WaitForSocketAsync(Path.Combine(dir, "kick.sock"), "island-sim kick socket", sim, TimeSpan.FromSeconds(20)));
            Assert.IsLessThan(10, wait.Elapsed.TotalSeconds, "did not wait out the timeout");
            StringAssert.Contains(failed.Message, "island-sim exited with 2");
            StringAssert.Contains(failed.Message, "board: no such board");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public async Task Waiting_for_a_socket_is_bounded_and_ends_when_it_accepts()
    {
        string dir = NewDir();
        try
        {
            string path = Path.Combine(dir, "agent.sock");
            var timeout = await Assert.ThrowsExactlyAsync<TimeoutException>(() => Readiness.WaitForSocketAsync(path, "island-agent API socket", null, TimeSpan.FromMilliseconds(300)));
            StringAssert.Contains(timeout.Message, path);
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            Assert.IsFalse(await Readiness.AcceptsAsync(path), "bound but not listening");
            listener.Listen(1);
            await Readiness.WaitForSocketAsync(path, "island-agent API socket", null, TimeSpan.FromSeconds(5));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public async Task Teardown_kills_only_qemus_named_by_pid_files_and_removes_the_running_files()
    {
        string dir = NewDir();
        using Process notQemu = Process.Start("sleep", "60")!;
        try
        {
            var layout = new VirtualBoardLayout(dir);
            Directory.CreateDirectory(layout.VmDir("web"));
            File.WriteAllText(Path.Combine(layout.VmDir("web"), "qemu.pid"), notQemu.Id + "\n");
            File.WriteAllText(layout.ShmPath, "");
            File.WriteAllText(layout.KickSocket, "");
            CollectionAssert.AreEqual(new[] { ("web", notQemu.Id) }, Teardown.QemuPidFiles(layout.RuntimeDir).ToArray());
            Assert.IsFalse(Teardown.IsQemu(notQemu.Id));

            var stopped = new System.Collections.Generic.List<string>();
            Teardown.Report report = await Teardown.CleanUpAfterAsync(layout, stopped);
            Assert.AreEqual(0, report.Stopped.Count, "a pid file naming something else than QEMU (a recycled pid) is left alone");
            Assert.IsFalse(notQemu.HasExited);
            CollectionAssert.AreEqual(new[] { layout.ShmPath, layout.KickSocket }, report.Removed.ToArray());
            Assert.IsFalse(Directory.Exists(layout.VmDir("web")));
            Assert.IsTrue((await Teardown.CleanUpAfterAsync(layout, [])).Nothing);
        }
        finally
        {
            notQemu.Kill();
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public async Task A_process_is_stopped_with_sigterm_and_killed_when_it_ignores_it()
    {
        using Process stubborn = Process.Start("/bin/sh", ["-c", "trap '' TERM; sleep 60 & wait"])!;
        await Task.Delay(200);
        var stop = Stopwatch.StartNew();
        Assert.IsTrue(await PosixProcess.StopAsync(stubborn.Id, 300));
        Assert.IsTrue(stubborn.WaitForExit(5000), "killed after the grace");
        Assert.IsGreaterThanOrEqualTo(0.3, stop.Elapsed.TotalSeconds, "SIGTERM first, SIGKILL only after the grace");
        Assert.IsFalse(await PosixProcess.StopAsync(stubborn.Id, 300), "a gone process is not stopped twice");

        string dir = NewDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "x.pid"), "not a pid");
            Assert.IsNull(PosixProcess.ReadPidFile(Path.Combine(dir, "x.pid")));
            Assert.IsNull(PosixProcess.LivePid(Path.Combine(dir, "absent.pid")));
            File.WriteAllText(Path.Combine(dir, "me.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.AreEqual(Environment.ProcessId, PosixProcess.LivePid(Path.Combine(dir, "me.pid")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void A_board_process_keeps_its_lines_and_hands_each_to_the_sink()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using BoardProcess process = BoardProcess.Start("island-agent", new LaunchCommand("/bin/sh", ["-c", "echo one; echo two >&2; echo ready; sleep 60"]), (p, line) => seen.Enqueue(p.Name + ": " + line));
        process.WaitForLine("ready", 10_000);
        process.WaitForLine("two", 10_000); // stderr is its own pipe: its line may come after stdout's
        CollectionAssert.IsSubsetOf(new[] { "island-agent: one", "island-agent: two", "island-agent: ready" }, seen.ToArray());
        var timeout = Assert.ThrowsExactly<TimeoutException>(() => process.WaitForLine("never", 100));
        StringAssert.Contains(timeout.Message, "island-agent did not print 'never'");
        process.Stop();
        Assert.IsTrue(process.HasExited);
        var missing = Assert.ThrowsExactly<VirtualBoardException>(() => BoardProcess.Start("island-sim", new LaunchCommand("/nonexistent/island-sim", [])));
        StringAssert.Contains(missing.Message, "/nonexistent/island-sim");
    }
}

/// <summary>The real island-sim and island-agent launched as the HIL bench does (children), without VMs.</summary>
[TestClass]
public sealed class BoardTests
{
    [TestMethod]
    public async Task The_launched_board_links_up_within_the_bound_and_its_teardown_leaves_nothing_behind()
    {
        string repo = RepositoryRoot.Require();
        var layout = new VirtualBoardLayout(Path.Combine("/tmp", "vbb-" + Guid.NewGuid().ToString("N")[..8]));
        var launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(repo) { Autostart = false });
        try
        {
            launcher.Prepare();
            using BoardProcess sim = BoardProcess.Start("island-sim", launcher.SimCommand());
            await Readiness.WaitForSocketAsync(layout.ControlSocket, "island-sim control socket", sim, Readiness.DefaultTimeout);
            using BoardProcess agent = BoardProcess.Start("island-agent", launcher.AgentCommand());
            await Readiness.WaitForBoardAsync(layout, sim, agent, Readiness.DefaultTimeout);

            var status = (await Readiness.IslandStatusAsync(layout)).GetValueOrDefault();
            Assert.IsTrue(Readiness.SessionUp(status), status.ToString());
            Assert.IsTrue(status.GetProperty("session_counters").GetProperty("authenticated").GetBoolean(), "both were given the layout's board key: " + status);
            Assert.IsTrue(File.Exists(layout.FlashFile), "island-sim keeps its flash in the layout's island state dir");

            agent.Stop();
            sim.Stop();
            Assert.IsTrue(agent.HasExited && sim.HasExited);
            Teardown.Report report = await Teardown.CleanUpAfterAsync(layout, []);
            Assert.AreEqual(0, report.Stopped.Count, "no QEMU: autostart is off");
            Assert.IsFalse(layout.RunningFiles().Any(File.Exists), "shm and sockets removed: " + string.Join(", ", layout.RunningFiles().Where(File.Exists)));
        }
        finally
        {
            Directory.Delete(layout.Root, recursive: true);
        }
    }

    [TestMethod]
    public async Task A_board_whose_agent_cannot_start_fails_the_wait_naming_the_agent_and_its_complaint()
    {
        string repo = RepositoryRoot.Require();
        var layout = new VirtualBoardLayout(Path.Combine("/tmp", "vbb-" + Guid.NewGuid().ToString("N")[..8]));
        var launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(repo) { Autostart = false, ExtraAgentArguments = ["--alive-interval-ms", "never"] });
        try
        {
            launcher.Prepare();
            using BoardProcess sim = BoardProcess.Start("island-sim", launcher.SimCommand());
            await Readiness.WaitForSocketAsync(layout.ControlSocket, "island-sim control socket", sim, Readiness.DefaultTimeout);
            using BoardProcess agent = BoardProcess.Start("island-agent", launcher.AgentCommand());
            var failed = await Assert.ThrowsExactlyAsync<VirtualBoardException>(() => Readiness.WaitForBoardAsync(layout, sim, agent, Readiness.DefaultTimeout));
            StringAssert.Contains(failed.Message, "island-agent exited with");
            StringAssert.Contains(failed.Message, "--alive-interval-ms 'never'");
        }
        finally
        {
            Directory.Delete(layout.Root, recursive: true);
        }
    }

    [TestMethod]
    public async Task A_lifeline_kills_the_child_and_its_descendants_once_the_owner_is_gone()
    {
        using Process owner = Process.Start("sleep", "30");
        using Process child = Process.Start("/bin/sh", ["-c", "sleep 60 & wait"]);
        int grandchild = await DescendantAsync(child.Id);
        using Process lifeline = Lifeline.Watch(owner.Id, child.Id);
        await Task.Delay(1500);
        Assert.IsFalse(child.HasExited, "alive while its owner is");

        owner.Kill();
        Assert.IsTrue(child.WaitForExit(5000), "the child went within a few seconds of its owner");
        Assert.IsTrue(lifeline.WaitForExit(5000), "the lifeline ended after its work");
        Assert.IsFalse(Directory.Exists($"/proc/{grandchild}") && !File.ReadAllText($"/proc/{grandchild}/stat").Contains(") Z ", StringComparison.Ordinal),
            "the child's own child went too");
    }

    [TestMethod]
    public void A_lifeline_ends_by_itself_when_the_child_ends_first()
    {
        using Process owner = Process.Start("sleep", "30");
        using Process child = Process.Start("sleep", "1");
        using Process lifeline = Lifeline.Watch(owner.Id, child.Id);
        Assert.IsTrue(lifeline.WaitForExit(5000), "no watcher left behind");
        Assert.IsFalse(owner.HasExited, "and it killed nothing else");
        owner.Kill();
    }

    private static async Task<int> DescendantAsync(int pid)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim();
            if (children.Length > 0)
            {
                return int.Parse(children.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }

            await Task.Delay(20);
        }

        throw new AssertFailedException($"process {pid} started no child");
    }
}
