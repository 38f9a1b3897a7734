using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;

namespace Stratos.Island.Grpc;

/// <summary>
/// The client side of the gRPC wire protocol on <see cref="HttpClient"/>: HTTP/2 with prior knowledge
/// (no TLS) over a UNIX socket, unary and server-streaming calls, deadlines (grpc-timeout plus a local
/// timer) and cancellation (RST_STREAM through the HttpClient token). Every failure surfaces as a
/// <see cref="GrpcException"/> with the server's status, or UNAVAILABLE when nothing listens.
/// Connections are made lazily on the first call.
/// </summary>
public sealed class GrpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _target;

    private GrpcClient(HttpMessageHandler handler, Uri baseAddress, string target)
    {
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _target = target;
    }

    /// <summary>A client for a server on a UNIX socket.</summary>
    public static GrpcClient ForUnixSocket(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            EnableMultipleHttp2Connections = false,
        };
        return new GrpcClient(handler, new Uri("http://localhost"), socketPath);
    }

    /// <summary>A unary call.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = await StartCallAsync(method, request, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            var bytes = await GrpcProtocol.ReadMessageAsync(call.Body!, call.Token).ConfigureAwait(false);
            if (bytes is not null && await GrpcProtocol.ReadMessageAsync(call.Body!, call.Token).ConfigureAwait(false) is not null)
            {
                throw new GrpcException(GrpcStatusCode.Internal, $"{method}: server sent more than one message for a unary call");
            }

            call.ThrowIfStatusNotOk();
            return bytes is null
                ? throw new GrpcException(GrpcStatusCode.Internal, $"{method}: server ended the call with OK but sent no message")
                : ParseResponse(parser, bytes, method);
        }
        catch (Exception e) when (e is not GrpcException)
        {
            throw call.Translate(e);
        }
    }

    /// <summary>A server-streaming call; enumerating reads messages as they arrive.</summary>
    public async IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = await StartCallAsync(method, request, timeout, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            byte[]? bytes;
            try
            {
                bytes = await GrpcProtocol.ReadMessageAsync(call.Body!, call.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not GrpcException)
            {
                throw call.Translate(e);
            }

            if (bytes is null)
            {
                break;
            }

            yield return ParseResponse(parser, bytes, method);
        }

        call.ThrowIfStatusNotOk();
    }

    public void Dispose() => _http.Dispose();

    private async Task<ActiveCall> StartCallAsync<TRequest>(string method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
    {
        var call = new ActiveCall(method, _target, timeout, cancellationToken);
        try
        {
            var payload = request.ToByteArray();
            var framed = new byte[GrpcProtocol.FrameHeaderBytes + payload.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
            payload.CopyTo(framed, GrpcProtocol.FrameHeaderBytes);

            var message = new HttpRequestMessage(HttpMethod.Post, method)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(framed),
            };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
            message.Headers.TryAddWithoutValidation("te", "trailers");
            message.Headers.TryAddWithoutValidation("user-agent", "stratos-island-grpc/1");
            if (timeout is not null)
            {
                message.Headers.TryAddWithoutValidation("grpc-timeout", GrpcProtocol.FormatTimeout(timeout.Value));
            }

            call.Response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, call.Token).ConfigureAwait(false);
            call.CheckHeaders();
            call.Body = await call.Response.Content.ReadAsStreamAsync(call.Token).ConfigureAwait(false);
            return call;
        }
        catch (Exception e)
        {
            call.Dispose();
            throw e is GrpcException ? e : call.Translate(e);
        }
    }

    private static TResponse ParseResponse<TResponse>(MessageParser<TResponse> parser, byte[] bytes, string method)
        where TResponse : IMessage<TResponse>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new GrpcException(GrpcStatusCode.Internal, $"{method}: response is not a valid {typeof(TResponse).Name}: {e.Message}");
        }
    }

    /// <summary>State of one call: its cancellation sources, response and status translation.</summary>
    private sealed class ActiveCall : IDisposable
    {
        private readonly string _method;
        private readonly string _target;
        private readonly CancellationToken _callerToken;
        private readonly CancellationTokenSource _cts;
        private readonly CancellationTokenSource? _deadline;

        public ActiveCall(string method, string target, TimeSpan? timeout, CancellationToken callerToken)
        {
            _method = method;
            _target = target;
            _callerToken = callerToken;
            if (timeout is not null)
            {
                _deadline = new CancellationTokenSource(timeout.Value);
                _cts = CancellationTokenSource.CreateLinkedTokenSource(callerToken, _deadline.Token);
            }
            else
            {
                _cts = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
            }
        }

        public CancellationToken Token => _cts.Token;

        public HttpResponseMessage? Response { get; set; }

        public Stream? Body { get; set; }

        /// <summary>Non-200 HTTP status or a Trailers-Only response ends the call here.</summary>
        public void CheckHeaders()
        {
            var response = Response!;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new GrpcException(MapHttpStatus(response.StatusCode), $"{_method}: HTTP status {(int)response.StatusCode} from {_target}");
            }

            if (TryReadStatus(response.Headers, out var status, out var message) && status != GrpcStatusCode.Ok)
            {
                throw new GrpcException(status, message.Length > 0 ? message : $"{_method}: {status}");
            }

            var contentType = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
            if (!contentType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase) && !response.Headers.Contains("grpc-status"))
            {
                throw new GrpcException(GrpcStatusCode.Unknown, $"{_method}: response content type '{contentType}' is not gRPC");
            }
        }

        public void ThrowIfStatusNotOk()
        {
            var response = Response!;
            if (!TryReadStatus(response.TrailingHeaders, out var status, out var message)
                && !TryReadStatus(response.Headers, out status, out message))
            {
                throw new GrpcException(GrpcStatusCode.Internal, $"{_method}: server ended the call without grpc-status");
            }

            if (status != GrpcStatusCode.Ok)
            {
                throw new GrpcException(status, message.Length > 0 ? message : $"{_method}: {status}");
            }
        }

        public GrpcException Translate(Exception e)
        {
            if (_deadline is not null && _deadline.IsCancellationRequested && !_callerToken.IsCancellationRequested)
            {
                return new GrpcException(GrpcStatusCode.DeadlineExceeded, $"{_method}: deadline exceeded", e);
            }

            if (_callerToken.IsCancellationRequested)
            {
                return new GrpcException(GrpcStatusCode.Cancelled, $"{_method}: cancelled", e);
            }

            if (e is HttpRequestException { InnerException: SocketException se })
            {
                return new GrpcException(GrpcStatusCode.Unavailable, $"cannot connect to {_target}: {se.Message}", e);
            }

            if (e is HttpRequestException or IOException)
            {
                return new GrpcException(GrpcStatusCode.Unavailable, $"{_method}: connection to {_target} failed: {e.Message}", e);
            }

            return new GrpcException(GrpcStatusCode.Unknown, $"{_method}: {e.GetType().Name}: {e.Message}", e);
        }

        public void Dispose()
        {
            Body?.Dispose();
            Response?.Dispose();
            _cts.Dispose();
            _deadline?.Dispose();
        }

        private static bool TryReadStatus(HttpHeaders headers, out GrpcStatusCode status, out string message)
        {
            status = GrpcStatusCode.Unknown;
            message = string.Empty;
            if (!headers.TryGetValues("grpc-status", out var values))
            {
                return false;
            }

            var text = values.FirstOrDefault();
            status = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code) && code >= 0 && code <= 16
                ? (GrpcStatusCode)code
                : GrpcStatusCode.Unknown;
            if (headers.TryGetValues("grpc-message", out var messages))
            {
                message = GrpcProtocol.DecodeMessage(messages.FirstOrDefault());
            }

            return true;
        }

        // HTTP status -> gRPC status for responses that are not gRPC (grpc/doc/http-grpc-status-mapping.md).
        private static GrpcStatusCode MapHttpStatus(HttpStatusCode code) => (int)code switch
        {
            400 => GrpcStatusCode.Internal,
            401 => GrpcStatusCode.Unauthenticated,
            403 => GrpcStatusCode.PermissionDenied,
            404 => GrpcStatusCode.Unimplemented,
            429 or 502 or 503 or 504 => GrpcStatusCode.Unavailable,
            _ => GrpcStatusCode.Unknown,
        };
    }
}
