// Low-level protobuf reader over a byte[] window [Position, Limit) (protobuf encoding spec,
// "Encoding"). A struct passed by ref through the message decoders, so decoding allocates nothing
// except the strings it returns.
//
// Every read checks Limit and reports a CodecStatus instead of throwing:
//   Truncated           the window ends inside a tag, varint or fixed value
//   VarintTooLong       more than 10 varint bytes
//   LengthOutOfRange    a length prefix above 2^31-1 or beyond the window
//   InvalidFieldNumber  field number 0 or above 2^29-1
//   UnsupportedWireType wire type 6 or 7
//   Unknown groups (wire types 3/4, deprecated but valid) are skipped recursively up to
//   MaxGroupDepth levels (NestingTooDeep beyond), and must close with the same field number.
// Nested messages narrow the window with BeginMessage / EndMessage (like Google.Protobuf's
// PushLimit / PopLimit).
using System;

namespace Stratos.Island.Codec
{
    public struct ProtoReader
    {
        // Deepest nesting of unknown groups accepted while skipping.
        public const int MaxGroupDepth = 32;

        public byte[] Buffer;
        public int Position;
        public int Limit;

        // The caller has checked the range with ProtoWriter.CheckRange.
        public ProtoReader(byte[] buffer, int offset, int count)
        {
            Buffer = buffer;
            Position = offset;
            Limit = offset + count;
        }

        public bool AtEnd
        {
            get { return Position >= Limit; }
        }

        public CodecStatus ReadTag(out int fieldNumber, out int wireType)
        {
            uint tag;
            if (Position < Limit && Buffer[Position] < 0x80)
            {
                tag = Buffer[Position];
                Position++;
            }
            else
            {
                ulong wide;
                CodecStatus status = ReadVarint64(out wide);
                if (status != CodecStatus.Ok)
                {
                    fieldNumber = 0;
                    wireType = 0;
                    return status;
                }

                if (wide > 0xFFFFFFFFul)
                {
                    fieldNumber = 0;
                    wireType = 0;
                    return CodecStatus.InvalidFieldNumber;
                }

                tag = (uint)wide;
            }

            fieldNumber = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            if (fieldNumber == 0)
            {
                return CodecStatus.InvalidFieldNumber;
            }

            if (wireType > ProtoWriter.WireFixed32)
            {
                return CodecStatus.UnsupportedWireType;
            }

            return CodecStatus.Ok;
        }

        public CodecStatus ReadVarint64(out ulong value)
        {
            value = 0;
            int p = Position;
            int shift = 0;
            for (int i = 0; i < 10; i++)
            {
                if (p >= Limit)
                {
                    return CodecStatus.Truncated;
                }

                int b = Buffer[p++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    Position = p;
                    return CodecStatus.Ok;
                }

                shift += 7;
            }

            return CodecStatus.VarintTooLong;
        }

        // Reads a varint of up to 10 bytes and keeps its low 32 bits (Google.Protobuf does the same
        // for uint32, int32, enum and sint32 fields).
        public CodecStatus ReadVarint32(out uint value)
        {
            int p = Position;
            if (p < Limit && Buffer[p] < 0x80)
            {
                value = Buffer[p];
                Position = p + 1;
                return CodecStatus.Ok;
            }

            ulong wide;
            CodecStatus status = ReadVarint64(out wide);
            value = (uint)wide;
            return status;
        }

        public CodecStatus ReadBool(out bool value)
        {
            ulong wide;
            CodecStatus status = ReadVarint64(out wide);
            value = wide != 0;
            return status;
        }

        public CodecStatus ReadFixed32(out uint value)
        {
            int p = Position;
            if (Limit - p < 4)
            {
                value = 0;
                return CodecStatus.Truncated;
            }

            byte[] b = Buffer;
            value = b[p] | ((uint)b[p + 1] << 8) | ((uint)b[p + 2] << 16) | ((uint)b[p + 3] << 24);
            Position = p + 4;
            return CodecStatus.Ok;
        }

        public CodecStatus ReadFixed64(out ulong value)
        {
            int p = Position;
            if (Limit - p < 8)
            {
                value = 0;
                return CodecStatus.Truncated;
            }

            byte[] b = Buffer;
            uint low = b[p] | ((uint)b[p + 1] << 8) | ((uint)b[p + 2] << 16) | ((uint)b[p + 3] << 24);
            uint high = b[p + 4] | ((uint)b[p + 5] << 8) | ((uint)b[p + 6] << 16) | ((uint)b[p + 7] << 24);
            value = low | ((ulong)high << 32);
            Position = p + 8;
            return CodecStatus.Ok;
        }

