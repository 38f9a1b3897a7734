// RequestResult (link.proto, package stratos.island.link.v1): The island's answer to a VmRequest,
// PowerDomainRequest, SystemPowerRequest or StatusRequest.
//
// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.
// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,
// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid
// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last
// value wins for scalars, repeated occurrences of a nested message merge. Limits from
// (max_len) / (max_count) are enforced both ways. See docs/codec.md.
namespace Stratos.Island.Codec.Link
{
    public sealed class RequestResult
    {
        public const int MessageMaxLength = 160;

        // True when the request was accepted.
        public bool Accepted;
        // Why it was refused (UNSPECIFIED when accepted).
        public ErrorCode Code;
        // Human-readable reason naming the object, e.g. "VM 'web': depends on 'base', which is
        // Stopped".
        public string Message = string.Empty;
        // VM or domain id the request named.
        public uint SubjectId;

        internal int cachedSize;
        private int messageByteCount;

        // Resets every field to its default. Nested messages are cleared when they are selected again
        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.
        public void Clear()
        {
            Accepted = false;
            Code = (ErrorCode)0;
            Message = string.Empty;
            SubjectId = 0;
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
            if (Accepted) size += 1 + 1;
            if (Code != 0) size += 1 + ProtoWriter.Int32Size((int)Code);
            if (Message != null && Message.Length != 0)
            {
                int bytes = Utf8.ByteCount(Message);
                if (bytes > MessageMaxLength) return CodecStatus.StringTooLong;
                messageByteCount = bytes;
                size += 1 + ProtoWriter.VarintSize32((uint)bytes) + bytes;
            }
            if (SubjectId != 0) size += 1 + ProtoWriter.VarintSize32(SubjectId);
            cachedSize = size;
            return CodecStatus.Ok;
        }

        // Writes the fields; Measure must have run and the bytes must be reserved.
        internal void WriteTo(byte[] buffer, ref int position)
        {
            if (Accepted)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 8u);
                buffer[position++] = 1;
            }
            if (Code != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 16u);
                ProtoWriter.WriteInt32(buffer, ref position, (int)Code);
            }
            if (Message != null && Message.Length != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 26u);
                ProtoWriter.WriteString(buffer, ref position, Message, messageByteCount);
            }
            if (SubjectId != 0)
            {
                ProtoWriter.WriteVarint32(buffer, ref position, 32u);
                ProtoWriter.WriteVarint32(buffer, ref position, SubjectId);
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
                        status = reader.ReadBool(out Accepted);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 2:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out low32);
                        if (status != CodecStatus.Ok) return status;
                        Code = (ErrorCode)(int)low32;
                        break;
                    case 3:
                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;
                        status = reader.ReadString(MessageMaxLength, out Message);
                        if (status != CodecStatus.Ok) return status;
                        break;
                    case 4:
                        if (wireType != ProtoWriter.WireVarint) return CodecStatus.WrongWireType;
                        status = reader.ReadVarint32(out SubjectId);
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
