using System;
using System.Buffers.Binary;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>When the backend tells a guest its TSC rate (docs/guests.md "Accelerator and time under TCG").</summary>
[TestClass]
public sealed class TcgLinuxClockTests
{
    [TestMethod]
    public void A_bzimage_and_its_vmlinux_are_linux_kernels_and_the_heartbeat_guest_is_not()
    {
        Assert.IsTrue(TcgLinuxClock.IsLinuxKernel(LinuxGuest.BzImagePath), "the packaged bzImage");
        Assert.IsTrue(TcgLinuxClock.IsLinuxKernel(LinuxGuest.KernelPath), "the vmlinux unpacked from it");
        Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(GuestBuild.KernelPath));
        Assert.IsFalse(TcgLinuxClock.IsLinuxKernel("/no/such/kernel"));
    }

    [TestMethod]
    public void An_elf_kernel_is_linux_only_by_its_xen_guest_os_note_and_a_broken_note_is_not_an_error()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("tcgclock-");
        string Write(string name, byte[] bytes)
        {
            string path = Path.Combine(dir.FullName, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        try
        {
            Assert.IsTrue(TcgLinuxClock.IsLinuxKernel(Write("linux", Elf64WithNote("Xen", 6, "linux"))));
            Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(Write("other-os", Elf64WithNote("Xen", 6, "minios"))), "another guest OS");
            Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(Write("other-type", Elf64WithNote("Xen", 7, "linux"))), "another Xen note");
            Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(Write("other-owner", Elf64WithNote("GNU", 6, "linux"))), "another note owner");
            byte[] huge = Elf64WithNote("Xen", 6, "linux");
            BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(64 + 56), 0xFFFFFFF0);   // namesz
            Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(Write("bad-size", huge)), "a note size past its segment");
            Assert.IsFalse(TcgLinuxClock.IsLinuxKernel(Write("truncated", huge[..80])), "program headers past the end");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A minimal ELF64 (little-endian): the header, one PT_NOTE program header, one note.</summary>
    private static byte[] Elf64WithNote(string owner, uint type, string text)
    {
        static byte[] Padded(string s)
        {
            byte[] b = new byte[(s.Length + 1 + 3) & ~3];
            System.Text.Encoding.ASCII.GetBytes(s).CopyTo(b, 0);
            return b;
        }

        byte[] name = Padded(owner), desc = Padded(text);
        const int headers = 64 + 56;
        byte[] elf = new byte[headers + 12 + name.Length + desc.Length];
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }.CopyTo(elf, 0);
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(0x20), 64);        // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x36), 56);       // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x38), 1);        // e_phnum
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(64), 4);          // p_type PT_NOTE
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(64 + 0x08), headers);
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(64 + 0x20), elf.Length - headers);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(headers), (uint)owner.Length + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(headers + 4), (uint)text.Length + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(headers + 8), type);
        name.CopyTo(elf, headers + 12);
        desc.CopyTo(elf, headers + 12 + name.Length);
        return elf;
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
