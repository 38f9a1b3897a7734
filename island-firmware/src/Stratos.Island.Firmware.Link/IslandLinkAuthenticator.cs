// The island's end of the authenticated link (docs/link.md "Authentication", primer in
// protocol/src/Stratos.Island.Link/Session/LinkAuthentication.cs): the board key from the signed
// bundle, session keys derived with the firmware's HKDF-SHA256, tags with its HMAC-SHA256. The three
// HMAC instances keep their keyed ipad/opad states, so a tag allocates nothing and costs the
// message's SHA-256 blocks plus two.
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Link
{
    /// <summary>ILinkAuthenticator on the firmware's HMAC-SHA256 / HKDF-SHA256 (firmware dialect).</summary>
    public sealed class IslandLinkAuthenticator : ILinkAuthenticator
    {
        private static readonly byte[] HelloInfo = LinkAuthentication.Ascii(LinkAuthentication.HelloInfo);
        private static readonly byte[] AgentToIslandInfo = LinkAuthentication.Ascii(LinkAuthentication.AgentToIslandInfo);
        private static readonly byte[] IslandToAgentInfo = LinkAuthentication.Ascii(LinkAuthentication.IslandToAgentInfo);

        private readonly byte[] _boardKey = new byte[LinkAuthentication.BoardKeyBytes];
        private readonly HkdfSha256 _hkdf = new HkdfSha256();
        private readonly HmacSha256 _hello = new HmacSha256();
        private readonly HmacSha256 _agentToIsland = new HmacSha256();
        private readonly HmacSha256 _islandToAgent = new HmacSha256();
        private readonly byte[] _salt = new byte[16];
        private readonly byte[] _key = new byte[LinkAuthentication.SessionKeyBytes];
        private readonly byte[] _sequence = new byte[4];
        private readonly byte[] _mac = new byte[HmacSha256.TagBytes];
        private bool _sessionStarted;

        /// <summary>The name of the board key's file in a signed bundle (docs/flashing.md).</summary>
        public const string BundleFileName = "link.key";

        /// <summary>
        /// Checks a board key taken from a bundle (or a partition written from one) before the island
        /// uses it: exactly 32 bytes, listed in the manifest as "link.key" with this size and SHA-256,
        /// the manifest signed by the release key (<paramref name="verifier"/>). Anything but Ok
        /// means the key is not the one the release engineer provisioned: the island must not use
        /// it. Never throws; allocates nothing.
        /// </summary>
        public static BundleStatus VerifyProvisionedKey(BundleVerifier verifier, byte[] manifest, int manifestLength, byte[] signature, int signatureLength,
            byte[] key, int keyOffset, int keyLength)
        {
            if (keyLength != LinkAuthentication.BoardKeyBytes)
            {
                return BundleStatus.SizeMismatch;
            }

            return verifier.VerifyFile(manifest, manifestLength, signature, signatureLength, BundleFileName, key, keyOffset, keyLength);
        }

        /// <summary>boardKey: exactly 32 bytes (the bundle's link key).</summary>
        public IslandLinkAuthenticator(byte[] boardKey)
        {
            if (boardKey == null || boardKey.Length != LinkAuthentication.BoardKeyBytes)
            {
                throw new System.ArgumentException("the link's board key must be " + LinkAuthentication.BoardKeyBytes.ToString() + " bytes");
            }

            System.Array.Copy(boardKey, _boardKey, _boardKey.Length);
            _hkdf.DeriveKey(_boardKey, 0, _boardKey.Length, _salt, 0, 0, HelloInfo, 0, HelloInfo.Length, _key, 0, _key.Length);
            _hello.SetKey(_key, 0, _key.Length);
            System.Array.Clear(_key, 0, _key.Length);
        }

        public void StartSession(ulong agentBootId, ulong islandBootId)
        {
            LinkAuthentication.WriteSalt(agentBootId, islandBootId, _salt);
            _hkdf.DeriveKey(_boardKey, 0, _boardKey.Length, _salt, 0, _salt.Length, AgentToIslandInfo, 0, AgentToIslandInfo.Length, _key, 0, _key.Length);
            _agentToIsland.SetKey(_key, 0, _key.Length);
            _hkdf.DeriveKey(_boardKey, 0, _boardKey.Length, _salt, 0, _salt.Length, IslandToAgentInfo, 0, IslandToAgentInfo.Length, _key, 0, _key.Length);
            _islandToAgent.SetKey(_key, 0, _key.Length);
            System.Array.Clear(_key, 0, _key.Length);
            _sessionStarted = true;
        }

        public void ComputeTag(LinkKey key, uint sequence, byte[] data, int offset, int count, byte[] tag, int tagOffset)
        {
            HmacSha256 hmac = key == LinkKey.Hello ? _hello : (key == LinkKey.AgentToIsland ? _agentToIsland : _islandToAgent);
            if (key != LinkKey.Hello && !_sessionStarted)
            {
                throw new System.InvalidOperationException("link session key used before StartSession");
            }

            LinkAuthentication.WriteSequence(sequence, _sequence);
            hmac.Begin();
            hmac.Update(_sequence, 0, _sequence.Length);
            hmac.Update(data, offset, count);
            hmac.Final(_mac, 0, HmacSha256.TagBytes);
            System.Array.Copy(_mac, 0, tag, tagOffset, LinkAuthentication.TagBytes);
        }
    }
}
