using Stratos.Island.Codec.Link;

namespace Stratos.Island.Link.Session
{
    /// <summary>Where a session sends its encoded Envelopes (an rpmsg endpoint, a serial link...).</summary>
    public interface ISessionTransport
    {
        LinkSendStatus TrySend(byte[] buffer, int offset, int count);
    }

    /// <summary>Sends through an rpmsg endpoint to the peer's address learned by the name service.</summary>
    public sealed class EndpointTransport : ISessionTransport
    {
        public RpmsgEndpoint Endpoint;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            if (Endpoint == null)
            {
                return LinkSendStatus.NotReady;
            }

            return Endpoint.TrySendToRemote(buffer, offset, count);
        }
    }

    /// <summary>What the session tells its owner. All calls come from Poll or from message delivery,
    /// on the owner's thread; the Envelope passed in is the session's receive object (copy what you keep).</summary>
    public interface ISessionSink
    {
        /// <summary>The session is (re)established: the re-sync point. peerRestarted is true when the
        /// peer's boot id differs from the one of the previous session (the peer lost its state).</summary>
        void OnEstablished(uint version, ulong peerBootId, bool peerRestarted);

        void OnSessionLost(string reason);

        /// <summary>An answer to a request sent with TrySendRequest.</summary>
        void OnResponse(uint correlationId, Envelope envelope);

        void OnRequestTimeout(uint correlationId);

        /// <summary>Any other message (requests from the peer, unsolicited reports).</summary>
        void OnMessage(Envelope envelope);
    }

    public enum SessionState
    {
        /// <summary>Agent: Hello sent (and repeated), waiting for HelloAck.</summary>
        Connecting = 0,
        /// <summary>Island: waiting for the agent's Hello.</summary>
        WaitingForHello = 1,
        Established = 2,
    }

    public sealed class SessionSettings
    {
        public Stratos.Island.Codec.Role Role;
        public ulong BootId;
        public uint MinVersion = 1;
        public uint MaxVersion = 1;
        public string BoardId = string.Empty;
        public string SoftwareVersion = string.Empty;
        public uint Capabilities;
        public int HelloRetryMs = 200;
        public int KeepaliveIntervalMs = 500;
        public int PeerTimeoutMs = 2000;
        public int MaxPendingRequests = 16;
    }

    public sealed class SessionCounters
    {
        public int Sent;
        public int Received;
        public int SendFailures;
        public int Malformed;
        public int DuplicatesDropped;
        public int OutOfOrder;
        public int MissingSequences;
        public int VersionMismatches;
        public int PeerRestarts;
        public int SessionsEstablished;
        public int SessionsLost;
        public int KeepalivesSent;
        public int RequestsTimedOut;
        public int UnmatchedResponses;
        public int PendingTableFull;
    }
}
