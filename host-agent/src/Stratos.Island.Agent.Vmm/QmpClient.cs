using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Vmm;

/// <summary>An asynchronous QMP event: {"event": NAME, "data": {...}, "timestamp": {...}}.</summary>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset Timestamp)
{
    /// <summary>A string member of Data, or null.</summary>
    public string? DataString(string name) =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A boolean member of Data, or null.</summary>
    public bool? DataBool(string name) =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : null;
}

/// <summary>
/// QEMU Machine Protocol client over a UNIX stream socket.
/// <para>
/// Protocol primer (QEMU docs/interop/qmp-spec): on connect the server sends a greeting
/// {"QMP": {"version": ..., "capabilities": [...]}} and stays in capabilities-negotiation mode
/// until the client executes "qmp_capabilities"; then commands {"execute": NAME, "arguments": {...},
/// "id": ID} are answered by {"return": ..., "id": ID} or {"error": {"class", "desc"}, "id": ID},
/// and asynchronous events {"event", "data", "timestamp"} may arrive between replies at any time.
/// Every message is one JSON object followed by CRLF. States: Connecting -> Negotiating -> Ready
/// -> Closed; Closed is terminal (QEMU exited or the client was disposed) and fails pending commands.
/// </para>
/// Events are delivered on the reader thread in arrival order; handlers must not block.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    /// <summary>Longest QMP message accepted; QEMU's replies here are a few KiB at most.</summary>
    public const int MaxMessageBytes = 1 << 20;

    /// <summary>
    /// Connect retry backoff: QEMU creates its sockets some tens of ms after exec, and every ms of
    /// polling slack is start latency, so retry every ms first, then every 5 ms after FastRetryWindowMs.
    /// </summary>
    private const int FastConnectRetryDelayMs = 1;
    private const int SlowConnectRetryDelayMs = 5;
    private const int FastRetryWindowMs = 500;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingCommand> _pending = new();
    private readonly CancellationTokenSource _readerStop = new();
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;
    private long _nextId;

    private sealed record PendingCommand(string Command, TaskCompletionSource<JsonElement> Completion);

    private QmpClient(Socket socket, string path)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        SocketPath = path;
    }

    /// <summary>The socket path this client is connected to.</summary>
    public string SocketPath { get; }

    /// <summary>The "QMP" member of the greeting (version and capabilities).</summary>
    public JsonElement Greeting { get; private set; }

    /// <summary>Raised for every asynchronous event, on the reader thread.</summary>
    public event Action<QmpEvent>? EventReceived;

    /// <summary>Completes when the connection closes; the result is the error that closed it, or null.</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>The last exception an EventReceived subscriber threw (it is caught and kept here).</summary>
    public Exception? LastHandlerError { get; private set; }

    /// <summary>True once the connection has closed.</summary>
    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>
    /// Connects to a QMP socket (retrying while QEMU has not created it yet), reads the greeting and
    /// negotiates capabilities. Throws VmmException(Timeout) when not ready within the timeout. With
    /// negotiate false it returns after the greeting: the caller sends `qmp_capabilities` itself,
    /// possibly followed at once by more commands (QEMU runs them in order).
    /// </summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken = default, bool negotiate = true)
    {
        Socket socket = await ConnectUnixAsync(socketPath, "QMP", timeout, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var client = new QmpClient(socket, socketPath);
        try
        {
            using var greetingDoc = await client.ReadMessageAsync(deadline.Token).ConfigureAwait(false)
                ?? throw new VmmException(VmmErrorKind.ConnectionClosed, $"QMP socket '{socketPath}' closed before the greeting");
            if (!greetingDoc.RootElement.TryGetProperty("QMP", out var qmp))
                throw new VmmException(VmmErrorKind.QmpError, $"QMP socket '{socketPath}': first message is not a QMP greeting: {greetingDoc.RootElement.GetRawText()}");
            client.Greeting = qmp.Clone();
            client._reader = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            if (negotiate)
                await client.ExecuteAsync("qmp_capabilities", null, timeout, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new VmmException(VmmErrorKind.Timeout, $"QMP socket '{socketPath}': no greeting within {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Connects a stream socket to a UNIX socket path, retrying while the path is missing or refuses
    /// (QEMU creates its listening sockets a few ms after exec). Throws VmmException(Timeout).
    /// </summary>
    internal static async Task<Socket> ConnectUnixAsync(string path, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        long started = Environment.TickCount64;
        while (true)
        {
            // While the path is missing, wait without a connect: a failed connect is an exception
            // rethrown across an await, whose stack trace .NET renders with the PDBs' line numbers,
            // some 60 of them per VM start at one attempt per ms (the linux-boot benchmark's
            // per-thread CPU: the thread pool's share of a start fell from ~17 to ~11 ms).
            if (!File.Exists(path))
            {
                await DelayBeforeRetryAsync(started, path, what, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), deadline.Token).ConfigureAwait(false);
                return socket;
            }
            // ENOENT (no socket file yet; .NET reports it as AddressNotAvailable) and ECONNREFUSED
            // (bound, not yet listening) both mean QEMU is still setting up.
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused || !File.Exists(path))
            {
                socket.Dispose();
                await DelayBeforeRetryAsync(started, path, what, timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new VmmException(VmmErrorKind.Timeout, $"{what} socket '{path}' did not accept a connection within {timeout.TotalMilliseconds:0} ms");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>One retry pause of <see cref="ConnectUnixAsync"/>: every ms at first, then every 5 ms; Timeout at the deadline.</summary>
    private static async Task DelayBeforeRetryAsync(long started, string path, string what, TimeSpan timeout, CancellationToken deadline, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Environment.TickCount64 - started < FastRetryWindowMs ? FastConnectRetryDelayMs : SlowConnectRetryDelayMs, deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VmmException(VmmErrorKind.Timeout, $"{what} socket '{path}' did not accept a connection within {timeout.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>
    /// Executes a command and returns its "return" value. Throws QmpCommandException for an error
    /// reply, VmmException(Timeout) when no reply arrives in time, VmmException(ConnectionClosed)
    /// when the connection closes first.
    /// </summary>
    public async Task<JsonElement> ExecuteAsync(string command, object? arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        if (IsClosed)
            throw new VmmException(VmmErrorKind.ConnectionClosed, $"QMP command '{command}': connection to '{SocketPath}' is closed");
        long id = Interlocked.Increment(ref _nextId);
        var pending = new PendingCommand(command, new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending[id] = pending;
        try
        {
            byte[] request = BuildRequest(command, arguments, id);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new VmmException(VmmErrorKind.ConnectionClosed, $"QMP command '{command}': connection to '{SocketPath}' is closed", e);
            }
            finally
            {
                _writeLock.Release();
            }
            try
            {
                return await pending.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new VmmException(VmmErrorKind.Timeout, $"QMP command '{command}': no reply within {timeout.TotalMilliseconds:0} ms");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private static byte[] BuildRequest(string command, object? arguments, long id)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", command);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments");
                JsonSerializer.Serialize(writer, arguments, arguments.GetType());
            }
            writer.WriteNumber("id", id);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                using var doc = await ReadMessageAsync(_readerStop.Token).ConfigureAwait(false);
                if (doc is null)
                    break;
                Dispatch(doc.RootElement);
            }
        }
        catch (OperationCanceledException) when (_readerStop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or JsonException or VmmException)
        {
            error = e;
        }
        Close(error);
    }

    private void Dispatch(JsonElement root)
    {
        if (root.TryGetProperty("event", out var eventName))
        {
            var data = root.TryGetProperty("data", out var d) ? d.Clone() : default;
            var when = DateTimeOffset.UtcNow;
            if (root.TryGetProperty("timestamp", out var ts) && ts.TryGetProperty("seconds", out var s) && ts.TryGetProperty("microseconds", out var us)
                && s.TryGetInt64(out long seconds) && us.TryGetInt64(out long micros))
                when = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10);
            try
            {
                EventReceived?.Invoke(new QmpEvent(eventName.GetString() ?? "", data, when));
            }
            catch (Exception e)
            {
                // A subscriber's bug must not take the QMP connection down with it.
                LastHandlerError = e;
            }
            return;
        }
        if (!root.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out long id) || !_pending.TryGetValue(id, out var pending))
            return; // a reply to a command whose caller gave up (timeout): nobody waits for it
        if (root.TryGetProperty("return", out var ret))
        {
            pending.Completion.TrySetResult(ret.Clone());
        }
        else if (root.TryGetProperty("error", out var err))
        {
            string errorClass = err.TryGetProperty("class", out var c) ? c.GetString() ?? "" : "";
            string desc = err.TryGetProperty("desc", out var de) ? de.GetString() ?? "" : "";
            pending.Completion.TrySetException(new QmpCommandException(pending.Command, errorClass, desc));
        }
        else
        {
            pending.Completion.TrySetException(new VmmException(VmmErrorKind.QmpError, $"QMP command '{pending.Command}': reply has neither 'return' nor 'error': {root.GetRawText()}"));
        }
    }

    private readonly byte[] _readBuffer = new byte[8192];
    private int _readStart;
    private int _readEnd;
    private readonly MemoryStream _message = new();

    /// <summary>Reads one CRLF/LF-terminated JSON message; null at end of stream.</summary>
    private async Task<JsonDocument?> ReadMessageAsync(CancellationToken token)
    {
        _message.SetLength(0);
        while (true)
        {
            int newline = Array.IndexOf(_readBuffer, (byte)'\n', _readStart, _readEnd - _readStart);
            if (newline >= 0)
            {
                _message.Write(_readBuffer, _readStart, newline - _readStart);
                _readStart = newline + 1;
                if (IsBlank(_message))
                {
                    _message.SetLength(0);
                    continue;
                }
                try
                {
                    return JsonDocument.Parse(_message.ToArray());
                }
                catch (JsonException e)
                {
                    throw new VmmException(VmmErrorKind.QmpError, $"QMP socket '{SocketPath}': malformed JSON message: {e.Message}", e);
                }
            }
            _message.Write(_readBuffer, _readStart, _readEnd - _readStart);
            if (_message.Length > MaxMessageBytes)
                throw new VmmException(VmmErrorKind.QmpError, $"QMP socket '{SocketPath}': message longer than {MaxMessageBytes} bytes");
            _readStart = 0;
            _readEnd = await _stream.ReadAsync(_readBuffer, token).ConfigureAwait(false);
            if (_readEnd == 0)
                return null;
        }
    }

    private static bool IsBlank(MemoryStream message)
    {
        var bytes = message.GetBuffer();
        for (int i = 0; i < message.Length; i++)
            if (bytes[i] is not ((byte)' ' or (byte)'\r' or (byte)'\t'))
                return false;
        return true;
    }

    private void Close(Exception? error)
    {
        if (!_closed.TrySetResult(error))
            return;
        foreach (var pending in _pending.Values)
            pending.Completion.TrySetException(new VmmException(VmmErrorKind.ConnectionClosed,
                $"QMP command '{pending.Command}': connection to '{SocketPath}' closed before the reply", error));
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _readerStop.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _stream.Dispose();
        if (_reader is not null)
            await _reader.ConfigureAwait(false);
        Close(null);
        _readerStop.Dispose();
        _writeLock.Dispose();
    }
}
