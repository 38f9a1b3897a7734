// The in-memory link of the scenario: one fixed ring of message slots per direction (no allocation
// per message) and the agent's end, which writes every application Envelope the island sends to the
// trace and answers VM directives the way the host agent does once QEMU reports (Start/Resume ->
// Running, Stop/Kill -> NotRunning).
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Scenario
{
    public sealed class ScenarioPipe : IMessageTransport
    {
        public const int SlotBytes = 512;
        private readonly byte[][] _slots;
        private readonly int[] _lengths;
        private int _head;
        private int _count;

        public ScenarioPipe(int capacity)
        {
            _slots = new byte[capacity][];
            _lengths = new int[capacity];
            for (int i = 0; i < capacity; i++)
            {
                _slots[i] = new byte[SlotBytes];
            }
        }

        // The link is down: every send is refused as by a ring with no peer.
        public bool Down;

        // Every send is refused (NoTxBuffer), as by a ring with no free buffer (the firmware tests').
        public bool Full;

        public int Count
        {
            get { return _count; }
        }

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            if (Down)
            {
                return LinkSendStatus.NotReady;
            }

            if (Full || _count == _slots.Length || count > SlotBytes)
            {
                return LinkSendStatus.NoTxBuffer;
            }

            int slot = (_head + _count) % _slots.Length;
            System.Array.Copy(buffer, offset, _slots[slot], 0, count);
            _lengths[slot] = count;
            _count++;
            return LinkSendStatus.Ok;
        }

        public void DeliverTo(LinkSession session, long nowMs)
        {
            while (_count > 0)
            {
                int slot = _head;
                _head = (_head + 1) % _slots.Length;
                _count--;
                session.OnMessage(_slots[slot], 0, _lengths[slot], nowMs);
            }
        }

        // The bytes of the message queued last, in hex (what crossed the link).
        public string LastHex()
        {
            if (_count == 0)
            {
                return string.Empty;
            }

            int slot = (_head + _count - 1) % _slots.Length;
            return ScenarioTrace.Hex(_slots[slot], 0, _lengths[slot]);
        }

        public void Clear()
        {
            _head = 0;
            _count = 0;
        }
    }

    public sealed class ScenarioAgent : ISessionListener
    {
        public const int MaxPending = 64;
        private readonly ScenarioTrace _trace;
        private readonly byte[] _encoded = new byte[ScenarioPipe.SlotBytes];
        private readonly uint[] _pendingVm = new uint[MaxPending];
        private readonly uint[] _pendingDirective = new uint[MaxPending];
        private readonly ObservedVmState[] _pendingState = new ObservedVmState[MaxPending];
        private int _pending;

        public ScenarioAgent(ScenarioTrace trace)
        {
            _trace = trace;
        }

        public long Received;

        // Answer directives (false while the agent is "lost").
        public bool Answering = true;

        public int PendingCount
        {
            get { return _pending; }
        }

        // The agent's session (set when it connects): what the island's HelloAck said.
        public LinkSession Session;

        public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version)
        {
            string ack = Session == null ? string.Empty : string.Concat(", island reset ", ScenarioNames.Of(Session.PeerResetReason),
                string.Concat(", board '", Session.PeerBoardId, "', cycle ", Session.PeerSupervisionCycleMs.ToString(), " ms"));
            _trace.Line(string.Concat("agent session up: island boot ", peerBootId.ToString(), peerRestarted ? " (restarted)" : "", ", version ", version.ToString(), ack));
        }

        public void OnSessionDown(SessionDownReason reason, string detail)
        {
            _trace.Line(string.Concat("agent session down: ", ScenarioNames.Of(reason), " ", detail));
        }

        public void OnRequestTimeout(uint correlationId)
        {
            _trace.Line(string.Concat("agent request timeout #", correlationId.ToString()));
        }

        public void OnEnvelope(Envelope envelope)
        {
            Received++;
            string line = string.Concat("agent<- ", ScenarioNames.Of(envelope.BodyCase), Describe(envelope));
            int written;
            if (envelope.Encode(_encoded, 0, _encoded.Length, out written) == CodecStatus.Ok)
            {
                line = string.Concat(line, " | ", ScenarioTrace.Hex(_encoded, 0, written));
            }

            _trace.Line(line);
            if (envelope.BodyCase == EnvelopeBody.VmDirective && Answering && _pending < MaxPending)
            {
                VmDirective d = envelope.VmDirective;
                ObservedVmState state = d.Action == DirectiveAction.Start || d.Action == DirectiveAction.Resume || d.Action == DirectiveAction.Reset
                    ? ObservedVmState.Running
                    : ObservedVmState.NotRunning;
                _pendingVm[_pending] = d.VmId;
                _pendingDirective[_pending] = d.DirectiveId;
                _pendingState[_pending] = state;
                _pending++;
            }
        }

        // Sends the reports of the directives received so far (what QEMU would have done meanwhile).
        public void Answer(LinkSession agent)
        {
            int count = _pending;
            _pending = 0;
            for (int i = 0; i < count; i++)
            {
                Envelope e = agent.Outgoing;
                e.SetBody(EnvelopeBody.VmStateReport);
                e.VmStateReport.VmId = _pendingVm[i];
                e.VmStateReport.State = _pendingState[i];
                e.VmStateReport.DirectiveId = _pendingDirective[i];
                e.VmStateReport.ExitStatus = 0;
                e.VmStateReport.Detail = string.Empty;
                agent.Send(e);
            }
        }

        public void Forget()
        {
            _pending = 0;
        }

        // "global Ok cycle 12 expired 0 | 0:Ok 1:Failed ..." (entity id and local status).
        private static string DescribeSupervision(SupervisionStatus status)
        {
            string line = string.Concat(" global ", ScenarioNames.Of(status.Global), " cycle ", status.Cycle.ToString(),
                string.Concat(" expired ", status.ExpiredCycles.ToString(), status.More ? " more" : "", " entities"));
            for (int i = 0; i < status.EntitiesCount; i++)
            {
                EntityStatus entity = status.Entities[i];
                line = string.Concat(line, " ", entity.EntityId.ToString(), ":", ScenarioNames.Of(entity.Status));
            }

            return line;
        }

        private static string Describe(Envelope e)
        {
            switch (e.BodyCase)
            {
                case EnvelopeBody.VmDirective:
                    return string.Concat(" #", e.VmDirective.DirectiveId.ToString(), " vm ", e.VmDirective.VmId.ToString(), " ",
                        ScenarioNames.Of(e.VmDirective.Action), " '", e.VmDirective.Reason, "'");
                case EnvelopeBody.RequestResult:
                    return string.Concat(" #", e.CorrelationId.ToString(), e.RequestResult.Accepted ? " accepted " : " refused ",
                        ScenarioNames.Of(e.RequestResult.Code), " '", e.RequestResult.Message, "'");
                case EnvelopeBody.VmStatus:
                    return string.Concat(
                        string.Concat(" vm ", e.VmStatus.VmId.ToString(), " '", e.VmStatus.Name, "' ", ScenarioNames.Of(e.VmStatus.State)),
                        string.Concat(" ", ScenarioNames.Of(e.VmStatus.Criticality), " supervision ", ScenarioNames.Of(e.VmStatus.Supervision)),
                        string.Concat(" restarts ", e.VmStatus.RestartsInWindow.ToString(), " '", e.VmStatus.LastFailure, "'"));
                case EnvelopeBody.Event:
                    return string.Concat(
                        string.Concat(" seq ", e.Event.Sequence.ToString(), " boot ", e.Event.BootCount.ToString(), " ", ScenarioNames.Of(e.Event.Type)),
                        string.Concat(" subject ", e.Event.SubjectId.ToString(), " value ", ScenarioNames.ValueOf(e.Event.Type, e.Event.Value), " '", e.Event.Detail, "'"));
                case EnvelopeBody.PowerDomainStatus:
                    return string.Concat(" domain ", e.PowerDomainStatus.DomainId.ToString(), " '", e.PowerDomainStatus.Name, "' ", ScenarioNames.Of(e.PowerDomainStatus.State),
                        string.Concat(" ", ScenarioNames.Of(e.PowerDomainStatus.Criticality)));
                case EnvelopeBody.SupervisionStatus:
                    return DescribeSupervision(e.SupervisionStatus);
                case EnvelopeBody.Error:
                    return string.Concat(" ", ScenarioNames.Of(e.Error.Code), " '", e.Error.Message, "'");
                default:
                    return string.Empty;
            }
        }
    }
}
