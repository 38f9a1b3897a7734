using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Boards.Tests;

/// <summary>The real boards: descriptors, vendor memory maps, and agreement with the devicetree fragments (compiled with dtc).</summary>
[TestClass]
public sealed class RealBoardTests
{
    private static readonly string[] RealBoards = ["am62x-sk", "am64x-sk", "imx8mp-evk", "stm32mp157c-dk2", "zcu102"];

    [TestMethod]
    public void Every_board_in_the_repository_validates_with_its_fragments_on_every_kernel_it_targets()
    {
        var ids = BoardValidator.ListBoardIds(BoardFolder.RepoBoardsDir);
        CollectionAssert.IsSubsetOf(RealBoards.Append("virtual").ToList(), ids.ToList());
        foreach (string id in ids)
        {
            BoardValidation result = BoardValidator.Validate(BoardFolder.RepoBoardsDir, id);
            Assert.IsTrue(result.Ok, id + ":\n" + string.Join("\n", result.Errors));
            if (RealBoards.Contains(id))
            {
                UpstreamSpec upstream = UpstreamSpec.Load(Path.Combine(BoardFolder.RepoBoardsDir, id, UpstreamSpec.FileName));
                var expected = new[] { "board.yaml", "upstream.yaml", "zephyr.overlay", "zephyr.conf" }.Concat(upstream.Kernels.Select(k => "linux.dtso on Linux " + k));
                CollectionAssert.AreEquivalent(expected.ToList(), result.Checked.Select(c => c.Split(" (")[0]).ToList(), id);
            }
        }
    }

    [TestMethod]
    public void Every_real_board_targets_a_pinned_kernel_and_the_zephyr_overlay_compiles_against_its_listed_labels_only()
    {
        foreach (string id in RealBoards)
        {
            string dir = Path.Combine(BoardFolder.RepoBoardsDir, id);
            UpstreamSpec upstream = UpstreamSpec.Load(Path.Combine(dir, UpstreamSpec.FileName));
            Assert.IsNotEmpty(upstream.Kernels, id);
            string overlay = File.ReadAllText(Path.Combine(dir, "zephyr.overlay"));
            CollectionAssert.IsSubsetOf(DeviceTree.UndefinedLabels(overlay).ToList(), upstream.ZephyrLabels.Select(l => l.Label).ToList(), id);
            DtNode zephyr = DeviceTree.CompileAndRead(DeviceTree.ZephyrStub(overlay, upstream.ZephyrLabels), overlay: false, "zephyr.overlay");
            Assert.IsTrue(zephyr.Child("chosen")?.Properties.ContainsKey("zephyr,ipc_shm") == true, id);
            Assert.IsTrue(upstream.ZephyrLabels.All(l => l.Commit.Length == 40 && l.File.StartsWith("dts/", StringComparison.Ordinal)), id + ": every label names its Zephyr file and commit");
        }
    }

    [TestMethod]
    public void Vendor_memory_maps_are_the_ones_their_linux_device_trees_reserve()
    {
        BoardDescriptor stm = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "stm32mp157c-dk2");
        Assert.AreEqual(new CarveoutSpec("vdev0vring0", 0x10040000, 0x1000, CarveoutUse.Vring0), stm.Memory!.Carveouts[1]);
        Assert.AreEqual(0x10042000UL, stm.Link.SharedMemory!.Physical(stm.Link.SharedMemory.Buffers.Base));
        Assert.IsTrue(stm.Link.SharedMemory.ResourceTableInImage);
        Assert.AreEqual("m4", stm.Remoteproc!.Name);
        Assert.AreEqual(0x40000UL, stm.ImageBudgetBytes);
        Assert.AreEqual("wwdg1", stm.Island.HardwareWatchdog.Device);

