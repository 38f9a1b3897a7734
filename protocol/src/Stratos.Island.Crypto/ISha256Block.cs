// The SHA-256 block function (FIPS 180-4 section 6.2.2: message schedule, 64 rounds, add to the
// chaining state) as a hardware seam. Sha256, and through it HmacSha256 and HkdfSha256, do the
// padding, buffering and length; the compression of whole 64-byte blocks goes through this
// interface, as it would to an MCU's hash accelerator. ScalarSha256Block is the default and the
// reference; a host may plug in a faster one (island-sim and the agent: libcrypto's SHA256_Transform,
// protocol/src/Stratos.Island.Link.Linux/LibcryptoSha256Block.cs). Every implementation must give
// the scalar one's results bit for bit (tests compare them on the FIPS 180-4 and RFC 4231 vectors
// and on random messages).
namespace Stratos.Island.Crypto
{
    /// <summary>Compresses whole 64-byte blocks into a SHA-256 chaining state.</summary>
    public interface ISha256Block
    {
        /// <summary>
        /// Compresses <paramref name="blockCount"/> (at least 1) consecutive 64-byte blocks of
        /// <paramref name="data"/>, starting at <paramref name="offset"/>, into <paramref name="state"/>
        /// (the 8 chaining words H0..H7, updated in place). Allocates nothing. An instance may keep
        /// scratch space: use it from one thread at a time unless the implementation says otherwise.
        /// </summary>
        void Compress(uint[] state, byte[] data, int offset, int blockCount);
    }
}
