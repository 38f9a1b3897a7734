// An independent implementation of the authenticated link's keys and tags (docs/link.md
// "Authentication", primer in protocol/src/Stratos.Island.Link/Session/LinkAuthentication.cs) on
// .NET's HKDF and HMACSHA256 (OpenSSL underneath), for tests only: the product runs the shared
// HmacLinkAuthenticator at both ends (the agent's on libcrypto's SHA-256 block function), and the
// tests check both against this one and play the attacker with it. The agent ran this class until
// the MACs had to cost less (docs/security.md "Cost of authentication"): .NET's HMAC pays EVP calls
// per operation.
using System;
using System.Security.Cryptography;
using System.Text;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Agent.Tests;

/// <summary>ILinkAuthenticator on .NET's HKDF-SHA256 / HMAC-SHA256 (the reference for tests).</summary>
public sealed class DotNetLinkAuthenticator : ILinkAuthenticator, IDisposable
{
    private readonly byte[] _boardKey;
    private readonly IncrementalHash _hello;
    private IncrementalHash? _agentToIsland;
    private IncrementalHash? _islandToAgent;
    private readonly byte[] _sequence = new byte[4];
    private readonly byte[] _mac = new byte[HMACSHA256.HashSizeInBytes];

    public DotNetLinkAuthenticator(byte[] boardKey)
    {
        if (boardKey.Length != LinkAuthentication.BoardKeyBytes)
        {
            throw new ArgumentException($"the link's board key must be {LinkAuthentication.BoardKeyBytes} bytes, not {boardKey.Length}");
        }

        _boardKey = (byte[])boardKey.Clone();
        _hello = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Derive(Array.Empty<byte>(), LinkAuthentication.HelloInfo));
    }

    private byte[] Derive(byte[] salt, string info) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _boardKey, LinkAuthentication.SessionKeyBytes, salt, Encoding.ASCII.GetBytes(info));

    public void StartSession(ulong agentBootId, ulong islandBootId)
    {
        byte[] salt = new byte[16];
        LinkAuthentication.WriteSalt(agentBootId, islandBootId, salt);
        _agentToIsland?.Dispose();
        _islandToAgent?.Dispose();
        _agentToIsland = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Derive(salt, LinkAuthentication.AgentToIslandInfo));
        _islandToAgent = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Derive(salt, LinkAuthentication.IslandToAgentInfo));
    }

    public void ComputeTag(LinkKey key, uint sequence, byte[] data, int offset, int count, byte[] tag, int tagOffset)
    {
        IncrementalHash hmac = key switch
        {
            LinkKey.Hello => _hello,
            LinkKey.AgentToIsland => _agentToIsland,
            _ => _islandToAgent,
        } ?? throw new InvalidOperationException("link session key used before StartSession");
        LinkAuthentication.WriteSequence(sequence, _sequence);
        hmac.AppendData(_sequence);
        hmac.AppendData(data, offset, count);
        hmac.GetHashAndReset(_mac);
        Array.Copy(_mac, 0, tag, tagOffset, LinkAuthentication.TagBytes);
    }

    public void Dispose()
    {
        _hello.Dispose();
        _agentToIsland?.Dispose();
        _islandToAgent?.Dispose();
    }
}
