// HelloAck (link.proto, package stratos.island.link.v1): Accepts a session: the chosen version and
// the island's own identity.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class HelloAck
    {
        public const int BoardIdMaxLength = 32;
        public const int SoftwareVersionMaxLength = 32;

        // Role of the sender.
        public Role Role;
        // Protocol version both sides will use.
        public uint Version;
        // Random id drawn at every boot of the sender.
        public ulong BootId;
        // Echo of the Hello's boot_id.
        public ulong PeerBootId;
        // Board id of the island.
        public string BoardId = string.Empty;
        // Why the island last booted.
        public ResetReason ResetReason;
        // Hash of the configuration the island runs.
        public uint ConfigHash;
        // Bitwise OR of Capability values.
        public uint Capabilities;
        // Software version of the island.
        public string SoftwareVersion = string.Empty;
        // Supervision cycle period of the island in milliseconds.
        public uint SupervisionCycleMs;
        // Number of VMs defined on the island.
        public uint VmCount;

        internal int cachedSize;
        private int boardIdByteCount;
        private int softwareVersionByteCount;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            Role = (Role)0;
            Version = 0;
            BootId = 0;
            PeerBootId = 0;
            BoardId = string.Empty;
            ResetReason = (ResetReason)0;
            ConfigHash = 0;
            Capabilities = 0;
            SoftwareVersion = string.Empty;
            SupervisionCycleMs = 0;
            VmCount = 0;
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
            if (Role != 0) size += 1 + ProtoWriter.Int32Size((int)Role);
            if (Version != 0) size += 1 + ProtoWriter.VarintSize32(Version);
            if (BootId != 0) size += 1 + 8;
            if (PeerBootId != 0) size += 1 + 8;
            if (BoardId != null && BoardId.Length != 0)
            {
                int bytes = Utf8.ByteCount(BoardId);
                if (bytes > BoardIdMaxLength) return CodecStatus.StringTooLong;
                boardIdByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (ResetReason != 0) size += 1 + ProtoWriter.Int32Size((int)ResetReason);
            if (ConfigHash != 0) size += 1 + 4;
            if (Capabilities != 0) size += 1 + ProtoWriter.VarintSize32(Capabilities);
            if (SoftwareVersion != null && SoftwareVersion.Length != 0)
            {
                int bytes = Utf8.ByteCount(SoftwareVersion);
                if (bytes > SoftwareVersionMaxLength) return CodecStatus.StringTooLong;
                softwareVersionByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (SupervisionCycleMs != 0) size += 1 + ProtoWriter.VarintSize32(SupervisionCycleMs);
            if (VmCount != 0) size += 1 + ProtoWriter.VarintSize32(VmCount);
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (Role != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Role);
            }
            if (Version != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint32(buffer, ref position, Version);
            }
            if (BootId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 25u);
                ProtoWriter.WriteFixed64(buffer, ref position, BootId);
            }
            if (PeerBootId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 33u);
                ProtoWriter.WriteFixed64(buffer, ref position, PeerBootId);
            }
            if (BoardId != null && BoardId.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 42u);
                ProtoWriter.WriteString(buffer, ref position, BoardId, boardIdByteCount);
            }
            if (ResetReason != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 48u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)ResetReason);
            }
            if (ConfigHash != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 61u);
                ProtoWriter.WriteFixed32(buffer, ref position, ConfigHash);
            }
            if (Capabilities != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 64u);
                ProtoWriter.WriteVarint32(buffer, ref position, Capabilities);
            }
            if (SoftwareVersion != null && SoftwareVersion.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 74u);
                ProtoWriter.WriteString(buffer, ref position, SoftwareVersion, softwareVersionByteCount);
            }
            if (SupervisionCycleMs != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 80u);
                ProtoWriter.WriteVarint32(buffer, ref position, SupervisionCycleMs);
            }
            if (VmCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 88u);
                ProtoWriter.WriteVarint32(buffer, ref position, VmCount);
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
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Role = (Role)(int)low32;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out Version);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireFixed64) return CodecStatus.WrongWireType;
                        status = reader.ReadFixed64(out BootId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireFixed64) return CodecStatus.WrongWireType;
                        status = reader.ReadFixed64(out PeerBootId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(BoardIdMaxLength, out BoardId);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        ResetReason = (ResetReason)(int)low32;
                        break;
                    case 7:
                        if (wireType != ProtoWriter.WireFixed32) return CodecStatus.WrongWireType;
                        status = reader.ReadFixed32(out ConfigHash);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 8:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out Capabilities);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 9:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(SoftwareVersionMaxLength, out SoftwareVersion);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 10:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out SupervisionCycleMs);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 11:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out VmCount);
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
