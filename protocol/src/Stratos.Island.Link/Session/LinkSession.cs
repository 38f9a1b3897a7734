// Session layer over the link: link.proto Envelopes between the agent and the island.
//
// States (SessionState):
//   Agent:  Connecting --HelloAck (version in range, echoes our boot id)--> Established
//   Island: WaitingForHello --Hello (common version exists)--> Established (answers HelloAck)
//   Established --peer silent for PeerTimeoutMs, OnTransportReset, or (island) a new Hello--> back to
//   Connecting / WaitingForHello; pending requests fail at once (OnRequestTimeout).
//
// Who triggers what: the agent opens sessions (Hello, repeated every HelloRetryMs); the island only
// answers. Version negotiation: the island picks the highest version both [min, max] ranges share,
// or answers Error(UNSUPPORTED_VERSION). Boot ids: Hello carries the agent's boot id, HelloAck the
// island's plus the agent's echoed; a boot id that differs from the previous session's is a peer
// restart: OnEstablished(peerRestarted: true) is the re-sync point where the owner re-sends its state.
// Keepalive: when nothing was sent for KeepaliveIntervalMs a Ping goes out; Pings are answered with
// a Pong echoing correlation id, timestamp and payload; any message received proves liveness.
// Sequences: every Envelope sent carries the next u32 sequence; a receiver drops sequences it has
// already passed (DuplicatesDropped) and counts jumps (OutOfOrder, MissingSequences). Correlation:
// TrySendRequest assigns a non-zero correlation id and a deadline; an answer carrying it goes to
// OnResponse, a deadline passed goes to OnRequestTimeout.
//
// Single-threaded, never blocks, no allocation per message in steady state (two preallocated
// Envelopes for sending, one for receiving; time comes from the caller through Poll(nowMs)).
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;

namespace Stratos.Island.Link.Session
{
    public sealed class LinkSession : IRpmsgSink
    {
        private readonly SessionSettings _settings;
        private readonly ISessionTransport _transport;
        private readonly ISessionSink _sink;
        private readonly ILinkErrorSink _errors;
        private readonly Envelope _tx = new Envelope();
        private readonly Envelope _control = new Envelope();
        private readonly Envelope _rx = new Envelope();
        private readonly byte[] _buffer = new byte[RpmsgHeader.MaxPayload];
        private readonly uint[] _pendingId;
        private readonly long[] _pendingDeadline;
        private SessionState _state;
        private bool _started;
        private long _nowMs;
        private long _lastHeardMs;
        private long _lastSentMs;
        private long _lastHelloMs;
        private bool _helloDue;
        private uint _txSequence;
        private uint _rxExpected;
        private uint _version;
        private ulong _peerBootId;
        private bool _peerBootKnown;
        private uint _nextCorrelation;

        public LinkSession(SessionSettings settings, ISessionTransport transport, ISessionSink sink, ILinkErrorSink errors)
        {
            _settings = settings;
            _transport = transport;
            _sink = sink;
            _errors = errors;
            Counters = new SessionCounters();
            _pendingId = new uint[settings.MaxPendingRequests];
            _pendingDeadline = new long[settings.MaxPendingRequests];
            _state = settings.Role == Role.Island ? SessionState.WaitingForHello : SessionState.Connecting;
        }

        public SessionCounters Counters { get; private set; }

        public SessionState State
        {
            get { return _state; }
        }

        /// <summary>Negotiated protocol version (0 before the first session).</summary>
        public uint Version
        {
            get { return _version; }
        }

        public ulong PeerBootId
        {
            get { return _peerBootId; }
        }

        public void Start(long nowMs)
        {
            _nowMs = nowMs;
            _started = true;
            _helloDue = true;
            Poll(nowMs);
        }

