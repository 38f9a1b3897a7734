// EntityStatus (link.proto, package stratos.island.link.v1): Supervision status of one entity.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class EntityStatus
    {
        // Entity id (VM id, 0 = host agent).
        public uint EntityId;
        // Local status.
        public LocalStatus Status;
        // Failed reference cycles counted so far.
        public uint FailedRefCycles;
        // Alive indications in the current reference cycle.
        public uint AliveCount;
        // Deadline violations since activation.
        public uint DeadlineViolations;
        // Logical violations since activation.
        public uint LogicalViolations;

        internal int cachedSize;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            EntityId = 0;
            Status = (LocalStatus)0;
            FailedRefCycles = 0;
            AliveCount = 0;
            DeadlineViolations = 0;
            LogicalViolations = 0;
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
            if (EntityId != 0) size += 1 + ProtoWriter.VarintSize32(EntityId);
            if (Status != 0) size += 1 + ProtoWriter.Int32Size((int)Status);
            if (FailedRefCycles != 0) size += 1 + ProtoWriter.VarintSize32(FailedRefCycles);
            if (AliveCount != 0) size += 1 + ProtoWriter.VarintSize32(AliveCount);
            if (DeadlineViolations != 0) size += 1 + ProtoWriter.VarintSize32(DeadlineViolations);
            if (LogicalViolations != 0) size += 1 + ProtoWriter.VarintSize32(LogicalViolations);
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (EntityId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteVarint32(buffer, ref position, EntityId);
            }
            if (Status != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Status);
            }
            if (FailedRefCycles != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, FailedRefCycles);
            }
            if (AliveCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteVarint32(buffer, ref position, AliveCount);
            }
            if (DeadlineViolations != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 40u);
                ProtoWriter.WriteVarint32(buffer, ref position, DeadlineViolations);
            }
            if (LogicalViolations != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 48u);
                ProtoWriter.WriteVarint32(buffer, ref position, LogicalViolations);
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
                        status = reader.ReadVarint32(out EntityId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Status = (LocalStatus)(int)low32;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out FailedRefCycles);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out AliveCount);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out DeadlineViolations);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out LogicalViolations);
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
