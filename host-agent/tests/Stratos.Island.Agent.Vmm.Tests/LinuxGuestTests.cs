using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>
/// The Linux guest (Debian's kernel + the project's initramfs) under TCG, supervised through the
/// standard devices of docs/guests.md: the virtio-serial heartbeat port, i6300esb, pvpanic, and a
/// reboot the guest announces. Each test boots the guest once under TCG; with the E2E and HIL boards
/// beside them five such boots overloaded a 2-core CI machine, so only the bad-input test runs in
/// ./test.sh's default set and the other four are tagged full (./test.sh --full).
/// </summary>
[TestClass]
public sealed class LinuxGuestTests : VmHarnessTest
{
    private readonly ConcurrentQueue<GuestMessage> _port = new();
    private readonly ConcurrentQueue<string> _console = new();

    private async Task<QemuVm> BootAsync(string name = "linux")
    {
        QemuVm vm = await Harness.Backend.StartAsync(LinuxGuest.Spec(name), running =>
        {
            running.StateChanged += Harness.Observations.Enqueue;
            running.HeartbeatPort!.MessageReceived += _port.Enqueue;
            running.Serial!.LineReceived += _console.Enqueue;
        });
        await VmHarness.WaitForAsync(() => _port.Any(m => m.Kind == GuestMessageKind.Ready), "READY on the heartbeat port", LinuxGuest.BootTimeout);
        return vm;
    }

    [TestMethod]
    [TestCategory("full")]
    [Timeout(120_000)]
    public async Task Linux_guest_under_tcg_sends_its_heartbeats_on_the_virtio_serial_port_not_the_console()
    {
        QemuVm vm = await BootAsync();

        Assert.IsFalse(vm.UsesKvm);
        Assert.AreSame(vm.HeartbeatPort, vm.Supervision);
        CollectionAssert.Contains(vm.Arguments.ToList(), $"virtserialport,bus=virtio-serial0.0,chardev=heartbeat0,name={QemuVm.HeartbeatPortName}");
        StringAssert.Contains(vm.Arguments[vm.Arguments.ToList().IndexOf("-append") + 1], "tsc_early_khz=");
        await VmHarness.WaitForAsync(() => _port.Count(m => m.Kind == GuestMessageKind.Heartbeat) >= 5, "5 heartbeats", TimeSpan.FromSeconds(10));
        uint[] sequence = _port.Where(m => m.Kind == GuestMessageKind.Heartbeat).Select(m => m.Sequence).Take(5).ToArray();
        CollectionAssert.AreEqual(new uint[] { 1, 2, 3, 4, 5 }, sequence);
        Assert.IsTrue(_console.Any(l => l.Contains("stratos guest up", StringComparison.Ordinal)), "init's line on the serial console");
        Assert.IsFalse(_console.Any(l => l.StartsWith("HB ", StringComparison.Ordinal)), "no heartbeat on the console");
        Assert.AreEqual(0, vm.HeartbeatPort!.MalformedCount);
    }

    [TestMethod]
    [TestCategory("full")]
    [Timeout(120_000)]
    public async Task A_hung_guest_trips_the_i6300esb_and_is_observed_as_hung_while_qemu_keeps_running()
    {
        QemuVm vm = await BootAsync();

        await vm.HeartbeatPort!.SendCommandAndWaitAsync("hang", TimeSpan.FromSeconds(10));
        var hungAt = DateTime.UtcNow;
        await VmHarness.WaitForAsync(() => Harness.Observations.Any(o => o.State == ObservedVmState.Hung), "the WATCHDOG observation", TimeSpan.FromSeconds(15));

        VmObservation hung = Harness.Observations.First(o => o.State == ObservedVmState.Hung);
        StringAssert.Contains(hung.Detail, "watchdog");
        StringAssert.Contains(hung.Detail, "none");
        // Timeout 2 s (split over the two stages), pinged every 1 s: it fires 1-2 s after the hang.
        Assert.IsLessThan(8.0, (hung.At - hungAt).TotalSeconds);
        Assert.AreEqual(ObservedVmState.Running, vm.State, "QEMU's action is none: the island decides");
        Assert.IsFalse(vm.Ended.IsCompleted);
    }

