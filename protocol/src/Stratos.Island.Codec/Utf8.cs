// UTF-8 without System.Text (nanoFramework's mscorlib has none): byte count and encoding of a string
// straight into a caller buffer, truncation at a character boundary, strict validation of received
// bytes (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF) and decoding.
//
// Characters beyond U+FFFF and nanoCLR: nanoCLR stores strings as UTF-8, and `s[i]` on the second
// half of a surrogate pair returns the first half again, so indexing a string char by char would
// encode such a character as two U+FFFD. A string is therefore read by index only while it holds no
// surrogate (no allocation: the steady-state path); the first surrogate seen sends it through
// ToCharArray(), which both runtimes return correctly (one allocation, for such strings only).
// A lone UTF-16 surrogate is encoded as U+FFFD (EF BF BD), as .NET's UTF8Encoding does, so the
// island and Google.Protobuf produce the same bytes for the same string. Decoding replaces each byte
// of an ill-formed sequence with U+FFFD (received fields are validated before they are decoded).
namespace Stratos.Island.Codec
{
    public static class Utf8
    {
        private const int Replacement = 0xFFFD;

        public static int ByteCount(string value)
        {
            int count = 0;
            int length = value.Length;
            for (int i = 0; i < length; i++)
            {
                int c = value[i];
                if (c >= 0xD800 && c <= 0xDFFF)
                {
                    char[] chars = value.ToCharArray();
                    return WriteChars(chars, chars.Length, null, 0, int.MaxValue);
                }

                count += SizeOf(c);
            }

            return count;
        }

        // Writes the UTF-8 bytes of value at position; returns the position after them.
        public static int Write(string value, byte[] buffer, int position)
        {
            return WriteAtMost(value, buffer, position, buffer.Length - position);
        }

        // Writes the UTF-8 bytes of value at position, stopping before the first character that would
        // take the output beyond maxBytes; returns the position after the bytes written.
        public static int WriteAtMost(string value, byte[] buffer, int position, int maxBytes)
        {
            int p = position;
            int end = position + maxBytes;
            int length = value.Length;
            for (int i = 0; i < length; i++)
            {
                int c = value[i];
                if (c >= 0xD800 && c <= 0xDFFF)
                {
                    char[] chars = value.ToCharArray();
                    return position + WriteChars(chars, chars.Length, buffer, position, maxBytes);
                }

                int size = SizeOf(c);
                if (p + size > end)
                {
                    break;
                }

                p = Put(c, size, buffer, p);
            }

            return p;
        }

        // The longest prefix of value whose UTF-8 encoding fits maxBytes, never splitting a character
        // (value itself when it fits; allocates only when it must cut).
        public static string Truncate(string value, int maxBytes)
        {
            if (value.Length * 3 <= maxBytes || ByteCount(value) <= maxBytes)
            {
                return value;
            }

            char[] chars = value.ToCharArray();
            int bytes = 0;
            int used = 0;
            while (used < chars.Length)
            {
                int units = IsPairAt(chars, used, chars.Length) ? 2 : 1;
                int size = units == 2 ? 4 : SizeOf(chars[used]);
                if (bytes + size > maxBytes)
                {
                    break;
                }

                bytes += size;
                used += units;
            }

            return new string(chars, 0, used);
        }

        // True when buffer[offset .. offset + count) is well-formed UTF-8 (RFC 3629 table 3-7).
        public static bool IsValid(byte[] buffer, int offset, int count)
        {
            int p = offset;
            int end = offset + count;
            while (p < end)
            {
                int length = SequenceLength(buffer, p, end);
                if (length == 0)
                {
                    return false;
                }

                p += length;
            }

            return true;
        }

