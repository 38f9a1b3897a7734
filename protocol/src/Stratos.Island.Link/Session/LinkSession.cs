// The session layer of the link: Hello/HelloAck, keepalives, peer-restart detection and automatic
// re-establishment, sequence checking, and request time-outs, over any message transport (rpmsg over
// shared-memory vrings, the Linux rpmsg char device, COBS serial frames).
//
// States (SessionState):
//   Down        transport not attached. TransportUp -> Connecting.
//   Connecting  agent: Hello sent, resent until a HelloAck to any Hello of this attempt arrives
//               -> Up. The resend period starts at HelloRetryMs and doubles up to HelloRetryMaxMs.
//               island: waiting for a Hello; a Hello with a common version -> HelloAck -> Up.
//   Up          application Envelopes flow. The agent pings every KeepaliveIntervalMs; the island
//               answers with Pong. Either side that hears nothing for PeerTimeoutMs goes back to
//               Connecting (agent: re-Hello at once; island: waits for the next Hello).
//   TransportDown (ring reset, socket closed, EPIPE/ENETRESET) from any state -> Down.
//
// Who triggers what:
//   * The agent always opens: a Hello on every (re)connection, carrying its boot id and the island
//     boot id it last saw. The island answers with a HelloAck carrying its own boot id.
//   * Peer restart: a boot id different from the last one seen. The session reports it to the layer
//     above (ISessionListener.OnSessionUp with peerRestarted = true), which re-synchronises state
//     (the agent reports every VM it runs; the island reconciles). A Hello from a new agent boot while
//     Up is a restart too: the island reports the old session down first.
//   * An island that rebooted without the transport noticing (serial) answers the agent's traffic
//     with Error FAILED_PRECONDITION "no session"; the agent then re-Hellos.
//   * Versions: the chosen version is the highest both ranges contain; none -> the island answers
//     Error UNSUPPORTED_VERSION and the agent reports SessionDownReason.VersionMismatch and retries
//     at the slower PeerTimeoutMs pace.
//
// Sequence numbers: each side numbers every Envelope it sends from 1 (wrapping). The receiver drops
// a repeat of the last sequence (Duplicates), counts and still delivers an older one (OutOfOrder:
// rpmsg keeps order, so this means a faulty peer, not a reason to lose data), and counts skipped
// numbers (Gaps). Tracking restarts with every Hello/HelloAck.
//
// Slow lines (issue 18: a UART into a dom0 under emulation answered after 50-500 ms): a HelloAck
// may answer a Hello older than the latest. Taking only the answer to the latest Hello livelocked
// whenever the round trip exceeded the resend period (each answer arrived after the next Hello had
// gone out); so the agent takes the answer to any Hello since it began connecting, and backs off
// (each Hello still in flight re-opens the island's session once, and a silent line is not flooded).
//
// Request time-outs: callers register correlation ids with a deadline (TrackRequest) in a fixed
// table and complete them (CompleteRequest); Poll reports expired ones through OnRequestTimeout. A
// session going down clears the table; the layer above fails what it was waiting for.
//
// Authentication (LinkAuthentication.cs is the primer): with SessionSettings.Authenticator set, the
// session offers CAPABILITY_AUTHENTICATED_LINK, tags what it sends and, once both sides offered it,
// accepts only tagged messages with a newer sequence number; RequireAuthentication refuses a peer
// that does not offer it.
//
// Threading: single-threaded, like the transports: TransportUp/Down, OnMessage, Poll and Send run on
// one thread. Steady state (keepalives, checkpoints, alive indications) allocates nothing; error
// messages build strings only when an error happens.
using System;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;

namespace Stratos.Island.Link.Session
{
    /// <summary>Sends one whole message; never waits (a full ring is reported, not waited for).</summary>
    public interface IMessageTransport
    {
        LinkSendStatus TrySend(byte[] buffer, int offset, int count);
    }

    /// <summary>What the session tells the layer above; called on the session's thread.</summary>
    public interface ISessionListener
    {
        /// <summary>The session is up. peerRestarted: the peer's boot id changed since the last session.</summary>
        void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version);

        /// <summary>The session went down (it re-establishes by itself).</summary>
        void OnSessionDown(SessionDownReason reason, string detail);

        /// <summary>
        /// An application Envelope (anything but Hello, HelloAck, Ping, Pong). Valid only during the call.
        /// With SessionSettings.DecodeApplicationBodies off its body is only named (BodyCase), not decoded.
        /// </summary>
        void OnEnvelope(Envelope envelope);

