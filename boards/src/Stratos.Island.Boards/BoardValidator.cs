// Full validation of one board folder, what `island board validate` runs before anyone flashes:
// board.yaml (BoardLoader), vms.yaml when present (IslandConfigLoader, which also rejects power
// domains the board does not have), and on real boards (those with a `memory:` section)
// upstream.yaml (UpstreamSpec) and the two devicetree fragments checked against upstream:
//
// linux.dtso: compiled on its own with `dtc -@` (syntax), then, for every kernel series upstream.yaml
//   targets, applied to the board's real upstream base tree built from the pinned Debian kernel
//   source package (KernelSources) and checked there (UpstreamLinuxCheck: labels and paths resolve,
//   the configured remoteproc node is the one upstream enables, carve-outs neither overlap nor
//   duplicate upstream reserved-memory, binding-required properties present and none outside the
//   binding, memory-region equal to board.yaml's carve-outs, TCM equal to island.ram_bytes).
// zephyr.overlay: compiled inside DeviceTree.ZephyrStub, a base tree declaring only the Zephyr
//   labels upstream.yaml lists (a reference to any other label fails, naming the listed ones);
//   every link carve-out (not the island image) has a reserved-memory node with the same reg; no
//   Zephyr memory node other than the shared window covers a link carve-out (the island would
//   allocate from the vrings); /chosen/zephyr,ipc_shm is the shared window (phys_base, size);
//   /chosen/zephyr,ipc exists; /aliases/watchdog0 exists.
// zephyr.conf: CONFIG_OPENAMP=y, CONFIG_WATCHDOG=y and CONFIG_IPM=y or CONFIG_MBOX=y.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Stratos.Island.Boards;

/// <summary>The outcome of validating one board folder.</summary>
public sealed record BoardValidation(string BoardId, string Directory, BoardDescriptor? Board, IReadOnlyList<string> Errors, IReadOnlyList<string> Checked)
{
    public bool Ok => Errors.Count == 0;
}

public static class BoardValidator
{
    public const string LinuxFragmentFileName = "linux.dtso";
    public const string ZephyrOverlayFileName = "zephyr.overlay";
    public const string ZephyrConfigFileName = "zephyr.conf";
    public const string ReadmeFileName = "README.md";

    /// <summary>Board ids (directory names with a board.yaml) under <paramref name="boardsDir"/>, sorted.</summary>
    public static IReadOnlyList<string> ListBoardIds(string boardsDir) =>
        Directory.Exists(boardsDir)
            ? Directory.GetDirectories(boardsDir).Where(d => File.Exists(Path.Combine(d, BoardLoader.DescriptorFileName)))
                .Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList()
            : [];

    public static BoardValidation Validate(string boardsDir, string id)
    {
        string dir = Path.Combine(boardsDir, id);
        var errors = new List<string>();
        var done = new List<string>();
        BoardDescriptor? board = null;
        try
        {
            board = BoardLoader.LoadById(boardsDir, id);
            done.Add(BoardLoader.DescriptorFileName);
        }
        catch (BoardDescriptorException e)
        {
            errors.AddRange(e.Errors);
            return new BoardValidation(id, dir, null, errors, done);
        }

        string vms = Path.Combine(dir, IslandConfigLoader.ConfigFileName);
        if (File.Exists(vms))
        {
            try
            {
                IslandConfigLoader.Load(vms, board);
                done.Add(IslandConfigLoader.ConfigFileName);
            }
            catch (BoardDescriptorException e)
            {
                errors.AddRange(e.Errors);
            }
        }

        if (board.Memory != null)
        {
            foreach (string required in new[] { ReadmeFileName, UpstreamSpec.FileName, LinuxFragmentFileName, ZephyrOverlayFileName, ZephyrConfigFileName })
            {
                if (!File.Exists(Path.Combine(dir, required)))
                {
                    errors.Add(Path.Combine(dir, required) + ": (file): missing; a real board folder holds README.md, upstream.yaml, linux.dtso, zephyr.overlay and zephyr.conf");
                }
            }
            UpstreamSpec? upstream = null;
            if (File.Exists(UpstreamSpec.PathIn(dir)))
            {
                try
                {
                    upstream = UpstreamSpec.Load(UpstreamSpec.PathIn(dir));
                    done.Add(UpstreamSpec.FileName);
                }
                catch (BoardDescriptorException e)
                {
                    errors.AddRange(e.Errors);
                }
            }
            CheckLinux(board, dir, upstream, errors, done);
            CheckZephyr(board, Path.Combine(dir, ZephyrOverlayFileName), upstream, errors, done);
            CheckZephyrConfig(Path.Combine(dir, ZephyrConfigFileName), errors, done);
        }
        return new BoardValidation(id, dir, board, errors, done);
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static string Range(ulong start, ulong size) => Hex(start) + "+" + Hex(size);

    private static string CarveoutField(BoardDescriptor board, CarveoutSpec c) =>
        "memory.carveouts[" + board.Memory!.Carveouts.ToList().IndexOf(c).ToString(CultureInfo.InvariantCulture) + "] (" + c.Name + ")";

    private static DtNode? Compile(string path, IReadOnlyList<ZephyrLabelSpec>? zephyrLabels, List<string> errors)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        string text = File.ReadAllText(path);
        try
        {
            return zephyrLabels != null ? DeviceTree.CompileAndRead(DeviceTree.ZephyrStub(text, zephyrLabels), overlay: false, path) : DeviceTree.CompileAndRead(text, overlay: true, path);
        }
        catch (DeviceTreeException e)
        {
            errors.Add(e.Message);
            return null;
        }
    }

