using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// HPACK header block decoder (RFC 7541) for one HTTP/2 connection's receive direction.
/// <para>
/// Representations (section 6): indexed field (1xxxxxxx), literal with incremental indexing
/// (01xxxxxx), dynamic table size update (001xxxxx), literal never indexed (0001xxxx) and literal
/// without indexing (0000xxxx). Indexes 1..61 are the static table (Appendix A), 62.. the dynamic
/// table, newest first. An entry's size is name + value + 32 octets (section 4.1); adding evicts the
/// oldest entries until it fits, and an entry larger than the table empties it (section 4.4).
/// Size updates may only open a block and may not exceed the limit we advertised
/// (SETTINGS_HEADER_TABLE_SIZE, 4096 by default).
/// </para>
/// The decoder is stateful: every header block of the connection must pass through it in order,
/// including blocks for streams the client has already given up on.
/// </summary>
public sealed class HpackDecoder
{
    /// <summary>Dynamic table limit we advertise (the HTTP/2 default).</summary>
    public const int DefaultTableSizeBytes = 4096;

    private const int EntryOverheadBytes = 32;
    private const int MaxStringBytes = 64 * 1024;

    private static readonly (string Name, string Value)[] StaticTable =
    {
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    };

    // Dynamic table as a ring: _entries[_newest] is index 62, the previous slot 63, and so on.
    private (string Name, string Value)[] _entries = new (string, string)[16];
    private int _newest = -1;
    private int _count;
    private int _sizeBytes;
    private int _maxSizeBytes;
    private readonly int _limitBytes;
    private readonly MemoryStream _scratch = new();

    public HpackDecoder(int tableLimitBytes = DefaultTableSizeBytes)
    {
        _limitBytes = tableLimitBytes;
        _maxSizeBytes = tableLimitBytes;
    }

    /// <summary>Current dynamic table size in octets (section 4.1).</summary>
    public int DynamicTableSizeBytes => _sizeBytes;

    /// <summary>Number of entries in the dynamic table.</summary>
    public int DynamicTableCount => _count;

    /// <summary>The dynamic table entry at 1-based position <paramref name="position"/> (1 = newest).</summary>
    public (string Name, string Value) DynamicEntry(int position)
    {
        if (position < 1 || position > _count)
        {
            throw new ArgumentOutOfRangeException(nameof(position));
        }

        return _entries[Slot(position)];
    }

    /// <summary>Decodes one complete header block; fields are appended in order.</summary>
    /// <exception cref="HpackException">The block is malformed (names the offset and what was wrong).</exception>
    public void Decode(ReadOnlySpan<byte> block, List<KeyValuePair<string, string>> fields)
    {
        int offset = 0;
        bool fieldSeen = false;
        while (offset < block.Length)
        {
            byte first = block[offset];
            int at = offset;
            if ((first & 0x80) != 0)
            {
                int index = ReadInteger(block, ref offset, 7);
                var (name, value) = Lookup(index, at);
                fields.Add(new KeyValuePair<string, string>(name, value));
                fieldSeen = true;
            }
            else if ((first & 0xC0) == 0x40)
            {
                var (name, value) = ReadLiteral(block, ref offset, 6);
                Add(name, value);
                fields.Add(new KeyValuePair<string, string>(name, value));
                fieldSeen = true;
            }
            else if ((first & 0xE0) == 0x20)
            {
                if (fieldSeen)
                {
                    throw new HpackException($"dynamic table size update after a header field (offset {at})");
                }

                int size = ReadInteger(block, ref offset, 5);
                if (size > _limitBytes)
                {
                    throw new HpackException($"dynamic table size update to {size} exceeds the advertised {_limitBytes} (offset {at})");
                }

                _maxSizeBytes = size;
                Evict(0);
            }
            else
            {
                // 0000xxxx without indexing, 0001xxxx never indexed: same layout, 4-bit prefix.
                var (name, value) = ReadLiteral(block, ref offset, 4);
                fields.Add(new KeyValuePair<string, string>(name, value));
                fieldSeen = true;
            }
        }
    }

