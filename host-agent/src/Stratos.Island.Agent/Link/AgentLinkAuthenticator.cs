// The agent's end of the authenticated link (docs/link.md "Authentication", primer in
// protocol/src/Stratos.Island.Link/Session/LinkAuthentication.cs), on .NET's HKDF and HMACSHA256.
// A tag is one call of the one-shot HMACSHA256.HashData over the sequence and the message copied
// into one scratch buffer: measured (./bench.sh link) cheaper than an IncrementalHash per key, whose
// three calls per tag (two appends and a reset) cost more than the hash of a short message.
// Nothing is allocated per tag.
using System;
using System.Security.Cryptography;
using System.Text;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Agent.Link;

/// <summary>ILinkAuthenticator on .NET's HKDF-SHA256 / HMAC-SHA256; the link thread only.</summary>
public sealed class AgentLinkAuthenticator : ILinkAuthenticator, IDisposable
{
    /// <summary>Sequence (4 bytes) and the largest message an rpmsg payload holds.</summary>
    private const int ScratchBytes = 4 + 496;

    private readonly byte[] _boardKey;
    private readonly byte[] _hello;
    private readonly byte[] _agentToIsland = new byte[LinkAuthentication.SessionKeyBytes];
    private readonly byte[] _islandToAgent = new byte[LinkAuthentication.SessionKeyBytes];
    private readonly byte[] _scratch = new byte[ScratchBytes];
    private readonly byte[] _mac = new byte[HMACSHA256.HashSizeInBytes];
    private bool _sessionStarted;

    public AgentLinkAuthenticator(byte[] boardKey)
    {
        if (boardKey.Length != LinkAuthentication.BoardKeyBytes)
        {
            throw new ArgumentException($"the link's board key must be {LinkAuthentication.BoardKeyBytes} bytes, not {boardKey.Length}");
        }

        _boardKey = (byte[])boardKey.Clone();
        _hello = Derive(Array.Empty<byte>(), LinkAuthentication.HelloInfo);
    }

    private byte[] Derive(byte[] salt, string info) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _boardKey, LinkAuthentication.SessionKeyBytes, salt, Encoding.ASCII.GetBytes(info));

    public void StartSession(ulong agentBootId, ulong islandBootId)
    {
        byte[] salt = new byte[16];
        LinkAuthentication.WriteSalt(agentBootId, islandBootId, salt);
        Derive(salt, LinkAuthentication.AgentToIslandInfo).CopyTo(_agentToIsland, 0);
        Derive(salt, LinkAuthentication.IslandToAgentInfo).CopyTo(_islandToAgent, 0);
        _sessionStarted = true;
    }

    public void ComputeTag(LinkKey key, uint sequence, byte[] data, int offset, int count, byte[] tag, int tagOffset)
    {
        if (key != LinkKey.Hello && !_sessionStarted)
        {
            throw new InvalidOperationException("link session key used before StartSession");
        }

        if (count > ScratchBytes - 4)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"a link message holds at most {ScratchBytes - 4} bytes, not {count}");
        }

        byte[] hmacKey = key switch
        {
            LinkKey.Hello => _hello,
            LinkKey.AgentToIsland => _agentToIsland,
            _ => _islandToAgent,
        };
        LinkAuthentication.WriteSequence(sequence, _scratch);
        Buffer.BlockCopy(data, offset, _scratch, 4, count);
        HMACSHA256.HashData(hmacKey, _scratch.AsSpan(0, 4 + count), _mac);
        Array.Copy(_mac, 0, tag, tagOffset, LinkAuthentication.TagBytes);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_boardKey);
        CryptographicOperations.ZeroMemory(_hello);
        CryptographicOperations.ZeroMemory(_agentToIsland);
        CryptographicOperations.ZeroMemory(_islandToAgent);
    }
}
