// Real-board sections of board.yaml: physical memory banks, reserved-memory carve-outs, the
// doorbell, and the flashing methods' settings.
//
// Rules (docs/boards.md "Validation rules"):
// - banks must not overlap; carve-outs are 4 KiB aligned in base and size (Linux maps reserved
//   memory with page granularity and the remoteproc drivers ioremap whole pages), lie inside one
//   bank and do not overlap each other;
// - when the shared window has a phys_base, each vring must fit inside the carve-out used for it
//   (vring0 / vring1, or one `ipc` region), the buffer pool inside `buffers` (or `ipc`), and the
//   resource table inside `resource-table` (or `ipc`) unless it lives in the image;
// - each flashing method needs its section (remoteproc, openocd, nanoff).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Stratos.Island.Boards;

public static partial class BoardLoader
{
    /// <summary>Flashing methods a board may list.</summary>
    public static readonly IReadOnlyList<string> FlashingMethods = ["none", "remoteproc", "openocd", "nanoff"];

    /// <summary>Granularity of carve-outs: one 4 KiB page.</summary>
    public const ulong CarveoutAlignBytes = 0x1000;

    private static string Hex(ulong value) => "0x" + value.ToString("X", CultureInfo.InvariantCulture);

    private static MemoryMapSpec? ParseMemory(YamlFields? f)
    {
        if (f == null)
        {
            return null;
        }
        var banks = new List<(MemoryBankSpec Bank, string Path)>();
        foreach (YamlFields b in f.Mappings("banks"))
        {
            string? name = b.String("name");
            ulong? baseAddress = b.Unsigned("base", max: ulong.MaxValue);
            ulong? size = b.Unsigned("size", max: ulong.MaxValue);
            b.Finish();
            if (size == 0)
            {
                b.Errors.Add(b.Child("size"), "must be greater than 0");
            }
            if (name != null && baseAddress != null && size != null)
            {
                banks.Add((new MemoryBankSpec(name, baseAddress.Value, size.Value), b.Path));
            }
        }
        for (int i = 0; i < banks.Count; i++)
        {
            for (int j = i + 1; j < banks.Count; j++)
            {
                if (banks[i].Bank.Base < banks[j].Bank.End && banks[j].Bank.Base < banks[i].Bank.End)
                {
                    f.Errors.Add(banks[j].Path, "bank " + Hex(banks[j].Bank.Base) + "-" + Hex(banks[j].Bank.End) + " overlaps " + banks[i].Path + "; banks are disjoint RAM ranges");
                }
            }
        }

        var carveouts = new List<(CarveoutSpec Carveout, string Path)>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (YamlFields c in f.Mappings("carveouts"))
        {
            string? name = c.String("name");
            ulong? baseAddress = c.Unsigned("base", max: ulong.MaxValue);
            ulong? size = c.Unsigned("size", max: ulong.MaxValue);
            string? useText = c.String("use");
            c.Finish();
            CarveoutUse? use = useText switch
            {
                "island-image" => CarveoutUse.IslandImage,
                "resource-table" => CarveoutUse.ResourceTable,
                "vring0" => CarveoutUse.Vring0,
                "vring1" => CarveoutUse.Vring1,
                "buffers" => CarveoutUse.Buffers,
                "ipc" => CarveoutUse.Ipc,
                _ => null,
            };
            if (useText != null && use == null)
            {
                c.Errors.Add(c.Child("use"), "'" + useText + "' is not one of island-image, resource-table, vring0, vring1, buffers, ipc");
            }
            if (name != null && (name.Length == 0 || !name.All(ch => ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or ',' or '.')))
            {
                c.Errors.Add(c.Child("name"), "'" + name + "' must be a devicetree node name (lowercase letters, digits, - _ , .) without the @unit-address");
            }
            if (name != null && !names.TryAdd(name, c.Path))
            {
                c.Errors.Add(c.Child("name"), "duplicate carve-out name '" + name + "' (also at " + names[name] + ")");
            }
            if (baseAddress != null && baseAddress % CarveoutAlignBytes != 0)
            {
                c.Errors.Add(c.Child("base"), Hex(baseAddress.Value) + " is not aligned to 4 KiB (reserved memory is mapped in pages); round it to " + Hex(baseAddress.Value / CarveoutAlignBytes * CarveoutAlignBytes));
            }
            if (size != null && (size == 0 || size % CarveoutAlignBytes != 0))
            {
                c.Errors.Add(c.Child("size"), Hex(size.Value) + " must be a non-zero multiple of 4 KiB (0x1000)");
            }
            if (name != null && baseAddress != null && size != null && use != null)
            {
                var carveout = new CarveoutSpec(name, baseAddress.Value, size.Value, use.Value);
                carveouts.Add((carveout, c.Path));
                if (banks.Count > 0 && !banks.Any(b => carveout.Base >= b.Bank.Base && carveout.End <= b.Bank.End))
                {
                    c.Errors.Add(c.Path, "region " + Hex(carveout.Base) + "-" + Hex(carveout.End) + " lies outside RAM (memory.banks: " +
                        string.Join(", ", banks.Select(b => b.Bank.Name + " " + Hex(b.Bank.Base) + "-" + Hex(b.Bank.End))) + "); move it into a bank");
                }
            }
        }
        f.Finish();
        for (int i = 0; i < carveouts.Count; i++)
        {
            for (int j = i + 1; j < carveouts.Count; j++)
            {
                CarveoutSpec a = carveouts[i].Carveout;
                CarveoutSpec b = carveouts[j].Carveout;
                if (a.Base < b.End && b.Base < a.End)
                {
                    f.Errors.Add(carveouts[j].Path, "region " + Hex(b.Base) + "-" + Hex(b.End) + " overlaps " + carveouts[i].Path + " (" + a.Name + " " + Hex(a.Base) + "-" + Hex(a.End) + ")");
                }
            }
        }
        return new MemoryMapSpec(banks.Select(b => b.Bank).ToList(), carveouts.Select(c => c.Carveout).ToList());
    }