        /// <summary>Drives hello retries, keepalives, liveness and request deadlines.</summary>
        public void Poll(long nowMs)
        {
            _nowMs = nowMs;
            if (!_started)
            {
                return;
            }

            if (_state == SessionState.Connecting)
            {
                if (_helloDue || nowMs - _lastHelloMs >= _settings.HelloRetryMs)
                {
                    SendHello();
                }
            }
            else if (_state == SessionState.Established)
            {
                if (nowMs - _lastHeardMs > _settings.PeerTimeoutMs)
                {
                    Lose("peer silent for " + (nowMs - _lastHeardMs) + " ms (limit " + _settings.PeerTimeoutMs + " ms)");
                }
                else if (nowMs - _lastSentMs >= _settings.KeepaliveIntervalMs)
                {
                    _control.Clear();
                    _control.SetBody(EnvelopeBody.Ping);
                    _control.Ping.TimestampUs = (ulong)nowMs * 1000UL;
                    if (Send(_control, 0) == LinkSendStatus.Ok)
                    {
                        Counters.KeepalivesSent++;
                    }
                }
            }

            for (int i = 0; i < _pendingId.Length; i++)
            {
                if (_pendingId[i] != 0 && nowMs >= _pendingDeadline[i])
                {
                    uint id = _pendingId[i];
                    _pendingId[i] = 0;
                    Counters.RequestsTimedOut++;
                    _sink.OnRequestTimeout(id);
                }
            }
        }

        /// <summary>The transport below restarted (link down/up, kick socket reset): the session is
        /// gone; the agent says Hello again on its next Poll.</summary>
        public void OnTransportReset(string reason)
        {
            if (_state == SessionState.Established)
            {
                Lose("transport reset: " + reason);
            }

            _helloDue = true;
        }

        // ---------------------------------------------------------------- sending

        /// <summary>The reusable outgoing Envelope, cleared, with the chosen body selected.</summary>
        public Envelope BeginMessage(EnvelopeBody body)
        {
            _tx.Clear();
            _tx.SetBody(body);
            return _tx;
        }

        /// <summary>Sends the Envelope from BeginMessage without a correlation id.</summary>
        public LinkSendStatus TrySendMessage()
        {
            return _state == SessionState.Established ? Send(_tx, 0) : LinkSendStatus.NotReady;
        }

        /// <summary>Sends the Envelope from BeginMessage as an answer to the peer's request.</summary>
        public LinkSendStatus TrySendResponse(uint correlationId)
        {
            return _state == SessionState.Established ? Send(_tx, correlationId) : LinkSendStatus.NotReady;
        }

        /// <summary>Sends the Envelope from BeginMessage as a request; its answer (or its timeout)
        /// is reported with the correlation id returned here.</summary>
        public LinkSendStatus TrySendRequest(int timeoutMs, out uint correlationId)
        {
            correlationId = 0;
            if (_state != SessionState.Established)
            {
                return LinkSendStatus.NotReady;
            }

            int slot = -1;
            for (int i = 0; i < _pendingId.Length; i++)
            {
                if (_pendingId[i] == 0)
                {
                    slot = i;
                    break;
                }
            }

            if (slot < 0)
            {
                Counters.PendingTableFull++;
                return LinkSendStatus.NoTxBuffer;
            }

            _nextCorrelation++;
            if (_nextCorrelation == 0)
            {
                _nextCorrelation = 1;
            }

            LinkSendStatus status = Send(_tx, _nextCorrelation);
            if (status == LinkSendStatus.Ok)
            {
                correlationId = _nextCorrelation;
                _pendingId[slot] = correlationId;
                _pendingDeadline[slot] = _nowMs + timeoutMs;
            }

            return status;
        }

        private LinkSendStatus Send(Envelope envelope, uint correlationId)
        {
            envelope.ProtocolVersion = _version != 0 ? _version : _settings.MaxVersion;
            envelope.Sequence = ++_txSequence;
            envelope.CorrelationId = correlationId;
            int written;
            CodecStatus encoded = envelope.Encode(_buffer, 0, _buffer.Length, out written);
            if (encoded != CodecStatus.Ok)
            {
                Counters.SendFailures++;
                Report("cannot encode " + BodyName(envelope.BodyCase) + ": " + CodecName(encoded));
                return encoded == CodecStatus.BufferTooSmall ? LinkSendStatus.TooLarge : LinkSendStatus.BadArgument;
            }

            LinkSendStatus status = _transport.TrySend(_buffer, 0, written);
            if (status == LinkSendStatus.Ok)
            {
                Counters.Sent++;
                _lastSentMs = _nowMs;
            }
            else
            {
                Counters.SendFailures++;
            }

            return status;
        }

