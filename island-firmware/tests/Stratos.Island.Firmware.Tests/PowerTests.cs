using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class PowerTests
{
    private static TestIsland GpuVm(Criticality criticality = Criticality.Qm, bool autostart = false)
        => new(TestIsland.Configure(
            TestIsland.Vm(1, "base", autostart: autostart),
            TestIsland.Vm(2, "web", criticality, domains: new[] { TestIsland.ACluster, TestIsland.Gpu }, dependsOn: new[] { 1 }, autostart: autostart)));

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void Domains_start_in_their_initial_state()
    {
        TestIsland island = GpuVm();
        Assert.AreEqual(PowerState.On, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual(PowerState.On, island.Core.Power.StateOf(TestIsland.SafetyDomain));
    }

    [TestMethod]
    [DataRow(PowerState.Off)]
    [DataRow(PowerState.Reset)]
    [DataRow(PowerState.Retention)]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void Cutting_power_under_an_active_vm_is_refused(PowerState state)
    {
        TestIsland island = GpuVm(Criticality.AsilB);
        island.StartRunning(1);
        island.StartRunning(2);
        Assert.AreEqual(ErrorCode.PermissionDenied, island.Core.HandlePowerDomainRequest(3, TestIsland.Gpu, state, "test"));
        Assert.AreEqual("power domain 'gpu': used by VM 'web' (ASIL-B), which is Running", island.Core.LastRefusal);
        Assert.AreEqual(PowerState.On, island.Rails.GetState(TestIsland.Gpu));
    }

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void A_qm_vm_is_protected_too_because_the_agent_is_a_qm_requester()
    {
        TestIsland island = GpuVm(Criticality.Qm);
        island.StartRunning(1);
        island.Request(2, VmAction.Start);
        Assert.AreEqual(ErrorCode.PermissionDenied, island.Core.HandlePowerDomainRequest(3, TestIsland.Gpu, PowerState.Off, "test"));
        Assert.AreEqual("power domain 'gpu': used by VM 'web' (QM), which is Starting", island.Core.LastRefusal);
    }

    [TestMethod]
    [Verifies("IslDsgn~start-dependencies~1", "IslDsgn~power-arbitration~1")]
    public void Power_can_be_cut_once_the_vm_stopped_and_then_the_vm_cannot_start()
    {
        TestIsland island = GpuVm();
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandlePowerDomainRequest(3, TestIsland.Gpu, PowerState.Off, "test"));
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual((TestIsland.Gpu, PowerState.Off), island.Rails.History[^1]);
        Assert.AreEqual((int)PowerState.Off, island.Output.EventsOf(EventType.PowerDomain).Last().Value);
        Assert.AreEqual(((uint)TestIsland.Gpu, PowerState.Off), island.Output.DomainStatuses[^1]);

        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(2, VmAction.Start));
        Assert.AreEqual("VM 'web': power domain 'gpu' is Off", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandlePowerDomainRequest(3, TestIsland.Gpu, PowerState.On, "test"));
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(2, VmAction.Start));
    }

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void The_a_cluster_domain_cannot_be_cut_by_the_agent()
    {
        TestIsland island = GpuVm();
        Assert.AreEqual(ErrorCode.PermissionDenied, island.Core.HandlePowerDomainRequest(3, TestIsland.ACluster, PowerState.Off, "test"));
        Assert.AreEqual("power domain 'a-cluster': hosts the agent; use a system power request", island.Core.LastRefusal);
    }

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void Unknown_domains_and_states_are_refused()
    {
        TestIsland island = GpuVm();
        Assert.AreEqual(ErrorCode.NotFound, island.Core.HandlePowerDomainRequest(3, 99, PowerState.Off, "test"));
        Assert.AreEqual("power domain 99: not defined", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.InvalidArgument, island.Core.HandlePowerDomainRequest(3, TestIsland.Gpu, (PowerState)9, "test"));
        Assert.AreEqual("power domain 'gpu': state 9 is not a power state", island.Core.LastRefusal);
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void System_off_stops_vms_then_powers_domains_off_reporting_each_step()
    {
        TestIsland island = GpuVm();
        island.StartRunning(1);
        island.StartRunning(2);
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Off, "shutdown"));
        Assert.IsTrue(island.Output.LastResult.Accepted);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Core.HandleSystemPowerRequest(5, SystemPowerAction.Reboot, "again"));
        Assert.AreEqual("system power: OFF already in progress", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, VmAction.Start));

        island.Step();
        Assert.AreEqual(VmState.Stopping, island.State(2), "web first (reverse boot order)");
        Assert.AreEqual(VmState.Running, island.State(1));
        island.Step();
        Assert.AreEqual(VmState.Running, island.State(1), "base waits until web is down");
        island.Report(2, ObservedVmState.NotRunning);
        island.Step();
        Assert.AreEqual(VmState.Stopping, island.State(1));
        island.Report(1, ObservedVmState.Exited);
        for (int i = 0; i < 4; i++)
        {
            island.Step();
        }

        string[] steps = island.Output.EventsOf(EventType.SystemPower).Select(e => e.Detail).ToArray();
        CollectionAssert.AreEqual(new[] { "begin", "stopping vm", "stopping vm", "vms down", "domains down", "complete" }, steps);
        Assert.IsTrue(island.Output.EventsOf(EventType.SystemPower).All(e => e.Value == (int)SystemPowerAction.Off));
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.ACluster));
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.SafetyDomain));
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(0).Status, "the agent is off: not supervised");
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void A_vm_that_does_not_stop_is_bounded_by_its_stop_timeout()
    {
        TestIsland island = GpuVm();
        island.StartRunning(1);
        island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Off, "shutdown");
        island.Run(600);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual(PowerState.Off, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual("complete", island.Output.EventsOf(EventType.SystemPower).Last().Detail);
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void Reboot_restores_domains_and_boots_again_when_the_agent_reconnects()
    {
        TestIsland island = GpuVm(autostart: true);
        island.Step();
        island.Report(1, ObservedVmState.Running);
        island.Step();
        island.Report(2, ObservedVmState.Running);
        island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Reboot, "update");
        island.Step();
        island.Report(2, ObservedVmState.NotRunning);
        island.Step();
        island.Report(1, ObservedVmState.NotRunning);
        for (int i = 0; i < 4; i++)
        {
            island.Step();
        }

        CollectionAssert.AreEqual(new[] { "begin", "stopping vm", "stopping vm", "vms down", "domains down", "domains up", "complete" },
            island.Output.EventsOf(EventType.SystemPower).Select(e => e.Detail).ToArray());
        Assert.AreEqual(PowerState.On, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual(VmState.Stopped, island.State(1));
        island.Core.HandleAgentConnected();
        island.Step();
        Assert.AreEqual(VmState.Starting, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void Suspend_pauses_vms_and_puts_domains_into_retention()
    {
        TestIsland island = GpuVm();
        island.StartRunning(1);
        island.StartRunning(2);
        island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Suspend, "night");
        island.Step();
        Assert.AreEqual(VmState.Pausing, island.State(2));
        Assert.AreEqual(DirectiveAction.Pause, island.Output.LastDirective.Action);
        island.Report(2, ObservedVmState.Paused);
        island.Step();
        island.Report(1, ObservedVmState.Paused);
        for (int i = 0; i < 4; i++)
        {
            island.Step();
        }

        Assert.AreEqual(VmState.Paused, island.State(1));
        Assert.AreEqual(VmState.Paused, island.State(2));
        Assert.AreEqual(PowerState.Retention, island.Rails.GetState(TestIsland.Gpu));
        Assert.AreEqual("complete", island.Output.EventsOf(EventType.SystemPower).Last().Detail);
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void Unknown_system_power_actions_are_refused()
    {
        TestIsland island = GpuVm();
        Assert.AreEqual(ErrorCode.InvalidArgument, island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Unspecified, "x"));
        Assert.AreEqual("system power: action 0 is not a system power action", island.Core.LastRefusal);
    }
}
