using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Agent.Link
{
    /// <summary>
    /// An island on an external MCU behind a UART (board link.transport: serial): COBS + CRC-32 frames.
    /// A serial line has no carrier: the channel is up once the port is open; an island reboot is
    /// noticed by the session layer (boot ids, "no session" errors). A line that goes away (a pty
    /// whose other side closed) reports down and the next Pump throws, so the link thread reopens it.
    /// </summary>
    public sealed class SerialChannel : ILinkChannel, ISerialFrameSink
    {
        private readonly SerialPortTransport _port;
        private readonly ILinkChannelSink _sink;
        private bool _down;

        private SerialChannel(string device, int baud, ILinkChannelSink sink)
        {
            _sink = sink;
            Description = $"serial {device} at {baud} baud";
            _port = SerialPortTransport.Open(device, baud, this);
            _sink.OnChannelUp();
        }

        public string Description { get; }

        public static LinkChannelFactory Factory(string device, int baud) => sink => new SerialChannel(device, baud, sink);

        public void Pump(int timeoutMs)
        {
            if (_down)
            {
                throw new System.IO.IOException(Description + ": line closed");
            }

            _port.Receive(timeoutMs);
            if (_port.Closed)
            {
                _down = true;
                _sink.OnChannelDown(Description + ": line closed by the other side");
            }
        }

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count) => _port.Send(buffer, offset, count);

        public void OnFrame(byte[] buffer, int offset, int length) => _sink.OnChannelMessage(buffer, offset, length);

        public string? LineStatus
        {
            get
            {
                Stratos.Island.Link.Serial.SerialFrameCounters c = _port.Decoder.Counters;
                return $"{c.Frames} frames received, {c.BadCrc} with a bad CRC, {c.Truncated} truncated, {c.Overlong} overlong, {c.BytesDiscarded} bytes discarded";
            }
        }

        public void Dispose() => _port.Dispose();
    }

    /// <summary>
    /// Linux rpmsg char endpoint device (/dev/rpmsgN, board link.transport: rpmsg-char). One read is
    /// one message; EPIPE / ENETRESET mean the island withdrew the channel or the device went away:
    /// the channel reports down and the link thread reopens it. Each open finds the endpoint afresh
    /// through <see cref="RpmsgEndpointLocator"/> (the island's announcement on the board's control
    /// device; the endpoint is reused or created with RPMSG_CREATE_EPT_IOCTL), unless the operator
    /// named a fixed device (--rpmsg-device).
    /// </summary>
    public sealed class RpmsgCharChannel : ILinkChannel
    {
        private readonly RpmsgCharEndpoint _endpoint;
        private readonly ILinkChannelSink _sink;
        private readonly byte[] _rx = new byte[512];
        private bool _up;

        private RpmsgCharChannel(string device, string description, ILinkChannelSink sink)
        {
            _sink = sink;
            Description = description;
            RpmsgCharResult result = RpmsgCharEndpoint.TryOpen(device, nonBlocking: true, out RpmsgCharEndpoint? endpoint);
            if (result != RpmsgCharResult.Ok || endpoint is null)
            {
                throw new System.IO.IOException($"cannot open rpmsg endpoint '{device}': {result}");
            }

            _endpoint = endpoint;
            _up = true;
            _sink.OnChannelUp();
        }

        public string Description { get; }

        /// <summary>A fixed endpoint device the operator named.</summary>
        public static LinkChannelFactory Factory(string device) => sink => new RpmsgCharChannel(device, "rpmsg char " + device, sink);

        /// <summary>The endpoint for <paramref name="channel"/> behind <paramref name="controlDevice"/>, located on every open.</summary>
        public static LinkChannelFactory Factory(RpmsgEndpointLocator locator, string controlDevice, string channel) => sink =>
        {
            RpmsgEndpointLocation location = locator.Locate(controlDevice, channel);
            return new RpmsgCharChannel(location.DevicePath, location.Description, sink);
        };

        public void Pump(int timeoutMs)
        {
            if (!_up)
            {
                throw new System.IO.IOException(Description + ": endpoint gone");
            }

            RpmsgCharResult result = _endpoint.TryReceive(_rx, timeoutMs, out int length);
            while (result == RpmsgCharResult.Ok)
            {
                _sink.OnChannelMessage(_rx, 0, length);
                result = _endpoint.TryReceive(_rx, 0, out length);
            }

            if (result is RpmsgCharResult.EndpointGone or RpmsgCharResult.DeviceGone or RpmsgCharResult.IoError)
            {
                _up = false;
                _sink.OnChannelDown(Description + ": " + result);
            }
        }

        public LinkSendStatus TrySend(byte[] buffer, int offset, int count) => _endpoint.TrySend(buffer, offset, count) switch
        {
            RpmsgCharResult.Ok => LinkSendStatus.Ok,
            RpmsgCharResult.WouldBlock => LinkSendStatus.NoTxBuffer,
            RpmsgCharResult.TooLarge => LinkSendStatus.TooLarge,
            _ => LinkSendStatus.NotReady,
        };

        public void Dispose() => _endpoint.Dispose();
    }
}
