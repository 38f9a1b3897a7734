using Stratos.Island.Codec;
using Stratos.Island.Firmware.EventLog;

namespace Stratos.Island.Firmware
{
    // Everything the island core tells the agent, with plain parameters. The link adapter encodes
    // each call into one Envelope (link.proto) in a reused buffer and queues it without blocking;
    // tests record the calls. Called only from the main loop (IslandCore.Step and its handlers).
    public interface IIslandOutput
    {
        // Answer to a VmRequest / PowerDomainRequest / SystemPowerRequest / StatusRequest.
        // message is empty when accepted.
        void RequestResult(uint correlationId, bool accepted, ErrorCode code, string message, uint subjectId);

        // Order to the agent; the VmStateReport that completes it echoes directiveId.
        void VmDirective(uint directiveId, uint vmId, DirectiveAction action, uint timeoutMs, string reason);

        // The island's view of one VM (on every change, and on a status request).
        void VmStatus(uint vmId, string name, VmState state, LocalStatus supervision, uint restartsInWindow,
            Criticality criticality, long stateSinceMs, string lastFailure);

        // State of one power domain (on every change, and on a status request).
        void PowerDomainStatus(uint domainId, string name, PowerState state, Criticality criticality);

        // Supervision status of one entity (on every local status change, and on a status request).
        void EntityStatus(uint entityId, LocalStatus status, uint failedRefCycles, uint aliveCount,
            uint deadlineViolations, uint logicalViolations);

        // Global supervision status (on every change, and on a status request).
        void SupervisionStatus(GlobalStatus global, long cycle, uint expiredCycles);

        // An event-log record, pushed as it is committed (sequence 0 if the flash write failed).
        void Event(uint sequence, long timestampUs, uint bootCount, EventType type, uint subjectId, int value, string detail);

        // One record of a LogRead answer (the record object is reused after the call returns).
        void LogRecord(uint correlationId, EventRecord record);

        // Closes one LogRead answer: the agent continues from nextSequence unless end is true.
        void LogReadEnd(uint correlationId, uint firstAvailable, uint nextSequence, bool end);
    }
}
