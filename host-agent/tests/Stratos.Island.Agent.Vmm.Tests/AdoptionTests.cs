using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>
/// Re-adoption of QEMUs a previous backend (agent run) left running, on real QEMU. The "previous
/// agent" lives in this process and lets go of its VM with DetachAsync, as a dying agent's
/// connections close.
/// </summary>
[TestClass]
public sealed class AdoptionTests : VmHarnessTest
{
    [TestMethod]
    public async Task Qemu_stdio_is_a_log_file_not_pipes_and_the_recorded_pid_is_qemu()
    {
        var vm = await Harness.StartAsync(VmHarness.Spec("stdio"));
        Assert.AreEqual("/dev/null", ReadLink($"/proc/{vm.Pid}/fd/0"));
        Assert.AreEqual(vm.LogPath, ReadLink($"/proc/{vm.Pid}/fd/1"));
        Assert.AreEqual(vm.LogPath, ReadLink($"/proc/{vm.Pid}/fd/2"));
        Assert.StartsWith("qemu-system", Path.GetFileName(File.ReadAllText($"/proc/{vm.Pid}/cmdline").Split('\0')[0]), "the recorded pid is QEMU itself, not a wrapper");
    }

    [TestMethod]
    public async Task Successor_adopts_a_running_qemu_with_heartbeats_tap_and_control()
    {
        var spec = VmHarness.Spec("adopt", "hb.rate=20");
        var previous = await Harness.StartAsync(spec);
        int pid = previous.Pid;
        await previous.DetachAsync();
        Assert.IsTrue(QemuBackend.IsAlive(pid), "QEMU outlives the backend that let go of it");

        var successor = Harness.NewBackend();
        var adoption = await successor.AdoptAsync(name => name == "adopt" ? spec : null);
        Assert.IsEmpty(adoption.Stale);
        Assert.HasCount(1, adoption.Adopted);
        var vm = adoption.Adopted[0];
        Assert.AreEqual(pid, vm.Pid);
        Assert.IsTrue(vm.Adopted);
        Assert.AreEqual(ObservedVmState.Running, vm.State);
        Assert.AreSame(vm, successor.Vms.Single());

        long before = vm.Serial!.HeartbeatCount;
        await VmHarness.WaitForAsync(() => vm.Serial.HeartbeatCount >= before + 3, "heartbeats at the successor");
        using (var tap = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await tap.ConnectAsync(new UnixDomainSocketEndPoint(vm.ConsoleSocketPath));
            await tap.SendAsync(Encoding.ASCII.GetBytes("rate 30\n"), SocketFlags.None);
            await vm.Serial.SendCommandAndWaitAsync("rate 25", VmHarness.StepTimeout);
        }

        await vm.PauseAsync();
        Assert.AreEqual((ObservedVmState.Paused, "paused"), await vm.QueryStatusAsync());
        var end = await vm.StopAsync(TimeSpan.FromMilliseconds(200));
        Assert.AreEqual(ObservedVmState.NotRunning, end.State);
        Assert.IsFalse(QemuBackend.IsAlive(pid));
        Assert.IsFalse(Directory.Exists(vm.RuntimeDirectory));
    }

    [TestMethod]
    public async Task Adopted_paused_qemu_is_reported_paused_and_its_death_is_observed()
    {
        var spec = VmHarness.Spec("adoptp", "hb.rate=20");
        var previous = await Harness.StartAsync(spec);
        await previous.PauseAsync();
        int pid = previous.Pid;
        await previous.DetachAsync();

        var vm = (await Harness.NewBackend().AdoptAsync(_ => spec)).Adopted.Single();
        Assert.AreEqual(ObservedVmState.Paused, vm.State);
        await vm.ResumeAsync();
        long before = vm.Serial!.HeartbeatCount;
        await VmHarness.WaitForAsync(() => vm.Serial.HeartbeatCount >= before + 2, "heartbeats after resume");

        Process.GetProcessById(pid).Kill();
        var end = await vm.Ended.WaitAsync(VmHarness.StepTimeout);
        Assert.AreEqual(ObservedVmState.Crashed, end.State);
        Assert.IsNull(end.ExitStatus, "an adopted QEMU is not our child: no exit status");
        Assert.IsFalse(Directory.Exists(vm.RuntimeDirectory));
    }

    [TestMethod]
    public async Task Gone_foreign_and_unknown_leftovers_are_cleaned_without_touching_foreign_processes()
    {
        var spec = VmHarness.Spec("unknown");
        var previous = await Harness.StartAsync(spec);
        int unknownPid = previous.Pid;
        await previous.DetachAsync();

        // A folder whose pid is alive but is not QEMU (this test process): never touched.
        string foreign = Directory.CreateDirectory(Path.Combine(Harness.RuntimeRoot, "foreign")).FullName;
        File.WriteAllText(Path.Combine(foreign, "qemu.pid"), Environment.ProcessId + "\n");
        // A folder whose QEMU is gone.
        string gone = Directory.CreateDirectory(Path.Combine(Harness.RuntimeRoot, "gone")).FullName;
        File.WriteAllText(Path.Combine(gone, "qemu.pid"), "999999999\n");

        var adoption = await Harness.NewBackend().AdoptAsync(_ => null);
        Assert.IsEmpty(adoption.Adopted);
        Assert.HasCount(3, adoption.Stale);
        var unknown = adoption.Stale.Single(s => s.VmName == "unknown");
        Assert.IsTrue(unknown.Killed);
        Assert.Contains("unknown VM 'unknown'", unknown.Detail);
        Assert.IsFalse(QemuBackend.IsAlive(unknownPid));
        Assert.IsFalse(adoption.Stale.Single(s => s.VmName == "foreign").Killed);
        Assert.IsTrue(QemuBackend.IsAlive(Environment.ProcessId));
        Assert.IsFalse(Directory.Exists(foreign));
        Assert.IsFalse(Directory.Exists(gone));
    }

    private static string ReadLink(string path) => new FileInfo(path).LinkTarget ?? "";
}
