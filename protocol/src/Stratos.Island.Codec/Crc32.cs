// CRC-32 (IEEE 802.3, the zlib/PNG one): reflected polynomial 0xEDB88320, initial value 0xFFFFFFFF,
// final XOR 0xFFFFFFFF. Check value: Compute("123456789") = 0xCBF43926.
//
// The one CRC-32 of the project, for every contract that names it: BlobChunk.crc32 (link.proto:
// the island's sender, the agent's BlobAssembler), the serial link's frame check (docs/link.md
// "Serial framing") and the island's event log records (docs/firmware.md). Firmware dialect: a
// table built once, no allocation per call.
namespace Stratos.Island.Codec
{
    public static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        public static uint Compute(byte[] data, int offset, int count)
        {
            uint crc = 0xFFFFFFFFu;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                crc = Table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
            }

            return crc ^ 0xFFFFFFFFu;
        }

        private static uint[] BuildTable()
        {
            uint[] table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int bit = 0; bit < 8; bit++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }
    }
}
