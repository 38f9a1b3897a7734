using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Stratos.Island.Boards.Tests.RealBoardTests;

namespace Stratos.Island.Boards.Tests;

/// <summary>
/// Each defect issue #19 found by checking the boards against their real upstream trees, put back
/// into a copy of the fixed board folder: validation must fail and say where and how to fix it.
/// These build the upstream bases from the pinned Debian kernel sources (scripts/install-deps.sh).
/// </summary>
[TestClass]
public sealed class UpstreamDefectTests
{
    private const string Linux612 = "(Linux 6.12, linux-source-6.12 ";
    private const string Linux73 = "(Linux 7.3, linux-source-7.3 ";

    [TestMethod]
    public void Zcu102_overlay_on_the_lockstep_cluster_upstream_disables_is_reported_with_the_split_core_to_use()
    {
        using var folder = new BoardFolder("zcu102");
        folder.Edit("linux.dtso", "&rproc_split {", "&rproc_lockstep {");
        AssertInvalid(folder, "linux.dtso", "/remoteproc@ffe00000/r5f@0: the remoteproc node the overlay configures is disabled (/remoteproc@ffe00000 has status \"disabled\")",
            "upstream enables /remoteproc-split@ffe00000/r5f@0 (&rproc_split { r5f@0 { ... }; })");
    }

    [TestMethod]
    public void Zcu102_tcm_of_the_lockstep_pair_in_board_yaml_is_reported_against_split_core_0()
    {
        using var folder = new BoardFolder("zcu102");
        folder.Edit("board.yaml", "ram_bytes: 0x20000", "ram_bytes: 0x40000");
        AssertInvalid(folder, "board.yaml", "island.ram_bytes",
            "is 0x40000 but /remoteproc-split@ffe00000/r5f@0 has 0x20000 of local RAM (atcm0 0x10000 + btcm0 0x10000) (checked against arch/arm64/boot/dts/xilinx/zynqmp-zcu102-rev1.0.dts " + Linux612);
    }

    [TestMethod]
    public void Zcu102_image_region_copied_over_upstreams_memory_3ed00000_is_reported_as_a_duplicate()
    {
        using var folder = new BoardFolder("zcu102");
        folder.Edit("linux.dtso", "\t\tisland_vring0: vdev0vring0@3ed40000 {",
            "\t\tisland_image: rproc@3ed00000 {\n\t\t\treg = <0x0 0x3ed00000 0x0 0x40000>;\n\t\t\tno-map;\n\t\t};\n\n\t\tisland_vring0: vdev0vring0@3ed40000 {");
        folder.Edit("linux.dtso", "memory-region = <&rproc_0_fw_image>,", "memory-region = <&island_image>,");
        AssertInvalid(folder, "linux.dtso", "merged tree: dtc Warning (unique_unit_address): /reserved-memory/rproc@3ed00000: duplicate unit-address", "reference upstream's node by its label");
        AssertInvalid(folder, "linux.dtso", "/reserved-memory/rproc@3ed00000: carve-out 0x3ed00000+0x40000 duplicates upstream's /reserved-memory/memory@3ed00000",
            "drop the copy and reference &rproc_0_fw_image in memory-region");
    }

    [TestMethod]
    public void Imx8mp_cm7_without_a_clock_is_reported_because_imx_rproc_cannot_enable_it()
    {
        using var folder = new BoardFolder("imx8mp-evk");
        folder.Edit("linux.dtso", "\t\tclocks = <&clk 305>;\n", "");
        AssertInvalid(folder, "linux.dtso", "/imx8mp-cm7.clocks: missing; remoteproc/fsl,imx-rproc.yaml (clocks: drivers/remoteproc/imx_rproc.c, \"Failed to enable clock\") requires it", Linux73);
    }

    [TestMethod]
    public void Imx8mp_cm7_properties_outside_the_binding_are_reported()
    {
        using var folder = new BoardFolder("imx8mp-evk");
        folder.Edit("linux.dtso", "\t\tclocks = <&clk 305>;\n", "\t\tclocks = <&clk 305>;\n\t\trsc-da = <0x55000000>;\n\t\tfsl,startup-delay-ms = <500>;\n");
        AssertInvalid(folder, "linux.dtso", "/imx8mp-cm7.rsc-da: not a property of remoteproc/fsl,imx-rproc.yaml", "remove it");
        AssertInvalid(folder, "linux.dtso", "/imx8mp-cm7.fsl,startup-delay-ms: not a property of remoteproc/fsl,imx-rproc.yaml", "remove it");
    }

    [TestMethod]
    public void Am62x_overlay_on_linux_6_12_is_reported_because_mcu_m4fss_does_not_exist_there()
    {
        using var folder = new BoardFolder("am62x-sk");
        folder.Edit("upstream.yaml", "kernels: [\"7.3\"]", "kernels: [\"6.12\", \"7.3\"]");
        AssertInvalid(folder, "linux.dtso", "&mcu_m4fss: no such label in the upstream tree (checked against arch/arm64/boot/dts/ti/k3-am625-sk.dts " + Linux612,
            "drop this kernel from upstream.yaml linux.kernels");
        Assert.IsFalse(folder.Validate().Errors.Any(e => e.Contains(Linux73, StringComparison.Ordinal)), "7.3 stays clean");
    }

