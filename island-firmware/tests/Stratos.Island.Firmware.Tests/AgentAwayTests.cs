using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Tests;

// Every VM's heartbeats reach the island through the agent: while the agent's session is down their
// silence says nothing about the VMs, so their supervision is held (IslandCore.HandleAgentDisconnected)
// until the agent reports them again, and the agent's own supervision bounds the time that lasts.
[TestClass]
public sealed class AgentAwayTests
{
    // One alive indication per cycle, three failed reference cycles tolerated.
    private static VmConfig Supervised(int id, string name)
    {
        VmConfig vm = TestIsland.Vm(id, name, safeAction: SafeAction.RestartVm);
        vm.Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 1, ReferenceCycles = 1 };
        vm.Supervision.FailedRefCycleTolerance = 3;
        return vm;
    }

    private static TestIsland Island(IslandConfig? config = null)
    {
        var island = new TestIsland(config ?? TestIsland.Configure(Supervised(1, "base"), Supervised(2, "web"), Supervised(3, "rt")));
        foreach (VmConfig vm in island.Config.Vms)
        {
            island.StartRunning(vm.Id);
        }

        return island;
    }

    private static void Cycle(TestIsland island, params int[] alive)
    {
        foreach (int id in alive)
        {
            island.Core.HandleAliveIndication((uint)id, 1);
        }

        island.Run(TestIsland.PeriodMs);
    }

    private static LocalStatus Status(TestIsland island, int id) => island.Core.Supervision.Find(id).Status;

    [TestMethod]
    [Verifies("IslDsgn~supervision-held-while-agent-away~1")]
    public void Session_down_holds_ok_and_failed_vms_and_leaves_an_expired_one_to_its_escalation()
    {
        TestIsland island = Island(TestIsland.Configure(Supervised(1, "base"), Supervised(2, "web"), TestIsland.Vm(3, "rt", safeAction: SafeAction.Report)));
        Cycle(island, 1, 2, 3);
        Cycle(island, 1, 3);            // web misses one: FAILED
        Assert.AreEqual(LocalStatus.Failed, Status(island, 2));
        Assert.AreEqual(LocalStatus.Ok, Status(island, 1));

        island.Core.HandleAgentDisconnected();
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 1));
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 2));
        Assert.IsTrue(island.Core.IsSupervisionHeld(1));
        Assert.IsTrue(island.Core.IsSupervisionHeld(2));
        var down = island.Output.EventsOf(EventType.LinkDown).Single();
        Assert.AreEqual("agent link down: supervision of 3 VM(s) held", down.Detail);

        island.Run(2000);               // no heartbeats for 200 cycles: nothing fails, nothing escalates
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 1));
        Assert.AreEqual(0, island.Output.EventsOf(EventType.Escalation).Count());
        Assert.AreEqual(VmState.Running, island.State(1));
        Assert.AreEqual(GlobalStatus.Ok, island.Core.Supervision.GlobalStatus);

        island.Core.HandleAgentDisconnected();
        Assert.AreEqual(1, island.Output.EventsOf(EventType.LinkDown).Count(), "one record per loss of the agent");
    }

    [TestMethod]
    [Verifies("IslDsgn~supervision-held-while-agent-away~1")]
    public void An_expired_vm_is_not_held()
    {
        TestIsland island = Island(TestIsland.Configure(Supervised(1, "base")));
        for (int i = 0; i < 4; i++)
        {
            Cycle(island);
        }

        island.Core.HandleAgentDisconnected();
        Assert.IsFalse(island.Core.IsSupervisionHeld(1));
        Assert.AreEqual("agent link down", island.Output.EventsOf(EventType.LinkDown).Single().Detail);
        Assert.AreEqual(SafeAction.RestartVm, (SafeAction)island.Output.EventsOf(EventType.Escalation).Single().Value, "its escalation went on");
    }

    [TestMethod]
    [Verifies("IslDsgn~supervision-held-while-agent-away~1")]
    public void The_agent_reporting_a_vm_running_resumes_its_supervision_afresh()
    {
        TestIsland island = Island();
        Cycle(island, 1, 2, 3);
        Cycle(island, 1, 3);
        island.Core.HandleAgentDisconnected();
        island.Run(500);

        island.Core.HandleAgentConnected();
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 2), "the session alone does not resume it");
        island.Report(2, ObservedVmState.Running);
        Assert.AreEqual(LocalStatus.Ok, Status(island, 2), "web was FAILED before the loss; it starts afresh");
        Assert.AreEqual(0, island.Core.Supervision.Find(2).FailedRefCycles);
        Assert.IsFalse(island.Core.IsSupervisionHeld(2));
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 1), "base is not reported yet");

        // Resumed supervision is supervision: web silent again fails and expires as before.
        for (int i = 0; i < 4; i++)
        {
            Cycle(island, 1, 3);
        }

        Assert.AreEqual(1, island.Output.EventsOf(EventType.Escalation).Count(e => e.SubjectId == 2));
    }

    [TestMethod]
    [Verifies("IslDsgn~supervision-held-while-agent-away~1")]
    public void Without_a_report_supervision_resumes_one_start_timeout_after_the_agent_is_back()
    {
        TestIsland island = Island();
        island.Core.HandleAgentDisconnected();
        island.Run(300);
        island.Core.HandleAgentConnected();
        island.Run(990);                // TestIsland.Vm's start timeout is 1000 ms
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 1));
        int before = island.Output.EventsOf(EventType.SupervisionStatus).Count(e => e.Value == (int)LocalStatus.Ok);
        island.Run(10);
        Assert.IsFalse(island.Core.IsSupervisionHeld(1));
        Assert.AreEqual(before + 3, island.Output.EventsOf(EventType.SupervisionStatus).Count(e => e.Value == (int)LocalStatus.Ok), "all three resumed (OK)");
        Assert.AreEqual(LocalStatus.Failed, Status(island, 1), "and supervised in the same step: no heartbeat in that cycle");
    }

    [TestMethod]
    [Verifies("IslDsgn~supervision-held-while-agent-away~1")]
    public void A_vm_reported_gone_is_released_and_its_restart_supervises_it_as_usual()
    {
        TestIsland island = Island();
        island.Core.HandleAgentDisconnected();
        island.Core.HandleAgentConnected();
        island.Report(2, ObservedVmState.NotRunning);
        Assert.IsFalse(island.Core.IsSupervisionHeld(2));
        Assert.AreNotEqual(VmState.Running, island.State(2));
        Assert.AreEqual(LocalStatus.Deactivated, Status(island, 2));
    }

    [TestMethod]
    [Verifies("IslDsgn~supervision-held-while-agent-away~1", "IslDsgn~agent-supervision~1")]
    public void An_agent_that_stays_away_still_has_the_a_cluster_reset_and_the_holds_end_with_the_vms()
    {
        IslandConfig config = TestIsland.Configure(Supervised(1, "base"), Supervised(2, "web"), Supervised(3, "rt"));
        config.AgentSupervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 2, MinMargin = 1, ReferenceCycles = 2 };
        TestIsland island = Island(config);
        island.Core.HandleAliveIndication(0, 1);
        island.Core.HandleAgentDisconnected();
        island.Run(60);
        Assert.AreEqual(1, island.Reset.Resets, "the agent's own supervision bounds the time without VM supervision");
        Assert.AreEqual(VmState.Stopped, island.State(1));
        island.Core.HandleAgentConnected();
        island.Step();
        Assert.IsFalse(island.Core.IsSupervisionHeld(1));
        Assert.IsFalse(island.Core.IsSupervisionHeld(3));
    }
}
