// Link-wide size limits. One Envelope travels in one rpmsg message: a 512-byte rpmsg buffer minus
// the 16-byte rpmsg header (FACTS.md "rpmsg", OpenAMP RPMSG_BUFFER_SIZE) leaves 496 payload bytes.
// The worst-case size test in Stratos.Island.Protocol.Tests proves every Envelope body fits.
namespace Stratos.Island.Codec
{
    public static class LinkLimits
    {
        // Largest encoded Envelope: one rpmsg payload.
        public const int MaxPayloadBytes = 496;

        // Largest encoded VmDefinition (it travels as a BlobChunk sequence, link.proto).
        public const int MaxVmDefinitionBytes = 2048;
    }
}
