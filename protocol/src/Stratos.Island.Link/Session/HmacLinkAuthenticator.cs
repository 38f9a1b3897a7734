// The authenticated link's MACs on the firmware-dialect HMAC-SHA256 / HKDF-SHA256 (docs/link.md
// "Authentication", primer in LinkAuthentication.cs), shared by both ends: the island
// (IslandLinkAuthenticator adds the check of a provisioned key) and the agent. The three HMAC
// instances keep their keyed ipad/opad states, so a tag allocates nothing and costs the message's
// SHA-256 blocks plus two (a Ping: two). The SHA-256 block function is a seam (ISha256Block): the
// software one on the MCU, libcrypto's SHA256_Transform (SHA-NI on x86) in island-sim and the agent.
using Stratos.Island.Crypto;

namespace Stratos.Island.Link.Session
{
    /// <summary>ILinkAuthenticator on HMAC-SHA256 / HKDF-SHA256 (firmware dialect); one thread at a time.</summary>
    public class HmacLinkAuthenticator : ILinkAuthenticator
    {
        private static readonly byte[] HelloInfo = LinkAuthentication.Ascii(LinkAuthentication.HelloInfo);
        private static readonly byte[] AgentToIslandInfo = LinkAuthentication.Ascii(LinkAuthentication.AgentToIslandInfo);
        private static readonly byte[] IslandToAgentInfo = LinkAuthentication.Ascii(LinkAuthentication.IslandToAgentInfo);

        private readonly byte[] _boardKey = new byte[LinkAuthentication.BoardKeyBytes];
        private readonly HkdfSha256 _hkdf;
        private readonly HmacSha256 _hello;
        private readonly HmacSha256 _agentToIsland;
        private readonly HmacSha256 _islandToAgent;
        private readonly byte[] _salt = new byte[16];
        private readonly byte[] _key = new byte[LinkAuthentication.SessionKeyBytes];
        private readonly byte[] _sequence = new byte[4];
        private readonly byte[] _mac = new byte[HmacSha256.TagBytes];
        private bool _sessionStarted;

        /// <summary>boardKey: exactly 32 bytes. The software SHA-256 block function.</summary>
        public HmacLinkAuthenticator(byte[] boardKey)
            : this(boardKey, new ScalarSha256Block())
        {
        }

        /// <summary>boardKey: exactly 32 bytes; blockFunction: SHA-256's block function for every MAC of this authenticator.</summary>
        public HmacLinkAuthenticator(byte[] boardKey, ISha256Block blockFunction)
        {
            if (boardKey == null || boardKey.Length != LinkAuthentication.BoardKeyBytes)
            {
                throw new System.ArgumentException("the link's board key must be " + LinkAuthentication.BoardKeyBytes.ToString() + " bytes");
            }

            _hkdf = new HkdfSha256(blockFunction);
            _hello = new HmacSha256(blockFunction);
            _agentToIsland = new HmacSha256(blockFunction);
            _islandToAgent = new HmacSha256(blockFunction);
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
