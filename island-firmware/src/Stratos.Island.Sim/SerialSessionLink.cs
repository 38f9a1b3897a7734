// island-sim's link over a serial line (--link serial:DEVICE / serial-socket:PATH, docs/island-sim.md):
// the session's messages as COBS + CRC-32 frames (docs/link.md "Serial frame format") on a tty, or on
// a connected AF_UNIX stream socket carrying the same byte stream (QEMU's host end of an emulated
// UART: the Xen machine's COM2, hil-tests/guest/xen/machine.sh --link-socket).
//
// A serial line has no carrier and no ring to reset; the session layer does the rest:
//   line open          -> TransportUp; the island waits for the agent's Hello (as on shared memory).
//   agent restart      -> its new Hello (new boot id) re-establishes the session (peer restart).
//   island restart     -> the agent's next message gets "no session"; the agent re-Hellos.
//   bad bytes          -> dropped up to the next 0x00 delimiter and counted (bad_crc, truncated,
//                         overlong, bytes_discarded); the next good frame is delivered.
//   line gone          -> (pty closed at the other side, socket peer closed, write failed)
//                         TransportDown, then the line is reopened every ReopenIntervalMs.
//   line not drained   -> (the peer does not read: a dom0 that does not read its COM2, QEMU then
//                         stops taking the socket's bytes) sends never wait: a frame waits in a
//                         fixed transmit queue of TxQueueBytes or, when that is full, is refused
//                         with NoTxBuffer and counted (tx_no_buffer), as a full vring is. The main
//                         loop writes what waits whenever the line drains (WaitAndPoll).
// Single-threaded: everything runs on the island's main loop (WaitAndPoll).
using System;
using System.IO;
using System.Text.Json;
using System.Threading;
using Stratos.Island.Codec;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Serial;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Sim;

public sealed class SerialSessionLink : ISimLink, IMessageTransport, ISerialFrameSink
{
    public const int ReopenIntervalMs = 200;

    /// <summary>The transmit queue: eight frames of the largest size (a UART driver's TX buffer on an MCU).</summary>
    public const int TxQueueBytes = 8 * SerialFrameWriter.MaxEncodedFrame;

    private readonly SimLinkKind _kind;
    private readonly string _path;
    private readonly int _baud;
    private readonly Func<long> _nowMs;
    private readonly SimLog _log;
    private readonly SerialFrameCounters _total = new();
    private SerialPortTransport? _port;
    private long _nextOpenMs;
    private string _lastOpenError = string.Empty;
    private long _opens;
    private long _txFrames;
    private long _txFailures;
    private long _txNoBuffer;
    private string? _writeFailure;

    public SerialSessionLink(SimLinkKind kind, string path, int baud, Func<long> nowMs, SimLog log)
    {
        _kind = kind;
        _path = path;
        _baud = baud;
        _nowMs = nowMs;
        _log = log;
    }

    public LinkSession? Session { get; set; }

    public string Description => (_kind == SimLinkKind.SerialSocket ? "serial socket " : "serial ") + _path + (_kind == SimLinkKind.Serial ? " at " + _baud + " baud" : string.Empty);

    public string LastDownReason { get; private set; } = string.Empty;

    public long LastDownMs { get; private set; } = -1;

    public void Start()
    {
        TryOpen();
    }

    public void WaitAndPoll(int timeoutMs)
    {
        if (_port == null)
        {
            long now = _nowMs();
            if (now >= _nextOpenMs)
            {
                TryOpen();
            }

            if (_port == null)
            {
                Thread.Sleep(Math.Max(0, Math.Min(timeoutMs, (int)(_nextOpenMs - _nowMs()))));
                return;
            }
        }

        _port.Receive(timeoutMs);
        if (_writeFailure != null)
        {
            Down(_writeFailure);
        }
        else if (_port.Closed)
        {
            Down(Description + ": line closed by the other side");
        }
    }

    public bool TakeRingReset() => false;

