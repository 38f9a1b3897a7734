// Full validation of one board folder, what `island board validate` runs before anyone flashes:
// board.yaml (BoardLoader), vms.yaml when present (IslandConfigLoader, which also rejects power
// domains the board does not have), and on real boards (those with a `memory:` section) the
// agreement between board.yaml and the two devicetree fragments:
//
// linux.dtso (compiled with `dtc -@`, read back): every carve-out has a reserved-memory node of the
//   same name whose unit address and reg equal base/size; no extra reserved nodes; exactly one node
//   with memory-region (the remoteproc node) referencing every carve-out; it has mboxes unless the
//   doorbell is a socket.
// zephyr.overlay (compiled inside DeviceTree.ZephyrStub): every link carve-out (not the island
//   image) has a reserved-memory node with the same reg; /chosen/zephyr,ipc_shm is the shared
//   window (phys_base, size); /chosen/zephyr,ipc exists; /aliases/watchdog0 exists.
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
            foreach (string required in new[] { ReadmeFileName, LinuxFragmentFileName, ZephyrOverlayFileName, ZephyrConfigFileName })
            {
                if (!File.Exists(Path.Combine(dir, required)))
                {
                    errors.Add(Path.Combine(dir, required) + ": (file): missing; a real board folder holds README.md, linux.dtso, zephyr.overlay and zephyr.conf");
                }
            }
            CheckLinux(board, Path.Combine(dir, LinuxFragmentFileName), errors, done);
            CheckZephyr(board, Path.Combine(dir, ZephyrOverlayFileName), errors, done);
            CheckZephyrConfig(Path.Combine(dir, ZephyrConfigFileName), errors, done);
        }
        return new BoardValidation(id, dir, board, errors, done);
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static string Range(ulong start, ulong size) => Hex(start) + "+" + Hex(size);

    private static string CarveoutField(BoardDescriptor board, CarveoutSpec c) =>
        "memory.carveouts[" + board.Memory!.Carveouts.ToList().IndexOf(c).ToString(CultureInfo.InvariantCulture) + "] (" + c.Name + ")";

    private static DtNode? Compile(string path, bool zephyr, List<string> errors)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        string text = File.ReadAllText(path);
        try
        {
            return zephyr ? DeviceTree.CompileAndRead(DeviceTree.ZephyrStub(text), overlay: false, path) : DeviceTree.CompileAndRead(text, overlay: true, path);
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

    private static void CheckLinux(BoardDescriptor board, string file, List<string> errors, List<string> done)
    {
        DtNode? root = Compile(file, zephyr: false, errors);
        if (root == null)
        {
            return;
        }
        List<DtNode> reserved = ReservedNodes(root);
        var matched = new HashSet<DtNode>();
        foreach (CarveoutSpec c in board.Memory!.Carveouts)
        {
            DtNode? node = reserved.FirstOrDefault(n => n.BaseName == c.Name);
            if (node == null)
            {
                errors.Add(file + ": reserved-memory: no node for board.yaml " + CarveoutField(board, c) + "; add " + c.Name + "@" + c.Base.ToString("x", CultureInfo.InvariantCulture) + " { reg = <" + Hex(c.Base) + " " + Hex(c.Size) + ">; no-map; }");
                continue;
            }
            matched.Add(node);
            CompareReserved(board, file, node, c, errors);
        }
        foreach (DtNode extra in reserved.Where(n => !matched.Contains(n)))
        {
            errors.Add(file + ": reserved-memory/" + extra.Name + ": not in board.yaml memory.carveouts; add it there or remove the node");
        }

        List<DtNode> rprocs = Nodes(root).Where(n => n.Properties.ContainsKey("memory-region")).ToList();
        if (rprocs.Count != 1)
        {
            errors.Add(file + ": memory-region: expected exactly one remoteproc node with memory-region, found " + rprocs.Count.ToString(CultureInfo.InvariantCulture));
            return;
        }
        DtNode rproc = rprocs[0];
        var byPhandle = reserved.Where(n => n.Phandle != null).ToDictionary(n => n.Phandle!.Value);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (uint phandle in rproc.Properties["memory-region"].Cells)
        {
            if (byPhandle.TryGetValue(phandle, out DtNode? target))
            {
                referenced.Add(target.BaseName);
            }
            else
            {
                errors.Add(file + ": " + rproc.Path + ".memory-region: phandle " + Hex(phandle) + " is not a reserved-memory node of this fragment; reference the carve-outs by label");
            }
        }
        foreach (CarveoutSpec c in board.Memory.Carveouts.Where(c => !referenced.Contains(c.Name)))
        {
            errors.Add(file + ": " + rproc.Path + ".memory-region: does not reference " + c.Name + " (board.yaml " + CarveoutField(board, c) + "); add <&" + c.Name.Replace('-', '_') + ">");
        }
        if (board.Doorbell is { Kind: not "socket" } && !rproc.Properties.ContainsKey("mboxes"))
        {
            errors.Add(file + ": " + rproc.Path + ".mboxes: missing; the remoteproc node needs the " + board.Doorbell.Kind + " doorbell (" + board.Doorbell.Device + ")");
        }
        done.Add(LinuxFragmentFileName);
    }

    private static void CheckZephyr(BoardDescriptor board, string file, List<string> errors, List<string> done)
    {
        DtNode? root = Compile(file, zephyr: true, errors);
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
        done.Add(ZephyrOverlayFileName);
    }

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
