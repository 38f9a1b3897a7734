using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Grpc.Http2;

/// <summary>
/// A client HTTP/2 connection with prior knowledge (RFC 7540 section 3.4) over any byte stream: a
/// UNIX socket, or TLS negotiated to "h2" by ALPN. Built for gRPC calls: requests are HEADERS plus
/// DATA, responses HEADERS, DATA and trailers.
/// <para>
/// Life: the preface and our SETTINGS go out with the first request (one write, one round trip);
/// a dedicated reader thread then reads frames until the connection ends. It dispatches by stream
/// id, answers SETTINGS and PING, applies WINDOW_UPDATE, and returns connection-level receive
/// credit as data arrives (stream-level credit comes from the callers' reads, see
/// <see cref="Http2Stream"/>). GOAWAY stops new streams and fails those above the peer's last
/// stream id as UNAVAILABLE (safe to retry). Any protocol error from the peer (a frame larger than
/// SETTINGS_MAX_FRAME_SIZE, a bad HPACK block, a frame on the wrong stream) is a connection error:
/// we send GOAWAY, close, and every open call fails with a <see cref="GrpcException"/> naming it.
/// A failed connection is never reused; <see cref="GrpcClient"/> opens a new one for the next call.
/// </para>
/// Writes are whole frames under one lock, so frames of different streams never interleave.
/// </summary>
public sealed class Http2Connection : IDisposable
{
    /// <summary>Receive window we grant each stream (SETTINGS_INITIAL_WINDOW_SIZE).</summary>
    public const int StreamWindowBytes = 1024 * 1024;

    /// <summary>Receive window of the whole connection, raised from the default at start.</summary>
    public const int ConnectionWindowBytes = 16 * 1024 * 1024;

    private readonly Stream _transport;
    private readonly Action? _shutdown;
    private readonly string _target;
    private readonly object _writeLock = new();
    private readonly object _stateLock = new();
    private readonly Dictionary<int, Http2Stream> _streams = new();
    private readonly HpackDecoder _hpack = new();
    private byte[]? _pendingPreface;
    private int _nextStreamId = 1;
    private int _connectionSendWindow = Http2Wire.DefaultWindowBytes;
    private int _peerInitialWindow = Http2Wire.DefaultWindowBytes;
    private int _peerMaxFrameBytes = Http2Wire.MaxFrameBytes;
    private int _connectionReceivedUncredited;
    private int _goAwayLastStreamId = int.MaxValue;
    private Exception? _failure;
    private TaskCompletionSource? _windowWaiter;
    private Thread? _reader;

    private Http2Connection(Stream transport, Action? shutdown, string target)
    {
        _transport = transport;
        _shutdown = shutdown;
        _target = target;
        _pendingPreface = BuildPreface();
    }

    /// <summary>Where the connection goes (a socket path or host:port), for error messages.</summary>
    public string Target => _target;

    /// <summary>New streams may be opened (not failed, no GOAWAY received).</summary>
    public bool IsUsable
    {
        get
        {
            lock (_stateLock)
            {
                return _failure is null && _goAwayLastStreamId == int.MaxValue;
            }
        }
    }

    /// <summary>Connects to a UNIX socket; UNAVAILABLE when nothing listens there.</summary>
    public static Http2Connection ConnectUnix(string socketPath)
    {
        var socket = UnixSocketStream.Connect(socketPath);
        return Start(socket, socket.Shutdown, socketPath);
    }

    /// <summary>
    /// Runs the connection over an established transport (TLS with "h2" already negotiated, or
    /// plaintext); <paramref name="shutdown"/> ends the underlying socket in both directions.
    /// </summary>
    public static Http2Connection Start(Stream transport, Action? shutdown, string target)
    {
        var connection = new Http2Connection(transport, shutdown, target);
        connection._reader = new Thread(connection.ReadLoop) { IsBackground = true, Name = "http2-reader " + target };
        connection._reader.Start();
        return connection;
    }

    /// <summary>
    /// Opens a stream: HEADERS (split into CONTINUATION frames when needed), then the body as DATA
    /// within the peer's flow-control windows, the last frame carrying END_STREAM. Blocks only while
    /// a body larger than the peer's windows waits for WINDOW_UPDATE.
    /// </summary>
    public Http2Stream StartRequest(List<KeyValuePair<string, string>> headers, byte[] body, CancellationToken cancellationToken, long deadline = long.MaxValue)
    {
        var stream = OpenStream(headers, body, out int sent);
        while (!TrySendMore(stream, body, ref sent, out var wait))
        {
            if (!wait.Wait(Http2Stream.RemainingMs(deadline), cancellationToken))
            {
                throw new TimeoutException("deadline passed while waiting for flow-control window");
            }
        }

        return stream;
    }

