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
//   OnSessionDown -> counted; a paged log read in progress is abandoned. A dead agent is handled by
//                    its supervision (entity 0 stops getting alive indications -> EXPIRED -> A-cluster
//                    reset), not here.
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
// Threading and allocation: single-threaded (the main loop). No allocation in steady state: alive
// indications, checkpoints, keepalives and status pushes use preallocated tables and the session's
// reused Envelope; strings are built only on refusals, truncation and log reads.
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Firmware.Lifecycle;
using Stratos.Island.Firmware.Supervision;
using Stratos.Island.Link;
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

        private const int KindDirective = 1;
        private const int KindResult = 2;
        private const int KindBlobAck = 3;

        private readonly byte[][] _definitions;
        private readonly uint[] _definitionCrcs;
        private readonly int _definitionCount;
        private readonly bool[] _vmDirty;

        // Control FIFO (directives, results, blob acks), preallocated.
        private readonly int[] _queueKind = new int[QueueCapacity];
        private readonly uint[] _queueA = new uint[QueueCapacity];
        private readonly uint[] _queueB = new uint[QueueCapacity];
        private readonly uint[] _queueC = new uint[QueueCapacity];
        private readonly uint[] _queueD = new uint[QueueCapacity];
        private readonly string[] _queueText = new string[QueueCapacity];
        private int _queueHead;
        private int _queueCount;

        private LinkSession _session;
        private IslandCore _core;
        private IClock _clock;

        private bool _anyVmDirty;
        private bool _powerDirty;
        private bool _supervisionDirty;

        private bool _answering;
        private uint _answerCorrelation;
        private int _answerLost;
        private bool _answerIncludeDefinitions;

        private bool _logActive;
        private uint _logCorrelation;
        private uint _logNext;
        private uint _logRemaining;
        private bool _collectingLog;
        private uint _pageNext;
        private uint _pageFirst;
        private uint _nextTransferId = 1;

        public IslandLinkEndpoint(IslandLimits limits, byte[][] encodedDefinitions, int definitionCount)
        {
            _definitionCount = encodedDefinitions == null ? 0 : definitionCount;
            _definitions = encodedDefinitions;
            _definitionCrcs = new uint[_definitionCount];
            for (int i = 0; i < _definitionCount; i++)
            {
                byte[] blob = _definitions[i];
                _definitionCrcs[i] = Crc32.Compute(blob, 0, blob.Length);
            }

            _vmDirty = new bool[limits.MaxVms + 1];
            Counters = new IslandLinkCounters();
        }

        public IslandLinkCounters Counters { get; private set; }

        // Control messages waiting for ring space.
        public int QueuedMessages
        {
            get { return _queueCount; }
        }

        // True while a paged log read is still being sent.
        public bool LogReadInProgress
        {
            get { return _logActive; }
        }

        // Wires the session and the core (both are built around this endpoint). Until then every
        // output is treated as "no session".
        public void Attach(LinkSession session, IslandCore core, IClock clock)
        {
            _session = session;
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
            if (_session == null || _core == null || _session.State != SessionState.Up)
            {
                return;
            }

            if (!FlushQueue())
            {
                return;
            }

            if (_anyVmDirty)
            {
                _anyVmDirty = false;
                VmRuntime[] vms = _core.Lifecycle.BootOrder;
                long nowMs = _clock.MonotonicMs;
                for (int i = 0; i < vms.Length; i++)
                {
                    int id = vms[i].Id;
                    if (id >= 0 && id < _vmDirty.Length && _vmDirty[id])
                    {
                        Counters.StatusResends++;
                        _core.Lifecycle.EmitStatus(vms[i], nowMs);
                    }
                }
            }

            if (_powerDirty)
            {
                _powerDirty = false;
                Counters.StatusResends++;
                _core.Power.EmitAll();
            }

            if (_supervisionDirty)
            {
                _supervisionDirty = SendSupervisionPages(0) > 0;
            }

            ServiceLogRead();
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
            for (int i = 0; i < _vmDirty.Length; i++)
            {
                _vmDirty[i] = true;
            }

            _anyVmDirty = true;
            _powerDirty = true;
            _supervisionDirty = true;
            Service();
        }

        public void OnSessionDown(SessionDownReason reason, string detail)
        {
            Counters.SessionsDown++;
            _logActive = false;
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
                    _logActive = true;
                    _logCorrelation = correlation;
                    _logNext = envelope.LogRead.FromSequence;
                    _logRemaining = envelope.LogRead.MaxRecords == 0 ? uint.MaxValue : envelope.LogRead.MaxRecords;
                    ServiceLogRead();
                    return;
                case EnvelopeBody.BlobChunk:
                    HandleBlobChunk(envelope.BlobChunk);
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
            if (_answering && correlationId == _answerCorrelation)
            {
                // The core closes its part of a status answer: add the pages and blobs, then close.
                FinishStatusAnswer();
                return;
            }

            EnqueueOrSend(KindResult, correlationId, accepted ? 1u : 0u, (uint)code, subjectId, message);
        }

        public void VmDirective(uint directiveId, uint vmId, DirectiveAction action, uint timeoutMs, string reason)
        {
            EnqueueOrSend(KindDirective, directiveId, vmId, (uint)action, timeoutMs, reason);
        }

        public void VmStatus(uint vmId, string name, VmState state, LocalStatus supervision, uint restartsInWindow,
            Criticality criticality, long stateSinceMs, string lastFailure)
        {
            bool sent = false;
            if (IsUp())
            {
                Envelope e = Begin(EnvelopeBody.VmStatus, _answering ? _answerCorrelation : 0);
                VmStatus s = e.VmStatus;
                s.VmId = vmId;
                s.Name = Fit(name, Codec.Link.VmStatus.NameMaxLength);
                s.State = state;
                s.Supervision = supervision;
                s.RestartsInWindow = restartsInWindow;
                s.Criticality = criticality;
                s.StateSinceMs = stateSinceMs < 0 ? 0 : (ulong)stateSinceMs;
                s.LastFailure = Fit(lastFailure, Codec.Link.VmStatus.LastFailureMaxLength);
                sent = Send();
            }

            if (vmId < _vmDirty.Length)
            {
                _vmDirty[vmId] = !sent;
            }

            if (!sent)
            {
                _anyVmDirty = true;
                NoteAnswerLoss();
            }
        }

        public void PowerDomainStatus(uint domainId, string name, PowerState state, Criticality criticality)
        {
            bool sent = false;
            if (IsUp())
            {
                Envelope e = Begin(EnvelopeBody.PowerDomainStatus, _answering ? _answerCorrelation : 0);
                PowerDomainStatus s = e.PowerDomainStatus;
                s.DomainId = domainId;
                s.Name = Fit(name, Codec.Link.PowerDomainStatus.NameMaxLength);
                s.State = state;
                s.Criticality = criticality;
                sent = Send();
            }

            if (!sent)
            {
                _powerDirty = true;
                NoteAnswerLoss();
            }
        }

        public void EntityStatus(uint entityId, LocalStatus status, uint failedRefCycles, uint aliveCount,
            uint deadlineViolations, uint logicalViolations)
        {
            // Sent as SupervisionStatus pages by Service (or by the status answer).
            if (!_answering)
            {
                _supervisionDirty = true;
            }
        }

        public void SupervisionStatus(GlobalStatus global, long cycle, uint expiredCycles)
        {
            if (!_answering)
            {
                _supervisionDirty = true;
            }
        }

        public void Event(uint sequence, long timestampUs, uint bootCount, EventType type, uint subjectId, int value, string detail)
        {
            if (!IsUp())
            {
                Counters.EventsNotSent++;
                return;
            }

            Envelope e = Begin(EnvelopeBody.Event, 0);
            Event ev = e.Event;
            ev.Sequence = sequence;
            ev.TimestampUs = timestampUs < 0 ? 0 : (ulong)timestampUs;
            ev.BootCount = bootCount;
            ev.Type = type;
            ev.SubjectId = subjectId;
            ev.Value = value;
            ev.Detail = Fit(detail, Codec.Link.Event.DetailMaxLength);
            if (!Send())
            {
                Counters.EventsNotSent++;
            }
        }

        public void LogRecord(uint correlationId, EventRecord record)
        {
            if (!_collectingLog)
            {
                return;
            }

            LogChunk chunk = _session.Outgoing.LogChunk;
            if (chunk.RecordsCount == LogChunk.RecordsMaxCount)
            {
                return;
            }

            Event ev = chunk.Records[chunk.RecordsCount++];
            ev.Sequence = record.Sequence;
            ev.TimestampUs = record.TimestampUs < 0 ? 0 : (ulong)record.TimestampUs;
            ev.BootCount = record.BootCount;
            ev.Type = record.Type;
            ev.SubjectId = record.SubjectId;
            ev.Value = record.Value;
            ev.Detail = Fit(record.GetDetail(), Codec.Link.Event.DetailMaxLength);
        }

        public void LogReadEnd(uint correlationId, uint firstAvailable, uint nextSequence, bool end)
        {
            _pageFirst = firstAvailable;
            _pageNext = nextSequence;
        }

        // ------------------------------------------------------------------ status answer

        private void AnswerStatus(uint correlation, bool includeDefinitions)
        {
            _answering = true;
            _answerCorrelation = correlation;
            _answerLost = 0;
            _answerIncludeDefinitions = includeDefinitions;
            // Emits VmStatus and PowerDomainStatus (sent here with the correlation id), the
            // supervision status (collected), then its RequestResult, which FinishStatusAnswer takes.
            _core.HandleStatusRequest(correlation);
            _answering = false;
        }

        private void FinishStatusAnswer()
        {
            uint correlation = _answerCorrelation;
            _answerLost += SendSupervisionPages(correlation);
            if (_answerIncludeDefinitions)
            {
                for (int i = 0; i < _definitionCount; i++)
                {
                    _answerLost += SendBlob(correlation, _definitions[i], _definitionCrcs[i]);
                }
            }

            _answering = false;
            if (_answerLost == 0)
            {
                EnqueueOrSend(KindResult, correlation, 1u, (uint)ErrorCode.Unspecified, 0, string.Empty);
            }
            else
            {
                Counters.AnswersIncomplete++;
                EnqueueOrSend(KindResult, correlation, 0u, (uint)ErrorCode.ResourceExhausted, 0,
                    string.Concat("status answer incomplete: ", _answerLost.ToString(), " message(s) refused by the full TX ring; ask again"));
            }
        }

        private void NoteAnswerLoss()
        {
            if (_answering)
            {
                _answerLost++;
            }
        }

        // Sends the global status and every entity in pages of 12; returns the number of pages not sent.
        private int SendSupervisionPages(uint correlation)
        {
            if (!IsUp())
            {
                return 1;
            }

            SupervisionManager supervision = _core.Supervision;
            int capacity = supervision.Capacity;
            int total = 0;
            for (int id = 0; id < capacity; id++)
            {
                if (supervision.Find(id) != null)
                {
                    total++;
                }
            }

            int failed = 0;
            int id2 = 0;
            int done = 0;
            do
            {
                Envelope e = Begin(EnvelopeBody.SupervisionStatus, correlation);
                SupervisionStatus page = e.SupervisionStatus;
                page.Global = supervision.GlobalStatus;
                page.Cycle = supervision.Cycles < 0 ? 0 : (ulong)supervision.Cycles;
                page.ExpiredCycles = (uint)supervision.ExpiredCycles;
                int n = 0;
                while (id2 < capacity && n < EntitiesPerPage)
                {
                    SupervisedEntity entity = supervision.Find(id2);
                    id2++;
                    if (entity == null)
                    {
                        continue;
                    }

                    EntityStatus s = page.Entities[n++];
                    s.EntityId = (uint)entity.EntityId;
                    s.Status = entity.Status;
                    s.FailedRefCycles = (uint)entity.FailedRefCycles;
                    s.AliveCount = (uint)entity.AliveCount;
                    s.DeadlineViolations = (uint)entity.DeadlineViolations;
                    s.LogicalViolations = (uint)entity.LogicalViolations;
                }

                page.EntitiesCount = n;
                done += n;
                page.More = done < total;
                if (!Send())
                {
                    failed++;
                }
            }
            while (done < total);

            return failed;
        }

        // Sends one blob as BlobChunk messages; returns the number of chunks not sent.
        private int SendBlob(uint correlation, byte[] blob, uint crc)
        {
            uint transfer = _nextTransferId++;
            if (_nextTransferId == 0)
            {
                _nextTransferId = 1;
            }

            int failed = 0;
            int offset = 0;
            do
            {
                int length = blob.Length - offset;
                if (length > BlobChunkBytes)
                {
                    length = BlobChunkBytes;
                }

                Envelope e = Begin(EnvelopeBody.BlobChunk, correlation);
                BlobChunk chunk = e.BlobChunk;
                chunk.TransferId = transfer;
                chunk.Kind = BlobKind.VmDefinition;
                chunk.TotalLength = (uint)blob.Length;
                chunk.Offset = (uint)offset;
                chunk.Crc32 = crc;
                System.Array.Copy(blob, offset, chunk.Data, 0, length);
                chunk.DataLength = length;
                if (!Send())
                {
                    failed++;
                }

                offset += length;
            }
            while (offset < blob.Length);

            return failed;
        }

        // ------------------------------------------------------------------ log read

        private void ServiceLogRead()
        {
            int pages = 0;
            while (_logActive && pages < LogPagesPerService && IsUp())
            {
                uint want = _logRemaining < RecordsPerLogPage ? _logRemaining : RecordsPerLogPage;
                Envelope e = Begin(EnvelopeBody.LogChunk, _logCorrelation);
                _pageNext = _logNext;
                _pageFirst = 0;
                _collectingLog = true;
                _core.HandleLogRead(_logCorrelation, _logNext, want);
                _collectingLog = false;
                LogChunk chunk = e.LogChunk;
                uint sent = (uint)chunk.RecordsCount;
                uint remainingAfter = _logRemaining - sent;
                bool end = _pageNext >= _core.Log.NextSequence || remainingAfter == 0;
                chunk.FirstAvailable = _pageFirst;
                chunk.NextSequence = _pageNext;
                chunk.End = end;
                if (!Send())
                {
                    return; // retried from the same sequence by the next Service
                }

                pages++;
                Counters.LogPagesSent++;
                _logNext = _pageNext;
                _logRemaining = remainingAfter;
                if (end)
                {
                    _logActive = false;
                }
            }
        }

        // ------------------------------------------------------------------ blobs from the agent

        private void HandleBlobChunk(BlobChunk chunk)
        {
            if ((ulong)chunk.Offset + (ulong)chunk.DataLength < chunk.TotalLength)
            {
                return;
            }

            Counters.BlobsRefused++;
            EnqueueOrSend(KindBlobAck, chunk.TransferId, 0, (uint)ErrorCode.PermissionDenied, 0,
                "configuration push is not accepted: the island runs the configuration it was started with");
        }

        // ------------------------------------------------------------------ control queue

        private void EnqueueOrSend(int kind, uint a, uint b, uint c, uint d, string text)
        {
            if (_queueCount == 0 && SendControl(kind, a, b, c, d, text))
            {
                return;
            }

            if (_queueCount == QueueCapacity)
            {
                Counters.QueueOverflows++;
                return;
            }

            int slot = (_queueHead + _queueCount) % QueueCapacity;
            _queueKind[slot] = kind;
            _queueA[slot] = a;
            _queueB[slot] = b;
            _queueC[slot] = c;
            _queueD[slot] = d;
            _queueText[slot] = text;
            _queueCount++;
            Counters.Queued++;
        }

        // Sends queued control messages in order; false when one is still refused.
        private bool FlushQueue()
        {
            while (_queueCount > 0)
            {
                int slot = _queueHead;
                if (_queueKind[slot] == KindDirective && IsStaleDirective(_queueA[slot], _queueB[slot]))
                {
                    Counters.StaleDirectivesDropped++;
                }
                else if (!SendControl(_queueKind[slot], _queueA[slot], _queueB[slot], _queueC[slot], _queueD[slot], _queueText[slot]))
                {
                    return false;
                }

                _queueText[slot] = null;
                _queueHead = (_queueHead + 1) % QueueCapacity;
                _queueCount--;
            }

            return true;
        }

        // A directive the core no longer waits for (its VM has another pending directive or none).
        private bool IsStaleDirective(uint directiveId, uint vmId)
        {
            VmRuntime vm = _core == null || vmId > int.MaxValue ? null : _core.Lifecycle.Find((int)vmId);
            return vm != null && (!vm.HasPendingDirective || vm.PendingDirectiveId != directiveId);
        }

        private bool SendControl(int kind, uint a, uint b, uint c, uint d, string text)
        {
            if (!IsUp())
            {
                return false;
            }

            Envelope e;
            switch (kind)
            {
                case KindDirective:
                    e = Begin(EnvelopeBody.VmDirective, 0);
                    VmDirective directive = e.VmDirective;
                    directive.DirectiveId = a;
                    directive.VmId = b;
                    directive.Action = (DirectiveAction)c;
                    directive.TimeoutMs = d;
                    directive.Reason = Fit(text, Codec.Link.VmDirective.ReasonMaxLength);
                    break;
                case KindResult:
                    e = Begin(EnvelopeBody.RequestResult, a);
                    RequestResult result = e.RequestResult;
                    result.Accepted = b != 0;
                    result.Code = (ErrorCode)c;
                    result.SubjectId = d;
                    result.Message = Fit(text, Codec.Link.RequestResult.MessageMaxLength);
                    break;
                default:
                    e = Begin(EnvelopeBody.BlobAck, 0);
                    BlobAck ack = e.BlobAck;
                    ack.TransferId = a;
                    ack.Code = (ErrorCode)c;
                    ack.Message = Fit(text, Codec.Link.BlobAck.MessageMaxLength);
                    break;
            }

            return Send();
        }

        // ------------------------------------------------------------------ sending

        private bool IsUp()
        {
            return _session != null && _session.State == SessionState.Up;
        }

        private Envelope Begin(EnvelopeBody body, uint correlation)
        {
            Envelope e = _session.Outgoing;
            e.SetBody(body);
            e.CorrelationId = correlation;
            return e;
        }

        private bool Send()
        {
            LinkSendStatus status = _session.Send(_session.Outgoing);
            if (status == LinkSendStatus.Ok)
            {
                Counters.Sent++;
                return true;
            }

            if (status == LinkSendStatus.NoTxBuffer)
            {
                Counters.RingFull++;
            }
            else if (status == LinkSendStatus.NotReady || status == LinkSendStatus.NoDestination)
            {
                Counters.NotConnected++;
            }
            else
            {
                Counters.SendErrors++;
            }

            return false;
        }

        // The string itself when its UTF-8 encoding fits maxBytes, else its longest prefix that fits
        // (cut at a character boundary; allocates only in that case).
        private static string Fit(string value, int maxBytes)
        {
            return value == null ? string.Empty : Utf8.Truncate(value, maxBytes);
        }
    }

    // Counters of the link adapter (single writer: the main loop).
    public sealed class IslandLinkCounters
    {
        public long Sent;
        // Sends refused because the TX ring had no buffer.
        public long RingFull;
        // Sends refused because no session was up.
        public long NotConnected;
        public long SendErrors;
        public long EventsNotSent;
        public long StatusResends;
        public long Queued;
        public long QueueOverflows;
        // Queued directives dropped because the core had cancelled them before they could be sent.
        public long StaleDirectivesDropped;
        public long AnswersIncomplete;
        public long LogPagesSent;
        public long BlobsRefused;
        public long SessionsUp;
        public long SessionsDown;
        public long AgentRestarts;
        public long PeerErrors;
        public long UnexpectedMessages;
    }
}
