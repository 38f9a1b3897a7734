// VmDefinition (link.proto, package stratos.island.link.v1): Definition of one VM. Travels as a
// BlobChunk sequence (BLOB_KIND_VM_DEFINITION); its encoding is at most 2048 bytes.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class VmDefinition
    {
        public const int NameMaxLength = 32;
        public const int DependsOnMaxCount = 8;
        public const int PowerDomainsMaxCount = 8;

        // Island-wide VM id, 1..max_vms.
        public uint VmId;
        // Unique name, [a-z0-9-], 1..32 bytes.
        public string Name = string.Empty;
        // Criticality of the VM.
        public Criticality Criticality;
        // Position in the boot sequence (lower first).
        public uint BootOrder;
        // VM ids that must be Running before this VM starts.
        public readonly uint[] DependsOn = new uint[DependsOnMaxCount];
        public int DependsOnCount;
        // Restart policy.
        public readonly RestartPolicy Restart = new RestartPolicy();
        public bool HasRestart;
        // Supervision configuration.
        public readonly SupervisionConfig Supervision = new SupervisionConfig();
        public bool HasSupervision;
        // Power domain ids the VM runs on.
        public readonly uint[] PowerDomains = new uint[PowerDomainsMaxCount];
        public int PowerDomainsCount;
        // Action when supervision expires or the VM fails.
        public SafeAction SafeAction;
        // Time allowed from the start directive to Running, in milliseconds.
        public uint StartTimeoutMs;
        // Time allowed from the stop directive to Stopped, in milliseconds.
        public uint StopTimeoutMs;
        // Whether the island starts the VM during boot orchestration.
        public bool Autostart;
        // How the agent runs it.
        public readonly VmmConfig Vmm = new VmmConfig();
        public bool HasVmm;

        internal int cachedSize;
        private int nameByteCount;
        private int dependsOnPackedSize;
        private int powerDomainsPackedSize;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            VmId = 0;
            Name = string.Empty;
            Criticality = (Criticality)0;
            BootOrder = 0;
            DependsOnCount = 0;
            HasRestart = false;
            HasSupervision = false;
            PowerDomainsCount = 0;
            SafeAction = (SafeAction)0;
            StartTimeoutMs = 0;
            StopTimeoutMs = 0;
            Autostart = false;
            HasVmm = false;
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
            if (VmId != 0) size += 1 + ProtoWriter.VarintSize32(VmId);
            if (Name != null && Name.Length != 0)
            {
                int bytes = Utf8.ByteCount(Name);
                if (bytes > NameMaxLength) return CodecStatus.StringTooLong;
                nameByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (Criticality != 0) size += 1 + ProtoWriter.Int32Size((int)Criticality);
            if (BootOrder != 0) size += 1 + ProtoWriter.VarintSize32(BootOrder);
            if (DependsOnCount < 0 || DependsOnCount > DependsOnMaxCount) return CodecStatus.TooManyElements;
            if (DependsOnCount != 0)
            {
                int packed = 0;
                for (int i = 0; i < DependsOnCount; i++) packed += ProtoWriter.VarintSize32(DependsOn[i]);
                dependsOnPackedSize = packed;
                size += 1 + ProtoWriter.VarintSize32((uint)packed) + packed;
            }
            if (HasRestart)
            {
                status = Restart.Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (HasSupervision)
            {
                status = Supervision.Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
            }
            if (PowerDomainsCount < 0 || PowerDomainsCount > PowerDomainsMaxCount) return CodecStatus.TooManyElements;
            if (PowerDomainsCount != 0)
            {
                int packed = 0;
                for (int i = 0; i < PowerDomainsCount; i++) packed += ProtoWriter.VarintSize32(PowerDomains[i]);
                powerDomainsPackedSize = packed;
                size += 1 + ProtoWriter.VarintSize32((uint)packed) + packed;
            }
            if (SafeAction != 0) size += 1 + ProtoWriter.Int32Size((int)SafeAction);
            if (StartTimeoutMs != 0) size += 1 + ProtoWriter.VarintSize32(StartTimeoutMs);
            if (StopTimeoutMs != 0) size += 1 + ProtoWriter.VarintSize32(StopTimeoutMs);
            if (Autostart) size += 1 + 1;
            if (HasVmm)
            {
                status = Vmm.Measure(out inner);
                if (status != CodecStatus.Ok) return status;
                size += 1 + ProtoWriter.VarintSize32((uint)inner) + inner;
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
            if (Criticality != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Criticality);
            }
            if (BootOrder != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteVarint32(buffer, ref position, BootOrder);
            }
            if (DependsOnCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 42u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)dependsOnPackedSize);
                for (int i = 0; i < DependsOnCount; i++) ProtoWriter.WriteVarint32(buffer, ref position, DependsOn[i]);
            }
            if (HasRestart)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 50u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Restart.cachedSize);
                Restart.WriteTo(buffer, ref position);
            }
            if (HasSupervision)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 58u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Supervision.cachedSize);
                Supervision.WriteTo(buffer, ref position);
            }
            if (PowerDomainsCount != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 66u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)powerDomainsPackedSize);
                for (int i = 0; i < PowerDomainsCount; i++) ProtoWriter.WriteVarint32(buffer, ref position, PowerDomains[i]);
            }
            if (SafeAction != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 72u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)SafeAction);
            }
            if (StartTimeoutMs != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 80u);
                ProtoWriter.WriteVarint32(buffer, ref position, StartTimeoutMs);
            }
            if (StopTimeoutMs != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 88u);
                ProtoWriter.WriteVarint32(buffer, ref position, StopTimeoutMs);
            }
            if (Autostart)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 96u);
                buffer[position++] = 1;
            }
            if (HasVmm)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 106u);
                ProtoWriter.WriteVarint32(buffer, ref position, (uint)Vmm.cachedSize);
                Vmm.WriteTo(buffer, ref position);
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
                        Criticality = (Criticality)(int)low32;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out BootOrder);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 5:
                        if (wireType == ProtoWriter.WireLengthDelimited)
                        {
                            status = reader.BeginMessage(out outerLimit);
                            if (status != CodecStatus.Ok) return status;
                            while (reader.Position < reader.Limit)
                            {
                                if (DependsOnCount >= DependsOnMaxCount) return CodecStatus.TooManyElements;
                                status = reader.ReadVarint32(out DependsOn[DependsOnCount]);
                                if (status != CodecStatus.Ok) return status;
                                DependsOnCount++;
                            }

                            reader.EndMessage(outerLimit);
                        }
                        else if (wireType == ProtoWriter.WireVarint)
                        {
                            if (DependsOnCount >= DependsOnMaxCount) return CodecStatus.TooManyElements;
                            status = reader.ReadVarint32(out DependsOn[DependsOnCount]);
                            if (status != CodecStatus.Ok) return status;
                            DependsOnCount++;
                        }
                        else
                        {
                            return CodecStatus.WrongWireType;
                        }

                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (!HasRestart)
                        {
                            Restart.Clear();
                            HasRestart = true;
                        }

                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Restart.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 7:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (!HasSupervision)
                        {
                            Supervision.Clear();
                            HasSupervision = true;
                        }

                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Supervision.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
                        break;
                    case 8:
                        if (wireType == ProtoWriter.WireLengthDelimited)
                        {
                            status = reader.BeginMessage(out outerLimit);
                            if (status != CodecStatus.Ok) return status;
                            while (reader.Position < reader.Limit)
                            {
                                if (PowerDomainsCount >= PowerDomainsMaxCount) return CodecStatus.TooManyElements;
                                status = reader.ReadVarint32(out PowerDomains[PowerDomainsCount]);
                                if (status != CodecStatus.Ok) return status;
                                PowerDomainsCount++;
                            }

                            reader.EndMessage(outerLimit);
                        }
                        else if (wireType == ProtoWriter.WireVarint)
                        {
                            if (PowerDomainsCount >= PowerDomainsMaxCount) return CodecStatus.TooManyElements;
                            status = reader.ReadVarint32(out PowerDomains[PowerDomainsCount]);
                            if (status != CodecStatus.Ok) return status;
                            PowerDomainsCount++;
                        }
                        else
                        {
                            return CodecStatus.WrongWireType;
                        }

                        break;
                    case 9:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        SafeAction = (SafeAction)(int)low32;
                        break;
                    case 10:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out StartTimeoutMs);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 11:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out StopTimeoutMs);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 12:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadBool(out Autostart);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 13:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (!HasVmm)
                        {
                            Vmm.Clear();
                            HasVmm = true;
                        }

                        status = reader.BeginMessage(out outerLimit);
                        if (status != CodecStatus.Ok) return status;
                        status = Vmm.MergeFrom(ref reader);
                        if (status != CodecStatus.Ok) return status;
                        reader.EndMessage(outerLimit);
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
