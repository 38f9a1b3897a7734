// The agent's end of the island link: one dedicated thread owns the transport (ILinkChannel) and the
// LinkSession (Role.Agent); everything else in the agent talks to it through a thread-safe API.
//
// Thread model (why): LinkSession and the transports are single-threaded by design (no locks on the
// island side), so the agent gives them one thread, like the island's main loop. Callers never touch
// them: requests and posts go through a queue the link thread drains on every turn (at most
// LoopTurnMs later); received messages are raised as events on the link thread, so handlers must be
// quick and never block (the state cache updates in place; the directive executor hands work to a
// task).
//
// States: Disconnected (no channel: the island's device/file is not there; reopened every
// ReopenDelayMs) -> Connecting (channel up, Hello sent by the session) -> Up (HelloAck) -> back to
// Connecting on a keepalive time-out or peer restart, to Disconnected when the channel fails.
//
// Requests (RequestAsync): the link thread assigns a correlation id, registers it with
// LinkSession.TrackRequest (the session times it out), sends, and collects every message the island
// sends back with that id until the closing one (ReplyShape). A refused request (RequestResult with
// accepted = false) is still a reply: the caller decides what it means. Session down fails every
// pending request with UNAVAILABLE "island link is down (...)".
//
// Posts (Post): fire-and-forget messages (alive indications, checkpoints, state reports) go through a
// bounded queue; a full queue drops the message and counts it (PostsDropped): a caller never blocks
// on the island. A send the transport refuses (no TX buffer) is counted too (SendFailures).
//
// Own alive indication: while Up, AliveIndication(entity 0, count 1) every AliveIntervalMs (entity 0
// is the agent in the island's supervision).
//
// Staleness: every message from the island (keepalive Pongs included) stamps LastHeard. When the
// island has not been heard from for StaleAfterMs, or the session is not up, IsStale is true and the
// API marks what it serves from the island as stale, with its age, instead of showing it as current.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using CodecEnvelope = Stratos.Island.Codec.Link.Envelope;
using ProtoEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;

namespace Stratos.Island.Agent.Link;

/// <summary>Link state as shown to operators.</summary>
public enum IslandLinkState
{
    Disconnected = 0,
    Connecting = 1,
    Up = 2,
}

/// <summary>Tunables of the link, units in the names.</summary>
public sealed record IslandLinkOptions
{
    public string BoardId { get; init; } = string.Empty;
    public string SoftwareVersion { get; init; } = "0.1.0";
    public uint ConfigHash { get; init; }
    /// <summary>Period of the agent's own alive indication (entity 0).</summary>
    public int AliveIntervalMs { get; init; } = 100;
    /// <summary>Longest wait of one link-thread turn (bounds the latency of queued requests and posts).</summary>
    public int LoopTurnMs { get; init; } = 2;
    /// <summary>Delay between attempts to open the channel while the island is not there.</summary>
    public int ReopenDelayMs { get; init; } = 200;
    /// <summary>Default time the island has to answer a request.</summary>
    public int RequestTimeoutMs { get; init; } = 3000;
    /// <summary>LogRead: a page without end = true followed by this much silence closes the answer.</summary>
    public int LogPageGapMs { get; init; } = 150;
    /// <summary>Capacity of the post queue.</summary>
    public int PostQueueCapacity { get; init; } = 1024;
    public int KeepaliveIntervalMs { get; init; } = 100;
    public int PeerTimeoutMs { get; init; } = 1000;
    /// <summary>A channel open without a session this long (and every such period after) is logged as a warning naming the line's counters.</summary>
    public int NoSessionWarningMs { get; init; } = 10_000;
    /// <summary>Silence of the island after which served state is marked stale (several keepalives).</summary>
    public int StaleAfterMs { get; init; } = 500;
    /// <summary>The 32-byte board key (LinkKeyFile in Stratos.Island.Boards); null = the agent does not authenticate the link.</summary>
    public byte[]? BoardKey { get; init; }
    /// <summary>Refuse an island that does not authenticate (the board descriptor's link.require_authentication).</summary>
    public bool RequireAuthentication { get; init; }
}

