using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// A connected UNIX stream socket on the C library's socket calls (Linux): socket, connect, recv,
/// send, shutdown, close. The CLI's connection uses it instead of System.Net.Sockets because a fresh
/// process pays for that library's set-up (its assembly, endpoint and async-engine types) on every
/// command; this needs four blocking calls. Errors come back as <see cref="IOException"/> with the
/// C library's message (connect: <see cref="GrpcException"/> UNAVAILABLE naming the path).
/// </summary>
public sealed partial class UnixSocketStream : Stream
{
    private const int AddressFamilyUnix = 1;
    private const int SocketStream = 1;
    private const int SocketCloseOnExec = 0x80000;
    private const int ShutdownBoth = 2;
    private const int SendNoSignal = 0x4000;
    private const int ErrorInterrupted = 4;
    private const int SunPathBytes = 108;

    private int _fd;

    private UnixSocketStream(int fd) => _fd = fd;

    /// <summary>Connects to <paramref name="path"/>; UNAVAILABLE with the reason when that fails.</summary>
    public static unsafe UnixSocketStream Connect(string path)
    {
        var pathBytes = Encoding.UTF8.GetBytes(path);
        if (pathBytes.Length >= SunPathBytes)
        {
            throw new GrpcException(GrpcStatusCode.Unavailable, $"cannot connect to {path}: the path is longer than {SunPathBytes - 1} bytes");
        }

        int fd = NativeSocket(AddressFamilyUnix, SocketStream | SocketCloseOnExec, 0);
        if (fd < 0)
        {
            throw new GrpcException(GrpcStatusCode.Unavailable, $"cannot connect to {path}: socket: {LastError()}");
        }

        // struct sockaddr_un: sa_family_t (2 bytes) then the NUL-terminated path.
        byte* address = stackalloc byte[2 + SunPathBytes];
        new Span<byte>(address, 2 + SunPathBytes).Clear();
        address[0] = AddressFamilyUnix;
        pathBytes.AsSpan().CopyTo(new Span<byte>(address + 2, SunPathBytes));   // Span's CopyTo: precompiled
        int result;
        do
        {
            result = NativeConnect(fd, address, (uint)(2 + pathBytes.Length + 1));
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == ErrorInterrupted);

        if (result < 0)
        {
            string reason = LastError();
            NativeClose(fd);
            throw new GrpcException(GrpcStatusCode.Unavailable, $"cannot connect to {path}: {reason}");
        }

        return new UnixSocketStream(fd);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override unsafe int Read(byte[] buffer, int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, buffer.Length - offset);
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = NativeRecv(Fd(), p + offset, count, 0);
                if (n >= 0)
                {
                    return (int)n;
                }

                if (Marshal.GetLastPInvokeError() != ErrorInterrupted)
                {
                    throw new IOException("recv: " + LastError());
                }
            }
        }
    }

    public override unsafe void Write(byte[] buffer, int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, buffer.Length - offset);
        fixed (byte* p = buffer)
        {
            int sent = 0;
            while (sent < count)
            {
                nint n = NativeSend(Fd(), p + offset + sent, count - sent, SendNoSignal);
                if (n >= 0)
                {
                    sent += (int)n;
                }
                else if (Marshal.GetLastPInvokeError() != ErrorInterrupted)
                {
                    throw new IOException("send: " + LastError());
                }
            }
        }
    }

    /// <summary>Ends both directions: a thread blocked in <see cref="Read"/> returns 0 at once.</summary>
    public void Shutdown()
    {
        int fd = _fd;
        if (fd > 0)
        {
            NativeShutdown(fd, ShutdownBoth);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        int fd = System.Threading.Interlocked.Exchange(ref _fd, -1);
        if (fd > 0)
        {
            NativeClose(fd);
        }

        base.Dispose(disposing);
    }

    private int Fd()
    {
        int fd = _fd;
        return fd > 0 ? fd : throw new ObjectDisposedException(nameof(UnixSocketStream));
    }

    private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int NativeSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static unsafe partial int NativeConnect(int fd, byte* address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint NativeRecv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint NativeSend(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int NativeShutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);
}
