// The board descriptor model (boards/<id>/board.yaml, format in docs/boards.md). Immutable; built
// only by BoardLoader after validation.
using System;
using System.Collections.Generic;

namespace Stratos.Island.Boards;

/// <summary>How the island and the host agent exchange rpmsg messages.</summary>
public enum LinkTransport
{
    /// <summary>OpenAMP-style vrings in a shared file plus an AF_UNIX kick socket (virtual board).</summary>
    SharedMemory,
    /// <summary>Linux rpmsg char devices (/dev/rpmsg_ctrlN, /dev/rpmsgN) on a real board.</summary>
    RpmsgChar,
    /// <summary>A UART carrying framed messages (bring-up boards).</summary>
    Serial,
}

/// <summary>Criticality of a power domain (ISO 26262, QM lowest).</summary>
public enum DomainCriticality
{
    Qm,
    AsilA,
    AsilB,
    AsilC,
    AsilD,
}

public sealed record HardwareWatchdogSpec(uint TimeoutMs)
{
    /// <summary>Real boards: the watchdog peripheral the island owns (wwdg1, wdog3, rti8, ...).</summary>
    public string? Device { get; init; }
}

public sealed record EventLogSpec(uint FlashOffset, uint FlashBytes, uint PageBytes);

public sealed record IslandSpec(
    string Core,
    uint ClockHz,
    uint RamBytes,
    uint FlashBytes,
    uint MaxVms,
    uint MaxCheckpointsPerVm,
    uint SupervisionCycleMs,
    uint ExpiredSupervisionCycleTolerance,
    HardwareWatchdogSpec HardwareWatchdog,
    EventLogSpec EventLog)
{
    /// <summary>
    /// Failed one-second reference cycles of the agent's alive supervision the island tolerates
    /// before the third expires it (A-cluster reset); `island.agent_failed_ref_cycle_tolerance`,
    /// default 2. island-sim applies it; an agent inside a slow machine (the Xen board's TCG dom0)
    /// needs more.
    /// </summary>
    public uint AgentFailedRefCycleTolerance { get; init; } = 2;
}

/// <summary>One vring: device address (offset in the shared memory), alignment of the used ring, descriptor count.</summary>
public sealed record VringSpec(uint Da, uint Align, uint Num)
{
    /// <summary>Bytes of the split virtqueue (virtio 1.1 2.6.2): descriptors, available ring, aligned used ring.</summary>
    public ulong SizeBytes => AlignUp((16UL * Num) + 6 + (2UL * Num), Align) + 6 + (8UL * Num);

    internal static ulong AlignUp(ulong value, ulong align) => align == 0 ? value : (value + align - 1) / align * align;
}

public sealed record BufferPoolSpec(uint Base, uint Count, uint Size);

public sealed record SharedMemorySpec(string Path, uint Size, uint ResourceTable, IReadOnlyList<VringSpec> Vrings, BufferPoolSpec Buffers)
{
    /// <summary>Real boards: physical address of offset 0 of the shared window (null on the virtual board's shared file).</summary>
    public ulong? PhysBase { get; init; }

    /// <summary>Real boards: the resource table is the firmware image's .resource_table section, not part of the window.</summary>
    public bool ResourceTableInImage { get; init; }

    /// <summary>Physical address of a window offset (the offset itself on the virtual board).</summary>
    public ulong Physical(ulong offset) => (PhysBase ?? 0) + offset;

    /// <summary>Resource table bytes: header with one offset, one vdev entry, one fw_rsc_vdev_vring per vring (FACTS.md).</summary>
    public uint ResourceTableBytes => (uint)(16 + 4 + 28 + (20 * Vrings.Count));
}

public sealed record SerialSpec(string Device, uint Baud);

public sealed record RpmsgCharSpec(string ControlDevice);

public sealed record LinkSpec(
    LinkTransport Transport,
    string ChannelName,
    SharedMemorySpec? SharedMemory,
    string? KickSocket,
    SerialSpec? Serial,
    RpmsgCharSpec? RpmsgChar)
{
    /// <summary>link.require_authentication: both ends refuse a peer that does not authenticate its link messages (docs/link.md "Authentication").</summary>
    public bool RequireAuthentication { get; init; }
}

/// <summary>The island's remoteproc instance on the A side (Linux drivers/remoteproc).</summary>
public sealed record RemoteprocSpec(string Name)
{
    /// <summary>Linux driver (stm32_rproc, imx_rproc, k3_m4_rproc, ...); informational.</summary>
    public string? Driver { get; init; }

