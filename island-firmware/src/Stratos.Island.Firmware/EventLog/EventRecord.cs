using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.EventLog
{
    // One event-log record, as read back from flash. Reused by readers: the detail is kept as
    // UTF-8 bytes; GetDetail() allocates the string only when a caller needs it.
    public sealed class EventRecord
    {
        public const int MaxDetailBytes = 64;

        public EventRecord()
        {
            DetailBytes = new byte[MaxDetailBytes];
        }

        public uint Sequence { get; set; }

        public long TimestampUs { get; set; }

        public uint BootCount { get; set; }

        public EventType Type { get; set; }

        public uint SubjectId { get; set; }

        public int Value { get; set; }

        // UTF-8 detail, DetailLength bytes used.
        public byte[] DetailBytes { get; private set; }

        public int DetailLength { get; set; }

        public string GetDetail()
        {
            return DetailLength == 0 ? string.Empty : Utf8.Decode(DetailBytes, 0, DetailLength);
        }
    }
}
