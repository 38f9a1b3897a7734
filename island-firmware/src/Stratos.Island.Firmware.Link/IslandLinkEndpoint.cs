// The island's end of the link: glue between the session layer (LinkSession, Role.Island) and the
// firmware core (IslandCore). It is the core's IIslandOutput and the session's ISessionListener.
//
// Inbound (OnEnvelope, called by the session on the main-loop thread):
//   VmRequest -> HandleVmRequest, VmStateReport -> HandleVmStateReport, AliveIndication (entity 0 =
//   the agent) -> HandleAliveIndication, Checkpoint -> HandleCheckpoint, PowerDomainRequest,
//   SystemPowerRequest -> their handlers; StatusRequest -> the status answer (below); LogRead -> a
//   paged log read (below); BlobChunk -> refused (see "Configuration push").
//
// Session events:
//   OnSessionUp   -> HandleAgentConnected (supervise the agent, boot orchestration if due), then
//                    every VmStatus, every PowerDomainStatus and the SupervisionStatus pages are
//                    pushed so the agent's view is fresh.
//   OnSessionDown -> counted; a paged log read in progress is abandoned; HandleAgentDisconnected
//                    holds the supervision of the VMs whose heartbeats the agent relays. A dead agent
//                    is handled by its own supervision (entity 0 stops getting alive indications ->
//                    EXPIRED -> A-cluster reset), not here.
//
// Outbound (IIslandOutput): every call becomes one Envelope, encoded by the session into its own
// buffer. Sends never block. When a send fails (TX ring full, or no session):
//   * VmStatus, PowerDomainStatus, SupervisionStatus are state: the item is marked dirty and Service
//     re-sends the newest state later (so only the latest value of a VM is ever re-sent);
//   * VmDirective, RequestResult, BlobAck must not be lost: they wait in a fixed FIFO queue
//     (QueueCapacity entries) and go out, in order, before anything newer of their kind. A queued
//     directive that is no longer its VM's pending directive (the core cancelled it meanwhile: an
//     A-cluster reset or the safe state forced the VM down, it timed out, or a newer one replaced
//     it) is dropped, not sent (StaleDirectivesDropped): the agent must not act on it;
//   * Events are counted (EventsNotSent) and not retried. Contract with the agent: the event log is
//     the source of truth; an agent that sees a gap in Event.sequence (or reconnects) reads the log
//     with LogRead from the last sequence it holds + 1.
//
// Status answer (StatusRequest, docs/island-sim.md): VmStatus of every VM (boot order), every
// PowerDomainStatus, SupervisionStatus pages (at most 12 entities per page, more = true on all but
// the last), with include_definitions each VmDefinition as a BlobChunk sequence
// (BLOB_KIND_VM_DEFINITION, crc32 IEEE of the whole blob, chunks of at most 384 bytes), all carrying
// the request's correlation id, closed by a RequestResult (accepted; or ResourceExhausted naming how
// many messages the ring refused, so the agent asks again).
//
// Log read (LogRead): pages of at most 4 records (LogChunk), from from_sequence until the log or
// max_records is exhausted (end = true on the last page). The read is a resumable job: when the ring
// is full the page is retried by Service, so a long read never drops records.
//
// Configuration push (BlobChunk from the agent): not accepted. The island runs the configuration it
// was built / started with; the chunk that completes a transfer is answered with a BlobAck
// PermissionDenied naming that. Incomplete transfers are ignored.
//
// Parts (one job each, all preallocated here): EnvelopeSender (the one way to send), StatusPublisher
// (state pushes and their re-sends), ControlMessageQueue (the FIFO of messages that must not be
// lost), StatusAnswer (a StatusRequest's answer and the definition blobs), PagedLogRead (a LogRead
// job). This class dispatches the inbound Envelopes and session events and routes IIslandOutput.
//
// Threading and allocation: single-threaded (the main loop). No allocation in steady state: alive
// indications, checkpoints, keepalives and status pushes use preallocated tables and the session's
// reused Envelope; strings are built only on refusals, truncation and log reads.
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Link
{
    public sealed class IslandLinkEndpoint : ISessionListener, IIslandOutput, IInboundSource, ILinkRejectionSink
    {
        public const int QueueCapacity = 32;
        public const int EntitiesPerPage = Codec.Link.SupervisionStatus.EntitiesMaxCount;
        public const int RecordsPerLogPage = LogChunk.RecordsMaxCount;
        public const int BlobChunkBytes = BlobChunk.DataMaxLength;
        // Log pages sent per Service call, so a long read does not hold up the main loop.
        public const int LogPagesPerService = 8;

        private readonly EnvelopeSender _sender;
        private readonly StatusPublisher _status;
        private readonly ControlMessageQueue _control;
        private readonly StatusAnswer _answer;
        private readonly PagedLogRead _logRead;
        private IslandCore _core;
        private IClock _clock;

        public IslandLinkEndpoint(IslandLimits limits, byte[][] encodedDefinitions, int definitionCount)
        {
            Counters = new IslandLinkCounters();
            _sender = new EnvelopeSender(Counters);
            _answer = new StatusAnswer(_sender, encodedDefinitions, definitionCount);
            _status = new StatusPublisher(_sender, Counters, limits.MaxVms);
            _control = new ControlMessageQueue(_sender, Counters);
            _logRead = new PagedLogRead(_sender, Counters);
        }

        public IslandLinkCounters Counters { get; private set; }

        // Control messages waiting for ring space.
        public int QueuedMessages
        {
            get { return _control.Count; }
        }

        // True while a paged log read is still being sent.
        public bool LogReadInProgress
        {
            get { return _logRead.Active; }
        }

        // Wires the session and the core (both are built around this endpoint). Until then every
        // output is treated as "no session".
        public void Attach(LinkSession session, IslandCore core, IClock clock)
        {
            _sender.Attach(session);
            _core = core;
            _clock = clock;
            core.SetInbound(this);
        }

        // IInboundSource: IslandCore.Step calls this first; it retries what the ring refused.
        public void Poll(IslandCore core)
        {
            Service();
        }

        // Re-sends queued control messages and dirty state, continues a paged log read. Call after
        // IslandCore.Step as well, so status changes of the step's supervision cycles go out at once.
        public void Service()
        {
            if (_core == null || !_sender.IsUp())
            {
                return;
            }

            if (!_control.Flush(_core.Lifecycle))
            {
                return;
            }

            _status.ResendDirty(_core, _clock.MonotonicMs);
            _logRead.Service(_core);
        }

        // ------------------------------------------------------------------ ISessionListener

        public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version)
        {
            Counters.SessionsUp++;
            if (peerRestarted)
            {
                Counters.AgentRestarts++;
            }

            if (_core == null)
            {
                return;
            }

            _core.HandleAgentConnected();
            _status.MarkAllDirty();
            Service();
        }

        public void OnSessionDown(SessionDownReason reason, string detail)
        {
            Counters.SessionsDown++;
            _logRead.Abandon();
            if (_core != null)
            {
                _core.HandleAgentDisconnected();
            }
        }

        /// <summary>The authenticated session rejected a message: a LINK_ERROR event (INTEGRITY), rate-limited by the core.</summary>
        public void OnRejected(LinkRejection rejection, uint sequence, string detail)
        {
            if (_core != null)
            {
                _core.RecordLinkRejection("link message rejected (" + LinkAuthentication.NameOf(rejection) + ", sequence " + sequence.ToString() + "): " + detail);
            }
        }

        public void OnRequestTimeout(uint correlationId)
        {
            // The island tracks no requests of its own.
        }

        public void OnEnvelope(Envelope envelope)
        {
            if (_core == null)
            {
                return;
            }

            uint correlation = envelope.CorrelationId;
            switch (envelope.BodyCase)
            {
                case EnvelopeBody.AliveIndication:
                    _core.HandleAliveIndication(envelope.AliveIndication.EntityId, envelope.AliveIndication.Count);
                    return;
                case EnvelopeBody.Checkpoint:
                    _core.HandleCheckpoint(envelope.Checkpoint.EntityId, envelope.Checkpoint.CheckpointId);
                    return;
                case EnvelopeBody.VmRequest:
                    VmRequest request = envelope.VmRequest;
                    _core.HandleVmRequest(correlation, request.VmId, request.Action, request.Reason);
                    return;
                case EnvelopeBody.VmStateReport:
                    VmStateReport report = envelope.VmStateReport;
                    _core.HandleVmStateReport(report.VmId, report.State, report.DirectiveId, report.ExitStatus, report.Detail);
                    return;
                case EnvelopeBody.PowerDomainRequest:
                    PowerDomainRequest power = envelope.PowerDomainRequest;
                    _core.HandlePowerDomainRequest(correlation, power.DomainId, power.State, power.Reason);
                    return;
                case EnvelopeBody.SystemPowerRequest:
                    _core.HandleSystemPowerRequest(correlation, envelope.SystemPowerRequest.Action, envelope.SystemPowerRequest.Reason);
                    return;
                case EnvelopeBody.StatusRequest:
                    AnswerStatus(correlation, envelope.StatusRequest.IncludeDefinitions);
                    return;
                case EnvelopeBody.LogRead:
                    _logRead.Begin(correlation, envelope.LogRead.FromSequence, envelope.LogRead.MaxRecords);
                    _logRead.Service(_core);
                    return;
                case EnvelopeBody.BlobChunk:
                    RefuseBlobChunk(envelope.BlobChunk);
                    return;
                case EnvelopeBody.Error:
                    Counters.PeerErrors++;
                    return;
                default:
                    Counters.UnexpectedMessages++;
                    return;
            }
        }

        // ------------------------------------------------------------------ IIslandOutput

        public void RequestResult(uint correlationId, bool accepted, ErrorCode code, string message, uint subjectId)
        {
            if (_answer.Active && correlationId == _answer.Correlation)
            {
                // The core closes its part of a status answer: add the pages and blobs, then close.
                FinishStatusAnswer();
                return;
            }

            _control.SendResult(correlationId, accepted, code, subjectId, message);
        }

        public void VmDirective(uint directiveId, uint vmId, DirectiveAction action, uint timeoutMs, string reason)
        {
            _control.SendDirective(directiveId, vmId, action, timeoutMs, reason);
        }

        public void VmStatus(uint vmId, string name, VmState state, LocalStatus supervision, uint restartsInWindow,
            Criticality criticality, long stateSinceMs, string lastFailure)
        {
            if (!_status.SendVmStatus(_answer.StatusCorrelation, vmId, name, state, supervision, restartsInWindow, criticality, stateSinceMs, lastFailure))
            {
                _answer.NoteLoss();
            }
        }

        public void PowerDomainStatus(uint domainId, string name, PowerState state, Criticality criticality)
        {
            if (!_status.SendPowerDomainStatus(_answer.StatusCorrelation, domainId, name, state, criticality))
            {
                _answer.NoteLoss();
            }
        }

        public void EntityStatus(uint entityId, LocalStatus status, uint failedRefCycles, uint aliveCount,
            uint deadlineViolations, uint logicalViolations)
        {
            // Sent as SupervisionStatus pages by Service (or by the status answer).
            if (!_answer.Active)
            {
                _status.MarkSupervisionDirty();
            }
        }

        public void SupervisionStatus(GlobalStatus global, long cycle, uint expiredCycles)
        {
            if (!_answer.Active)
            {
                _status.MarkSupervisionDirty();
            }
        }

        // Events are counted when not sent and never retried (the log is the source of truth).
        public void Event(uint sequence, long timestampUs, uint bootCount, EventType type, uint subjectId, int value, string detail)
        {
            if (!_sender.IsUp())
            {
                Counters.EventsNotSent++;
                return;
            }

            Envelope e = _sender.Begin(EnvelopeBody.Event, 0);
            Event ev = e.Event;
            ev.Sequence = sequence;
            ev.TimestampUs = timestampUs < 0 ? 0 : (ulong)timestampUs;
            ev.BootCount = bootCount;
            ev.Type = type;
            ev.SubjectId = subjectId;
            ev.Value = value;
            ev.Detail = EnvelopeSender.Fit(detail, Codec.Link.Event.DetailMaxLength);
            if (!_sender.Send())
            {
                Counters.EventsNotSent++;
            }
        }

        public void LogRecord(uint correlationId, EventRecord record)
        {
            _logRead.Collect(record);
        }

        public void LogReadEnd(uint correlationId, uint firstAvailable, uint nextSequence, bool end)
        {
            _logRead.EndPage(firstAvailable, nextSequence);
        }

        // ------------------------------------------------------------------ status answer

        private void AnswerStatus(uint correlation, bool includeDefinitions)
        {
            _answer.Begin(correlation, includeDefinitions);
            // Emits VmStatus and PowerDomainStatus (sent here with the correlation id), the
            // supervision status (collected), then its RequestResult, which FinishStatusAnswer takes.
            _core.HandleStatusRequest(correlation);
            _answer.End();
        }

        private void FinishStatusAnswer()
        {
            uint correlation = _answer.Correlation;
            _answer.AddLosses(_status.SendSupervisionPages(_core.Supervision, correlation));
            _answer.AddLosses(_answer.SendDefinitions());
            _answer.End();
            int lost = _answer.Lost;
            if (lost == 0)
            {
                _control.SendResult(correlation, true, ErrorCode.Unspecified, 0, string.Empty);
            }
            else
            {
                Counters.AnswersIncomplete++;
                _control.SendResult(correlation, false, ErrorCode.ResourceExhausted, 0,
                    string.Concat("status answer incomplete: ", lost.ToString(), " message(s) refused by the full TX ring; ask again"));
            }
        }

        // ------------------------------------------------------------------ blobs from the agent

        // Configuration push: the chunk that completes a transfer is answered with a refusal.
        private void RefuseBlobChunk(BlobChunk chunk)
        {
            if ((ulong)chunk.Offset + (ulong)chunk.DataLength < chunk.TotalLength)
            {
                return;
            }

            Counters.BlobsRefused++;
            _control.SendBlobAck(chunk.TransferId, ErrorCode.PermissionDenied,
                "configuration push is not accepted: the island runs the configuration it was started with");
        }
    }
}
