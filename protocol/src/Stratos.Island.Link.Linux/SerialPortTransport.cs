// The island on an external MCU behind a UART: COBS + CRC-32 frames (Stratos.Island.Link.Serial) over
// a tty. The tty is put in raw mode with termios (cfmakeraw), so no byte is translated or echoed.
// Tested here over a pseudo-terminal pair made by socat; on a board the same code opens /dev/ttyS*
// or /dev/ttyUSB*. The same byte stream also runs over a connected AF_UNIX stream socket (QEMU's
// `-chardev socket,server=on` end of an emulated UART, see hil-tests/guest/xen/machine.sh).
// A line that goes away (the pty's other side closed: EIO / POLLHUP; the socket's peer closed: EOF)
// sets Closed; the owner reopens. Opening writes one 0x00 so the peer drops a half frame left by
// whoever wrote to the line before (a killed island mid-frame).
using System;
using System.IO;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Link.Linux;

public sealed unsafe class SerialPortTransport : IByteSink, IDisposable
{
    private int _fd;
    private readonly byte[] _readBuffer = new byte[1024];
    private readonly IDisposable? _owner;

    private SerialPortTransport(int fd, ISerialFrameSink sink, IDisposable? owner = null)
    {
        _fd = fd;
        _owner = owner;
        Writer = new SerialFrameWriter(this);
        Decoder = new SerialFrameDecoder(sink, new SerialFrameCounters());
    }

    public SerialFrameWriter Writer { get; }

    public SerialFrameDecoder Decoder { get; }

    /// <summary>The line went away (pty closed at the other side, socket peer closed): reopen.</summary>
    public bool Closed { get; private set; }

    /// <summary>Connects to an AF_UNIX stream socket carrying the serial byte stream (an emulated
    /// UART's host end). Throws IOException naming the path when nobody listens there.</summary>
    public static SerialPortTransport ConnectUnixSocket(string path, ISerialFrameSink sink)
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

        return Opened(new SerialPortTransport((int)socket.Handle, sink, socket), path);
    }

    // A lone 0x00 first: the peer's decoder drops any half frame a previous writer left (docs/link.md
    // "Serial frame format").
    private static SerialPortTransport Opened(SerialPortTransport transport, string path)
    {
        try
        {
            transport.Writer.WriteDelimiter();
            return transport;
        }
        catch (IOException e)
        {
            transport.Dispose();
            throw new IOException("serial line '" + path + "': " + e.Message);
        }
    }

    /// <summary>Opens a tty (or pty) in raw mode at the given baud rate.</summary>
    public static SerialPortTransport Open(string path, int baud, ISerialFrameSink sink)
    {
        int fd = Native.open(path, Native.O_RDWR | Native.O_NOCTTY | Native.O_CLOEXEC);
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

        return Opened(new SerialPortTransport(fd, sink), path);
    }

    /// <summary>Sends one frame (payload up to 512 bytes). Returns false for a bad argument or size.</summary>
    public bool TrySendFrame(byte[] payload, int offset, int count) => Writer.TryWrite(payload, offset, count);

    /// <summary>Writes raw bytes (used by the frame writer; tests use it to inject line noise).</summary>
    public void Write(byte[] buffer, int offset, int count)
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
                    if (errno == Native.EINTR || errno == Native.EAGAIN)
                    {
                        continue;
                    }

                    throw new IOException("serial write failed: errno " + errno);
                }

                done += (int)n;
            }
        }
    }

    /// <summary>Waits up to timeoutMs for bytes, feeds everything available to the decoder and returns
    /// the number of good frames delivered to the sink.</summary>
    public int Receive(int timeoutMs)
    {
        int before = Decoder.Counters.Frames;
        Native.PollFd pfd = new() { Fd = _fd, Events = Native.POLLIN };
        if (Closed || Native.poll(&pfd, 1, timeoutMs) <= 0)
        {
            return 0;
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