        BoardDescriptor imx = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "imx8mp-evk");
        Assert.AreEqual(0x550ff000UL, imx.Link.SharedMemory!.Physical(imx.Link.SharedMemory.ResourceTable));
        Assert.AreEqual("mu", imx.Doorbell!.Kind);

        BoardDescriptor am62 = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "am62x-sk");
        Assert.AreEqual(new CarveoutSpec("m4f-dma-memory", 0x9cb00000, 0x100000, CarveoutUse.Ipc), am62.Memory!.Carveouts[0]);
        Assert.AreEqual("5000000.m4fss", am62.Remoteproc!.Name);

        BoardDescriptor zcu = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "zcu102");
        Assert.AreEqual(0x3ed40000UL, zcu.Link.SharedMemory!.PhysBase);
        Assert.AreEqual("cortex-r5f", zcu.Island.Core);

        BoardDescriptor am64 = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "am64x-sk");
        Assert.AreEqual(0xa0100000UL, am64.Memory!.FindUse(CarveoutUse.IslandImage)!.Base);
    }

    internal static void AssertInvalid(BoardFolder folder, string file, string field, string fragment)
    {
        BoardValidation result = folder.Validate();
        string prefix = folder.PathOf(file) + ": " + field;
        Assert.IsTrue(result.Errors.Any(e => e.StartsWith(prefix, StringComparison.Ordinal) && e.Contains(fragment, StringComparison.Ordinal)),
            "expected '" + prefix + "...' with '" + fragment + "', got:\n" + string.Join("\n", result.Errors));
    }

    [TestMethod]
    public void Misaligned_carveout_is_reported()
    {
        using var folder = new BoardFolder("stm32mp157c-dk2");
        folder.Edit("board.yaml", "{ name: retram, base: 0x38000000,", "{ name: retram, base: 0x38000800,");
        AssertInvalid(folder, "board.yaml", "memory.carveouts[4].base", "not aligned to 4 KiB");
    }

    [TestMethod]
    public void Overlapping_carveouts_are_reported()
    {
        using var folder = new BoardFolder("imx8mp-evk");
        folder.Edit("board.yaml", "{ name: vdev0vring1, base: 0x55008000, size: 0x8000,", "{ name: vdev0vring1, base: 0x55004000, size: 0x8000,");
        AssertInvalid(folder, "board.yaml", "memory.carveouts[1]", "overlaps memory.carveouts[0] (vdev0vring0");
    }

    [TestMethod]
    public void Carveout_outside_RAM_is_reported()
    {
        using var folder = new BoardFolder("am62x-sk");
        folder.Edit("board.yaml", "{ name: m4f-memory, base: 0x9cc00000,", "{ name: m4f-memory, base: 0x7cc00000,");
        AssertInvalid(folder, "board.yaml", "memory.carveouts[1]", "lies outside RAM");
    }

    [TestMethod]
    public void Vring_that_does_not_fit_its_carveout_is_reported()
    {
        using var folder = new BoardFolder("stm32mp157c-dk2");
        // 256 descriptors need 0x2806 bytes at align 0x10... and more with align 0x1000: far beyond the 4 KiB carve-out.
        folder.Edit("board.yaml", "- { da: 0x0, align: 0x10, num: 16 }", "- { da: 0x0, align: 0x10, num: 256 }");
        AssertInvalid(folder, "board.yaml", "link.shared_memory.vrings[0]", "carve-out vdev0vring0 ends at 0x10041000");
    }

    [TestMethod]
    public void Buffer_pool_outside_its_carveout_is_reported()
    {
        using var folder = new BoardFolder("zcu102");
        folder.Edit("board.yaml", "count: 512", "count: 4096");
        AssertInvalid(folder, "board.yaml", "link.shared_memory.buffers", "grow the carve-out");
    }

    [TestMethod]
    public void Buffer_count_that_is_not_a_power_of_two_is_reported_on_a_real_board()
    {
        using var folder = new BoardFolder("am64x-sk");
        folder.Edit("board.yaml", "count: 512", "count: 500");
        AssertInvalid(folder, "board.yaml", "link.shared_memory.buffers.count", "power of two");
    }

    [TestMethod]
    public void Unknown_flashing_method_and_missing_method_section_are_reported()
    {
        using var folder = new BoardFolder("stm32mp157c-dk2");
        folder.Edit("board.yaml", "flashing: [remoteproc, openocd]", "flashing: [remoteproc, jlink, nanoff]");
        AssertInvalid(folder, "board.yaml", "flashing[1]", "'jlink' is not one of");
        AssertInvalid(folder, "board.yaml", "flashing[2]", "needs a 'nanoff:' section");
    }

    [TestMethod]
    public void Unknown_power_domain_referenced_by_a_vm_is_reported()
    {
        using var folder = new BoardFolder("stm32mp157c-dk2");
        File.Copy(Path.Combine(BoardFolder.RepoBoardsDir, "virtual", "vms.yaml"), folder.PathOf("vms.yaml"));
        folder.Edit("vms.yaml", "power_domains: [vm-web]", "power_domains: [gpu]");
        AssertInvalid(folder, "vms.yaml", "vms[1].power_domains[0]", "has no power domain 'gpu'");
    }

    [TestMethod]
    public void Linux_fragment_with_a_different_reg_names_file_node_upstream_tree_and_fix()
    {
        using var folder = new BoardFolder("imx8mp-evk");
        folder.Edit("linux.dtso", "reg = <0 0x55008000 0 0x8000>;", "reg = <0 0x55008000 0 0x4000>;");
        AssertInvalid(folder, "linux.dtso", "/reserved-memory/vdev0vring1@55008000.reg",
            "is 0x55008000+0x4000 but board.yaml memory.carveouts[1] (vdev0vring1, 0x55008000+0x8000) (checked against arch/arm64/boot/dts/freescale/imx8mp-evk.dts (Linux 6.12, linux-source-6.12 ");
        AssertInvalid(folder, "linux.dtso", "/reserved-memory/vdev0vring1@55008000.reg", "(Linux 7.3, linux-source-7.3 ");
    }

    [TestMethod]
    public void Linux_fragment_whose_remoteproc_misses_a_carveout_is_reported()
    {
        using var folder = new BoardFolder("zcu102");
        folder.Edit("linux.dtso", "memory-region = <&rproc_0_fw_image>, <&island_buffers>,", "memory-region = <&rproc_0_fw_image>,");
        AssertInvalid(folder, "linux.dtso", "/remoteproc-split@ffe00000/r5f@0.memory-region", "does not hold board.yaml memory.carveouts[3] (vdev0buffer, 0x3ed48000+0x100000)");
    }

    [TestMethod]
    public void Linux_fragment_handing_the_remoteproc_a_region_not_in_board_yaml_is_reported()
    {
        using var folder = new BoardFolder("stm32mp157c-dk2");
        folder.Edit("linux.dtso", "memory-region = <&retram>,", "memory-region = <&mcuram>,");
        AssertInvalid(folder, "linux.dtso", "/ahb/m4@10000000.memory-region", "does not hold board.yaml memory.carveouts[4] (retram, 0x38000000+0x10000)");
        AssertInvalid(folder, "linux.dtso", "/ahb/m4@10000000.memory-region", "/reserved-memory/mcuram@30000000 (0x30000000+0x40000) is not in board.yaml memory.carveouts");
    }

    [TestMethod]
    public void Zephyr_overlay_with_another_shared_window_is_reported()
    {
        using var folder = new BoardFolder("imx8mp-evk");
        folder.Edit("zephyr.overlay", "reg = <0x55000000 0x500000>;", "reg = <0x55000000 0x400000>;");
        AssertInvalid(folder, "zephyr.overlay", "chosen.zephyr,ipc_shm", "board.yaml link.shared_memory says 0x55000000+0x500000");
    }

    [TestMethod]
    public void Zephyr_overlay_without_a_watchdog_alias_is_reported()
    {
        using var folder = new BoardFolder("am62x-sk");
        folder.Edit("zephyr.overlay", "watchdog0 = &mcu_rti0;", "");
        AssertInvalid(folder, "zephyr.overlay", "aliases.watchdog0", "missing");
    }

    [TestMethod]
    public void Zephyr_config_without_openamp_is_reported()
    {
        using var folder = new BoardFolder("zcu102");
        folder.Edit("zephyr.conf", "CONFIG_OPENAMP=y\n", "");
        AssertInvalid(folder, "zephyr.conf", "CONFIG_OPENAMP", "add 'CONFIG_OPENAMP=y'");
    }

    [TestMethod]
    public void Fragment_that_dtc_rejects_is_reported_with_its_file()
    {
        using var folder = new BoardFolder("imx8mp-evk");
        folder.Edit("linux.dtso", "no-map;\n\t\t};\n\n\t\tisland_vring0", "no-map\n\t\t};\n\n\t\tisland_vring0");
        AssertInvalid(folder, "linux.dtso", "dtc could not compile it", "syntax error");
    }

    [TestMethod]
    public void Zephyr_stub_declares_only_the_listed_labels_with_their_upstream_node_and_reg()
    {
        ZephyrLabelSpec[] labels =
        [
            new("mailbox", "mailbox@4c001000", "dts/arm/st/mp1/stm32mp157.dtsi", new string('a', 40), null, "st,stm32-ipcc-mailbox"),
            new("mcusram", "memory1@10000000", "dts/arm/st/mp1/stm32mp157.dtsi", new string('a', 40), (0x10000000, 0x50000), "mmio-sram"),
        ];
        string overlay = "/ { chosen { zephyr,ipc = &mailbox; }; shm: memory@0 { reg = <0 4>; }; x { p = <&shm>; }; }; &wwdg { status = \"okay\"; }; // &commented\n";
        CollectionAssert.AreEqual(new[] { "mailbox", "wwdg" }, DeviceTree.UndefinedLabels(overlay).ToList());
        string stub = DeviceTree.ZephyrStub(overlay, labels);
        StringAssert.Contains(stub, "mailbox: mailbox@4c001000 { compatible = \"st,stm32-ipcc-mailbox\"; };");
        StringAssert.Contains(stub, "mcusram: memory1@10000000 { compatible = \"mmio-sram\"; reg = <0x10000000 0x50000>; };");
        Assert.DoesNotContain("wwdg:", stub);
        var e = Assert.ThrowsExactly<DeviceTreeException>(() => DeviceTree.CompileAndRead(stub, overlay: false, "zephyr.overlay"));
        StringAssert.Contains(e.Message, "wwdg");
    }
}
