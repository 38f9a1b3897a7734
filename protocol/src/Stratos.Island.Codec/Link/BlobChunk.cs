// BlobChunk (link.proto, package stratos.island.link.v1): One piece of a payload larger than an
// Envelope. Chunks of one transfer share transfer_id and arrive in offset order; the receiver
// reassembles into a fixed buffer and checks crc32.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class BlobChunk
    {
        public const int DataMaxLength = 384;

        // Transfer id chosen by the sender, unique among its open transfers.
        public uint TransferId;
        // What the blob is.
        public BlobKind Kind;
        // Total length of the blob in bytes.
        public uint TotalLength;
        // Offset of this chunk's data in the blob.
        public uint Offset;
        // The chunk's bytes.
        public readonly byte[] Data = new byte[DataMaxLength];
        public int DataLength;
        // CRC-32 (IEEE) of the whole blob; the same on every chunk.
        public uint Crc32;

        internal int cachedSize;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            TransferId = 0;
            Kind = (BlobKind)0;
            TotalLength = 0;
            Offset = 0;
            DataLength = 0;
            Crc32 = 0;
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
            if (TransferId != 0) size += 1 + ProtoWriter.VarintSize32(TransferId);
            if (Kind != 0) size += 1 + ProtoWriter.Int32Size((int)Kind);
            if (TotalLength != 0) size += 1 + ProtoWriter.VarintSize32(TotalLength);
            if (Offset != 0) size += 1 + ProtoWriter.VarintSize32(Offset);
            if (DataLength < 0) return CodecStatus.InvalidLength;
            if (DataLength > DataMaxLength) return CodecStatus.StringTooLong;
            if (DataLength != 0) size += 1 + ProtoWriter.VarintSize32((uint)DataLength) + DataLength;
            if (Crc32 != 0) size += 1 + 4;
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (TransferId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteVarint32(buffer, ref position, TransferId);
            }
            if (Kind != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Kind);
            }
            if (TotalLength != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, TotalLength);
            }
            if (Offset != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteVarint32(buffer, ref position, Offset);
            }
            if (DataLength != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 42u);
                ProtoWriter.WriteBytes(buffer, ref position, Data, DataLength);
            }
            if (Crc32 != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 53u);
                ProtoWriter.WriteFixed32(buffer, ref position, Crc32);
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
                        status = reader.ReadVarint32(out TransferId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Kind = (BlobKind)(int)low32;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out TotalLength);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out Offset);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadBytes(Data, out DataLength);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireFixed32) return CodecStatus.WrongWireType;
                        status = reader.ReadFixed32(out Crc32);
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