        private void SendHello()
        {
            _control.Clear();
            _control.SetBody(EnvelopeBody.Hello);
            Hello hello = _control.Hello;
            hello.Role = _settings.Role;
            hello.MinVersion = _settings.MinVersion;
            hello.MaxVersion = _settings.MaxVersion;
            hello.BootId = _settings.BootId;
            hello.BoardId = _settings.BoardId;
            hello.SoftwareVersion = _settings.SoftwareVersion;
            hello.Capabilities = _settings.Capabilities;
            hello.LastPeerBootId = _peerBootId;
            _lastHelloMs = _nowMs;
            if (Send(_control, 0) == LinkSendStatus.Ok)
            {
                _helloDue = false;
            }
        }

        // ---------------------------------------------------------------- receiving

        /// <summary>rpmsg delivery: decodes one Envelope and acts on it.</summary>
        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
        {
            CodecStatus decoded = _rx.Decode(buffer, offset, length);
            if (decoded != CodecStatus.Ok)
            {
                Counters.Malformed++;
                Report("malformed Envelope of " + length + " bytes from 0x" + source.ToString("x") + ": " + CodecName(decoded));
                if (_state == SessionState.Established)
                {
                    SendError(ErrorCode.Malformed, "Envelope could not be decoded: " + CodecName(decoded), 0);
                }

                return;
            }

            Counters.Received++;
            _lastHeardMs = _nowMs;
            switch (_rx.BodyCase)
            {
                case EnvelopeBody.Hello:
                    HandleHello();
                    return;
                case EnvelopeBody.HelloAck:
                    HandleHelloAck();
                    return;
            }

            if (_state != SessionState.Established)
            {
                if (_rx.BodyCase == EnvelopeBody.Error && _rx.Error.Code == ErrorCode.UnsupportedVersion)
                {
                    Counters.VersionMismatches++;
                    Report("island refused the session: " + _rx.Error.Message);
                }
                else
                {
                    Report(BodyName(_rx.BodyCase) + " (sequence " + _rx.Sequence + ") arrived before the session was established; dropped");
                }

                return;
            }

            if (!AcceptSequence(_rx.Sequence))
            {
                return;
            }

            if (_rx.BodyCase == EnvelopeBody.Ping)
            {
                _control.Clear();
                _control.SetBody(EnvelopeBody.Pong);
                _control.Pong.TimestampUs = _rx.Ping.TimestampUs;
                _control.Pong.PayloadLength = _rx.Ping.PayloadLength;
                System.Array.Copy(_rx.Ping.Payload, 0, _control.Pong.Payload, 0, _rx.Ping.PayloadLength);
                Send(_control, _rx.CorrelationId);
                return;
            }

            if (_rx.CorrelationId != 0)
            {
                for (int i = 0; i < _pendingId.Length; i++)
                {
                    if (_pendingId[i] == _rx.CorrelationId)
                    {
                        _pendingId[i] = 0;
                        _sink.OnResponse(_rx.CorrelationId, _rx);
                        return;
                    }
                }

                if (_rx.BodyCase == EnvelopeBody.RequestResult || _rx.BodyCase == EnvelopeBody.Pong)
                {
                    Counters.UnmatchedResponses++;
                    if (_rx.BodyCase != EnvelopeBody.Pong)
                    {
                        Report("answer with correlation id " + _rx.CorrelationId + " matches no pending request (late or duplicate)");
                    }

                    return;
                }
            }

            if (_rx.BodyCase == EnvelopeBody.Pong)
            {
                return; // keepalive answer: liveness already recorded
            }

            _sink.OnMessage(_rx);
        }

        private bool AcceptSequence(uint sequence)
        {
            int ahead = (int)(sequence - _rxExpected);
            if (ahead < 0)
            {
                Counters.DuplicatesDropped++;
                return false;
            }

            if (ahead > 0)
            {
                Counters.OutOfOrder++;
                Counters.MissingSequences += ahead;
            }

            _rxExpected = sequence + 1;
            return true;
        }

