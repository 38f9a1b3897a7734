// The devicetree bindings of the nodes our Linux overlays configure, cut down to what validation
// needs: the properties a node must have for its driver to probe and the properties the binding
// allows (a property outside it is ignored by the driver and rejected by `make dtbs_check`). Each
// entry names its binding file under Documentation/devicetree/bindings/ of the pinned kernels
// (6.12 and 7.3 agree on every entry here); "driver" notes say where the driver is stricter than
// the schema (imx_rproc needs a clock for every i.MX8M core although the schema does not require it).
using System;
using System.Collections.Generic;
using System.Linq;

namespace Stratos.Island.Boards;

/// <summary>What one binding requires and allows.</summary>
/// <param name="Binding">The binding file (`remoteproc/fsl,imx-rproc.yaml`) or schema the rules come from.</param>
/// <param name="Required">Properties the node must carry for its driver to probe.</param>
/// <param name="Allowed">Every property the binding allows (Required included).</param>
/// <param name="Remoteproc">True for remote processor nodes (the node the overlay hands the carve-outs to).</param>
/// <param name="ChildAllowed">For nodes whose sub-nodes the binding describes (mailbox channels): what a sub-node may carry.</param>
/// <param name="ChildRequired">What such a sub-node must carry.</param>
public sealed record BindingRule(string Binding, IReadOnlyList<string> Required, IReadOnlyList<string> Allowed, bool Remoteproc,
    IReadOnlyList<string>? ChildAllowed = null, IReadOnlyList<string>? ChildRequired = null);

public static class BindingTable
{
    /// <summary>Properties every node may carry whatever its binding (dtschema core and dt-schema's phandle bookkeeping).</summary>
    public static readonly IReadOnlyList<string> Generic = ["status", "phandle", "interrupt-parent", "pinctrl-names", "pinctrl-0", "bootph-all", "bootph-pre-ram"];

    private static readonly string[] K3ProcessorCommon = ["ti,sci", "ti,sci-dev-id", "ti,sci-proc-ids"];

    /// <summary>Rules by compatible string.</summary>
    public static readonly IReadOnlyDictionary<string, BindingRule> ByCompatible = new Dictionary<string, BindingRule>(StringComparer.Ordinal)
    {
        // Driver: drivers/remoteproc/imx_rproc.c gets and enables the core clock for every core it
        // starts itself (SMC/MMIO methods: i.MX8MN/MP), so `clocks` is required in practice.
        ["fsl,imx8mp-cm7"] = ImxCm7(),
        ["fsl,imx8mn-cm7"] = ImxCm7(),
        ["xlnx,zynqmp-r5f"] = new("remoteproc/xlnx,zynqmp-r5fss.yaml (r5f@ core node)",
            ["compatible", "reg", "reg-names", "power-domains", "memory-region"],
            ["compatible", "reg", "reg-names", "power-domains", "mboxes", "mbox-names", "sram", "memory-region", "firmware-name"], Remoteproc: true),
        ["xlnx,zynqmp-r5fss"] = new("remoteproc/xlnx,zynqmp-r5fss.yaml (cluster)",
            ["compatible", "#address-cells", "#size-cells", "ranges"],
            ["compatible", "#address-cells", "#size-cells", "ranges", "xlnx,cluster-mode", "xlnx,tcm-mode"], Remoteproc: false),
        ["ti,am64-r5f"] = new("remoteproc/ti,k3-r5f-rproc.yaml (r5f@ core node)",
            ["compatible", "reg", "reg-names", .. K3ProcessorCommon, "resets", "firmware-name", "memory-region", "mboxes"],
            ["compatible", "reg", "reg-names", .. K3ProcessorCommon, "resets", "firmware-name", "mboxes", "memory-region", "memory-region-names",
             "ti,atcm-enable", "ti,btcm-enable", "ti,loczrama", "sram"], Remoteproc: true),
        ["ti,am64-m4fss"] = new("remoteproc/ti,k3-m4f-rproc.yaml",
            ["compatible", "reg", "reg-names", .. K3ProcessorCommon, "resets", "firmware-name", "memory-region", "mboxes"],
            ["compatible", "power-domains", "#address-cells", "#size-cells", "reg", "reg-names", .. K3ProcessorCommon, "resets", "firmware-name",
             "mboxes", "memory-region"], Remoteproc: true),
        ["st,stm32mp1-m4"] = new("remoteproc/st,stm32-rproc.yaml",
            ["compatible", "reg", "resets", "memory-region", "mboxes", "mbox-names"],
            ["compatible", "reg", "resets", "reset-names", "st,syscfg-holdboot", "st,syscfg-tz", "interrupts", "wakeup-source", "mboxes", "mbox-names",
             "memory-region", "st,syscfg-pdds", "st,syscfg-m4-state", "st,syscfg-rsc-tbl", "st,auto-boot", "firmware-name"], Remoteproc: true),
        ["ti,am64-mailbox"] = TiMailbox(),
        ["ti,am654-mailbox"] = TiMailbox(),
        ["xlnx,zynqmp-ipi-mailbox"] = new("mailbox/xlnx,zynqmp-ipi-mailbox.yaml",
            ["compatible", "interrupts", "#address-cells", "#size-cells", "xlnx,ipi-id"],
            ["compatible", "method", "#address-cells", "#size-cells", "reg", "reg-names", "xlnx,ipi-id", "interrupts", "ranges"], Remoteproc: false,
            ChildAllowed: ["compatible", "reg", "reg-names", "xlnx,ipi-id", "#mbox-cells"],
            ChildRequired: ["compatible", "reg", "reg-names", "#mbox-cells", "xlnx,ipi-id"]),
    };