    /// <summary>Asynchronous <see cref="StartRequest"/>.</summary>
    public async Task<Http2Stream> StartRequestAsync(List<KeyValuePair<string, string>> headers, byte[] body, CancellationToken cancellationToken)
    {
        var stream = OpenStream(headers, body, out int sent);
        while (!TrySendMore(stream, body, ref sent, out var wait))
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return stream;
    }

    // Fast path: HEADERS and as much of the body as the windows allow, in one write.
    private Http2Stream OpenStream(List<KeyValuePair<string, string>> headers, byte[] body, out int sent)
    {
        int blockBytes = 0;
        foreach (var field in headers)
        {
            blockBytes += HpackEncoder.MaxFieldBytes(field.Key, field.Value);
        }

        var block = new byte[blockBytes];
        int blockLength = 0;
        foreach (var field in headers)
        {
            blockLength = HpackEncoder.WriteField(block, blockLength, field.Key, field.Value);
        }

        lock (_writeLock)
        {
            Http2Stream stream;
            lock (_stateLock)
            {
                ThrowIfNotUsable();
                stream = new Http2Stream(this, _nextStreamId, _peerInitialWindow);
                _nextStreamId += 2;
                _streams.Add(stream.Id, stream);
            }

            int maxFrame = Volatile.Read(ref _peerMaxFrameBytes);
            int firstData = TakeSendWindow(stream, body.Length, maxFrame);
            var frames = new byte[(_pendingPreface?.Length ?? 0) + blockLength + (Http2Wire.FrameHeaderBytes * (2 + (blockLength / maxFrame))) + firstData];
            int offset = 0;
            if (_pendingPreface is not null)
            {
                _pendingPreface.CopyTo(frames, 0);
                offset = _pendingPreface.Length;
                _pendingPreface = null;
            }

            int blockSent = 0;
            do
            {
                int chunk = Math.Min(blockLength - blockSent, maxFrame);
                bool last = blockSent + chunk == blockLength;
                Http2Wire.WriteFrameHeader(frames, offset, chunk, blockSent == 0 ? Http2FrameType.Headers : Http2FrameType.Continuation, last ? Http2Wire.FlagEndHeaders : (byte)0, stream.Id);
                Array.Copy(block, blockSent, frames, offset + Http2Wire.FrameHeaderBytes, chunk);
                offset += Http2Wire.FrameHeaderBytes + chunk;
                blockSent += chunk;
            }
            while (blockSent < blockLength);

            if (firstData > 0 || body.Length == 0)
            {
                Http2Wire.WriteFrameHeader(frames, offset, firstData, Http2FrameType.Data, firstData == body.Length ? Http2Wire.FlagEndStream : (byte)0, stream.Id);
                Array.Copy(body, 0, frames, offset + Http2Wire.FrameHeaderBytes, firstData);
                offset += Http2Wire.FrameHeaderBytes + firstData;
            }

            WriteLocked(frames, offset);
            sent = firstData;
            return stream;
        }
    }

