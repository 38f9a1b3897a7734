// One split virtqueue in shared memory (virtio 1.1 section 2.6).
//
//   descriptor (16 bytes): addr u64 | len u32 | flags u16 (NEXT 1, WRITE 2) | next u16
//   avail ring (driver writes): flags u16 (NO_INTERRUPT 1) | idx u16 | ring[num] u16 | used_event u16
//   used ring (device writes):  flags u16 (NO_NOTIFY 1) | idx u16 | ring[num] {id u32, len u32} | avail_event u16
//
// The driver owns the descriptor table and the avail ring; the device owns the used ring. Indices
// are free-running u16 counters; slot = idx & (num - 1). This class only addresses fields; the
// ordering rules (write entries, release barrier, write idx) are applied by RpmsgLink.
namespace Stratos.Island.Link
{
    internal sealed class Vring
    {
        public const ushort DescFlagNext = 1;
        public const ushort DescFlagWrite = 2;
        public const ushort AvailFlagNoInterrupt = 1;
        public const ushort UsedFlagNoNotify = 1;

        private readonly ISharedMemory _shm;
        public readonly int Num;
        public readonly int Mask;
        public readonly int DescOffset;
        public readonly int AvailOffset;
        public readonly int UsedOffset;
        public readonly int EndOffset;
        public readonly string Name;

        public Vring(ISharedMemory shm, string name, int da, int num, int align)
        {
            _shm = shm;
            Name = name;
            Num = num;
            Mask = num - 1;
            DescOffset = da;
            AvailOffset = LinkLayout.AvailOffset(da, num);
            UsedOffset = LinkLayout.UsedOffset(da, num, align);
            EndOffset = LinkLayout.VringEnd(da, num, align);
        }

        public void ClearAll()
        {
            _shm.Clear(DescOffset, EndOffset - DescOffset);
        }

        public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next)
        {
            int at = DescOffset + 16 * index;
            _shm.WriteUInt64(at, address);
            _shm.WriteUInt32(at + 8, length);
            _shm.WriteUInt16(at + 12, flags);
            _shm.WriteUInt16(at + 14, next);
        }

        public ulong DescAddress(int index)
        {
            return _shm.ReadUInt64(DescOffset + 16 * index);
        }

        public uint DescLength(int index)
        {
            return _shm.ReadUInt32(DescOffset + 16 * index + 8);
        }

        public ushort DescFlags(int index)
        {
            return _shm.ReadUInt16(DescOffset + 16 * index + 12);
        }

        public ushort DescNext(int index)
        {
            return _shm.ReadUInt16(DescOffset + 16 * index + 14);
        }

        public ushort AvailFlags
        {
            get { return _shm.ReadUInt16(AvailOffset); }
            set { _shm.WriteUInt16(AvailOffset, value); }
        }

        public ushort AvailIdx
        {
            get { return _shm.ReadUInt16(AvailOffset + 2); }
            set { _shm.WriteUInt16(AvailOffset + 2, value); }
        }

        public ushort AvailEntry(int counter)
        {
            return _shm.ReadUInt16(AvailOffset + 4 + 2 * (counter & Mask));
        }

        public void SetAvailEntry(int counter, ushort descriptor)
        {
            _shm.WriteUInt16(AvailOffset + 4 + 2 * (counter & Mask), descriptor);
        }

        public ushort UsedFlags
        {
            get { return _shm.ReadUInt16(UsedOffset); }
            set { _shm.WriteUInt16(UsedOffset, value); }
        }

        public ushort UsedIdx
        {
            get { return _shm.ReadUInt16(UsedOffset + 2); }
            set { _shm.WriteUInt16(UsedOffset + 2, value); }
        }

        public uint UsedEntryId(int counter)
        {
            return _shm.ReadUInt32(UsedOffset + 4 + 8 * (counter & Mask));
        }

        public uint UsedEntryLength(int counter)
        {
            return _shm.ReadUInt32(UsedOffset + 8 + 8 * (counter & Mask));
        }

        public void SetUsedEntry(int counter, uint id, uint length)
        {
            int at = UsedOffset + 4 + 8 * (counter & Mask);
            _shm.WriteUInt32(at, id);
            _shm.WriteUInt32(at + 4, length);
        }
    }
}
