// Loads and validates boards/<id>/board.yaml. Every problem is collected and reported at once in a
// BoardDescriptorException naming the file, the field path and the fix.
//
// Layout checks of the shared memory follow FACTS.md and virtio 1.1 2.6.2 (split virtqueue):
// descriptor table 16*num, available ring 6+2*num, used ring at the next `align` boundary 6+8*num.
// The resource table, each vring and the buffer pool must lie inside `size`, not overlap, vring
// addresses must be aligned to `align`, and vring sizes and buffer counts must be powers of two.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Stratos.Island.Boards;

public static partial class BoardLoader
{
    public const string DescriptorFileName = "board.yaml";

    /// <summary>Loads and validates one descriptor file.</summary>
    public static BoardDescriptor Load(string path)
    {
        var errors = new ValidationErrors(path);
        YamlStream? stream = ReadYaml(path, errors);
        BoardDescriptor? board = stream == null ? null : Parse(stream, path, errors);
        if (errors.All.Count > 0 || board == null)
        {
            throw new BoardDescriptorException(errors.All.Count > 0 ? errors.All : [path + ": could not be read"]);
        }
        return board;
    }

    /// <summary>Loads boards/&lt;id&gt;/board.yaml under <paramref name="boardsDir"/>.</summary>
    public static BoardDescriptor LoadById(string boardsDir, string id)
    {
        string path = Path.Combine(boardsDir, id, DescriptorFileName);
        if (!File.Exists(path))
        {
            string known = Directory.Exists(boardsDir)
                ? string.Join(", ", Directory.GetDirectories(boardsDir).Where(d => File.Exists(Path.Combine(d, DescriptorFileName))).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                : "none";
            throw new BoardDescriptorException([path + ": board '" + id + "' not found (boards with a " + DescriptorFileName + ": " + known + ")"]);
        }
        BoardDescriptor board = Load(path);
        if (!string.Equals(board.Id, id, StringComparison.Ordinal))
        {
            throw new BoardDescriptorException([path + ": id: is '" + board.Id + "' but the directory is '" + id + "'; make them equal"]);
        }
        return board;
    }

    /// <summary>Walks up from <paramref name="startDirectory"/> to the first directory holding boards/ with a board.yaml.</summary>
    public static string FindRepoBoardsDir(string startDirectory)
    {
        for (DirectoryInfo? dir = new(startDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "boards");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, DescriptorFileName, SearchOption.AllDirectories).Any())
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("no boards/ directory with a " + DescriptorFileName + " above " + startDirectory);
    }

