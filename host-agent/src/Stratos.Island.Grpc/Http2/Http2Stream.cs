using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// One client-initiated HTTP/2 stream (one gRPC call) as the caller sees it.
/// <para>
/// States (RFC 7540 section 5.1, client side, request sent whole): open -> half-closed (local) once
/// our DATA carries END_STREAM -> closed when the peer's END_STREAM arrives, when either side sends
/// RST_STREAM, or when the connection fails. The connection's reader thread delivers response
/// headers, DATA bytes, trailers, resets and failures; the caller awaits them. One lock guards the
/// state; a waiter task is completed whenever the state changes.
/// </para>
/// Receive flow control: the peer may send <see cref="Http2Connection.StreamWindowBytes"/> before
/// we credit it; the caller's reads return that credit in WINDOW_UPDATE frames, so a caller that
/// stops reading stops the sender instead of growing our buffer.
/// </summary>
public sealed class Http2Stream
{
    private readonly object _lock = new();
    private readonly Http2Connection _connection;
    private byte[] _buffer = new byte[256];
    private int _bufferStart;
    private int _bufferEnd;
    private int _receiveWindow = Http2Connection.StreamWindowBytes;
    private int _consumedUncredited;
    private bool _endStream;
    private bool _reset;
    private Exception? _failure;
    private TaskCompletionSource? _waiter;
    private int _version;

    internal Http2Stream(Http2Connection connection, int id, int sendWindow)
    {
        _connection = connection;
        Id = id;
        SendWindow = sendWindow;
    }

    public int Id { get; }

    /// <summary>Response headers (first HEADERS frame); null until they arrive.</summary>
    public List<KeyValuePair<string, string>>? Headers { get; private set; }

    /// <summary>Trailers (the HEADERS frame that ended the stream); null for a trailers-only response.</summary>
    public List<KeyValuePair<string, string>>? Trailers { get; private set; }

