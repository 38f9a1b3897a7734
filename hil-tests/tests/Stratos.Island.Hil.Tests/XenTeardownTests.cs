using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Hil.Benches;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Hil.Tests;

/// <summary>
/// The Xen bench's machine outlives nothing (docs/hil.md "Interrupting a run"): island-xen.sh up
/// --owner-pid ties the board to its owner, the test host, and a detached lifeline takes it down
/// however the owner ends. Here the owner is SIGKILLed (what nothing can intercept) while the
/// machine boots: its QEMU, island-sim and the lifeline must be gone soon after. Boots a Xen
/// machine under TCG (category full; run it under the heavy lock).
/// </summary>
[TestClass]
public sealed class XenTeardownTests
{
    [TestMethod]
    [TestCategory("full")]
    [TestCategory("xen-teardown")]
    [Timeout(300_000)]
    public async Task A_xen_board_whose_owner_is_killed_goes_down_and_leaves_no_process()
    {
        string root = HilSession.RepositoryRoot;
        string state = Path.Combine(root, "out", "hil-xen", "teardown-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(state);
        string script = Path.Combine(root, "hil-tests", "guest", "xen", "island-xen.sh");
        using var owner = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        try
        {
            var up = await RunAsync(script, state, "up", "--no-wait", "--owner-pid", owner.Id.ToString());
            Assert.AreEqual(0, up.Status, up.Output);
            int machine = PosixProcess.LivePid(Path.Combine(state, "machine.pid")) ?? throw new AssertFailedException("no machine running: " + up.Output);
            int sim = PosixProcess.LivePid(Path.Combine(state, "island-sim.pid")) ?? throw new AssertFailedException("no island-sim running: " + up.Output);
            int lifeline = PosixProcess.LivePid(Path.Combine(state, "lifeline.pid")) ?? throw new AssertFailedException("no lifeline running: " + up.Output);
            StringAssert.Contains(PosixProcess.CommandLine(lifeline).Replace('\0', ' '), "lifeline " + owner.Id);
            Assert.IsTrue(Processes(state).Count >= 3, "the board's processes name its state dir: " + string.Join(" | ", Processes(state)));

            owner.Kill();
            var gone = Stopwatch.StartNew();
            // down: dom0 is still booting and cannot power off, so it is cut after 20 s.
            while ((Processes(state).Count > 0 || PosixProcess.IsAlive(lifeline)) && gone.Elapsed < TimeSpan.FromSeconds(90))
                await Task.Delay(500);
            Assert.AreEqual(0, Processes(state).Count, "left running: " + string.Join(" | ", Processes(state)));
            // Gone or a zombie: the board's processes are orphans, reaped by whoever adopted them.
            Assert.IsFalse(PosixProcess.IsAlive(machine) || PosixProcess.IsAlive(sim) || PosixProcess.IsAlive(lifeline), "a process of the board is still running");
            Assert.IsFalse(File.Exists(Path.Combine(state, "link.sock")), "the link socket is removed");
            StringAssert.Contains(File.ReadAllText(Path.Combine(state, "machine.log")), $"owner {owner.Id} ended: the board goes down");
        }
        finally
        {
            if (!owner.HasExited)
                owner.Kill();
            await RunAsync(script, state, "down");
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>Live processes whose command line names the state dir (QEMU's -virtfs, island-sim's --state-dir, the lifeline's environment is not seen: its pid file is checked apart).</summary>
    private static List<string> Processes(string state) =>
        new DirectoryInfo("/proc").EnumerateDirectories()
            .Where(d => int.TryParse(d.Name, out int pid) && pid != Environment.ProcessId && PosixProcess.IsAlive(pid))
            .Select(d => PosixProcess.CommandLine(int.Parse(d.Name)))
            .Where(c => c.Contains(state, StringComparison.Ordinal))
            .ToList();

    private static async Task<(int Status, string Output)> RunAsync(string script, string state, params string[] arguments)
    {
        var start = new ProcessStartInfo(script) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        start.Environment["ISLAND_STATE_DIR"] = state;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
