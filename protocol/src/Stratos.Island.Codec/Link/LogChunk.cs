// LogChunk (link.proto, package stratos.island.link.v1): One page of the event log.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class LogChunk
    {
        public const int RecordsMaxCount = 4;

        // Records, in sequence order.
        public readonly Event[] Records = NewRecords();
        public int RecordsCount;
        // Oldest sequence still stored (older records were reclaimed by wear levelling).
        public uint FirstAvailable;
        // Next sequence to ask for.
        public uint NextSequence;
        // True on the last page of this read.
        public bool End;

        internal int cachedSize;

        private static Event[] NewRecords()
        {
            Event[] items = new Event[RecordsMaxCount];
            for (int i = 0; i < items.Length; i++) items[i] = new Event();
            return items;
        }

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            RecordsCount = 0;
            FirstAvailable = 0;
            NextSequence = 0;
            End = false;
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
            CodecStatus status;
            int inner;
            if (RecordsCount < 0 || RecordsCount > RecordsMaxCount) return CodecStatus.TooManyElements;
            for (int i = 0; i < RecordsCount; i++)
            {
                status = Records[i].Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (FirstAvailable != 0) size += 1 + ProtoWriter.VarintSize32(FirstAvailable);
            if (NextSequence != 0) size += 1 + ProtoWriter.VarintSize32(NextSequence);
            if (End) size += 1 + 1;
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            for (int i = 0; i < RecordsCount; i++)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 10u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Records[i].cachedSize);
                Records[i].WriteTo(buffer, ref position);
            }
            if (FirstAvailable != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint32(buffer, ref position, FirstAvailable);
            }
            if (NextSequence != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, NextSequence);
            }
            if (End)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                buffer[position++] = 1;
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
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (RecordsCount >= RecordsMaxCount) return CodecStatus.TooManyElements;
                        Records[RecordsCount].Clear();
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Records[RecordsCount].MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        RecordsCount++;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out FirstAvailable);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out NextSequence);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadBool(out End);
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
