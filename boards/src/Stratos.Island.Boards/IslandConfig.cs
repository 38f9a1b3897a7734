// Island configuration (boards/<id>/vms.yaml): the VMs the island supervises. The loader validates
// against the board descriptor and the limits of link.proto (names 1-32 bytes of [a-z0-9-], at most
// max_vms VMs, 8 dependencies, 8 deadlines, 8 initial/final checkpoints, 32 transitions, 8 power
// domains, string lengths of VmmConfig) and converts each VM to the generated VmDefinition with
// stable ids: 1-based in file order.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Boards;

/// <summary>A validated island configuration.</summary>
public sealed class IslandConfig
{
    public IslandConfig(IReadOnlyList<VmDefinition> vms, uint configHash, string sourcePath)
    {
        Vms = vms;
        ConfigHash = configHash;
        SourcePath = sourcePath;
    }

    /// <summary>VM definitions, VmId 1..N in file order.</summary>
    public IReadOnlyList<VmDefinition> Vms { get; }

    /// <summary>First 4 bytes (little-endian) of SHA-256 over the canonical encoding (see <see cref="IslandConfigLoader.ComputeHash"/>).</summary>
    public uint ConfigHash { get; }

    public string SourcePath { get; }
}

public static class IslandConfigLoader
{
    public const string ConfigFileName = "vms.yaml";
    private const int MaxNameBytes = 32;
    private const int MaxDependencies = 8;
    private const int MaxDeadlines = 8;
    private const int MaxCheckpointList = 8;
    private const int MaxTransitions = 32;
    private const int MaxPowerDomains = 8;
    // link.proto: a VmDefinition travels as a blob whose encoding is at most 2048 bytes.
    private const int MaxEncodedDefinitionBytes = 2048;

    /// <summary>Loads and validates a configuration file against <paramref name="board"/>.</summary>
    public static IslandConfig Load(string path, BoardDescriptor board)
    {
        var errors = new ValidationErrors(path);
        var vms = new List<VmDefinition>();
        var yaml = BoardLoader.ReadYaml(path, errors);
        if (yaml != null && YamlFields.Root(yaml, errors) is { } root)
        {
            var parsed = new List<(VmDefinition Vm, IReadOnlyList<string> DependsOn, string Path)>();
            foreach (YamlFields vm in root.Mappings("vms"))
            {
                var (definition, dependsOn) = ParseVm(vm, board, (uint)(parsed.Count + 1));
                parsed.Add((definition, dependsOn, vm.Path));
            }
            root.Finish();
            if (parsed.Count > board.Island.MaxVms)
            {
                errors.Add("vms", parsed.Count.ToString(CultureInfo.InvariantCulture) + " VMs but the board allows max_vms = " + board.Island.MaxVms.ToString(CultureInfo.InvariantCulture));
            }
            ResolveDependencies(parsed, errors);
            foreach ((VmDefinition vm, _, string vmPath) in parsed)
            {
                int size = vm.CalculateSize();
                if (size > MaxEncodedDefinitionBytes)
                {
                    errors.Add(vmPath, "encoded VmDefinition is " + size.ToString(CultureInfo.InvariantCulture) + " bytes, more than the " +
                        MaxEncodedDefinitionBytes.ToString(CultureInfo.InvariantCulture) + " link.proto allows; shorten strings or lists");
                }
            }
            vms.AddRange(parsed.Select(p => p.Vm));
        }
        if (errors.All.Count > 0)
        {
            throw new BoardDescriptorException(errors.All);
        }
        return new IslandConfig(vms, ComputeHash(vms), path);
    }

