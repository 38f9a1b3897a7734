// The cost of the authenticated link (issue 15, docs/link.md "Authentication"), measured in the same
// run as the transport: Ping/Pong round trips between an agent and an island LinkSession joined
// directly (no transport, so only the session's own work is timed), with and without
// authentication, in interleaved rounds so every variant sees the same machine load:
//   plain      no authentication (the baseline);
//   deployed   both ends as island-agent and island-sim run: the shared HMAC-SHA256 (HmacLinkAuthenticator,
//              IslandLinkAuthenticator) on the host's SHA-256 block function (LibcryptoSha256Block.Select:
//              libcrypto's SHA256_Transform, SHA-NI on this CPU; the software one if it is missing);
//   firmware   both ends on the software block function (ScalarSha256Block): an MCU without a hash
//              accelerator, and an upper bound.
// A round trip with authentication computes four tags: the agent's Ping, its check on the island,
// the island's Pong, its check on the agent. Round trips with a 16-byte and a 400-byte Ping payload
// (the largest Ping), and the one-way rate of AliveIndications (the agent's most frequent message:
// tagged by the agent, verified by the island, no answer).
using System;
using System.Diagnostics;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Crypto;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Link.Bench;

internal static class SessionAuthBench
{
    private const int Rounds = 8;
    private const int RoundTripsPerRound = 5_000;
    private const int OneWayPerRound = 50_000;

    public enum Variant
    {
        Plain = 0,
        Deployed = 1,
        Firmware = 2,
    }

    public static readonly string[] VariantNames = { "plain", "deployed", "firmware" };

    /// <summary>The SHA-256 block function the deployed variant uses (and the line saying which).</summary>
    public static string HostBlockFunctionLine { get; private set; } = "";
    private static readonly ISha256Block HostBlockFunction = LibcryptoSha256Block.Select(line => HostBlockFunctionLine = line);

    /// <summary>Round-trip times (sorted, µs) per variant and payload, and one-way messages/s per variant.</summary>
    public sealed class Results
    {
        public readonly double[][] Rtt16 = new double[3][];
        public readonly double[][] Rtt400 = new double[3][];
        public readonly double[] OneWayPerSecond = new double[3];
    }

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

        public Pair(Variant variant)
        {
            byte[] key = new byte[32];
            new Random(15).NextBytes(key);
            var toIsland = new Direct();
            var toAgent = new Direct();
            ISha256Block? blockFunction = variant switch
            {
                Variant.Deployed => HostBlockFunction,
                Variant.Firmware => new ScalarSha256Block(),
                _ => null,
            };
            Agent = new LinkSession(Role.Agent, 0xA1, new SessionSettings
            {
                Authenticator = blockFunction == null ? null : new HmacLinkAuthenticator(key, blockFunction),
                PeerTimeoutMs = int.MaxValue,
                KeepaliveIntervalMs = int.MaxValue,
            }, toIsland, new Quiet());
            Island = new LinkSession(Role.Island, 0x15, new SessionSettings
            {
                Authenticator = blockFunction == null ? null : new IslandLinkAuthenticator(key, blockFunction),
                PeerTimeoutMs = int.MaxValue,
            }, toAgent, new Quiet());
            toIsland.Peer = Island;
            toAgent.Peer = Agent;
            Island.TransportUp(0);
            Agent.TransportUp(0);
            if (Agent.State != SessionState.Up || Agent.Authenticated != (variant != Variant.Plain))
            {
                throw new InvalidOperationException("bench sessions did not come up as asked (" + VariantNames[(int)variant] + ")");
            }
        }

        /// <summary>One Ping answered by a Pong, in µs.</summary>
        public double RoundTrip(int payloadBytes)
        {
            Envelope ping = Agent.Outgoing;
            ping.SetBody(EnvelopeBody.Ping);
            ping.Ping.TimestampUs = 1;
            ping.Ping.PayloadLength = payloadBytes;
            long start = Stopwatch.GetTimestamp();
            Agent.Send(ping);
            // Stopwatch ticks, not TimeSpan (whose 100 ns ticks would round every sample).
            return (Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency;
        }

        /// <summary>Sends <paramref name="count"/> AliveIndications one way; returns messages per second.</summary>
        public double OneWay(int count)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                Envelope alive = Agent.Outgoing;
                alive.SetBody(EnvelopeBody.AliveIndication);
                alive.AliveIndication.EntityId = 0;
                alive.AliveIndication.Count = 1;
                Agent.Send(alive);
            }

            return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }

    public static Results Run()
    {
        var pairs = new[] { new Pair(Variant.Plain), new Pair(Variant.Deployed), new Pair(Variant.Firmware) };
        foreach (Pair pair in pairs)
        {
            for (int i = 0; i < 20_000; i++)
            {
                pair.RoundTrip(16);
            }

            pair.RoundTrip(Ping.PayloadMaxLength);
            pair.OneWay(10_000);
        }

        var results = new Results();
        var oneWay = new double[3][];
        for (int v = 0; v < 3; v++)
        {
            results.Rtt16[v] = new double[Rounds * RoundTripsPerRound];
            results.Rtt400[v] = new double[Rounds * RoundTripsPerRound];
            oneWay[v] = new double[Rounds];
        }

        int n = 0;
        for (int round = 0; round < Rounds; round++)
        {
            for (int v = 0; v < 3; v++)
            {
                for (int i = 0; i < RoundTripsPerRound; i++)
                {
                    results.Rtt16[v][n + i] = pairs[v].RoundTrip(16);
                }

                for (int i = 0; i < RoundTripsPerRound; i++)
                {
                    results.Rtt400[v][n + i] = pairs[v].RoundTrip(Ping.PayloadMaxLength);
                }

                oneWay[v][round] = pairs[v].OneWay(OneWayPerRound);
            }

            n += RoundTripsPerRound;
        }

        for (int v = 0; v < 3; v++)
        {
            SessionCounters island = pairs[v].Island.Counters;
            SessionCounters agent = pairs[v].Agent.Counters;
            long rejected = island.AuthForged + island.AuthTruncated + island.AuthReplayed + island.AuthReordered
                + agent.AuthForged + agent.AuthTruncated + agent.AuthReplayed + agent.AuthReordered;
            if (rejected != 0 || island.Received < Rounds * (2 * RoundTripsPerRound + OneWayPerRound))
            {
                throw new InvalidOperationException("bench traffic (" + VariantNames[v] + ") was rejected: " + rejected + " messages");
            }

            Array.Sort(results.Rtt16[v]);
            Array.Sort(results.Rtt400[v]);
            Array.Sort(oneWay[v]);
            results.OneWayPerSecond[v] = oneWay[v][Rounds / 2];   // the median round
        }

        return results;
    }
}
