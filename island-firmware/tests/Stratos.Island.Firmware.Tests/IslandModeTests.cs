using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Tests;

// IslandMode on its own, then as the one owner the managers consult (the same answers come from
// lifecycle, power, sequencer and agent connection because they read the same object).
[TestClass]
public sealed class IslandModeTests
{
    private static TestIsland TwoVms(bool autostart = false, bool connectAgent = true)
        => new(TestIsland.Configure(
            TestIsland.Vm(1, "base", autostart: autostart),
            TestIsland.Vm(2, "web", domains: new[] { TestIsland.ACluster, TestIsland.Gpu }, autostart: autostart)), connectAgent: connectAgent);

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void A_new_mode_has_no_safe_state_no_system_power_and_boots_at_the_first_agent_connection()
    {
        var mode = new IslandMode();
        Assert.IsFalse(mode.SafeStateActive);
        Assert.IsFalse(mode.SystemPowerInProgress);
        Assert.AreEqual(SystemPowerAction.Unspecified, mode.SystemPower);
        Assert.IsTrue(mode.BootOnAgentConnect);
    }

    [TestMethod]
    [Verifies("IslDsgn~safe-state~1")]
    public void The_safe_state_is_entered_once_and_stays_latched()
    {
        var mode = new IslandMode();
        Assert.IsTrue(mode.EnterSafeState(), "the first entry does the work");
        Assert.IsFalse(mode.EnterSafeState(), "a second entry finds it already active");
        Assert.IsTrue(mode.SafeStateActive);
        mode.BeginSystemPower(SystemPowerAction.Reboot);
        mode.EndSystemPower();
        mode.BootAtNextAgentConnect();
        Assert.IsTrue(mode.TakeBootOnAgentConnect());
        Assert.IsTrue(mode.SafeStateActive, "nothing but an island reset leaves the safe state");
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void A_system_power_action_is_in_progress_from_begin_to_end()
    {
        var mode = new IslandMode();
        mode.BeginSystemPower(SystemPowerAction.Suspend);
        Assert.IsTrue(mode.SystemPowerInProgress);
        Assert.AreEqual(SystemPowerAction.Suspend, mode.SystemPower);
        mode.EndSystemPower();
        Assert.IsFalse(mode.SystemPowerInProgress);
        Assert.AreEqual(SystemPowerAction.Unspecified, mode.SystemPower);
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void Boot_on_agent_connect_is_taken_by_one_connection_until_requested_again()
    {
        var mode = new IslandMode();
        Assert.IsTrue(mode.TakeBootOnAgentConnect());
        Assert.IsFalse(mode.BootOnAgentConnect);
        Assert.IsFalse(mode.TakeBootOnAgentConnect(), "a reconnect does not boot the VMs again");
        mode.BootAtNextAgentConnect();
        mode.BootAtNextAgentConnect();
        Assert.IsTrue(mode.TakeBootOnAgentConnect());
        Assert.IsFalse(mode.TakeBootOnAgentConnect(), "two requests still mean one boot orchestration");
    }

    [TestMethod]
    [Verifies("IslDsgn~boot-orchestration~1")]
    public void The_first_agent_connection_takes_the_boot_and_an_a_cluster_reset_requests_it_again()
    {
        TestIsland island = TwoVms(autostart: true, connectAgent: false);
        Assert.IsTrue(island.Core.Mode.BootOnAgentConnect, "due at island boot");
        island.Core.HandleAgentConnected();
        Assert.IsFalse(island.Core.Mode.BootOnAgentConnect);
        island.Step();
        island.Report(1, ObservedVmState.Running);
        island.Core.Escalation.ResetACluster("test reset");
        Assert.IsTrue(island.Core.Mode.BootOnAgentConnect, "the reset agent boots the VMs again");
        Assert.AreEqual(VmState.Stopped, island.State(1));
        island.Core.HandleAgentConnected();
        island.Step();
        Assert.AreEqual(VmState.Starting, island.State(1), "boot orchestration ran at the reconnection");
    }

    [TestMethod]
    [Verifies("IslDsgn~system-power-sequence~1")]
    public void While_a_system_power_sequence_runs_the_lifecycle_and_power_refuse_from_the_same_mode()
    {
        TestIsland island = TwoVms();
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Reboot, "test"));
        Assert.AreEqual(SystemPowerAction.Reboot, island.Core.Mode.SystemPower);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, VmAction.Start));
        Assert.AreEqual("VM 'base': system power REBOOT in progress", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Core.HandlePowerDomainRequest(5, TestIsland.Gpu, PowerState.Off, "test"));
        Assert.AreEqual("power domain 'gpu': a system power sequence is in progress", island.Core.LastRefusal);
        for (int i = 0; i < 5; i++)
        {
            island.Step();
        }

        Assert.IsFalse(island.Core.Mode.SystemPowerInProgress, "the sequence completed");
        Assert.IsTrue(island.Core.Mode.BootOnAgentConnect, "a reboot boots the VMs at the reconnection");
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start));
    }

    [TestMethod]
    [Verifies("IslDsgn~safe-state~1")]
    public void In_the_safe_state_the_lifecycle_power_and_agent_connection_answer_from_the_same_mode()
    {
        TestIsland island = TwoVms();
        island.Core.Escalation.EnterSafeState("test");
        Assert.IsTrue(island.Core.Mode.SafeStateActive);
        Assert.IsTrue(island.SafeState.Asserted);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, VmAction.Start));
        Assert.AreEqual("VM 'base': the island is in the safe state", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Core.HandlePowerDomainRequest(5, TestIsland.Gpu, PowerState.On, "test"));
        Assert.AreEqual("power domain 'gpu': the island is in the safe state", island.Core.LastRefusal);

        island.Core.Mode.BootAtNextAgentConnect();
        island.Core.HandleAgentConnected();
        Assert.IsTrue(island.Core.Mode.BootOnAgentConnect, "the A-cluster is off: the connection is ignored and the boot stays due");
    }
}
