// Checks a board's Linux overlay (linux.dtso) against its real upstream base tree (issue #19).
//
// 1. Compile the overlay (`dtc -@`) and read its fragments: each targets an upstream label
//    (`&rproc_split`, resolved through __fixups__) or a path (`&{/}`, target-path). Every label the
//    overlay references, as a target or inside a property, must be in the base's __symbols__, and
//    every target path must exist, else the error says which and what upstream has.
// 2. Apply it with `fdtoverlay` (what U-Boot and the kernel's overlay support do) and decompile the
//    result: a dtc check warning the base did not already have (unique_unit_address: a carve-out
//    added over upstream's own) is an error.
// 3. In the merged tree: the remoteproc node the overlay configures (the touched node whose binding
//    is a remoteproc one) must be enabled with all its parents, i.e. be the one upstream enables;
//    its memory-region must be exactly board.yaml's carve-outs (same bases and sizes); no carve-out
//    the overlay adds or edits may overlap or duplicate another reserved-memory region; every node
//    the overlay touches carries only properties its binding allows (BindingTable), and the
//    remoteproc node and every node the overlay creates carry what the binding/driver requires;
//    the remoteproc node's TCM/RAM (reg-names atcm*/btcm*/iram/dram) adds up to island.ram_bytes.
// Every error names the file, the node or label, the upstream tree and the fix.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Stratos.Island.Boards;

public static partial class UpstreamLinuxCheck
{
    /// <summary>A node of the merged tree the overlay touches: the properties it sets, and whether upstream had the node.</summary>
    private sealed record Touched(string Path, HashSet<string> Properties, bool Created);

