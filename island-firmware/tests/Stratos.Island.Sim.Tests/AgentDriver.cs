using System;
using System.Collections.Generic;
using System.Diagnostics;
using Stratos.Island.Codec;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;
using LinkPb = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Sim.Tests;

// The host agent's side as the tests play it: SharedMemoryLinkPort.OpenDriver + a LinkSession in the
// agent role + codec Envelopes, on the test thread. Every message from the island is also decoded
// with Google.Protobuf and recorded (HelloAck included, which the session keeps to itself). While
// pumping it sends the agent's alive indications (entity 0) and those of the VMs in AliveVms, ten per
// second each, as the real agent would.
public sealed class AgentDriver : IDisposable, ISessionListener, IRpmsgSink, ILinkEventSink, IMessageTransport
{
    public const string Channel = "stratos-island";
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly SharedMemoryLinkPort _port;
    private readonly RpmsgSessionLink _glue;
    private readonly RpmsgEndpoint _endpoint;
    private long _lastAliveMs;

    public AgentDriver(string shmPath, string kickSocket, ulong bootId, int openTimeoutMs = 10_000)
    {
        _glue = new RpmsgSessionLink(Role.Agent, Channel, () => _clock.ElapsedMilliseconds, null);
        Session = new LinkSession(Role.Agent, bootId, new SessionSettings { BoardId = "virtual" }, this, this);
        _glue.Session = Session;
        _port = SharedMemoryLinkPort.OpenDriver(shmPath, kickSocket, LinkLayout.CreateOpenAmpLinuxReference(), 0, openTimeoutMs, null, this);
        _endpoint = _port.Link.CreateEndpoint(Channel, RpmsgHeader.AddressAny, this);
        _glue.Endpoint = _endpoint;
        _port.Link.Start();
    }

    public LinkSession Session { get; }

    /// <summary>The driver's port (its mapping of the island's file, its RpmsgLink and counters).</summary>
    public SharedMemoryLinkPort Port => _port;

    public List<LinkPb.Envelope> Received { get; } = new();

    public List<LinkPb.HelloAck> HelloAcks { get; } = new();

    // Stopwatch timestamps of OnSessionUp calls with their peerRestarted flag.
    public List<(long Ticks, bool Restarted)> Ups { get; } = new();

    public HashSet<uint> AliveVms { get; } = new();

    // Link and session events with their Stopwatch timestamps, for the recovery figures.
    public List<(long Ticks, string What)> Trace { get; } = new();

    // Wall-clock time of each OnSessionUp (compared with island-sim's log time stamps).
    public List<DateTime> UpsUtc { get; } = new();

    // False: the agent stops its own alive indications (a hung agent, as far as the island can tell).
    public bool SendAgentAlive { get; set; } = true;

    public bool IsUp => Session.State == SessionState.Up;

    public long NowMs => _clock.ElapsedMilliseconds;

    // Services the link for timeoutMs or until done() holds; false on time-out.
    public bool PumpUntil(Func<bool> done, int timeoutMs)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!done())
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            _port.WaitAndPoll(2);
            Session.Poll(NowMs);
            if (IsUp && NowMs - _lastAliveMs >= 100)
            {
                _lastAliveMs = NowMs;
                if (SendAgentAlive)
                {
                    SendAlive(0);
                }

                foreach (uint vm in AliveVms)
                {
                    SendAlive(vm);
                }
            }
        }

        return true;
    }

    public void Pump(int ms) => PumpUntil(() => false, ms);

    public LinkSendStatus Send(Action<Codec.Link.Envelope> fill, uint correlationId)
    {
        Codec.Link.Envelope e = Session.Outgoing;
        fill(e);
        e.CorrelationId = correlationId;
        return Session.Send(e);
    }

    private void SendAlive(uint entity) => Send(e =>
    {
        e.SetBody(Codec.Link.EnvelopeBody.AliveIndication);
        e.AliveIndication.EntityId = entity;
        e.AliveIndication.Count = 1;
    }, 0);

    // ISessionListener
    public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version)
    {
        Ups.Add((Stopwatch.GetTimestamp(), peerRestarted));
        UpsUtc.Add(DateTime.UtcNow);
        Trace.Add((Stopwatch.GetTimestamp(), "session up"));
    }

    public void OnSessionDown(SessionDownReason reason, string detail)
    {
    }

    public void OnEnvelope(Codec.Link.Envelope envelope)
    {
    }

    public void OnRequestTimeout(uint correlationId)
    {
    }

    // IRpmsgSink: record, then hand to the session.
    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
    {
        LinkPb.Envelope parsed = LinkPb.Envelope.Parser.ParseFrom(buffer, offset, length);
        if (parsed.BodyCase == LinkPb.Envelope.BodyOneofCase.HelloAck)
        {
            Trace.Add((Stopwatch.GetTimestamp(), "HelloAck"));
            HelloAcks.Add(parsed.HelloAck);
        }
        else if (parsed.BodyCase is not (LinkPb.Envelope.BodyOneofCase.Pong or LinkPb.Envelope.BodyOneofCase.Ping))
        {
            Received.Add(parsed);
        }

        _glue.OnMessage(source, destination, buffer, offset, length);
    }

    // ILinkEventSink
    public void OnLinkUp()
    {
        Trace.Add((Stopwatch.GetTimestamp(), "link up"));
        _glue.OnLinkUp();
    }

    public void OnLinkDown(string reason)
    {
        Trace.Add((Stopwatch.GetTimestamp(), "link down: " + reason));
        _glue.OnLinkDown(reason);
    }

    public void OnRemoteChannel(string name, uint address, bool created)
    {
        Trace.Add((Stopwatch.GetTimestamp(), "island announced " + name));
        _glue.OnRemoteChannel(name, address, created);
    }

    // IMessageTransport
    public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
    {
        LinkSendStatus status = _glue.TrySend(buffer, offset, count);
        if (Session.State != SessionState.Up)
        {
            Trace.Add((Stopwatch.GetTimestamp(), "send while connecting: " + status));
        }

        return status;
    }

    public void Dispose() => _port.Dispose();
}
