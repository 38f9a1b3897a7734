// The island on an external MCU behind a UART: COBS + CRC-32 frames (Stratos.Island.Link.Serial) over
// a tty. The tty is put in raw mode with termios (cfmakeraw), so no byte is translated or echoed.
// Tested here over a pseudo-terminal pair made by socat; on a board the same code opens /dev/ttyS*
// or /dev/ttyUSB*. The same byte stream also runs over a connected AF_UNIX stream socket (QEMU's
// `-chardev socket,server=on` end of an emulated UART, see hil-tests/guest/xen/machine.sh).
// A line that goes away (the pty's other side closed: EIO / POLLHUP; the socket's peer closed: EOF)
// sets Closed; the owner reopens. Opening writes one 0x00 so the peer drops a half frame left by
// whoever wrote to the line before (a killed island mid-frame).
//
// Transmission has two modes, chosen at open:
//   blocking (txQueueBytes 0, the agent's link thread): write(2) waits while the line is full.
//   queued (txQueueBytes > 0, island-sim: its main loop never waits on the link, DESIGN.md "sends
//     from the island never block"): the descriptor is non-blocking; a frame is accepted only when
//     it fits whole in the transmit queue (a fixed ring, like an MCU's UART TX buffer), the kernel
//     takes what it can at once, the rest is written as the line drains (Receive polls for POLLOUT
//     while bytes wait). A frame that does not fit is refused with NoTxBuffer and counted, as a
//     full vring is. Issue 18: the Xen machine's QEMU stops draining COM2 while dom0 does not read
//     it, and island-sim's write retried EAGAIN in a loop until its own watchdog reset the island.
using System;
using System.IO;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Link.Linux;

public sealed unsafe class SerialPortTransport : IByteSink, IDisposable
{
    private int _fd;
    private readonly byte[] _readBuffer = new byte[1024];
    private readonly IDisposable? _owner;
    private readonly byte[] _plain = new byte[SerialFrameWriter.MaxPayload + 4];
    private readonly byte[] _encoded = new byte[SerialFrameWriter.MaxEncodedFrame];
    private static readonly byte[] Delimiter = { 0 };

    // Queued mode: the bytes accepted but not yet taken by the kernel, a ring of _txQueue.Length.
    private readonly byte[]? _txQueue;
    private int _txHead;
    private int _txCount;

    private SerialPortTransport(int fd, ISerialFrameSink sink, int txQueueBytes, IDisposable? owner = null)
    {
        _fd = fd;
        _owner = owner;
        Decoder = new SerialFrameDecoder(sink, new SerialFrameCounters());
        if (txQueueBytes > 0)
        {
            _txQueue = new byte[txQueueBytes];
        }
    }

    /// <summary>Bytes accepted in queued mode that the line has not taken yet.</summary>
    public int PendingTxBytes => _txCount;

    /// <summary>Frames refused because the transmit queue had no room for them (queued mode).</summary>
    public long TxNoBuffer { get; private set; }

    public SerialFrameDecoder Decoder { get; }

    /// <summary>The line went away (pty closed at the other side, socket peer closed): reopen.</summary>
    public bool Closed { get; private set; }

