using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Hil.Benches;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Tests;

[TestClass]
public sealed class BenchTests
{
    private static string WriteBenchFile(string yaml)
    {
        string path = Path.Combine(Path.GetTempPath(), "bench-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [TestMethod]
    public void Link_fault_commands_take_the_targets_arguments_or_a_default()
    {
        Assert.AreEqual("drop out 3", VirtualBench.LinkFaultCommand(FaultKind.LinkDrop, "link"));
        Assert.AreEqual("drop in 7", VirtualBench.LinkFaultCommand(FaultKind.LinkDrop, "in 7"));
        Assert.AreEqual("delay out 3 100", VirtualBench.LinkFaultCommand(FaultKind.LinkDelay, ""));
        Assert.AreEqual("txfull 1200", VirtualBench.LinkFaultCommand(FaultKind.LinkTxRingFull, "1200"));
        Assert.AreEqual("slow 1500 3000", VirtualBench.LinkFaultCommand(FaultKind.AgentSlow, "agent"));
        Assert.ThrowsExactly<ArgumentException>(() => VirtualBench.LinkFaultCommand(FaultKind.GuestHang, "base"));
    }

    [TestMethod]
    public void Guest_console_lines_fill_the_heartbeat_and_checkpoint_lanes()
    {
        var timelines = new TimelineBuilder().AddGuestLines(new[]
        {
            new GuestLine("base", 100, "READY rate=100 cps=- emitting=1 tsc_khz=1 clock=pit idle=poll"),
            new GuestLine("base", 200, "HB 1"),
            new GuestLine("base", 201, "CP 1 1"),
            new GuestLine("base", 202, "CP 2 2"),
            new GuestLine("web", 250, "HB 9"),
            new GuestLine("web", 260, "ACK cps 1,2,3"),
            new GuestLine("web", 270, "HB x"),
        }).Build();

        var baseMarks = timelines[0].Marks;
        Assert.AreEqual("base", timelines[0].VmName);
        Assert.AreEqual(1, baseMarks.Count(m => m.Kind == MarkKind.Heartbeat));
        Assert.AreEqual(2, baseMarks.Count(m => m.Kind == MarkKind.Checkpoint));
        Assert.AreEqual("CP 2", baseMarks.Last().Label);
        Assert.AreEqual(1, timelines[1].Marks.Count);
        Assert.AreEqual("HB 9", timelines[1].Marks[0].Label);
    }

    [TestMethod]
    public void The_virtual_bench_can_inject_every_fault_kind()
    {
        var bench = new VirtualBench(Path.GetTempPath());
        foreach (FaultKind fault in Enum.GetValues<FaultKind>())
            Assert.IsNull(bench.CanInject(fault), fault.ToString());
    }

    private const string FullBench = """
        board: rpi5-pico
        heartbeat_period_ms: 50
        agent:
          socket: /tmp/hil-rpi.sock
          ssh:
            host: lab@rpi5-01
            remote_socket: /run/island/agent.sock
            options: [-p, "2222"]
        console: { device: /dev/ttyUSB0, baud: 921600 }
        hooks:
          power_off: relay-ctl off 3
          power_on: relay-ctl on 3
          island_reset: pico-reset
          timeout_ms: 5000
        """;

    [TestMethod]
    public void A_complete_bench_file_loads_every_field()
    {
        string path = WriteBenchFile(FullBench);
        try
        {
            var file = BenchFileLoader.Load(path);
            Assert.AreEqual("rpi5-pico", file.Board);
            Assert.AreEqual("lab@rpi5-01", file.Agent.SshHost);
            Assert.AreEqual("/run/island/agent.sock", file.Agent.SshRemoteSocket);
            Assert.AreEqual("-p 2222", string.Join(" ", file.Agent.SshOptions));
            Assert.AreEqual(921600, file.Console!.BaudRate);
            Assert.AreEqual("relay-ctl on 3", file.Hooks.PowerOn);
            Assert.IsNull(file.Hooks.AClusterReset);
            Assert.AreEqual(5000, file.Hooks.TimeoutMs);
            Assert.AreEqual(50u, file.HeartbeatPeriodMs);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow("board: x\n", "agent: missing")]
    [DataRow("board: x\nagent: { }\n", "agent.socket: missing")]
    [DataRow("board: x\nagent: { socket: /s, ssh: { host: h } }\n", "agent.ssh.remote_socket: missing")]
    [DataRow("board: x\nagent: { socket: /s }\nconsole: { device: /dev/ttyS0, baud: fast }\n", "console.baud: expected an integer 1200..4000000, got 'fast'")]
    [DataRow("board: x\nagent: { socket: /s }\nhooks: { power_off: off }\n", "hooks: power_off and power_on go together")]
    [DataRow("board: [x\n", "not valid YAML at line")]
    [DataRow("- a\n", "expected a mapping at the top level")]
    public void A_bad_bench_file_is_refused_naming_file_and_field(string yaml, string expected)
    {
        string path = WriteBenchFile(yaml);
        try
        {
            var e = Assert.ThrowsExactly<BenchFileException>(() => BenchFileLoader.Load(path));
            StringAssert.StartsWith(e.Message, path + ": ");
            StringAssert.Contains(e.Message, expected);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void The_xen_bench_injects_what_every_scenario_marked_for_xen_needs_and_names_the_rest()
    {
        var bench = new XenBench(_ => throw new InvalidOperationException("no machine in this test"));
        var target = HilTarget.ForXen(Path.Combine(HilSession.RepositoryRoot, "boards"));
        foreach (var scenario in HilSuites.All(target).Where(s => s.Xen != XenSuite.None))
            foreach (var fault in scenario.Needs)
                Assert.IsNull(bench.CanInject(fault), $"{scenario.Name} needs {fault}");
        StringAssert.Contains(bench.CanInject(FaultKind.LinkRingScribble), "not injected on the Xen board");
        Assert.IsTrue(HilSuites.All(target).Count(s => s.Xen == XenSuite.Quick) >= 2, "the Xen quick suite: start order and a hang or crash");
    }

    [TestMethod]
    public void The_xen_target_has_the_scenarios_roles_as_pv_domains_with_xens_bounds()
    {
        var target = HilTarget.ForXen(Path.Combine(HilSession.RepositoryRoot, "boards"));
        Assert.AreEqual("virtual-xen", target.Board.Id);
        Assert.AreEqual("xen-pv", target.Vm("base").Vmm.Machine);
        CollectionAssert.AreEqual(new[] { target.Vm("base").VmId }, target.Vm("web").DependsOn.ToArray(), "web depends on base");
        var hang = target.SupervisionProbe("base", FaultKind.GuestHang, SupervisionKind.Alive, heartbeatsStop: true);
        // window 1000 + carry-over 800 (min_margin 4 of 5) + cycle 10 + Xen's slack.
        Assert.AreEqual(1810 + HilTarget.XenSlackMs, hang.BoundMs);
        Assert.IsTrue(target.VmEndBoundMs > 2000, "an xl destroy in a TCG dom0 is slower than a QEMU exit");
    }

    [TestMethod]
    public void Hil_settings_take_the_vmm_and_refuse_xen_on_a_board_or_with_a_soak()
    {
        var now = DateTimeOffset.UnixEpoch;
        Assert.AreEqual("qemu", HilRunSettings.FromEnvironment(new System.Collections.Generic.Dictionary<string, string?>(), "/r", now).Vmm);
        Assert.AreEqual("xen", HilRunSettings.FromEnvironment(new System.Collections.Generic.Dictionary<string, string?> { ["HIL_VMM"] = "xen" }, "/r", now).Vmm);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => HilRunSettings.FromEnvironment(
            new System.Collections.Generic.Dictionary<string, string?> { ["HIL_VMM"] = "kvm" }, "/r", now)).Message, "'kvm' is not qemu or xen");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => HilRunSettings.FromEnvironment(
            new System.Collections.Generic.Dictionary<string, string?> { ["HIL_VMM"] = "xen", ["HIL_SOAK"] = "5" }, "/r", now)).Message, "without a soak");
    }

    [TestMethod]
    public void A_board_bench_says_why_it_cannot_inject_a_fault()
    {
        string path = WriteBenchFile(FullBench);
        try
        {
            var bench = new BoardBench(BenchFileLoader.Load(path));
            Assert.IsNull(bench.CanInject(FaultKind.PowerCutDuringLogWrite));
            Assert.IsNull(bench.CanInject(FaultKind.IslandReset));
            StringAssert.Contains(bench.CanInject(FaultKind.AClusterReset), "no hooks.a_cluster_reset");
            StringAssert.Contains(bench.CanInject(FaultKind.GuestHang), "serial console");
            StringAssert.Contains(bench.CanInject(FaultKind.LinkDrop), "fault-injecting transport");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public async Task Runner_skips_a_scenario_the_bench_cannot_inject_for_and_never_runs_its_body()
    {
        string path = WriteBenchFile(FullBench);
        try
        {
            await using var bench = new BoardBench(BenchFileLoader.Load(path));
            bool ran = false;
            var scenario = new Scenario("Island_hang_fires_its_watchdog", "recovery", new[] { FaultKind.IslandHang }, _ => { ran = true; return Task.CompletedTask; });
            var result = await ScenarioRunner.RunAsync(scenario, bench, TimeSpan.FromSeconds(5));
            Assert.AreEqual(ScenarioOutcome.Skipped, result.Outcome);
            StringAssert.StartsWith(result.Message, "skipped: board:rpi5-pico cannot inject IslandHang: ");
            Assert.IsFalse(ran);

            // As an MSTest result: inconclusive (shown as skipped), never passed.
            var inconclusive = Assert.ThrowsExactly<AssertInconclusiveException>(() => HilSession.ReportOutcome(result));
            StringAssert.Contains(inconclusive.Message, "cannot inject IslandHang");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void A_scenario_result_is_an_mstest_failure_when_failed_inconclusive_when_skipped_and_a_pass_only_when_passed()
    {
        ScenarioResult Result(ScenarioOutcome outcome) => new() { Name = "s", Group = "g", Outcome = outcome, Message = outcome + " because", StartedAt = DateTimeOffset.UtcNow };
        HilSession.ReportOutcome(Result(ScenarioOutcome.Passed));
        Assert.ThrowsExactly<AssertInconclusiveException>(() => HilSession.ReportOutcome(Result(ScenarioOutcome.Skipped)));
        var failed = Assert.ThrowsExactly<AssertFailedException>(() => HilSession.ReportOutcome(Result(ScenarioOutcome.Failed), "line 1\nisland-sim[7] power cut"));
        StringAssert.Contains(failed.Message, "Failed because");
        StringAssert.Contains(failed.Message, "power cut", "the tail of the process log");
    }

    [TestMethod]
    public void Every_hil_scenario_has_one_test_method_of_its_name_and_every_hil_test_method_a_scenario()
    {
        // HilSuites.All is the scenario list; HilScenarioTests only adapts it to MSTest (categories,
        // [Verifies]), one method per scenario named like it.
        var target = HilTarget.Load(Path.Combine(HilSession.RepositoryRoot, "boards"), "virtual", null, HilTarget.DefaultHeartbeatPeriodMs, HilTarget.VirtualSlackMs);
        var scenarios = HilSuites.All(target).Select(s => s.Name).ToList();
        var methods = typeof(HilScenarioTests).GetMethods()
            .Where(m => m.GetCustomAttributes(typeof(TestMethodAttribute), false).Length > 0)
            .Select(m => m.Name).ToList();
        CollectionAssert.AreEquivalent(scenarios, methods, "HilScenarioTests' methods must be HilSuites.All's scenarios, one each");
        Assert.AreEqual(scenarios.Count, scenarios.Distinct().Count(), "scenario names are unique");
        foreach (var method in typeof(HilScenarioTests).GetMethods().Where(m => methods.Contains(m.Name)))
        {
            var categories = method.GetCustomAttributes(typeof(TestCategoryAttribute), false).Cast<TestCategoryAttribute>().SelectMany(c => c.TestCategories).ToList();
            Assert.IsTrue(categories.Contains("hil") && (categories.Contains("quick") ^ categories.Contains("full")), method.Name + ": categories hil and exactly one of quick, full");
            var xen = HilSuites.All(target).Single(s => s.Name == method.Name).Xen;
            Assert.AreEqual(xen != XenSuite.None, categories.Contains("xen"), method.Name + ": category xen exactly when HilSuites runs it on Xen");
            Assert.AreEqual(xen == XenSuite.Quick, categories.Contains("xen-quick"), method.Name + ": category xen-quick exactly when it is in the Xen bench's quick suite");
        }
    }

    [TestMethod]
    public async Task Runner_fails_a_scenario_whose_body_fails_or_times_out_and_passes_one_that_completes()
    {
        string path = WriteBenchFile(FullBench);
        try
        {
            await using var bench = new BoardBench(BenchFileLoader.Load(path));
            var failing = await ScenarioRunner.RunAsync(new Scenario("f", "g", Array.Empty<FaultKind>(), _ => throw new ScenarioFailure("VM 'web' was Stopped, expected Running")), bench, TimeSpan.FromSeconds(5));
            Assert.AreEqual(ScenarioOutcome.Failed, failing.Outcome);
            Assert.AreEqual("VM 'web' was Stopped, expected Running", failing.Message);
            var slow = await ScenarioRunner.RunAsync(new Scenario("s", "g", Array.Empty<FaultKind>(), c => Task.Delay(Timeout.Infinite, c.CancellationToken)), bench, TimeSpan.FromMilliseconds(200));
            Assert.AreEqual(ScenarioOutcome.Failed, slow.Outcome);
            StringAssert.StartsWith(slow.Message, "timed out after");
            var fine = await ScenarioRunner.RunAsync(new Scenario("p", "g", Array.Empty<FaultKind>(), c => { c.Log("nothing to do"); return Task.CompletedTask; }), bench, TimeSpan.FromSeconds(5));
            Assert.AreEqual(ScenarioOutcome.Passed, fine.Outcome);
            Assert.AreEqual(1, fine.Log.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public async Task A_board_bench_without_an_agent_fails_to_start_naming_the_socket()
    {
        string socket = Path.Combine(Path.GetTempPath(), "no-agent-" + Guid.NewGuid().ToString("N") + ".sock");
        string path = WriteBenchFile($"board: x\nagent: {{ socket: {socket} }}\n");
        try
        {
            await using var bench = new BoardBench(BenchFileLoader.Load(path));
            var e = await Assert.ThrowsAsync<Exception>(() => bench.StartAsync(CancellationToken.None));
            StringAssert.Contains(e.Message, socket);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public async Task Hooks_run_through_the_shell_and_report_failures_and_timeouts_by_name()
    {
        Assert.AreEqual("on 3\n", await CommandHook.RunAsync("power_on", "echo on $((1+2))", TimeSpan.FromSeconds(10), CancellationToken.None));
        var failed = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => CommandHook.RunAsync("power_off", "echo relay busy >&2; exit 3", TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.AreEqual("hook 'power_off' (echo relay busy >&2; exit 3) exited with 3: relay busy", failed.Message);
        var slow = await Assert.ThrowsExactlyAsync<TimeoutException>(() => CommandHook.RunAsync("island_reset", "sleep 30", TimeSpan.FromMilliseconds(300), CancellationToken.None));
        StringAssert.Contains(slow.Message, "hook 'island_reset' (sleep 30) did not finish within 300 ms");
    }
}
