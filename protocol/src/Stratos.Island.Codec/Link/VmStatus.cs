// VmStatus (link.proto, package stratos.island.link.v1): The island's view of one VM.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class VmStatus
    {
        public const int NameMaxLength = 32;
        public const int LastFailureMaxLength = 64;

        // The VM.
        public uint VmId;
        // Name of the VM.
        public string Name = string.Empty;
        // Lifecycle state.
        public VmState State;
        // Local supervision status.
        public LocalStatus Supervision;
        // Restarts within the current restart window.
        public uint RestartsInWindow;
        // Criticality.
        public Criticality Criticality;
        // Island time of the last state change, in milliseconds since island boot.
        public ulong StateSinceMs;
        // Last failure reason, if any.
        public string LastFailure = string.Empty;

        internal int cachedSize;
        private int nameByteCount;
        private int lastFailureByteCount;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            VmId = 0;
            Name = string.Empty;
            State = (VmState)0;
            Supervision = (LocalStatus)0;
            RestartsInWindow = 0;
            Criticality = (Criticality)0;
            StateSinceMs = 0;
            LastFailure = string.Empty;
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
            if (VmId != 0) size += 1 + ProtoWriter.VarintSize32(VmId);
            if (Name != null && Name.Length != 0)
            {
                int bytes = Utf8.ByteCount(Name);
                if (bytes > NameMaxLength) return CodecStatus.StringTooLong;
                nameByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (State != 0) size += 1 + ProtoWriter.Int32Size((int)State);
            if (Supervision != 0) size += 1 + ProtoWriter.Int32Size((int)Supervision);
            if (RestartsInWindow != 0) size += 1 + ProtoWriter.VarintSize32(RestartsInWindow);
            if (Criticality != 0) size += 1 + ProtoWriter.Int32Size((int)Criticality);
            if (StateSinceMs != 0) size += 1 + ProtoWriter.VarintSize64(StateSinceMs);
            if (LastFailure != null && LastFailure.Length != 0)
            {
                int bytes = Utf8.ByteCount(LastFailure);
                if (bytes > LastFailureMaxLength) return CodecStatus.StringTooLong;
                lastFailureByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (VmId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteVarint32(buffer, ref position, VmId);
            }
            if (Name != null && Name.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 18u);
                ProtoWriter.WriteString(buffer, ref position, Name, nameByteCount);
            }
            if (State != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)State);
            }
            if (Supervision != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Supervision);
            }
            if (RestartsInWindow != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 40u);
                ProtoWriter.WriteVarint32(buffer, ref position, RestartsInWindow);
            }
            if (Criticality != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 48u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Criticality);
            }
            if (StateSinceMs != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 56u);
                ProtoWriter.WriteVarint64(buffer, ref position, StateSinceMs);
            }
            if (LastFailure != null && LastFailure.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 66u);
                ProtoWriter.WriteString(buffer, ref position, LastFailure, lastFailureByteCount);
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
                        status = reader.ReadVarint32(out VmId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(NameMaxLength, out Name);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        State = (VmState)(int)low32;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Supervision = (LocalStatus)(int)low32;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out RestartsInWindow);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Criticality = (Criticality)(int)low32;
                        break;
                    case 7:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint64(out StateSinceMs);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 8:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(LastFailureMaxLength, out LastFailure);
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
