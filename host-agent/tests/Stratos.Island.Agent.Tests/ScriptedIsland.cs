using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Stratos.Island.Agent.Link;

using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using CodecEnvelope = Stratos.Island.Codec.Link.Envelope;
using ProtoEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The island side of a real shared-memory link (SharedMemoryLinkPort.OpenDevice) with a real
/// island-role LinkSession, answering with a script: the test decides what each request gets.
/// Everything the agent sends is recorded. Stands in for island-sim until it lands; the wire, the
/// rings and the session are the production code.
/// </summary>
public sealed class ScriptedIsland : IAsyncDisposable, ISessionListener, ILinkEventSink, IRpmsgSink, IMessageTransport
{
    public const string ChannelName = "stratos-island";

    private readonly SharedMemoryLinkPort _port;
    private readonly RpmsgEndpoint _endpoint;
    private readonly LinkSession _session;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<ProtoEnvelope> _outbox = new();
    private readonly ConcurrentQueue<byte[]> _rawOutbox = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly byte[] _encode = new byte[512];
    private volatile bool _stop;

    public ScriptedIsland(string directory, ulong bootId = 0)
    {
        ShmPath = Path.Combine(directory, "shm");
        KickPath = Path.Combine(directory, "kick");
        _port = SharedMemoryLinkPort.OpenDevice(ShmPath, KickPath, LinkLayout.CreateOpenAmpLinuxReference(), 0, null, this);
        _endpoint = _port.Link.CreateEndpoint(ChannelName, RpmsgHeader.AddressAny, this);
        _port.Link.Start();
        BootId = bootId != 0 ? bootId : unchecked((ulong)Random.Shared.NextInt64()) | 1;
        _session = new LinkSession(Stratos.Island.Codec.Role.Island, BootId, new SessionSettings { BoardId = "virtual", SoftwareVersion = "scripted", SupervisionCycleMs = 10 }, this, this);
        _thread = new Thread(Run) { IsBackground = true, Name = "scripted-island" };
        _thread.Start();
    }

    public string ShmPath { get; }
    public string KickPath { get; }
    public ulong BootId { get; }

    /// <summary>The supervision status the island reports on StatusRequest.</summary>
    public SupervisionStatus Supervision { get; set; } = new() { Global = GlobalStatus.Ok, Cycle = 42, Entities = { new EntityStatus { EntityId = 0, Status = LocalStatus.Ok } } };

    /// <summary>VMs the island reports on StatusRequest.</summary>
    public ConcurrentDictionary<uint, VmStatus> Vms { get; } = new();

    /// <summary>Answer to a VmRequest; null = accept (and send the status change), or a refusal.</summary>
    public Func<VmRequest, RequestResult?>? OnVmRequest { get; set; }

    /// <summary>Definitions sent as blobs on StatusRequest(include_definitions).</summary>
    public List<VmDefinition> Definitions { get; } = new();

    /// <summary>When true, an accepted START request is followed by a START directive (as the island does).</summary>
    public bool DirectOnStart { get; set; }

    private uint _nextDirective = 1000;

    /// <summary>When false, requests get no answer at all (time-out tests).</summary>
    public bool Answering { get; set; } = true;

    /// <summary>When true the island's loop stops servicing its link altogether (a hung island: no
    /// answers, no keepalive Pongs), until set false again.</summary>
    public volatile bool Frozen;

    /// <summary>LogRead requests still to leave unanswered (an answer lost in a full ring).</summary>
    public int LogReadsToIgnore;

    /// <summary>The island session's counters (decode errors, duplicates, ...).</summary>
    public SessionCounters SessionCounters => _session.Counters;

    /// <summary>Every application message the agent sent.</summary>
    public ConcurrentQueue<ProtoEnvelope> Received { get; } = new();

    /// <summary>Called on the island thread for every message from the agent (timing probes).</summary>
    public Action<ProtoEnvelope>? Observer { get; set; }