    [TestMethod]
    public void Am62x_copies_of_upstreams_m4f_regions_are_reported_as_duplicates_on_linux_7_3()
    {
        using var folder = new BoardFolder("am62x-sk");
        folder.Edit("linux.dtso", "&mcu_m4fss {", """
            &{/} {
            	reserved-memory {
            		#address-cells = <2>;
            		#size-cells = <2>;
            		ranges;

            		island_ipc: m4f-dma-memory@9cb00000 {
            			compatible = "shared-dma-pool";
            			reg = <0x00 0x9cb00000 0x00 0x100000>;
            			no-map;
            		};
            	};
            };

            &mcu_m4fss {
            """);
        folder.Edit("linux.dtso", "<&mcu_m4fss_dma_memory_region>", "<&island_ipc>");
        AssertInvalid(folder, "linux.dtso", "merged tree: dtc Warning (unique_unit_address): /reserved-memory/m4f-dma-memory@9cb00000", Linux73);
        AssertInvalid(folder, "linux.dtso", "/reserved-memory/m4f-dma-memory@9cb00000: carve-out 0x9cb00000+0x100000 duplicates upstream's /reserved-memory/memory@9cb00000",
            "reference &mcu_m4fss_dma_memory_region in memory-region");
    }

    [TestMethod]
    public void Am64x_copies_of_upstreams_r5f_regions_merge_on_6_12_but_duplicate_on_7_3()
    {
        using var folder = new BoardFolder("am64x-sk");
        folder.Edit("linux.dtso", "&main_r5fss0_core0 {", """
            &{/} {
            	reserved-memory {
            		#address-cells = <2>;
            		#size-cells = <2>;
            		ranges;

            		island_ipc: r5f-dma-memory@a0000000 {
            			compatible = "shared-dma-pool";
            			reg = <0x00 0xa0000000 0x00 0x100000>;
            			no-map;
            		};
            	};
            };

            &main_r5fss0_core0 {
            """);
        folder.Edit("linux.dtso", "<&main_r5fss0_core0_dma_memory_region>", "<&island_ipc>");
        BoardValidation result = folder.Validate();
        Assert.IsFalse(result.Errors.Any(e => e.Contains(Linux612, StringComparison.Ordinal)), "on 6.12 the node has upstream's own name and merges:\n" + string.Join("\n", result.Errors));
        AssertInvalid(folder, "linux.dtso", "/reserved-memory/r5f-dma-memory@a0000000: carve-out 0xa0000000+0x100000 duplicates upstream's /reserved-memory/memory@a0000000", Linux73);
    }

    [TestMethod]
    public void Stm32mp1_zephyr_mcusram_left_over_the_vrings_is_reported_with_the_shrink()
    {
        using var folder = new BoardFolder("stm32mp157c-dk2");
        folder.Edit("zephyr.overlay", "&mcusram {\n\treg = <0x10000000 0x40000>;\n};\n\n", "");
        AssertInvalid(folder, "zephyr.overlay", "&mcusram (memory1@10000000 of Zephyr's dts/arm/st/mp1/stm32mp157.dtsi).reg: 0x10000000+0x50000 covers board.yaml memory.carveouts[1] (vdev0vring0)",
            "shrink it: &mcusram { reg = <0x10000000 0x40000>; };");
    }

    [TestMethod]
    [DataRow("zcu102", "zephyr,ipc = &rpu0_apu_mailbox;", "zephyr,ipc = &ipi_rpu0;", "ipi_rpu0")]
    [DataRow("zcu102", "lpd_swdt: watchdog@ff150000", "watchdog@ff150000", "lpd_swdt")]
    [DataRow("imx8mp-evk", "wdog3: watchdog@302a0000", "watchdog@302a0000", "wdog3")]
    [DataRow("am64x-sk", "main_rti8: watchdog@e080000", "watchdog@e080000", "main_rti8")]
    [DataRow("am64x-sk", "&main_mbox2", "&mbox2", "mbox2")]
    public void Zephyr_label_that_zephyr_does_not_have_is_reported_with_the_listed_ones(string board, string from, string to, string label)
    {
        using var folder = new BoardFolder(board);
        folder.Edit("zephyr.overlay", from, to);
        AssertInvalid(folder, "zephyr.overlay", "&" + label + ": not a Zephyr label listed for board", "(listed: ");
    }

    [TestMethod]
    public void Missing_kernel_source_fails_with_the_package_and_the_set_up_to_run()
    {
        string saved = KernelSources.SourceDirectory;
        KernelSources.SourceDirectory = Path.Combine(Path.GetTempPath(), "no-kernel-sources-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var folder = new BoardFolder("stm32mp157c-dk2");
            AssertInvalid(folder, "linux.dtso", "Linux 6.12: linux-source-6.12 is not installed", "run scripts/install-deps.sh as root (it adds Debian's bookworm-security suite and installs linux-source-6.12=6.12.118-1~deb12u1)");
            AssertInvalid(folder, "linux.dtso", "Linux 7.3: linux-source-7.3 is not installed", "trixie-backports");
        }
        finally
        {
            KernelSources.SourceDirectory = saved;
        }
    }

    [TestMethod]
    public void Upstream_yaml_with_an_unpinned_kernel_or_a_path_outside_the_tree_is_reported()
    {
        using var folder = new BoardFolder("am64x-sk");
        folder.Edit("upstream.yaml", "kernels: [\"6.12\", \"7.3\"]", "kernels: [\"6.1\"]");
        folder.Edit("upstream.yaml", "dts: arch/arm64/boot/dts/ti/k3-am642-sk.dts", "dts: k3-am642-sk.dts");
        AssertInvalid(folder, "upstream.yaml", "linux.kernels", "'6.1' is not a pinned kernel series; use one of 6.12, 7.3");
        AssertInvalid(folder, "upstream.yaml", "linux.dts", "give its path from the source root");
    }
}
