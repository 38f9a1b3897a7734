using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Link
{
    // The one way the island's link endpoint sends: fill the session's reused outgoing Envelope
    // (Begin), then Send it without blocking and count the outcome. Allocates nothing.
    internal sealed class EnvelopeSender
    {
        private readonly IslandLinkCounters _counters;
        private LinkSession _session;

        internal EnvelopeSender(IslandLinkCounters counters)
        {
            _counters = counters;
        }

        internal void Attach(LinkSession session)
        {
            _session = session;
        }

        internal LinkSession Session
        {
            get { return _session; }
        }

        internal bool IsUp()
        {
            return _session != null && _session.State == SessionState.Up;
        }

        // The session's outgoing Envelope, cleared to the given body. Only while IsUp().
        internal Envelope Begin(EnvelopeBody body, uint correlation)
        {
            Envelope e = _session.Outgoing;
            e.SetBody(body);
            e.CorrelationId = correlation;
            return e;
        }

        // Sends the Envelope filled after Begin; false when the ring or the session refused it.
        internal bool Send()
        {
            LinkSendStatus status = _session.Send(_session.Outgoing);
            if (status == LinkSendStatus.Ok)
            {
                _counters.Sent++;
                return true;
            }

            if (status == LinkSendStatus.NoTxBuffer)
            {
                _counters.RingFull++;
            }
            else if (status == LinkSendStatus.NotReady || status == LinkSendStatus.NoDestination)
            {
                _counters.NotConnected++;
            }
            else
            {
                _counters.SendErrors++;
            }

            return false;
        }

        // The string itself when its UTF-8 encoding fits maxBytes, else its longest prefix that fits
        // (cut at a character boundary; allocates only in that case).
        internal static string Fit(string value, int maxBytes)
        {
            return value == null ? string.Empty : Utf8.Truncate(value, maxBytes);
        }
    }
}