        /// <summary>A tracked request passed its deadline without CompleteRequest.</summary>
        void OnRequestTimeout(uint correlationId);
    }

    public enum SessionState
    {
        Down = 0,
        Connecting = 1,
        Up = 2,
    }

    public enum SessionDownReason
    {
        TransportDown = 1,
        KeepaliveTimeout = 2,
        PeerRestarted = 3,
        VersionMismatch = 4,
        NoSessionAtPeer = 5,
        /// <summary>This board requires an authenticated link and the peer does not offer one (or the other way round).</summary>
        AuthenticationRequired = 6,
    }

    /// <summary>Tunables of the session, with their units in the names.</summary>
    public sealed class SessionSettings
    {
        public uint MinVersion = 1;
        public uint MaxVersion = 1;
        /// <summary>Agent: ping period while Up.</summary>
        public int KeepaliveIntervalMs = 100;
        /// <summary>Silence after which the peer is considered gone.</summary>
        public int PeerTimeoutMs = 1000;
        /// <summary>Agent: first Hello resend period while Connecting; it doubles on each resend up to HelloRetryMaxMs.</summary>
        public int HelloRetryMs = 50;
        /// <summary>Agent: longest Hello resend period (a silent line gets four Hellos a second, not twenty).</summary>
        public int HelloRetryMaxMs = 250;
        public string BoardId = string.Empty;
        public string SoftwareVersion = string.Empty;
        public uint Capabilities;
        public uint ConfigHash;
        public ResetReason ResetReason = ResetReason.ProcessStart;
        /// <summary>Island: supervision cycle reported in HelloAck.</summary>
        public uint SupervisionCycleMs;
        /// <summary>Island: number of VMs reported in HelloAck.</summary>
        public uint VmCount;
        /// <summary>Size of the request time-out table.</summary>
        public int MaxTrackedRequests = 32;
        /// <summary>Holds the board key; null = this side does not authenticate (docs/link.md "Authentication").</summary>
        public ILinkAuthenticator Authenticator;
        /// <summary>Refuse a peer that does not authenticate (the board descriptor's link.require_authentication).</summary>
        public bool RequireAuthentication;
        /// <summary>Told about every rejected message (optional).</summary>
        public ILinkRejectionSink RejectionSink;
        /// <summary>
        /// False: the bodies of application messages are not decoded (only named, Envelope.DecodeHead);
        /// the listener decodes them itself from the bytes (the host agent, with Google.Protobuf), so each
        /// is decoded once. The session's own bodies (Hello, HelloAck, Ping, Pong, Error) always are.
        /// </summary>
        public bool DecodeApplicationBodies = true;
    }

    /// <summary>Counters of one session object (across reconnections). Single writer: the session thread.</summary>
    public sealed class SessionCounters
    {
        public long Sent;
        public long Received;
        public long SendFailures;
        public long DecodeErrors;
        public long Duplicates;
        public long OutOfOrder;
        public long Gaps;
        public long Established;
        public long PeerRestarts;
        public long KeepaliveTimeouts;
        public long RequestTimeouts;
        public long NoSessionRejects;
        /// <summary>Authenticated session: messages without a tag at the end.</summary>
        public long AuthTruncated;
        /// <summary>Authenticated session: messages whose tag did not verify.</summary>
        public long AuthForged;
        /// <summary>Authenticated session: messages repeating the last accepted sequence.</summary>
        public long AuthReplayed;
        /// <summary>Authenticated session: messages older than the last accepted sequence.</summary>
        public long AuthReordered;
        /// <summary>Peers refused because they do not authenticate and this board requires it.</summary>
        public long AuthRefused;
    }

    /// <summary>The session layer; see the primer at the top of this file.</summary>
    public sealed class LinkSession
    {
        private const int MaxEnvelopeBytes = 496;

        private readonly Role _role;
        private readonly ulong _bootId;
        private readonly SessionSettings _settings;
        private readonly IMessageTransport _transport;
        private readonly ISessionListener _listener;
        private readonly Envelope _rx = new Envelope();
        private readonly Envelope _control = new Envelope();
        private readonly Envelope _outgoing = new Envelope();
        private readonly byte[] _txBuffer = new byte[MaxEnvelopeBytes];
        private readonly byte[] _tag = new byte[LinkAuthentication.TagBytes];
        private readonly uint[] _trackedIds;
        private readonly long[] _trackedDeadlines;

        private SessionState _state;
        private uint _version;
        private ulong _peerBootId;
        private ulong _lastPeerBootId;
        private uint _nextSequence = 1;
        private uint _nextCorrelation = 1;
        private uint _helloCorrelation;
        private uint _firstHelloCorrelation;   // the first Hello of this connecting attempt (0: none yet)
        private int _helloIntervalMs;
        private bool _haveLastReceived;
        private uint _lastReceivedSequence;
        private long _lastHeardMs;
        private long _lastPingMs;
        private long _nextHelloMs;
        private long _nowMs;
        private bool _authenticated;
        private bool _rxTagVerified;
        private byte[] _rxBuffer;
        private int _rxOffset;
        private int _rxCount;

        public LinkSession(Role role, ulong bootId, SessionSettings settings, IMessageTransport transport, ISessionListener listener)
        {
            if (settings == null || transport == null || listener == null)
            {
                throw new System.ArgumentException("LinkSession needs settings, a transport and a listener");
            }

            if (role != Role.Agent && role != Role.Island)
            {
                throw new System.ArgumentException("LinkSession role must be Agent or Island");
            }

            _role = role;
            _bootId = bootId;
            _settings = settings;
            _transport = transport;
            _listener = listener;
            _trackedIds = new uint[settings.MaxTrackedRequests];
            _trackedDeadlines = new long[settings.MaxTrackedRequests];
            Counters = new SessionCounters();
        }

        public SessionState State => _state;

        /// <summary>Negotiated protocol version (0 until Up).</summary>
        public uint Version => _version;

        /// <summary>Boot id of the peer of the current (or last) session; 0 before the first.</summary>
        public ulong PeerBootId => _peerBootId;

        public ulong BootId => _bootId;

        /// <summary>The current session tags and verifies every message.</summary>
        public bool Authenticated => _authenticated;

        /// <summary>Software version the peer sent in its Hello / HelloAck (set once per session).</summary>
        public string PeerSoftwareVersion { get; private set; } = string.Empty;

        /// <summary>Board id the peer sent in its Hello / HelloAck.</summary>
        public string PeerBoardId { get; private set; } = string.Empty;

        /// <summary>Why the peer last started, from its Hello / HelloAck.</summary>
        public ResetReason PeerResetReason { get; private set; }

        /// <summary>Configuration hash the peer holds, from its Hello / HelloAck.</summary>
        public uint PeerConfigHash { get; private set; }

        /// <summary>Island only (agent side): supervision cycle from the HelloAck.</summary>
        public uint PeerSupervisionCycleMs { get; private set; }

        public SessionCounters Counters { get; private set; }

        /// <summary>A reusable Envelope for callers to fill and pass to Send (session thread only).</summary>
        public Envelope Outgoing => _outgoing;

        /// <summary>A fresh correlation id (never 0).</summary>
        public uint NewCorrelationId()
        {
            uint id = _nextCorrelation++;
            if (_nextCorrelation == 0)
            {
                _nextCorrelation = 1;
            }

            return id;
        }

        /// <summary>The transport is attached (link up, device opened, port opened).</summary>
        public void TransportUp(long nowMs)
        {
            _nowMs = nowMs;
            _lastHeardMs = nowMs;
            _state = SessionState.Connecting;
            _firstHelloCorrelation = 0;
            if (_role == Role.Agent)
            {
                SendHello();
            }
        }

        /// <summary>The transport went away (peer reset, socket closed, EPIPE, ENETRESET).</summary>
        public void TransportDown(string reason)
        {
            if (_state == SessionState.Down)
            {
                return;
            }

            bool wasUp = _state == SessionState.Up;
            _state = SessionState.Down;
            _authenticated = false;
            ClearTracked();
            if (wasUp)
            {
                _listener.OnSessionDown(SessionDownReason.TransportDown, reason);
            }
        }

        /// <summary>Time-driven work: Hello retries, keepalives, peer time-out, request time-outs.</summary>
        public void Poll(long nowMs)
        {
            _nowMs = nowMs;
            if (_state == SessionState.Down)
            {
                return;
            }

            if (_state == SessionState.Connecting && _role == Role.Agent && nowMs >= _nextHelloMs)
            {
                SendHello();
            }

            if (_state == SessionState.Up)
            {
                if (nowMs - _lastHeardMs > _settings.PeerTimeoutMs)
                {
                    Counters.KeepaliveTimeouts++;
                    GoConnecting(SessionDownReason.KeepaliveTimeout, "no message from the peer for " + (nowMs - _lastHeardMs).ToString() + " ms");
                    return;
                }

                if (_role == Role.Agent && nowMs - _lastPingMs >= _settings.KeepaliveIntervalMs)
                {
                    _lastPingMs = nowMs;
                    _control.SetBody(EnvelopeBody.Ping);
                    _control.Ping.TimestampUs = (ulong)nowMs * 1000UL;
                    SendControl(0);
                }

                ExpireTracked(nowMs);
            }
        }

        /// <summary>One message from the transport. The bytes are only read during the call.</summary>
        public void OnMessage(byte[] buffer, int offset, int count, long nowMs)
        {
            _nowMs = nowMs;
            _rxBuffer = buffer;
            _rxOffset = offset;
            _rxCount = count;
            _rxTagVerified = false;
            if (_authenticated && HasTrailer(buffer, offset, count))
            {
                if (!AcceptAuthenticated(buffer, offset, count))
                {
                    return;
                }
            }
            else
            {
                CodecStatus status = DecodeReceived(buffer, offset, count);
                if (status != CodecStatus.Ok)
                {
                    RejectMalformed(count, CodecStatusText.Of(status));
                    return;
                }

                if (_authenticated && !UntaggedAllowed())
                {
                    Reject(LinkRejection.Truncated, _rx.Sequence, "a message of " + count.ToString() + " bytes does not end in a 16-byte auth_tag");
                    return;
                }
            }

            Counters.Received++;
            _lastHeardMs = nowMs;
            switch (_rx.BodyCase)
            {
                case EnvelopeBody.Hello:
                    HandleHello();
                    return;
                case EnvelopeBody.HelloAck:
                    HandleHelloAck();
                    return;
                case EnvelopeBody.Ping:
                    if (_state == SessionState.Up)
                    {
                        // Keepalives take sequence numbers like everything else: tracking them keeps
                        // Gaps a count of lost messages only.
                        if (!CheckSequence(_rx.Sequence))
                        {
                            return;
                        }

                        _control.SetBody(EnvelopeBody.Pong);
                        _control.Pong.TimestampUs = _rx.Ping.TimestampUs;
                        _control.Pong.PayloadLength = _rx.Ping.PayloadLength;
                        System.Array.Copy(_rx.Ping.Payload, _control.Pong.Payload, _rx.Ping.PayloadLength);
                        SendControl(_rx.CorrelationId);
                    }
                    else
                    {
                        RejectNoSession();
                    }

                    return;
                case EnvelopeBody.Pong:
                    if (_state == SessionState.Up)
                    {
                        CheckSequence(_rx.Sequence);
                    }

                    return;
            }

            if (_state != SessionState.Up)
            {
                if (_role == Role.Agent && _rx.BodyCase == EnvelopeBody.Error)
                {
                    HandleErrorWhileConnecting();
                }
                else if (_role == Role.Island)
                {
                    RejectNoSession();
                }

                return;
            }

            // Before the sequence check: a restarted island numbers from 1 again, so its first
            // message may repeat a sequence number of the old session.
            if (_role == Role.Agent && _rx.BodyCase == EnvelopeBody.Error && _rx.Error.Code == ErrorCode.FailedPrecondition
                && _rx.Error.Message == NoSessionMessage)
            {
                // Counted as a restart once the new HelloAck shows a new boot id.
                GoConnecting(SessionDownReason.NoSessionAtPeer, "the island has no session (it restarted)");
                return;
            }

            if (!CheckSequence(_rx.Sequence))
            {
                return;
            }

            _listener.OnEnvelope(_rx);
        }

        // Decodes a received Envelope into _rx: whole, or with DecodeApplicationBodies off the head and
        // the session's own bodies only.
        private CodecStatus DecodeReceived(byte[] buffer, int offset, int count)
        {
            if (_settings.DecodeApplicationBodies)
            {
                return _rx.Decode(buffer, offset, count);
            }

            CodecStatus status = _rx.DecodeHead(buffer, offset, count);
            if (status != CodecStatus.Ok)
            {
                return status;
            }

            switch (_rx.BodyCase)
            {
                case EnvelopeBody.Hello:
                case EnvelopeBody.HelloAck:
                case EnvelopeBody.Ping:
                case EnvelopeBody.Pong:
                case EnvelopeBody.Error:
                    return _rx.Decode(buffer, offset, count);
                default:
                    return CodecStatus.Ok;
            }
        }

        private static bool HasTrailer(byte[] buffer, int offset, int count)
        {
            return count >= LinkAuthentication.TrailerBytes
                && buffer[offset + count - LinkAuthentication.TrailerBytes] == LinkAuthentication.TrailerFieldKey
                && buffer[offset + count - LinkAuthentication.TrailerBytes + 1] == LinkAuthentication.TagBytes;
        }

        // Authenticated session, tagged message: decode what precedes the tag, verify the tag under
        // the peer's key, then the sequence. False = rejected (already counted and reported).
        private bool AcceptAuthenticated(byte[] buffer, int offset, int count)
        {
            int signed = count - LinkAuthentication.TrailerBytes;
            CodecStatus status = DecodeReceived(buffer, offset, signed);
            if (status != CodecStatus.Ok)
            {
                RejectMalformed(count, CodecStatusText.Of(status));
                return false;
            }

            LinkKey key = PeerKey(_rx.BodyCase);
            if (!TagMatches(key, buffer, offset, count))
            {
                Reject(LinkRejection.Forged, _rx.Sequence, "the auth_tag of a message of " + count.ToString() + " bytes does not verify");
                return false;
            }

            _rxTagVerified = true;
            int delta = (int)(_rx.Sequence - _lastReceivedSequence);
            if (_rx.BodyCase == EnvelopeBody.Hello)
            {
                // A Hello opens a new numbering only for a new agent boot; the same boot keeps counting up.
                if (_rx.Hello.BootId == _peerBootId && delta <= 0)
                {
                    Reject(LinkRejection.Replayed, _rx.Sequence, "a Hello of the current agent boot with an old sequence number");
                    return false;
                }

                return true;
            }

            if (delta == 0)
            {
                Reject(LinkRejection.Replayed, _rx.Sequence, "sequence " + _rx.Sequence.ToString() + " was already accepted");
                return false;
            }

            if (delta < 0)
            {
                Reject(LinkRejection.Reordered, _rx.Sequence, "sequence " + _rx.Sequence.ToString() + " is older than " + _lastReceivedSequence.ToString());
                return false;
            }

            return true;
        }

        // Untagged messages an authenticated session still takes: a Hello (the agent restarted; it
        // is authenticated or refused by HandleHello) and, on the agent, the island's "no session"
        // (a rebooted island has no keys yet; the answer is a new, authenticated Hello).
        private bool UntaggedAllowed()
        {
            if (_role == Role.Island)
            {
                return _rx.BodyCase == EnvelopeBody.Hello;
            }

            return _rx.BodyCase == EnvelopeBody.Error && _rx.Error.Code == ErrorCode.FailedPrecondition && _rx.Error.Message == NoSessionMessage;
        }

        private LinkKey PeerKey(EnvelopeBody body)
        {
            if (_role == Role.Agent)
            {
                return LinkKey.IslandToAgent;
            }

            return body == EnvelopeBody.Hello ? LinkKey.Hello : LinkKey.AgentToIsland;
        }

        private bool TagMatches(LinkKey key, byte[] buffer, int offset, int count)
        {
            if (!HasTrailer(buffer, offset, count))
            {
                return false;
            }

            int signed = count - LinkAuthentication.TrailerBytes;
            _settings.Authenticator.ComputeTag(key, _rx.Sequence, buffer, offset, signed, _tag, 0);
            return LinkAuthentication.TagsEqual(_tag, 0, buffer, offset + signed + 2);
        }

        // Verifies the tag of the message being handled (a Hello or HelloAck that opens an
        // authenticated session); 0 when it verifies.
        private LinkRejection VerifyOpening(LinkKey key)
        {
            if (_rxTagVerified)
            {
                return 0;
            }

            if (!HasTrailer(_rxBuffer, _rxOffset, _rxCount))
            {
                return LinkRejection.Truncated;
            }

            return TagMatches(key, _rxBuffer, _rxOffset, _rxCount) ? 0 : LinkRejection.Forged;
        }

        private void Reject(LinkRejection rejection, uint sequence, string detail)
        {
            switch (rejection)
            {
                case LinkRejection.Truncated:
                    Counters.AuthTruncated++;
                    break;
                case LinkRejection.Forged:
                    Counters.AuthForged++;
                    break;
                case LinkRejection.Replayed:
                    Counters.AuthReplayed++;
                    break;
                case LinkRejection.Reordered:
                    Counters.AuthReordered++;
                    break;
                default:
                    Counters.AuthRefused++;
                    break;
            }

            if (_settings.RejectionSink != null)
            {
                _settings.RejectionSink.OnRejected(rejection, sequence, detail);
            }

            if (rejection == LinkRejection.Unauthenticated)
            {
                if (_role == Role.Island)
                {
                    SendError(ErrorCode.PermissionDenied, LinkAuthentication.AuthenticationRequiredMessage, sequence);
                }

                return;
            }

            SendError(ErrorCode.Integrity, "link message rejected (" + LinkAuthentication.NameOf(rejection) + "): " + detail, sequence);
        }

        /// <summary>
        /// Sends an application Envelope (usually <see cref="Outgoing"/>): stamps the version and the
        /// next sequence number, encodes into the session's buffer and hands it to the transport.
        /// </summary>
        public LinkSendStatus Send(Envelope envelope)
        {
            if (_state != SessionState.Up)
            {
                return LinkSendStatus.NotReady;
            }

            return Transmit(envelope);
        }

        /// <summary>
        /// Sends an application Envelope its caller encoded itself (the host agent encodes its
        /// Google.Protobuf messages once, straight into the link): <paramref name="fields"/> holds the
        /// Envelope's fields from correlation_id (3) on, in canonical order, without protocol_version
        /// (1), sequence (2) and auth_tag (4). The session writes version and sequence before those
        /// bytes and the auth trailer after them, so the message is byte for byte what
        /// <see cref="Send"/> gives for the same Envelope. The bytes are not checked against the
        /// codec's limits (the caller's encoder must keep them); TooLarge when they do not fit one
        /// message.
        /// </summary>
        public LinkSendStatus SendEncoded(byte[] fields, int offset, int count)
        {
            if (_state != SessionState.Up)
            {
                return LinkSendStatus.NotReady;
            }

            if (fields == null || offset < 0 || count < 0 || offset > fields.Length - count)
            {
                return LinkSendStatus.BadArgument;
            }

            uint version = _version == 0 ? _settings.MaxVersion : _version;
            int limit = _authenticated ? _txBuffer.Length - LinkAuthentication.TrailerBytes : _txBuffer.Length;
            int header = 2 + ProtoWriter.VarintSize32(version) + ProtoWriter.VarintSize32(_nextSequence);
            if (header + count > limit)
            {
                Counters.SendFailures++;
                return LinkSendStatus.TooLarge;
            }

            int written = 0;
            ProtoWriter.WriteTag(_txBuffer, ref written, 1, 0);
            ProtoWriter.WriteVarint32(_txBuffer, ref written, version);
            ProtoWriter.WriteTag(_txBuffer, ref written, 2, 0);
            ProtoWriter.WriteVarint32(_txBuffer, ref written, _nextSequence);
            Array.Copy(fields, offset, _txBuffer, written, count);
            return TransmitBuffer(written + count, _authenticated, false);
        }

        /// <summary>Registers a request's correlation id with a deadline; false when the table is full.</summary>
        public bool TrackRequest(uint correlationId, long deadlineMs)
        {
            for (int i = 0; i < _trackedIds.Length; i++)
            {
                if (_trackedIds[i] == 0)
                {
                    _trackedIds[i] = correlationId;
                    _trackedDeadlines[i] = deadlineMs;
                    return true;
                }
            }

            return false;
        }

        /// <summary>Marks a tracked request answered; false when it was not tracked (late or unknown).</summary>
        public bool CompleteRequest(uint correlationId)
        {
            for (int i = 0; i < _trackedIds.Length; i++)
            {
                if (_trackedIds[i] == correlationId && correlationId != 0)
                {
                    _trackedIds[i] = 0;
                    return true;
                }
            }

            return false;
        }

        /// <summary>Number of requests currently tracked.</summary>
        public int TrackedRequests
        {
            get
            {
                int n = 0;
                for (int i = 0; i < _trackedIds.Length; i++)
                {
                    if (_trackedIds[i] != 0)
                    {
                        n++;
                    }
                }

                return n;
            }
        }

        /// <summary>The text the island puts in Error FAILED_PRECONDITION when it has no session.</summary>
        public const string NoSessionMessage = "no session: send Hello first";

        private void HandleHello()
        {
            if (_role != Role.Island)
            {
                SendError(ErrorCode.InvalidArgument, "Hello is sent by the agent, not the island", _rx.Sequence);
                return;
            }

            Hello hello = _rx.Hello;
            uint high = hello.MaxVersion < _settings.MaxVersion ? hello.MaxVersion : _settings.MaxVersion;
            uint low = hello.MinVersion > _settings.MinVersion ? hello.MinVersion : _settings.MinVersion;
            if (high < low || high == 0)
            {
                SendError(ErrorCode.UnsupportedVersion,
                    "no common protocol version: agent speaks " + hello.MinVersion.ToString() + ".." + hello.MaxVersion.ToString()
                    + ", island " + _settings.MinVersion.ToString() + ".." + _settings.MaxVersion.ToString(), _rx.Sequence);
                return;
            }

            bool authenticate = _settings.Authenticator != null && (hello.Capabilities & LinkAuthentication.CapabilityBit) != 0;
            if (authenticate)
            {
                LinkRejection rejection = VerifyOpening(LinkKey.Hello);
                if (rejection != 0)
                {
                    Reject(rejection, _rx.Sequence, "the Hello's auth_tag does not verify under the board key");
                    return;
                }
            }
            else if (_settings.RequireAuthentication)
            {
                Reject(LinkRejection.Unauthenticated, _rx.Sequence, LinkAuthentication.AuthenticationRequiredMessage);
                return;
            }

            ulong agentBoot = hello.BootId;
            bool restarted = _lastPeerBootId != 0 && agentBoot != _lastPeerBootId;
            if (_state == SessionState.Up)
            {
                // A Hello while Up: the agent reconnected (same boot) or restarted (new boot).
                _state = SessionState.Connecting;
                ClearTracked();
                if (restarted)
                {
                    Counters.PeerRestarts++;
                }

                _listener.OnSessionDown(restarted ? SessionDownReason.PeerRestarted : SessionDownReason.TransportDown,
                    restarted ? "the agent restarted (new boot id)" : "the agent reconnected");
            }

            _version = high;
            PeerSoftwareVersion = hello.SoftwareVersion;
            PeerBoardId = hello.BoardId;
            PeerResetReason = hello.ResetReason;
            PeerConfigHash = hello.ConfigHash;
            uint correlation = _rx.CorrelationId;
            uint helloSequence = _rx.Sequence;
            _control.SetBody(EnvelopeBody.HelloAck);
            HelloAck ack = _control.HelloAck;
            ack.Role = Role.Island;
            ack.Version = high;
            ack.BootId = _bootId;
            ack.PeerBootId = agentBoot;
            ack.BoardId = _settings.BoardId;
            ack.ResetReason = _settings.ResetReason;
            ack.ConfigHash = _settings.ConfigHash;
            ack.Capabilities = _settings.Capabilities | (_settings.Authenticator != null ? LinkAuthentication.CapabilityBit : 0);
            ack.SoftwareVersion = _settings.SoftwareVersion;
            ack.SupervisionCycleMs = _settings.SupervisionCycleMs;
            ack.VmCount = _settings.VmCount;
            if (authenticate)
            {
                _settings.Authenticator.StartSession(agentBoot, _bootId);
            }

            // From the HelloAck on, everything is tagged with the island->agent key.
            _authenticated = authenticate;
            SendControl(correlation);
            Established(agentBoot, restarted, helloSequence);
        }

        private void HandleHelloAck()
        {
            if (_role != Role.Agent || _state != SessionState.Connecting || !AnswersThisAttempt(_rx.CorrelationId))
            {
                // An answer to a Hello of an earlier attempt, or an island talking to an island: ignore.
                return;
            }

            HelloAck ack = _rx.HelloAck;
            if (ack.Version < _settings.MinVersion || ack.Version > _settings.MaxVersion)
            {
                _listener.OnSessionDown(SessionDownReason.VersionMismatch, "island chose version " + ack.Version.ToString() + ", which the agent does not speak");
                _nextHelloMs = _nowMs + _settings.PeerTimeoutMs;
                return;
            }

            bool authenticate = _settings.Authenticator != null && (ack.Capabilities & LinkAuthentication.CapabilityBit) != 0;
            if (authenticate)
            {
                _settings.Authenticator.StartSession(_bootId, ack.BootId);
                LinkRejection rejection = VerifyOpening(LinkKey.IslandToAgent);
                if (rejection != 0)
                {
                    Reject(rejection, _rx.Sequence, "the HelloAck's auth_tag does not verify under the board key");
                    return;
                }
            }
            else if (_settings.RequireAuthentication)
            {
                Reject(LinkRejection.Unauthenticated, _rx.Sequence, "the island does not authenticate");
                _listener.OnSessionDown(SessionDownReason.AuthenticationRequired,
                    "this board requires an authenticated link and the island offered none (no board key in its bundle?)");
                _nextHelloMs = _nowMs + _settings.PeerTimeoutMs;
                return;
            }

            _authenticated = authenticate;
            _version = ack.Version;
            PeerSoftwareVersion = ack.SoftwareVersion;
            PeerBoardId = ack.BoardId;
            PeerResetReason = ack.ResetReason;
            PeerConfigHash = ack.ConfigHash;
            PeerSupervisionCycleMs = ack.SupervisionCycleMs;
            bool restarted = _lastPeerBootId != 0 && ack.BootId != _lastPeerBootId;
            Established(ack.BootId, restarted, _rx.Sequence);
        }

        private void HandleErrorWhileConnecting()
        {
            if (_rx.Error.Code == ErrorCode.UnsupportedVersion)
            {
                _listener.OnSessionDown(SessionDownReason.VersionMismatch, _rx.Error.Message);
                _nextHelloMs = _nowMs + _settings.PeerTimeoutMs;
            }
            else if (_rx.Error.Code == ErrorCode.PermissionDenied && _rx.Error.Message == LinkAuthentication.AuthenticationRequiredMessage)
            {
                _listener.OnSessionDown(SessionDownReason.AuthenticationRequired, _rx.Error.Message);
                _nextHelloMs = _nowMs + _settings.PeerTimeoutMs;
            }
            else if (_rx.Error.Code == ErrorCode.Integrity)
            {
                // The island could not verify our Hello: a different board key on the two sides.
                _listener.OnSessionDown(SessionDownReason.AuthenticationRequired,
                    "the island rejected the Hello (" + _rx.Error.Message + "): do the agent and the island hold the same board key?");
                _nextHelloMs = _nowMs + _settings.PeerTimeoutMs;
            }
        }

        // The correlation id of a Hello sent since the agent began this connecting attempt (ids count
        // up and wrap, skipping 0).
        private bool AnswersThisAttempt(uint correlationId)
        {
            return correlationId != 0 && _firstHelloCorrelation != 0
                && correlationId - _firstHelloCorrelation <= _helloCorrelation - _firstHelloCorrelation;
        }

        private void Established(ulong peerBootId, bool restarted, uint peerSequence)
        {
            _state = SessionState.Up;
            _firstHelloCorrelation = 0;
            _peerBootId = peerBootId;
            _lastPeerBootId = peerBootId;
            _haveLastReceived = true;
            _lastReceivedSequence = peerSequence;
            _lastHeardMs = _nowMs;
            _lastPingMs = _nowMs;
            Counters.Established++;
            if (restarted && _role == Role.Agent)
            {
                Counters.PeerRestarts++;
            }

            _listener.OnSessionUp(peerBootId, restarted, _version);
        }

        private void GoConnecting(SessionDownReason reason, string detail)
        {
            _state = SessionState.Connecting;
            _authenticated = false;
            _firstHelloCorrelation = 0;
            ClearTracked();
            _listener.OnSessionDown(reason, detail);
            if (_role == Role.Agent)
            {
                SendHello();
            }
        }

        private bool CheckSequence(uint sequence)
        {
            if (!_haveLastReceived)
            {
                _haveLastReceived = true;
                _lastReceivedSequence = sequence;
                return true;
            }

            int delta = (int)(sequence - _lastReceivedSequence);
            if (delta == 0)
            {
                Counters.Duplicates++;
                return false;
            }

            if (delta < 0)
            {
                Counters.OutOfOrder++;
                return true;
            }

            if (delta > 1)
            {
                Counters.Gaps += delta - 1;
            }

            _lastReceivedSequence = sequence;
            return true;
        }

        private void SendHello()
        {
            _helloCorrelation = NewCorrelationId();
            if (_firstHelloCorrelation == 0)
            {
                _firstHelloCorrelation = _helloCorrelation;
                _helloIntervalMs = _settings.HelloRetryMs;
            }
            else
            {
                _helloIntervalMs = _helloIntervalMs >= _settings.HelloRetryMaxMs / 2 ? _settings.HelloRetryMaxMs : _helloIntervalMs * 2;
            }

            _nextHelloMs = _nowMs + _helloIntervalMs;
            _control.SetBody(EnvelopeBody.Hello);
            Hello hello = _control.Hello;
            hello.Role = Role.Agent;
            hello.MinVersion = _settings.MinVersion;
            hello.MaxVersion = _settings.MaxVersion;
            hello.BootId = _bootId;
            hello.BoardId = _settings.BoardId;
            hello.ResetReason = _settings.ResetReason;
            hello.ConfigHash = _settings.ConfigHash;
            hello.Capabilities = _settings.Capabilities | (_settings.Authenticator != null ? LinkAuthentication.CapabilityBit : 0);
            hello.SoftwareVersion = _settings.SoftwareVersion;
            hello.LastPeerBootId = _lastPeerBootId;
            SendControl(_helloCorrelation);
        }

        private void RejectNoSession()
        {
            Counters.NoSessionRejects++;
            SendError(ErrorCode.FailedPrecondition, NoSessionMessage, _rx.Sequence);
        }

        /// <summary>
        /// A received message of count bytes that does not decode: counted (DecodeErrors) and answered
        /// with Error(MALFORMED) naming why; the session carries on. Also for a listener that decodes
        /// application bodies itself (SessionSettings.DecodeApplicationBodies off).
        /// </summary>
        public void RejectMalformed(int count, string why)
        {
            Counters.DecodeErrors++;
            SendError(ErrorCode.Malformed, "envelope of " + count.ToString() + " bytes rejected: " + why, 0);
        }

        private void SendError(ErrorCode code, string message, uint offendingSequence)
        {
            _control.SetBody(EnvelopeBody.Error);
            _control.Error.Code = code;
            _control.Error.Message = message.Length > Error.MessageMaxLength ? message.Substring(0, Error.MessageMaxLength) : message;
            _control.Error.OffendingSequence = offendingSequence;
            SendControl(0);
        }

        private void SendControl(uint correlationId)
        {
            _control.CorrelationId = correlationId;
            Transmit(_control);
        }

        private LinkSendStatus Transmit(Envelope envelope)
        {
            envelope.ProtocolVersion = _version == 0 ? _settings.MaxVersion : _version;
            envelope.Sequence = _nextSequence;
            bool hello = envelope.BodyCase == EnvelopeBody.Hello && _settings.Authenticator != null;
            bool tagged = _authenticated || hello;
            int written;
            CodecStatus status = envelope.Encode(_txBuffer, 0, tagged ? _txBuffer.Length - LinkAuthentication.TrailerBytes : _txBuffer.Length, out written);
            if (status != CodecStatus.Ok)
            {
                Counters.SendFailures++;
                return LinkSendStatus.TooLarge;
            }

            return TransmitBuffer(written, tagged, hello);
        }

        // The encoded Envelope in _txBuffer[0, written): the auth trailer when tagged, then the transport.
        private LinkSendStatus TransmitBuffer(int written, bool tagged, bool hello)
        {
            if (tagged)
            {
                LinkKey key = hello ? LinkKey.Hello : (_role == Role.Agent ? LinkKey.AgentToIsland : LinkKey.IslandToAgent);
                _txBuffer[written] = LinkAuthentication.TrailerFieldKey;
                _txBuffer[written + 1] = LinkAuthentication.TagBytes;
                _settings.Authenticator.ComputeTag(key, _nextSequence, _txBuffer, 0, written, _txBuffer, written + 2);
                written += LinkAuthentication.TrailerBytes;
            }

            LinkSendStatus sent = _transport.TrySend(_txBuffer, 0, written);
            if (sent != LinkSendStatus.Ok)
            {
                Counters.SendFailures++;
                return sent;
            }

            _nextSequence++;
            if (_nextSequence == 0)
            {
                _nextSequence = 1;
            }

            Counters.Sent++;
            return LinkSendStatus.Ok;
        }

        private void ExpireTracked(long nowMs)
        {
            for (int i = 0; i < _trackedIds.Length; i++)
            {
                if (_trackedIds[i] != 0 && nowMs >= _trackedDeadlines[i])
                {
                    uint id = _trackedIds[i];
                    _trackedIds[i] = 0;
                    Counters.RequestTimeouts++;
                    _listener.OnRequestTimeout(id);
                }
            }
        }

        private void ClearTracked()
        {
            for (int i = 0; i < _trackedIds.Length; i++)
            {
                _trackedIds[i] = 0;
            }
        }
    }
}