        // Reads a length prefix and checks that many bytes remain in the window.
        public CodecStatus ReadLength(out int length)
        {
            length = 0;
            ulong wide;
            int p = Position;
            if (p < Limit && Buffer[p] < 0x80)
            {
                wide = Buffer[p];
                Position = p + 1;
            }
            else
            {
                CodecStatus status = ReadVarint64(out wide);
                if (status != CodecStatus.Ok)
                {
                    return status;
                }
            }

            if (wide > (ulong)(Limit - Position))
            {
                return CodecStatus.LengthOutOfRange;
            }

            length = (int)wide;
            return CodecStatus.Ok;
        }

        // Reads a length-delimited UTF-8 string of at most maxBytes bytes. Empty strings cost no
        // allocation.
        public CodecStatus ReadString(int maxBytes, out string value)
        {
            value = string.Empty;
            int length;
            CodecStatus status = ReadLength(out length);
            if (status != CodecStatus.Ok)
            {
                return status;
            }

            if (length > maxBytes)
            {
                return CodecStatus.StringTooLong;
            }

            if (length == 0)
            {
                return CodecStatus.Ok;
            }

            if (!Utf8.IsValid(Buffer, Position, length))
            {
                return CodecStatus.InvalidUtf8;
            }

            value = Utf8.Decode(Buffer, Position, length);
            Position += length;
            return CodecStatus.Ok;
        }

        // Reads a length-delimited bytes field into destination (its length is the field's max_len).
        public CodecStatus ReadBytes(byte[] destination, out int length)
        {
            CodecStatus status = ReadLength(out length);
            if (status != CodecStatus.Ok)
            {
                return status;
            }

            if (length > destination.Length)
            {
                length = 0;
                return CodecStatus.StringTooLong;
            }

            Array.Copy(Buffer, Position, destination, 0, length);
            Position += length;
            return CodecStatus.Ok;
        }

        // Narrows the window to the next length-delimited payload; returns the outer limit to give
        // back to EndMessage.
        public CodecStatus BeginMessage(out int outerLimit)
        {
            outerLimit = Limit;
            int length;
            CodecStatus status = ReadLength(out length);
            if (status != CodecStatus.Ok)
            {
                return status;
            }

            Limit = Position + length;
            return CodecStatus.Ok;
        }

        public void EndMessage(int outerLimit)
        {
            Limit = outerLimit;
        }

        // Skips the value of an unknown field whose tag has just been read.
        public CodecStatus SkipField(int fieldNumber, int wireType)
        {
            switch (wireType)
            {
                case ProtoWriter.WireVarint:
                    ulong ignored;
                    return ReadVarint64(out ignored);
                case ProtoWriter.WireFixed64:
                    return Skip(8);
                case ProtoWriter.WireFixed32:
                    return Skip(4);
                case ProtoWriter.WireLengthDelimited:
                    int length;
                    CodecStatus status = ReadLength(out length);
                    if (status != CodecStatus.Ok)
                    {
                        return status;
                    }

                    Position += length;
                    return CodecStatus.Ok;
                case ProtoWriter.WireStartGroup:
                    return SkipGroup(fieldNumber, 1);
                case ProtoWriter.WireEndGroup:
                    return CodecStatus.UnexpectedEndGroup;
                default:
                    return CodecStatus.UnsupportedWireType;
            }
        }

        private CodecStatus Skip(int count)
        {
            if (Limit - Position < count)
            {
                return CodecStatus.Truncated;
            }

            Position += count;
            return CodecStatus.Ok;
        }

        // Skips the fields of a group up to its EGROUP tag. depth counts the open groups.
        private CodecStatus SkipGroup(int groupFieldNumber, int depth)
        {
            if (depth > MaxGroupDepth)
            {
                return CodecStatus.NestingTooDeep;
            }

            while (true)
            {
                if (Position >= Limit)
                {
                    return CodecStatus.UnterminatedGroup;
                }

                int fieldNumber;
                int wireType;
                CodecStatus status = ReadTag(out fieldNumber, out wireType);
                if (status != CodecStatus.Ok)
                {
                    return status;
                }

                if (wireType == ProtoWriter.WireEndGroup)
                {
                    return fieldNumber == groupFieldNumber ? CodecStatus.Ok : CodecStatus.UnexpectedEndGroup;
                }

                status = wireType == ProtoWriter.WireStartGroup
                    ? SkipGroup(fieldNumber, depth + 1)
                    : SkipField(fieldNumber, wireType);
                if (status != CodecStatus.Ok)
                {
                    return status;
                }
            }
        }
    }
}
