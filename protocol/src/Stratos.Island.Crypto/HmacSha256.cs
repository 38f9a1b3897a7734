// HMAC-SHA256 (RFC 2104, FIPS 198-1) in the firmware dialect, for the authenticated link
// (docs/link.md "Authentication"). SetKey hashes the key's ipad and opad blocks once and keeps the
// two chaining states; every MAC after that restores them instead of hashing 128 key bytes again,
// so a MAC costs the message's blocks plus two, and allocates nothing.
//   HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)),  K0 = K padded (or hashed, if > 64 bytes) to 64 bytes.
using System;

namespace Stratos.Island.Crypto
{
    /// <summary>Keyed HMAC-SHA256; one instance per key, reused for every message.</summary>
    public sealed class HmacSha256
    {
        public const int TagBytes = Sha256.DigestBytes;
        private const int BlockBytes = 64;
        private const byte InnerPad = 0x36;
        private const byte OuterPad = 0x5c;

        private readonly Sha256 _sha;
        private readonly uint[] _innerState = new uint[8];
        private readonly uint[] _outerState = new uint[8];
        private readonly byte[] _pad = new byte[BlockBytes];
        private readonly byte[] _innerDigest = new byte[TagBytes];
        private bool _keyed;

        /// <summary>An HMAC on the software SHA-256 block function.</summary>
        public HmacSha256()
        {
            _sha = new Sha256();
        }

        /// <summary>An HMAC whose SHA-256 blocks go through <paramref name="blockFunction"/> (one thread at a time).</summary>
        public HmacSha256(ISha256Block blockFunction)
        {
            _sha = new Sha256(blockFunction);
        }

        /// <summary>Sets the key (any length; over 64 bytes it is hashed first, RFC 2104 section 2).</summary>
        public void SetKey(byte[] key, int offset, int count)
        {
            Array.Clear(_pad, 0, BlockBytes);
            if (count > BlockBytes)
            {
                _sha.Reset();
                _sha.Update(key, offset, count);
                _sha.Final(_pad, 0);
            }
            else
            {
                Array.Copy(key, offset, _pad, 0, count);
            }

            for (int i = 0; i < BlockBytes; i++)
            {
                _pad[i] ^= InnerPad;
            }
            _sha.Reset();
            _sha.Update(_pad, 0, BlockBytes);
            _sha.SaveState(_innerState);
            for (int i = 0; i < BlockBytes; i++)
            {
                _pad[i] ^= InnerPad ^ OuterPad;
            }
            _sha.Reset();
            _sha.Update(_pad, 0, BlockBytes);
            _sha.SaveState(_outerState);
            Array.Clear(_pad, 0, BlockBytes);
            _keyed = true;
        }

        /// <summary>Starts a MAC under the current key; feed the message with <see cref="Update"/>.</summary>
        public void Begin()
        {
            if (!_keyed)
            {
                throw new InvalidOperationException("HMAC-SHA256 used before SetKey");
            }
            _sha.RestoreState(_innerState, BlockBytes);
        }

        public void Update(byte[] data, int offset, int count)
        {
            _sha.Update(data, offset, count);
        }

        /// <summary>Finishes the MAC and writes its first <paramref name="count"/> bytes (1..32) to <paramref name="tag"/>.</summary>
        public void Final(byte[] tag, int offset, int count)
        {
            _sha.Final(_innerDigest, 0);
            _sha.RestoreState(_outerState, BlockBytes);
            _sha.Update(_innerDigest, 0, TagBytes);
            _sha.Final(_innerDigest, 0);
            Array.Copy(_innerDigest, 0, tag, offset, count);
        }
    }
}