    /// <summary>Applies <paramref name="overlayFile"/> to <paramref name="upstream"/> and appends every problem to <paramref name="errors"/>.</summary>
    public static void Check(BoardDescriptor board, string boardDir, string overlayFile, UpstreamBase upstream, List<string> errors)
    {
        string where = " (checked against " + upstream.Describe + ")";
        string dir = Path.Combine(Path.GetTempPath(), "stratos-overlay-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string dtbo = Path.Combine(dir, "overlay.dtbo");
            (int status, _, string error) = DeviceTree.RunDtc(["-q", "-@", "-I", "dts", "-O", "dtb", "-o", dtbo, overlayFile]);
            if (status != 0)
            {
                return; // the standalone compile already reported the syntax error
            }
            DtNode overlay = DeviceTree.ReadBlob(dtbo, overlayFile, out _);
            DtNode baseTree = DeviceTree.ReadBlob(upstream.DtbPath, upstream.DtsPath, out IReadOnlyList<string> baseWarnings);
            Dictionary<string, string> symbols = Symbols(baseTree);

            List<Touched>? touched = ResolveFragments(overlayFile, overlay, baseTree, symbols, where, errors);
            if (touched == null)
            {
                return;
            }

            string merged = Path.Combine(dir, "merged.dtb");
            (status, _, error) = KernelSources.Run("fdtoverlay", ["-i", upstream.DtbPath, "-o", merged, dtbo], null);
            if (status != 0)
            {
                errors.Add(overlayFile + ": fdtoverlay: " + error.Trim().Replace(dtbo, "linux.dtso", StringComparison.Ordinal) + where + "; fix the targets above or compare with the upstream tree");
                return;
            }
            DtNode tree = DeviceTree.ReadBlob(merged, overlayFile + " applied", out IReadOnlyList<string> mergedWarnings);
            var known = new HashSet<string>(baseWarnings, StringComparer.Ordinal);
            foreach (string warning in mergedWarnings.Where(w => !known.Contains(w)))
            {
                string fix = warning.Contains("unique_unit_address", StringComparison.Ordinal)
                    ? "the overlay adds a node at an address upstream already uses: reference upstream's node by its label instead of adding a copy"
                    : "change the overlay so the merged tree is clean";
                errors.Add(overlayFile + ": merged tree: dtc " + warning + where + "; " + fix);
            }

            DtNode? rproc = CheckRemoteproc(overlayFile, tree, touched, symbols, where, errors);
            CheckBindings(overlayFile, tree, touched, rproc, where, errors);
            CheckReserved(overlayFile, tree, touched, symbols, where, errors);
            if (rproc != null)
            {
                if (board.Doorbell is { Kind: not "socket" } && !rproc.Properties.ContainsKey("mboxes"))
                {
                    errors.Add(overlayFile + ": " + rproc.Path + ".mboxes: missing" + where + "; the remoteproc node needs the " + board.Doorbell.Kind + " doorbell (" + board.Doorbell.Device + ")");
                }
                CheckCarveouts(board, overlayFile, tree, rproc, where, errors);
                CheckTcm(board, Path.Combine(boardDir, BoardLoader.DescriptorFileName), rproc, where, errors);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, string> Symbols(DtNode root) =>
        root.Child("__symbols__")?.Properties.Where(p => p.Value.Strings.Count == 1).ToDictionary(p => p.Key, p => p.Value.Strings[0], StringComparer.Ordinal)
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    private static string? LabelOf(Dictionary<string, string> symbols, string path) =>
        symbols.Where(s => s.Value == path).Select(s => s.Key).Order(StringComparer.Ordinal).FirstOrDefault();

    /// <summary>Checks every label and target path; returns the nodes the overlay touches, or null when a target does not resolve.</summary>
    private static List<Touched>? ResolveFragments(string file, DtNode overlay, DtNode baseTree, Dictionary<string, string> symbols, string where, List<string> errors)
    {
        var fixups = new Dictionary<string, string>(StringComparer.Ordinal); // "/fragment@0:target:0" -> label
        bool ok = true;
        DtNode? fixupNode = overlay.Child("__fixups__");
        foreach (string label in fixupNode?.Properties.Keys ?? Enumerable.Empty<string>())
        {
            foreach (string use in fixupNode!.StringList(label))
            {
                fixups[use] = label;
            }
            if (!symbols.ContainsKey(label))
            {
                string near = string.Join(", ", symbols.Keys.Where(k => Similar(k, label)).Order(StringComparer.Ordinal).Take(6));
                errors.Add(file + ": &" + label + ": no such label in the upstream tree" + where + "; " +
                    (near.Length > 0 ? "upstream has " + near : "upstream has no similar label") + ": use one of upstream's labels or drop this kernel from upstream.yaml linux.kernels");
                ok = false;
            }
        }
        var touched = new Dictionary<string, Touched>(StringComparer.Ordinal);
        foreach (DtNode fragment in overlay.Children.Where(c => c.Properties.ContainsKey("target") || c.Properties.ContainsKey("target-path")))
        {
            string? target = fragment.StringList("target-path") is [string path] ? path
                : fixups.TryGetValue(fragment.Path + ":target:0", out string? label) && symbols.TryGetValue(label, out string? labelled) ? labelled : null;
            if (target == null)
            {
                if (ok)
                {
                    errors.Add(file + ": " + fragment.Name + ": its target resolves to no upstream node" + where + "; target a label or path of the upstream tree");
                }
                ok = false; // otherwise an unknown label, reported above
                continue;
            }
            if (baseTree.Find(target) == null)
            {
                string parent = target[..Math.Max(1, target.LastIndexOf('/'))];
                string siblings = string.Join(", ", baseTree.Find(parent)?.Children.Select(c => c.Name) ?? []);
                errors.Add(file + ": &{" + target + "}: no such node in the upstream tree" + where + "; " + parent + " has: " + siblings + "; target an existing node (by its label)");
                ok = false;
                continue;
            }
            if (fragment.Child("__overlay__") is DtNode body)
            {
                Collect(body, target, baseTree, touched);
            }
        }
        return ok ? touched.Values.ToList() : null;
    }

    private static void Collect(DtNode body, string path, DtNode baseTree, Dictionary<string, Touched> touched)
    {
        if (!touched.TryGetValue(path, out Touched? entry))
        {
            entry = new Touched(path, new HashSet<string>(StringComparer.Ordinal), baseTree.Find(path) == null);
            touched[path] = entry;
        }
        entry.Properties.UnionWith(body.Properties.Keys.Where(p => p != "phandle"));
        foreach (DtNode child in body.Children)
        {
            Collect(child, (path == "/" ? "" : path) + "/" + child.Name, baseTree, touched);
        }
    }

    private static bool Similar(string candidate, string label)
    {
        string[] parts = label.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return parts.Count(p => p.Length > 2 && candidate.Contains(p, StringComparison.Ordinal)) >= Math.Min(2, parts.Length);
    }

    private static DtNode? CheckRemoteproc(string file, DtNode tree, List<Touched> touched, Dictionary<string, string> symbols, string where, List<string> errors)
    {
        var rprocs = touched.Select(t => tree.Find(t.Path)).OfType<DtNode>()
            .Where(n => BindingTable.For(n) is ({ Remoteproc: true }, false)).ToList();
        if (rprocs.Count != 1)
        {
            errors.Add(file + ": remoteproc: the overlay configures " + rprocs.Count.ToString(CultureInfo.InvariantCulture) + " remoteproc nodes (" +
                string.Join(", ", rprocs.Select(r => r.Path)) + ")" + where + "; configure exactly the one core the island runs on");
            return rprocs.Count == 0 ? null : rprocs[0];
        }
        DtNode rproc = rprocs[0];
        if (rproc.DisabledBy() is DtNode disabled)
        {
            string compatible = rproc.StringList("compatible").FirstOrDefault() ?? "";
            var enabled = tree.Descendants().Where(n => n.StringList("compatible").Contains(compatible) && n.DisabledBy() == null).Select(n => n.Path).ToList();
            string suggestion = enabled.Count == 0 ? "upstream enables no " + compatible + " node: set status = \"okay\" on the node's cluster in the overlay"
                : "upstream enables " + string.Join(", ", enabled.Select(p => Labelled(symbols, p))) + ": configure that node instead";
            errors.Add(file + ": " + rproc.Path + ": the remoteproc node the overlay configures is disabled (" + disabled.Path + " has status \"" +
                disabled.StringList("status").FirstOrDefault() + "\"), so the driver never sees it" + where + "; " + suggestion);
        }
        return rproc;
    }

    /// <summary>A path written the way an overlay should reach it: `&amp;label` or `&amp;label's child`.</summary>
    private static string Labelled(Dictionary<string, string> symbols, string path)
    {
        if (LabelOf(symbols, path) is string label)
        {
            return path + " (&" + label + ")";
        }
        int slash = path.LastIndexOf('/');
        return slash > 0 && LabelOf(symbols, path[..slash]) is string parentLabel ? path + " (&" + parentLabel + " { " + path[(slash + 1)..] + " { ... }; })" : path;
    }

    private static void CheckBindings(string file, DtNode tree, List<Touched> touched, DtNode? rproc, string where, List<string> errors)
    {
        foreach (Touched t in touched)
        {
            DtNode? node = tree.Find(t.Path);
            if (node == null || (t.Properties.Count == 0 && !t.Created))
            {
                continue;
            }
            if (BindingTable.For(node) is not (BindingRule rule, bool asChild))
            {
                errors.Add(file + ": " + t.Path + ": the overlay " + (t.Created ? "adds this node" : "sets " + string.Join(", ", t.Properties.Order(StringComparer.Ordinal))) +
                    " but no binding rule covers it (compatible: " + (node.StringList("compatible").FirstOrDefault() ?? "none") + ")" + where +
                    "; reference an upstream node instead, or add its binding to BindingTable with the binding file it follows");
                continue;
            }
            foreach (string property in t.Properties.Where(p => !BindingTable.Allows(rule, asChild, p)).Order(StringComparer.Ordinal))
            {
                errors.Add(file + ": " + t.Path + "." + property + ": not a property of " + rule.Binding + (asChild ? " (sub-node)" : "") + "; the driver ignores it and dtbs_check rejects it: remove it" + where);
            }
            if (t.Created || node == rproc)
            {
                foreach (string property in BindingTable.Missing(rule, asChild, node))
                {
                    errors.Add(file + ": " + t.Path + "." + property + ": missing; " + rule.Binding + " requires it for the driver to probe" + where + "; add it");
                }
            }
        }
    }

    private static List<(DtNode Node, ulong Base, ulong Size)> Regions(DtNode tree) =>
        tree.Find("/reserved-memory")?.Children.SelectMany(n => n.Reg().Select(r => (n, r.Base, r.Size))).ToList() ?? [];

    private static void CheckReserved(string file, DtNode tree, List<Touched> touched, Dictionary<string, string> symbols, string where, List<string> errors)
    {
        var mine = new HashSet<string>(touched.Where(t => t.Properties.Contains("reg") || t.Created).Select(t => t.Path), StringComparer.Ordinal);
        var regions = Regions(tree);
        for (int i = 0; i < regions.Count; i++)
        {
            for (int j = 0; j < regions.Count; j++)
            {
                var (a, b) = (regions[i], regions[j]);
                bool aMine = mine.Contains(a.Node.Path), bMine = mine.Contains(b.Node.Path);
                if (i == j || !aMine || (bMine && j < i) || a.Base >= b.Base + b.Size || b.Base >= a.Base + a.Size)
                {
                    continue;
                }
                string other = bMine ? b.Node.Path + " (also from the overlay)" : "upstream's " + b.Node.Path;
                string label = LabelOf(symbols, b.Node.Path) is string l ? "&" + l : b.Node.Path;
                errors.Add(file + ": " + a.Node.Path + ": carve-out " + Hex(a.Base) + "+" + Hex(a.Size) + (a.Base == b.Base && a.Size == b.Size ? " duplicates " : " overlaps ") +
                    other + " (" + Hex(b.Base) + "+" + Hex(b.Size) + ")" + where + "; " +
                    (bMine ? "make the overlay's carve-outs disjoint" : "drop the copy and reference " + label + " in memory-region"));
            }
        }
    }

    private static void CheckCarveouts(BoardDescriptor board, string file, DtNode tree, DtNode rproc, string where, List<string> errors)
    {
        var byPhandle = tree.Descendants().Where(n => n.Phandle != null).GroupBy(n => n.Phandle!.Value).ToDictionary(g => g.Key, g => g.First());
        var regions = new List<(DtNode Node, ulong Base, ulong Size)>();
        foreach (uint phandle in rproc.Properties.TryGetValue("memory-region", out DtValue? v) ? v.Cells : [])
        {
            if (byPhandle.TryGetValue(phandle, out DtNode? node) && node.Parent?.Path == "/reserved-memory" && node.Reg() is [var reg])
            {
                regions.Add((node, reg.Base, reg.Size));
            }
            else
            {
                errors.Add(file + ": " + rproc.Path + ".memory-region: phandle " + Hex(phandle) + " is not a /reserved-memory region with one reg" + where + "; reference reserved-memory nodes only");
            }
        }
        var carveouts = board.Memory!.Carveouts.ToList();
        for (int i = 0; i < carveouts.Count; i++)
        {
            CarveoutSpec c = carveouts[i];
            string field = "board.yaml memory.carveouts[" + i.ToString(CultureInfo.InvariantCulture) + "] (" + c.Name + ", " + Hex(c.Base) + "+" + Hex(c.Size) + ")";
            var match = regions.Where(r => r.Base == c.Base).ToList();
            if (match.Count == 0)
            {
                errors.Add(file + ": " + rproc.Path + ".memory-region: does not hold " + field + "; it holds " +
                    string.Join(", ", regions.Select(r => r.Node.Name + " " + Hex(r.Base) + "+" + Hex(r.Size))) + where + "; reference that carve-out's node or correct board.yaml");
            }
            else if (match[0].Size != c.Size)
            {
                errors.Add(file + ": " + match[0].Node.Path + ".reg: is " + Hex(match[0].Base) + "+" + Hex(match[0].Size) + " but " + field + where + "; make them equal");
            }
        }
        foreach (var r in regions.Where(r => carveouts.All(c => c.Base != r.Base)))
        {
            errors.Add(file + ": " + rproc.Path + ".memory-region: " + r.Node.Path + " (" + Hex(r.Base) + "+" + Hex(r.Size) + ") is not in board.yaml memory.carveouts" + where + "; add it there or drop it from memory-region");
        }
    }

    private static void CheckTcm(BoardDescriptor board, string boardYaml, DtNode rproc, string where, List<string> errors)
    {
        IReadOnlyList<string> names = rproc.StringList("reg-names");
        IReadOnlyList<(ulong Base, ulong Size)> reg = rproc.Reg();
        var local = names.Select((name, i) => (name, i)).Where(x => LocalMemory().IsMatch(x.name) && x.i < reg.Count).Select(x => (x.name, reg[x.i].Size)).ToList();
        if (local.Count == 0)
        {
            return;
        }
        ulong total = local.Aggregate(0UL, (sum, x) => sum + x.Size);
        if (total != board.Island.RamBytes)
        {
            errors.Add(boardYaml + ": island.ram_bytes: is " + Hex(board.Island.RamBytes) + " but " + rproc.Path + " has " + Hex(total) + " of local RAM (" +
                string.Join(" + ", local.Select(x => x.name + " " + Hex(x.Size))) + ")" + where + "; set ram_bytes: " + Hex(total));
        }
    }

    [GeneratedRegex(@"^(atcm|btcm)\d*$|^(iram|dram)$")]
    private static partial Regex LocalMemory();

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