    internal static YamlStream? ReadYaml(string path, ValidationErrors errors)
    {
        if (!File.Exists(path))
        {
            errors.Add("", "file not found");
            return null;
        }
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            errors.Add("", "YAML syntax error at line " + e.Start.Line.ToString(CultureInfo.InvariantCulture) + ", column " +
                e.Start.Column.ToString(CultureInfo.InvariantCulture) + ": " + e.Message);
            return null;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this for some malformed input (an unterminated [ or {).
            errors.Add("", "YAML syntax error (check for an unclosed [ or {): " + e.Message);
            return null;
        }
        catch (ArgumentException e)
        {
            // YamlDotNet's node builder throws this for an event it builds no node from (found by
            // ./fuzz.sh board: stray control bytes in a flow collection; regression inputs in
            // tools/tests/Stratos.Island.Fuzz.Tests/regressions).
            errors.Add("", "YAML structure not supported (a document must be plain mappings, sequences and scalars): " + e.Message);
            return null;
        }
        return stream;
    }

    private static BoardDescriptor? Parse(YamlStream stream, string path, ValidationErrors errors)
    {
        YamlFields? root = YamlFields.Root(stream, errors);
        if (root == null)
        {
            return null;
        }
        string? id = root.String("id");
        string? name = root.String("name");
        string? soc = root.String("soc");
        ulong? cores = root.Unsigned("application_cores");
        IslandSpec? island = ParseIsland(root.Mapping("island"));
        LinkSpec? link = ParseLink(root.Mapping("link"));
        YamlFields? remoteprocFields = root.Mapping("remoteproc", required: false);
        RemoteprocSpec? remoteproc = null;
        if (remoteprocFields != null)
        {
            string? rpName = remoteprocFields.String("name");
            string? driver = remoteprocFields.String("driver", required: false);
            string? firmwareName = remoteprocFields.String("firmware", required: false);
            remoteprocFields.Finish();
            remoteproc = rpName == null ? null : new RemoteprocSpec(rpName) { Driver = driver, FirmwareName = firmwareName };
        }
        List<PowerDomainSpec> domains = ParseDomains(root);
        SafeStateSpec? safeState = ParseSafeState(root.Mapping("safe_state"), domains);
        IReadOnlyList<string> flashing = root.Strings("flashing", required: false);
        string? applicationCore = root.String("application_core", required: false);
        string vmm = root.String("vmm", required: false) ?? "qemu";
        if (vmm is not ("qemu" or "xen"))
        {
            errors.Add("vmm", "'" + vmm + "' must be qemu or xen");
        }
        MemoryMapSpec? memory = ParseMemory(root.Mapping("memory", required: false));
        DoorbellSpec? doorbell = ParseDoorbell(root.Mapping("doorbell", required: false));
        OpenOcdSpec? openOcd = ParseOpenOcd(root.Mapping("openocd", required: false));
        NanoffSpec? nanoff = ParseNanoff(root.Mapping("nanoff", required: false));
        root.Finish();
        CheckFlashing(root, flashing, remoteproc, openOcd, nanoff);
        if (link?.SharedMemory != null)
        {
            CheckLinkPlacement(root, link.SharedMemory, memory);
        }
        if (id != null && !IsSlug(id))
        {
            errors.Add("id", "'" + id + "' must be lowercase letters, digits and '-'");
        }
        if (id == null || name == null || soc == null || cores == null || island == null || link == null || safeState == null)
        {
            return null;
        }
        return new BoardDescriptor(id, name, soc, (uint)cores.Value, island, link, remoteproc, domains, safeState, flashing, path)
        {
            ApplicationCore = applicationCore,
            Vmm = vmm,
            Memory = memory,
            Doorbell = doorbell,
            OpenOcd = openOcd,
            Nanoff = nanoff,
        };
    }

    private static IslandSpec? ParseIsland(YamlFields? f)
    {
        if (f == null)
        {
            return null;
        }
        string? core = f.String("core");
        ulong? clock = f.Unsigned("clock_hz");
        ulong? ram = f.Unsigned("ram_bytes");
        ulong? flash = f.Unsigned("flash_bytes");
        ulong? maxVms = f.Unsigned("max_vms");
        ulong? maxCheckpoints = f.Unsigned("max_checkpoints_per_vm");
        ulong? cycle = f.Unsigned("supervision_cycle_ms");
        ulong? tolerance = f.Unsigned("expired_supervision_cycle_tolerance");
        ulong? agentTolerance = f.Unsigned("agent_failed_ref_cycle_tolerance", required: false, max: 60);
        YamlFields? wdg = f.Mapping("hardware_watchdog");
        ulong? wdgTimeout = wdg?.Unsigned("timeout_ms");
        string? wdgDevice = wdg?.String("device", required: false);
        wdg?.Finish();
        YamlFields? log = f.Mapping("event_log");
        ulong? logOffset = log?.Unsigned("flash_offset");
        ulong? logBytes = log?.Unsigned("flash_bytes");
        ulong? logPage = log?.Unsigned("page_bytes");
        log?.Finish();
        f.Finish();
        RequirePositive(f, "max_vms", maxVms);
        RequirePositive(f, "supervision_cycle_ms", cycle);
        if (maxVms > 255)
        {
            f.Errors.Add(f.Child("max_vms"), "at most 255 VMs (VM ids are 1..max_vms in one byte of the event log)");
        }
        if (wdgTimeout != null && cycle != null && wdgTimeout <= cycle)
        {
            f.Errors.Add(f.Child("hardware_watchdog.timeout_ms"), "must be longer than supervision_cycle_ms (" + cycle.Value.ToString(CultureInfo.InvariantCulture) + ") or the watchdog fires between two cycles");
        }
        if (logPage != null && logPage != 0 && logBytes != null && logBytes % logPage != 0)
        {
            f.Errors.Add(f.Child("event_log.flash_bytes"), "must be a multiple of page_bytes (" + logPage.Value.ToString(CultureInfo.InvariantCulture) + ")");
        }
        RequirePositive(f, "event_log.page_bytes", logPage);
        if (logOffset != null && logBytes != null && flash != null && logOffset + logBytes > flash)
        {
            f.Errors.Add(f.Child("event_log"), "flash_offset + flash_bytes (0x" + (logOffset + logBytes).Value.ToString("X", CultureInfo.InvariantCulture) + ") runs past flash_bytes (0x" + flash.Value.ToString("X", CultureInfo.InvariantCulture) + ")");
        }
        if (core == null || clock == null || ram == null || flash == null || maxVms == null || maxCheckpoints == null ||
            cycle == null || tolerance == null || wdgTimeout == null || logOffset == null || logBytes == null || logPage == null)
        {
            return null;
        }
        return new IslandSpec(core, (uint)clock, (uint)ram, (uint)flash, (uint)maxVms, (uint)maxCheckpoints, (uint)cycle, (uint)tolerance,
            new HardwareWatchdogSpec((uint)wdgTimeout) { Device = wdgDevice }, new EventLogSpec((uint)logOffset, (uint)logBytes, (uint)logPage))
        {
            AgentFailedRefCycleTolerance = (uint)(agentTolerance ?? 2),
        };
    }

    private static LinkSpec? ParseLink(YamlFields? f)
    {
        if (f == null)
        {
            return null;
        }
        string? transportText = f.String("transport");
        string? channel = f.String("channel_name");
        YamlFields? shm = f.Mapping("shared_memory", required: false);
        string? kick = f.String("kick_socket", required: false);
        YamlFields? serialFields = f.Mapping("serial", required: false);
        YamlFields? rpmsgFields = f.Mapping("rpmsg_char", required: false);
        bool requireAuthentication = f.Bool("require_authentication", required: false) ?? false;
        f.Finish();

        LinkTransport? transport = transportText switch
        {
            null => null,
            "shared-memory" => LinkTransport.SharedMemory,
            "rpmsg-char" => LinkTransport.RpmsgChar,
            "serial" => LinkTransport.Serial,
            _ => null,
        };
        if (transportText != null && transport == null)
        {
            f.Errors.Add(f.Child("transport"), "'" + transportText + "' is not one of shared-memory, rpmsg-char, serial");
        }
        if (channel != null && (System.Text.Encoding.UTF8.GetByteCount(channel) > 31 || channel.Length == 0))
        {
            f.Errors.Add(f.Child("channel_name"), "rpmsg channel names hold at most 31 bytes plus the terminating NUL (FACTS.md name service)");
        }
        SharedMemorySpec? sharedMemory = shm == null ? null : ParseSharedMemory(shm);
        SerialSpec? serial = null;
        if (serialFields != null)
        {
            string? device = serialFields.String("device");
            ulong? baud = serialFields.Unsigned("baud");
            serialFields.Finish();
            serial = device == null || baud == null ? null : new SerialSpec(device, (uint)baud);
        }
        RpmsgCharSpec? rpmsg = null;
        if (rpmsgFields != null)
        {
            string? control = rpmsgFields.String("control_device");
            rpmsgFields.Finish();
            rpmsg = control == null ? null : new RpmsgCharSpec(control);
        }
        switch (transport)
        {
            case LinkTransport.SharedMemory:
                if (shm == null)
                {
                    f.Errors.Add(f.Child("shared_memory"), "required when transport is shared-memory");
                }
                if (kick == null)
                {
                    f.Errors.Add(f.Child("kick_socket"), "required when transport is shared-memory (path of the AF_UNIX kick socket)");
                }
                break;
            case LinkTransport.RpmsgChar when rpmsgFields == null:
                f.Errors.Add(f.Child("rpmsg_char"), "required when transport is rpmsg-char (control_device: /dev/rpmsg_ctrl0)");
                break;
            case LinkTransport.Serial when serialFields == null:
                f.Errors.Add(f.Child("serial"), "required when transport is serial (device, baud)");
                break;
        }
        if (transport == null || channel == null)
        {
            return null;
        }
        return new LinkSpec(transport.Value, channel, sharedMemory, kick, serial, rpmsg) { RequireAuthentication = requireAuthentication };
    }

    private static SharedMemorySpec? ParseSharedMemory(YamlFields f)
    {
        string path = f.String("path", required: false) ?? "/dev/shm/stratos-island";
        ulong size = f.Unsigned("size", required: false) ?? 0x80000;
        ulong? physBase = f.Unsigned("phys_base", required: false, max: ulong.MaxValue);
        ulong? tableField = f.Unsigned("resource_table", required: false);
        // On a real board the resource table may be the image's .resource_table section (ST, TI, Xilinx
        // layouts): then it is not part of the shared window. The virtual file always has it at 0.
        bool tableInImage = physBase != null && tableField == null;
        ulong table = tableField ?? 0;
        var vrings = new List<(VringSpec Spec, string Path)>();
        IReadOnlyList<YamlFields> vringFields = f.Mappings("vrings");
        foreach (YamlFields v in vringFields)
        {
            ulong? da = v.Unsigned("da");
            ulong? align = v.Unsigned("align");
            ulong? num = v.Unsigned("num", max: 32768);
            v.Finish();
            if (align != null && !IsPowerOfTwo(align.Value))
            {
                v.Errors.Add(v.Child("align"), "must be a power of two (virtio requires it), got " + align.Value.ToString(CultureInfo.InvariantCulture));
            }
            if (num != null && !IsPowerOfTwo(num.Value))
            {
                v.Errors.Add(v.Child("num"), "must be a power of two (split virtqueue sizes are), got " + num.Value.ToString(CultureInfo.InvariantCulture) + "; try 256");
            }
            if (da != null && align != null && IsPowerOfTwo(align.Value) && da % align != 0)
            {
                v.Errors.Add(v.Child("da"), "0x" + da.Value.ToString("X", CultureInfo.InvariantCulture) + " is not aligned to align (0x" + align.Value.ToString("X", CultureInfo.InvariantCulture) + ")");
            }
            if (da != null && align != null && num != null)
            {
                vrings.Add((new VringSpec((uint)da, (uint)align, (uint)num), v.Path));
            }
        }
        if (vringFields.Count != 2)
        {
            f.Errors.Add(f.Child("vrings"), "rpmsg uses exactly two vrings (vring0 driver-RX, vring1 driver-TX), got " + vringFields.Count.ToString(CultureInfo.InvariantCulture));
        }
        YamlFields? b = f.Mapping("buffers");
        ulong? bufBase = b?.Unsigned("base");
        ulong? bufCount = b?.Unsigned("count");
        ulong? bufSize = b?.Unsigned("size");
        b?.Finish();
        f.Finish();
        if (b != null && bufCount != null && !IsPowerOfTwo(bufCount.Value))
        {
            f.Errors.Add(b.Child("count"), "must be a power of two, got " + bufCount.Value.ToString(CultureInfo.InvariantCulture) + "; try 512");
        }
        if (b != null && bufSize != null && bufSize <= 16)
        {
            f.Errors.Add(b.Child("size"), "must exceed the 16-byte rpmsg header; OpenAMP uses 512");
        }
        if (size > uint.MaxValue || bufBase == null || bufCount == null || bufSize == null || b == null)
        {
            return null;
        }
        var spec = new SharedMemorySpec(path, (uint)size, (uint)table, vrings.Select(v => v.Spec).ToList(), new BufferPoolSpec((uint)bufBase, (uint)bufCount, (uint)bufSize))
        {
            PhysBase = physBase,
            ResourceTableInImage = tableInImage,
        };

        // Regions: [start, end) in the shared memory, checked for fit and overlap.
        var regions = new List<(string Path, ulong Start, ulong End)>();
        if (!tableInImage)
        {
            regions.Add((f.Child("resource_table"), table, table + spec.ResourceTableBytes));
        }
        regions.AddRange(vrings.Select(v => (v.Path, (ulong)v.Spec.Da, v.Spec.Da + v.Spec.SizeBytes)));
        regions.Add((b.Path, bufBase.Value, bufBase.Value + (bufCount.Value * bufSize.Value)));
        foreach ((string regionPath, ulong start, ulong end) in regions)
        {
            if (end > size)
            {
                f.Errors.Add(regionPath, "region 0x" + start.ToString("X", CultureInfo.InvariantCulture) + "-0x" + end.ToString("X", CultureInfo.InvariantCulture) +
                    " does not fit in shared_memory.size 0x" + size.ToString("X", CultureInfo.InvariantCulture) + "; move it or grow size");
            }
        }
        for (int i = 0; i < regions.Count; i++)
        {
            for (int j = i + 1; j < regions.Count; j++)
            {
                if (regions[i].Start < regions[j].End && regions[j].Start < regions[i].End)
                {
                    f.Errors.Add(regions[j].Path, "region 0x" + regions[j].Start.ToString("X", CultureInfo.InvariantCulture) + "-0x" + regions[j].End.ToString("X", CultureInfo.InvariantCulture) +
                        " overlaps " + regions[i].Path + " (0x" + regions[i].Start.ToString("X", CultureInfo.InvariantCulture) + "-0x" + regions[i].End.ToString("X", CultureInfo.InvariantCulture) + ")");
                }
            }
        }
        return spec;
    }

    private static List<PowerDomainSpec> ParseDomains(YamlFields root)
    {
        var domains = new List<PowerDomainSpec>();
        var ids = new Dictionary<ulong, string>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        int aClusters = 0;
        foreach (YamlFields d in root.Mappings("power_domains"))
        {
            ulong? id = d.Unsigned("id");
            string? name = d.String("name");
            ulong? scmi = d.Unsigned("scmi_id");
            string? criticalityText = d.String("criticality");
            string? initial = d.String("initial_state");
            bool aCluster = d.Bool("a_cluster", required: false) ?? false;
            d.Finish();
            DomainCriticality? criticality = ParseCriticality(criticalityText);
            if (criticalityText != null && criticality == null)
            {
                d.Errors.Add(d.Child("criticality"), "'" + criticalityText + "' is not one of qm, asil-a, asil-b, asil-c, asil-d");
            }
            if (initial != null && initial != "on" && initial != "off")
            {
                d.Errors.Add(d.Child("initial_state"), "'" + initial + "' is not on or off");
            }
            if (id != null && !ids.TryAdd(id.Value, d.Path))
            {
                d.Errors.Add(d.Child("id"), "duplicate power domain id " + id.Value.ToString(CultureInfo.InvariantCulture) + " (also at " + ids[id.Value] + ")");
            }
            if (name != null && !names.TryAdd(name, d.Path))
            {
                d.Errors.Add(d.Child("name"), "duplicate power domain name '" + name + "' (also at " + names[name] + ")");
            }
            if (name != null && (!IsSlug(name) || System.Text.Encoding.UTF8.GetByteCount(name) > 32))
            {
                d.Errors.Add(d.Child("name"), "'" + name + "' must be 1-32 bytes of [a-z0-9-] (PowerDomainStatus.name)");
            }
            if (aCluster)
            {
                aClusters++;
            }
            if (id != null && name != null && scmi != null && criticality != null && initial is "on" or "off")
            {
                domains.Add(new PowerDomainSpec((uint)id, name, (uint)scmi, criticality.Value, initial == "on", aCluster));
            }
        }
        if (aClusters > 1)
        {
            root.Errors.Add("power_domains", "only one domain can hold the A cluster (a_cluster: true), found " + aClusters.ToString(CultureInfo.InvariantCulture));
        }
        return domains;
    }

    private static SafeStateSpec? ParseSafeState(YamlFields? f, List<PowerDomainSpec> domains)
    {
        if (f == null)
        {
            return null;
        }
        string? output = f.String("output");
        IReadOnlyList<string> kept = f.Strings("domains_kept_on");
        f.Finish();
        for (int i = 0; i < kept.Count; i++)
        {
            if (!domains.Any(d => d.Name == kept[i]))
            {
                f.Errors.Add(f.Child("domains_kept_on") + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", "no power domain named '" + kept[i] + "'");
            }
        }
        return output == null ? null : new SafeStateSpec(output, kept);
    }

    internal static DomainCriticality? ParseCriticality(string? text) => text switch
    {
        "qm" => DomainCriticality.Qm,
        "asil-a" => DomainCriticality.AsilA,
        "asil-b" => DomainCriticality.AsilB,
        "asil-c" => DomainCriticality.AsilC,
        "asil-d" => DomainCriticality.AsilD,
        _ => null,
    };

    private static void RequirePositive(YamlFields f, string key, ulong? value)
    {
        if (value == 0)
        {
            f.Errors.Add(f.Child(key), "must be greater than 0");
        }
    }

    internal static bool IsPowerOfTwo(ulong value) => value != 0 && (value & (value - 1)) == 0;

    internal static bool IsSlug(string text) => text.Length > 0 && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