    /// <summary>Connects to an AF_UNIX stream socket carrying the serial byte stream (an emulated
    /// UART's host end). Throws IOException naming the path when nobody listens there.
    /// <paramref name="txQueueBytes"/> &gt; 0: queued transmission (never blocks), see the primer.</summary>
    public static SerialPortTransport ConnectUnixSocket(string path, ISerialFrameSink sink, int txQueueBytes = 0)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            socket.Dispose();
            throw new IOException("cannot connect to serial socket '" + path + "': " + e.SocketErrorCode);
        }

        var transport = new SerialPortTransport((int)socket.Handle, sink, txQueueBytes, socket);
        if (txQueueBytes > 0)
        {
            transport.SetNonBlocking(path);
        }

        return Opened(transport, path);
    }

    private void SetNonBlocking(string path)
    {
        int flags = Native.fcntl(_fd, Native.F_GETFL, 0);
        if (flags < 0 || Native.fcntl(_fd, Native.F_SETFL, flags | Native.O_NONBLOCK) < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Dispose();
            throw new IOException("serial line '" + path + "': cannot make it non-blocking (fcntl errno " + errno + ")");
        }
    }

    // A lone 0x00 first: the peer's decoder drops any half frame a previous writer left (docs/link.md
    // "Serial frame format").
    private static SerialPortTransport Opened(SerialPortTransport transport, string path)
    {
        try
        {
            transport.Write(Delimiter, 0, 1);
            return transport;
        }
        catch (IOException e)
        {
            transport.Dispose();
            throw new IOException("serial line '" + path + "': " + e.Message);
        }
    }

    /// <summary>Opens a tty (or pty) in raw mode at the given baud rate. <paramref name="txQueueBytes"/>
    /// &gt; 0: queued transmission (never blocks), see the primer.</summary>
    public static SerialPortTransport Open(string path, int baud, ISerialFrameSink sink, int txQueueBytes = 0)
    {
        int fd = Native.open(path, Native.O_RDWR | Native.O_NOCTTY | Native.O_CLOEXEC | (txQueueBytes > 0 ? Native.O_NONBLOCK : 0));
        if (fd < 0)
        {
            throw new IOException("cannot open serial port '" + path + "': errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }

        byte* termios = stackalloc byte[Termios.OpaqueSize];
        if (Termios.tcgetattr(fd, termios) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Native.close(fd);
            throw new IOException("'" + path + "' is not a terminal (tcgetattr errno " + errno + ")");
        }

        Termios.cfmakeraw(termios);
        Termios.cfsetspeed(termios, Termios.SpeedCode(baud));
        if (Termios.tcsetattr(fd, Termios.TCSANOW, termios) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Native.close(fd);
            throw new IOException("cannot set raw mode on '" + path + "' (tcsetattr errno " + errno + ")");
        }

        return Opened(new SerialPortTransport(fd, sink, txQueueBytes), path);
    }

    /// <summary>Sends one frame (payload up to 512 bytes). Returns false when it was not sent (see <see cref="Send"/>).</summary>
    public bool TrySendFrame(byte[] payload, int offset, int count) => Send(payload, offset, count) == LinkSendStatus.Ok;

    /// <summary>
    /// Sends one frame: Ok (written, or queued whole in queued mode), TooLarge (a bad argument or a
    /// payload over 512 bytes), NoTxBuffer (queued mode: the queue has no room for the whole frame;
    /// nothing of it is sent). Throws IOException when the line fails.
    /// </summary>
    public LinkSendStatus Send(byte[] payload, int offset, int count)
    {
        if (payload == null || offset < 0 || count < 0 || offset > payload.Length - count || count > SerialFrameWriter.MaxPayload)
        {
            return LinkSendStatus.TooLarge;
        }

        int length = SerialFrameWriter.Encode(payload, offset, count, _plain, _encoded);
        if (_txQueue == null)
        {
            WriteAll(_encoded, 0, length);
            return LinkSendStatus.Ok;
        }

        if (_txQueue.Length - _txCount < length)
        {
            // What waits may have drained meanwhile.
            Flush();
            if (_txQueue.Length - _txCount < length)
            {
                TxNoBuffer++;
                return LinkSendStatus.NoTxBuffer;
            }
        }

        Enqueue(_encoded, 0, length);
        Flush();
        return LinkSendStatus.Ok;
    }

    /// <summary>Writes raw bytes (the frame writer's delimiter; tests inject line noise with it). In
    /// queued mode they join the queue, or an IOException says the queue is full.</summary>
    public void Write(byte[] buffer, int offset, int count)
    {
        if (_txQueue == null)
        {
            WriteAll(buffer, offset, count);
            return;
        }

        if (_txQueue.Length - _txCount < count)
        {
            throw new IOException("serial transmit queue full (" + _txCount + " of " + _txQueue.Length + " bytes wait)");
        }

        Enqueue(buffer, offset, count);
        Flush();
    }

    // Blocking mode: every byte written; a line that is full is waited for (poll, not a spin).
    private void WriteAll(byte[] buffer, int offset, int count)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < count)
            {
                nint n = Native.write(_fd, p + offset + done, (nuint)(count - done));
                if (n < 0)
                {
                    int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    if (errno == Native.EAGAIN)
                    {
                        Native.PollFd pfd = new() { Fd = _fd, Events = Native.POLLOUT };
                        Native.poll(&pfd, 1, -1);
                        continue;
                    }

                    if (errno == Native.EINTR)
                    {
                        continue;
                    }

                    throw new IOException("serial write failed: errno " + errno);
                }

                done += (int)n;
            }
        }
    }

    private void Enqueue(byte[] buffer, int offset, int count)
    {
        int tail = (_txHead + _txCount) % _txQueue!.Length;
        int first = Math.Min(count, _txQueue.Length - tail);
        Array.Copy(buffer, offset, _txQueue, tail, first);
        Array.Copy(buffer, offset + first, _txQueue, 0, count - first);
        _txCount += count;
    }

    /// <summary>Queued mode: writes what waits until the kernel takes no more (never waits).
    /// Throws IOException when the line fails.</summary>
    public void Flush()
    {
        if (_txQueue == null)
        {
            return;
        }

        fixed (byte* p = _txQueue)
        {
            while (_txCount > 0)
            {
                int run = Math.Min(_txCount, _txQueue.Length - _txHead);
                nint n = Native.write(_fd, p + _txHead, (nuint)run);
                if (n < 0)
                {
                    int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    if (errno == Native.EAGAIN)
                    {
                        return;
                    }

                    if (errno == Native.EINTR)
                    {
                        continue;
                    }

                    throw new IOException("serial write failed: errno " + errno);
                }

                _txHead = (_txHead + (int)n) % _txQueue.Length;
                _txCount -= (int)n;
            }

            _txHead = 0;
        }
    }

    /// <summary>Waits up to timeoutMs for bytes, feeds everything available to the decoder and returns
    /// the number of good frames delivered to the sink. In queued mode it also writes what waits as
    /// the line takes it (a line that fails then is Closed).</summary>
    public int Receive(int timeoutMs)
    {
        int before = Decoder.Counters.Frames;
        Native.PollFd pfd = new() { Fd = _fd, Events = (short)(Native.POLLIN | (_txCount > 0 ? Native.POLLOUT : 0)) };
        if (Closed || Native.poll(&pfd, 1, timeoutMs) <= 0)
        {
            return 0;
        }

        if ((pfd.Revents & Native.POLLOUT) != 0)
        {
            try
            {
                Flush();
            }
            catch (IOException)
            {
                Closed = true; // the peer went away (EPIPE, ECONNRESET)
            }
        }

        if ((pfd.Revents & ~Native.POLLOUT) == 0)
        {
            return 0; // only writable: nothing to read (POLLIN, POLLHUP, POLLERR, POLLNVAL all read)
        }

        fixed (byte* p = _readBuffer)
        {
            nint n = Native.read(_fd, p, (nuint)_readBuffer.Length);
            if (n > 0)
            {
                Decoder.Feed(_readBuffer, 0, (int)n);
            }
            else if (n == 0 || (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is int errno && errno != Native.EINTR && errno != Native.EAGAIN))
            {
                Closed = true; // EOF of a socket, EIO of a pty whose other side closed
            }
        }

        return Decoder.Counters.Frames - before;
    }

    public void Dispose()
    {
        if (_owner != null)
        {
            _owner.Dispose();
            _fd = -1;
        }
        else if (_fd >= 0)
        {
            Native.close(_fd);
            _fd = -1;
        }
    }
}