    [TestMethod]
    [TestCategory("full")]
    [Timeout(120_000)]
    public async Task A_kernel_panic_reaches_qemu_through_pvpanic_and_is_a_crash()
    {
        QemuVm vm = await BootAsync();

        await vm.HeartbeatPort!.SendCommandAndWaitAsync("crash", TimeSpan.FromSeconds(10));
        VmObservation end = await vm.Ended.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.AreEqual(ObservedVmState.Crashed, end.State, end.Detail);
        StringAssert.Contains(end.Detail, "pvpanic");
    }

    [TestMethod]
    [TestCategory("full")]
    [Timeout(120_000)]
    public async Task A_reboot_the_guest_announces_is_reported_as_exited_not_as_a_crash()
    {
        QemuVm vm = await BootAsync();

        await vm.HeartbeatPort!.SendCommandAndWaitAsync("reboot", TimeSpan.FromSeconds(10));
        VmObservation end = await vm.Ended.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.IsTrue(_port.Any(m => m.Kind == GuestMessageKind.Shutdown && m.Text == "reboot"), "SHUTDOWN reboot on the port");
        Assert.AreEqual(ObservedVmState.Exited, end.State, end.Detail);
        StringAssert.Contains(end.Detail, "rebooted");
    }

    [TestMethod]
    [Timeout(180_000)]
    public async Task A_guest_flooding_its_port_with_garbage_stalls_neither_its_reader_nor_another_vms_console()
    {
        QemuVm linux = await BootAsync();
        // The bystander idles in hlt under TCG (~4 % of a core): a polling guest would itself load
        // the machine (docs/guests.md, "Accelerator and time under TCG").
        QemuVm other = await Harness.StartAsync(VmHarness.Spec("beat", "hb.rate=50 hb.idle=hlt", accelerator: Accelerator.Tcg));
        var gaps = new ConcurrentQueue<double>();
        var last = System.Diagnostics.Stopwatch.StartNew();
        other.Serial!.Heartbeat += _ =>
        {
            gaps.Enqueue(last.Elapsed.TotalMilliseconds);
            last.Restart();
        };

        // 20 rounds: 1.3 MB of random bytes, 100 000 "HB 1" lines, 20 over-long lines, then the
        // port closed and reopened 100 times by the guest.
        await linux.HeartbeatPort!.SendCommandAndWaitAsync("flood 20", TimeSpan.FromSeconds(10));
        await VmHarness.WaitForAsync(() => _port.Count(m => m.Kind == GuestMessageKind.Ready) >= 2, "heartbeats resumed after the flood (second READY)", TimeSpan.FromSeconds(90));
        int before = _port.Count(m => m.Kind == GuestMessageKind.Heartbeat);
        await VmHarness.WaitForAsync(() => _port.Count(m => m.Kind == GuestMessageKind.Heartbeat) >= before + 5, "5 more heartbeats after the flood", TimeSpan.FromSeconds(10));

        Assert.IsGreaterThan(0L, linux.HeartbeatPort.MalformedCount, "the binary noise and long lines were rejected as malformed");
        Assert.IsGreaterThan(10_000, _port.Count(m => m.Kind == GuestMessageKind.Heartbeat), "the HB storm was read, not stalled");
        // The other VM's console kept its 50 ms rhythm: no gap near a stall (the TCG hosts here
        // are loaded; 1 s is 20 periods).
        Assert.IsLessThan(1000.0, gaps.Max(), $"largest gap between the other VM's heartbeats: {gaps.Max():0} ms");
        Assert.AreEqual(ObservedVmState.Running, linux.State);
        Assert.AreEqual(ObservedVmState.Running, other.State);
    }
}