    private static DoorbellSpec? ParseDoorbell(YamlFields? f)
    {
        if (f == null)
        {
            return null;
        }
        string? kind = f.String("kind");
        string? device = f.String("device");
        IReadOnlyList<string> channels = f.Strings("channels", required: false);
        f.Finish();
        if (kind != null && kind is not ("ipcc" or "mu" or "mailbox" or "ipi" or "socket"))
        {
            f.Errors.Add(f.Child("kind"), "'" + kind + "' is not one of ipcc, mu, mailbox, ipi, socket");
        }
        return kind == null || device == null ? null : new DoorbellSpec(kind, device, channels);
    }

    private static OpenOcdSpec? ParseOpenOcd(YamlFields? f)
    {
        if (f == null)
        {
            return null;
        }
        IReadOnlyList<string> configs = f.Strings("configs");
        ulong? address = f.Unsigned("load_address", max: ulong.MaxValue);
        f.Finish();
        if (configs.Count == 0)
        {
            f.Errors.Add(f.Child("configs"), "list at least one OpenOCD config file (board/... or interface/... and target/...)");
        }
        return address == null ? null : new OpenOcdSpec(configs, address.Value);
    }

    private static NanoffSpec? ParseNanoff(YamlFields? f)
    {
        if (f == null)
        {
            return null;
        }
        string? target = f.String("target");
        ulong? address = f.Unsigned("address", max: ulong.MaxValue);
        f.Finish();
        return target == null || address == null ? null : new NanoffSpec(target, address.Value);
    }

    private static void CheckFlashing(YamlFields root, IReadOnlyList<string> flashing, RemoteprocSpec? remoteproc, OpenOcdSpec? openOcd, NanoffSpec? nanoff)
    {
        for (int i = 0; i < flashing.Count; i++)
        {
            string at = "flashing[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            string method = flashing[i];
            if (!FlashingMethods.Contains(method))
            {
                root.Errors.Add(at, "'" + method + "' is not one of " + string.Join(", ", FlashingMethods));
            }
            else if (method == "remoteproc" && remoteproc == null)
            {
                root.Errors.Add(at, "remoteproc needs a 'remoteproc:' section with the instance name");
            }
            else if (method == "openocd" && openOcd == null)
            {
                root.Errors.Add(at, "openocd needs an 'openocd:' section with configs and load_address");
            }
            else if (method == "nanoff" && nanoff == null)
            {
                root.Errors.Add(at, "nanoff needs a 'nanoff:' section with target and address");
            }
        }
    }

    private static void CheckLinkPlacement(YamlFields root, SharedMemorySpec shm, MemoryMapSpec? memory)
    {
        if (shm.PhysBase == null)
        {
            return;
        }
        const string at = "link.shared_memory";
        if (memory == null)
        {
            root.Errors.Add(at + ".phys_base", "a physical window needs a 'memory:' section with banks and carve-outs");
            return;
        }
        Place(root, memory, at + ".vrings[0]", shm.Physical(shm.Vrings.Count > 0 ? shm.Vrings[0].Da : 0), shm.Vrings.Count > 0 ? shm.Vrings[0].SizeBytes : 0, CarveoutUse.Vring0);
        Place(root, memory, at + ".vrings[1]", shm.Physical(shm.Vrings.Count > 1 ? shm.Vrings[1].Da : 0), shm.Vrings.Count > 1 ? shm.Vrings[1].SizeBytes : 0, CarveoutUse.Vring1);
        Place(root, memory, at + ".buffers", shm.Physical(shm.Buffers.Base), (ulong)shm.Buffers.Count * shm.Buffers.Size, CarveoutUse.Buffers);
        if (!shm.ResourceTableInImage)
        {
            Place(root, memory, at + ".resource_table", shm.Physical(shm.ResourceTable), shm.ResourceTableBytes, CarveoutUse.ResourceTable);
        }
    }

    /// <summary>[start, start+bytes) must lie inside the carve-out used for <paramref name="use"/> (or an ipc carve-out).</summary>
    private static void Place(YamlFields root, MemoryMapSpec memory, string at, ulong start, ulong bytes, CarveoutUse use)
    {
        if (bytes == 0)
        {
            return;
        }
        ulong end = start + bytes;
        List<CarveoutSpec> candidates = memory.Carveouts.Where(c => c.Use == use || c.Use == CarveoutUse.Ipc).ToList();
        if (candidates.Any(c => start >= c.Base && end <= c.End))
        {
            return;
        }
        string useName = use switch
        {
            CarveoutUse.Vring0 => "vring0",
            CarveoutUse.Vring1 => "vring1",
            CarveoutUse.Buffers => "buffers",
            _ => "resource-table",
        };
        CarveoutSpec? containing = candidates.FirstOrDefault(c => start >= c.Base && start < c.End);
        root.Errors.Add(at, containing != null
            ? "needs " + Hex(start) + "-" + Hex(end) + " but carve-out " + containing.Name + " ends at " + Hex(containing.End) + "; grow the carve-out to " + Hex(end - containing.Base) + " bytes or shrink num/count"
            : "physical range " + Hex(start) + "-" + Hex(end) + " is not inside a carve-out with use " + useName + " (or ipc); add one to memory.carveouts or fix phys_base/offsets");
    }
}
