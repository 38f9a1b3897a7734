// Event (link.proto, package stratos.island.link.v1): One event-log record.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class Event
    {
        public const int DetailMaxLength = 64;

        // Log sequence number, contiguous from 1.
        public uint Sequence;
        // Island time in microseconds since boot.
        public ulong TimestampUs;
        // Island boot count at the time of the record.
        public uint BootCount;
        // Type of event.
        public EventType Type;
        // VM (or entity / domain) the event is about; 0 for the island itself.
        public uint SubjectId;
        // Type-specific value (see EventType).
        public int Value;
        // Human-readable detail.
        public string Detail = string.Empty;

        internal int cachedSize;
        private int detailByteCount;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            Sequence = 0;
            TimestampUs = 0;
            BootCount = 0;
            Type = (EventType)0;
            SubjectId = 0;
            Value = 0;
            Detail = string.Empty;
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

        // Computes the encoded size, checks the limits and caches the sizes WriteTo needs.
        internal CodecStatus Measure(out int size)
        {
            size = 0;
            if (Sequence != 0) size += 1 + ProtoWriter.VarintSize32(Sequence);
            if (TimestampUs != 0) size += 1 + ProtoWriter.VarintSize64(TimestampUs);
            if (BootCount != 0) size += 1 + ProtoWriter.VarintSize32(BootCount);
            if (Type != 0) size += 1 + ProtoWriter.Int32Size((int)Type);
            if (SubjectId != 0) size += 1 + ProtoWriter.VarintSize32(SubjectId);
            if (Value != 0) size += 1 + ProtoWriter.Int32Size(Value);
            if (Detail != null && Detail.Length != 0)
            {
                int bytes = Utf8.ByteCount(Detail);
                if (bytes > DetailMaxLength) return CodecStatus.StringTooLong;
                detailByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (Sequence != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteVarint32(buffer, ref position, Sequence);
            }
            if (TimestampUs != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint64(buffer, ref position, TimestampUs);
            }
            if (BootCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, BootCount);
            }
            if (Type != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Type);
            }
            if (SubjectId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 40u);
                ProtoWriter.WriteVarint32(buffer, ref position, SubjectId);
            }
            if (Value != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 48u);
                ProtoWriter.WriteInt32(buffer, ref position, Value);
            }
            if (Detail != null && Detail.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 58u);
                ProtoWriter.WriteString(buffer, ref position, Detail, detailByteCount);
            }
        }

        // Reads fields until the reader's limit, merging into the current values.
        internal CodecStatus MergeFrom(ref ProtoReader reader)
        {
            uint low32;
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
                        status = reader.ReadVarint32(out Sequence);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint64(out TimestampUs);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out BootCount);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Type = (EventType)(int)low32;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out SubjectId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Value = (int)low32;
                        break;
                    case 7:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(DetailMaxLength, out Detail);
                        if (status != CodecStatus.Ok) return status;
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