    /// <summary>Children of /reserved-memory (dt-schema's reserved-memory/reserved-memory.yaml and shared-dma-pool.yaml).</summary>
    public static readonly BindingRule ReservedMemoryRegion = new("dt-schema reserved-memory/reserved-memory.yaml",
        ["reg"], ["compatible", "reg", "size", "alignment", "alloc-ranges", "no-map", "reusable", "linux,cma-default", "linux,dma-default"], Remoteproc: false);

    /// <summary>The /reserved-memory container itself.</summary>
    public static readonly BindingRule ReservedMemoryContainer = new("dt-schema reserved-memory/reserved-memory.yaml",
        ["#address-cells", "#size-cells", "ranges"], ["#address-cells", "#size-cells", "ranges"], Remoteproc: false);

    private static BindingRule ImxCm7() => new("remoteproc/fsl,imx-rproc.yaml (clocks: drivers/remoteproc/imx_rproc.c, \"Failed to enable clock\")",
        ["compatible", "clocks", "memory-region", "mboxes", "mbox-names"],
        ["compatible", "clocks", "syscon", "mbox-names", "mboxes", "memory-region", "power-domains", "fsl,auto-boot", "fsl,entry-address", "fsl,iomuxc-gpr", "fsl,resource-id"],
        Remoteproc: true);

    private static BindingRule TiMailbox() => new("mailbox/ti,omap-mailbox.yaml",
        ["compatible", "reg", "interrupts", "#mbox-cells", "ti,mbox-num-users", "ti,mbox-num-fifos"],
        ["compatible", "reg", "interrupts", "#mbox-cells", "ti,mbox-num-users", "ti,mbox-num-fifos", "ti,hwmods"], Remoteproc: false,
        ChildAllowed: ["ti,mbox-rx", "ti,mbox-tx", "ti,mbox-send-noack"], ChildRequired: ["ti,mbox-rx", "ti,mbox-tx"]);

    /// <summary>The rule for a node: by its first known compatible; for a reserved-memory region or a described sub-node, the rule that covers it.</summary>
    public static (BindingRule Rule, bool AsChild)? For(DtNode node)
    {
        if (node.Properties.TryGetValue("compatible", out DtValue? compatible))
        {
            foreach (string c in compatible.Strings)
            {
                if (ByCompatible.TryGetValue(c, out BindingRule? rule))
                {
                    return (rule, false);
                }
            }
        }
        if (node.Parent?.Path == "/reserved-memory")
        {
            return (ReservedMemoryRegion, false);
        }
        if (node.Path == "/reserved-memory")
        {
            return (ReservedMemoryContainer, false);
        }
        if (node.Parent != null && For(node.Parent) is ({ ChildAllowed: not null } parentRule, false))
        {
            return (parentRule, true);
        }
        return null;
    }

    /// <summary>Whether a property is allowed on a node under the rule.</summary>
    public static bool Allows(BindingRule rule, bool asChild, string property) =>
        Generic.Contains(property) || (asChild ? rule.ChildAllowed! : rule.Allowed).Contains(property);

    /// <summary>Properties the rule requires that the node lacks.</summary>
    public static IEnumerable<string> Missing(BindingRule rule, bool asChild, DtNode node) =>
        (asChild ? rule.ChildRequired ?? [] : rule.Required).Where(p => !node.Properties.ContainsKey(p));
}
