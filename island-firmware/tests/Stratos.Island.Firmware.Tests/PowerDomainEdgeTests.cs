using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Escalation;
using Stratos.Island.Firmware.Power;

namespace Stratos.Island.Firmware.Tests;

/// <summary>
/// Edges of power arbitration: unknown domains read as unknown, an unchanged state is no event,
/// nothing is switched during a system sequence, and the names that refusals and events carry.
/// </summary>
[TestClass]
public sealed class PowerDomainEdgeTests
{
    private static TestIsland Island() => new(TestIsland.Configure(TestIsland.Vm(1, "web", domains: new[] { TestIsland.ACluster, TestIsland.Gpu })));

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void Unknown_domains_read_as_unknown_and_an_unchanged_state_is_no_event()
    {
        TestIsland island = Island();
        Assert.IsFalse(island.Core.Power.IsOn(77));
        Assert.AreEqual(PowerState.Unspecified, island.Core.Power.StateOf(77));
        Assert.AreEqual("?", island.Core.Power.NameOf(77));
        int events = island.Output.Events.Count;

        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandlePowerDomainRequest(3, TestIsland.Gpu, PowerState.On, "already on"));

        Assert.AreEqual(events, island.Output.Events.Count, "switching a domain to the state it has records nothing");
    }

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1", "IslDsgn~system-power-sequence~1")]
    public void No_domain_is_switched_while_a_system_sequence_runs()
    {
        TestIsland island = Island();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleSystemPowerRequest(4, SystemPowerAction.Off, "test"));

        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Core.HandlePowerDomainRequest(5, TestIsland.Gpu, PowerState.On, "test"));
        StringAssert.EndsWith(island.Core.LastRefusal, "a system power sequence is in progress");
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, VmAction.Start));
    }

    [TestMethod]
    [Verifies("IslDsgn~escalation-defaults~1")]
    public void Names_used_in_refusals_and_events_cover_every_value()
    {
        Assert.AreEqual("On", PowerManager.StateName(PowerState.On));
        Assert.AreEqual("Off", PowerManager.StateName(PowerState.Off));
        Assert.AreEqual("Reset", PowerManager.StateName(PowerState.Reset));
        Assert.AreEqual("Retention", PowerManager.StateName(PowerState.Retention));
        Assert.AreEqual("Unspecified", PowerManager.StateName((PowerState)42));
        Assert.AreEqual("OFF", SystemPowerSequencer.ActionName(SystemPowerAction.Off));
        Assert.AreEqual("REBOOT", SystemPowerSequencer.ActionName(SystemPowerAction.Reboot));
        Assert.AreEqual("SUSPEND", SystemPowerSequencer.ActionName(SystemPowerAction.Suspend));
        Assert.AreEqual("UNSPECIFIED", SystemPowerSequencer.ActionName((SystemPowerAction)42));
        Assert.AreEqual("QM", EscalationPolicy.CriticalityName(Criticality.Unspecified));
        Assert.AreEqual("ASIL-A", EscalationPolicy.CriticalityName(Criticality.AsilA));
        Assert.AreEqual("ASIL-B", EscalationPolicy.CriticalityName(Criticality.AsilB));
        Assert.AreEqual("ASIL-C", EscalationPolicy.CriticalityName(Criticality.AsilC));
        Assert.AreEqual("ASIL-D", EscalationPolicy.CriticalityName(Criticality.AsilD));
        Assert.AreEqual("QM", EscalationPolicy.CriticalityName((Criticality)42), "an unknown criticality is treated as QM");
    }
}
