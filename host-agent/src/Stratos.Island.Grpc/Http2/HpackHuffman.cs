using System;
using System.IO;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// Decoder for HPACK's static Huffman code (RFC 7541 section 5.2 and Appendix B).
/// <para>
/// The Appendix B code is canonical: codes of the same length are consecutive and ordered by symbol,
/// and each length starts where the previous one ended, shifted left. So the table is stored as the
/// code length of each of the 257 symbols (256 octets and EOS) and the decoder rebuilds, per length,
/// the first code and where its symbols start. Decoding walks the input bit by bit, which is plenty
/// for header values of a few dozen bytes.
/// </para>
/// Rules enforced (section 5.2): the EOS symbol inside a string is an error; the final padding must
/// be shorter than 8 bits and be all ones (the most significant bits of EOS).
/// </summary>
public static class HpackHuffman
{
    private const int SymbolCount = 257;
    private const int EndOfString = 256;
    private const int MaxCodeBits = 30;

    // Code length in bits of each symbol 0..255 and EOS (256), RFC 7541 Appendix B.
    private static readonly byte[] CodeLengthBits =
    {
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    };

    // Per code length L: the first (smallest) code of that length, how many codes have it, and the
    // index in SymbolsByCode of the symbol with that first code. Built once from CodeLengthBits.
    private static readonly int[] FirstCode = new int[MaxCodeBits + 1];
    private static readonly int[] CountByLength = new int[MaxCodeBits + 1];
    private static readonly int[] FirstSymbolIndex = new int[MaxCodeBits + 1];
    private static readonly short[] SymbolsByCode = BuildTables();

    private static short[] BuildTables()
    {
        foreach (byte bits in CodeLengthBits)
        {
            CountByLength[bits]++;
        }

        var symbols = new short[SymbolCount];
        int code = 0;
        int index = 0;
        for (int length = 1; length <= MaxCodeBits; length++)
        {
            FirstCode[length] = code;
            FirstSymbolIndex[length] = index;
            for (int symbol = 0; symbol < SymbolCount; symbol++)
            {
                if (CodeLengthBits[symbol] == length)
                {
                    symbols[index++] = (short)symbol;
                }
            }

            code = (code + CountByLength[length]) << 1;
        }

        return symbols;
    }

    /// <summary>Decodes a Huffman-coded string literal into <paramref name="output"/>.</summary>
    /// <exception cref="HpackException">EOS inside the string, or padding that is too long or not all ones.</exception>
    public static void Decode(ReadOnlySpan<byte> input, MemoryStream output)
    {
        int code = 0;
        int length = 0;
        bool paddingAllOnes = true;
        for (int i = 0; i < input.Length; i++)
        {
            byte octet = input[i];
            for (int bit = 7; bit >= 0; bit--)
            {
                int value = (octet >> bit) & 1;
                code = (code << 1) | value;
                length++;
                paddingAllOnes &= value == 1;
                int offset = code - FirstCode[length];
                if (CountByLength[length] > 0 && offset >= 0 && offset < CountByLength[length])
                {
                    int symbol = SymbolsByCode[FirstSymbolIndex[length] + offset];
                    if (symbol == EndOfString)
                    {
                        throw new HpackException($"Huffman string contains the EOS symbol (at byte {i})");
                    }

                    output.WriteByte((byte)symbol);
                    code = 0;
                    length = 0;
                    paddingAllOnes = true;
                }
                else if (length >= MaxCodeBits)
                {
                    throw new HpackException($"Huffman string has an invalid code at byte {i}");
                }
            }
        }

        if (length > 7)
        {
            throw new HpackException($"Huffman string ends with {length} bits of padding (at most 7 allowed)");
        }

        if (!paddingAllOnes)
        {
            throw new HpackException("Huffman string padding is not the EOS prefix (all ones)");
        }
    }
}
