// ISharedMemory over a plain byte array: the second HAL implementation, used by unit tests and by
// single-process simulations. Little-endian by construction (bytes are composed by hand, never via
// BitConverter, whose byte order follows the host).
using System;
using System.Threading;

namespace Stratos.Island.Link
{
    /// <summary>Shared memory backed by a byte array (both sides in one process).</summary>
    public sealed class ByteArraySharedMemory : ISharedMemory
    {
        private readonly byte[] _bytes;
        private int _fence;

        public ByteArraySharedMemory(int size)
        {
            if (size <= 0)
            {
                throw new ArgumentOutOfRangeException("size", "shared memory size must be positive");
            }

            _bytes = new byte[size];
        }

        public int Size
        {
            get { return _bytes.Length; }
        }

        /// <summary>The backing array (tests inspect and corrupt it directly).</summary>
        public byte[] Bytes
        {
            get { return _bytes; }
        }

        public byte ReadByte(int offset)
        {
            return _bytes[offset];
        }

        public ushort ReadUInt16(int offset)
        {
            return (ushort)(_bytes[offset] | (_bytes[offset + 1] << 8));
        }

        public uint ReadUInt32(int offset)
        {
            return (uint)(_bytes[offset] | (_bytes[offset + 1] << 8) | (_bytes[offset + 2] << 16) | (_bytes[offset + 3] << 24));
        }

        public ulong ReadUInt64(int offset)
        {
            return ReadUInt32(offset) | ((ulong)ReadUInt32(offset + 4) << 32);
        }

        public void WriteByte(int offset, byte value)
        {
            _bytes[offset] = value;
        }

        public void WriteUInt16(int offset, ushort value)
        {
            _bytes[offset] = (byte)value;
            _bytes[offset + 1] = (byte)(value >> 8);
        }

        public void WriteUInt32(int offset, uint value)
        {
            _bytes[offset] = (byte)value;
            _bytes[offset + 1] = (byte)(value >> 8);
            _bytes[offset + 2] = (byte)(value >> 16);
            _bytes[offset + 3] = (byte)(value >> 24);
        }

        public void WriteUInt64(int offset, ulong value)
        {
            WriteUInt32(offset, (uint)value);
            WriteUInt32(offset + 4, (uint)(value >> 32));
        }

        public void ReadBytes(int offset, byte[] destination, int destinationOffset, int count)
        {
            Array.Copy(_bytes, offset, destination, destinationOffset, count);
        }

        public void WriteBytes(int offset, byte[] source, int sourceOffset, int count)
        {
            Array.Copy(source, sourceOffset, _bytes, offset, count);
        }

        public void Clear(int offset, int count)
        {
            Array.Clear(_bytes, offset, count);
        }

        // Interlocked.Exchange is a full fence on every .NET runtime (and exists on nanoFramework);
        // it is stronger than the release/acquire the callers ask for, which is always allowed.
        public void ReleaseBarrier()
        {
            Interlocked.Exchange(ref _fence, 0);
        }

        public void AcquireBarrier()
        {
            Interlocked.Exchange(ref _fence, 0);
        }

        public void FullBarrier()
        {
            Interlocked.Exchange(ref _fence, 0);
        }
    }
}
