using System;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Vmm.Xen;

namespace Stratos.Island.Agent.Vmm.Tests.Xen;

[TestClass]
public sealed class XlConfigTests
{
    private static XenDomainSpec Spec(string? cmdline = "console=hvc0 quiet", string kernel = "/boot/vmlinuz") => new()
    {
        Name = "linux-1",
        Kernel = kernel,
        Ramdisk = "/boot/initramfs.cpio.gz",
        Cmdline = cmdline,
        MemoryMib = 96,
        Vcpus = 2,
    };

    [TestMethod]
    public void A_pv_domain_config_names_every_field_and_hands_every_lifecycle_decision_back()
    {
        string text = XlConfig.Generate(Spec(), checkFiles: false);
        StringAssert.Contains(text, "name = \"linux-1\"\n");
        StringAssert.Contains(text, "type = \"pv\"\n");
        StringAssert.Contains(text, "kernel = \"/boot/vmlinuz\"\n");
        StringAssert.Contains(text, "ramdisk = \"/boot/initramfs.cpio.gz\"\n");
        StringAssert.Contains(text, "extra = \"console=hvc0 quiet\"\n");
        StringAssert.Contains(text, "memory = 96\n");
        StringAssert.Contains(text, "vcpus = 2\n");
        StringAssert.Contains(text, "on_poweroff = \"destroy\"\n");
        StringAssert.Contains(text, "on_reboot = \"destroy\"\n");
        StringAssert.Contains(text, "on_crash = \"preserve\"\n");
    }

    [TestMethod]
    public void Optional_fields_left_out_are_not_written()
    {
        string text = XlConfig.Generate(Spec(cmdline: null) with { Ramdisk = null }, checkFiles: false);
        Assert.IsFalse(text.Contains("ramdisk", StringComparison.Ordinal));
        Assert.IsFalse(text.Contains("extra", StringComparison.Ordinal));
    }

    [TestMethod]
    [DataRow("console=hvc0 \"x\"", "a double quote")]
    [DataRow("a\\b", "a backslash")]
    [DataRow("a\nname = \"evil\"", "a line break")]
    public void A_value_xl_could_misread_is_refused_naming_the_field(string cmdline, string what)
    {
        var e = Assert.ThrowsExactly<VmmException>(() => XlConfig.Generate(Spec(cmdline), checkFiles: false));
        Assert.AreEqual(VmmErrorKind.InvalidSpec, e.Kind);
        StringAssert.Contains(e.Message, "'cmdline'");
        StringAssert.Contains(e.Message, what);
    }

    [TestMethod]
    public void A_bad_name_a_relative_kernel_and_a_missing_file_are_each_named()
    {
        var name = Assert.ThrowsExactly<VmmException>(() => XlConfig.Generate(Spec() with { Name = "Bad Name" }, checkFiles: false));
        StringAssert.Contains(name.Message, "'name'");
        var relative = Assert.ThrowsExactly<VmmException>(() => XlConfig.Generate(Spec(kernel: "vmlinuz"), checkFiles: false));
        StringAssert.Contains(relative.Message, "'kernel'");
        StringAssert.Contains(relative.Message, "absolute");
        string missing = Path.Combine(Path.GetTempPath(), "stratos-no-such-kernel-" + Guid.NewGuid().ToString("N"));
        var file = Assert.ThrowsExactly<VmmException>(() => XlConfig.Generate(Spec(kernel: missing)));
        Assert.AreEqual(VmmErrorKind.FileMissing, file.Kind);
        StringAssert.Contains(file.Message, missing);
    }
}
