using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Stratos.Island.Grpc.Http2;

namespace Stratos.Island.Grpc;

/// <summary>
/// The client side of the gRPC wire protocol (grpc/doc/PROTOCOL-HTTP2.md) on our own HTTP/2
/// connection (<see cref="Http2Connection"/>): prior knowledge over a UNIX socket, or TLS with ALPN
/// "h2" over TCP. Unary and server-streaming calls, deadlines (grpc-timeout plus a local timer),
/// cancellation (RST_STREAM(CANCEL)). Every failure surfaces as a <see cref="GrpcException"/> with the
/// server's status, or UNAVAILABLE when nothing listens.
/// <para>
/// One connection, opened lazily by the first call and shared by concurrent calls (one stream each);
/// a connection that failed or got GOAWAY is replaced by a new one at the next call. No HttpClient:
/// its start-up cost (about 100 ms in a fresh process, docs/grpc.md) dominated every CLI command.
/// </para>
/// </summary>
public sealed class GrpcClient : IDisposable
{
    private const string UserAgent = "stratos-island-grpc/2";

    private readonly Func<CancellationToken, Task<Http2Connection>> _connect;
    private readonly string _target;
    private readonly string _scheme;
    private readonly string _authority;
    private readonly object _lock = new();
    private Task<Http2Connection>? _connection;
    private bool _disposed;

    private GrpcClient(string target, string scheme, string authority, Func<CancellationToken, Task<Http2Connection>> connect)
    {
        _target = target;
        _scheme = scheme;
        _authority = authority;
        _connect = connect;
    }

    /// <summary>A client for a server on a UNIX socket (plaintext HTTP/2 with prior knowledge).</summary>
    public static GrpcClient ForUnixSocket(string socketPath) =>
        new(socketPath, "http", "localhost", _ => Task.FromResult(Http2Connection.ConnectUnix(socketPath)));

    /// <summary>
    /// A client for the agent's TCP listener: TLS with ALPN "h2". The server certificate must chain to
    /// <paramref name="trustedRoot"/> when given, else to the system's trust store, and match <paramref name="host"/>.
    /// </summary>
    public static GrpcClient ForTls(string host, int port, X509Certificate2? trustedRoot = null)
    {
        string target = host + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new GrpcClient(target, "https", target, cancellationToken => ConnectTlsAsync(host, port, target, trustedRoot, cancellationToken));
    }

    /// <summary>
    /// A unary call that blocks the calling thread until it ends. For short-lived processes (the CLI):
    /// it starts no async machinery, which in a fresh process costs more than the call itself.
    /// </summary>
    public TResponse Unary<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
        => (TResponse)Unary(method, (IMessage)request, parser, timeout, cancellationToken);

    /// <summary>
    /// <see cref="Unary{TRequest, TResponse}"/> without type parameters: a caller in another assembly
    /// (the CLI) calls this one directly, since a generic method instantiated across assemblies needs
    /// a stub compiled at start-up.
    /// </summary>
    public IMessage Unary(string method, IMessage request, MessageParser parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var call = new ActiveCall(method, _target, timeout, cancellationToken, blocking: true);
        try
        {
            var connection = GetConnection(call.Token);
            call.Stream = connection.StartRequest(BuildHeaders(call), Frame(request), call.Token, call.Deadline);
            call.CheckHeaders(call.Stream.ReadHeaders(call.Token, call.Deadline));
            var bytes = GrpcProtocol.ReadMessage(call.Body);
            if (bytes is not null && GrpcProtocol.ReadMessage(call.Body) is not null)
            {
                throw new GrpcException(GrpcStatusCode.Internal, $"{method}: server sent more than one message for a unary call");
            }

            call.ThrowIfStatusNotOk();
            return bytes is null ? throw NoMessage(call) : ParseResponse(parser, bytes, method);
        }
        catch (Exception e)
        {
            throw call.Translate(e);
        }
    }

