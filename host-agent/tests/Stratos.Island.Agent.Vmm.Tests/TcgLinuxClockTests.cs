using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>When the backend tells a guest its TSC rate (docs/guests.md "Accelerator and time under TCG").</summary>
[TestClass]
public sealed class TcgLinuxClockTests
{
    [TestMethod]
    public void A_bzimage_is_a_linux_kernel_and_the_heartbeat_guest_is_not()
    {
        Assert.IsTrue(TcgLinuxClock.IsLinuxKernel(LinuxGuest.KernelPath));
        Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(GuestBuild.KernelPath));
        Assert.IsFalse(TcgLinuxClock.IsLinuxKernel("/no/such/kernel"));
    }

    [TestMethod]
    public void Only_a_linux_kernel_on_microvm_under_tcg_gets_tsc_early_khz()
    {
        Assert.IsNotNull(TcgLinuxClock.HostTscKhz, "this host's TSC rate is readable");
        string expected = "console=ttyS0 tsc_early_khz=" + TcgLinuxClock.HostTscKhz;

        Assert.AreEqual(expected, TcgLinuxClock.Apply("console=ttyS0", underTcg: true, "microvm", LinuxGuest.KernelPath));
        Assert.AreEqual("console=ttyS0", TcgLinuxClock.Apply("console=ttyS0", underTcg: false, "microvm", LinuxGuest.KernelPath), "KVM has kvm-clock");
        Assert.AreEqual("console=ttyS0", TcgLinuxClock.Apply("console=ttyS0", underTcg: true, "q35", LinuxGuest.KernelPath), "q35 has HPET");
        Assert.AreEqual("console=ttyS0", TcgLinuxClock.Apply("console=ttyS0", underTcg: true, "microvm", GuestBuild.KernelPath), "not a Linux kernel");
        Assert.AreEqual("tsc_early_khz=1", TcgLinuxClock.Apply("tsc_early_khz=1", underTcg: true, "microvm", LinuxGuest.KernelPath), "the definition's own value wins");
        Assert.AreEqual("tsc_early_khz=" + TcgLinuxClock.HostTscKhz, TcgLinuxClock.Apply(null, underTcg: true, "microvm", LinuxGuest.KernelPath));
    }
}
