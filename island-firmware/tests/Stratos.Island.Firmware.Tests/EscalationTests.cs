using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Escalation;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class EscalationTests
{
    // One alive indication expected every supervision cycle, no tolerance.
    private static VmConfig Supervised(int id, string name, SafeAction action, Criticality criticality = Criticality.Qm, int[]? domains = null, bool autostart = false)
    {
        VmConfig vm = TestIsland.Vm(id, name, criticality, safeAction: action, domains: domains, autostart: autostart);
        vm.Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 1, ReferenceCycles = 1 };
        return vm;
    }

    private static TestIsland Island(int expiredTolerance, params VmConfig[] vms)
    {
        IslandConfig config = TestIsland.Configure(vms);
        config.Limits.ExpiredSupervisionCycleTolerance = expiredTolerance;
        return new TestIsland(config);
    }

    // One supervision cycle with an alive indication from every listed entity.
    private static void Cycle(TestIsland island, params int[] alive)
    {
        foreach (int id in alive)
        {
            island.Core.HandleAliveIndication((uint)id, 1);
        }

        island.Run(TestIsland.PeriodMs);
    }

    [TestMethod]
    [Verifies("IslDsgn~escalation-defaults~1")]
    public void Defaults_by_criticality_are_restart_for_qm_to_asil_b_and_safe_state_above()
    {
        Assert.AreEqual(SafeAction.RestartVm, EscalationPolicy.DefaultFor(Criticality.Unspecified));
        Assert.AreEqual(SafeAction.RestartVm, EscalationPolicy.DefaultFor(Criticality.Qm));
        Assert.AreEqual(SafeAction.RestartVm, EscalationPolicy.DefaultFor(Criticality.AsilA));
        Assert.AreEqual(SafeAction.RestartVm, EscalationPolicy.DefaultFor(Criticality.AsilB));
        Assert.AreEqual(SafeAction.SafeState, EscalationPolicy.DefaultFor(Criticality.AsilC));
        Assert.AreEqual(SafeAction.SafeState, EscalationPolicy.DefaultFor(Criticality.AsilD));
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-restart~1")]
    public void Expired_with_restart_vm_kills_and_restarts_through_the_restart_policy()
    {
        TestIsland island = Island(5, Supervised(1, "web", SafeAction.RestartVm));
        island.StartRunning(1);
        Cycle(island, 1);
        Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(1).Status);
        Cycle(island);
        Assert.AreEqual(LocalStatus.Expired, island.Core.Supervision.Find(1).Status, "stays EXPIRED while the kill is in flight");
        Assert.AreEqual(VmState.Stopping, island.State(1));
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
        Assert.AreEqual(GlobalStatus.Expired, island.Core.Supervision.GlobalStatus);
        PushedEvent escalation = island.Output.EventsOf(EventType.Escalation).Single();
        Assert.AreEqual((int)SafeAction.RestartVm, escalation.Value);

        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(1).Status);
        Assert.IsTrue(island.Vm(1).RestartPending);
        Cycle(island);
        Assert.AreEqual(GlobalStatus.Ok, island.Core.Supervision.GlobalStatus, "the escalation took the expired VM down in time");
        island.Run(100);
        Assert.AreEqual(VmState.Starting, island.State(1));
        island.Report(1, ObservedVmState.Running);
        Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(1).Status, "re-armed clean");
    }

    [TestMethod]
    public void A_hung_guest_with_restart_vm_is_killed_then_restarted_by_the_restart_policy()
    {
        TestIsland island = Island(5, TestIsland.Vm(1, "linux", safeAction: SafeAction.RestartVm));
        island.StartRunning(1);

        island.Report(1, ObservedVmState.Hung);

        Assert.AreEqual(VmState.Stopping, island.State(1), "the VMM still runs: the island takes it down first");
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
        PushedEvent escalation = island.Output.EventsOf(EventType.Escalation).Single();
        Assert.AreEqual((int)SafeAction.RestartVm, escalation.Value);
        Assert.AreEqual("guest watchdog expired", escalation.Detail);
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.IsTrue(island.Vm(1).RestartPending);
    }

    [TestMethod]
    public void A_hung_guest_with_report_only_logs_and_a_hung_report_for_a_stopped_vm_is_ignored()
    {
        TestIsland island = Island(0, TestIsland.Vm(1, "linux", safeAction: SafeAction.Report), TestIsland.Vm(2, "idle"));
        island.StartRunning(1);
        int directives = island.Output.Directives.Count;

        island.Report(1, ObservedVmState.Hung);
        island.Report(2, ObservedVmState.Hung);

        Assert.AreEqual(VmState.Running, island.State(1));
        Assert.AreEqual(directives, island.Output.Directives.Count);
        Assert.AreEqual(1, island.Output.EventsOf(EventType.Escalation).Count(), "only the running VM escalates");
        Assert.AreNotEqual(VmState.Stopping, island.State(2));
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-stop~1")]
    public void Expired_with_stop_vm_kills_without_restart()
    {
        TestIsland island = Island(5, Supervised(1, "web", SafeAction.StopVm));
        island.StartRunning(1);
        Cycle(island);
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.IsFalse(island.Vm(1).RestartPending);
        island.Run(2000);
        Assert.AreEqual(VmState.Failed, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-report~1")]
    public void Expired_with_report_only_logs_and_keeps_the_vm_running()
    {
        TestIsland island = Island(0, Supervised(1, "web", SafeAction.Report));
        island.StartRunning(1);
        int directives = island.Output.Directives.Count;
        Cycle(island);
        Assert.AreEqual(LocalStatus.Expired, island.Core.Supervision.Find(1).Status);
        Assert.AreEqual(VmState.Running, island.State(1));
        Assert.AreEqual(directives, island.Output.Directives.Count);
        Assert.AreEqual((int)SafeAction.Report, island.Output.EventsOf(EventType.Escalation).Single().Value);
        Assert.AreEqual(GlobalStatus.Ok, island.Core.Supervision.GlobalStatus, "REPORT entities do not count, even with tolerance 0");
        Assert.IsFalse(island.SafeState.Asserted);
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-reset-a-cluster~1")]
    public void Expired_with_reset_a_cluster_resets_and_reboots_the_vms_when_the_agent_returns()
    {
        TestIsland island = Island(5, Supervised(1, "web", SafeAction.ResetACluster, autostart: true), TestIsland.Vm(2, "tools", autostart: true));
        island.Step();
        island.Report(1, ObservedVmState.Running);
        island.Report(2, ObservedVmState.Running);
        Cycle(island);
        Assert.AreEqual(1, island.Reset.Resets);
        Assert.AreEqual(VmState.Stopped, island.State(1));
        Assert.AreEqual(VmState.Stopped, island.State(2));
        Assert.AreEqual("supervision expired", island.Vm(2).LastFailure);
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(0).Status);
        island.Run(100);
        Assert.AreEqual(VmState.Stopped, island.State(1), "nothing starts while the agent is away");

        island.Core.HandleAgentConnected();
        island.Step();
        Assert.AreEqual(VmState.Starting, island.State(1));
        Assert.AreEqual(VmState.Starting, island.State(2));
    }

    [TestMethod]
    [Verifies("IslDsgn~agent-supervision~1", "IslDsgn~escalate-reset-a-cluster~1")]
    public void Agent_expiry_resets_the_a_cluster()
    {
        IslandConfig config = TestIsland.Configure(TestIsland.Vm(1, "web"));
        config.AgentSupervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 2, MinMargin = 1, ReferenceCycles = 2 };
        var island = new TestIsland(config);
        island.StartRunning(1);
        island.Core.HandleAliveIndication(0, 1);
        island.Run(20);
        Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(0).Status);
        Assert.AreEqual(0, island.Reset.Resets);
        island.Run(20);
        Assert.AreEqual(1, island.Reset.Resets);
        Assert.AreEqual(VmState.Stopped, island.State(1));
        Assert.AreEqual("agent supervision expired", island.Output.EventsOf(EventType.Escalation).Single().Detail);
    }

    [TestMethod]
    [Verifies("IslDsgn~safe-state~1")]
    public void Expired_with_safe_state_powers_off_qm_domains_and_asserts_the_output()
    {
        TestIsland island = Island(5,
            Supervised(1, "brake", SafeAction.SafeState, Criticality.AsilD, domains: new[] { TestIsland.SafetyDomain }),
            TestIsland.Vm(2, "web", domains: new[] { TestIsland.Gpu }));
        island.StartRunning(1);
        island.StartRunning(2);
        Cycle(island);
        Assert.IsTrue(island.SafeState.Asserted);
        Assert.IsTrue(island.Core.Mode.SafeStateActive);
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.ACluster));
        Assert.AreEqual(PowerState.On, island.Rails.GetState(TestIsland.SafetyDomain), "ASIL domains stay on");
        Assert.AreEqual(VmState.Stopped, island.State(2), "the VM lost its power");
        Assert.AreEqual(1, island.Output.EventsOf(EventType.SafeState).Count());
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Core.HandlePowerDomainRequest(1, TestIsland.Gpu, PowerState.On, "x"));
        Assert.AreEqual("power domain 'gpu': the island is in the safe state", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(2, VmAction.Start));
        Assert.AreEqual("VM 'web': the island is in the safe state", island.Core.LastRefusal);
    }

    [TestMethod]
    [Verifies("IslDsgn~safe-state~1")]
    public void Global_stopped_enters_the_safe_state_when_an_escalation_does_not_complete()
    {
        TestIsland island = Island(2, Supervised(1, "web", SafeAction.RestartVm));
        island.StartRunning(1);
        Cycle(island);
        Assert.AreEqual(GlobalStatus.Expired, island.Core.Supervision.GlobalStatus);
        Cycle(island);
        Assert.IsFalse(island.SafeState.Asserted);
        Cycle(island);
        Assert.AreEqual(GlobalStatus.Stopped, island.Core.Supervision.GlobalStatus, "the agent never confirmed the kill");
        Assert.IsTrue(island.SafeState.Asserted);
        Assert.AreEqual("global supervision STOPPED", island.Output.EventsOf(EventType.SafeState).Single().Detail);
        CollectionAssert.AreEqual(new[] { GlobalStatus.Expired, GlobalStatus.Stopped }, island.Output.GlobalStatuses);
    }

    [TestMethod]
    [Verifies("IslDsgn~safe-state~1")]
    public void A_crash_with_safe_state_action_enters_the_safe_state()
    {
        TestIsland island = Island(5, TestIsland.Vm(1, "brake", Criticality.AsilD, domains: new[] { TestIsland.SafetyDomain }));
        island.StartRunning(1);
        island.Report(1, ObservedVmState.Crashed);
        Assert.IsTrue(island.SafeState.Asserted, "ASIL-D default: SAFE_STATE");
        Assert.AreEqual(VmState.Failed, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-reset-a-cluster~1")]
    public void A_crash_with_reset_a_cluster_action_resets_the_a_cluster()
    {
        TestIsland island = Island(5, TestIsland.Vm(1, "web", safeAction: SafeAction.ResetACluster));
        island.StartRunning(1);
        island.Report(1, ObservedVmState.Crashed);
        Assert.AreEqual(1, island.Reset.Resets);
        Assert.AreEqual(VmState.Stopped, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~watchdog-kick~1")]
    public void The_watchdog_is_kicked_only_by_steps_that_run_on_time()
    {
        TestIsland island = Island(5, TestIsland.Vm(1, "web"));
        island.Run(100);
        Assert.AreEqual(10, island.Watchdog.Kicks);
        Assert.AreEqual(10L, island.Core.Supervision.Cycles);

        island.Clock.AdvanceMs(50);
        island.Step();
        Assert.AreEqual(10, island.Watchdog.Kicks, "a stalled loop withholds the kick");
        Assert.AreEqual(1L, island.Core.LateSteps);
        Assert.AreEqual(15L, island.Core.Supervision.Cycles, "the late step catches up every missed cycle");

        island.Run(10);
        Assert.AreEqual(11, island.Watchdog.Kicks, "back on time");
    }

    [TestMethod]
    [Verifies("IslDsgn~watchdog-kick~1")]
    public void A_step_less_than_a_period_late_still_kicks()
    {
        TestIsland island = Island(5, TestIsland.Vm(1, "web"));
        island.Clock.AdvanceMs(19);
        island.Step();
        Assert.AreEqual(1, island.Watchdog.Kicks);
        Assert.AreEqual(1L, island.Core.Supervision.Cycles);
    }

    [TestMethod]
    [Verifies("IslDsgn~supervision-cycle~1")]
    public void Catch_up_cycles_keep_deadline_arithmetic_exact()
    {
        VmConfig vm = TestIsland.Vm(1, "web", safeAction: SafeAction.StopVm);
        vm.Supervision.Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 30 } };
        TestIsland island = Island(5, vm);
        island.StartRunning(1);
        island.Core.HandleCheckpoint(1, 1);
        island.Clock.AdvanceMs(30);
        island.Step();
        Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(1).Status, "30 ms is exactly the maximum");
        island.Clock.AdvanceMs(10);
        island.Step();
        Assert.AreEqual(LocalStatus.Expired, island.Core.Supervision.Find(1).Status, "missing end detected in the cycle after max");
        }

    [TestMethod]
    [Verifies("IslDsgn~safe-state~1")]
    public void An_unconfirmed_kill_of_an_expired_vm_keeps_it_expired_until_the_safe_state()
    {
        // Stop timeout 500 ms; tolerance 100 cycles = 1 s: the timeout comes first.
        TestIsland island = Island(100, Supervised(1, "web", SafeAction.RestartVm));
        island.StartRunning(1);
        Cycle(island);
        Assert.AreEqual(VmState.Stopping, island.State(1));
        island.Run(500);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("stop timed out", island.Vm(1).LastFailure);
        Assert.IsFalse(island.Vm(1).RestartPending, "a VM that may still run is never restarted");
        Assert.AreEqual(LocalStatus.Expired, island.Core.Supervision.Find(1).Status);
        Assert.IsFalse(island.SafeState.Asserted);
        island.Run(600);
        Assert.AreEqual(GlobalStatus.Stopped, island.Core.Supervision.GlobalStatus);
        Assert.IsTrue(island.SafeState.Asserted);
    }

    [TestMethod]
    [Verifies("IslDsgn~agent-supervision~1")]
    public void A_reconnecting_agent_keeps_its_supervision_status()
    {
        IslandConfig config = TestIsland.Configure(TestIsland.Vm(1, "web"));
        config.AgentSupervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 1, ReferenceCycles = 1 };
        config.AgentSupervision.FailedRefCycleTolerance = 3;
        var island = new TestIsland(config);
        island.Run(TestIsland.PeriodMs);
        Assert.AreEqual(LocalStatus.Failed, island.Core.Supervision.Find(0).Status);
        island.Core.HandleAgentConnected();
        Assert.AreEqual(LocalStatus.Failed, island.Core.Supervision.Find(0).Status, "a link blip does not wipe the failed count");
        Assert.AreEqual(1, island.Core.Supervision.Find(0).FailedRefCycles);
    }
}
