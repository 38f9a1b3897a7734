// Low-level protobuf writer: size computation and raw writes of varints, zigzag values, fixed
// 32/64-bit values, tags and length-delimited payloads (protobuf encoding spec, "Encoding").
//
// The message classes measure first (ComputeSize / Measure), refuse with BufferTooSmall when the
// caller's capacity is short, and only then write. The Write* helpers here therefore do not check
// bounds themselves: callers must have reserved the bytes they write. Nothing here allocates.
using System;

namespace Stratos.Island.Codec
{
    public static class ProtoWriter
    {
        // Wire types (protobuf encoding spec).
        public const int WireVarint = 0;
        public const int WireFixed64 = 1;
        public const int WireLengthDelimited = 2;
        public const int WireStartGroup = 3;
        public const int WireEndGroup = 4;
        public const int WireFixed32 = 5;

        // Largest field number protobuf allows (2^29 - 1).
        public const int MaxFieldNumber = 536870911;

        // Checks that [offset, offset + count) lies inside buffer.
        public static CodecStatus CheckRange(byte[] buffer, int offset, int count)
        {
            if (buffer == null || offset < 0 || count < 0 || offset > buffer.Length || count > buffer.Length - offset)
            {
                return CodecStatus.InvalidArgument;
            }

            return CodecStatus.Ok;
        }

        public static int VarintSize32(uint value)
        {
            if ((value & 0xFFFFFF80u) == 0) return 1;
            if ((value & 0xFFFFC000u) == 0) return 2;
            if ((value & 0xFFE00000u) == 0) return 3;
            if ((value & 0xF0000000u) == 0) return 4;
            return 5;
        }

        public static int VarintSize64(ulong value)
        {
            if ((value >> 32) == 0) return VarintSize32((uint)value);
            int size = 5;
            value >>= 35;
            while (value != 0)
            {
                size++;
                value >>= 7;
            }

            return size;
        }

        // int32 and enum values are sign-extended to 64 bits: a negative value takes 10 bytes.
        public static int Int32Size(int value)
        {
            return value >= 0 ? VarintSize32((uint)value) : 10;
        }

        public static uint ZigZag32(int value)
        {
            return (uint)((value << 1) ^ (value >> 31));
        }

        public static int UnZigZag32(uint value)
        {
            return (int)(value >> 1) ^ -(int)(value & 1);
        }

        public static ulong ZigZag64(long value)
        {
            return (ulong)((value << 1) ^ (value >> 63));
        }

        public static long UnZigZag64(ulong value)
        {
            return (long)(value >> 1) ^ -(long)(value & 1);
        }

        public static void WriteTag(byte[] buffer, ref int position, int fieldNumber, int wireType)
        {
            WriteVarint32(buffer, ref position, ((uint)fieldNumber << 3) | (uint)wireType);
        }

        public static void WriteVarint32(byte[] buffer, ref int position, uint value)
        {
            int p = position;
            while (value > 0x7F)
            {
                buffer[p++] = (byte)(value | 0x80);
                value >>= 7;
            }

            buffer[p++] = (byte)value;
            position = p;
        }

        // The same groups as WriteVarint32: 64-bit arithmetic only while the value needs more than 32 bits.
        public static void WriteVarint64(byte[] buffer, ref int position, ulong value)
        {
            while (value > 0xFFFFFFFF)
            {
                buffer[position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            WriteVarint32(buffer, ref position, (uint)value);
        }

        public static void WriteInt32(byte[] buffer, ref int position, int value)
        {
            if (value >= 0)
            {
                WriteVarint32(buffer, ref position, (uint)value);
            }
            else
            {
                WriteVarint64(buffer, ref position, (ulong)(long)value);
            }
        }

        public static void WriteFixed32(byte[] buffer, ref int position, uint value)
        {
            int p = position;
            buffer[p] = (byte)value;
            buffer[p + 1] = (byte)(value >> 8);
            buffer[p + 2] = (byte)(value >> 16);
            buffer[p + 3] = (byte)(value >> 24);
            position = p + 4;
        }

        public static void WriteFixed64(byte[] buffer, ref int position, ulong value)
        {
            WriteFixed32(buffer, ref position, (uint)value);
            WriteFixed32(buffer, ref position, (uint)(value >> 32));
        }

        // Writes the length prefix and the bytes.
        public static void WriteBytes(byte[] buffer, ref int position, byte[] source, int length)
        {
            WriteVarint32(buffer, ref position, (uint)length);
            Array.Copy(source, 0, buffer, position, length);
            position += length;
        }

        // Writes the length prefix and the UTF-8 bytes of value; byteCount is Utf8.ByteCount(value).
        public static void WriteString(byte[] buffer, ref int position, string value, int byteCount)
        {
            WriteVarint32(buffer, ref position, (uint)byteCount);
            position = Utf8.Write(value, buffer, position);
        }
    }
}
