// SupervisionStatus (link.proto, package stratos.island.link.v1): Supervision status: global status
// and one page of entity statuses.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class SupervisionStatus
    {
        public const int EntitiesMaxCount = 12;

        // Global status.
        public GlobalStatus Global;
        // Supervision cycles run since boot.
        public ulong Cycle;
        // Cycles spent in global EXPIRED.
        public uint ExpiredCycles;
        // Entities on this page.
        public readonly EntityStatus[] Entities = NewEntities();
        public int EntitiesCount;
        // True when more pages follow.
        public bool More;

        internal int cachedSize;

        private static EntityStatus[] NewEntities()
        {
            EntityStatus[] items = new EntityStatus[EntitiesMaxCount];
            for (int i = 0; i < items.Length; i++) items[i] = new EntityStatus();
            return items;
        }

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            Global = (GlobalStatus)0;
            Cycle = 0;
            ExpiredCycles = 0;
            EntitiesCount = 0;
            More = false;
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
            if (Global != 0) size += 1 + ProtoWriter.Int32Size((int)Global);
            if (Cycle != 0) size += 1 + ProtoWriter.VarintSize64(Cycle);
            if (ExpiredCycles != 0) size += 1 + ProtoWriter.VarintSize32(ExpiredCycles);
            if (EntitiesCount < 0 || EntitiesCount > EntitiesMaxCount) return CodecStatus.TooManyElements;
            for (int i = 0; i < EntitiesCount; i++)
            {
                status = Entities[i].Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (More) size += 1 + 1;
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (Global != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Global);
            }
            if (Cycle != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint64(buffer, ref position, Cycle);
            }
            if (ExpiredCycles != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, ExpiredCycles);
            }
            for (int i = 0; i < EntitiesCount; i++)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 34u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Entities[i].cachedSize);
                Entities[i].WriteTo(buffer, ref position);
            }
            if (More)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 40u);
                buffer[position++] = 1;
            }
        }

        // Reads fields until the reader's limit, merging into the current values.
        internal CodecStatus MergeFrom(ref ProtoReader reader)
        {
            uint low32;
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
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Global = (GlobalStatus)(int)low32;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint64(out Cycle);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out ExpiredCycles);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (EntitiesCount >= EntitiesMaxCount) return CodecStatus.TooManyElements;
                        Entities[EntitiesCount].Clear();
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Entities[EntitiesCount].MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        EntitiesCount++;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadBool(out More);
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