    /// <summary>Default firmware file name under the firmware directory.</summary>
    public string? FirmwareName { get; init; }
}

/// <summary>What a reserved physical region is used for.</summary>
public enum CarveoutUse
{
    /// <summary>The island's code and data (remoteproc loads the image here).</summary>
    IslandImage,
    /// <summary>The resource table (remoteproc reads it; rsc-table carve-out on NXP).</summary>
    ResourceTable,
    Vring0,
    Vring1,
    /// <summary>The rpmsg buffer pool (shared-dma-pool).</summary>
    Buffers,
    /// <summary>One region holding vrings and buffers, as TI's dma-memory regions do.</summary>
    Ipc,
}

/// <summary>A bank of physical RAM a carve-out may lie in.</summary>
public sealed record MemoryBankSpec(string Name, ulong Base, ulong Size)
{
    public ulong End => Base + Size;
}

/// <summary>A reserved-memory region: the node name in both devicetree fragments, physical base and size.</summary>
public sealed record CarveoutSpec(string Name, ulong Base, ulong Size, CarveoutUse Use)
{
    public ulong End => Base + Size;
}

public sealed record MemoryMapSpec(IReadOnlyList<MemoryBankSpec> Banks, IReadOnlyList<CarveoutSpec> Carveouts)
{
    public CarveoutSpec? FindUse(CarveoutUse use)
    {
        foreach (CarveoutSpec c in Carveouts)
        {
            if (c.Use == use)
            {
                return c;
            }
        }
        return null;
    }
}

/// <summary>The inter-processor doorbell: kind (ipcc, mu, mailbox, ipi, socket) and the A-side device name.</summary>
public sealed record DoorbellSpec(string Kind, string Device, IReadOnlyList<string> Channels);

/// <summary>OpenOCD flashing: config files (-f, in order) and the load address of a raw image.</summary>
public sealed record OpenOcdSpec(IReadOnlyList<string> Configs, ulong LoadAddress);

/// <summary>nanoFramework's nanoff: the target name (--target) and the image address (--address).</summary>
public sealed record NanoffSpec(string Target, ulong Address);

public sealed record PowerDomainSpec(uint Id, string Name, uint ScmiId, DomainCriticality Criticality, bool InitialOn, bool ACluster);

public sealed record SafeStateSpec(string Output, IReadOnlyList<string> DomainsKeptOn);

/// <summary>A validated board descriptor.</summary>
public sealed record BoardDescriptor(
    string Id,
    string Name,
    string Soc,
    uint ApplicationCores,
    IslandSpec Island,
    LinkSpec Link,
    RemoteprocSpec? Remoteproc,
    IReadOnlyList<PowerDomainSpec> PowerDomains,
    SafeStateSpec SafeState,
    IReadOnlyList<string> Flashing,
    string SourcePath)
{
    /// <summary>Core type of the A side (cortex-a7, cortex-a53, ...).</summary>
    public string? ApplicationCore { get; init; }

    /// <summary>The VMM the agent drives on the A side: "qemu" (default) or "xen" (the agent in dom0, docs/vmm.md "Xen").</summary>
    public string Vmm { get; init; } = "qemu";

    /// <summary>Real boards: physical RAM banks and reserved-memory carve-outs.</summary>
    public MemoryMapSpec? Memory { get; init; }

    public DoorbellSpec? Doorbell { get; init; }

    public OpenOcdSpec? OpenOcd { get; init; }

    public NanoffSpec? Nanoff { get; init; }

    /// <summary>Directory holding board.yaml and the devicetree fragments.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(SourcePath)) ?? ".";

    /// <summary>Largest island image: the island-image carve-out when there is one, else island flash before the event log.</summary>
    public ulong ImageBudgetBytes => Memory?.FindUse(CarveoutUse.IslandImage)?.Size
        ?? Math.Max(Island.EventLog.FlashOffset, (ulong)Island.FlashBytes - Island.EventLog.FlashOffset - Island.EventLog.FlashBytes);

    /// <summary>The power domain with this name, or null.</summary>
    public PowerDomainSpec? FindDomain(string name)
    {
        foreach (PowerDomainSpec domain in PowerDomains)
        {
            if (string.Equals(domain.Name, name, StringComparison.Ordinal))
            {
                return domain;
            }
        }
        return null;
    }
}

/// <summary>A board descriptor or island configuration failed validation; <see cref="Errors"/> lists every problem.</summary>
public sealed class BoardDescriptorException(IReadOnlyList<string> errors)
    : Exception(errors.Count + " error(s):" + Environment.NewLine + string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