    // Slow path: the rest of a body larger than the peer's windows. True when all is sent (or the
    // stream ended meanwhile); false with the task that completes at the next WINDOW_UPDATE.
    private bool TrySendMore(Http2Stream stream, byte[] body, ref int sent, out Task wait)
    {
        wait = Task.CompletedTask;
        while (sent < body.Length && !stream.IsClosed)
        {
            lock (_writeLock)
            {
                int maxFrame = Volatile.Read(ref _peerMaxFrameBytes);
                int n = TakeSendWindow(stream, body.Length - sent, maxFrame);
                if (n == 0)
                {
                    lock (_stateLock)
                    {
                        ThrowIfFailedLocked();
                        if (stream.SendWindow > 0 && _connectionSendWindow > 0)
                        {
                            // A WINDOW_UPDATE landed since TakeSendWindow: try again at once.
                            return false;
                        }

                        wait = (_windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                        return false;
                    }
                }

                var frame = new byte[Http2Wire.FrameHeaderBytes + n];
                Http2Wire.WriteFrameHeader(frame, 0, n, Http2FrameType.Data, sent + n == body.Length ? Http2Wire.FlagEndStream : (byte)0, stream.Id);
                Array.Copy(body, sent, frame, Http2Wire.FrameHeaderBytes, n);
                WriteLocked(frame, frame.Length);
                sent += n;
            }
        }

        return true;
    }

    /// <summary>Returns receive credit for a stream (WINDOW_UPDATE).</summary>
    internal void SendWindowUpdate(int streamId, int increment)
    {
        var frame = new byte[Http2Wire.FrameHeaderBytes + 4];
        Http2Wire.WriteFrameHeader(frame, 0, 4, Http2FrameType.WindowUpdate, 0, streamId);
        Http2Wire.WriteUInt31(frame, Http2Wire.FrameHeaderBytes, increment);
        TryWrite(frame);
    }

    /// <summary>Sends RST_STREAM for one of our streams.</summary>
    internal void SendReset(int streamId, Http2ErrorCode code)
    {
        var frame = new byte[Http2Wire.FrameHeaderBytes + 4];
        Http2Wire.WriteFrameHeader(frame, 0, 4, Http2FrameType.RstStream, 0, streamId);
        WriteUInt32(frame, Http2Wire.FrameHeaderBytes, (uint)code);
        TryWrite(frame);
    }

    /// <summary>Drops a finished or cancelled stream; frames that still arrive for it are ignored.</summary>
    internal void Forget(Http2Stream stream)
    {
        lock (_stateLock)
        {
            _streams.Remove(stream.Id);
        }
    }

    public void Dispose()
    {
        Fail(new GrpcException(GrpcStatusCode.Cancelled, $"the connection to {_target} was closed by the client"), Http2ErrorCode.NoError);
    }

    private static byte[] BuildPreface()
    {
        var preface = Http2Wire.ClientPreface;
        var bytes = new byte[preface.Length + Http2Wire.FrameHeaderBytes + 12 + Http2Wire.FrameHeaderBytes + 4];
        preface.CopyTo(bytes, 0);
        int offset = preface.Length;
        Http2Wire.WriteFrameHeader(bytes, offset, 12, Http2FrameType.Settings, 0, 0);
        offset += Http2Wire.FrameHeaderBytes;
        offset = WriteSetting(bytes, offset, Http2Wire.SettingEnablePush, 0);
        offset = WriteSetting(bytes, offset, Http2Wire.SettingInitialWindowSize, StreamWindowBytes);
        Http2Wire.WriteFrameHeader(bytes, offset, 4, Http2FrameType.WindowUpdate, 0, 0);
        Http2Wire.WriteUInt31(bytes, offset + Http2Wire.FrameHeaderBytes, ConnectionWindowBytes - Http2Wire.DefaultWindowBytes);
        return bytes;
    }

    private static int WriteSetting(byte[] buffer, int offset, ushort id, int value)
    {
        buffer[offset] = (byte)(id >> 8);
        buffer[offset + 1] = (byte)id;
        WriteUInt32(buffer, offset + 2, (uint)value);
        return offset + 6;
    }

    private static void WriteUInt32(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }

    // Bytes of DATA this stream may send now (both windows and the frame size); takes them.
    private int TakeSendWindow(Http2Stream stream, int wanted, int maxFrame)
    {
        lock (_stateLock)
        {
            int n = Math.Min(Math.Min(wanted, maxFrame), Math.Min(stream.SendWindow, _connectionSendWindow));
            if (n <= 0)
            {
                return 0;
            }

            stream.SendWindow -= n;
            _connectionSendWindow -= n;
            return n;
        }
    }

    private void ThrowIfNotUsable()
    {
        ThrowIfFailedLocked();
        if (_goAwayLastStreamId != int.MaxValue)
        {
            throw new GrpcException(GrpcStatusCode.Unavailable, $"the server at {_target} is going away (GOAWAY received)");
        }
    }

    private void ThrowIfFailedLocked()
    {
        if (_failure is GrpcException g)
        {
            throw new GrpcException(g.Status, g.Message, g);
        }

        if (_failure is not null)
        {
            throw new GrpcException(GrpcStatusCode.Unavailable, $"connection to {_target} failed: {_failure.Message}", _failure);
        }
    }

    private void WriteLocked(byte[] bytes, int length)
    {
        try
        {
            if (_pendingPreface is not null)
            {
                var preface = _pendingPreface;
                _pendingPreface = null;
                _transport.Write(preface, 0, preface.Length);
            }

            _transport.Write(bytes, 0, length);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            var failure = new GrpcException(GrpcStatusCode.Unavailable, $"connection to {_target} failed while sending: {e.Message}", e);
            Fail(failure, Http2ErrorCode.NoError);
            throw new GrpcException(failure.Status, failure.Message, e);
        }
    }

    // Control frames: a failed write fails the connection, which the streams then report.
    private void TryWrite(byte[] frame)
    {
        lock (_writeLock)
        {
            try
            {
                WriteLocked(frame, frame.Length);
            }
            catch (GrpcException)
            {
            }
        }
    }

    private void Fail(Exception failure, Http2ErrorCode goAwayCode)
    {
        Http2Stream[] streams;
        lock (_stateLock)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = failure;
            streams = new Http2Stream[_streams.Count];
            _streams.Values.CopyTo(streams, 0);
            _streams.Clear();
            var waiter = _windowWaiter;
            _windowWaiter = null;
            waiter?.TrySetResult();
        }

        if (goAwayCode != Http2ErrorCode.NoError && _pendingPreface is null)
        {
            // Best effort: tell the peer why before closing (section 5.4.1).
            var frame = new byte[Http2Wire.FrameHeaderBytes + 8];
            Http2Wire.WriteFrameHeader(frame, 0, 8, Http2FrameType.GoAway, 0, 0);
            WriteUInt32(frame, Http2Wire.FrameHeaderBytes + 4, (uint)goAwayCode);
            try
            {
                lock (_writeLock)
                {
                    _transport.Write(frame, 0, frame.Length);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        }

        // Shut the socket down rather than close it: the reader thread wakes up from its blocking
        // read at once and closes the transport itself on the way out. Closing a socket another
        // thread is blocked on makes the runtime wait for that operation to be aborted.
        try
        {
            if (_shutdown is not null)
            {
                _shutdown();
            }
            else
            {
                _transport.Dispose();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }

        foreach (var stream in streams)
        {
            stream.OnFailure(failure);
        }
    }

    private void ReadLoop()
    {
        var header = new byte[Http2Wire.FrameHeaderBytes];
        var payload = new byte[Http2Wire.MaxFrameBytes];
        var frameReader = new Http2FrameReader(_hpack);
        try
        {
            while (true)
            {
                int got = ReadFully(header, Http2Wire.FrameHeaderBytes);
                if (got == 0)
                {
                    Fail(new GrpcException(GrpcStatusCode.Unavailable, $"the server at {_target} closed the connection"), Http2ErrorCode.NoError);
                    return;
                }

                if (got < Http2Wire.FrameHeaderBytes)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"connection closed inside a frame header ({got} of {Http2Wire.FrameHeaderBytes} bytes)", GrpcStatusCode.Unavailable);
                }

                int length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = (Http2FrameType)header[3];
                byte flags = header[4];
                int streamId = (int)(Http2Wire.ReadUInt32(header, 5) & 0x7FFFFFFF);
                if (length > Http2Wire.MaxFrameBytes)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{Http2Wire.Name(type)} frame of {length} bytes exceeds SETTINGS_MAX_FRAME_SIZE {Http2Wire.MaxFrameBytes}");
                }

                got = ReadFully(payload, length);
                if (got < length)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"connection closed inside a {Http2Wire.Name(type)} frame ({got} of {length} payload bytes)", GrpcStatusCode.Unavailable);
                }

                Dispatch(frameReader, type, flags, streamId, payload.AsSpan(0, length));
            }
        }
        catch (Http2ConnectionException e)
        {
            Fail(new GrpcException(e.Status, $"HTTP/2 error on the connection to {_target}: {e.Message}"), e.Code);
        }
        catch (HpackException e)
        {
            Fail(new GrpcException(GrpcStatusCode.Internal, $"HTTP/2 error on the connection to {_target}: {e.Message}"), Http2ErrorCode.CompressionError);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Fail(new GrpcException(GrpcStatusCode.Unavailable, $"connection to {_target} failed: {e.Message}", e), Http2ErrorCode.NoError);
        }
        catch (Exception e)
        {
            // A bug here must fail the calls, not the process (this is a background thread).
            Fail(new GrpcException(GrpcStatusCode.Internal, $"HTTP/2 reader for {_target} failed: {e.GetType().Name}: {e.Message}", e), Http2ErrorCode.InternalError);
        }
        finally
        {
            lock (_writeLock)
            {
                _transport.Dispose();
            }
        }
    }

    private int ReadFully(byte[] buffer, int count)
    {
        int total = 0;
        while (total < count)
        {
            int n = _transport.Read(buffer, total, count - total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private void Dispatch(Http2FrameReader frames, Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (frames.ExpectingContinuation && type != Http2FrameType.Continuation)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{Http2Wire.Name(type)} frame while a header block on stream {frames.HeaderStreamId} awaits CONTINUATION");
        }

        switch (type)
        {
            case Http2FrameType.Data:
                OnData(flags, streamId, payload);
                break;
            case Http2FrameType.Headers:
            case Http2FrameType.Continuation:
                if (frames.OnHeaderFragment(type, flags, streamId, payload) is { } fields)
                {
                    var stream = Find(streamId);
                    stream?.OnHeaders(fields, frames.HeaderEndStream);
                    if (frames.HeaderEndStream && stream is not null)
                    {
                        Forget(stream);
                    }
                }

                break;
            case Http2FrameType.RstStream:
                RequireStream(type, streamId);
                RequireLength(type, payload, 4);
                var reset = Find(streamId);
                if (reset is not null)
                {
                    reset.OnReset((Http2ErrorCode)Http2Wire.ReadUInt32(payload.ToArray(), 0));
                    Forget(reset);
                }

                break;
            case Http2FrameType.Settings:
                OnSettings(flags, streamId, payload);
                break;
            case Http2FrameType.Ping:
                RequireLength(type, payload, 8);
                if (streamId != 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"PING on stream {streamId}");
                }

                if ((flags & Http2Wire.FlagAck) == 0)
                {
                    var pong = new byte[Http2Wire.FrameHeaderBytes + 8];
                    Http2Wire.WriteFrameHeader(pong, 0, 8, Http2FrameType.Ping, Http2Wire.FlagAck, 0);
                    payload.CopyTo(pong.AsSpan(Http2Wire.FrameHeaderBytes));
                    TryWrite(pong);
                }

                break;
            case Http2FrameType.GoAway:
                OnGoAway(streamId, payload);
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(streamId, payload);
                break;
            case Http2FrameType.PushPromise:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE although SETTINGS_ENABLE_PUSH is 0");
            default:
                // PRIORITY and unknown frame types are ignored (section 4.1).
                break;
        }
    }

    private void OnData(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        RequireStream(Http2FrameType.Data, streamId);
        int frameLength = payload.Length;
        var data = Unpad(Http2FrameType.Data, flags, payload);
        _connectionReceivedUncredited += frameLength;
        if (_connectionReceivedUncredited >= ConnectionWindowBytes / 2)
        {
            SendWindowUpdate(0, _connectionReceivedUncredited);
            _connectionReceivedUncredited = 0;
        }

        var stream = Find(streamId);
        if (stream is null)
        {
            return;
        }

        bool endStream = (flags & Http2Wire.FlagEndStream) != 0;
        if (!stream.OnData(data, frameLength, endStream))
        {
            SendReset(streamId, Http2ErrorCode.FlowControlError);
            Forget(stream);
        }
        else if (endStream)
        {
            Forget(stream);
        }
    }

    private void OnSettings(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS on stream {streamId}");
        }

        if ((flags & Http2Wire.FlagAck) != 0)
        {
            if (payload.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"SETTINGS ACK with {payload.Length} bytes of payload");
            }

            return;
        }

        if (payload.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"SETTINGS payload of {payload.Length} bytes is not a multiple of 6");
        }

        for (int i = 0; i < payload.Length; i += 6)
        {
            int id = (payload[i] << 8) | payload[i + 1];
            uint value = ((uint)payload[i + 2] << 24) | ((uint)payload[i + 3] << 16) | ((uint)payload[i + 4] << 8) | payload[i + 5];
            switch (id)
            {
                case Http2Wire.SettingInitialWindowSize:
                    if (value > Http2Wire.MaxWindowBytes)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE {value} exceeds 2^31-1");
                    }

                    lock (_stateLock)
                    {
                        // Section 6.9.2: the change applies to every open stream's window.
                        int delta = (int)value - _peerInitialWindow;
                        _peerInitialWindow = (int)value;
                        foreach (var stream in _streams.Values)
                        {
                            stream.SendWindow += delta;
                        }

                        SignalWindowLocked();
                    }

                    break;
                case Http2Wire.SettingMaxFrameSize:
                    if (value < Http2Wire.MaxFrameBytes || value > 16777215)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is outside 16384-16777215");
                    }

                    Volatile.Write(ref _peerMaxFrameBytes, (int)value);
                    break;
                case Http2Wire.SettingEnablePush:
                    if (value > 1)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_ENABLE_PUSH {value} is not 0 or 1");
                    }

                    break;
                default:
                    // HEADER_TABLE_SIZE (our encoder never indexes), MAX_CONCURRENT_STREAMS,
                    // MAX_HEADER_LIST_SIZE and unknown settings need no action.
                    break;
            }
        }

        var ack = new byte[Http2Wire.FrameHeaderBytes];
        Http2Wire.WriteFrameHeader(ack, 0, 0, Http2FrameType.Settings, Http2Wire.FlagAck, 0);
        TryWrite(ack);
    }

    private void OnGoAway(int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId != 0 || payload.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"malformed GOAWAY ({payload.Length} bytes on stream {streamId})");
        }

        var bytes = payload.ToArray();
        int lastStreamId = (int)(Http2Wire.ReadUInt32(bytes, 0) & 0x7FFFFFFF);
        var code = (Http2ErrorCode)Http2Wire.ReadUInt32(bytes, 4);
        string debug = payload.Length > 8 ? ": " + System.Text.Encoding.UTF8.GetString(bytes, 8, bytes.Length - 8) : string.Empty;
        var refused = new List<Http2Stream>();
        lock (_stateLock)
        {
            _goAwayLastStreamId = lastStreamId;
            foreach (var stream in _streams.Values)
            {
                if (stream.Id > lastStreamId)
                {
                    refused.Add(stream);
                }
            }

            foreach (var stream in refused)
            {
                _streams.Remove(stream.Id);
            }
        }

        var failure = new GrpcException(GrpcStatusCode.Unavailable, $"the server at {_target} is going away (GOAWAY {code}{debug}); the call was not processed");
        foreach (var stream in refused)
        {
            stream.OnFailure(failure);
        }
    }

    private void OnWindowUpdate(int streamId, ReadOnlySpan<byte> payload)
    {
        RequireLength(Http2FrameType.WindowUpdate, payload, 4);
        int increment = (int)(Http2Wire.ReadUInt32(payload.ToArray(), 0) & 0x7FFFFFFF);
        lock (_stateLock)
        {
            if (streamId == 0)
            {
                if (increment == 0 || (long)_connectionSendWindow + increment > Http2Wire.MaxWindowBytes)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"connection WINDOW_UPDATE of {increment} is zero or overflows the window");
                }

                _connectionSendWindow += increment;
            }
            else if (_streams.TryGetValue(streamId, out var stream))
            {
                if (increment == 0 || (long)stream.SendWindow + increment > Http2Wire.MaxWindowBytes)
                {
                    stream.OnReset(Http2ErrorCode.FlowControlError);
                }
                else
                {
                    stream.SendWindow += increment;
                }
            }

            SignalWindowLocked();
        }
    }

    private void SignalWindowLocked()
    {
        var waiter = _windowWaiter;
        _windowWaiter = null;
        waiter?.TrySetResult();
    }

    private Http2Stream? Find(int streamId)
    {
        lock (_stateLock)
        {
            return _streams.TryGetValue(streamId, out var stream) ? stream : null;
        }
    }

    private static void RequireStream(Http2FrameType type, int streamId)
    {
        if (streamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{Http2Wire.Name(type)} frame on stream 0");
        }
    }

    private static void RequireLength(Http2FrameType type, ReadOnlySpan<byte> payload, int length)
    {
        if (payload.Length != length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{Http2Wire.Name(type)} frame of {payload.Length} bytes (must be {length})");
        }
    }

    /// <summary>Strips the PADDED flag's pad length byte and padding (sections 6.1, 6.2).</summary>
    internal static ReadOnlySpan<byte> Unpad(Http2FrameType type, byte flags, ReadOnlySpan<byte> payload)
    {
        if ((flags & Http2Wire.FlagPadded) == 0)
        {
            return payload;
        }

        if (payload.Length < 1 || payload[0] >= payload.Length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{Http2Wire.Name(type)} frame padding ({(payload.Length < 1 ? 0 : payload[0])} bytes) does not fit its {payload.Length}-byte payload");
        }

        return payload.Slice(1, payload.Length - 1 - payload[0]);
    }
}
