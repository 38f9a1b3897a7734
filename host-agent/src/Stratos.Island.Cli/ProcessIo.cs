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
}

/// <summary>
/// A line-buffered UTF-8 writer on a file descriptor: what is written is kept until a line ends
/// (or <see cref="Flush"/>, or 8 KiB), then written with write(2), retried on EINTR and partial
/// writes. EPIPE drops the output quietly (the reader is gone); other errors throw IOException.
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
        if (value == '\n' || _pending.Length >= FlushAtChars)
            Flush();
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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Flush();
        base.Dispose(disposing);
    }

    private void FlushIfLineEnded(ReadOnlySpan<char> written)
    {
        if (written.Contains('\n') || _pending.Length >= FlushAtChars)
            Flush();
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
                if (written >= 0)
                {
                    done += (int)written;
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                    continue;
                if (errno == Epipe)
                {
                    _readerGone = true;
                    return;
                }

                throw new IOException($"cannot write to file descriptor {_fd}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    private const int Eintr = 4;
    private const int Epipe = 32;
}

/// <summary>
/// The process environment as the IDictionary the commands read (tests pass a Hashtable instead),
/// looked up one name at a time: the CLI reads three or four variables, and copying the whole
/// environment into a table (Environment.GetEnvironmentVariables) costs about 1 ms per run. Reading
/// only: the indexer's setter and enumeration are not supported.
/// </summary>
public sealed class LiveEnvironment : Hashtable
{
    public override object? this[object key]
    {
        get => key is string name ? Environment.GetEnvironmentVariable(name) : null;
        set => throw new NotSupportedException("the CLI does not change its environment");
    }

    public override bool Contains(object key) => this[key] is not null;

    public override bool ContainsKey(object key) => this[key] is not null;

    public override IDictionaryEnumerator GetEnumerator() => throw new NotSupportedException("the process environment is read one variable at a time");
}
