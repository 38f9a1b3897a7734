// A Xen domain's console as a byte stream for the Xen backend (docs/vmm.md "Xen").
//
// xenconsoled copies each domain's console ring (the guest's hvc0) to a pseudo-terminal in dom0 and
// writes the pty's path to xenstore, /local/domain/<id>/console/tty. The agent opens that pty
// (O_RDWR | O_NOCTTY: it never becomes the agent's controlling terminal) and puts it in raw mode
// (cfmakeraw): no echo, so what the agent writes (guest commands) is not bounced back to the guest,
// no CR/LF translation, no line editing. A read waits in poll(2) in slices of PollSliceMs so a
// cancelled read or a dispose ends it promptly (a blocked read(2) would not return on close(2)).
// When the domain dies xenconsoled closes the pty's master; the read then returns EIO or 0, which
// ends the stream like the closing of QEMU's serial socket.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Vmm.Xen;

/// <summary>A domain console pty opened raw, as a non-seekable read/write stream.</summary>
public sealed partial class ConsolePty : Stream
{
    private const int OpenReadWrite = 2;
    private const int OpenNoControllingTty = 0x100;   // O_NOCTTY on Linux
    private const int OpenCloseOnExec = 0x80000;      // O_CLOEXEC on Linux
    private const short PollIn = 0x1;
    private const short PollErr = 0x8;
    private const short PollHangUp = 0x10;
    private const int ErrorInterrupted = 4;
    private const int ErrorIo = 5;
    private const int ErrorAgain = 11;
    private const int PollSliceMs = 100;
    // struct termios is 60 bytes on Linux x86_64 and aarch64 (glibc); the buffer is only handed to
    // tcgetattr/cfmakeraw/tcsetattr, never interpreted here.
    private const int TermiosBufferBytes = 128;

    private int _fd;

    private ConsolePty(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The pty's path (e.g. /dev/pts/3).</summary>
    public string Path { get; }

    /// <summary>Opens the pty and makes it raw; VmmException(ConnectionClosed) naming the path when either fails.</summary>
    public static unsafe ConsolePty Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int fd = NativeOpen(path, OpenReadWrite | OpenNoControllingTty | OpenCloseOnExec);
        if (fd < 0)
            throw new VmmException(VmmErrorKind.ConnectionClosed, $"cannot open the domain console '{path}': {LastError()}");
        byte* termios = stackalloc byte[TermiosBufferBytes];
        if (NativeTcGetAttr(fd, termios) < 0)
        {
            string reason = LastError();
            NativeClose(fd);
            throw new VmmException(VmmErrorKind.ConnectionClosed, $"the domain console '{path}' is not a terminal: {reason}");
        }

        NativeCfMakeRaw(termios);
        if (NativeTcSetAttr(fd, 0, termios) < 0)   // TCSANOW
        {
            string reason = LastError();
            NativeClose(fd);
            throw new VmmException(VmmErrorKind.ConnectionClosed, $"cannot make the domain console '{path}' raw: {reason}");
        }

        return new ConsolePty(fd, path);
    }

    public override bool CanRead => Volatile.Read(ref _fd) >= 0;
    public override bool CanWrite => Volatile.Read(ref _fd) >= 0;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => ReadCore(buffer, CancellationToken.None);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Task.Factory.StartNew(() => ReadCore(buffer.Span, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>0 at end of stream: the pty's master closed (the domain is gone) or the stream was disposed.</summary>
    private unsafe int ReadCore(Span<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int fd = Volatile.Read(ref _fd);
            if (fd < 0)
                return 0;
            var poll = new PollFd { Fd = fd, Events = PollIn };
            int ready = NativePoll(&poll, 1, PollSliceMs);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == ErrorInterrupted)
                    continue;
                throw new IOException($"poll on the domain console '{Path}': {LastError()}");
            }

            if (ready == 0)
                continue;
            if ((poll.Revents & PollIn) == 0 && (poll.Revents & (PollHangUp | PollErr)) != 0)
                return 0;
            fixed (byte* bytes = buffer)
            {
                nint n = NativeRead(fd, bytes, (nuint)buffer.Length);
                if (n >= 0)
                    return (int)n;
                int error = Marshal.GetLastPInvokeError();
                if (error is ErrorInterrupted or ErrorAgain)
                    continue;
                if (error == ErrorIo)
                    return 0;   // the master side closed: the domain is gone
                throw new IOException($"read from the domain console '{Path}': {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int fd = Volatile.Read(ref _fd);
            if (fd < 0)
                throw new IOException($"the domain console '{Path}' is closed");
            nint n;
            fixed (byte* bytes = buffer)
                n = NativeWrite(fd, bytes, (nuint)buffer.Length);
            if (n < 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error is ErrorInterrupted or ErrorAgain)
                    continue;
                throw new IOException($"write to the domain console '{Path}': {Marshal.GetPInvokeErrorMessage(error)}");
            }

            buffer = buffer[(int)n..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // A reader in poll sees the descriptor gone at its next slice and returns 0.
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            NativeClose(fd);
        base.Dispose(disposing);
    }

    private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint NativeRead(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint NativeWrite(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int NativePoll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static unsafe partial int NativeTcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static unsafe partial int NativeTcSetAttr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static unsafe partial void NativeCfMakeRaw(byte* termios);
}
