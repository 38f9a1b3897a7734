using System.Collections.Generic;
using System.Linq;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.EventLog;

namespace Stratos.Island.Firmware.Tests.Fakes;

public sealed record Directive(uint Id, uint VmId, DirectiveAction Action, uint TimeoutMs, string Reason);

public sealed record Result(uint CorrelationId, bool Accepted, ErrorCode Code, string Message, uint SubjectId);

public sealed record PushedEvent(uint Sequence, long TimestampUs, uint BootCount, EventType Type, uint SubjectId, int Value, string Detail);

public sealed record LoggedRecord(uint Sequence, EventType Type, uint SubjectId, int Value, string Detail);

// Records every call of the core to the link, for assertions. Can be switched to count-only so
// the allocation test does not measure the recorder.
public sealed class RecordingOutput : IIslandOutput
{
    public bool Recording { get; set; } = true;

    public int Calls { get; private set; }

    public List<Directive> Directives { get; } = new();

    public List<Result> Results { get; } = new();

    public List<PushedEvent> Events { get; } = new();

    public List<(uint VmId, VmState State)> VmStatuses { get; } = new();

    public List<(uint DomainId, PowerState State)> DomainStatuses { get; } = new();

    public List<(uint EntityId, LocalStatus Status)> EntityStatuses { get; } = new();

    public List<GlobalStatus> GlobalStatuses { get; } = new();

    public List<LoggedRecord> LogRecords { get; } = new();

    public List<(uint First, uint Next, bool End)> LogEnds { get; } = new();

    public Directive LastDirective => Directives[^1];

    public Result LastResult => Results[^1];

    public IEnumerable<PushedEvent> EventsOf(EventType type) => Events.Where(e => e.Type == type);

    public void RequestResult(uint correlationId, bool accepted, ErrorCode code, string message, uint subjectId)
    {
        Calls++;
        if (Recording) Results.Add(new Result(correlationId, accepted, code, message, subjectId));
    }

    public void VmDirective(uint directiveId, uint vmId, DirectiveAction action, uint timeoutMs, string reason)
    {
        Calls++;
        if (Recording) Directives.Add(new Directive(directiveId, vmId, action, timeoutMs, reason));
    }

    public void VmStatus(uint vmId, string name, VmState state, LocalStatus supervision, uint restartsInWindow, Criticality criticality, long stateSinceMs, string lastFailure)
    {
        Calls++;
        if (Recording) VmStatuses.Add((vmId, state));
    }

    public void PowerDomainStatus(uint domainId, string name, PowerState state, Criticality criticality)
    {
        Calls++;
        if (Recording) DomainStatuses.Add((domainId, state));
    }

    public void EntityStatus(uint entityId, LocalStatus status, uint failedRefCycles, uint aliveCount, uint deadlineViolations, uint logicalViolations)
    {
        Calls++;
        if (Recording) EntityStatuses.Add((entityId, status));
    }

    public void SupervisionStatus(GlobalStatus global, long cycle, uint expiredCycles)
    {
        Calls++;
        if (Recording) GlobalStatuses.Add(global);
    }

    public void Event(uint sequence, long timestampUs, uint bootCount, EventType type, uint subjectId, int value, string detail)
    {
        Calls++;
        if (Recording) Events.Add(new PushedEvent(sequence, timestampUs, bootCount, type, subjectId, value, detail));
    }

    public void LogRecord(uint correlationId, EventRecord record)
    {
        Calls++;
        if (Recording) LogRecords.Add(new LoggedRecord(record.Sequence, record.Type, record.SubjectId, record.Value, record.GetDetail()));
    }

    public void LogReadEnd(uint correlationId, uint firstAvailable, uint nextSequence, bool end)
    {
        Calls++;
        if (Recording) LogEnds.Add((firstAvailable, nextSequence, end));
    }
}
