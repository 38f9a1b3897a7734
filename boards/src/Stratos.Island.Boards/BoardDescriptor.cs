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

public sealed record HardwareWatchdogSpec(uint TimeoutMs);

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
    EventLogSpec EventLog);

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
    RpmsgCharSpec? RpmsgChar);

public sealed record RemoteprocSpec(string Name);

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
