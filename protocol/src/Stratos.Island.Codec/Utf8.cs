// UTF-8 without allocation: byte count and encoding of a string straight into a caller buffer, and
// strict validation of received bytes (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
// nanoFramework's Encoding.UTF8 only offers allocating GetBytes(string); decoding uses its
// GetString(bytes, index, count) after Validate has accepted the bytes.
// A lone UTF-16 surrogate in a string is encoded as U+FFFD (EF BF BD), as .NET's UTF8Encoding does,
// so the island and Google.Protobuf produce the same bytes for the same string.
namespace Stratos.Island.Codec
{
    public static class Utf8
    {
        public static int ByteCount(string value)
        {
            int count = 0;
            int length = value.Length;
            for (int i = 0; i < length; i++)
            {
                char c = value[i];
                if (c < 0x80)
                {
                    count += 1;
                }
                else if (c < 0x800)
                {
                    count += 2;
                }
                else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < length && value[i + 1] >= 0xDC00 && value[i + 1] <= 0xDFFF)
                {
                    count += 4;
                    i++;
                }
                else
                {
                    // BMP character, or a lone surrogate replaced by U+FFFD: both 3 bytes.
                    count += 3;
                }
            }

            return count;
        }

        // Writes the UTF-8 bytes of value at position; returns the position after them.
        public static int Write(string value, byte[] buffer, int position)
        {
            int p = position;
            int length = value.Length;
            for (int i = 0; i < length; i++)
            {
                int c = value[i];
                if (c < 0x80)
                {
                    buffer[p++] = (byte)c;
                }
                else if (c < 0x800)
                {
                    buffer[p++] = (byte)(0xC0 | (c >> 6));
                    buffer[p++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (c >= 0xD800 && c <= 0xDFFF)
                {
                    if (c <= 0xDBFF && i + 1 < length && value[i + 1] >= 0xDC00 && value[i + 1] <= 0xDFFF)
                    {
                        int scalar = 0x10000 + ((c - 0xD800) << 10) + (value[i + 1] - 0xDC00);
                        i++;
                        buffer[p++] = (byte)(0xF0 | (scalar >> 18));
                        buffer[p++] = (byte)(0x80 | ((scalar >> 12) & 0x3F));
                        buffer[p++] = (byte)(0x80 | ((scalar >> 6) & 0x3F));
                        buffer[p++] = (byte)(0x80 | (scalar & 0x3F));
                    }
                    else
                    {
                        buffer[p++] = 0xEF;
                        buffer[p++] = 0xBF;
                        buffer[p++] = 0xBD;
                    }
                }
                else
                {
                    buffer[p++] = (byte)(0xE0 | (c >> 12));
                    buffer[p++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    buffer[p++] = (byte)(0x80 | (c & 0x3F));
                }
            }

            return p;
        }

        // True when buffer[offset .. offset + count) is well-formed UTF-8 (RFC 3629 table 3-7).
        public static bool IsValid(byte[] buffer, int offset, int count)
        {
            int p = offset;
            int end = offset + count;
            while (p < end)
            {
                int b = buffer[p];
                if (b < 0x80)
                {
                    p++;
                    continue;
                }

                int need;
                int low = 0x80;
                int high = 0xBF;
                if (b >= 0xC2 && b <= 0xDF)
                {
                    need = 1;
                }
                else if (b >= 0xE0 && b <= 0xEF)
                {
                    need = 2;
                    if (b == 0xE0) low = 0xA0;      // no overlong 3-byte forms
                    if (b == 0xED) high = 0x9F;     // no UTF-16 surrogates
                }
                else if (b >= 0xF0 && b <= 0xF4)
                {
                    need = 3;
                    if (b == 0xF0) low = 0x90;      // no overlong 4-byte forms
                    if (b == 0xF4) high = 0x8F;     // nothing above U+10FFFF
                }
                else
                {
                    return false;
                }

                if (end - p - 1 < need) return false;
                int second = buffer[p + 1];
                if (second < low || second > high) return false;
                for (int k = 2; k <= need; k++)
                {
                    int next = buffer[p + k];
                    if (next < 0x80 || next > 0xBF) return false;
                }

                p += need + 1;
            }

            return true;
        }
    }
}
