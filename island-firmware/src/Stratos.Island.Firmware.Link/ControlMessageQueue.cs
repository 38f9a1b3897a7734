using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware.Link
{
    // The messages the agent must not lose: VmDirective, RequestResult and BlobAck. Each is sent at
    // once when nothing of its kind waits; otherwise (or when the ring refuses it) it waits in a fixed
    // FIFO of IslandLinkEndpoint.QueueCapacity entries and goes out, in order, before anything newer.
    // A full FIFO drops the message and counts it (QueueOverflows).
    //
    // A queued directive that is no longer its VM's pending directive (the core cancelled it
    // meanwhile: an A-cluster reset or the safe state forced the VM down, it timed out, or a newer
    // one replaced it) is dropped, not sent (StaleDirectivesDropped): the agent must not act on it.
    //
    // One FIFO slot per message, one array per field (preallocated; a slot's fields by kind):
    //   field       | VmDirective   | RequestResult   | BlobAck
    //   ------------+---------------+-----------------+-------------
    //   _messageId  | directive id  | correlation id  | transfer id
    //   _subjectId  | VM id         | subject id      | -
    //   _code       | DirectiveAction | ErrorCode     | ErrorCode
    //   _timeoutMs  | timeout       | -               | -
    //   _accepted   | -             | accepted        | -
    //   _text       | reason        | message         | message
    internal sealed class ControlMessageQueue
    {
        private const int KindDirective = 1;
        private const int KindResult = 2;
        private const int KindBlobAck = 3;

        private readonly EnvelopeSender _sender;
        private readonly IslandLinkCounters _counters;
        private readonly int[] _kind = new int[IslandLinkEndpoint.QueueCapacity];
        private readonly uint[] _messageId = new uint[IslandLinkEndpoint.QueueCapacity];
        private readonly uint[] _subjectId = new uint[IslandLinkEndpoint.QueueCapacity];
        private readonly uint[] _code = new uint[IslandLinkEndpoint.QueueCapacity];
        private readonly uint[] _timeoutMs = new uint[IslandLinkEndpoint.QueueCapacity];
        private readonly bool[] _accepted = new bool[IslandLinkEndpoint.QueueCapacity];
        private readonly string[] _text = new string[IslandLinkEndpoint.QueueCapacity];
        private int _head;
        private int _count;

        internal ControlMessageQueue(EnvelopeSender sender, IslandLinkCounters counters)
        {
            _sender = sender;
            _counters = counters;
        }

        // Messages waiting for ring space.
        internal int Count
        {
            get { return _count; }
        }

        internal void SendDirective(uint directiveId, uint vmId, DirectiveAction action, uint timeoutMs, string reason)
        {
            SendOrQueue(KindDirective, directiveId, vmId, (uint)action, timeoutMs, false, reason);
        }

        internal void SendResult(uint correlationId, bool accepted, ErrorCode code, uint subjectId, string message)
        {
            SendOrQueue(KindResult, correlationId, subjectId, (uint)code, 0, accepted, message);
        }

        internal void SendBlobAck(uint transferId, ErrorCode code, string message)
        {
            SendOrQueue(KindBlobAck, transferId, 0, (uint)code, 0, false, message);
        }

        // Sends the queued messages in order; false when one is still refused. lifecycle (null before
        // the core is attached) tells which directives went stale.
        internal bool Flush(LifecycleManager lifecycle)
        {
            while (_count > 0)
            {
                int slot = _head;
                if (_kind[slot] == KindDirective && IsStaleDirective(lifecycle, _messageId[slot], _subjectId[slot]))
                {
                    _counters.StaleDirectivesDropped++;
                }
                else if (!TrySend(slot))
                {
                    return false;
                }

                _text[slot] = null;
                _head = (_head + 1) % IslandLinkEndpoint.QueueCapacity;
                _count--;
            }

            return true;
        }

        private void SendOrQueue(int kind, uint messageId, uint subjectId, uint code, uint timeoutMs, bool accepted, string text)
        {
            int slot = (_head + _count) % IslandLinkEndpoint.QueueCapacity;
            if (_count == IslandLinkEndpoint.QueueCapacity)
            {
                // Full: the message could be neither sent ahead of the queue nor stored.
                _counters.QueueOverflows++;
                return;
            }

            _kind[slot] = kind;
            _messageId[slot] = messageId;
            _subjectId[slot] = subjectId;
            _code[slot] = code;
            _timeoutMs[slot] = timeoutMs;
            _accepted[slot] = accepted;
            _text[slot] = text;
            if (_count == 0 && TrySend(slot))
            {
                _text[slot] = null;
                return;
            }

            _count++;
            _counters.Queued++;
        }

        // A directive the core no longer waits for (its VM has another pending directive or none).
        private static bool IsStaleDirective(LifecycleManager lifecycle, uint directiveId, uint vmId)
        {
            VmRuntime vm = lifecycle == null || vmId > int.MaxValue ? null : lifecycle.Find((int)vmId);
            return vm != null && (!vm.HasPendingDirective || vm.PendingDirectiveId != directiveId);
        }

        private bool TrySend(int slot)
        {
            if (!_sender.IsUp())
            {
                return false;
            }

            Envelope e;
            switch (_kind[slot])
            {
                case KindDirective:
                    e = _sender.Begin(EnvelopeBody.VmDirective, 0);
                    VmDirective directive = e.VmDirective;
                    directive.DirectiveId = _messageId[slot];
                    directive.VmId = _subjectId[slot];
                    directive.Action = (DirectiveAction)_code[slot];
                    directive.TimeoutMs = _timeoutMs[slot];
                    directive.Reason = EnvelopeSender.Fit(_text[slot], VmDirective.ReasonMaxLength);
                    break;
                case KindResult:
                    e = _sender.Begin(EnvelopeBody.RequestResult, _messageId[slot]);
                    RequestResult result = e.RequestResult;
                    result.Accepted = _accepted[slot];
                    result.Code = (ErrorCode)_code[slot];
                    result.SubjectId = _subjectId[slot];
                    result.Message = EnvelopeSender.Fit(_text[slot], RequestResult.MessageMaxLength);
                    break;
                default:
                    e = _sender.Begin(EnvelopeBody.BlobAck, 0);
                    BlobAck ack = e.BlobAck;
                    ack.TransferId = _messageId[slot];
                    ack.Code = (ErrorCode)_code[slot];
                    ack.Message = EnvelopeSender.Fit(_text[slot], BlobAck.MessageMaxLength);
                    break;
            }

            return _sender.Send();
        }
    }
}