    /// <summary>A unary call.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = new ActiveCall(method, _target, timeout, cancellationToken);
        try
        {
            await StartAsync(call, request).ConfigureAwait(false);
            var bytes = await GrpcProtocol.ReadMessageAsync(call.Body, call.Token).ConfigureAwait(false);
            if (bytes is not null && await GrpcProtocol.ReadMessageAsync(call.Body, call.Token).ConfigureAwait(false) is not null)
            {
                throw new GrpcException(GrpcStatusCode.Internal, $"{method}: server sent more than one message for a unary call");
            }

            return Finish(call, parser, bytes);
        }
        catch (Exception e)
        {
            throw call.Translate(e);
        }
    }

    /// <summary>A server-streaming call; enumerating reads messages as they arrive.</summary>
    public async IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = new ActiveCall(method, _target, timeout, cancellationToken);
        try
        {
            await StartAsync(call, request).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw call.Translate(e);
        }

        while (true)
        {
            byte[]? bytes;
            try
            {
                bytes = await GrpcProtocol.ReadMessageAsync(call.Body, call.Token).ConfigureAwait(false);
                if (bytes is null)
                {
                    call.ThrowIfStatusNotOk();
                    yield break;
                }
            }
            catch (Exception e)
            {
                throw call.Translate(e);
            }

            yield return ParseResponse(parser, bytes, method);
        }
    }

    public void Dispose()
    {
        Task<Http2Connection>? connection;
        lock (_lock)
        {
            _disposed = true;
            connection = _connection;
            _connection = null;
        }

        if (connection is { IsCompletedSuccessfully: true })
        {
            connection.Result.Dispose();
        }
    }

    private static TResponse Finish<TResponse>(ActiveCall call, MessageParser<TResponse> parser, byte[]? bytes)
        where TResponse : IMessage<TResponse>
    {
        call.ThrowIfStatusNotOk();
        return bytes is null ? throw NoMessage(call) : ParseResponse(parser, bytes, call.Method);
    }

    private static GrpcException NoMessage(ActiveCall call) =>
        new(GrpcStatusCode.Internal, $"{call.Method}: server ended the call with OK but sent no message");

    private async Task StartAsync<TRequest>(ActiveCall call, TRequest request)
        where TRequest : IMessage<TRequest>
    {
        var connection = await GetConnectionAsync(call.Token).ConfigureAwait(false);
        call.Stream = await connection.StartRequestAsync(BuildHeaders(call), Frame(request), call.Token).ConfigureAwait(false);
        call.CheckHeaders(await call.Stream.ReadHeadersAsync(call.Token).ConfigureAwait(false));
    }

    // The request message as one Length-Prefixed-Message, uncompressed.
    private static byte[] Frame(IMessage request)
    {
        var payload = request.ToByteArray();
        var framed = new byte[GrpcProtocol.FrameHeaderBytes + payload.Length];
        framed[1] = (byte)(payload.Length >> 24);
        framed[2] = (byte)(payload.Length >> 16);
        framed[3] = (byte)(payload.Length >> 8);
        framed[4] = (byte)payload.Length;
        payload.CopyTo(framed, GrpcProtocol.FrameHeaderBytes);
        return framed;
    }

    private List<KeyValuePair<string, string>> BuildHeaders(ActiveCall call)
    {
        var headers = new List<KeyValuePair<string, string>>(8)
        {
            new(":method", "POST"),
            new(":scheme", _scheme),
            new(":path", call.Method),
            new(":authority", _authority),
            new("content-type", GrpcProtocol.ContentType),
            new("te", "trailers"),
            new("user-agent", UserAgent),
        };
        if (call.Timeout is { } timeout)
        {
            headers.Add(new("grpc-timeout", GrpcProtocol.FormatTimeout(timeout)));
        }

        return headers;
    }

    private Http2Connection GetConnection(CancellationToken cancellationToken)
    {
        var connecting = CurrentConnection();
        return connecting.IsCompletedSuccessfully ? connecting.Result : connecting.WaitAsync(cancellationToken).GetAwaiter().GetResult();
    }

    private async Task<Http2Connection> GetConnectionAsync(CancellationToken cancellationToken) =>
        await CurrentConnection().WaitAsync(cancellationToken).ConfigureAwait(false);

    // The live connection, or a new one when there is none or it failed or got GOAWAY.
    private Task<Http2Connection> CurrentConnection()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled
                || (_connection.IsCompletedSuccessfully && !_connection.Result.IsUsable))
            {
                if (_connection is { IsCompletedSuccessfully: true })
                {
                    _connection.Result.Dispose();
                }

                _connection = _connect(CancellationToken.None);
            }

            return _connection;
        }
    }

    // Kept apart so that UNIX socket clients never load the TLS stack.
    private static async Task<Http2Connection> ConnectTlsAsync(string host, int port, string target, X509Certificate2? trustedRoot, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new GrpcException(GrpcStatusCode.Unavailable, $"cannot connect to {target}: {e.Message}", e);
        }

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = new List<SslApplicationProtocol> { SslApplicationProtocol.Http2 },
            };
            if (trustedRoot is not null)
            {
                options.CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { trustedRoot },
                };
            }

            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
            {
                throw new GrpcException(GrpcStatusCode.Unavailable, $"{target} did not agree to HTTP/2 in the TLS handshake (ALPN \"h2\")");
            }
        }
        catch (Exception e) when (e is not GrpcException)
        {
            tls.Dispose();
            throw new GrpcException(GrpcStatusCode.Unavailable, $"TLS handshake with {target} failed: {e.Message}", e);
        }
        catch
        {
            tls.Dispose();
            throw;
        }

        return Http2Connection.Start(tls, () => socket.Shutdown(SocketShutdown.Both), target);
    }

    private static TResponse ParseResponse<TResponse>(MessageParser<TResponse> parser, byte[] bytes, string method)
        where TResponse : IMessage<TResponse>
        => (TResponse)ParseResponse((MessageParser)parser, bytes, method);

    private static IMessage ParseResponse(MessageParser parser, byte[] bytes, string method)
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            // The message type from the parser's type argument (MessageParser<T>); error path only.
            string type = parser.GetType().IsGenericType ? parser.GetType().GetGenericArguments()[0].Name : "response message";
            throw new GrpcException(GrpcStatusCode.Internal, $"{method}: response is not a valid {type}: {e.Message}");
        }
    }

    /// <summary>State of one call: its cancellation sources, stream, headers and status translation.</summary>
    private sealed class ActiveCall : IDisposable
    {
        private readonly string _target;
        private readonly CancellationToken _callerToken;
        private readonly CancellationTokenSource? _cts;
        private readonly CancellationTokenSource? _deadline;
        private Http2Stream? _stream;

        // A blocking call keeps its deadline as a timestamp and waits with a timeout; an async call
        // gets a timer that cancels its token.
        public ActiveCall(string method, string target, TimeSpan? timeout, CancellationToken callerToken, bool blocking = false)
        {
            Method = method;
            _target = target;
            Timeout = timeout;
            _callerToken = callerToken;
            Deadline = timeout is null ? long.MaxValue
                : System.Diagnostics.Stopwatch.GetTimestamp() + (long)(Math.Max(0, timeout.Value.TotalSeconds) * System.Diagnostics.Stopwatch.Frequency);
            if (blocking)
            {
                Token = callerToken;
            }
            else if (timeout is not null)
            {
                _deadline = new CancellationTokenSource(timeout.Value);
                _cts = CancellationTokenSource.CreateLinkedTokenSource(callerToken, _deadline.Token);
                Token = _cts.Token;
            }
            else
            {
                _cts = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
                Token = _cts.Token;
            }
        }

        public string Method { get; }

        public TimeSpan? Timeout { get; }

        /// <summary>When the call's deadline passes, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
        public long Deadline { get; }

        public CancellationToken Token { get; }

        public Http2Stream Stream
        {
            get => _stream!;
            set
            {
                _stream = value;
                Body = new ResponseBody(value, Token, Deadline);
            }
        }

        public Stream Body { get; private set; } = System.IO.Stream.Null;

        private List<KeyValuePair<string, string>>? Headers { get; set; }

        /// <summary>A non-200 HTTP status or a Trailers-Only response with an error ends the call here.</summary>
        public void CheckHeaders(List<KeyValuePair<string, string>> headers)
        {
            Headers = headers;
            string status = Find(headers, ":status") ?? string.Empty;
            if (status != "200")
            {
                throw new GrpcException(MapHttpStatus(status), $"{Method}: HTTP status {(status.Length == 0 ? "missing" : status)} from {_target}");
            }

            if (TryReadStatus(headers, out var code, out var message) && code != GrpcStatusCode.Ok)
            {
                throw new GrpcException(code, message.Length > 0 ? message : $"{Method}: {code}");
            }

            string contentType = Find(headers, "content-type") ?? string.Empty;
            if (!contentType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase) && Find(headers, "grpc-status") is null)
            {
                throw new GrpcException(GrpcStatusCode.Unknown, $"{Method}: response content type '{contentType}' is not gRPC");
            }
        }

        public void ThrowIfStatusNotOk()
        {
            if (!(_stream?.Trailers is { } trailers && TryReadStatus(trailers, out var status, out var message))
                && !(Headers is not null && TryReadStatus(Headers, out status, out message)))
            {
                throw new GrpcException(GrpcStatusCode.Internal, $"{Method}: server ended the call without grpc-status");
            }

            if (status != GrpcStatusCode.Ok)
            {
                throw new GrpcException(status, message.Length > 0 ? message : $"{Method}: {status}");
            }
        }

        public GrpcException Translate(Exception e)
        {
            if (e is GrpcException { Status: not GrpcStatusCode.Cancelled } g)
            {
                return g;
            }

            if ((e is TimeoutException || (_deadline is not null && _deadline.IsCancellationRequested)) && !_callerToken.IsCancellationRequested)
            {
                return new GrpcException(GrpcStatusCode.DeadlineExceeded, $"{Method}: deadline exceeded", e);
            }

            if (_callerToken.IsCancellationRequested)
            {
                return new GrpcException(GrpcStatusCode.Cancelled, $"{Method}: cancelled", e);
            }

            return e switch
            {
                GrpcException grpc => grpc,
                IOException or SocketException => new GrpcException(GrpcStatusCode.Unavailable, $"{Method}: connection to {_target} failed: {e.Message}", e),
                _ => new GrpcException(GrpcStatusCode.Unknown, $"{Method}: {e.GetType().Name}: {e.Message}", e),
            };
        }

        public void Dispose()
        {
            // A call left before the server ended it (error, deadline, cancellation, early break)
            // is reset so the server stops working on it.
            _stream?.Cancel();
            _cts?.Dispose();
            _deadline?.Dispose();
        }

        private static string? Find(List<KeyValuePair<string, string>> fields, string name)
        {
            foreach (var field in fields)
            {
                if (field.Key == name)
                {
                    return field.Value;
                }
            }

            return null;
        }

        private static bool TryReadStatus(List<KeyValuePair<string, string>> fields, out GrpcStatusCode status, out string message)
        {
            status = GrpcStatusCode.Unknown;
            message = string.Empty;
            string? text = Find(fields, "grpc-status");
            if (text is null)
            {
                return false;
            }

            status = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code) && code >= 0 && code <= 16
                ? (GrpcStatusCode)code
                : GrpcStatusCode.Unknown;
            message = GrpcProtocol.DecodeMessage(Find(fields, "grpc-message"));
            return true;
        }

        // HTTP status -> gRPC status for responses that are not gRPC (grpc/doc/http-grpc-status-mapping.md).
        private static GrpcStatusCode MapHttpStatus(string status) => status switch
        {
            "400" => GrpcStatusCode.Internal,
            "401" => GrpcStatusCode.Unauthenticated,
            "403" => GrpcStatusCode.PermissionDenied,
            "404" => GrpcStatusCode.Unimplemented,
            "429" or "502" or "503" or "504" => GrpcStatusCode.Unavailable,
            _ => GrpcStatusCode.Unknown,
        };
    }

    /// <summary>The response body of one stream as a read-only <see cref="System.IO.Stream"/>.</summary>
    private sealed class ResponseBody : Stream
    {
        private readonly Http2Stream _stream;
        private readonly CancellationToken _readToken;
        private readonly long _deadline;

        public ResponseBody(Http2Stream stream, CancellationToken readToken, long deadline)
        {
            _stream = stream;
            _readToken = readToken;
            _deadline = deadline;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _stream.ReadAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => _stream.Read(buffer.AsSpan(offset, count), _readToken, _deadline);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
