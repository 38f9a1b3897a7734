using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>The start path: the serial console connected before QEMU runs the guest, the caller sees the guest's first line.</summary>
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
        // Not held with -S: the console is connected before QEMU exists (its inherited listener, wait=on).
        Assert.DoesNotContain("-S", vm.Arguments);
        Assert.IsTrue(vm.Arguments.Any(a => a.StartsWith("socket,id=serial0,fd=", StringComparison.Ordinal) && a.EndsWith(",server=on,wait=on", StringComparison.Ordinal)), string.Join(' ', vm.Arguments));
        var steps = vm.StartSteps!;
        Assert.IsTrue(steps.SerialConnectedMs > 0 && steps.SerialConnectedMs <= steps.SpawnedMs && steps.SpawnedMs <= steps.QmpReadyMs && steps.QmpReadyMs <= steps.RunningMs, steps.ToString());
        await VmHarness.WaitForAsync(() => vm.StartSteps!.FirstLineMs > 0, "the first line's time");
        Assert.IsTrue(steps.FirstLineMs >= steps.RunningMs, steps.ToString());
    }
}
