// rpmsg wire constants (Linux drivers/rpmsg/virtio_rpmsg_bus.c, OpenAMP lib/rpmsg/rpmsg_internal.h).
//
// Every message starts with a packed little-endian 16-byte header:
//   0 src u32 | 4 dst u32 | 8 reserved u32 | 12 len u16 | 14 flags u16 | 16 payload[len]
// OpenAMP keeps a buffer-held counter in the top half of "reserved"; it is opaque here (written 0).
// Name service messages go to address 0x35 with a 40-byte body: name[32] (NUL-terminated), addr u32,
// flags u32 (CREATE 0, DESTROY 1, OpenAMP's CREATE_ACK 2).
namespace Stratos.Island.Link
{
    /// <summary>rpmsg header layout and reserved addresses.</summary>
    public static class RpmsgHeader
    {
        public const int Size = 16;
        public const int SrcOffset = 0;
        public const int DstOffset = 4;
        public const int ReservedOffset = 8;
        public const int LenOffset = 12;
        public const int FlagsOffset = 14;

        /// <summary>512-byte buffers minus the header.</summary>
        public const int MaxPayload = 496;

        public const uint NameServiceAddress = 0x35;
        public const uint FirstDynamicAddress = 0x400;
        public const uint AddressAny = 0xFFFFFFFF;

        public const int NameSize = 32;
        public const int NameServiceMessageSize = 40;
        public const uint NameServiceCreate = 0;
        public const uint NameServiceDestroy = 1;
        public const uint NameServiceCreateAck = 2;
    }
}
