// The island on an external MCU behind a UART: COBS + CRC-32 frames (Stratos.Island.Link.Serial) over
// a tty. The tty is put in raw mode with termios (cfmakeraw), so no byte is translated or echoed.
// Tested here over a pseudo-terminal pair made by socat; on a board the same code opens /dev/ttyS*
// or /dev/ttyUSB*.
using System;
using System.IO;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Link.Linux;

public sealed unsafe class SerialPortTransport : IByteSink, IDisposable
{
    private int _fd;
    private readonly byte[] _readBuffer = new byte[1024];

    private SerialPortTransport(int fd, ISerialFrameSink sink)
    {
        _fd = fd;
        Writer = new SerialFrameWriter(this);
        Decoder = new SerialFrameDecoder(sink, new SerialFrameCounters());
    }

    public SerialFrameWriter Writer { get; }

    public SerialFrameDecoder Decoder { get; }

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

        return new SerialPortTransport(fd, sink);
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
        if (Native.poll(&pfd, 1, timeoutMs) <= 0)
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
        }

        return Decoder.Counters.Frames - before;
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Native.close(_fd);
            _fd = -1;
        }
    }
}
