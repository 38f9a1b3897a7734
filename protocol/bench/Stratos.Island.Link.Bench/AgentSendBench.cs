// The agent's send path of one link message (issue 17, "one encode per link message"), timed in one
// run against the path it replaced, on a real agent LinkSession whose transport drops the bytes (so
// only the encoding work and the session's framing are timed):
//   before   Google.Protobuf encodes the Envelope to a new byte array, the island codec decodes it
//            into the session's reusable Envelope, LinkSession.Send encodes it again (the old
//            EnvelopeConversion.TryToCodec, rebuilt here as the baseline);
//   after    Google.Protobuf encodes once into the link buffer (EnvelopeConversion.TryEncode),
//            LinkSession.SendEncoded writes version and sequence around it (what IslandLink does for
//            the agent's own messages; an operator's request adds the codec's limit check).
// Messages: an AliveIndication (the agent's most frequent) and a VmStateReport with a 64-byte detail
// (the largest it posts). Interleaved rounds; the median round gives ns per message. Prints one JSON line.
using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Google.Protobuf;
using Stratos.Island.Agent.Link;
using Stratos.Island.Codec;
using Stratos.Island.Link.Session;
using Proto = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Link.Bench;

internal static class AgentSendBench
{
    private const int Rounds = 9;
    private const int MessagesPerRound = 200_000;

    private sealed class Answering : IMessageTransport
    {
        public LinkSession? Peer;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            Peer?.OnMessage(buffer, offset, count, 0);
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

        public void OnEnvelope(Stratos.Island.Codec.Link.Envelope envelope)
        {
        }

        public void OnRequestTimeout(uint correlationId)
        {
        }
    }

    /// <summary>An agent session brought up by a real island session, then cut loose (its sends go nowhere).</summary>
    private static LinkSession UpSession()
    {
        var toIsland = new Answering();
        var toAgent = new Answering();
        var agent = new LinkSession(Role.Agent, 0xA1, new SessionSettings { PeerTimeoutMs = int.MaxValue, KeepaliveIntervalMs = int.MaxValue }, toIsland, new Quiet());
        var island = new LinkSession(Role.Island, 0x15, new SessionSettings { PeerTimeoutMs = int.MaxValue }, toAgent, new Quiet());
        toIsland.Peer = island;
        toAgent.Peer = agent;
        island.TransportUp(0);
        agent.TransportUp(0);
        if (agent.State != SessionState.Up)
        {
            throw new InvalidOperationException("bench session did not come up");
        }

        toIsland.Peer = null;
        return agent;
    }

    public static int Run()
    {
        var alive = new Proto.Envelope { AliveIndication = new Proto.AliveIndication { EntityId = 0, Count = 1 } };
        var report = new Proto.Envelope
        {
            VmStateReport = new Proto.VmStateReport { VmId = 2, State = Proto.ObservedVmState.Running, DirectiveId = 77, Detail = new string('d', 64) },
        };
        var before = new double[2][];
        var after = new double[2][];
        Proto.Envelope[] messages = { alive, report };
        for (int m = 0; m < messages.Length; m++)
        {
            LinkSession oldSession = UpSession();
            LinkSession newSession = UpSession();
            byte[] buffer = new byte[LinkLimits.MaxPayloadBytes];
            Proto.Envelope message = messages[m];
            void Before()
            {
                byte[] bytes = message.ToByteArray();
                if (oldSession.Outgoing.Decode(bytes, 0, bytes.Length) != CodecStatus.Ok || oldSession.Send(oldSession.Outgoing) != LinkSendStatus.Ok)
                {
                    throw new InvalidOperationException("before: not sent");
                }
            }

            void After()
            {
                if (!EnvelopeConversion.TryEncode(message, buffer, out int size, out string problem) || newSession.SendEncoded(buffer, 0, size) != LinkSendStatus.Ok)
                {
                    throw new InvalidOperationException("after: not sent " + problem);
                }
            }

            Time(Before, MessagesPerRound);   // warm-up
            Time(After, MessagesPerRound);
            before[m] = new double[Rounds];
            after[m] = new double[Rounds];
            for (int round = 0; round < Rounds; round++)
            {
                before[m][round] = Time(Before, MessagesPerRound);
                after[m][round] = Time(After, MessagesPerRound);
            }
        }

        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        double Median(double[] values) => values.OrderBy(v => v).ElementAt(values.Length / 2);
        string[] names = { "alive", "state_report" };
        for (int m = 0; m < 2; m++)
        {
            Console.Error.WriteLine($"{names[m],-13} before {F(Median(before[m]))} ns/message, after {F(Median(after[m]))} ns/message");
        }

        Console.WriteLine("{\"benchmark\":\"agent-send\",\"unit\":\"ns_per_message\""
            + string.Concat(Enumerable.Range(0, 2).Select(m => $",\"{names[m]}_before\":{F(Median(before[m]))},\"{names[m]}_after\":{F(Median(after[m]))},\"{names[m]}_ratio\":{(Median(after[m]) / Median(before[m])).ToString("0.00", CultureInfo.InvariantCulture)}"))
            + "}");
        return 0;
    }

    private static double Time(Action send, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            send();
        }

        return Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1e6 / count;
    }
}