/// <summary>What the session negotiated, for GetIslandInfo.</summary>
public sealed record IslandSessionInfo(ulong IslandBootId, ulong AgentBootId, uint Version, bool IslandRestarted, string Description)
{
    /// <summary>The island's software version from its HelloAck.</summary>
    public string IslandVersion { get; init; } = string.Empty;

    /// <summary>Why the island last booted, from its HelloAck.</summary>
    public Stratos.Island.Protocol.Common.V1.ResetReason IslandResetReason { get; init; }

    /// <summary>The island's supervision cycle from its HelloAck (0 when it did not say).</summary>
    public uint SupervisionCycleMs { get; init; }
}

/// <summary>Counters of the link, read from any thread.</summary>
public sealed record IslandLinkCounters(long MessagesSent, long MessagesReceived, long LinkErrors, long PostsDropped, long SendFailures, int Reconnects)
{
    /// <summary>Ring resets the agent asked for (it found the shared rings corrupt).</summary>
    public int RingResetsByAgent { get; init; }

    /// <summary>Ring resets the island asked for (DEVICE_NEEDS_RESET).</summary>
    public int RingResetsByIsland { get; init; }

    /// <summary>The current session tags and verifies every message (docs/link.md "Authentication").</summary>
    public bool Authenticated { get; init; }

    /// <summary>Messages from the island the authenticated session rejected (forged, replayed, reordered, truncated).</summary>
    public long AuthRejected { get; init; }
}

public sealed class IslandLink : IAsyncDisposable, ISessionListener, ILinkChannelSink, ILinkRejectionSink
{
    private readonly IslandLinkOptions _options;
    private readonly LinkChannelFactory _channelFactory;
    private readonly ILogger _logger;
    private readonly LinkSession _session;
    private readonly ConcurrentQueue<PendingRequest> _requests = new();
    private readonly ConcurrentQueue<ProtoEnvelope> _posts = new();
    private readonly Dictionary<uint, PendingRequest> _pending = new();
    private readonly BlobAssembler _blobs = new();
    private readonly byte[] _encoded = new byte[Stratos.Island.Codec.LinkLimits.MaxPayloadBytes];   // link thread: one Envelope at a time
    private readonly CodecEnvelope _limitCheck = new();
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile ILinkChannel? _channel;   // owned by the link thread; others only Wake() it
    private byte[]? _rawBuffer;
    private int _rawOffset;
    private int _rawCount;
    private int _postCount;
    private long _postsDropped;
    private long _sendFailures;
    private long _received;
    private int _reconnects;
    private int _state;
    private long _nextAliveMs;
    private long _connectingSinceMs = -1;   // link thread: when the open channel last lost (or never had) a session
    private long _nextNoSessionWarningMs;
    private string _lastDownReason = "opening the link to the island";
    private string _lastOpenError = string.Empty;
    private volatile IslandSessionInfo? _info;
    private long _lastHeardMs = -1;
    private int _ringResetsByAgent;
    private int _ringResetsByIsland;
    private LinkCounters? _transportCounters;
    private int _seenResetsByAgent;
    private int _seenResetsByIsland;

    public IslandLink(IslandLinkOptions options, LinkChannelFactory channelFactory, ILogger logger)
    {
        _options = options;
        _channelFactory = channelFactory;
        _logger = logger;
        AgentBootId = unchecked((ulong)Random.Shared.NextInt64()) | 1UL;
        var settings = new SessionSettings
        {
            BoardId = WireText.Fit(options.BoardId, Stratos.Island.Codec.Link.Hello.BoardIdMaxLength),
            SoftwareVersion = WireText.Fit(options.SoftwareVersion, Stratos.Island.Codec.Link.Hello.SoftwareVersionMaxLength),
            ConfigHash = options.ConfigHash,
            Capabilities = (uint)Capability.Blobs,
            KeepaliveIntervalMs = options.KeepaliveIntervalMs,
            PeerTimeoutMs = options.PeerTimeoutMs,
            MaxTrackedRequests = 64,
            Authenticator = options.BoardKey is null ? null : new HmacLinkAuthenticator(options.BoardKey, LibcryptoSha256Block.Select(line => logger.LogInformation("island link: {Detail}", line))),
            RequireAuthentication = options.RequireAuthentication,
            RejectionSink = this,
            // Application bodies are decoded once, by Google.Protobuf in OnEnvelope (the session only names them).
            DecodeApplicationBodies = false,
        };
        _session = new LinkSession(Stratos.Island.Codec.Role.Agent, AgentBootId, settings, new SessionTransport(this), this);
        _thread = new Thread(Run) { IsBackground = true, Name = "island-link" };
    }

