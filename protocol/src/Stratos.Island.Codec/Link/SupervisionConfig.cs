// SupervisionConfig (link.proto, package stratos.island.link.v1): Supervision configuration of one
// entity.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class SupervisionConfig
    {
        public const int DeadlinesMaxCount = 8;

        // Alive supervision (optional).
        public readonly AliveSupervision Alive = new AliveSupervision();
        public bool HasAlive;
        // Deadline supervisions.
        public readonly DeadlineSupervision[] Deadlines = NewDeadlines();
        public int DeadlinesCount;
        // Logical supervision (optional).
        public readonly LogicalSupervision Logical = new LogicalSupervision();
        public bool HasLogical;
        // Failed reference cycles tolerated before the entity becomes EXPIRED.
        public uint FailedRefCycleTolerance;

        internal int cachedSize;

        private static DeadlineSupervision[] NewDeadlines()
        {
            DeadlineSupervision[] items = new DeadlineSupervision[DeadlinesMaxCount];
            for (int i = 0; i < items.Length; i++) items[i] = new DeadlineSupervision();
            return items;
        }

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            HasAlive = false;
            DeadlinesCount = 0;
            HasLogical = false;
            FailedRefCycleTolerance = 0;
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
            if (HasAlive)
            {
                status = Alive.Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (DeadlinesCount < 0 || DeadlinesCount > DeadlinesMaxCount) return CodecStatus.TooManyElements;
            for (int i = 0; i < DeadlinesCount; i++)
            {
                status = Deadlines[i].Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (HasLogical)
            {
                status = Logical.Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (FailedRefCycleTolerance != 0) size += 1 + ProtoWriter.VarintSize32(FailedRefCycleTolerance);
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (HasAlive)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 10u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Alive.cachedSize);
                Alive.WriteTo(buffer, ref position);
            }
            for (int i = 0; i < DeadlinesCount; i++)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 18u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Deadlines[i].cachedSize);
                Deadlines[i].WriteTo(buffer, ref position);
            }
            if (HasLogical)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 26u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Logical.cachedSize);
                Logical.WriteTo(buffer, ref position);
            }
            if (FailedRefCycleTolerance != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteVarint32(buffer, ref position, FailedRefCycleTolerance);
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
                        if (!HasAlive)
                        {
                            Alive.Clear();
                            HasAlive = true;
                        }

                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Alive.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (DeadlinesCount >= DeadlinesMaxCount) return CodecStatus.TooManyElements;
                        Deadlines[DeadlinesCount].Clear();
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Deadlines[DeadlinesCount].MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        DeadlinesCount++;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (!HasLogical)
                        {
                            Logical.Clear();
                            HasLogical = true;
                        }

                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Logical.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out FailedRefCycleTolerance);
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
