// Envelope (link.proto, package stratos.island.link.v1): One link message. Exactly one body is set.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class Envelope
    {
        public const int AuthTagMaxLength = 16;

        // Protocol version of the sender (1 for this file).
        public uint ProtocolVersion;
        // Per-sender sequence number, incremented for every Envelope sent; wraps at 2^32.
        public uint Sequence;
        // Request id chosen by the requester; the answer echoes it. 0 for unsolicited messages.
        public uint CorrelationId;
        // Authenticated link (docs/link.md "Authentication"): HMAC-SHA256, truncated to 16 bytes,
        // of the sequence number (u32 little-endian) followed by every byte of the encoded Envelope
        // before this field, under the sender's per-session key. Encoded LAST, as the final 18
        // bytes of the message; absent on an unauthenticated link.
        public readonly byte[] AuthTag = new byte[AuthTagMaxLength];
        public int AuthTagLength;
        // Which body is set (a value of EnvelopeBody: the body's field number, None = 0).
        public EnvelopeBody BodyCase;
        // Agent -> island: opens a session.
        public readonly Hello Hello = new Hello();
        // Island -> agent: accepts a session.
        public readonly HelloAck HelloAck = new HelloAck();
        // Either way: liveness probe.
        public readonly Ping Ping = new Ping();
        // Either way: answer to Ping.
        public readonly Pong Pong = new Pong();
        // Either way: a protocol error.
        public readonly Error Error = new Error();
        // Either way: one piece of a larger payload.
        public readonly BlobChunk BlobChunk = new BlobChunk();
        // Either way: acknowledges a complete blob transfer.
        public readonly BlobAck BlobAck = new BlobAck();
        // Agent -> island: an operator request on a VM.
        public readonly VmRequest VmRequest = new VmRequest();
        // Island -> agent: answer to any request.
        public readonly RequestResult RequestResult = new RequestResult();
        // Island -> agent: what the agent must do to a VM.
        public readonly VmDirective VmDirective = new VmDirective();
        // Agent -> island: what really happened to a VM.
        public readonly VmStateReport VmStateReport = new VmStateReport();
        // Island -> agent: the island's view of one VM (on change and on StatusRequest).
        public readonly VmStatus VmStatus = new VmStatus();
        // Agent -> island: asks for every VmStatus, PowerDomainStatus and a SupervisionStatus.
        public readonly StatusRequest StatusRequest = new StatusRequest();
        // Agent -> island: alive indications of a supervised entity.
        public readonly AliveIndication AliveIndication = new AliveIndication();
        // Agent -> island: a checkpoint reached by a supervised entity.
        public readonly Checkpoint Checkpoint = new Checkpoint();
        // Island -> agent: supervision status, one page of entities.
        public readonly SupervisionStatus SupervisionStatus = new SupervisionStatus();
        // Agent -> island: set a power domain state.
        public readonly PowerDomainRequest PowerDomainRequest = new PowerDomainRequest();
        // Island -> agent: state of one power domain.
        public readonly PowerDomainStatus PowerDomainStatus = new PowerDomainStatus();
        // Agent -> island: system off / reboot / suspend.
        public readonly SystemPowerRequest SystemPowerRequest = new SystemPowerRequest();
        // Island -> agent: one event-log record, pushed as it is committed.
        public readonly Event Event = new Event();
        // Agent -> island: read committed event-log records.
        public readonly LogRead LogRead = new LogRead();
        // Island -> agent: one page of event-log records.
        public readonly LogChunk LogChunk = new LogChunk();

        internal int cachedSize;

        // Clears the chosen body and makes it the Envelope's body (BodyCase = which). None clears the body.
        public void SetBody(EnvelopeBody which)
        {
            switch (which)
            {
                case EnvelopeBody.Hello:
                    Hello.Clear();
                    break;
                case EnvelopeBody.HelloAck:
                    HelloAck.Clear();
                    break;
                case EnvelopeBody.Ping:
                    Ping.Clear();
                    break;
                case EnvelopeBody.Pong:
                    Pong.Clear();
                    break;
                case EnvelopeBody.Error:
                    Error.Clear();
                    break;
                case EnvelopeBody.BlobChunk:
                    BlobChunk.Clear();
                    break;
                case EnvelopeBody.BlobAck:
                    BlobAck.Clear();
                    break;
                case EnvelopeBody.VmRequest:
                    VmRequest.Clear();
                    break;
                case EnvelopeBody.RequestResult:
                    RequestResult.Clear();
                    break;
                case EnvelopeBody.VmDirective:
                    VmDirective.Clear();
                    break;
                case EnvelopeBody.VmStateReport:
                    VmStateReport.Clear();
                    break;
                case EnvelopeBody.VmStatus:
                    VmStatus.Clear();
                    break;
                case EnvelopeBody.StatusRequest:
                    StatusRequest.Clear();
                    break;
                case EnvelopeBody.AliveIndication:
                    AliveIndication.Clear();
                    break;
                case EnvelopeBody.Checkpoint:
                    Checkpoint.Clear();
                    break;
                case EnvelopeBody.SupervisionStatus:
                    SupervisionStatus.Clear();
                    break;
                case EnvelopeBody.PowerDomainRequest:
                    PowerDomainRequest.Clear();
                    break;
                case EnvelopeBody.PowerDomainStatus:
                    PowerDomainStatus.Clear();
                    break;
                case EnvelopeBody.SystemPowerRequest:
                    SystemPowerRequest.Clear();
                    break;
                case EnvelopeBody.Event:
                    Event.Clear();
                    break;
                case EnvelopeBody.LogRead:
                    LogRead.Clear();
                    break;
                case EnvelopeBody.LogChunk:
                    LogChunk.Clear();
                    break;
            }

            BodyCase = which;
        }

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            ProtocolVersion = 0;
            Sequence = 0;
            CorrelationId = 0;
            AuthTagLength = 0;
            BodyCase = EnvelopeBody.None;
        }

        // Size in bytes of the canonical encoding, or -1 when a field breaks its limit (Encode says which).
        public int ComputeSize()
        {
            int size;
            return Measure(out size) == CodecStatus.Ok ? size : -1;
        }

        // Writes the canonical encoding into buffer[offset .. offset + capacity). Returns
        // BufferTooSmall (writing nothing) when it does not fit.
        public CodecStatus Encode(byte[] buffer, int offset, int capacity, out int written)
        {
            written = 0;
            CodecStatus status = ProtoWriter.CheckRange(buffer, offset, capacity);
            if (status != CodecStatus.Ok) return status;
            int size;
            status = Measure(out size);
            if (status != CodecStatus.Ok) return status;
            if (size > capacity) return CodecStatus.BufferTooSmall;
            int position = offset;
            WriteTo(buffer, ref position);
            written = position - offset;
            return CodecStatus.Ok;
        }

        // Clears this message, then reads buffer[offset .. offset + count) into it.
        public CodecStatus Decode(byte[] buffer, int offset, int count)
        {
            Clear();
            CodecStatus status = ProtoWriter.CheckRange(buffer, offset, count);
            if (status != CodecStatus.Ok) return status;
            ProtoReader reader = new ProtoReader(buffer, offset, count);
            return MergeFrom(ref reader);
        }

        // Like Decode, but the body is only named (BodyCase) and its bytes skipped, unread (the body's
        // message keeps what it held): for a reader that decodes bodies with other types, once.
        public CodecStatus DecodeHead(byte[] buffer, int offset, int count)
        {
            Clear();
            CodecStatus status = ProtoWriter.CheckRange(buffer, offset, count);
            if (status != CodecStatus.Ok) return status;
            ProtoReader reader = new ProtoReader(buffer, offset, count);
            while (reader.Position < reader.Limit)
            {
                int start = reader.Position;
                int fieldNumber;
                int wireType;
                status = reader.ReadTag(out fieldNumber, out wireType);
                if (status != CodecStatus.Ok) return status;
                bool body = false;
                switch (fieldNumber)
                {
                    case 10:
                    case 11:
                    case 12:
                    case 13:
                    case 14:
                    case 15:
                    case 16:
                    case 20:
                    case 21:
                    case 22:
                    case 23:
                    case 24:
                    case 25:
                    case 30:
                    case 31:
                    case 32:
                    case 40:
                    case 41:
                    case 42:
                    case 50:
                    case 51:
                    case 52:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        body = true;
                        break;
                }

                status = reader.SkipField(fieldNumber, wireType);
                if (status != CodecStatus.Ok) return status;
                if (body)
                {
                    BodyCase = (EnvelopeBody)fieldNumber;
                }
                else
                {
                    ProtoReader field = new ProtoReader(buffer, start, reader.Position - start);
                    status = MergeFrom(ref field);
                    if (status != CodecStatus.Ok) return status;
                }
            }

            return CodecStatus.Ok;
        }

        // Computes the encoded size, checks the limits and caches the sizes WriteTo needs.
        internal CodecStatus Measure(out int size)
        {
            size = 0;
            CodecStatus status;
            int inner;
            if (ProtocolVersion != 0) size += 1 + ProtoWriter.VarintSize32(ProtocolVersion);
            if (Sequence != 0) size += 1 + ProtoWriter.VarintSize32(Sequence);
            if (CorrelationId != 0) size += 1 + ProtoWriter.VarintSize32(CorrelationId);
            if (AuthTagLength < 0) return CodecStatus.InvalidLength;
            if (AuthTagLength > AuthTagMaxLength) return CodecStatus.StringTooLong;
            if (AuthTagLength != 0) size += 1 + ProtoWriter.VarintSize32((uint)AuthTagLength) + AuthTagLength;
            switch (BodyCase)
            {
                case EnvelopeBody.Hello:
                    status = Hello.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.HelloAck:
                    status = HelloAck.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.Ping:
                    status = Ping.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.Pong:
                    status = Pong.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.Error:
                    status = Error.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.BlobChunk:
                    status = BlobChunk.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.BlobAck:
                    status = BlobAck.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.VmRequest:
                    status = VmRequest.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.RequestResult:
                    status = RequestResult.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.VmDirective:
                    status = VmDirective.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.VmStateReport:
                    status = VmStateReport.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.VmStatus:
                    status = VmStatus.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.StatusRequest:
                    status = StatusRequest.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.AliveIndication:
                    status = AliveIndication.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.Checkpoint:
                    status = Checkpoint.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.SupervisionStatus:
                    status = SupervisionStatus.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.PowerDomainRequest:
                    status = PowerDomainRequest.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.PowerDomainStatus:
                    status = PowerDomainStatus.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.SystemPowerRequest:
                    status = SystemPowerRequest.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.Event:
                    status = Event.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.LogRead:
                    status = LogRead.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
                case EnvelopeBody.LogChunk:
                    status = LogChunk.Measure(out inner);
                    if (status != CodecStatus.Ok) return status;
                    size += 2 + ProtoWriter.VarintSize32((uint)inner) + inner;
                    break;
            }
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (ProtocolVersion != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteVarint32(buffer, ref position, ProtocolVersion);
            }
            if (Sequence != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint32(buffer, ref position, Sequence);
            }
            if (CorrelationId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, CorrelationId);
            }
            if (AuthTagLength != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 34u);
                ProtoWriter.WriteBytes(buffer, ref position, AuthTag, AuthTagLength);
            }
            switch (BodyCase)
            {
                case EnvelopeBody.Hello:
                    ProtoWriter.WriteVarint32(buffer, ref position, 82u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)Hello.cachedSize);
                    Hello.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.HelloAck:
                    ProtoWriter.WriteVarint32(buffer, ref position, 90u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)HelloAck.cachedSize);
                    HelloAck.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.Ping:
                    ProtoWriter.WriteVarint32(buffer, ref position, 98u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)Ping.cachedSize);
                    Ping.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.Pong:
                    ProtoWriter.WriteVarint32(buffer, ref position, 106u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)Pong.cachedSize);
                    Pong.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.Error:
                    ProtoWriter.WriteVarint32(buffer, ref position, 114u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)Error.cachedSize);
                    Error.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.BlobChunk:
                    ProtoWriter.WriteVarint32(buffer, ref position, 122u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)BlobChunk.cachedSize);
                    BlobChunk.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.BlobAck:
                    ProtoWriter.WriteVarint32(buffer, ref position, 130u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)BlobAck.cachedSize);
                    BlobAck.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.VmRequest:
                    ProtoWriter.WriteVarint32(buffer, ref position, 162u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)VmRequest.cachedSize);
                    VmRequest.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.RequestResult:
                    ProtoWriter.WriteVarint32(buffer, ref position, 170u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)RequestResult.cachedSize);
                    RequestResult.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.VmDirective:
                    ProtoWriter.WriteVarint32(buffer, ref position, 178u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)VmDirective.cachedSize);
                    VmDirective.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.VmStateReport:
                    ProtoWriter.WriteVarint32(buffer, ref position, 186u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)VmStateReport.cachedSize);
                    VmStateReport.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.VmStatus:
                    ProtoWriter.WriteVarint32(buffer, ref position, 194u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)VmStatus.cachedSize);
                    VmStatus.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.StatusRequest:
                    ProtoWriter.WriteVarint32(buffer, ref position, 202u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)StatusRequest.cachedSize);
                    StatusRequest.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.AliveIndication:
                    ProtoWriter.WriteVarint32(buffer, ref position, 242u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)AliveIndication.cachedSize);
                    AliveIndication.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.Checkpoint:
                    ProtoWriter.WriteVarint32(buffer, ref position, 250u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)Checkpoint.cachedSize);
                    Checkpoint.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.SupervisionStatus:
                    ProtoWriter.WriteVarint32(buffer, ref position, 258u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)SupervisionStatus.cachedSize);
                    SupervisionStatus.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.PowerDomainRequest:
                    ProtoWriter.WriteVarint32(buffer, ref position, 322u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)PowerDomainRequest.cachedSize);
                    PowerDomainRequest.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.PowerDomainStatus:
                    ProtoWriter.WriteVarint32(buffer, ref position, 330u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)PowerDomainStatus.cachedSize);
                    PowerDomainStatus.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.SystemPowerRequest:
                    ProtoWriter.WriteVarint32(buffer, ref position, 338u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)SystemPowerRequest.cachedSize);
                    SystemPowerRequest.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.Event:
                    ProtoWriter.WriteVarint32(buffer, ref position, 402u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)Event.cachedSize);
                    Event.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.LogRead:
                    ProtoWriter.WriteVarint32(buffer, ref position, 410u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)LogRead.cachedSize);
                    LogRead.WriteTo(buffer, ref position);
                    break;
                case EnvelopeBody.LogChunk:
                    ProtoWriter.WriteVarint32(buffer, ref position, 418u);
                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)LogChunk.cachedSize);
                    LogChunk.WriteTo(buffer, ref position);
                    break;
            }
        }

        // Reads fields until the reader's limit, merging into the current values.
        internal CodecStatus MergeFrom(ref ProtoReader reader)
        {
            int outerLimit;
            while (reader.Position < reader.Limit)
            {
                int fieldNumber;
                int wireType;
                CodecStatus status = reader.ReadTag(out fieldNumber, out wireType);
                if (status != CodecStatus.Ok) return status;
                switch (fieldNumber)
                {
                    case 1:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out ProtocolVersion);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out Sequence);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out CorrelationId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadBytes(AuthTag, out AuthTagLength);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 10:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.Hello) SetBody(EnvelopeBody.Hello);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Hello.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 11:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.HelloAck) SetBody(EnvelopeBody.HelloAck);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = HelloAck.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 12:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.Ping) SetBody(EnvelopeBody.Ping);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Ping.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 13:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.Pong) SetBody(EnvelopeBody.Pong);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Pong.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 14:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.Error) SetBody(EnvelopeBody.Error);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Error.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 15:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.BlobChunk) SetBody(EnvelopeBody.BlobChunk);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = BlobChunk.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 16:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.BlobAck) SetBody(EnvelopeBody.BlobAck);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = BlobAck.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 20:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.VmRequest) SetBody(EnvelopeBody.VmRequest);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = VmRequest.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 21:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.RequestResult) SetBody(EnvelopeBody.RequestResult);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = RequestResult.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 22:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.VmDirective) SetBody(EnvelopeBody.VmDirective);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = VmDirective.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 23:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.VmStateReport) SetBody(EnvelopeBody.VmStateReport);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = VmStateReport.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 24:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.VmStatus) SetBody(EnvelopeBody.VmStatus);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = VmStatus.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 25:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.StatusRequest) SetBody(EnvelopeBody.StatusRequest);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = StatusRequest.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 30:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.AliveIndication) SetBody(EnvelopeBody.AliveIndication);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = AliveIndication.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 31:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.Checkpoint) SetBody(EnvelopeBody.Checkpoint);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Checkpoint.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 32:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.SupervisionStatus) SetBody(EnvelopeBody.SupervisionStatus);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = SupervisionStatus.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 40:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.PowerDomainRequest) SetBody(EnvelopeBody.PowerDomainRequest);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = PowerDomainRequest.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 41:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.PowerDomainStatus) SetBody(EnvelopeBody.PowerDomainStatus);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = PowerDomainStatus.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 42:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.SystemPowerRequest) SetBody(EnvelopeBody.SystemPowerRequest);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = SystemPowerRequest.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 50:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.Event) SetBody(EnvelopeBody.Event);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Event.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 51:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.LogRead) SetBody(EnvelopeBody.LogRead);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = LogRead.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 52:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (BodyCase != EnvelopeBody.LogChunk) SetBody(EnvelopeBody.LogChunk);
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = LogChunk.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    default:
                        status = reader.SkipField(fieldNumber, wireType);
                        if (status != CodecStatus.Ok) return status;
                        break;
                }
            }

            return CodecStatus.Ok;
        }
    }
}