    /// <summary>Raised on the link thread when a session comes up (after every (re)connection).</summary>
    public event Action<IslandSessionInfo>? SessionUp;

    /// <summary>Raised on the link thread when the session goes down, with the reason.</summary>
    public event Action<string>? SessionDown;

    public event Action<VmDirective>? DirectiveReceived;

    public event Action<VmStatus>? VmStatusReceived;

    public event Action<SupervisionStatus>? SupervisionStatusReceived;

    public event Action<PowerDomainStatus>? PowerStatusReceived;

    public event Action<Event>? EventReceived;

    /// <summary>A complete, CRC-checked blob (e.g. an encoded VmDefinition).</summary>
    public event Action<BlobKind, byte[]>? BlobReceived;

    public ulong AgentBootId { get; }

    public IslandLinkState State => (IslandLinkState)Volatile.Read(ref _state);

    public bool IsUp => State == IslandLinkState.Up;

    /// <summary>The current (or last) session, null before the first.</summary>
    public IslandSessionInfo? Session => _info;

    /// <summary>Why the link is not up, for error messages ("island link is down (...)").</summary>
    public string DownReason => State == IslandLinkState.Up ? string.Empty
        : State == IslandLinkState.Connecting ? "waiting for the island's HelloAck; last: " + _lastDownReason
        : _lastOpenError.Length > 0 ? _lastOpenError : _lastDownReason;

    public IslandLinkCounters Counters
    {
        get
        {
            SessionCounters c = _session.Counters;
            return new IslandLinkCounters(Interlocked.Read(ref c.Sent), Interlocked.Read(ref _received),
                Interlocked.Read(ref c.DecodeErrors) + Interlocked.Read(ref c.Duplicates) + Interlocked.Read(ref c.SendFailures),
                Interlocked.Read(ref _postsDropped), Interlocked.Read(ref _sendFailures), Volatile.Read(ref _reconnects))
            {
                RingResetsByAgent = Volatile.Read(ref _ringResetsByAgent),
                RingResetsByIsland = Volatile.Read(ref _ringResetsByIsland),
                Authenticated = _session.Authenticated && State == IslandLinkState.Up,
                AuthRejected = Interlocked.Read(ref c.AuthForged) + Interlocked.Read(ref c.AuthReplayed)
                    + Interlocked.Read(ref c.AuthReordered) + Interlocked.Read(ref c.AuthTruncated),
            };
        }
    }

    /// <summary>Milliseconds since the last message from the island; -1 before the first.</summary>
    public long LastHeardAgeMs
    {
        get
        {
            long heard = Interlocked.Read(ref _lastHeardMs);
            return heard < 0 ? -1 : Math.Max(0, NowMs - heard);
        }
    }

    /// <summary>The island has not been heard from within StaleAfterMs, or the session is not up.</summary>
    public bool IsStale
    {
        get
        {
            long age = LastHeardAgeMs;
            return !IsUp || age < 0 || age > _options.StaleAfterMs;
        }
    }

    public int StaleAfterMs => _options.StaleAfterMs;

    public void Start() => _thread.Start();

    /// <summary>
    /// Sends a request and waits for the island's answer (see the primer). Throws AgentException
    /// UNAVAILABLE when the link is down, DEADLINE_EXCEEDED when the island does not answer in time.
    /// </summary>
    public Task<LinkReply> RequestAsync(ProtoEnvelope request, ReplyShape shape, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!IsUp)
        {
            return Task.FromException<LinkReply>(LinkDown());
        }

