using System;
using System.Collections;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Stratos.Island.Cli;

/// <summary>
/// The process's standard output and error, and its environment, as the CLI uses them. Not through
/// System.Console: its first use sets up the terminal and the encoding machinery, about 2-4 ms of a
/// CLI run that prints a few lines (docs/cli.md, start-up). Output is UTF-8 without a BOM and line
/// buffered (a line is written as soon as it is complete, so `events --follow` streams); a reader
/// that went away (EPIPE, `island vm list | head -1`) ends output silently, as with System.Console.
/// </summary>
public static partial class ProcessIo
{
    public const int StandardOutput = 1;
    public const int StandardError = 2;

    /// <summary>Whether the descriptor is a terminal (colour and tables only then).</summary>
    public static bool IsTerminal(int fd) => NativeIsATty(fd) == 1;

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int NativeIsATty(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint NativeWrite(int fd, byte* buffer, nint count);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    internal const short PollOut = 0x4;

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int NativePoll(PollFd* fds, nuint count, int timeoutMs);
}

/// <summary>
/// A line-buffered UTF-8 writer on a file descriptor: what is written is kept until a line ends
/// (or <see cref="Flush"/>, or 8 KiB), then written with write(2), retried on EINTR and partial
/// writes. A descriptor someone made non-blocking (EAGAIN) is waited on with poll(2) until it takes
/// more, as System.Console does. EPIPE drops the output quietly (the reader is gone); other errors
/// throw IOException.
/// </summary>
public sealed class DescriptorWriter : TextWriter
{
    private const int FlushAtChars = 8192;
    private readonly int _fd;
    private readonly StringBuilder _pending = new();
    private bool _readerGone;

    public DescriptorWriter(int fd)
    {
        _fd = fd;
        CoreNewLine = ['\n'];
    }

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        _pending.Append(value);
        if (value == '\n')
            Flush();
        else if (_pending.Length >= FlushAtChars)
            FlushWhole();
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return;
        _pending.Append(value);
        FlushIfLineEnded(value.AsSpan());
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        _pending.Append(buffer);
        FlushIfLineEnded(buffer);
    }

    public override void WriteLine(string? value)
    {
        _pending.Append(value).Append('\n');
        Flush();
    }

    public override void Flush()
    {
        if (_pending.Length == 0)
            return;
        byte[] bytes = Encoding.UTF8.GetBytes(_pending.ToString());
        _pending.Clear();
        WriteAll(bytes);
    }

    // A flush the writer decides on (a line ended, or 8 KiB): a trailing high surrogate waits for its
    // pair, so a character is never split. Flush() itself writes everything.
    private void FlushWhole()
    {
        char last = _pending[^1];
        if (!char.IsHighSurrogate(last))
        {
            Flush();
            return;
        }

        _pending.Length--;
        Flush();
        _pending.Append(last);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Flush();
        base.Dispose(disposing);
    }

    private void FlushIfLineEnded(ReadOnlySpan<char> written)
    {
        if (written.Contains('\n') || _pending.Length >= FlushAtChars)
            FlushWhole();
    }

    private unsafe void WriteAll(byte[] bytes)
    {
        if (_readerGone)
            return;
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint written = ProcessIo.NativeWrite(_fd, start + done, bytes.Length - done);
                if (written > 0)
                {
                    done += (int)written;
                    continue;
                }

                if (written == 0)
                    throw new IOException($"cannot write to file descriptor {_fd}: it took nothing");
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                    continue;
                if (errno == Eagain)
                {
                    WaitWritable();
                    continue;
                }
                if (errno == Epipe)
                {
                    _readerGone = true;
                    return;
                }

                throw new IOException($"cannot write to file descriptor {_fd}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    private unsafe void WaitWritable()
    {
        var poll = new ProcessIo.PollFd { Fd = _fd, Events = ProcessIo.PollOut };
        while (ProcessIo.NativePoll(&poll, 1, -1) < 0 && Marshal.GetLastPInvokeError() == Eintr)
        {
        }
    }

    private const int Eintr = 4;
    private const int Eagain = 11;
    private const int Epipe = 32;
}

/// <summary>
/// The process environment as the IDictionary the commands read (tests pass a Hashtable instead),
/// looked up one name at a time: the CLI reads a few variables by name, and copying the whole
/// environment into a table (Environment.GetEnvironmentVariables) costs about 1 ms per run. Lookups
/// by name only: everything that would need the whole table (count, keys, values, enumeration) or
/// change it throws NotSupportedException rather than answer as if it were empty.
/// </summary>
public sealed class LiveEnvironment : Hashtable, IEnumerable
{
    public override object? this[object key]
    {
        get => key is string name ? Environment.GetEnvironmentVariable(name) : null;
        set => throw ReadOnly();
    }

    public override bool Contains(object key) => this[key] is not null;

    public override bool ContainsKey(object key) => this[key] is not null;

    public override IDictionaryEnumerator GetEnumerator() => throw ByNameOnly();

    IEnumerator IEnumerable.GetEnumerator() => throw ByNameOnly();

    public override int Count => throw ByNameOnly();

    public override ICollection Keys => throw ByNameOnly();

    public override ICollection Values => throw ByNameOnly();

    public override bool ContainsValue(object? value) => throw ByNameOnly();

    public override void CopyTo(Array array, int arrayIndex) => throw ByNameOnly();

    public override object Clone() => throw ByNameOnly();

    public override void Add(object key, object? value) => throw ReadOnly();

    public override void Remove(object key) => throw ReadOnly();

    public override void Clear() => throw ReadOnly();

    private static NotSupportedException ByNameOnly() => new("the process environment is read one variable at a time, by name");

    private static NotSupportedException ReadOnly() => new("the CLI does not change its environment");
}
