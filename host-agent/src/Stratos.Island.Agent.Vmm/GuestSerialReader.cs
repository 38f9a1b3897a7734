using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Vmm;

/// <summary>
/// Reads the heartbeat guest's serial console from QEMU's chardev UNIX socket, splits it into
/// lines, parses them with <see cref="GuestProtocol"/> and raises typed callbacks; sends commands.
/// <para>
/// Lines end with LF (a CR before it is dropped). A line longer than MaxLineChars, with a
/// non-printable byte, or not matching the protocol counts as malformed and is reported through
/// <see cref="MalformedLine"/>; reading continues. Callbacks run on the reader thread in arrival
/// order and must not block. The reader stops when QEMU closes the socket (see <see cref="Closed"/>).
/// </para>
/// </summary>
public sealed class GuestSerialReader : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;
    private int _readingStarted;
    private readonly object _ackLock = new();
    private TaskCompletionSource<GuestMessage>? _awaitedReply;
    private string? _awaitedCommand;
    private long _heartbeats;
    private long _checkpoints;
    private long _malformed;
    private long _lastHeartbeatSeq = -1;

    private GuestSerialReader(Socket socket, string path)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        SocketPath = path;
    }

    private GuestSerialReader(Stream stream, string path)
    {
        _stream = stream;
        SocketPath = path;
    }

    /// <summary>
    /// Connects to a serial chardev socket (retrying until QEMU listens or the timeout passes) and
    /// starts reading. For re-adoption: a QEMU the agent starts gets its console through
    /// <see cref="Attach"/>.
    /// </summary>
    public static async Task<GuestSerialReader> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Socket socket = await QmpClient.ConnectUnixAsync(socketPath, "guest serial", timeout, cancellationToken).ConfigureAwait(false);
        var reader = new GuestSerialReader(socket, socketPath);
        reader.StartReading();
        return reader;
    }

    /// <summary>
    /// A reader on a socket already connected to QEMU's serial chardev (the agent's own listener that
    /// QEMU inherited); nothing is read until <see cref="StartReading"/>. Takes ownership of the socket.
    /// </summary>
    public static GuestSerialReader Attach(Socket connected, string socketPath) => new(connected, socketPath);

    /// <summary>
    /// A reader on any byte stream of a guest console (a Xen domain's console pty,
    /// Xen/ConsolePty); nothing is read until <see cref="StartReading"/>. Takes ownership of the stream.
    /// </summary>
    public static GuestSerialReader Attach(Stream stream, string path) => new(stream, path);

    /// <summary>Starts the reader thread (once; later calls do nothing).</summary>
    public void StartReading()
    {
        if (Interlocked.Exchange(ref _readingStarted, 1) != 0 || Volatile.Read(ref _disposed) != 0)
            return;
        _reader = Task.Run(async () =>
        {
            try
            {
                await ReadLoopAsync().ConfigureAwait(false);
            }
            finally
            {
                _closed.TrySetResult();
            }
        });
    }

    public string SocketPath { get; }

    /// <summary>Raised for HB lines with the sequence number.</summary>
    public event Action<uint>? Heartbeat;
    /// <summary>Raised for CP lines with (checkpoint id, sequence number).</summary>
    public event Action<uint, uint>? Checkpoint;
    /// <summary>Raised for READY with the configuration text ("rate=100 cps=1,2 ...").</summary>
    public event Action<string>? Ready;
    /// <summary>Raised for ACK lines with the acknowledged command.</summary>
    public event Action<string>? Ack;
    /// <summary>Raised for ERR lines with the reason.</summary>
    public event Action<string>? GuestError;
    /// <summary>Raised for PANIC lines with the reason.</summary>
    public event Action<string>? Panic;
    /// <summary>Raised for SHUTDOWN lines with what comes (reboot, poweroff, stop).</summary>
    public event Action<string>? ShutdownAnnounced;
    /// <summary>Raised for every line that is not valid protocol.</summary>
    public event Action<string>? MalformedLine;
    /// <summary>Raised for every parsed message, before the typed callback.</summary>
    public event Action<GuestMessage>? MessageReceived;
    /// <summary>Raised for every line the guest prints (valid or not, without its terminator), first.</summary>
    public event Action<string>? LineReceived;

    /// <summary>Number of HB lines received.</summary>
    public long HeartbeatCount => Interlocked.Read(ref _heartbeats);
    /// <summary>Number of CP lines received.</summary>
    public long CheckpointCount => Interlocked.Read(ref _checkpoints);
    /// <summary>Number of malformed lines received.</summary>
    public long MalformedCount => Interlocked.Read(ref _malformed);
    /// <summary>Sequence number of the last HB line, or -1.</summary>
    public long LastHeartbeatSequence => Interlocked.Read(ref _lastHeartbeatSeq);

    /// <summary>
    /// Stopwatch timestamp of the read that delivered the bytes being handled: inside a callback, when
    /// the agent got the line from QEMU's socket (the heartbeat trace's "agent read" hop).
    /// </summary>
    public long LastReadTimestamp { get; private set; }

    /// <summary>Completes when the serial socket closes (QEMU exited) or the reader is disposed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Sends one command line (without terminator); throws ArgumentException for a bad command.</summary>
    public async Task SendCommandAsync(string command, CancellationToken cancellationToken = default)
    {
        GuestProtocol.ValidateCommand(command);
        byte[] bytes = Encoding.ASCII.GetBytes(command + "\n");
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new VmmException(VmmErrorKind.ConnectionClosed, $"guest serial '{SocketPath}': cannot send '{command}': connection closed", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Writes one raw line (bytes without terminator, no validation) followed by LF; serialised with
    /// every other write to the guest. The console tap forwards its clients' lines through here.
    /// </summary>
    public async Task SendLineAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken = default)
    {
        byte[] bytes = new byte[line.Length + 1];
        line.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw new VmmException(VmmErrorKind.ConnectionClosed, $"guest serial '{SocketPath}': cannot send a line: connection closed", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends a command and waits for the guest's ACK (returned) or ERR (VmmException GuestRejected).
    /// One such exchange at a time; throws VmmException(Timeout) when the guest does not answer.
    /// </summary>
    public async Task SendCommandAndWaitAsync(string command, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var reply = new TaskCompletionSource<GuestMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_ackLock)
        {
            if (_awaitedReply is not null)
                throw new VmmException(VmmErrorKind.InvalidState, $"guest serial '{SocketPath}': command '{_awaitedCommand}' is still waiting for its reply");
            _awaitedReply = reply;
            _awaitedCommand = command;
        }
        try
        {
            await SendCommandAsync(command, cancellationToken).ConfigureAwait(false);
            GuestMessage answer;
            try
            {
                answer = await reply.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new VmmException(VmmErrorKind.Timeout, $"guest did not answer '{command}' within {timeout.TotalMilliseconds:0} ms");
            }
            if (answer.Kind == GuestMessageKind.Error)
                throw new VmmException(VmmErrorKind.GuestRejected, $"guest rejected '{command}': {answer.Text}");
        }
        finally
        {
            lock (_ackLock)
            {
                _awaitedReply = null;
                _awaitedCommand = null;
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[4096];
        var line = new StringBuilder(GuestProtocol.MaxLineChars + 1);
        bool overflow = false;
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                    break;
                LastReadTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    byte b = buffer[i];
                    if (b == (byte)'\n')
                    {
                        if (line.Length > 0 && line[^1] == '\r')
                            line.Length--;
                        if (overflow)
                            HandleLineGuarded(line.ToString());   // over MaxLineChars: TryParse rejects it
                        else if (line.Length > 0)
                            HandleLineGuarded(line.ToString());
                        line.Clear();
                        overflow = false;
                    }
                    else if (line.Length <= GuestProtocol.MaxLineChars)
                    {
                        line.Append((char)b);
                    }
                    else
                    {
                        overflow = true;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        lock (_ackLock)
            _awaitedReply?.TrySetException(new VmmException(VmmErrorKind.ConnectionClosed, $"guest serial '{SocketPath}' closed before the guest answered '{_awaitedCommand}'"));
    }

    /// <summary>The last exception a subscriber threw (it is caught and kept here; reading goes on).</summary>
    public Exception? LastHandlerError { get; private set; }

    private void HandleLineGuarded(string text)
    {
        try
        {
            LineReceived?.Invoke(text);
        }
        catch (Exception e)
        {
            LastHandlerError = e;
        }

        try
        {
            HandleLine(text);
        }
        catch (Exception e)
        {
            LastHandlerError = e;
        }
    }

    private void HandleLine(string text)
    {
        if (!GuestProtocol.TryParse(text, out var message))
        {
            ReportMalformed(text);
            return;
        }
        MessageReceived?.Invoke(message);
        switch (message.Kind)
        {
            case GuestMessageKind.Heartbeat:
                Interlocked.Increment(ref _heartbeats);
                Interlocked.Exchange(ref _lastHeartbeatSeq, message.Sequence);
                Heartbeat?.Invoke(message.Sequence);
                break;
            case GuestMessageKind.Checkpoint:
                Interlocked.Increment(ref _checkpoints);
                Checkpoint?.Invoke(message.CheckpointId, message.Sequence);
                break;
            case GuestMessageKind.Ready:
                Ready?.Invoke(message.Text);
                break;
            case GuestMessageKind.Ack:
                CompleteAwaited(message);
                Ack?.Invoke(message.Text);
                break;
            case GuestMessageKind.Error:
                CompleteAwaited(message);
                GuestError?.Invoke(message.Text);
                break;
            case GuestMessageKind.Panic:
                Panic?.Invoke(message.Text);
                break;
            case GuestMessageKind.Shutdown:
                ShutdownAnnounced?.Invoke(message.Text);
                break;
        }
    }

    private void CompleteAwaited(GuestMessage message)
    {
        lock (_ackLock)
        {
            // An ACK names its command; an ERR names the reason and ends with the offending line.
            if (_awaitedReply is null || _awaitedCommand is null)
                return;
            if (message.Kind == GuestMessageKind.Ack ? message.Text == _awaitedCommand : message.Text.EndsWith(_awaitedCommand, StringComparison.Ordinal) || !message.Text.Contains(':'))
                _awaitedReply.TrySetResult(message);
        }
    }

    private void ReportMalformed(string text)
    {
        Interlocked.Increment(ref _malformed);
        MalformedLine?.Invoke(text);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Cancel();
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _stream.Dispose();
        Interlocked.Exchange(ref _readingStarted, 1);
        if (_reader is not null)
            await _reader.ConfigureAwait(false);
        _closed.TrySetResult();
        _stop.Dispose();
        _writeLock.Dispose();
    }
}