        var pending = new PendingRequest(request, shape, (int)(timeout?.TotalMilliseconds ?? _options.RequestTimeoutMs));
        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
            _ = pending.Completion.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        _requests.Enqueue(pending);
        _channel?.Wake();
        return pending.Completion.Task;
    }

    /// <summary>
    /// Raised on the link thread right after a posted message went out to the transport (for the
    /// heartbeat trace's "link send" hop); handlers must be quick.
    /// </summary>
    public event Action<ProtoEnvelope>? PostSent;

    /// <summary>Queues a fire-and-forget message; false (counted) when the queue is full or the link is down.</summary>
    public bool Post(ProtoEnvelope message)
    {
        if (!IsUp)
        {
            Interlocked.Increment(ref _postsDropped);
            return false;
        }

        if (Interlocked.Increment(ref _postCount) > _options.PostQueueCapacity)
        {
            Interlocked.Decrement(ref _postCount);
            Interlocked.Increment(ref _postsDropped);
            return false;
        }

        _posts.Enqueue(message);
        _channel?.Wake();   // out now, not at the link thread's next turn (LoopTurnMs)
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }

        _channel?.Dispose();
        _channel = null;
        FailAll("the agent is shutting down");
    }

    // ------------------------------------------------------------------ link thread

    private long NowMs => _clock.ElapsedMilliseconds;

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (_channel is null && !TryOpen())
                {
                    FailQueued();
                    _stop.Token.WaitHandle.WaitOne(_options.ReopenDelayMs);
                    continue;
                }

                DrainQueues();
                _channel!.Pump(_options.LoopTurnMs);
                CountRingResets(_channel);
                long now = NowMs;
                _session.Poll(now);
                ClosePagedReplies(now);
                if (_session.State == SessionState.Up && now >= _nextAliveMs)
                {
                    _nextAliveMs = now + _options.AliveIntervalMs;
                    SendNow(new ProtoEnvelope { AliveIndication = new AliveIndication { EntityId = 0, Count = 1 } });
                }
                else if (_session.State == SessionState.Connecting && _connectingSinceMs >= 0 && now >= _nextNoSessionWarningMs)
                {
                    WarnNoSession(now);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogWarning("island link: {Channel} failed: {Error}; reopening", _channel?.Description ?? "channel", e.Message);
                CloseChannel(e.Message);
            }
        }

        CloseChannel("the agent is shutting down");
    }

    // The transport's ring-reset counters, summed over every channel this link has opened.
    private void CountRingResets(ILinkChannel? channel)
    {
        LinkCounters? counters = channel?.TransportCounters;
        if (counters is null)
        {
            return;
        }

        if (!ReferenceEquals(counters, _transportCounters))
        {
            _transportCounters = counters;
            _seenResetsByAgent = 0;
            _seenResetsByIsland = 0;
        }

        int byAgent = counters.RingResetsRequested - _seenResetsByAgent;
        int byIsland = counters.RingResetsByPeer - _seenResetsByIsland;
        if (byAgent != 0 || byIsland != 0)
        {
            _seenResetsByAgent = counters.RingResetsRequested;
            _seenResetsByIsland = counters.RingResetsByPeer;
            Interlocked.Add(ref _ringResetsByAgent, byAgent);
            Interlocked.Add(ref _ringResetsByIsland, byIsland);
            _logger.LogWarning("island link: shared rings reset ({ByAgent} asked by the agent, {ByIsland} by the island): {Reason}",
                byAgent, byIsland, _lastDownReason);
        }
    }

    private bool TryOpen()
    {
        try
        {
            _channel = _channelFactory(this);
            _lastOpenError = string.Empty;
            _logger.LogInformation("island link: opened {Channel}", _channel.Description);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string message = "cannot open the island link: " + e.Message;
            if (message != _lastOpenError)
            {
                _logger.LogWarning("{Message}; retrying every {Delay} ms", message, _options.ReopenDelayMs);
            }

            _lastOpenError = message;
            return false;
        }
    }

    private void CloseChannel(string reason)
    {
        ILinkChannel? channel = _channel;
        _channel = null;
        if (channel is null)
        {
            return;
        }

        _session.TransportDown(reason);
        Volatile.Write(ref _state, (int)IslandLinkState.Disconnected);
        _connectingSinceMs = -1;
        _lastDownReason = reason;
        FailAll(reason);
        try
        {
            channel.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug("island link: closing {Channel}: {Error}", channel.Description, e.Message);
        }
    }

    private void DrainQueues()
    {
        while (_requests.TryDequeue(out PendingRequest? request))
        {
            if (request.Completion.Task.IsCompleted)
            {
                continue;
            }

            if (_session.State != SessionState.Up)
            {
                request.Completion.TrySetException(LinkDown());
                continue;
            }

            uint correlation = _session.NewCorrelationId();
            request.Envelope.CorrelationId = correlation;
            if (!Encode(request.Envelope, checkLimits: true, out int size, out string invalid))
            {
                request.Completion.TrySetException(new AgentException(ErrorCode.InvalidArgument, invalid));
                continue;
            }

            if (!_session.TrackRequest(correlation, NowMs + request.TimeoutMs))
            {
                request.Completion.TrySetException(new AgentException(ErrorCode.ResourceExhausted, "too many requests waiting for the island; try again"));
                continue;
            }

            _pending[correlation] = request;
            string? problem = Transmit(request.Envelope, size);
            if (problem is not null)
            {
                _session.CompleteRequest(correlation);
                _pending.Remove(correlation);
                request.Completion.TrySetException(new AgentException(ErrorCode.Unavailable, "island link is down (" + problem + ")"));
            }
        }

        while (_posts.TryDequeue(out ProtoEnvelope? post))
        {
            Interlocked.Decrement(ref _postCount);
            if (_session.State == SessionState.Up)
            {
                if (SendNow(post) is null)
                {
                    PostSent?.Invoke(post);
                }
            }
            else
            {
                Interlocked.Increment(ref _postsDropped);
            }
        }
    }

    /// <summary>Sends one of the agent's own messages on the link thread; returns null or the reason it could not.</summary>
    private string? SendNow(ProtoEnvelope envelope) =>
        Encode(envelope, checkLimits: false, out int size, out string problem) ? Transmit(envelope, size) : problem;

    /// <summary>
    /// Encodes once into the link buffer (EnvelopeConversion); an operator's request is also checked
    /// against the link's limits. False (logged, counted) with the reason when it cannot go.
    /// </summary>
    private bool Encode(ProtoEnvelope envelope, bool checkLimits, out int size, out string problem)
    {
        if (EnvelopeConversion.TryEncode(envelope, _encoded, out size, out problem)
            && (!checkLimits || EnvelopeConversion.WithinLimits(envelope, _encoded, size, _limitCheck, out problem)))
        {
            return true;
        }

        _logger.LogError("island link: not sent: {Problem}", problem);
        Interlocked.Increment(ref _sendFailures);
        return false;
    }

    /// <summary>Hands the Envelope <see cref="Encode"/> left in the link buffer to the session; null or the reason it could not.</summary>
    private string? Transmit(ProtoEnvelope envelope, int size)
    {
        LinkSendStatus status = _session.SendEncoded(_encoded, 0, size);
        if (status != LinkSendStatus.Ok)
        {
            Interlocked.Increment(ref _sendFailures);
            return $"{envelope.BodyCase} not sent: {status}";
        }

        return null;
    }

    private void ClosePagedReplies(long now)
    {
        List<uint>? done = null;
        foreach (var (id, request) in _pending)
        {
            if (request.Shape == ReplyShape.LogPages && request.Messages.Count > 0 && now - request.LastMessageMs >= _options.LogPageGapMs)
            {
                (done ??= new()).Add(id);
            }
        }

        if (done is null)
        {
            return;
        }

        foreach (uint id in done)
        {
            Complete(id);
        }
    }

    private void Complete(uint correlationId)
    {
        if (_pending.Remove(correlationId, out PendingRequest? request))
        {
            _session.CompleteRequest(correlationId);
            request.Completion.TrySetResult(new LinkReply(request.Messages));
        }
    }

    private void FailQueued()
    {
        while (_requests.TryDequeue(out PendingRequest? request))
        {
            request.Completion.TrySetException(LinkDown());
        }

        while (_posts.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _postCount);
            Interlocked.Increment(ref _postsDropped);
        }
    }

    private void FailAll(string reason)
    {
        foreach (PendingRequest request in _pending.Values)
        {
            request.Completion.TrySetException(new AgentException(ErrorCode.Unavailable, "island link is down (" + reason + ")"));
        }

        _pending.Clear();
        _blobs.Reset();
        FailQueued();
    }

    private AgentException LinkDown() => new(ErrorCode.Unavailable, "island link is down (" + DownReason + ")");

    // ------------------------------------------------------------------ channel sink (link thread)

    void ILinkChannelSink.OnChannelUp()
    {
        Volatile.Write(ref _state, (int)IslandLinkState.Connecting);
        StartConnecting();
        _session.TransportUp(NowMs);
    }

    private void StartConnecting()
    {
        _connectingSinceMs = NowMs;
        _nextNoSessionWarningMs = _connectingSinceMs + _options.NoSessionWarningMs;
    }

    // The island does not answer: say so, with what the line saw, every NoSessionWarningMs while it
    // lasts (the island's own supervision decides what happens to the A side meanwhile).
    private void WarnNoSession(long now)
    {
        _nextNoSessionWarningMs = now + _options.NoSessionWarningMs;
        string line = _channel?.LineStatus is { } status ? "; line: " + status : string.Empty;
        _logger.LogWarning("island link: no session with the island for {Seconds:0.0} s on {Channel}: the island does not answer the agent's Hellos (last: {Reason}){Line}",
            (now - _connectingSinceMs) / 1000.0, _channel?.Description ?? "no channel", _lastDownReason, line);
    }

    void ILinkChannelSink.OnChannelDown(string reason)
    {
        _session.TransportDown(reason);
        Volatile.Write(ref _state, (int)IslandLinkState.Disconnected);
        _connectingSinceMs = -1;
        _lastDownReason = reason;
        FailAll(reason);
    }

    void ILinkChannelSink.OnChannelMessage(byte[] buffer, int offset, int count)
    {
        Interlocked.Exchange(ref _lastHeardMs, NowMs);
        _rawBuffer = buffer;
        _rawOffset = offset;
        _rawCount = count;
        try
        {
            _session.OnMessage(buffer, offset, count, NowMs);
        }
        finally
        {
            _rawBuffer = null;
        }
    }

    // ------------------------------------------------------------------ session listener (link thread)

    void ISessionListener.OnSessionUp(ulong peerBootId, bool peerRestarted, uint version)
    {
        if (_session.Counters.Established > 1)
        {
            Interlocked.Increment(ref _reconnects);
        }

        var info = new IslandSessionInfo(peerBootId, AgentBootId, version, peerRestarted, _channel?.Description ?? string.Empty)
        {
            IslandVersion = _session.PeerSoftwareVersion,
            IslandResetReason = (Stratos.Island.Protocol.Common.V1.ResetReason)(int)_session.PeerResetReason,
            SupervisionCycleMs = _session.PeerSupervisionCycleMs,
        };
        _info = info;
        Volatile.Write(ref _state, (int)IslandLinkState.Up);
        _connectingSinceMs = -1;
        _nextAliveMs = NowMs;
        _logger.LogInformation("island link up: island boot id {Boot:x16}{Restarted}, protocol v{Version}", peerBootId, peerRestarted ? " (island restarted)" : string.Empty, version);
        Raise(SessionUp, info);
    }

    void ISessionListener.OnSessionDown(SessionDownReason reason, string detail)
    {
        string text = reason + ": " + detail;
        _lastDownReason = text;
        if (State == IslandLinkState.Up)
        {
            Volatile.Write(ref _state, (int)IslandLinkState.Connecting);
        }

        _logger.LogWarning("island link down: {Reason}", text);
        StartConnecting();
        foreach (PendingRequest request in _pending.Values)
        {
            request.Completion.TrySetException(new AgentException(ErrorCode.Unavailable, "island link is down (" + text + ")"));
        }

        _pending.Clear();
        _blobs.Reset();
        Raise(SessionDown, text);
    }

    void ISessionListener.OnEnvelope(CodecEnvelope envelope)
    {
        if (_rawBuffer is null)
        {
            return;
        }

        // The session read the head (sequence, correlation, which body) and named the body; the body
        // is decoded here, once (SessionSettings.DecodeApplicationBodies is off).
        ProtoEnvelope message;
        try
        {
            message = EnvelopeConversion.FromWire(_rawBuffer, _rawOffset, _rawCount);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            _logger.LogWarning("island link: {Body} of {Bytes} bytes rejected: {Error}", envelope.BodyCase, _rawCount, e.Message);
            _session.RejectMalformed(_rawCount, envelope.BodyCase + ": " + e.Message);
            return;
        }

        Interlocked.Increment(ref _received);
        Dispatch(message);
        if (message.CorrelationId != 0 && _pending.TryGetValue(message.CorrelationId, out PendingRequest? request))
        {
            request.Messages.Add(message);
            request.LastMessageMs = NowMs;
            bool closes = request.Shape switch
            {
                ReplyShape.RequestResult => message.BodyCase is ProtoEnvelope.BodyOneofCase.RequestResult or ProtoEnvelope.BodyOneofCase.Error,
                _ => message.BodyCase == ProtoEnvelope.BodyOneofCase.Error || (message.BodyCase == ProtoEnvelope.BodyOneofCase.LogChunk && message.LogChunk.End),
            };
            if (closes)
            {
                Complete(message.CorrelationId);
            }
        }
    }

    void ILinkRejectionSink.OnRejected(LinkRejection rejection, uint sequence, string detail)
    {
        _logger.LogWarning("island link: message rejected ({Rejection}, sequence {Sequence}): {Detail}",
            LinkAuthentication.NameOf(rejection), sequence, detail);
    }

    void ISessionListener.OnRequestTimeout(uint correlationId)
    {
        if (_pending.Remove(correlationId, out PendingRequest? request))
        {
            if (request.Shape == ReplyShape.LogPages && request.Messages.Count > 0)
            {
                request.Completion.TrySetResult(new LinkReply(request.Messages));
                return;
            }

            request.Completion.TrySetException(new AgentException(ErrorCode.DeadlineExceeded,
                $"the island did not answer {request.Envelope.BodyCase} within {request.TimeoutMs} ms"));
        }
    }

    private void Dispatch(ProtoEnvelope message)
    {
        switch (message.BodyCase)
        {
            case ProtoEnvelope.BodyOneofCase.VmDirective:
                Raise(DirectiveReceived, message.VmDirective);
                break;
            case ProtoEnvelope.BodyOneofCase.VmStatus:
                Raise(VmStatusReceived, message.VmStatus);
                break;
            case ProtoEnvelope.BodyOneofCase.SupervisionStatus:
                Raise(SupervisionStatusReceived, message.SupervisionStatus);
                break;
            case ProtoEnvelope.BodyOneofCase.PowerDomainStatus:
                Raise(PowerStatusReceived, message.PowerDomainStatus);
                break;
            case ProtoEnvelope.BodyOneofCase.Event:
                Raise(EventReceived, message.Event);
                break;
            case ProtoEnvelope.BodyOneofCase.BlobChunk:
                BlobAck? ack = _blobs.Add(message.BlobChunk, out byte[]? blob);
                if (ack is not null)
                {
                    if (ack.Code != ErrorCode.Unspecified)
                    {
                        _logger.LogWarning("island link: blob refused: {Reason}", ack.Message);
                    }

                    SendNow(new ProtoEnvelope { BlobAck = ack });
                }

                if (blob is not null)
                {
                    BlobKind kind = message.BlobChunk.Kind;
                    BlobReceived?.Invoke(kind, blob);
                }

                break;
            case ProtoEnvelope.BodyOneofCase.Error:
                _logger.LogWarning("island reported a protocol error: {Code}: {Message}", message.Error.Code, message.Error.Message);
                break;
        }
    }

    private void Raise<T>(Action<T>? handler, T value)
    {
        if (handler is null)
        {
            return;
        }

        foreach (Action<T> one in handler.GetInvocationList())
        {
            try
            {
                one(value);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogError(e, "island link: a {Type} handler failed", typeof(T).Name);
            }
        }
    }

    private sealed class PendingRequest
    {
        public PendingRequest(ProtoEnvelope envelope, ReplyShape shape, int timeoutMs)
        {
            Envelope = envelope;
            Shape = shape;
            TimeoutMs = timeoutMs;
        }

        public ProtoEnvelope Envelope { get; }
        public ReplyShape Shape { get; }
        public int TimeoutMs { get; }
        public List<ProtoEnvelope> Messages { get; } = new();
        public long LastMessageMs { get; set; }
        public TaskCompletionSource<LinkReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class SessionTransport : IMessageTransport
    {
        private readonly IslandLink _owner;

        public SessionTransport(IslandLink owner) => _owner = owner;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count) =>
            _owner._channel?.TrySend(buffer, offset, count) ?? LinkSendStatus.NotReady;
    }
}
