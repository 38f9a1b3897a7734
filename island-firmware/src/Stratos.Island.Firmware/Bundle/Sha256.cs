// SHA-256 (FIPS 180-4, section 6.2) in the firmware dialect: no generics, no Span, Array.Copy only,
// no allocation after construction. Feed bytes with Update, read the 32-byte digest with Final,
// then Reset to hash again. Big-endian words and length, as the standard specifies.
using System;

namespace Stratos.Island.Firmware.Bundle
{
    /// <summary>Incremental SHA-256; one instance is reused for every hash (allocates only in its constructor).</summary>
    public sealed class Sha256
    {
        public const int DigestBytes = 32;
        private const int BlockBytes = 64;

        // FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
        private static readonly uint[] RoundConstants =
        {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        };

        private readonly uint[] _state = new uint[8];
        private readonly uint[] _schedule = new uint[64];
        private readonly byte[] _block = new byte[BlockBytes];
        private int _blockUsed;
        private long _totalBytes;

        public Sha256()
        {
            Reset();
        }

        /// <summary>Starts a new hash (FIPS 180-4 5.3.3 initial value).</summary>
        public void Reset()
        {
            _state[0] = 0x6a09e667;
            _state[1] = 0xbb67ae85;
            _state[2] = 0x3c6ef372;
            _state[3] = 0xa54ff53a;
            _state[4] = 0x510e527f;
            _state[5] = 0x9b05688c;
            _state[6] = 0x1f83d9ab;
            _state[7] = 0x5be0cd19;
            _blockUsed = 0;
            _totalBytes = 0;
            Array.Clear(_block, 0, BlockBytes);
        }

        /// <summary>
        /// Copies the chaining state (8 words) to <paramref name="state"/>. Valid only on a block
        /// boundary (after a multiple of 64 bytes): HMAC precomputes its keyed ipad/opad states once.
        /// </summary>
        public void SaveState(uint[] state)
        {
            if (_blockUsed != 0)
            {
                throw new InvalidOperationException("SHA-256 state can be saved only on a 64-byte block boundary");
            }
            Array.Copy(_state, state, 8);
        }

        /// <summary>Continues from a state saved by <see cref="SaveState"/> after <paramref name="bytesHashed"/> bytes.</summary>
        public void RestoreState(uint[] state, long bytesHashed)
        {
            Array.Copy(state, _state, 8);
            _blockUsed = 0;
            _totalBytes = bytesHashed;
        }

        /// <summary>Hashes <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/>.</summary>
        public void Update(byte[] data, int offset, int count)
        {
            _totalBytes += count;
            while (count > 0)
            {
                if (_blockUsed == 0 && count >= BlockBytes)
                {
                    Compress(data, offset);
                    offset += BlockBytes;
                    count -= BlockBytes;
                    continue;
                }
                int take = BlockBytes - _blockUsed;
                if (take > count)
                {
                    take = count;
                }
                Array.Copy(data, offset, _block, _blockUsed, take);
                _blockUsed += take;
                offset += take;
                count -= take;
                if (_blockUsed == BlockBytes)
                {
                    Compress(_block, 0);
                    _blockUsed = 0;
                }
            }
        }

        /// <summary>Pads (5.1.1), finishes and writes the 32-byte digest to <paramref name="digest"/> at <paramref name="offset"/>.</summary>
        public void Final(byte[] digest, int offset)
        {
            long bitLength = _totalBytes * 8;
            _block[_blockUsed++] = 0x80;
            if (_blockUsed > BlockBytes - 8)
            {
                Array.Clear(_block, _blockUsed, BlockBytes - _blockUsed);
                Compress(_block, 0);
                _blockUsed = 0;
            }
            Array.Clear(_block, _blockUsed, BlockBytes - 8 - _blockUsed);
            for (int i = 0; i < 8; i++)
            {
                _block[BlockBytes - 1 - i] = (byte)(bitLength >> (8 * i));
            }
            Compress(_block, 0);
            for (int i = 0; i < 8; i++)
            {
                uint word = _state[i];
                digest[offset + (4 * i)] = (byte)(word >> 24);
                digest[offset + (4 * i) + 1] = (byte)(word >> 16);
                digest[offset + (4 * i) + 2] = (byte)(word >> 8);
                digest[offset + (4 * i) + 3] = (byte)word;
            }
            _blockUsed = 0;
        }

        private static uint RotateRight(uint x, int n)
        {
            return (x >> n) | (x << (32 - n));
        }

        // FIPS 180-4 6.2.2: message schedule, 64 rounds, add to the state.
        private void Compress(byte[] data, int offset)
        {
            uint[] w = _schedule;
            for (int t = 0; t < 16; t++)
            {
                int i = offset + (4 * t);
                w[t] = ((uint)data[i] << 24) | ((uint)data[i + 1] << 16) | ((uint)data[i + 2] << 8) | data[i + 3];
            }
            for (int t = 16; t < 64; t++)
            {
                uint s0 = RotateRight(w[t - 15], 7) ^ RotateRight(w[t - 15], 18) ^ (w[t - 15] >> 3);
                uint s1 = RotateRight(w[t - 2], 17) ^ RotateRight(w[t - 2], 19) ^ (w[t - 2] >> 10);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
            }
            uint a = _state[0], b = _state[1], c = _state[2], d = _state[3];
            uint e = _state[4], f = _state[5], g = _state[6], h = _state[7];
            for (int t = 0; t < 64; t++)
            {
                uint sum1 = RotateRight(e, 6) ^ RotateRight(e, 11) ^ RotateRight(e, 25);
                uint choose = (e & f) ^ (~e & g);
                uint temp1 = h + sum1 + choose + RoundConstants[t] + w[t];
                uint sum0 = RotateRight(a, 2) ^ RotateRight(a, 13) ^ RotateRight(a, 22);
                uint majority = (a & b) ^ (a & c) ^ (b & c);
                uint temp2 = sum0 + majority;
                h = g;
                g = f;
                f = e;
                e = d + temp1;
                d = c;
                c = b;
                b = a;
                a = temp1 + temp2;
            }
            _state[0] += a;
            _state[1] += b;
            _state[2] += c;
            _state[3] += d;
            _state[4] += e;
            _state[5] += f;
            _state[6] += g;
            _state[7] += h;
        }
    }
}
