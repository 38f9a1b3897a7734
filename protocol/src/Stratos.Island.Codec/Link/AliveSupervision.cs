// AliveSupervision (link.proto, package stratos.island.link.v1): Alive supervision (AUTOSAR WdgM):
// over each reference cycle the number of alive indications must lie in [expected - min_margin,
// expected + max_margin].
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class AliveSupervision
    {
        // Expected indications per reference cycle; 0 disables alive supervision.
        public uint ExpectedIndications;
        // Allowed shortfall.
        public uint MinMargin;
        // Allowed excess.
        public uint MaxMargin;
        // Length of the reference cycle in supervision cycles.
        public uint ReferenceCycles;

        internal int cachedSize;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            ExpectedIndications = 0;
            MinMargin = 0;
            MaxMargin = 0;
            ReferenceCycles = 0;
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
            if (ExpectedIndications != 0) size += 1 + ProtoWriter.VarintSize32(ExpectedIndications);
            if (MinMargin != 0) size += 1 + ProtoWriter.VarintSize32(MinMargin);
            if (MaxMargin != 0) size += 1 + ProtoWriter.VarintSize32(MaxMargin);
            if (ReferenceCycles != 0) size += 1 + ProtoWriter.VarintSize32(ReferenceCycles);
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (ExpectedIndications != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteVarint32(buffer, ref position, ExpectedIndications);
            }
            if (MinMargin != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint32(buffer, ref position, MinMargin);
            }
            if (MaxMargin != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, MaxMargin);
            }
            if (ReferenceCycles != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteVarint32(buffer, ref position, ReferenceCycles);
            }
        }

        // Reads fields until the reader's limit, merging into the current values.
        internal CodecStatus MergeFrom(ref ProtoReader reader)
        {
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
                        status = reader.ReadVarint32(out ExpectedIndications);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out MinMargin);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out MaxMargin);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out ReferenceCycles);
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
