using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Firmware.Scenario;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware.Tests;

// Lifecycle paths the request matrix does not reach: system power meeting VMs in transit, escalation
// meeting VMs that are already down, VMs without a restart budget, boot orchestration behind a
// dependency that waits for its restart.
[TestClass]
public sealed class LifecycleEdgeTests
{
    private static TestIsland Two(bool autostart = false, int maxRestarts = 3)
    {
        VmConfig base_ = TestIsland.Vm(1, "base", autostart: autostart);
        VmConfig web = TestIsland.Vm(2, "web", dependsOn: new[] { 1 }, autostart: autostart);
        base_.Restart.MaxRestarts = maxRestarts;
        return new TestIsland(TestIsland.Configure(base_, web), connectAgent: !autostart);
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void System_suspend_stops_a_vm_that_is_still_starting_instead_of_pausing_it()
    {
        TestIsland island = Two();
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start));
        Assert.AreEqual(VmState.Starting, island.State(1));
        int before = island.Output.Directives.Count;
        Assert.IsTrue(island.Core.Lifecycle.SystemPause(island.Vm(1), island.Clock.MonotonicMs));
        Assert.AreEqual(VmState.Stopping, island.State(1));
        Directive stop = island.Output.Directives.Skip(before).Single();
        Assert.AreEqual(DirectiveAction.Stop, stop.Action);
        Assert.AreEqual("system suspend", stop.Reason);
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void System_suspend_and_stop_wait_for_a_vm_already_in_transit_without_a_second_directive()
    {
        TestIsland island = Two();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop));
        Assert.AreEqual(VmState.Stopping, island.State(1));
        int before = island.Output.Directives.Count;
        Assert.IsTrue(island.Core.Lifecycle.SystemPause(island.Vm(1), island.Clock.MonotonicMs), "suspend waits for the stop");
        Assert.IsTrue(island.Core.Lifecycle.SystemStop(island.Vm(1), island.Clock.MonotonicMs), "power off waits for the stop");
        Assert.AreEqual(before, island.Output.Directives.Count, "no second directive for a VM already stopping");
        Assert.IsFalse(island.Core.Lifecycle.SystemPause(island.Vm(2), island.Clock.MonotonicMs), "a Defined VM has nothing to pause");
        Assert.IsFalse(island.Core.Lifecycle.SystemStop(island.Vm(2), island.Clock.MonotonicMs), "nor to stop");
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-stop~1")]
    public void An_escalation_against_a_vm_that_is_already_down_changes_nothing()
    {
        TestIsland island = Two();
        island.StartRunning(1);
        island.Request(1, VmAction.Stop);
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Stopped, island.State(1));
        int directives = island.Output.Directives.Count;
        island.Core.Lifecycle.StopForFailure(island.Vm(1), true, "late supervision failure", island.Clock.MonotonicMs);
        island.Core.Lifecycle.ForceDown(island.Vm(1), "a-cluster reset", island.Clock.MonotonicMs);
        island.Core.Lifecycle.ForceDown(island.Vm(2), "a-cluster reset", island.Clock.MonotonicMs);
        Assert.AreEqual(VmState.Stopped, island.State(1));
        Assert.AreEqual(VmState.Defined, island.State(2));
        Assert.AreEqual(directives, island.Output.Directives.Count, "no kill for a VM that is not running");
        Assert.AreEqual(string.Empty, island.Vm(1).LastFailure, "the stopped VM keeps no failure reason");
    }

    [TestMethod]
    [Verifies("IslDsgn~restart-budget~1")]
    public void A_vm_without_a_restart_budget_stays_failed_after_a_crash_and_is_never_quarantined()
    {
        TestIsland island = Two(maxRestarts: 0);
        island.StartRunning(1);
        int directives = island.Output.Directives.Count;
        island.Report(1, ObservedVmState.Crashed);
        island.Run(2_000);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.IsFalse(island.Vm(1).RestartPending);
        Assert.AreEqual(directives, island.Output.Directives.Count, "no restart directive");
        Assert.AreEqual(0, island.Output.EventsOf(EventType.Quarantine).Count());
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void Boot_orchestration_waits_for_a_dependency_that_crashed_while_its_restart_is_pending()
    {
        TestIsland island = Two(autostart: true);
        island.Core.HandleAgentConnected();
        island.Step();
        Assert.AreEqual(VmState.Starting, island.State(1));
        island.Report(1, ObservedVmState.Crashed);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.IsTrue(island.Vm(1).RestartPending);
        island.Step();
        Assert.AreEqual(VmState.Defined, island.State(2), "web waits for base's restart");
        Assert.AreEqual(0, island.Output.EventsOf(EventType.RequestRefused).Count(), "and is not refused");
        island.Run(200);
        Assert.AreEqual(VmState.Starting, island.State(1), "base restarted after its backoff");
        island.Report(1, ObservedVmState.Running);
        island.Step();
        Assert.AreEqual(VmState.Starting, island.State(2), "web boots once base runs");
        Assert.AreEqual("boot", island.Output.LastDirective.Reason);
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void Boot_orchestration_names_the_first_of_several_dependencies_that_will_not_come()
    {
        VmConfig a = TestIsland.Vm(1, "alpha");
        VmConfig b = TestIsland.Vm(2, "beta");
        VmConfig app = TestIsland.Vm(3, "app", dependsOn: new[] { 1, 2 }, autostart: true);
        TestIsland island = new(TestIsland.Configure(a, b, app), connectAgent: false);
        island.Core.HandleAgentConnected();
        island.Step();
        Assert.AreEqual(VmState.Defined, island.State(3));
        PushedEvent refused = island.Output.EventsOf(EventType.RequestRefused).Single();
        Assert.AreEqual(3u, refused.SubjectId);
        Assert.AreEqual((int)ErrorCode.DependencyNotReady, refused.Value);
        Assert.AreEqual("boot: depends on 'alpha', which is Defined", refused.Detail);
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-stop~1")]
    public void A_failure_while_a_vm_is_stopping_turns_the_stop_into_a_kill()
    {
        TestIsland island = Two();
        island.StartRunning(1);
        island.Request(1, VmAction.Stop);
        Assert.AreEqual(VmState.Stopping, island.State(1));
        island.Core.Lifecycle.StopForFailure(island.Vm(1), false, "supervision expired", island.Clock.MonotonicMs);
        Assert.AreEqual(VmState.Stopping, island.State(1));
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
        Assert.AreEqual("supervision expired", island.Output.LastDirective.Reason);
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Failed, island.State(1), "a stop turned into a failure ends in Failed, not Stopped");
        Assert.AreEqual("supervision expired", island.Vm(1).LastFailure);
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void A_second_boot_orchestration_leaves_running_and_already_pending_vms_alone()
    {
        TestIsland island = Two(autostart: true);
        island.Core.HandleAgentConnected();
        island.Step();
        island.Report(1, ObservedVmState.Running);
        island.Core.Lifecycle.BeginBootOrchestration();
        island.Core.Lifecycle.BeginBootOrchestration();
        island.Step();
        Directive[] starts = island.Output.Directives.Where(d => d.Action == DirectiveAction.Start).ToArray();
        CollectionAssert.AreEqual(new uint[] { 1, 2 }, starts.Select(d => d.VmId).ToArray(), "base is not started twice, web once");
        island.Report(2, ObservedVmState.Running);
        island.Step();
        Assert.AreEqual(VmState.Running, island.State(2));
        Assert.AreEqual(2, island.Output.Directives.Count(d => d.Action == DirectiveAction.Start));
    }

    [TestMethod]
    [Verifies("IslDsgn~alive-count~1")]
    public void An_alive_count_above_int_MaxValue_is_clamped_instead_of_refused_as_negative()
    {
        TestIsland island = Two();
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleAliveIndication(0, uint.MaxValue));
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleAliveIndication(0, uint.MaxValue), "the running sum saturates");
        Assert.AreEqual(ErrorCode.InvalidArgument, island.Core.HandleAliveIndication(0, 0));
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-boot~1")]
    public void A_flash_of_one_page_cannot_hold_the_event_log()
    {
        Assert.AreEqual("event log: flash needs at least 2 pages", Stratos.Island.Firmware.EventLog.PersistentEventLog.CheckGeometry(new ScenarioFlash(256, 1)));
        Assert.IsNull(Stratos.Island.Firmware.EventLog.PersistentEventLog.CheckGeometry(new ScenarioFlash(256, 2)));
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void A_start_is_refused_while_a_system_power_sequence_runs()
    {
        TestIsland island = Two();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Off, "shutdown"));
        island.Step();
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(2, VmAction.Start));
        StringAssert.StartsWith(island.Core.LastRefusal, "VM 'web': ");
        StringAssert.Contains(island.Core.LastRefusal, "in progress");
        Assert.AreEqual(VmState.Defined, island.State(2));
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void Boot_orchestration_records_why_it_could_not_start_a_vm_whose_power_domain_is_off()
    {
        VmConfig render = TestIsland.Vm(1, "render", autostart: true, domains: new[] { TestIsland.ACluster, TestIsland.Gpu });
        TestIsland island = new(TestIsland.Configure(render), connectAgent: false);
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandlePowerDomainRequest(3, (uint)TestIsland.Gpu, PowerState.Off, "save power"));
        island.Step();
        island.Core.HandleAgentConnected();
        island.Step();
        Assert.AreEqual(VmState.Defined, island.State(1));
        Assert.AreEqual(0, island.Output.Directives.Count(d => d.Action == DirectiveAction.Start));
        PushedEvent refused = island.Output.EventsOf(EventType.RequestRefused).Single();
        Assert.AreEqual((int)ErrorCode.FailedPrecondition, refused.Value);
        Assert.AreEqual("VM 'render': power domain 'gpu' is Off", refused.Detail);
        island.Step();
        Assert.AreEqual(1, island.Output.EventsOf(EventType.RequestRefused).Count(), "refused once, not at every step");
    }
}