    public LinkSendStatus TrySend(byte[] buffer, int offset, int count)
    {
        if (_port == null || _writeFailure != null)
        {
            return LinkSendStatus.NotReady;
        }

        try
        {
            LinkSendStatus status = _port.Send(buffer, offset, count);
            if (status == LinkSendStatus.NoTxBuffer)
            {
                _txNoBuffer++;
                return status;
            }

            if (status != LinkSendStatus.Ok)
            {
                _txFailures++;
                return status;
            }
        }
        catch (IOException e)
        {
            // Not Down() here: this runs inside the session's send; the main loop takes the line down.
            _txFailures++;
            _writeFailure = Description + ": " + e.Message;
            return LinkSendStatus.NotReady;
        }

        _txFrames++;
        return LinkSendStatus.Ok;
    }

    public void OnFrame(byte[] buffer, int offset, int length) => Session?.OnMessage(buffer, offset, length, _nowMs());

    public void WriteStatus(Utf8JsonWriter json)
    {
        json.WriteString("transport", _kind == SimLinkKind.SerialSocket ? "serial-socket" : "serial");
        json.WriteString("path", _path);
        json.WriteString("state", _port != null ? "Open" : "Closed");
        json.WriteNumber("opens", _opens);
        json.WriteString("last_open_error", _lastOpenError);
        SerialFrameCounters c = Counters();
        json.WriteNumber("rx_frames", c.Frames);
        json.WriteNumber("tx_frames", _txFrames);
        json.WriteNumber("tx_failures", _txFailures);
        json.WriteNumber("tx_no_buffer", _txNoBuffer);
        SerialPortTransport? open = _port; // the control socket's thread reads this
        json.WriteNumber("tx_queued_bytes", open != null ? open.PendingTxBytes : 0);
        json.WriteNumber("bad_crc", c.BadCrc);
        json.WriteNumber("truncated", c.Truncated);
        json.WriteNumber("overlong", c.Overlong);
        json.WriteNumber("bytes_discarded", c.BytesDiscarded);
        json.WriteNumber("errors", c.BadCrc + c.Truncated + c.Overlong);
        json.WriteNumber("last_down_ms", LastDownMs);
        json.WriteString("last_down_reason", LastDownReason);
    }

    public void Dispose()
    {
        _port?.Dispose();
        _port = null;
    }

    // The counters over every opening of the line (each open has its own decoder).
    private SerialFrameCounters Counters()
    {
        var sum = new SerialFrameCounters
        {
            Frames = _total.Frames,
            BadCrc = _total.BadCrc,
            Truncated = _total.Truncated,
            Overlong = _total.Overlong,
            BytesDiscarded = _total.BytesDiscarded,
        };
        SerialPortTransport? port = _port; // the control socket's thread reads this too
        if (port != null)
        {
            SerialFrameCounters c = port.Decoder.Counters;
            sum.Frames += c.Frames;
            sum.BadCrc += c.BadCrc;
            sum.Truncated += c.Truncated;
            sum.Overlong += c.Overlong;
            sum.BytesDiscarded += c.BytesDiscarded;
        }

        return sum;
    }

    private void TryOpen()
    {
        try
        {
            _port = _kind == SimLinkKind.SerialSocket
                ? SerialPortTransport.ConnectUnixSocket(_path, this, TxQueueBytes)
                : SerialPortTransport.Open(_path, _baud, this, TxQueueBytes);
        }
        catch (IOException e)
        {
            if (e.Message != _lastOpenError)
            {
                _log.Warn(e.Message + " (retrying every " + ReopenIntervalMs + " ms)");
            }

            _lastOpenError = e.Message;
            _nextOpenMs = _nowMs() + ReopenIntervalMs;
            return;
        }

        _opens++;
        _lastOpenError = string.Empty;
        _log.Info("link up: " + Description);
        Session?.TransportUp(_nowMs());
    }

    private void Down(string reason)
    {
        if (_port == null)
        {
            return;
        }

        SerialFrameCounters c = Counters();
        _total.Frames = c.Frames;
        _total.BadCrc = c.BadCrc;
        _total.Truncated = c.Truncated;
        _total.Overlong = c.Overlong;
        _total.BytesDiscarded = c.BytesDiscarded;
        _port.Dispose();
        _port = null;
        _writeFailure = null;
        _log.Info("link down: " + reason);
        LastDownReason = reason;
        LastDownMs = _nowMs();
        _nextOpenMs = LastDownMs + ReopenIntervalMs;
        Session?.TransportDown(reason);
    }
}