        private void HandleHello()
        {
            if (_settings.Role != Role.Island)
            {
                Report("unexpected Hello from the island side; dropped");
                return;
            }

            Hello hello = _rx.Hello;
            uint low = hello.MinVersion > _settings.MinVersion ? hello.MinVersion : _settings.MinVersion;
            uint high = hello.MaxVersion < _settings.MaxVersion ? hello.MaxVersion : _settings.MaxVersion;
            if (low > high)
            {
                Counters.VersionMismatches++;
                string message = "agent offers versions " + hello.MinVersion + ".." + hello.MaxVersion + ", island supports " + _settings.MinVersion + ".." + _settings.MaxVersion;
                Report(message);
                SendError(ErrorCode.UnsupportedVersion, message, _rx.Sequence);
                return;
            }

            if (_state == SessionState.Established)
            {
                Lose("agent opened a new session");
            }

            bool restarted = _peerBootKnown && hello.BootId != _peerBootId;
            _peerBootId = hello.BootId;
            _peerBootKnown = true;
            _rxExpected = _rx.Sequence + 1;

            _control.Clear();
            _control.SetBody(EnvelopeBody.HelloAck);
            HelloAck ack = _control.HelloAck;
            ack.Role = Role.Island;
            ack.Version = high;
            ack.BootId = _settings.BootId;
            ack.PeerBootId = hello.BootId;
            ack.BoardId = _settings.BoardId;
            ack.SoftwareVersion = _settings.SoftwareVersion;
            ack.Capabilities = _settings.Capabilities;
            _version = high;
            Send(_control, _rx.CorrelationId);
            Establish(restarted);
        }

        private void HandleHelloAck()
        {
            if (_settings.Role != Role.Agent)
            {
                Report("unexpected HelloAck from the agent side; dropped");
                return;
            }

            HelloAck ack = _rx.HelloAck;
            if (_state == SessionState.Established)
            {
                return; // answer to a repeated Hello: already established
            }

            if (ack.PeerBootId != _settings.BootId)
            {
                Report("HelloAck echoes boot id " + ack.PeerBootId.ToString("x") + ", this agent is " + _settings.BootId.ToString("x") + "; stale, dropped");
                return;
            }

            if (ack.Version < _settings.MinVersion || ack.Version > _settings.MaxVersion)
            {
                Counters.VersionMismatches++;
                Report("island chose version " + ack.Version + ", outside this agent's " + _settings.MinVersion + ".." + _settings.MaxVersion);
                return;
            }

            bool restarted = _peerBootKnown && ack.BootId != _peerBootId;
            _peerBootId = ack.BootId;
            _peerBootKnown = true;
            _version = ack.Version;
            _rxExpected = _rx.Sequence + 1;
            Establish(restarted);
        }

        private void Establish(bool peerRestarted)
        {
            _state = SessionState.Established;
            _lastHeardMs = _nowMs;
            Counters.SessionsEstablished++;
            if (peerRestarted)
            {
                Counters.PeerRestarts++;
            }

            _sink.OnEstablished(_version, _peerBootId, peerRestarted);
        }

        private void Lose(string reason)
        {
            _state = _settings.Role == Role.Island ? SessionState.WaitingForHello : SessionState.Connecting;
            _helloDue = true;
            Counters.SessionsLost++;
            for (int i = 0; i < _pendingId.Length; i++)
            {
                if (_pendingId[i] != 0)
                {
                    uint id = _pendingId[i];
                    _pendingId[i] = 0;
                    Counters.RequestsTimedOut++;
                    _sink.OnRequestTimeout(id);
                }
            }

            _sink.OnSessionLost(reason);
        }

        private void SendError(ErrorCode code, string message, uint offendingSequence)
        {
            _control.Clear();
            _control.SetBody(EnvelopeBody.Error);
            _control.Error.Code = code;
            _control.Error.Message = message.Length > 160 ? message.Substring(0, 160) : message;
            _control.Error.OffendingSequence = offendingSequence;
            Send(_control, 0);
        }

        private void Report(string message)
        {
            if (_errors != null)
            {
                _errors.OnLinkError(LinkErrorCode.Session, message);
            }
        }

        private static string BodyName(EnvelopeBody body)
        {
            return "Envelope body " + ((int)body).ToString();
        }

        private static string CodecName(CodecStatus status)
        {
            return "codec status " + ((int)status).ToString();
        }
    }
}
