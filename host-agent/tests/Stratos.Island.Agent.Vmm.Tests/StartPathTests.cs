using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>The start path: the serial console connected before the guest runs, QMP up before it runs, the caller's hook before the first line.</summary>
[TestClass]
public sealed class StartPathTests : VmHarnessTest
{
    [TestMethod]
    public async Task The_guest_runs_only_with_qmp_up_and_its_console_is_read_after_the_running_hook()
    {
        var seen = new ConcurrentQueue<GuestMessage>();
        bool runningWhenHooked = false;
        var vm = await Harness.Backend.StartAsync(VmHarness.Spec("first", "hb.rate=5"), running =>
        {
            runningWhenHooked = running.State == ObservedVmState.Running && running.Qmp is not null;
            running.Serial!.MessageReceived += seen.Enqueue;
            // Hold the hook well past the guest's first lines: they wait in the socket, none is lost.
            System.Threading.Thread.Sleep(200);
        });
        await VmHarness.WaitForAsync(() => seen.Any(m => m.Kind == GuestMessageKind.Ready), "READY");

        Assert.IsTrue(runningWhenHooked, "the hook runs once the VM is Running with QMP up");
        // The guest's very first line is HB 1, then READY: nothing it printed was lost.
        GuestMessage[] first = seen.Take(2).ToArray();
        Assert.AreEqual(GuestMessageKind.Heartbeat, first[0].Kind, "the guest's first line");
        Assert.AreEqual(1u, first[0].Sequence);
        Assert.AreEqual(GuestMessageKind.Ready, first[1].Kind, "the line after the first heartbeat");
        // Paused (-S) until `cont`, its console the agent's own inherited listener (wait=on).
        Assert.Contains("-S", vm.Arguments);
        Assert.IsTrue(vm.Arguments.Any(a => a.StartsWith("socket,id=serial0,fd=", StringComparison.Ordinal) && a.EndsWith(",server=on,wait=on", StringComparison.Ordinal)), string.Join(' ', vm.Arguments));
        var steps = vm.StartSteps!;
        Assert.IsTrue(steps.SerialConnectedMs > 0 && steps.SerialConnectedMs <= steps.SpawnedMs && steps.SpawnedMs <= steps.QmpReadyMs && steps.QmpReadyMs <= steps.RunningMs, steps.ToString());
        Assert.IsTrue(steps.FirstLineMs >= steps.RunningMs + 150, "read only after the hook: " + steps);
    }
}
