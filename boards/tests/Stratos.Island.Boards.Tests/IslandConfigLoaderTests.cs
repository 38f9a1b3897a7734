using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class IslandConfigLoaderTests
{
    private static readonly string BoardsDir = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);
    private static readonly string ConfigPath = Path.Combine(BoardsDir, "virtual", IslandConfigLoader.ConfigFileName);
    private static readonly BoardDescriptor Board = BoardLoader.LoadById(BoardsDir, "virtual");

    [TestMethod]
    public void Demo_configuration_loads_and_converts_to_VmDefinitions()
    {
        IslandConfig config = IslandConfigLoader.Load(ConfigPath, Board);
        Assert.HasCount(3, config.Vms);
        VmDefinition baseVm = config.Vms[0];
        VmDefinition web = config.Vms[1];
        Assert.AreEqual(1u, baseVm.VmId);
        Assert.AreEqual("base", baseVm.Name);
        Assert.AreEqual(Criticality.AsilB, baseVm.Criticality);
        Assert.AreEqual(SafeAction.RestartVm, baseVm.SafeAction);
        CollectionAssert.AreEqual(new uint[] { 1 }, baseVm.PowerDomains.ToArray());
        Assert.AreEqual(10u, baseVm.Supervision.Alive.ExpectedIndications);
        Assert.AreEqual(100u, baseVm.Supervision.Alive.ReferenceCycles);
        Assert.HasCount(1, baseVm.Supervision.Deadlines);
        Assert.HasCount(2, baseVm.Supervision.Logical.Transitions);
        Assert.AreEqual("microvm", baseVm.Vmm.Machine);
        Assert.AreEqual("hil-tests/guest/build/heartbeat.elf", baseVm.Vmm.Kernel);
        Assert.AreEqual(2u, web.VmId);
        CollectionAssert.AreEqual(new uint[] { 1 }, web.DependsOn.ToArray());
        CollectionAssert.AreEqual(new uint[] { 2 }, web.PowerDomains.ToArray());
        Assert.IsTrue(web.Autostart);
        Assert.IsLessThanOrEqualTo(2048, Google.Protobuf.MessageExtensions.ToByteArray(baseVm).Length);
        Assert.IsFalse(baseVm.Vmm.HeartbeatPort);
        Assert.AreEqual(VmmAccelerator.Tcg, baseVm.Vmm.Accelerator);
        StringAssert.Contains(baseVm.Vmm.Cmdline, "hb.idle=hlt");
    }

    [TestMethod]
    public void The_linux_vm_asks_for_the_guest_contract_devices_and_tcg()
    {
        VmDefinition linux = IslandConfigLoader.Load(ConfigPath, Board).Vms[2];
        Assert.AreEqual("linux", linux.Name);
        Assert.AreEqual("hil-tests/guest/build/linux/vmlinux", linux.Vmm.Kernel);
        Assert.AreEqual("hil-tests/guest/build/linux/initramfs.cpio.gz", linux.Vmm.Initrd);
        Assert.AreEqual(VmmAccelerator.Tcg, linux.Vmm.Accelerator);
        Assert.IsTrue(linux.Vmm.HeartbeatPort);
        Assert.IsTrue(linux.Vmm.Watchdog);
        Assert.IsTrue(linux.Vmm.PanicDevice);
        Assert.AreEqual(30000u, linux.StartTimeoutMs);
    }

    [TestMethod]
    public void An_unknown_accelerator_and_an_over_long_initrd_are_named()
    {
        BoardDescriptorException error = LoadVariant(t => t.Replace("accelerator: tcg", "accelerator: hvf")
            .Replace("initrd: hil-tests/guest/build/linux/initramfs.cpio.gz", "initrd: " + new string('i', 113)), out _);
        string all = string.Join("\n", error.Errors);
        StringAssert.Contains(all, "accelerator: 'hvf' is not one of auto, kvm, tcg");
        StringAssert.Contains(all, "initrd");
    }

    [TestMethod]
    public void Config_hash_is_stable_and_changes_with_the_configuration()
    {
        IslandConfig first = IslandConfigLoader.Load(ConfigPath, Board);
        IslandConfig second = IslandConfigLoader.Load(ConfigPath, Board);
        Assert.AreEqual(first.ConfigHash, second.ConfigHash);
        Assert.AreNotEqual(0u, first.ConfigHash);
        VmDefinition changed = first.Vms[1].Clone();
        changed.Vmm.MemoryMib += 1;
        Assert.AreNotEqual(first.ConfigHash, IslandConfigLoader.ComputeHash([first.Vms[0], changed]));
    }

    private static BoardDescriptorException LoadVariant(Func<string, string> edit, out string path)
    {
        string text = File.ReadAllText(ConfigPath);
        string edited = edit(text);
        Assert.AreNotEqual(text, edited, "the edit did not change the configuration");
        path = Path.Combine(Path.GetTempPath(), "stratos-vms-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, edited);
        try
        {
            string file = path;
            return Assert.ThrowsExactly<BoardDescriptorException>(() => IslandConfigLoader.Load(file, Board));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Depends_on_cycle_is_reported_with_the_names_of_the_cycle()
    {
        BoardDescriptorException error = LoadVariant(t => t.Replace("    boot_order: 1\n", "    boot_order: 1\n    depends_on: [web]\n"), out string path);
        Assert.IsTrue(error.Errors.Any(e => e.StartsWith(path + ": vms: depends_on cycle: ", StringComparison.Ordinal) &&
            (e.Contains("base -> web -> base", StringComparison.Ordinal) || e.Contains("web -> base -> web", StringComparison.Ordinal))),
            string.Join("\n", error.Errors));
    }

    [TestMethod]
    public void Unknown_dependency_is_reported()
    {
        BoardDescriptorException error = LoadVariant(t => t.Replace("depends_on: [base]", "depends_on: [bsae]"), out string path);
        StringAssert.Contains(error.Message, path + ": vms[1].depends_on[0]: no VM named 'bsae'");
    }

    [TestMethod]
    public void Unknown_power_domain_is_reported_with_the_board_domains()
    {
        BoardDescriptorException error = LoadVariant(t => t.Replace("power_domains: [vm-web]", "power_domains: [vm-www]"), out string path);
        StringAssert.Contains(error.Message, path + ": vms[1].power_domains[0]: board 'virtual' has no power domain 'vm-www'");
    }

    [TestMethod]
    public void Invalid_and_duplicate_names_are_reported()
    {
        BoardDescriptorException invalid = LoadVariant(t => t.Replace("- name: web", "- name: Web_Server"), out string path);
        StringAssert.Contains(invalid.Message, path + ": vms[1].name: 'Web_Server' must be 1-32 bytes of [a-z0-9-]");
        BoardDescriptorException duplicate = LoadVariant(t => t.Replace("- name: web", "- name: base").Replace("depends_on: [base]", "depends_on: []"), out string path2);
        StringAssert.Contains(duplicate.Message, path2 + ": vms[1].name: duplicate VM name 'base'");
    }

    [TestMethod]
    public void Checkpoint_outside_the_board_limit_is_reported()
    {
        BoardDescriptorException error = LoadVariant(t => t.Replace("{ from: 2, to: 3 }", "{ from: 2, to: 9 }"), out string path);
        StringAssert.Contains(error.Message, path + ": vms[0].supervision.logical.transitions[1].to: checkpoint ids are 1..8");
    }

    [TestMethod]
    public void More_vms_than_the_board_allows_are_reported()
    {
        string text = File.ReadAllText(ConfigPath);
        int web = text.IndexOf("  - name: web", StringComparison.Ordinal);
        string one = text[web..text.IndexOf("\n\n", web, StringComparison.Ordinal)];   // web's block only
        string many = text + string.Concat(Enumerable.Range(0, 30).Select(i => "\n" + one.Replace("- name: web", "- name: web" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        BoardDescriptorException error = LoadVariant(_ => many, out string path);
        StringAssert.Contains(error.Message, path + ": vms: 33 VMs but the board allows max_vms = 32");
    }

    [TestMethod]
    public void Unknown_field_in_a_vm_is_reported()
    {
        BoardDescriptorException error = LoadVariant(t => t.Replace("      vcpus: 1\n", "      vcpus: 1\n      cpus: 2\n"), out string path);
        StringAssert.Contains(error.Message, path + ": vms[0].vmm.cpus: unknown field");
    }
}
