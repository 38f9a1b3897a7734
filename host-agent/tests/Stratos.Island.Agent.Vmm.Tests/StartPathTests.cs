using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>The start path: QEMU paused (-S) until QMP and serial are connected, the caller sees the guest's first line.</summary>
[TestClass]
public sealed class StartPathTests
{
    private VmHarness _harness = null!;

    [TestInitialize]
    public void CreateHarness() => _harness = new VmHarness();

    [TestCleanup]
    public async Task DisposeHarness() => await _harness.DisposeAsync();

    [TestMethod]
    public async Task A_subscriber_attached_before_guest_output_sees_heartbeat_1_then_ready_and_the_steps_are_timed_in_order()
    {
        var seen = new ConcurrentQueue<GuestMessage>();
        var vm = await _harness.Backend.StartAsync(VmHarness.Spec("first", "hb.rate=5"), serial => serial.MessageReceived += seen.Enqueue);
        await VmHarness.WaitForAsync(() => seen.Any(m => m.Kind == GuestMessageKind.Ready), "READY");

        // The guest's very first line is HB 1, then READY: nothing it printed was lost.
        GuestMessage[] first = seen.Take(2).ToArray();
        Assert.AreEqual(GuestMessageKind.Heartbeat, first[0].Kind, "the guest's first line");
        Assert.AreEqual(1u, first[0].Sequence);
        Assert.AreEqual(GuestMessageKind.Ready, first[1].Kind, "the line after the first heartbeat");
        Assert.Contains("-S", vm.Arguments);
        var steps = vm.StartSteps!;
        Assert.IsTrue(steps.SpawnedMs > 0 && steps.SpawnedMs <= steps.QmpReadyMs && steps.QmpReadyMs <= steps.SerialConnectedMs && steps.SerialConnectedMs <= steps.RunningMs, steps.ToString());
        await VmHarness.WaitForAsync(() => vm.StartSteps!.FirstLineMs > 0, "the first line's time");
        Assert.IsTrue(steps.FirstLineMs >= steps.SerialConnectedMs, steps.ToString());
    }
}
