using System;
using System.Collections.Generic;
using System.Diagnostics;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Conformance.Tests;

/// <summary>
/// The kit's side of the link: the virtio driver of the OpenAMP Linux reference layout and one rpmsg
/// endpoint (docs/spec/link/transport.rst), and raw link Envelopes encoded with the generated
/// protobuf types, so that a test controls every byte the specification lets an agent send: no
/// session layer of the project sits in between. Each instance is a new agent (new rings, new boot
/// id). While it waits, it sends the agent's own alive indication (entity 0) every 100 ms once a
/// session is up, as the specification asks of an agent.
/// </summary>
public sealed class KitAgent : IDisposable, IRpmsgSink, ILinkEventSink
{
    public const int AnswerTimeoutMs = 3000;
    private readonly SharedMemoryLinkPort _port;
    private readonly RpmsgEndpoint _endpoint;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastAliveMs;
    private bool _announced;
    private uint _sequence;

    public KitAgent()
    {
        BootId = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        _port = SharedMemoryLinkPort.OpenDriver(IslandUnderTest.ShmPath, IslandUnderTest.KickSocket, LinkLayout.CreateOpenAmpLinuxReference(),
            0, 20_000, null, this);
        _endpoint = _port.Link.CreateEndpoint(IslandUnderTest.Channel, RpmsgHeader.AddressAny, this);
        _port.Link.Start();
        if (!PumpUntil(() => _announced, 20_000))
        {
            throw new AssertFailedException("the " + IslandUnderTest.Description + " did not announce channel '" + IslandUnderTest.Channel
                + "' through the name service within 20 s");
        }
    }

    public ulong BootId { get; }

    public bool SessionUp { get; private set; }

    /// <summary>Everything the island sent, in arrival order.</summary>
    public List<Envelope> Received { get; } = new();

    /// <summary>Sends a Hello and waits for its HelloAck; the session is then up.</summary>
    public HelloAck OpenSession(uint minVersion = 1, uint maxVersion = 1)
    {
        _sequence = 0;
        Send(Hello(minVersion, maxVersion));
        HelloAck ack = WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.HelloAck, "a HelloAck to the Hello").HelloAck;
        SessionUp = true;
        return ack;
    }

    public Envelope Hello(uint minVersion, uint maxVersion) => new()
    {
        Hello = new Hello
        {
            Role = Role.Agent, MinVersion = minVersion, MaxVersion = maxVersion, BootId = BootId, BoardId = "conformance",
            ResetReason = Protocol.Common.V1.ResetReason.ProcessStart, SoftwareVersion = "conformance-kit",
        },
    };

    /// <summary>Numbers the Envelope (protocol version 1, next sequence) and sends it; returns its sequence.</summary>
    public uint Send(Envelope envelope)
    {
        envelope.ProtocolVersion = 1;
        envelope.Sequence = ++_sequence;
        SendRaw(envelope.ToByteArray());
        return envelope.Sequence;
    }

    /// <summary>Sends bytes as one rpmsg message, as they are.</summary>
    public void SendRaw(byte[] bytes)
    {
        LinkSendStatus status = _endpoint.TrySendToRemote(bytes, 0, bytes.Length);
        if (status != LinkSendStatus.Ok)
        {
            throw new AssertFailedException("the kit could not send " + bytes.Length + " bytes to the island: " + status);
        }
    }

    /// <summary>Pumps until an Envelope matching match arrives (also one received earlier and not yet taken).</summary>
    public Envelope WaitFor(Func<Envelope, bool> match, string what, int timeoutMs = AnswerTimeoutMs)
    {
        Envelope? found = null;
        int taken = 0;
        PumpUntil(() =>
        {
            for (; taken < Received.Count; taken++)
            {
                if (match(Received[taken]))
                {
                    found = Received[taken];
                    return true;
                }
            }

            return false;
        }, timeoutMs);
        return found ?? throw new AssertFailedException("the " + IslandUnderTest.Description + " sent no " + what + " within " + timeoutMs
            + " ms; it sent: " + Summary());
    }

    /// <summary>Every Envelope answering correlationId up to and including the first that satisfies last.</summary>
    public List<Envelope> Answer(uint correlationId, Func<Envelope, bool> last, string what, int timeoutMs = AnswerTimeoutMs)
    {
        Envelope closing = WaitFor(e => e.CorrelationId == correlationId && last(e), what, timeoutMs);
        var answer = new List<Envelope>();
        foreach (Envelope e in Received)
        {
            if (e.CorrelationId == correlationId)
            {
                answer.Add(e);
            }

            if (ReferenceEquals(e, closing))
            {
                break;
            }
        }

        return answer;
    }

    public void Pump(int ms) => PumpUntil(() => false, ms);

    /// <summary>Bytes of the shared window (the resource table lives at its start).</summary>
    public byte[] ReadShared(int offset, int count)
    {
        byte[] bytes = new byte[count];
        _port.Memory.ReadBytes(offset, bytes, 0, count);
        return bytes;
    }

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
            if (SessionUp && _clock.ElapsedMilliseconds - _lastAliveMs >= 100)
            {
                _lastAliveMs = _clock.ElapsedMilliseconds;
                Send(new Envelope { AliveIndication = new AliveIndication { EntityId = 0, Count = 1 } });
            }
        }

        return true;
    }

    public string Summary()
    {
        var parts = new List<string>();
        foreach (Envelope e in Received)
        {
            parts.Add(e.BodyCase + (e.BodyCase == Envelope.BodyOneofCase.Error ? "(" + e.Error.Code + ": " + e.Error.Message + ")" : ""));
        }

        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }

    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
    {
        try
        {
            Received.Add(Envelope.Parser.ParseFrom(buffer, offset, length));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new AssertFailedException("the island sent " + length + " bytes that are not a link Envelope: " + e.Message);
        }
    }

    public void OnLinkUp()
    {
    }

    public void OnLinkDown(string reason) => SessionUp = false;

    public void OnRemoteChannel(string name, uint address, bool created)
    {
        if (created && name == IslandUnderTest.Channel)
        {
            _announced = true;
        }
    }

    public void Dispose() => _port.Dispose();
}
