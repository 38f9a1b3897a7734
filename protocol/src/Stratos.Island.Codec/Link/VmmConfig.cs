// VmmConfig (link.proto, package stratos.island.link.v1): How the agent runs the VM (opaque to the
// island, which stores and forwards it).
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class VmmConfig
    {
        public const int MachineMaxLength = 32;
        public const int KernelMaxLength = 128;
        public const int DiskMaxLength = 128;
        public const int ExtraArgsMaxCount = 8;
        public const int ExtraArgsMaxLength = 64;
        public const int CmdlineMaxLength = 128;
        public const int InitrdMaxLength = 112;

        // QEMU machine type, e.g. "microvm".
        public string Machine = string.Empty;
        // Guest memory in MiB.
        public uint MemoryMib;
        // Virtual CPUs.
        public uint Vcpus;
        // Kernel image path on the A side.
        public string Kernel = string.Empty;
        // Disk image path on the A side.
        public string Disk = string.Empty;
        // Extra VMM arguments. At most 8 (not more: 16 x 64 bytes would push the worst-case
        // VmDefinition to 2450 bytes, over its 2048-byte blob limit; WorstCaseSizeTests proves the
        // bound).
        public readonly string[] ExtraArgs = new string[ExtraArgsMaxCount];
        public int ExtraArgsCount;
        // Kernel command line.
        public string Cmdline = string.Empty;
        // Initial ramdisk path on the A side (-initrd). 112 bytes, not 128: with the fields below
        // the worst-case VmDefinition is 2044 of its 2048 bytes (WorstCaseSizeTests).
        public string Initrd = string.Empty;
        // Accelerator for this VM (unspecified: KVM when usable, else TCG).
        public VmmAccelerator Accelerator;
        // Standard devices of the guest contract (docs/guests.md); the agent wires each one for the
        // machine. virtio-serial port org.stratos.island.heartbeat.0: HB/CP lines and commands,
        // like the console.
        public bool HeartbeatPort;
        // i6300esb watchdog; QEMU's action is none, its WATCHDOG event is reported to the island.
        public bool Watchdog;
        // pvpanic (PCI): a guest kernel panic is reported as a crash.
        public bool PanicDevice;

        internal int cachedSize;
        private int machineByteCount;
        private int kernelByteCount;
        private int diskByteCount;
        private readonly int[] extraArgsByteCounts = new int[ExtraArgsMaxCount];
        private int cmdlineByteCount;
        private int initrdByteCount;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            Machine = string.Empty;
            MemoryMib = 0;
            Vcpus = 0;
            Kernel = string.Empty;
            Disk = string.Empty;
            ExtraArgsCount = 0;
            Cmdline = string.Empty;
            Initrd = string.Empty;
            Accelerator = (VmmAccelerator)0;
            HeartbeatPort = false;
            Watchdog = false;
            PanicDevice = false;
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
            if (Machine != null && Machine.Length != 0)
            {
                int bytes = Utf8.ByteCount(Machine);
                if (bytes > MachineMaxLength) return CodecStatus.StringTooLong;
                machineByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (MemoryMib != 0) size += 1 + ProtoWriter.VarintSize32(MemoryMib);
            if (Vcpus != 0) size += 1 + ProtoWriter.VarintSize32(Vcpus);
            if (Kernel != null && Kernel.Length != 0)
            {
                int bytes = Utf8.ByteCount(Kernel);
                if (bytes > KernelMaxLength) return CodecStatus.StringTooLong;
                kernelByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (Disk != null && Disk.Length != 0)
            {
                int bytes = Utf8.ByteCount(Disk);
                if (bytes > DiskMaxLength) return CodecStatus.StringTooLong;
                diskByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (ExtraArgsCount < 0 || ExtraArgsCount > ExtraArgsMaxCount) return CodecStatus.TooManyElements;
            for (int i = 0; i < ExtraArgsCount; i++)
            {
                string item = ExtraArgs[i];
                int itemBytes = item == null ? 0 : Utf8.ByteCount(item);
                if (itemBytes > ExtraArgsMaxLength) return CodecStatus.StringTooLong;
                extraArgsByteCounts[i] = itemBytes;
                size += 1 + ProtoWriter.VarintSize32((uint)itemBytes) + itemBytes;
            }
            if (Cmdline != null && Cmdline.Length != 0)
            {
                int bytes = Utf8.ByteCount(Cmdline);
                if (bytes > CmdlineMaxLength) return CodecStatus.StringTooLong;
                cmdlineByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (Initrd != null && Initrd.Length != 0)
            {
                int bytes = Utf8.ByteCount(Initrd);
                if (bytes > InitrdMaxLength) return CodecStatus.StringTooLong;
                initrdByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (Accelerator != 0) size += 1 + ProtoWriter.Int32Size((int)Accelerator);
            if (HeartbeatPort) size += 1 + 1;
            if (Watchdog) size += 1 + 1;
            if (PanicDevice) size += 1 + 1;
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (Machine != null && Machine.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 10u);
                ProtoWriter.WriteString(buffer, ref position, Machine, machineByteCount);
            }
            if (MemoryMib != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteVarint32(buffer, ref position, MemoryMib);
            }
            if (Vcpus != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 24u);
                ProtoWriter.WriteVarint32(buffer, ref position, Vcpus);
            }
            if (Kernel != null && Kernel.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 34u);
                ProtoWriter.WriteString(buffer, ref position, Kernel, kernelByteCount);
            }
            if (Disk != null && Disk.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 42u);
                ProtoWriter.WriteString(buffer, ref position, Disk, diskByteCount);
            }
            for (int i = 0; i < ExtraArgsCount; i++)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 50u);
                ProtoWriter.WriteString(buffer, ref position, ExtraArgs[i] == null ? string.Empty : ExtraArgs[i], extraArgsByteCounts[i]);
            }
            if (Cmdline != null && Cmdline.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 58u);
                ProtoWriter.WriteString(buffer, ref position, Cmdline, cmdlineByteCount);
            }
            if (Initrd != null && Initrd.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 66u);
                ProtoWriter.WriteString(buffer, ref position, Initrd, initrdByteCount);
            }
            if (Accelerator != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 72u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Accelerator);
            }
            if (HeartbeatPort)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 80u);
                buffer[position++] = 1;
            }
            if (Watchdog)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 88u);
                buffer[position++] = 1;
            }
            if (PanicDevice)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 96u);
                buffer[position++] = 1;
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
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(MachineMaxLength, out Machine);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out MemoryMib);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out Vcpus);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(KernelMaxLength, out Kernel);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 5:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(DiskMaxLength, out Disk);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 6:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        if (ExtraArgsCount >= ExtraArgsMaxCount) return CodecStatus.TooManyElements;
                        status = reader.ReadString(ExtraArgsMaxLength, out ExtraArgs[ExtraArgsCount]);
                        if (status != CodecStatus.Ok) return status;
                        ExtraArgsCount++;
                        break;
                    case 7:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(CmdlineMaxLength, out Cmdline);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 8:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(InitrdMaxLength, out Initrd);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 9:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Accelerator = (VmmAccelerator)(int)low32;
                        break;
                    case 10:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadBool(out HeartbeatPort);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 11:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadBool(out Watchdog);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 12:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadBool(out PanicDevice);
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