        // The string of buffer[offset .. offset + count); each byte of an ill-formed sequence
        // becomes U+FFFD.
        public static string Decode(byte[] buffer, int offset, int count)
        {
            if (count == 0)
            {
                return string.Empty;
            }

            int end = offset + count;
            int units = 0;
            for (int p = offset; p < end;)
            {
                int length = SequenceLength(buffer, p, end);
                units += length == 4 ? 2 : 1;
                p += length == 0 ? 1 : length;
            }

            char[] chars = new char[units];
            int n = 0;
            for (int p = offset; p < end;)
            {
                int length = SequenceLength(buffer, p, end);
                int scalar;
                if (length == 0)
                {
                    scalar = Replacement;
                    length = 1;
                }
                else if (length == 1)
                {
                    scalar = buffer[p];
                }
                else
                {
                    scalar = buffer[p] & (0x7F >> length);
                    for (int k = 1; k < length; k++)
                    {
                        scalar = (scalar << 6) | (buffer[p + k] & 0x3F);
                    }
                }

                if (scalar >= 0x10000)
                {
                    scalar -= 0x10000;
                    chars[n++] = (char)(0xD800 + (scalar >> 10));
                    chars[n++] = (char)(0xDC00 + (scalar & 0x3FF));
                }
                else
                {
                    chars[n++] = (char)scalar;
                }

                p += length;
            }

            return new string(chars);
        }

        // Length (1-4) of the well-formed sequence starting at buffer[p], or 0 when it is ill-formed
        // or cut by end.
        private static int SequenceLength(byte[] buffer, int p, int end)
        {
            int b = buffer[p];
            if (b < 0x80)
            {
                return 1;
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
                return 0;
            }

            if (end - p - 1 < need) return 0;
            int second = buffer[p + 1];
            if (second < low || second > high) return 0;
            for (int k = 2; k <= need; k++)
            {
                int next = buffer[p + k];
                if (next < 0x80 || next > 0xBF) return 0;
            }

            return need + 1;
        }

        // Encodes chars[0 .. count) at position (buffer null: counts only), stopping before the first
        // character that would exceed maxBytes; returns the byte count.
        private static int WriteChars(char[] chars, int count, byte[] buffer, int position, int maxBytes)
        {
            int n = 0;
            for (int i = 0; i < count; i++)
            {
                int c = chars[i];
                int size;
                if (IsPairAt(chars, i, count))
                {
                    c = 0x10000 + ((c - 0xD800) << 10) + (chars[i + 1] - 0xDC00);
                    size = 4;
                }
                else
                {
                    if (c >= 0xD800 && c <= 0xDFFF)
                    {
                        c = Replacement;
                    }

                    size = SizeOf(c);
                }

                if (n > maxBytes - size)
                {
                    break;
                }

                if (buffer != null)
                {
                    Put(c, size, buffer, position + n);
                }

                n += size;
                if (size == 4)
                {
                    i++;
                }
            }

            return n;
        }

        private static bool IsPairAt(char[] chars, int i, int count)
        {
            return chars[i] >= 0xD800 && chars[i] <= 0xDBFF && i + 1 < count && chars[i + 1] >= 0xDC00 && chars[i + 1] <= 0xDFFF;
        }

        // Bytes of a BMP character (a lone surrogate counts as U+FFFD: 3).
        private static int SizeOf(int c)
        {
            return c < 0x80 ? 1 : (c < 0x800 ? 2 : 3);
        }

        // Writes scalar as size bytes at p; returns p + size.
        private static int Put(int scalar, int size, byte[] buffer, int p)
        {
            if (size == 1)
            {
                buffer[p] = (byte)scalar;
            }
            else if (size == 2)
            {
                buffer[p] = (byte)(0xC0 | (scalar >> 6));
                buffer[p + 1] = (byte)(0x80 | (scalar & 0x3F));
            }
            else if (size == 3)
            {
                buffer[p] = (byte)(0xE0 | (scalar >> 12));
                buffer[p + 1] = (byte)(0x80 | ((scalar >> 6) & 0x3F));
                buffer[p + 2] = (byte)(0x80 | (scalar & 0x3F));
            }
            else
            {
                buffer[p] = (byte)(0xF0 | (scalar >> 18));
                buffer[p + 1] = (byte)(0x80 | ((scalar >> 12) & 0x3F));
                buffer[p + 2] = (byte)(0x80 | ((scalar >> 6) & 0x3F));
                buffer[p + 3] = (byte)(0x80 | (scalar & 0x3F));
            }

            return p + size;
        }
    }
}
