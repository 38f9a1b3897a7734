// The cost of the authenticated link (issue 15, docs/link.md "Authentication"), measured in the same
// run as the transport: a Ping/Pong round trip between an agent and an island LinkSession joined
// directly (no transport, so only the session's own work is timed), with and without
// authentication, in interleaved rounds so both see the same machine load. Both ends use the
// island's firmware-dialect HMAC-SHA256 (IslandLinkAuthenticator), the slower of the two
// implementations (the agent's is .NET's), so the added time is an upper bound. A round trip with
// authentication computes four tags: the agent's Ping, its check on the island, the island's Pong,
// its check on the agent.
using System;
using System.Diagnostics;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Link.Bench;

internal static class SessionAuthBench
{
    private const int Rounds = 8;
    private const int RoundTripsPerRound = 5_000;

    private sealed class Direct : IMessageTransport
    {
        public LinkSession? Peer;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            Peer!.OnMessage(buffer, offset, count, 0);
            return LinkSendStatus.Ok;
        }
    }

    private sealed class Quiet : ISessionListener
    {
        public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version)
        {
        }

        public void OnSessionDown(SessionDownReason reason, string detail)
        {
        }

        public void OnEnvelope(Envelope envelope)
        {
        }

        public void OnRequestTimeout(uint correlationId)
        {
        }
    }

    private sealed class Pair
    {
        public readonly LinkSession Agent;
        public readonly LinkSession Island;

        public Pair(bool authenticate)
        {
            byte[] key = new byte[32];
            new Random(15).NextBytes(key);
            var toIsland = new Direct();
            var toAgent = new Direct();
            Agent = new LinkSession(Role.Agent, 0xA1, new SessionSettings
            {
                Authenticator = authenticate ? new IslandLinkAuthenticator(key) : null,
                PeerTimeoutMs = int.MaxValue,
                KeepaliveIntervalMs = int.MaxValue,
            }, toIsland, new Quiet());
            Island = new LinkSession(Role.Island, 0x15, new SessionSettings
            {
                Authenticator = authenticate ? new IslandLinkAuthenticator(key) : null,
                PeerTimeoutMs = int.MaxValue,
            }, toAgent, new Quiet());
            toIsland.Peer = Island;
            toAgent.Peer = Agent;
            Island.TransportUp(0);
            Agent.TransportUp(0);
            if (Agent.State != SessionState.Up || Agent.Authenticated != authenticate)
            {
                throw new InvalidOperationException("bench sessions did not come up as asked (authenticated: " + authenticate + ")");
            }
        }

        /// <summary>One Ping (16-byte payload) answered by a Pong, in µs.</summary>
        public double RoundTrip()
        {
            Envelope ping = Agent.Outgoing;
            ping.SetBody(EnvelopeBody.Ping);
            ping.Ping.TimestampUs = 1;
            ping.Ping.PayloadLength = 16;
            long start = Stopwatch.GetTimestamp();
            Agent.Send(ping);
            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    /// <summary>Returns (plain, authenticated) round-trip times, sorted.</summary>
    public static (double[] Plain, double[] Authenticated) Run()
    {
        var plain = new Pair(false);
        var authenticated = new Pair(true);
        for (int i = 0; i < 20_000; i++)
        {
            plain.RoundTrip();
            authenticated.RoundTrip();
        }

        double[] p = new double[Rounds * RoundTripsPerRound];
        double[] a = new double[Rounds * RoundTripsPerRound];
        int n = 0;
        for (int round = 0; round < Rounds; round++)
        {
            for (int i = 0; i < RoundTripsPerRound; i++)
            {
                p[n + i] = plain.RoundTrip();
            }

            for (int i = 0; i < RoundTripsPerRound; i++)
            {
                a[n + i] = authenticated.RoundTrip();
            }

            n += RoundTripsPerRound;
        }

        if (authenticated.Island.Counters.AuthForged + authenticated.Agent.Counters.AuthForged != 0 || authenticated.Island.Counters.Received < Rounds * RoundTripsPerRound)
        {
            throw new InvalidOperationException("authenticated bench traffic was rejected");
        }

        Array.Sort(p);
        Array.Sort(a);
        return (p, a);
    }
}
