using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Tests;

/// <summary>
/// What the agent reports (VmStateReport) in each lifecycle state: a report that fits the directive
/// in flight completes it, a report that the VM went down fails it (or completes a stop), and
/// anything else leaves the state alone; a VM the island holds down that is reported alive is killed.
/// Reports with directive id 0 are spontaneous (a crash seen by the VMM, the agent's re-sync).
/// </summary>
[TestClass]
public sealed class LifecycleReportTests
{
    private static TestIsland One() => new(TestIsland.Configure(TestIsland.Vm(1, "web")));

    private static ErrorCode Spontaneous(TestIsland island, ObservedVmState state) =>
        island.Core.HandleVmStateReport(1, state, 0, 0, string.Empty);

    [TestMethod]
    [Verifies("IslDsgn~no-vm-without-consent~1")]
    public void A_vm_that_goes_down_while_pausing_or_paused_fails()
    {
        TestIsland island = One();
        island.StartRunning(1);
        island.Request(1, VmAction.Pause);
        Assert.AreEqual(ErrorCode.Unspecified, Spontaneous(island, ObservedVmState.Running));
        Assert.AreEqual(VmState.Pausing, island.State(1), "a RUNNING report does not complete a pause");
        Spontaneous(island, ObservedVmState.Crashed);
        Assert.AreEqual(VmState.Failed, island.State(1));

        island = One();
        island.StartRunning(1);
        island.Request(1, VmAction.Pause);
        island.Report(1, ObservedVmState.Paused);
        Spontaneous(island, ObservedVmState.Running);
        Assert.AreEqual(VmState.Paused, island.State(1), "RUNNING without a resume directive does not resume");
        Spontaneous(island, ObservedVmState.Exited);
        Assert.AreEqual(VmState.Failed, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~directive-timeouts~1")]
    public void Reports_that_do_not_fit_the_state_change_nothing()
    {
        TestIsland island = One();
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start));
        Assert.AreEqual(ErrorCode.Unspecified, Spontaneous(island, ObservedVmState.Starting));
        Assert.AreEqual(VmState.Starting, island.State(1));
        island.Report(1, ObservedVmState.Running);
        Assert.AreEqual(ErrorCode.Unspecified, Spontaneous(island, ObservedVmState.Paused));
        Assert.AreEqual(VmState.Running, island.State(1), "only a pause directive leads to Paused");
        island.Request(1, VmAction.Stop);
        Assert.AreEqual(ErrorCode.Unspecified, Spontaneous(island, ObservedVmState.Running));
        Assert.AreEqual(VmState.Stopping, island.State(1), "a stop completes only when the VM is down");
        Assert.AreEqual(ErrorCode.NotFound, island.Core.HandleVmStateReport(9, ObservedVmState.Running, 0, 0, string.Empty));
        Assert.AreEqual(ErrorCode.Aborted, island.Core.HandleVmStateReport(1, ObservedVmState.NotRunning, 12345, 0, string.Empty));
        Assert.AreEqual(VmState.Stopping, island.State(1), "a report naming another directive is stale");
    }

    [TestMethod]
    [Verifies("IslDsgn~no-vm-without-consent~1")]
    [DataRow(ObservedVmState.Running)]
    [DataRow(ObservedVmState.Paused)]
    [DataRow(ObservedVmState.Starting)]
    public void A_vm_reported_alive_while_the_island_holds_it_down_is_killed(ObservedVmState observed)
    {
        TestIsland island = One();
        int before = island.Output.Directives.Count;

        Assert.AreEqual(ErrorCode.FailedPrecondition, Spontaneous(island, observed));

        Assert.AreEqual(before + 1, island.Output.Directives.Count);
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
        Assert.AreEqual(VmState.Defined, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~no-vm-without-consent~1")]
    public void A_vm_reported_down_while_the_island_holds_it_down_needs_nothing()
    {
        TestIsland island = One();
        int before = island.Output.Directives.Count;

        Assert.AreEqual(ErrorCode.Unspecified, Spontaneous(island, ObservedVmState.NotRunning));

        Assert.AreEqual(before, island.Output.Directives.Count);
    }
}
