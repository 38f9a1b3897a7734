using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class DependencyAndRestartTests
{
    // base (10) <- web (20) <- ui (30); tools (25) independent.
    private static TestIsland Stack(bool autostart = false, bool connect = true)
    {
        IslandConfig config = TestIsland.Configure(
            TestIsland.Vm(3, "ui", dependsOn: new[] { 2 }, bootOrder: 30, autostart: autostart),
            TestIsland.Vm(1, "base", bootOrder: 10, autostart: autostart),
            TestIsland.Vm(4, "tools", bootOrder: 25, autostart: autostart),
            TestIsland.Vm(2, "web", dependsOn: new[] { 1 }, bootOrder: 20, autostart: autostart));
        return new TestIsland(config, connectAgent: connect);
    }

    [TestMethod]
    [Verifies("IslDsgn~start-dependencies~1")]
    public void Start_is_refused_until_the_dependency_runs()
    {
        TestIsland island = Stack();
        Assert.AreEqual(ErrorCode.DependencyNotReady, island.Request(2, VmAction.Start));
        Assert.AreEqual("VM 'web': depends on 'base', which is Defined", island.Core.LastRefusal);
        island.Request(1, VmAction.Start);
        Assert.AreEqual(ErrorCode.DependencyNotReady, island.Request(2, VmAction.Start));
        Assert.AreEqual("VM 'web': depends on 'base', which is Starting", island.Core.LastRefusal);
        island.Report(1, ObservedVmState.Running);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(2, VmAction.Start));
    }

    [TestMethod]
    [Verifies("IslDsgn~start-dependencies~1")]
    public void A_stopped_dependency_is_named_in_the_refusal()
    {
        TestIsland island = Stack();
        island.StartRunning(1);
        island.Request(1, VmAction.Stop);
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(ErrorCode.DependencyNotReady, island.Request(2, VmAction.Start));
        Assert.AreEqual("VM 'web': depends on 'base', which is Stopped", island.Core.LastRefusal);
    }

    [TestMethod]
    [DataRow(VmAction.Stop, "stop")]
    [DataRow(VmAction.Kill, "kill")]
    [DataRow(VmAction.Pause, "pause")]
    [DataRow(VmAction.Restart, "restart")]
    [Verifies("IslDsgn~start-dependencies~1")]
    public void Stopping_a_vm_others_depend_on_is_refused(VmAction action, string verb)
    {
        TestIsland island = Stack();
        island.StartRunning(1);
        island.StartRunning(2);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, action));
        Assert.AreEqual($"VM 'base': cannot {verb} while 'web', which depends on it, is Running", island.Core.LastRefusal);
        Assert.AreEqual(VmState.Running, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void Boot_orchestration_starts_autostart_vms_in_boot_order_waiting_for_dependencies()
    {
        TestIsland island = Stack(autostart: true, connect: false);
        island.Step();
        Assert.AreEqual(0, island.Output.Directives.Count, "nothing starts before the agent connects");
        island.Core.HandleAgentConnected();
        island.Step();
        CollectionAssert.AreEqual(new uint[] { 1 }, island.Output.Directives.Select(d => d.VmId).ToArray(), "web waits for base; tools and ui wait behind web");
        island.Report(1, ObservedVmState.Running);
        island.Step();
        CollectionAssert.AreEqual(new uint[] { 1, 2, 4 }, island.Output.Directives.Select(d => d.VmId).ToArray());
        island.Report(2, ObservedVmState.Running);
        island.Report(4, ObservedVmState.Running);
        island.Step();
        CollectionAssert.AreEqual(new uint[] { 1, 2, 4, 3 }, island.Output.Directives.Select(d => d.VmId).ToArray());
        island.Report(3, ObservedVmState.Running);
        Assert.IsTrue(new[] { 1, 2, 3, 4 }.All(id => island.State(id) == VmState.Running));
        Assert.AreEqual(0, island.Core.Lifecycle.BootPendingCount);
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void Boot_orchestration_skips_a_vm_whose_dependency_cannot_come_up()
    {
        IslandConfig config = TestIsland.Configure(
            TestIsland.Vm(1, "base", bootOrder: 10, autostart: false),
            TestIsland.Vm(2, "web", dependsOn: new[] { 1 }, bootOrder: 20, autostart: true),
            TestIsland.Vm(3, "tools", bootOrder: 30, autostart: true));
        var island = new TestIsland(config);
        island.Step();
        Assert.AreEqual(VmState.Defined, island.State(2));
        Assert.AreEqual(VmState.Starting, island.State(3));
        PushedEvent refused = island.Output.EventsOf(EventType.RequestRefused).Single();
        Assert.AreEqual("boot: depends on 'base', which is Defined", refused.Detail);
        Assert.AreEqual(2u, refused.SubjectId);
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void System_off_stops_vms_in_reverse_boot_order()
    {
        TestIsland island = Stack();
        island.StartRunning(1);
        island.StartRunning(2);
        island.StartRunning(4);
        island.StartRunning(3);
        int before = island.Output.Directives.Count;
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleSystemPowerRequest(5, SystemPowerAction.Off, "test"));
        for (int i = 0; i < 6; i++)
        {
            island.Step();
            Directive? d = island.Output.Directives.Skip(before).LastOrDefault();
            if (d != null && island.State((int)d.VmId) == VmState.Stopping)
            {
                island.Report((int)d.VmId, ObservedVmState.NotRunning);
            }
        }

        var stops = island.Output.Directives.Skip(before).ToArray();
        CollectionAssert.AreEqual(new uint[] { 3, 4, 2, 1 }, stops.Select(d => d.VmId).ToArray(), "ui (30), tools (25), web (20), base (10)");
        Assert.IsTrue(stops.All(d => d.Action == DirectiveAction.Stop));
    }

    [TestMethod]
    [Verifies("IslDsgn~restart-budget~1")]
    public void Crash_restarts_with_exponential_backoff_until_quarantine()
    {
        var vm = TestIsland.Vm(1, "web");
        vm.Restart = new RestartPolicyConfig { MaxRestarts = 3, WindowMs = 60_000, BackoffInitialMs = 100, BackoffMaxMs = 250 };
        var island = new TestIsland(TestIsland.Configure(vm));
        island.StartRunning(1);

        int[] expectedBackoffMs = { 100, 200, 250 };
        foreach (int backoff in expectedBackoffMs)
        {
            island.Report(1, ObservedVmState.Crashed);
            Assert.AreEqual(VmState.Failed, island.State(1));
            Assert.AreEqual(island.Clock.MonotonicMs + backoff, island.Vm(1).RestartAtMs, "backoff doubles, capped at the maximum");
            island.Run(backoff - TestIsland.PeriodMs);
            Assert.AreEqual(VmState.Failed, island.State(1), "not before the backoff elapsed");
            island.Run(TestIsland.PeriodMs);
            Assert.AreEqual(VmState.Starting, island.State(1));
            island.Report(1, ObservedVmState.Running);
        }

        island.Report(1, ObservedVmState.Crashed);
        Assert.AreEqual(VmState.Quarantined, island.State(1), "the fourth failure in the window exhausts the budget");
        Assert.AreEqual(3, island.Output.EventsOf(EventType.Quarantine).Single().Value);

        Assert.AreEqual(ErrorCode.Quarantined, island.Request(1, VmAction.Start));
        Assert.AreEqual("VM 'web': quarantined after its restart budget ran out; clear it first", island.Core.LastRefusal);
        island.Run(5000);
        Assert.AreEqual(VmState.Quarantined, island.State(1), "quarantine does not time out");

        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Clear));
        Assert.AreEqual(VmState.Stopped, island.State(1));
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start));
        island.Report(1, ObservedVmState.Running);
        island.Report(1, ObservedVmState.Crashed);
        Assert.AreEqual(island.Clock.MonotonicMs + 100, island.Vm(1).RestartAtMs, "clear restored the full budget");
    }

    [TestMethod]
    [Verifies("IslDsgn~restart-budget~1")]
    public void Restarts_outside_the_sliding_window_no_longer_count()
    {
        var vm = TestIsland.Vm(1, "web");
        vm.Restart = new RestartPolicyConfig { MaxRestarts = 1, WindowMs = 1000, BackoffInitialMs = 50, BackoffMaxMs = 50 };
        var island = new TestIsland(TestIsland.Configure(vm));
        island.StartRunning(1);
        island.Report(1, ObservedVmState.Crashed);
        island.Run(50);
        island.Report(1, ObservedVmState.Running);
        island.Run(1000);
        island.Report(1, ObservedVmState.Crashed);
        Assert.AreEqual(VmState.Failed, island.State(1), "the first restart left the window");
        Assert.IsTrue(island.Vm(1).RestartPending);
    }

    [TestMethod]
    [Verifies("IslDsgn~restart-budget~1")]
    public void A_restart_waits_for_its_dependencies()
    {
        TestIsland island = Stack();
        island.StartRunning(1);
        island.StartRunning(2);
        island.Report(2, ObservedVmState.Crashed);
        island.Report(1, ObservedVmState.Crashed);
        island.Run(150);
        Assert.AreEqual(VmState.Starting, island.State(1));
        Assert.AreEqual(VmState.Failed, island.State(2), "web waits for base to run again");
        island.Report(1, ObservedVmState.Running);
        island.Run(10);
        Assert.AreEqual(VmState.Starting, island.State(2));
    }
}
