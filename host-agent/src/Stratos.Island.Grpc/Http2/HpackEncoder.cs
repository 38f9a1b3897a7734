using System;
using System.Text;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// HPACK encoder for requests (RFC 7541 section 6.2.2): every field is a literal without indexing
/// with a literal name and no Huffman coding. It keeps no state, so header blocks may be encoded
/// in any order and never touch the peer's dynamic table. A request carries a handful of short
/// headers, so the few bytes Huffman or indexing would save are not worth their code.
/// </summary>
public static class HpackEncoder
{
    /// <summary>Appends one field to <paramref name="buffer"/> at <paramref name="offset"/>; returns the new offset.</summary>
    public static int WriteField(byte[] buffer, int offset, string name, string value)
    {
        buffer[offset++] = 0x00;
        offset = WriteString(buffer, offset, name);
        return WriteString(buffer, offset, value);
    }

    /// <summary>Bytes <see cref="WriteField"/> needs at most for this field.</summary>
    public static int MaxFieldBytes(string name, string value) => 1 + 6 + name.Length + 6 + value.Length;

    /// <summary>Writes an N-bit-prefix integer (section 5.1); the prefix bits above N come from <paramref name="flags"/>.</summary>
    public static int WriteInteger(byte[] buffer, int offset, int value, int prefixBits, byte flags)
    {
        int mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            buffer[offset++] = (byte)(flags | value);
            return offset;
        }

        buffer[offset++] = (byte)(flags | mask);
        value -= mask;
        while (value >= 0x80)
        {
            buffer[offset++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }

        buffer[offset++] = (byte)value;
        return offset;
    }

    private static int WriteString(byte[] buffer, int offset, string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7E || text[i] < 0x20)
            {
                throw new ArgumentException($"header value '{text}' has a character outside printable ASCII at {i}");
            }
        }

        offset = WriteInteger(buffer, offset, text.Length, 7, 0x00);
        offset += Encoding.ASCII.GetBytes(text, 0, text.Length, buffer, offset);
        return offset;
    }
}
