// LogicalSupervision (link.proto, package stratos.island.link.v1): Logical supervision: checkpoints
// must follow the graph.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class LogicalSupervision
    {
        public const int InitialCheckpointsMaxCount = 8;
        public const int FinalCheckpointsMaxCount = 8;
        public const int TransitionsMaxCount = 32;

        // Checkpoints a run may start with.
        public readonly uint[] InitialCheckpoints = new uint[InitialCheckpointsMaxCount];
        public int InitialCheckpointsCount;
        // Checkpoints that end a run (the next checkpoint must be initial).
        public readonly uint[] FinalCheckpoints = new uint[FinalCheckpointsMaxCount];
        public int FinalCheckpointsCount;
        // Allowed transitions.
        public readonly LogicalTransition[] Transitions = NewTransitions();
        public int TransitionsCount;

        internal int cachedSize;
        private int initialCheckpointsPackedSize;
        private int finalCheckpointsPackedSize;

        private static LogicalTransition[] NewTransitions()
        {
            LogicalTransition[] items = new LogicalTransition[TransitionsMaxCount];
            for (int i = 0; i < items.Length; i++) items[i] = new LogicalTransition();
            return items;
        }

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            InitialCheckpointsCount = 0;
            FinalCheckpointsCount = 0;
            TransitionsCount = 0;
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
            if (InitialCheckpointsCount < 0 || InitialCheckpointsCount > InitialCheckpointsMaxCount) return CodecStatus.TooManyElements;
            if (InitialCheckpointsCount != 0)
            {
                int packed = 0;
                for (int i = 0; i < InitialCheckpointsCount; i++) packed += ProtoWriter.VarintSize32(InitialCheckpoints[i]);
                initialCheckpointsPackedSize = packed;
                size += 1 + ProtoWriter.VarintSize32((uint)packed) + packed;
            }
            if (FinalCheckpointsCount < 0 || FinalCheckpointsCount > FinalCheckpointsMaxCount) return CodecStatus.TooManyElements;
            if (FinalCheckpointsCount != 0)
            {
                int packed = 0;
                for (int i = 0; i < FinalCheckpointsCount; i++) packed += ProtoWriter.VarintSize32(FinalCheckpoints[i]);
                finalCheckpointsPackedSize = packed;
                size += 1 + ProtoWriter.VarintSize32((uint)packed) + packed;
            }
            if (TransitionsCount < 0 || TransitionsCount > TransitionsMaxCount) return CodecStatus.TooManyElements;
            for (int i = 0; i < TransitionsCount; i++)
            {
                status = Transitions[i].Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (InitialCheckpointsCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 10u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)initialCheckpointsPackedSize);
                for (int i = 0; i < InitialCheckpointsCount; i++) ProtoWriter.WriteVarint32(buffer, ref position, InitialCheckpoints[i]);
            }
            if (FinalCheckpointsCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 18u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)finalCheckpointsPackedSize);
                for (int i = 0; i < FinalCheckpointsCount; i++) ProtoWriter.WriteVarint32(buffer, ref position, FinalCheckpoints[i]);
            }
            for (int i = 0; i < TransitionsCount; i++)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 26u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Transitions[i].cachedSize);
                Transitions[i].WriteTo(buffer, ref position);
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
                        if (wireType == ProtoWriter.WireLengthDelimited)
                        {
                            status = reader.BeginMessage(out outerLimit);
                            if (status != CodecStatus.Ok) return status;
                            while (reader.Position < reader.Limit)
                            {
                                if (InitialCheckpointsCount >= InitialCheckpointsMaxCount) return CodecStatus.TooManyElements;
                                status = reader.ReadVarint32(out InitialCheckpoints[InitialCheckpointsCount]);
                                if (status != CodecStatus.Ok) return status;
                                InitialCheckpointsCount++;
                            }

                            reader.EndMessage(outerLimit);
                        }
                        else if (wireType == ProtoWriter.WireVarint)
                        {
                            if (InitialCheckpointsCount >= InitialCheckpointsMaxCount) return CodecStatus.TooManyElements;
                            status = reader.ReadVarint32(out InitialCheckpoints[InitialCheckpointsCount]);
                            if (status != CodecStatus.Ok) return status;
                            InitialCheckpointsCount++;
                        }
                        else
                        {
                            return CodecStatus.WrongWireType;
                        }

                        break;
                    case 2:
                        if (wireType == ProtoWriter.WireLengthDelimited)
                        {
                            status = reader.BeginMessage(out outerLimit);
                            if (status != CodecStatus.Ok) return status;
                            while (reader.Position < reader.Limit)
                            {
                                if (FinalCheckpointsCount >= FinalCheckpointsMaxCount) return CodecStatus.TooManyElements;
                                status = reader.ReadVarint32(out FinalCheckpoints[FinalCheckpointsCount]);
                                if (status != CodecStatus.Ok) return status;
                                FinalCheckpointsCount++;
                            }

                            reader.EndMessage(outerLimit);
                        }
                        else if (wireType == ProtoWriter.WireVarint)
                        {
                            if (FinalCheckpointsCount >= FinalCheckpointsMaxCount) return CodecStatus.TooManyElements;
                            status = reader.ReadVarint32(out FinalCheckpoints[FinalCheckpointsCount]);
                            if (status != CodecStatus.Ok) return status;
                            FinalCheckpointsCount++;
                        }
                        else
                        {
                            return CodecStatus.WrongWireType;
                        }

                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (TransitionsCount >= TransitionsMaxCount) return CodecStatus.TooManyElements;
                        Transitions[TransitionsCount].Clear();
                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Transitions[TransitionsCount].MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        TransitionsCount++;
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
