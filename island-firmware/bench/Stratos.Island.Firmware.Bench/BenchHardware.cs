using System;
using Stratos.Island.Codec;
using Stratos.Island.Firmware;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.Bench;

// Minimal hardware for the benchmark: a clock the benchmark moves, RAM flash, no-op rails.
internal sealed class BenchClock : IClock
{
    public long NowUs;

    public long MonotonicMs => NowUs / 1000;

    public long MonotonicUs => NowUs;
}

internal sealed class BenchFlash : IFlash
{
    private readonly byte[] _bytes;

    public BenchFlash(int pageSize, int pageCount)
    {
        PageSize = pageSize;
        PageCount = pageCount;
        _bytes = new byte[pageSize * pageCount];
        Array.Fill(_bytes, (byte)0xFF);
    }

    public int PageSize { get; }

    public int PageCount { get; }

    public void Read(int address, byte[] buffer, int offset, int count) => Array.Copy(_bytes, address, buffer, offset, count);

    public bool ErasePage(int pageIndex)
    {
        Array.Fill(_bytes, (byte)0xFF, pageIndex * PageSize, PageSize);
        return true;
    }

    public bool Program(int address, byte[] data, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            _bytes[address + i] &= data[offset + i];
        }

        return true;
    }
}

internal sealed class BenchHardware : IPowerRails, IHardwareWatchdog, ISafeStateOutput, IResetControl
{
    public int Kicks;

    public bool SetState(int domainId, PowerState state) => true;

    public PowerState GetState(int domainId) => PowerState.On;

    public void Kick() => Kicks++;

    public void Assert()
    {
    }

    public void Deassert()
    {
    }

    public void ResetACluster()
    {
    }
}

// Counts calls; remembers the last directive so the benchmark can answer it like an agent.
internal sealed class BenchOutput : IIslandOutput
{
    public int Calls;
    public uint LastDirectiveId;

    public void RequestResult(uint correlationId, bool accepted, ErrorCode code, string message, uint subjectId) => Calls++;

    public void VmDirective(uint directiveId, uint vmId, DirectiveAction action, uint timeoutMs, string reason)
    {
        Calls++;
        LastDirectiveId = directiveId;
    }

    public void VmStatus(uint vmId, string name, VmState state, LocalStatus supervision, uint restartsInWindow, Criticality criticality, long stateSinceMs, string lastFailure) => Calls++;

    public void PowerDomainStatus(uint domainId, string name, PowerState state, Criticality criticality) => Calls++;

    public void EntityStatus(uint entityId, LocalStatus status, uint failedRefCycles, uint aliveCount, uint deadlineViolations, uint logicalViolations) => Calls++;

    public void SupervisionStatus(GlobalStatus global, long cycle, uint expiredCycles) => Calls++;

    public void Event(uint sequence, long timestampUs, uint bootCount, EventType type, uint subjectId, int value, string detail) => Calls++;

    public void LogRecord(uint correlationId, EventRecord record) => Calls++;

    public void LogReadEnd(uint correlationId, uint firstAvailable, uint nextSequence, bool end) => Calls++;
}