    /// <summary>The peer ended the stream or it was reset or failed: nothing more will arrive.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _endStream || _reset || _failure is not null;
            }
        }
    }

    /// <summary>Send window; guarded by the connection's flow-control lock.</summary>
    internal int SendWindow { get; set; }

    /// <summary>
    /// Waits for the response headers; throws when the stream failed before they came, and
    /// <see cref="TimeoutException"/> at <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp).
    /// </summary>
    public List<KeyValuePair<string, string>> ReadHeaders(CancellationToken cancellationToken, long deadline = long.MaxValue)
    {
        while (true)
        {
            if (TryGetHeaders(forAsync: false, out var headers, out _, out int version))
            {
                return headers;
            }

            WaitForChange(version, cancellationToken, deadline);
        }
    }

    /// <summary>Asynchronous <see cref="ReadHeaders"/>.</summary>
    public async Task<List<KeyValuePair<string, string>>> ReadHeadersAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryGetHeaders(forAsync: true, out var headers, out var wait, out _))
            {
                return headers;
            }

            await wait!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads response body bytes, blocking until some arrive; 0 at the end of the stream.</summary>
    public int Read(Span<byte> destination, CancellationToken cancellationToken, long deadline = long.MaxValue)
    {
        while (true)
        {
            int n = TryRead(destination, forAsync: false, out _, out int version);
            if (n >= 0)
            {
                return n;
            }

            WaitForChange(version, cancellationToken, deadline);
        }
    }

    /// <summary>Milliseconds from now to a <see cref="Stopwatch"/> timestamp (infinite for long.MaxValue); throws once it passed.</summary>
    public static int RemainingMs(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.Infinite;
        }

        long remaining = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
        if (remaining <= 0)
        {
            throw new TimeoutException("deadline passed");
        }

        return (int)Math.Min(remaining + 1, int.MaxValue);
    }

    /// <summary>Asynchronous <see cref="Read"/>.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            int n = TryRead(destination.Span, forAsync: true, out var wait, out _);
            if (n >= 0)
            {
                return n;
            }

            await wait!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Blocks until the state version moves past `version` (Monitor, not a task: a blocking caller
    // then needs no thread pool thread to wake it, which a short-lived process would have to start).
    // The deadline is a timestamp rather than a timer: no timer thread to start for a blocking call.
    private void WaitForChange(int version, CancellationToken cancellationToken, long deadline)
    {
        lock (_lock)
        {
            if (_version != version)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var registration = cancellationToken.CanBeCanceled
                ? cancellationToken.Register(static state =>
                {
                    var stream = (Http2Stream)state!;
                    lock (stream._lock)
                    {
                        Monitor.PulseAll(stream._lock);
                    }
                }, this)
                : default;
            try
            {
                while (_version == version && !cancellationToken.IsCancellationRequested)
                {
                    Monitor.Wait(_lock, RemainingMs(deadline));
                }
            }
            finally
            {
                // Unregister, not Dispose: Dispose would wait for a running callback, which needs _lock.
                registration.Unregister();
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    // The synchronous and asynchronous readers share these: each either answers now or hands back
    // what to wait on: the state version for blocking callers, a task for async ones.
    private bool TryGetHeaders(bool forAsync, [NotNullWhen(true)] out List<KeyValuePair<string, string>>? headers, out Task? wait, out int version)
    {
        lock (_lock)
        {
            headers = Headers;
            wait = null;
            version = _version;
            if (headers is not null)
            {
                return true;
            }

            ThrowIfFailed();
            wait = forAsync ? WaitLocked() : null;
            return false;
        }
    }

    // Bytes copied, 0 at the end of the stream, -1 when the caller must wait.
    private int TryRead(Span<byte> destination, bool forAsync, out Task? wait, out int version)
    {
        wait = null;
        int n;
        int credit = 0;
        lock (_lock)
        {
            version = _version;
            int available = _bufferEnd - _bufferStart;
            if (available == 0)
            {
                if (_endStream)
                {
                    return 0;
                }

                ThrowIfFailed();
                wait = forAsync ? WaitLocked() : null;
                return -1;
            }

            n = Math.Min(available, destination.Length);
            _buffer.AsSpan(_bufferStart, n).CopyTo(destination);
            _bufferStart += n;
            if (_bufferStart == _bufferEnd)
            {
                _bufferStart = _bufferEnd = 0;
            }

            _consumedUncredited += n;
            if (!_endStream && _consumedUncredited >= Http2Connection.StreamWindowBytes / 2)
            {
                credit = _consumedUncredited;
                _consumedUncredited = 0;
                _receiveWindow += credit;
            }
        }

        // Outside the lock: a socket write must not hold up the reader thread.
        if (credit > 0)
        {
            _connection.SendWindowUpdate(Id, credit);
        }

        return n;
    }

    /// <summary>Ends the stream from our side with RST_STREAM(CANCEL) unless it is already closed.</summary>
    public void Cancel()
    {
        bool send;
        lock (_lock)
        {
            send = !_endStream && !_reset && _failure is null;
            _reset = true;
            Signal();
        }

        if (send)
        {
            _connection.SendReset(Id, Http2ErrorCode.Cancel);
        }

        _connection.Forget(this);
    }

    internal void OnHeaders(List<KeyValuePair<string, string>> fields, bool endStream)
    {
        lock (_lock)
        {
            if (Headers is null && !endStream)
            {
                Headers = fields;
            }
            else if (Headers is null)
            {
                // Trailers-Only: one HEADERS frame with END_STREAM holds both.
                Headers = fields;
                Trailers = fields;
                _endStream = true;
            }
            else if (!endStream)
            {
                _failure = new GrpcException(GrpcStatusCode.Internal, $"HTTP/2: stream {Id} got a second HEADERS frame without END_STREAM");
            }
            else
            {
                Trailers = fields;
                _endStream = true;
            }

            Signal();
        }
    }

    /// <summary>Stores DATA bytes; false when they exceed the window we granted (FLOW_CONTROL_ERROR).</summary>
    internal bool OnData(ReadOnlySpan<byte> data, int frameLength, bool endStream)
    {
        lock (_lock)
        {
            if (frameLength > _receiveWindow)
            {
                _failure = new GrpcException(GrpcStatusCode.Internal, $"HTTP/2: stream {Id} received {frameLength} bytes with only {_receiveWindow} of window left");
                Signal();
                return false;
            }

            _receiveWindow -= frameLength;
            // Padding counts against flow control but never reaches the reader: credit it at once.
            _consumedUncredited += frameLength - data.Length;
            if (_bufferEnd + data.Length > _buffer.Length)
            {
                int live = _bufferEnd - _bufferStart;
                var target = live + data.Length > _buffer.Length ? new byte[Math.Max(_buffer.Length * 2, live + data.Length)] : _buffer;
                Array.Copy(_buffer, _bufferStart, target, 0, live);
                _buffer = target;
                _bufferStart = 0;
                _bufferEnd = live;
            }

            data.CopyTo(_buffer.AsSpan(_bufferEnd));
            _bufferEnd += data.Length;
            _endStream |= endStream;
            Signal();
            return true;
        }
    }

    internal void OnReset(Http2ErrorCode code)
    {
        lock (_lock)
        {
            _failure ??= new GrpcException(MapReset(code), $"HTTP/2: the server reset stream {Id} ({code})");
            Signal();
        }
    }

    internal void OnFailure(Exception failure)
    {
        lock (_lock)
        {
            if (!_endStream)
            {
                _failure ??= failure;
            }

            Signal();
        }
    }

    // gRPC's mapping of RST_STREAM codes (grpc/doc/PROTOCOL-HTTP2.md, "Errors").
    private static GrpcStatusCode MapReset(Http2ErrorCode code) => code switch
    {
        Http2ErrorCode.RefusedStream => GrpcStatusCode.Unavailable,
        Http2ErrorCode.Cancel => GrpcStatusCode.Cancelled,
        Http2ErrorCode.EnhanceYourCalm => GrpcStatusCode.ResourceExhausted,
        Http2ErrorCode.InadequateSecurity => GrpcStatusCode.PermissionDenied,
        _ => GrpcStatusCode.Internal,
    };

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw _failure is GrpcException g ? new GrpcException(g.Status, g.Message, g) : _failure;
        }

        if (_reset)
        {
            throw new OperationCanceledException($"stream {Id} was cancelled");
        }
    }

    private Task WaitLocked() => (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private void Signal()
    {
        _version++;
        var waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
        Monitor.PulseAll(_lock);
    }
}
