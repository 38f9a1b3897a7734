// HKDF with HMAC-SHA256 (RFC 5869) in the firmware dialect: Extract (PRK = HMAC(salt, IKM)) and
// Expand (T(i) = HMAC(PRK, T(i-1) || info || i), OKM = T(1) || T(2) ...). Used to derive the link's
// per-boot session keys from the board key (docs/link.md "Authentication"). Buffers are fixed in the
// constructor: deriving a key allocates nothing.
using System;

namespace Stratos.Island.Crypto
{
    /// <summary>HKDF-SHA256; reusable, single-threaded.</summary>
    public sealed class HkdfSha256
    {
        /// <summary>RFC 5869 section 2.3: at most 255 blocks of output.</summary>
        public const int MaxOutputBytes = 255 * HmacSha256.TagBytes;

        private static readonly byte[] ZeroSalt = new byte[HmacSha256.TagBytes];

        private readonly HmacSha256 _hmac;
        private readonly byte[] _prk = new byte[HmacSha256.TagBytes];
        private readonly byte[] _block = new byte[HmacSha256.TagBytes];
        private readonly byte[] _counter = new byte[1];

        /// <summary>HKDF on the software SHA-256 block function.</summary>
        public HkdfSha256()
        {
            _hmac = new HmacSha256();
        }

        /// <summary>HKDF whose SHA-256 blocks go through <paramref name="blockFunction"/>.</summary>
        public HkdfSha256(ISha256Block blockFunction)
        {
            _hmac = new HmacSha256(blockFunction);
        }

        /// <summary>
        /// Derives <paramref name="outputCount"/> bytes into <paramref name="output"/>. An empty salt
        /// (count 0) means HashLen zero bytes, as section 2.2 says.
        /// </summary>
        public void DeriveKey(byte[] ikm, int ikmOffset, int ikmCount, byte[] salt, int saltOffset, int saltCount,
            byte[] info, int infoOffset, int infoCount, byte[] output, int outputOffset, int outputCount)
        {
            if (outputCount < 0 || outputCount > MaxOutputBytes)
            {
                throw new ArgumentException("HKDF-SHA256 output must be 0.." + MaxOutputBytes.ToString() + " bytes");
            }

            if (saltCount == 0)
            {
                _hmac.SetKey(ZeroSalt, 0, ZeroSalt.Length);
            }
            else
            {
                _hmac.SetKey(salt, saltOffset, saltCount);
            }
            _hmac.Begin();
            _hmac.Update(ikm, ikmOffset, ikmCount);
            _hmac.Final(_prk, 0, HmacSha256.TagBytes);

            _hmac.SetKey(_prk, 0, _prk.Length);
            int written = 0;
            for (int i = 1; written < outputCount; i++)
            {
                _hmac.Begin();
                if (i > 1)
                {
                    _hmac.Update(_block, 0, HmacSha256.TagBytes);
                }
                _hmac.Update(info, infoOffset, infoCount);
                _counter[0] = (byte)i;
                _hmac.Update(_counter, 0, 1);
                _hmac.Final(_block, 0, HmacSha256.TagBytes);
                int take = outputCount - written;
                if (take > HmacSha256.TagBytes)
                {
                    take = HmacSha256.TagBytes;
                }
                Array.Copy(_block, 0, output, outputOffset + written, take);
                written += take;
            }
            Array.Clear(_prk, 0, _prk.Length);
            Array.Clear(_block, 0, _block.Length);
        }
    }
}
