// The authenticated link (issue 15, docs/link.md "Authentication"): what both ends agree on.
//
// Keys. Both ends hold the same 32-byte board key (the island from its signed bundle or island-sim's
// configuration, the agent from a root-only file). From it, HKDF-SHA256 (RFC 5869) derives:
//   hello key          IKM = board key, salt = (none),                                 info = "stratos-island link v1 hello"
//   agent->island key  IKM = board key, salt = agent boot id || island boot id (u64 LE each), info = "stratos-island link v1 agent->island"
//   island->agent key  IKM = board key, salt = agent boot id || island boot id (u64 LE each), info = "stratos-island link v1 island->agent"
// each 32 bytes. The session keys change with every boot of either side.
//
// Tag. Every Envelope of an authenticated session ends with the field auth_tag (number 4, bytes,
// 16 long), i.e. the last 18 bytes of the message are 0x22 0x10 tag[16], where
//   tag = first 16 bytes of HMAC-SHA256(key, sequence as u32 LE || the message's bytes before 0x22).
// The agent's Hello is tagged with the hello key (the island's boot id is not known yet), the
// island's HelloAck and everything after with the session key of the sender's direction.
//
// Negotiation. A side holding the board key sets CAPABILITY_AUTHENTICATED_LINK in Hello/HelloAck.
// The session is authenticated when both do. A side whose board descriptor requires it refuses a
// peer that does not: the island answers Error PERMISSION_DENIED (AuthenticationRequiredMessage),
// the agent stops at the HelloAck; both report SessionDownReason.AuthenticationRequired.
//
// Rejection (authenticated session): no tag at the end (Truncated), a wrong tag (Forged), a sequence
// not newer than the last accepted (Replayed if equal, Reordered if older): the message is dropped,
// counted (SessionCounters), answered with Error INTEGRITY naming what was wrong and reported to
// ILinkRejectionSink (the island logs an event); the session stays up.
namespace Stratos.Island.Link.Session
{
    /// <summary>Which key a tag is computed with.</summary>
    public enum LinkKey
    {
        Hello = 0,
        AgentToIsland = 1,
        IslandToAgent = 2,
    }

    /// <summary>Why an authenticated session dropped a message.</summary>
    public enum LinkRejection
    {
        /// <summary>The message does not end in a 16-byte auth_tag (cut short, or sent without one).</summary>
        Truncated = 1,
        /// <summary>The tag does not match the message under the peer's key.</summary>
        Forged = 2,
        /// <summary>The sequence number repeats the last accepted one.</summary>
        Replayed = 3,
        /// <summary>The sequence number is older than the last accepted one.</summary>
        Reordered = 4,
        /// <summary>The peer does not authenticate and this board requires it.</summary>
        Unauthenticated = 5,
    }

    /// <summary>
    /// Computes the link's MACs. The island implements it on the firmware's HMAC-SHA256
    /// (IslandLinkAuthenticator), the agent on .NET's HMACSHA256/HKDF; both follow the primer above.
    /// </summary>
    public interface ILinkAuthenticator
    {
        /// <summary>Derives the two session keys for this pair of boot ids (once per session).</summary>
        void StartSession(ulong agentBootId, ulong islandBootId);

        /// <summary>Writes the 16-byte tag of (sequence u32 LE || data[offset..offset+count)) under <paramref name="key"/>.</summary>
        void ComputeTag(LinkKey key, uint sequence, byte[] data, int offset, int count, byte[] tag, int tagOffset);
    }

    /// <summary>Told about every message an authenticated session rejects (island: an event; agent: a log line).</summary>
    public interface ILinkRejectionSink
    {
        void OnRejected(LinkRejection rejection, uint sequence, string detail);
    }

    /// <summary>Constants of the authenticated link shared by both implementations.</summary>
    public static class LinkAuthentication
    {
        /// <summary>CAPABILITY_AUTHENTICATED_LINK in link.proto.</summary>
        public const uint CapabilityBit = (uint)Stratos.Island.Codec.Capability.AuthenticatedLink;
        public const int TagBytes = 16;
        /// <summary>Field key (field 4, length-delimited), length byte, tag.</summary>
        public const int TrailerBytes = 2 + TagBytes;
        public const byte TrailerFieldKey = 0x22;
        public const int BoardKeyBytes = 32;
        public const int SessionKeyBytes = 32;
        public const string HelloInfo = "stratos-island link v1 hello";
        public const string AgentToIslandInfo = "stratos-island link v1 agent->island";
        public const string IslandToAgentInfo = "stratos-island link v1 island->agent";

        /// <summary>The text of the island's Error PERMISSION_DENIED to an agent that does not authenticate.</summary>
        public const string AuthenticationRequiredMessage = "this board requires an authenticated link: the agent offered no board key (capability AUTHENTICATED_LINK)";

        /// <summary>Writes the HKDF salt: agent boot id then island boot id, u64 little-endian each (16 bytes).</summary>
        public static void WriteSalt(ulong agentBootId, ulong islandBootId, byte[] salt)
        {
            for (int i = 0; i < 8; i++)
            {
                salt[i] = (byte)(agentBootId >> (8 * i));
                salt[8 + i] = (byte)(islandBootId >> (8 * i));
            }
        }

        /// <summary>ASCII bytes of an info label (the labels above are ASCII; the firmware has no Encoding).</summary>
        public static byte[] Ascii(string text)
        {
            byte[] bytes = new byte[text.Length];
            for (int i = 0; i < text.Length; i++)
            {
                bytes[i] = (byte)text[i];
            }

            return bytes;
        }

        /// <summary>Writes the sequence number as the MAC's 4-byte little-endian prefix.</summary>
        public static void WriteSequence(uint sequence, byte[] into)
        {
            into[0] = (byte)sequence;
            into[1] = (byte)(sequence >> 8);
            into[2] = (byte)(sequence >> 16);
            into[3] = (byte)(sequence >> 24);
        }

        /// <summary>Compares two tags in time independent of where they differ.</summary>
        public static bool TagsEqual(byte[] a, int aOffset, byte[] b, int bOffset)
        {
            int difference = 0;
            for (int i = 0; i < TagBytes; i++)
            {
                difference |= a[aOffset + i] ^ b[bOffset + i];
            }

            return difference == 0;
        }

        /// <summary>Name of a rejection for messages and events.</summary>
        public static string NameOf(LinkRejection rejection)
        {
            switch (rejection)
            {
                case LinkRejection.Truncated: return "truncated";
                case LinkRejection.Forged: return "forged";
                case LinkRejection.Replayed: return "replayed";
                case LinkRejection.Reordered: return "reordered";
                case LinkRejection.Unauthenticated: return "unauthenticated peer";
                default: return "rejected";
            }
        }
    }
}
