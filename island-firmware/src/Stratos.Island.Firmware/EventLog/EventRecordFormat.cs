using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.EventLog
{
    // On-flash layout of the event log (little-endian). See docs/firmware.md "Event log".
    //
    // Page header, 16 bytes, at the start of every page in use:
    //   0  u32 epoch        page generation, +1 for every page opened; orders the ring
    //   4  u32 ~epoch       bitwise complement (detects a torn header)
    //   8  u32 reserved     0xFFFFFFFF
    //   12 u32 page magic   PageMagic, programmed LAST: the page is in use only once it is there.
    //                       Programmed to 0 ("retired") before the page is erased for reuse.
    //
    // Record, 4-byte aligned, packed one after the other from offset 16:
    //   0  u16 record magic RecordMagic
    //   2  u16 length       whole record in bytes, header to commit marker, multiple of 4
    //   4  u32 sequence     contiguous from 1
    //   8  u64 timestamp_us island time since boot
    //   16 u32 boot_count
    //   20 u16 event type
    //   22 u8  detail length n (0..64)
    //   23 u8  reserved 0
    //   24 u32 subject id
    //   28 i32 value
    //   32 n bytes detail (UTF-8), zero padding to a multiple of 4
    //   P  u32 CRC-32 of bytes [0, P)
    //   P+4 u32 commit marker CommitMarker, programmed LAST in a separate program operation
    // A record counts only when its commit marker reads exactly CommitMarker and its CRC matches.
    // None of the magic values contains a 0xFF byte, so a partly programmed value never equals
    // the full one and never looks erased.
    public static class EventRecordFormat
    {
        public const int PageHeaderBytes = 16;
        public const uint PageMagic = 0x474F4C53; // "SLOG"
        public const ushort RecordMagic = 0xA55A;
        public const uint CommitMarker = 0x600DC0DE;
        public const int FixedBytes = 32;
        public const int TrailerBytes = 8;
        public const int MinRecordBytes = FixedBytes + TrailerBytes;
        public const int MaxRecordBytes = FixedBytes + EventRecord.MaxDetailBytes + TrailerBytes;

        // Record length for a detail of detailBytes bytes.
        public static int RecordLength(int detailBytes)
        {
            return FixedBytes + ((detailBytes + 3) & ~3) + TrailerBytes;
        }

        // Writes a complete record (commit marker included) into buffer[0..]; returns its length.
        public static int Encode(byte[] buffer, uint sequence, long timestampUs, uint bootCount, EventType type,
            uint subjectId, int value, byte[] detail, int detailLength)
        {
            int length = RecordLength(detailLength);
            WriteU16(buffer, 0, RecordMagic);
            WriteU16(buffer, 2, (ushort)length);
            WriteU32(buffer, 4, sequence);
            WriteU32(buffer, 8, (uint)timestampUs);
            WriteU32(buffer, 12, (uint)(timestampUs >> 32));
            WriteU32(buffer, 16, bootCount);
            WriteU16(buffer, 20, (ushort)type);
            buffer[22] = (byte)detailLength;
            buffer[23] = 0;
            WriteU32(buffer, 24, subjectId);
            WriteU32(buffer, 28, (uint)value);
            int p = FixedBytes;
            for (int i = 0; i < detailLength; i++)
            {
                buffer[p++] = detail[i];
            }

            int crcAt = length - TrailerBytes;
            while (p < crcAt)
            {
                buffer[p++] = 0;
            }

            WriteU32(buffer, crcAt, Crc32.Compute(buffer, 0, crcAt));
            WriteU32(buffer, crcAt + 4, CommitMarker);
            return length;
        }

        // Checks a record read into buffer[0..length): magic, length, commit marker and CRC.
        public static bool IsCommitted(byte[] buffer, int length)
        {
            if (length < MinRecordBytes || length > MaxRecordBytes || ReadU16(buffer, 0) != RecordMagic
                || ReadU16(buffer, 2) != length)
            {
                return false;
            }

            int detailLength = buffer[22];
            if (detailLength > EventRecord.MaxDetailBytes || RecordLength(detailLength) != length)
            {
                return false;
            }

            int crcAt = length - TrailerBytes;
            return ReadU32(buffer, crcAt + 4) == CommitMarker && ReadU32(buffer, crcAt) == Crc32.Compute(buffer, 0, crcAt);
        }

        // Fills record from a committed record in buffer.
        public static void Decode(byte[] buffer, EventRecord record)
        {
            record.Sequence = ReadU32(buffer, 4);
            record.TimestampUs = (long)(((ulong)ReadU32(buffer, 12) << 32) | ReadU32(buffer, 8));
            record.BootCount = ReadU32(buffer, 16);
            record.Type = (EventType)ReadU16(buffer, 20);
            int detailLength = buffer[22];
            record.SubjectId = ReadU32(buffer, 24);
            record.Value = (int)ReadU32(buffer, 28);
            record.DetailLength = detailLength;
            byte[] detail = record.DetailBytes;
            for (int i = 0; i < detailLength; i++)
            {
                detail[i] = buffer[FixedBytes + i];
            }
        }

        // Encodes text as UTF-8 into output, truncated at a character boundary to at most maxBytes
        // (Utf8.WriteAtMost: no allocation unless text holds a surrogate). Returns the byte count.
        public static int EncodeUtf8(string text, byte[] output, int maxBytes)
        {
            return text == null ? 0 : Utf8.WriteAtMost(text, output, 0, maxBytes);
        }

        public static void WriteU16(byte[] b, int at, ushort v)
        {
            b[at] = (byte)v;
            b[at + 1] = (byte)(v >> 8);
        }

        public static void WriteU32(byte[] b, int at, uint v)
        {
            b[at] = (byte)v;
            b[at + 1] = (byte)(v >> 8);
            b[at + 2] = (byte)(v >> 16);
            b[at + 3] = (byte)(v >> 24);
        }

        public static ushort ReadU16(byte[] b, int at)
        {
            return (ushort)(b[at] | (b[at + 1] << 8));
        }

        public static uint ReadU32(byte[] b, int at)
        {
            return (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        }
    }
}
