// Result codes of the island protobuf codec. Every encode and decode returns one of these; the codec
// never throws on bad input (nanoFramework: exceptions are slow and allocate, and a malformed frame
// from the untrusted A side is an expected event, not an exceptional one).
//
// Wire format reference: protobuf encoding spec ("Encoding", protobuf.dev/programming-guides/encoding):
// varints of at most 10 bytes, tags = (field_number << 3) | wire_type, field numbers 1..2^29-1,
// wire types 0 VARINT, 1 I64, 2 LEN, 3 SGROUP, 4 EGROUP, 5 I32.
namespace Stratos.Island.Codec
{
    public enum CodecStatus
    {
        // Success.
        Ok = 0,
        // Encode: the message needs more bytes than the capacity the caller gave.
        BufferTooSmall = 1,
        // Decode: the input ends in the middle of a tag, varint or fixed-size value.
        Truncated = 2,
        // Decode: a varint has more than 10 bytes.
        VarintTooLong = 3,
        // Decode: a known field arrived with a wire type its type cannot have (e.g. a uint32 as I32).
        // Google.Protobuf would keep such a field as unknown; the island refuses it as malformed.
        WrongWireType = 4,
        // Decode: a length prefix is negative as int32 / above 2^31-1, or longer than the bytes left
        // in the enclosing message or buffer.
        LengthOutOfRange = 5,
        // Decode or encode: a string or bytes field is longer than its (max_len) option.
        StringTooLong = 6,
        // Decode or encode: a repeated field has more elements than its (max_count) option, or a
        // ...Count field is negative.
        TooManyElements = 7,
        // Decode: unknown groups nest deeper than ProtoReader.MaxGroupDepth.
        NestingTooDeep = 8,
        // Decode: a string field is not well-formed UTF-8.
        InvalidUtf8 = 9,
        // Decode: a tag has field number 0 or a field number above 2^29-1.
        InvalidFieldNumber = 10,
        // Decode: wire type 6 or 7 (not defined by protobuf).
        UnsupportedWireType = 11,
        // Decode: the input ends inside a group (no matching EGROUP tag).
        UnterminatedGroup = 12,
        // Decode: an EGROUP tag without an open group, or closing a group of another field number.
        UnexpectedEndGroup = 13,
        // Encode or decode: buffer is null, or offset / count / capacity lie outside the buffer.
        InvalidArgument = 14,
        // Encode: a bytes field's ...Length is negative or larger than its preallocated array.
        InvalidLength = 15,
    }

    // The name of a CodecStatus, as CoreCLR's ToString() spells it. nanoCLR keeps no enum names
    // (ToString() gives the number), so messages that name a status use this on both runtimes.
    public static class CodecStatusText
    {
        public static string Of(CodecStatus status)
        {
            switch (status)
            {
                case CodecStatus.Ok: return "Ok";
                case CodecStatus.BufferTooSmall: return "BufferTooSmall";
                case CodecStatus.Truncated: return "Truncated";
                case CodecStatus.VarintTooLong: return "VarintTooLong";
                case CodecStatus.WrongWireType: return "WrongWireType";
                case CodecStatus.LengthOutOfRange: return "LengthOutOfRange";
                case CodecStatus.StringTooLong: return "StringTooLong";
                case CodecStatus.TooManyElements: return "TooManyElements";
                case CodecStatus.NestingTooDeep: return "NestingTooDeep";
                case CodecStatus.InvalidUtf8: return "InvalidUtf8";
                case CodecStatus.InvalidFieldNumber: return "InvalidFieldNumber";
                case CodecStatus.UnsupportedWireType: return "UnsupportedWireType";
                case CodecStatus.UnterminatedGroup: return "UnterminatedGroup";
                case CodecStatus.UnexpectedEndGroup: return "UnexpectedEndGroup";
                case CodecStatus.InvalidArgument: return "InvalidArgument";
                case CodecStatus.InvalidLength: return "InvalidLength";
                default: return ((int)status).ToString();
            }
        }
    }
}
