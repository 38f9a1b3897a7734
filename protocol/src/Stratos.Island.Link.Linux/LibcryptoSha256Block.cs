// SHA-256's block function on the host's libcrypto (OpenSSL 3, Debian 12's libcrypto.so.3), for the
// link's MACs in island-sim and the agent (docs/security.md "Cost of authentication"). OpenSSL's
// SHA256_Transform compresses one 64-byte block into a SHA256_CTX whose first 8 words are the
// chaining state H0..H7 (openssl/sha.h: h[8], Nl, Nh, data[16], num, md_len); OpenSSL picks its
// fastest code for the CPU (the SHA extensions, SHA-NI, on x86). A block costs 70-90 ns here against
// about 300 ns for ScalarSha256Block, and .NET's own HMACSHA256 pays EVP calls per operation (about
// 1 µs a tag here).
//
// No allocation per call and no shared state: the SHA256_CTX lives on the stack of Compress, the
// caller's arrays are pinned with `fixed` for the call only, and the function pointer is
// SuppressGCTransition (the call is short, never blocks and never calls back). So one instance serves
// every thread. Where the library or the symbol is missing, or the loaded function fails its
// known-answer check, Select falls back to the software block function and says so in one log line.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Stratos.Island.Crypto;

namespace Stratos.Island.Link.Linux;

/// <summary>ISha256Block over libcrypto's SHA256_Transform; thread-safe, allocation-free.</summary>
public sealed unsafe class LibcryptoSha256Block : ISha256Block
{
    public const string LibraryName = "libcrypto.so.3";
    public const string SymbolName = "SHA256_Transform";
    private const int BlockBytes = 64;

    // sizeof(SHA256_CTX) / 4: h[8], Nl, Nh, data[16], num, md_len.
    private const int ContextWords = 28;

    private readonly delegate* unmanaged[SuppressGCTransition]<uint*, byte*, void> _transform;

    private LibcryptoSha256Block(IntPtr transform)
    {
        _transform = (delegate* unmanaged[SuppressGCTransition]<uint*, byte*, void>)transform;
    }

    /// <summary>What the host's link MACs use: libcrypto's block function, or the software one (and why) when it cannot be used.</summary>
    public static ISha256Block Select(Action<string> log) => Select(LibraryName, SymbolName, log);

    /// <summary>As <see cref="Select(Action{string})"/> with another library or symbol (tests of the fallback).</summary>
    public static ISha256Block Select(string library, string symbol, Action<string> log)
    {
        if (TryLoad(library, symbol, out LibcryptoSha256Block? block, out string problem))
        {
            log("SHA-256 block function for the link's MACs: " + library + " " + symbol);
            return block!;
        }

        log("SHA-256 block function for the link's MACs: software (" + problem + "); every MAC costs about 4x more");
        return new ScalarSha256Block();
    }

    /// <summary>Loads <paramref name="symbol"/> from <paramref name="library"/> and checks it on a FIPS 180-4 vector.</summary>
    public static bool TryLoad(string library, string symbol, out LibcryptoSha256Block? block, out string problem)
    {
        block = null;
        if (!NativeLibrary.TryLoad(library, out IntPtr handle))
        {
            problem = library + " cannot be loaded";
            return false;
        }

        if (!NativeLibrary.TryGetExport(handle, symbol, out IntPtr transform))
        {
            problem = library + " has no " + symbol;
            return false;
        }

        var candidate = new LibcryptoSha256Block(transform);
        if (!AgreesWithSoftware(candidate))
        {
            problem = library + " " + symbol + " failed the known-answer check against the software block function";
            return false;
        }

        block = candidate;
        problem = "";
        return true;
    }

    // SkipLocalsInit: zeroing the stackalloc'd context would use 256-bit AVX stores, and OpenSSL's SHA-NI
    // code is legacy SSE: with the upper halves of the YMM registers dirty, every SSE instruction pays
    // a merge (measured: about 5x slower per block). Every word of the context SHA256_Transform reads
    // (h[0..7]) is written first.
    [SkipLocalsInit]
    public void Compress(uint[] state, byte[] data, int offset, int blockCount)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(data);
        // The native side reads blockCount * 64 bytes unchecked: check the range here.
        if (state.Length < 8 || offset < 0 || blockCount < 0 || (long)blockCount * BlockBytes > data.Length - (long)offset)
        {
            throw new ArgumentOutOfRangeException(nameof(blockCount), "SHA-256 blocks [" + offset + ", +" + blockCount + " x 64) outside the " + data.Length + "-byte buffer, or a state of fewer than 8 words");
        }

        uint* context = stackalloc uint[ContextWords];
        fixed (uint* chaining = state)
        fixed (byte* bytes = data)
        {
            for (int i = 0; i < 8; i++)
            {
                context[i] = chaining[i];
            }

            for (int block = 0; block < blockCount; block++)
            {
                _transform(context, bytes + offset + (block * BlockBytes));
            }

            for (int i = 0; i < 8; i++)
            {
                chaining[i] = context[i];
            }
        }
    }

    // FIPS 180-4 example "abc" as one padded block: both block functions must give the same state.
    private static bool AgreesWithSoftware(ISha256Block candidate)
    {
        byte[] block = new byte[BlockBytes];
        block[0] = (byte)'a';
        block[1] = (byte)'b';
        block[2] = (byte)'c';
        block[3] = 0x80;
        block[63] = 24;
        uint[] expected = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
        uint[] actual = (uint[])expected.Clone();
        new ScalarSha256Block().Compress(expected, block, 0, 1);
        candidate.Compress(actual, block, 0, 1);
        return expected.AsSpan().SequenceEqual(actual);
    }
}
