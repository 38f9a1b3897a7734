// SHA-256 (FIPS 180-4, section 6.2) in the firmware dialect: no generics, no Span, Array.Copy only,
// no allocation after construction. The block function is an ISha256Block (ScalarSha256Block unless
// the host provides an accelerated one); this class pads, buffers and counts the length. Feed bytes
// with Update, read the 32-byte digest with Final, then Reset to hash again. Big-endian words and length, as the standard specifies.
using System;

namespace Stratos.Island.Crypto
{
    /// <summary>Incremental SHA-256; one instance is reused for every hash (allocates only in its constructor).</summary>
    public sealed class Sha256
    {
        public const int DigestBytes = 32;
        private const int BlockBytes = 64;

        private readonly ISha256Block _blockFunction;
        private readonly uint[] _state = new uint[8];
        private readonly byte[] _block = new byte[BlockBytes];
        private int _blockUsed;
        private long _totalBytes;

        /// <summary>A hash on the software block function (ScalarSha256Block).</summary>
        public Sha256()
            : this(new ScalarSha256Block())
        {
        }

        /// <summary>A hash whose 64-byte blocks are compressed by <paramref name="blockFunction"/> (a hardware seam).</summary>
        public Sha256(ISha256Block blockFunction)
        {
            if (blockFunction == null)
            {
                throw new ArgumentNullException("blockFunction");
            }

            _blockFunction = blockFunction;
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
                    int blocks = count / BlockBytes;
                    _blockFunction.Compress(_state, data, offset, blocks);
                    offset += blocks * BlockBytes;
                    count -= blocks * BlockBytes;
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
                    _blockFunction.Compress(_state, _block, 0, 1);
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
                _blockFunction.Compress(_state, _block, 0, 1);
                _blockUsed = 0;
            }
            Array.Clear(_block, _blockUsed, BlockBytes - 8 - _blockUsed);
            for (int i = 0; i < 8; i++)
            {
                _block[BlockBytes - 1 - i] = (byte)(bitLength >> (8 * i));
            }
            _blockFunction.Compress(_state, _block, 0, 1);
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
    }
}
