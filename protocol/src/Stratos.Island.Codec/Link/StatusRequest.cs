// StatusRequest (link.proto, package stratos.island.link.v1): Asks the island to send every
// VmStatus, PowerDomainStatus and one SupervisionStatus (each with this request's correlation id),
// then a RequestResult closing the answer.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class StatusRequest
    {
        // Also send each VmDefinition as a blob.
        public bool IncludeDefinitions;

        internal int cachedSize;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            IncludeDefinitions = false;
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
            if (IncludeDefinitions) size += 1 + 1;
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (IncludeDefinitions)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                buffer[position++] = 1;
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
                        status = reader.ReadBool(out IncludeDefinitions);
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