    /// <summary>
    /// Config hash: SHA-256 over, for each VM in id order, a 4-byte little-endian length followed by
    /// the VmDefinition's protobuf encoding; the first 4 bytes read little-endian. 0 means "no
    /// configuration" on the link, so a (vanishingly unlikely) zero result is mapped to 1.
    /// </summary>
    public static uint ComputeHash(IReadOnlyList<VmDefinition> vms)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (VmDefinition vm in vms.OrderBy(v => v.VmId))
        {
            byte[] encoded = Google.Protobuf.MessageExtensions.ToByteArray(vm);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, encoded.Length);
            hash.AppendData(length);
            hash.AppendData(encoded);
        }
        byte[] digest = hash.GetHashAndReset();
        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(digest);
        return value == 0 ? 1 : value;
    }

    private static (VmDefinition Vm, IReadOnlyList<string> DependsOn) ParseVm(YamlFields f, BoardDescriptor board, uint id)
    {
        var vm = new VmDefinition { VmId = id };
        string? name = f.String("name");
        if (name != null)
        {
            if (!BoardLoader.IsSlug(name) || System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
            {
                f.Errors.Add(f.Child("name"), "'" + name + "' must be 1-32 bytes of [a-z0-9-]");
            }
            vm.Name = name;
        }
        string? criticality = f.String("criticality");
        DomainCriticality? parsedCriticality = BoardLoader.ParseCriticality(criticality);
        if (criticality != null && parsedCriticality == null)
        {
            f.Errors.Add(f.Child("criticality"), "'" + criticality + "' is not one of qm, asil-a, asil-b, asil-c, asil-d");
        }
        vm.Criticality = parsedCriticality switch
        {
            DomainCriticality.Qm => Criticality.Qm,
            DomainCriticality.AsilA => Criticality.AsilA,
            DomainCriticality.AsilB => Criticality.AsilB,
            DomainCriticality.AsilC => Criticality.AsilC,
            DomainCriticality.AsilD => Criticality.AsilD,
            _ => Criticality.Unspecified,
        };
        vm.BootOrder = (uint)(f.Unsigned("boot_order", required: false) ?? id);
        IReadOnlyList<string> dependsOn = f.Strings("depends_on", required: false);
        if (dependsOn.Count > MaxDependencies)
        {
            f.Errors.Add(f.Child("depends_on"), "at most " + MaxDependencies + " dependencies (link.proto), got " + dependsOn.Count.ToString(CultureInfo.InvariantCulture));
        }
        vm.Autostart = f.Bool("autostart", required: false) ?? false;
        IReadOnlyList<string> domains = f.Strings("power_domains");
        if (domains.Count > MaxPowerDomains)
        {
            f.Errors.Add(f.Child("power_domains"), "at most " + MaxPowerDomains + " power domains (link.proto)");
        }
        for (int i = 0; i < domains.Count; i++)
        {
            PowerDomainSpec? domain = board.FindDomain(domains[i]);
            if (domain == null)
            {
                f.Errors.Add(f.Child("power_domains") + "[" + i.ToString(CultureInfo.InvariantCulture) + "]",
                    "board '" + board.Id + "' has no power domain '" + domains[i] + "' (it has: " + string.Join(", ", board.PowerDomains.Select(d => d.Name)) + ")");
            }
            else
            {
                vm.PowerDomains.Add(domain.Id);
            }
        }
        string? safeAction = f.String("safe_action");
        vm.SafeAction = safeAction switch
        {
            null => SafeAction.Unspecified,
            "report" => SafeAction.Report,
            "restart-vm" => SafeAction.RestartVm,
            "stop-vm" => SafeAction.StopVm,
            "reset-a-cluster" => SafeAction.ResetACluster,
            "safe-state" => SafeAction.SafeState,
            _ => SafeAction.Unspecified,
        };
        if (safeAction != null && vm.SafeAction == SafeAction.Unspecified)
        {
            f.Errors.Add(f.Child("safe_action"), "'" + safeAction + "' is not one of report, restart-vm, stop-vm, reset-a-cluster, safe-state");
        }
        vm.StartTimeoutMs = (uint)(f.Unsigned("start_timeout_ms") ?? 0);
        vm.StopTimeoutMs = (uint)(f.Unsigned("stop_timeout_ms") ?? 0);
        vm.Restart = ParseRestart(f.Mapping("restart"));
        vm.Supervision = ParseSupervision(f.Mapping("supervision", required: false), board);
        vm.Vmm = ParseVmm(f.Mapping("vmm"));
        f.Finish();
        return (vm, dependsOn);
    }

    private static RestartPolicy ParseRestart(YamlFields? f)
    {
        var policy = new RestartPolicy();
        if (f == null)
        {
            return policy;
        }
        policy.MaxRestarts = (uint)(f.Unsigned("max_restarts") ?? 0);
        policy.WindowMs = (uint)(f.Unsigned("window_ms") ?? 0);
        policy.BackoffInitialMs = (uint)(f.Unsigned("backoff_initial_ms") ?? 0);
        policy.BackoffMaxMs = (uint)(f.Unsigned("backoff_max_ms") ?? 0);
        f.Finish();
        if (policy.BackoffMaxMs < policy.BackoffInitialMs)
        {
            f.Errors.Add(f.Child("backoff_max_ms"), "must be >= backoff_initial_ms");
        }
        return policy;
    }

    private static SupervisionConfig ParseSupervision(YamlFields? f, BoardDescriptor board)
    {
        var config = new SupervisionConfig();
        if (f == null)
        {
            return config;
        }
        YamlFields? alive = f.Mapping("alive", required: false);
        if (alive != null)
        {
            config.Alive = new AliveSupervision
            {
                ExpectedIndications = (uint)(alive.Unsigned("expected_indications") ?? 0),
                MinMargin = (uint)(alive.Unsigned("min_margin") ?? 0),
                MaxMargin = (uint)(alive.Unsigned("max_margin") ?? 0),
                ReferenceCycles = (uint)(alive.Unsigned("reference_cycles") ?? 0),
            };
            alive.Finish();
            if (config.Alive.MinMargin > config.Alive.ExpectedIndications)
            {
                alive.Errors.Add(alive.Child("min_margin"), "larger than expected_indications");
            }
            if (config.Alive.ExpectedIndications > 0 && config.Alive.ReferenceCycles == 0)
            {
                alive.Errors.Add(alive.Child("reference_cycles"), "must be > 0 when alive supervision is enabled");
            }
        }
        IReadOnlyList<YamlFields> deadlines = f.Mappings("deadlines", required: false);
        if (deadlines.Count > MaxDeadlines)
        {
            f.Errors.Add(f.Child("deadlines"), "at most " + MaxDeadlines + " deadline supervisions (link.proto)");
        }
        foreach (YamlFields d in deadlines)
        {
            var deadline = new DeadlineSupervision
            {
                StartCheckpoint = Checkpoint(d, "start_checkpoint", board),
                EndCheckpoint = Checkpoint(d, "end_checkpoint", board),
                MinMs = (uint)(d.Unsigned("min_ms") ?? 0),
                MaxMs = (uint)(d.Unsigned("max_ms") ?? 0),
            };
            d.Finish();
            if (deadline.MaxMs < deadline.MinMs)
            {
                d.Errors.Add(d.Child("max_ms"), "must be >= min_ms");
            }
            config.Deadlines.Add(deadline);
        }
        YamlFields? logical = f.Mapping("logical", required: false);
        if (logical != null)
        {
            var graph = new LogicalSupervision();
            graph.InitialCheckpoints.AddRange(CheckpointList(logical, "initial", board));
            graph.FinalCheckpoints.AddRange(CheckpointList(logical, "final", board));
            IReadOnlyList<YamlFields> transitions = logical.Mappings("transitions");
            if (transitions.Count > MaxTransitions)
            {
                logical.Errors.Add(logical.Child("transitions"), "at most " + MaxTransitions + " transitions (link.proto)");
            }
            foreach (YamlFields t in transitions)
            {
                graph.Transitions.Add(new LogicalTransition { FromCheckpoint = Checkpoint(t, "from", board), ToCheckpoint = Checkpoint(t, "to", board) });
                t.Finish();
            }
            logical.Finish();
            config.Logical = graph;
        }
        config.FailedRefCycleTolerance = (uint)(f.Unsigned("failed_ref_cycle_tolerance", required: false) ?? 0);
        f.Finish();
        return config;
    }

    private static uint Checkpoint(YamlFields f, string key, BoardDescriptor board)
    {
        ulong? value = f.Unsigned(key);
        if (value != null && (value == 0 || value > board.Island.MaxCheckpointsPerVm))
        {
            f.Errors.Add(f.Child(key), "checkpoint ids are 1.." + board.Island.MaxCheckpointsPerVm.ToString(CultureInfo.InvariantCulture) + " (board max_checkpoints_per_vm)");
        }
        return (uint)(value ?? 0);
    }

    private static IEnumerable<uint> CheckpointList(YamlFields f, string key, BoardDescriptor board)
    {
        IReadOnlyList<uint> values = f.Unsigneds(key);
        if (values.Count > MaxCheckpointList)
        {
            f.Errors.Add(f.Child(key), "at most " + MaxCheckpointList + " checkpoints (link.proto)");
        }
        foreach (uint value in values)
        {
            if (value == 0 || value > board.Island.MaxCheckpointsPerVm)
            {
                f.Errors.Add(f.Child(key), "checkpoint " + value.ToString(CultureInfo.InvariantCulture) + " is outside 1.." + board.Island.MaxCheckpointsPerVm.ToString(CultureInfo.InvariantCulture));
            }
        }
        return values;
    }

    private static VmmConfig ParseVmm(YamlFields? f)
    {
        var vmm = new VmmConfig();
        if (f == null)
        {
            return vmm;
        }
        vmm.Machine = Limited(f, "machine", 32, required: true);
        vmm.MemoryMib = (uint)(f.Unsigned("memory_mib") ?? 0);
        vmm.Vcpus = (uint)(f.Unsigned("vcpus") ?? 0);
        vmm.Kernel = Limited(f, "kernel", 128, required: true);
        vmm.Disk = Limited(f, "disk", 128, required: false);
        vmm.Cmdline = Limited(f, "cmdline", 128, required: false);
        vmm.Initrd = Limited(f, "initrd", 112, required: false);
        string? accelerator = f.String("accelerator", required: false);
        switch (accelerator)
        {
            case null or "auto":
                break;
            case "kvm":
                vmm.Accelerator = VmmAccelerator.Kvm;
                break;
            case "tcg":
                vmm.Accelerator = VmmAccelerator.Tcg;
                break;
            default:
                f.Errors.Add(f.Child("accelerator"), "'" + accelerator + "' is not one of auto, kvm, tcg");
                break;
        }
        // The guest contract's standard devices (docs/guests.md).
        vmm.HeartbeatPort = f.Bool("heartbeat_port", required: false) ?? false;
        vmm.Watchdog = f.Bool("watchdog", required: false) ?? false;
        vmm.PanicDevice = f.Bool("panic_device", required: false) ?? false;
        IReadOnlyList<string> extra = f.Strings("extra_args", required: false);
        if (extra.Count > 16)
        {
            f.Errors.Add(f.Child("extra_args"), "at most 16 arguments (link.proto)");
        }
        for (int i = 0; i < extra.Count; i++)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(extra[i]) > 64)
            {
                f.Errors.Add(f.Child("extra_args") + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", "longer than 64 bytes (link.proto)");
            }
        }
        vmm.ExtraArgs.AddRange(extra);
        f.Finish();
        return vmm;
    }

    private static string Limited(YamlFields f, string key, int maxBytes, bool required)
    {
        string? value = f.String(key, required);
        if (value != null && System.Text.Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            f.Errors.Add(f.Child(key), "longer than " + maxBytes.ToString(CultureInfo.InvariantCulture) + " bytes (link.proto)");
        }
        return value ?? "";
    }

    private static void ResolveDependencies(List<(VmDefinition Vm, IReadOnlyList<string> DependsOn, string Path)> vms, ValidationErrors errors)
    {
        var byName = new Dictionary<string, VmDefinition>(StringComparer.Ordinal);
        foreach ((VmDefinition vm, _, string path) in vms)
        {
            if (vm.Name.Length > 0 && !byName.TryAdd(vm.Name, vm))
            {
                errors.Add(path + ".name", "duplicate VM name '" + vm.Name + "'");
            }
        }
        foreach ((VmDefinition vm, IReadOnlyList<string> dependsOn, string path) in vms)
        {
            for (int i = 0; i < dependsOn.Count; i++)
            {
                if (byName.TryGetValue(dependsOn[i], out VmDefinition? target))
                {
                    if (target == vm)
                    {
                        errors.Add(path + ".depends_on[" + i.ToString(CultureInfo.InvariantCulture) + "]", "VM '" + vm.Name + "' depends on itself");
                    }
                    else
                    {
                        vm.DependsOn.Add(target.VmId);
                    }
                }
                else
                {
                    errors.Add(path + ".depends_on[" + i.ToString(CultureInfo.InvariantCulture) + "]", "no VM named '" + dependsOn[i] + "'");
                }
            }
        }
        // Cycle detection: depth-first search with colours; a back edge names the cycle.
        var byId = vms.ToDictionary(v => v.Vm.VmId, v => v.Vm);
        var state = new Dictionary<uint, int>();
        var stack = new List<uint>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach ((VmDefinition vm, _, _) in vms)
        {
            Visit(vm.VmId);
        }

        void Visit(uint id)
        {
            if (state.GetValueOrDefault(id) == 2)
            {
                return;
            }
            if (state.GetValueOrDefault(id) == 1)
            {
                List<string> cycle = stack.Skip(stack.IndexOf(id)).Select(v => byId[v].Name).ToList();
                cycle.Add(byId[id].Name);
                string text = string.Join(" -> ", cycle);
                if (reported.Add(string.Join(",", cycle.Skip(1).Order(StringComparer.Ordinal))))
                {
                    errors.Add("vms", "depends_on cycle: " + text + "; remove one of these dependencies");
                }
                return;
            }
            state[id] = 1;
            stack.Add(id);
            foreach (uint next in byId[id].DependsOn)
            {
                Visit(next);
            }
            stack.RemoveAt(stack.Count - 1);
            state[id] = 2;
        }
    }
}