    /// <summary>Reads an N-bit-prefix integer (section 5.1); at most 2^31-1.</summary>
    public static int ReadInteger(ReadOnlySpan<byte> block, ref int offset, int prefixBits)
    {
        int at = offset;
        if (offset >= block.Length)
        {
            throw new HpackException($"header block ends inside an integer (offset {at})");
        }

        int mask = (1 << prefixBits) - 1;
        int value = block[offset++] & mask;
        if (value < mask)
        {
            return value;
        }

        int shift = 0;
        while (true)
        {
            if (offset >= block.Length)
            {
                throw new HpackException($"header block ends inside an integer (offset {at})");
            }

            byte b = block[offset++];
            if (shift > 28 || (shift == 28 && (b & 0x7F) > 7))
            {
                throw new HpackException($"integer too large (offset {at})");
            }

            value += (b & 0x7F) << shift;
            if (value < 0)
            {
                throw new HpackException($"integer too large (offset {at})");
            }

            shift += 7;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int offset, int prefixBits)
    {
        int at = offset;
        int nameIndex = ReadInteger(block, ref offset, prefixBits);
        string name = nameIndex == 0 ? ReadString(block, ref offset) : Lookup(nameIndex, at).Name;
        string value = ReadString(block, ref offset);
        return (name, value);
    }

    private string ReadString(ReadOnlySpan<byte> block, ref int offset)
    {
        int at = offset;
        if (offset >= block.Length)
        {
            throw new HpackException($"header block ends before a string literal (offset {at})");
        }

        bool huffman = (block[offset] & 0x80) != 0;
        int length = ReadInteger(block, ref offset, 7);
        if (length > MaxStringBytes)
        {
            throw new HpackException($"string literal of {length} bytes exceeds {MaxStringBytes} (offset {at})");
        }

        if (length > block.Length - offset)
        {
            throw new HpackException($"string literal of {length} bytes runs past the end of the block (offset {at})");
        }

        var raw = block.Slice(offset, length);
        offset += length;
        if (!huffman)
        {
            return Encoding.Latin1.GetString(raw);
        }

        _scratch.SetLength(0);
        HpackHuffman.Decode(raw, _scratch);
        return Encoding.Latin1.GetString(_scratch.GetBuffer(), 0, (int)_scratch.Length);
    }

    private (string Name, string Value) Lookup(int index, int at)
    {
        if (index >= 1 && index <= StaticTable.Length)
        {
            return StaticTable[index - 1];
        }

        int position = index - StaticTable.Length;
        if (index == 0 || position > _count)
        {
            throw new HpackException($"index {index} is outside the static table (1-{StaticTable.Length}) and the {_count}-entry dynamic table (offset {at})");
        }

        return _entries[Slot(position)];
    }

    private int Slot(int position) => ((_newest - (position - 1)) % _entries.Length + _entries.Length) % _entries.Length;

    private void Add(string name, string value)
    {
        int size = name.Length + value.Length + EntryOverheadBytes;
        if (size > _maxSizeBytes)
        {
            _count = 0;
            _sizeBytes = 0;
            return;
        }

        Evict(size);
        if (_count == _entries.Length)
        {
            var grown = new (string, string)[_entries.Length * 2];
            for (int position = _count; position >= 1; position--)
            {
                grown[_count - position] = _entries[Slot(position)];
            }

            _entries = grown;
            _newest = _count - 1;
        }

        _newest = (_newest + 1) % _entries.Length;
        _entries[_newest] = (name, value);
        _count++;
        _sizeBytes += size;
    }

    // Drops the oldest entries until `incoming` more octets fit under the current maximum.
    private void Evict(int incoming)
    {
        while (_count > 0 && _sizeBytes + incoming > _maxSizeBytes)
        {
            var (name, value) = _entries[Slot(_count)];
            _sizeBytes -= name.Length + value.Length + EntryOverheadBytes;
            _count--;
        }
    }
}
