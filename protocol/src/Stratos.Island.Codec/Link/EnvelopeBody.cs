// Which body an Envelope carries: the values are the field numbers of link.proto's
// Envelope.body oneof (None = 0, no body). Written by protocol/tools/gen-island-codec.py.
namespace Stratos.Island.Codec.Link
{
    public enum EnvelopeBody
    {
        // No body set.
        None = 0,
        // Agent -> island: opens a session.
        Hello = 10,
        // Island -> agent: accepts a session.
        HelloAck = 11,
        // Either way: liveness probe.
        Ping = 12,
        // Either way: answer to Ping.
        Pong = 13,
        // Either way: a protocol error.
        Error = 14,
        // Either way: one piece of a larger payload.
        BlobChunk = 15,
        // Either way: acknowledges a complete blob transfer.
        BlobAck = 16,
        // Agent -> island: an operator request on a VM.
        VmRequest = 20,
        // Island -> agent: answer to any request.
        RequestResult = 21,
        // Island -> agent: what the agent must do to a VM.
        VmDirective = 22,
        // Agent -> island: what really happened to a VM.
        VmStateReport = 23,
        // Island -> agent: the island's view of one VM (on change and on StatusRequest).
        VmStatus = 24,
        // Agent -> island: asks for every VmStatus, PowerDomainStatus and a SupervisionStatus.
        StatusRequest = 25,
        // Agent -> island: alive indications of a supervised entity.
        AliveIndication = 30,
        // Agent -> island: a checkpoint reached by a supervised entity.
        Checkpoint = 31,
        // Island -> agent: supervision status, one page of entities.
        SupervisionStatus = 32,
        // Agent -> island: set a power domain state.
        PowerDomainRequest = 40,
        // Island -> agent: state of one power domain.
        PowerDomainStatus = 41,
        // Agent -> island: system off / reboot / suspend.
        SystemPowerRequest = 42,
        // Island -> agent: one event-log record, pushed as it is committed.
        Event = 50,
        // Agent -> island: read committed event-log records.
        LogRead = 51,
        // Island -> agent: one page of event-log records.
        LogChunk = 52,
    }
}