    private static List<DtNode> ReservedNodes(DtNode root) =>
        Nodes(root).Where(n => n.Parent?.Name == "reserved-memory").ToList();

    /// <summary>Every node except dtc's overlay bookkeeping (__fixups__, __local_fixups__, __symbols__).</summary>
    private static IEnumerable<DtNode> Nodes(DtNode root) =>
        root.Descendants().Where(n => !n.Path.StartsWith("/__fixups__", StringComparison.Ordinal) &&
            !n.Path.StartsWith("/__local_fixups__", StringComparison.Ordinal) && !n.Path.StartsWith("/__symbols__", StringComparison.Ordinal));

    /// <summary>Compares one reserved node with its carve-out; returns false when it differs.</summary>
    private static void CompareReserved(BoardDescriptor board, string file, DtNode node, CarveoutSpec c, List<string> errors)
    {
        IReadOnlyList<(ulong Base, ulong Size)> reg = node.Reg();
        string field = "reserved-memory/" + node.Name;
        if (reg.Count != 1 || reg[0].Base != c.Base || reg[0].Size != c.Size)
        {
            string found = reg.Count == 0 ? "missing" : string.Join(", ", reg.Select(r => Range(r.Base, r.Size)));
            errors.Add(file + ": " + field + ".reg: is " + found + " but board.yaml " + CarveoutField(board, c) + " says " + Range(c.Base, c.Size) + "; make them equal");
        }
        if (node.UnitAddress != null && !string.Equals(node.UnitAddress.TrimStart('0'), c.Base.ToString("x", CultureInfo.InvariantCulture).TrimStart('0'), StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(file + ": " + field + ": unit address @" + node.UnitAddress + " differs from the base " + Hex(c.Base) + "; rename the node " + c.Name + "@" + c.Base.ToString("x", CultureInfo.InvariantCulture));
        }
    }

    private static void CheckLinux(BoardDescriptor board, string dir, UpstreamSpec? upstream, List<string> errors, List<string> done)
    {
        string file = Path.Combine(dir, LinuxFragmentFileName);
        if (Compile(file, null, errors) == null || upstream == null)
        {
            return;
        }
        foreach (string series in upstream.Kernels)
        {
            int before = errors.Count;
            try
            {
                UpstreamBase upstreamBase = KernelSources.Base(KernelSources.Known[series], upstream.LinuxDts);
                UpstreamLinuxCheck.Check(board, dir, file, upstreamBase, errors);
                if (errors.Count == before)
                {
                    done.Add(LinuxFragmentFileName + " on Linux " + series + " (" + upstreamBase.DebianVersion + ")");
                }
            }
            catch (DeviceTreeException e)
            {
                errors.Add(file + ": Linux " + series + ": " + e.Message);
            }
        }
    }

    private static void CheckZephyr(BoardDescriptor board, string file, UpstreamSpec? upstream, List<string> errors, List<string> done)
    {
        if (upstream == null || !File.Exists(file))
        {
            return;
        }
        int before = errors.Count;
        string upstreamFile = UpstreamSpec.PathIn(Path.GetDirectoryName(file)!);
        string listed = string.Join(", ", upstream.ZephyrLabels.Select(l => l.Label));
        foreach (string label in DeviceTree.UndefinedLabels(File.ReadAllText(file)).Where(l => upstream.ZephyrLabels.All(z => z.Label != l)))
        {
            errors.Add(file + ": &" + label + ": not a Zephyr label listed for board " + upstream.ZephyrBoard + " in " + upstreamFile + " (listed: " + listed +
                "); use a listed label, define the node in the overlay, or list the label with the Zephyr file and commit that declare it");
        }
        if (errors.Count > before)
        {
            return;
        }
        DtNode? root = Compile(file, upstream.ZephyrLabels, errors);
        if (root == null)
        {
            return;
        }
        List<DtNode> reserved = ReservedNodes(root);
        foreach (CarveoutSpec c in board.Memory!.Carveouts.Where(c => c.Use != CarveoutUse.IslandImage))
        {
            DtNode? node = reserved.FirstOrDefault(n => n.BaseName == c.Name);
            if (node == null)
            {
                errors.Add(file + ": reserved-memory: no node for board.yaml " + CarveoutField(board, c) + "; the island must not allocate from it");
                continue;
            }
            CompareReserved(board, file, node, c, errors);
        }

        DtNode? chosen = root.Child("chosen");
        DtNode? Resolve(DtNode? holder, string property)
        {
            if (holder == null || !holder.Properties.TryGetValue(property, out DtValue? v) || v.Strings.Count != 1)
            {
                return null;
            }
            string path = v.Strings[0];
            return root.Descendants().FirstOrDefault(n => n.Path == path);
        }

        SharedMemorySpec? shm = board.Link.SharedMemory;
        DtNode? ipcShm = Resolve(chosen, "zephyr,ipc_shm");
        if (ipcShm == null)
        {
            errors.Add(file + ": chosen.zephyr,ipc_shm: missing or not a node; OpenAMP needs the shared window (&label of a node with its reg)");
        }
        else if (shm?.PhysBase != null)
        {
            IReadOnlyList<(ulong Base, ulong Size)> reg = ipcShm.Reg();
            if (reg.Count != 1 || reg[0].Base != shm.PhysBase || reg[0].Size != shm.Size)
            {
                errors.Add(file + ": chosen.zephyr,ipc_shm (" + ipcShm.Path + ").reg: is " + string.Join(", ", reg.Select(r => Range(r.Base, r.Size))) +
                    " but board.yaml link.shared_memory says " + Range(shm.PhysBase.Value, shm.Size) + "; make them equal");
            }
        }
        if (Resolve(chosen, "zephyr,ipc") == null)
        {
            errors.Add(file + ": chosen.zephyr,ipc: missing; point it at the " + (board.Doorbell?.Kind ?? "doorbell") + " node (IPM/mbox)");
        }
        if (Resolve(root.Child("aliases"), "watchdog0") == null)
        {
            errors.Add(file + ": aliases.watchdog0: missing; the island's hardware watchdog (board.yaml island.hardware_watchdog) needs it");
        }
        foreach (DtNode memory in root.Children.Where(n => n != ipcShm && n.Name != "reserved-memory" && IsMemory(n)))
        {
            foreach ((ulong start, ulong size) in memory.Reg())
            {
                foreach (CarveoutSpec c in board.Memory!.Carveouts.Where(c => c.Use != CarveoutUse.IslandImage && c.Base < start + size && start < c.Base + c.Size))
                {
                    ZephyrLabelSpec? origin = upstream.ZephyrLabels.FirstOrDefault(l => l.Node == memory.Name);
                    string name = origin != null ? "&" + origin.Label + " (" + memory.Name + " of Zephyr's " + origin.File + ")" : memory.Path;
                    ulong end = c.Base > start ? c.Base : start;
                    errors.Add(file + ": " + name + ".reg: " + Range(start, size) + " covers board.yaml " + CarveoutField(board, c) + " " + Range(c.Base, c.Size) +
                        ", so the island would allocate from the link's memory; shrink it" + (origin != null && c.Base > start ? ": &" + origin.Label + " { reg = <" + Hex(start) + " " + Hex(end - start) + ">; };" : ""));
                }
            }
        }
        if (errors.Count == before)
        {
            done.Add(ZephyrOverlayFileName);
        }
    }

    private static bool IsMemory(DtNode node) =>
        node.BaseName.StartsWith("memory", StringComparison.Ordinal) || node.StringList("compatible").Contains("mmio-sram") || node.StringList("device_type").Contains("memory");

    private static void CheckZephyrConfig(string file, List<string> errors, List<string> done)
    {
        if (!File.Exists(file))
        {
            return;
        }
        var set = new HashSet<string>(File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.EndsWith("=y", StringComparison.Ordinal)).Select(l => l[..^2]), StringComparer.Ordinal);
        foreach (string option in new[] { "CONFIG_OPENAMP", "CONFIG_WATCHDOG" })
        {
            if (!set.Contains(option))
            {
                errors.Add(file + ": " + option + ": not set; add '" + option + "=y'");
            }
        }
        if (!set.Contains("CONFIG_IPM") && !set.Contains("CONFIG_MBOX"))
        {
            errors.Add(file + ": CONFIG_IPM: neither CONFIG_IPM=y nor CONFIG_MBOX=y; the doorbell needs one");
        }
        done.Add(ZephyrConfigFileName);
    }
}