    public int SessionsUp;

    /// <summary>
    /// The island's event log as LogRead answers it: records 1..10 ("event N", VM 1 state changes)
    /// to begin with; every Event sent live with <see cref="Send"/> is written into it first, so a
    /// read-back (the feed's gap and tail checks) sees what was sent, as on a real island.
    /// </summary>
    public SortedDictionary<uint, Event> Log { get; } = new(Enumerable.Range(1, 10).ToDictionary(
        s => (uint)s, s => new Event { Sequence = (uint)s, Type = EventType.VmState, SubjectId = 1, Detail = "event " + s }));

    /// <summary>Queues a message for the agent (sent from the island thread); an Event goes into <see cref="Log"/> too.</summary>
    public void Send(ProtoEnvelope message)
    {
        if (message.Event is { } e)
        {
            lock (Log)
            {
                Log[e.Sequence] = e.Clone();
            }
        }

        _outbox.Enqueue(message);
    }

    /// <summary>Queues bytes for the agent as one rpmsg message, as they are: no session framing.</summary>
    public void SendRaw(byte[] bytes) => _rawOutbox.Enqueue(bytes);

    public async Task WaitForAsync(Func<bool> condition, string what, int timeoutMs = 5000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("scripted island: timed out waiting for " + what);
            }

            await Task.Delay(5);
        }
    }

    private void Run()
    {
        while (!_stop)
        {
            if (Frozen)
            {
                Thread.Sleep(1);
                continue;
            }

            _port.WaitAndPoll(1);
            long now = _clock.ElapsedMilliseconds;
            _session.Poll(now);
            while (_session.State == SessionState.Up && _outbox.TryDequeue(out ProtoEnvelope? message))
            {
                SendNow(message);
            }

            while (_session.State == SessionState.Up && _rawOutbox.TryDequeue(out byte[]? raw))
            {
                TrySend(raw, 0, raw.Length);
            }
        }
    }

    private void SendNow(ProtoEnvelope message)
    {
        // The agent's send path on the island's side of the session: one Google.Protobuf encode,
        // checked against the codec's limits, framed by LinkSession.SendEncoded.
        byte[] buffer = new byte[Stratos.Island.Codec.LinkLimits.MaxPayloadBytes];
        if (!EnvelopeConversion.TryEncode(message, buffer, out int size, out string problem)
            || !EnvelopeConversion.WithinLimits(message, buffer, size, _session.Outgoing, out problem))
        {
            throw new InvalidOperationException(problem);
        }

        _session.SendEncoded(buffer, 0, size);
    }

    public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version) => Interlocked.Increment(ref SessionsUp);

    public void OnSessionDown(SessionDownReason reason, string detail)
    {
    }

    public void OnEnvelope(CodecEnvelope envelope)
    {
        envelope.Encode(_encode, 0, _encode.Length, out int written);
        ProtoEnvelope message = ProtoEnvelope.Parser.ParseFrom(_encode, 0, written);
        Received.Enqueue(message);
        Observer?.Invoke(message);
        if (!Answering)
        {
            return;
        }

        uint id = message.CorrelationId;
        switch (message.BodyCase)
        {
            case ProtoEnvelope.BodyOneofCase.StatusRequest:
                foreach (VmStatus vm in Vms.Values)
                {
                    SendNow(new ProtoEnvelope { CorrelationId = id, VmStatus = vm });
                }

                SendNow(new ProtoEnvelope { CorrelationId = id, SupervisionStatus = Supervision.Clone() });
                SendNow(new ProtoEnvelope { CorrelationId = id, PowerDomainStatus = new PowerDomainStatus { DomainId = 1, Name = "vm-base", State = PowerState.On, Criticality = Criticality.AsilB } });
                if (message.StatusRequest.IncludeDefinitions)
                {
                    uint transfer = 100;
                    foreach (VmDefinition d in Definitions)
                    {
                        SendBlob(transfer++, d.ToByteArray());
                    }
                }

                SendNow(new ProtoEnvelope { CorrelationId = id, RequestResult = new RequestResult { Accepted = true } });
                break;
            case ProtoEnvelope.BodyOneofCase.VmRequest:
                RequestResult? refusal = OnVmRequest?.Invoke(message.VmRequest);
                if (refusal is null && Vms.TryGetValue(message.VmRequest.VmId, out VmStatus? status))
                {
                    VmStatus changed = status.Clone();
                    changed.State = message.VmRequest.Action == VmAction.Start ? VmState.Starting : VmState.Stopping;
                    Vms[changed.VmId] = changed;
                    SendNow(new ProtoEnvelope { VmStatus = changed });
                }

                SendNow(new ProtoEnvelope { CorrelationId = id, RequestResult = refusal ?? new RequestResult { Accepted = true, SubjectId = message.VmRequest.VmId } });
                if (refusal is null && DirectOnStart && message.VmRequest.Action == VmAction.Start)
                {
                    SendNow(new ProtoEnvelope { VmDirective = new VmDirective { DirectiveId = _nextDirective++, VmId = message.VmRequest.VmId, Action = DirectiveAction.Start, TimeoutMs = 10000, Reason = "operator" } });
                }

                break;
            case ProtoEnvelope.BodyOneofCase.LogRead:
                if (LogReadsToIgnore > 0)
                {
                    LogReadsToIgnore--;
                    break;
                }

                // Three records a chunk, from the requested sequence on.
                LogChunk chunk;
                lock (Log)
                {
                    uint from = Math.Max(Log.Keys.First(), message.LogRead.FromSequence);
                    uint next = Log.Keys.Last() + 1;
                    chunk = new LogChunk { FirstAvailable = Log.Keys.First(), NextSequence = Math.Min(from + 3, next), End = from + 3 >= next };
                    for (uint s = from; s < chunk.NextSequence; s++)
                    {
                        if (Log.TryGetValue(s, out Event? record))
                        {
                            chunk.Records.Add(record.Clone());
                        }
                    }
                }

                SendNow(new ProtoEnvelope { CorrelationId = id, LogChunk = chunk });
                break;
        }
    }

    private void SendBlob(uint transfer, byte[] blob)
    {
        uint crc = Stratos.Island.Codec.Crc32.Compute(blob, 0, blob.Length);
        for (int offset = 0; offset < blob.Length; offset += 300)
        {
            int count = Math.Min(300, blob.Length - offset);
            SendNow(new ProtoEnvelope
            {
                BlobChunk = new BlobChunk { TransferId = transfer, Kind = BlobKind.VmDefinition, TotalLength = (uint)blob.Length, Offset = (uint)offset, Data = ByteString.CopyFrom(blob, offset, count), Crc32 = crc },
            });
        }
    }

    public void OnRequestTimeout(uint correlationId)
    {
    }

    // As island-sim (RpmsgSessionLink): the session's transport follows the link itself. It used to
    // wait for the agent's address as well, which is learned from the agent's first message: a Hello
    // handled before that check ran was answered, and the late TransportUp then reset the session
    // the agent already had (the agent saw "no session at the island" and re-connected).
    public void OnLinkUp() => _session.TransportUp(_clock.ElapsedMilliseconds);

    public void OnLinkDown(string reason) => _session.TransportDown(reason);

    public void OnRemoteChannel(string name, uint address, bool created)
    {
    }

    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length) =>
        _session.OnMessage(buffer, offset, length, _clock.ElapsedMilliseconds);

    public LinkSendStatus TrySend(byte[] buffer, int offset, int count) => _endpoint.TrySendToRemote(buffer, offset, count);

    public ValueTask DisposeAsync()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _port.Dispose();
        try
        {
            File.Delete(ShmPath);
            File.Delete(KickPath);
        }
        catch (IOException)
        {
            // Already gone.
        }

        return ValueTask.CompletedTask;
    }
}
