// Joins the island's LinkSession to its rpmsg channel (the nanoFramework twin of island-sim's
// RpmsgSessionLink, island role only):
//   link up (the driver set DRIVER_OK) -> session.TransportUp; the island then waits for the agent's
//   Hello (the agent's address is learned from its announcement or its first message);
//   link down (peer restart, ring reset) -> session.TransportDown;
//   a message on the channel endpoint -> session.OnMessage; session sends -> endpoint.TrySendToRemote.
// Single-threaded: everything runs on the main loop thread that polls the link.
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Nano
{
    public sealed class NanoSessionLink : IMessageTransport, IRpmsgSink, ILinkEventSink, ILinkErrorSink
    {
        private readonly IClock _clock;

        public NanoSessionLink(IClock clock)
        {
            _clock = clock;
        }

        public LinkSession Session;

        public RpmsgEndpoint Endpoint;

        public int LinkErrors;

        public LinkErrorCode LastError;

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
        {
            return Endpoint == null ? LinkSendStatus.NotReady : Endpoint.TrySendToRemote(buffer, offset, count);
        }

        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
        {
            if (Session != null)
            {
                Session.OnMessage(buffer, offset, length, _clock.MonotonicMs);
            }
        }

        public void OnLinkUp()
        {
            if (Session != null)
            {
                Session.TransportUp(_clock.MonotonicMs);
            }
        }

        public void OnLinkDown(string reason)
        {
            if (Session != null)
            {
                Session.TransportDown(reason);
            }
        }

        public void OnRemoteChannel(string name, uint address, bool created)
        {
            // Island role: the session starts on link up, not on the agent's announcement.
        }

        public void OnLinkError(LinkErrorCode code, string message)
        {
            // Counted, not logged: a peer sending garbage must not flood the console.
            LinkErrors++;
            LastError = code;
        }
    }
}
