namespace Stratos.Island.Firmware.Link
{
    // Counters of the island's link endpoint (single writer: the main loop).
    public sealed class IslandLinkCounters
    {
        public long Sent;
        // Sends refused because the TX ring had no buffer.
        public long RingFull;
        // Sends refused because no session was up.
        public long NotConnected;
        public long SendErrors;
        public long EventsNotSent;
        public long StatusResends;
        public long Queued;
        public long QueueOverflows;
        // Queued directives dropped because the core had cancelled them before they could be sent.
        public long StaleDirectivesDropped;
        public long AnswersIncomplete;
        public long LogPagesSent;
        public long BlobsRefused;
        public long SessionsUp;
        public long SessionsDown;
        public long AgentRestarts;
        public long PeerErrors;
        public long UnexpectedMessages;
    }
}
