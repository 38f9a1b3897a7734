using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Stratos.Island.Grpc;

/// <summary>Per-call information handed to server handlers.</summary>
public sealed class ServerCallContext
{
    internal ServerCallContext(string method, DateTimeOffset? deadline, CancellationToken cancellationToken, IHeaderDictionary requestHeaders)
    {
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        RequestHeaders = requestHeaders;
    }

    /// <summary>Full method name, e.g. <c>/stratos.island.agent.v1.VmService/ListVms</c>.</summary>
    public string Method { get; }

    /// <summary>The client's deadline, if it sent grpc-timeout.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Cancelled when the client cancels, disconnects, or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Request headers (custom metadata).</summary>
    public IHeaderDictionary RequestHeaders { get; }
}

/// <summary>Writes the messages of a server-streaming call.</summary>
public interface IServerStreamWriter<in T>
{
    /// <summary>Sends one message and flushes it to the client.</summary>
    Task WriteAsync(T message);

    /// <summary>Sends the response headers now, before any message, so the client sees the call accepted.</summary>
    Task WriteResponseHeadersAsync();
}

/// <summary>
/// The server side of the gRPC wire protocol: a table of methods and the one HTTP handler that
/// serves them. Handlers are thin: they delegate to services and throw <see cref="GrpcException"/>
/// to end a call with a status.
/// <para>Response shapes (PROTOCOL-HTTP2.md): a successful or failed call that already sent a message
/// ends with grpc-status/grpc-message trailers; a call that fails before sending anything gets a
/// Trailers-Only response (the status travels in the single HEADERS frame).</para>
/// </summary>
public sealed class GrpcServiceRegistry
{
    private delegate Task CallHandler(HttpContext http, ServerCallContext call, byte[] request);

    private readonly Dictionary<string, CallHandler> _methods = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    public GrpcServiceRegistry(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Access control, asked before every call: the full method name and the caller's credentials
    /// (null off a UNIX socket) in, null to allow or the PERMISSION_DENIED message out. The rule
    /// itself lives with the API contract (the agent's method -> role table), not here.
    /// </summary>
    public Func<string, PeerCredentials?, string?>? Authorize { get; set; }

    /// <summary>The registered full method names.</summary>
    public IReadOnlyCollection<string> Methods => _methods.Keys;

    /// <summary>The full method name of a service method, e.g. <c>/pkg.Service/Method</c>.</summary>
    public static string MethodName(ServiceDescriptor service, string method)
    {
        var m = service.FindMethodByName(method)
            ?? throw new ArgumentException($"service {service.FullName} has no method '{method}'", nameof(method));
        return "/" + service.FullName + "/" + m.Name;
    }

    /// <summary>Registers a unary method.</summary>
    public void AddUnary<TRequest, TResponse>(string method, MessageParser<TRequest> parser, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        _methods.Add(method, async (http, call, bytes) =>
        {
            var request = Parse(parser, bytes, method);
            var response = await handler(request, call).ConfigureAwait(false);
            call.CancellationToken.ThrowIfCancellationRequested();
            StartResponse(http);
            await GrpcProtocol.WriteMessageAsync(http.Response.Body, response.ToByteArray(), call.CancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>Registers a server-streaming method.</summary>
    public void AddServerStreaming<TRequest, TResponse>(string method, MessageParser<TRequest> parser, Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        _methods.Add(method, async (http, call, bytes) =>
        {
            var request = Parse(parser, bytes, method);
            await handler(request, new StreamWriter<TResponse>(http, call.CancellationToken), call).ConfigureAwait(false);
        });
    }

    /// <summary>Serves one HTTP/2 request as a gRPC call.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        string method = http.Request.Path.Value ?? string.Empty;
        var contentType = http.Request.ContentType ?? string.Empty;
        if (!HttpMethods.IsPost(http.Request.Method) || !contentType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            // Not a gRPC request at all: plain HTTP answer, as PROTOCOL-HTTP2.md asks.
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        if (!_methods.TryGetValue(method, out var handler))
        {
            WriteTrailersOnly(http, GrpcStatusCode.Unimplemented, $"unknown method {method}");
            return;
        }

        if (Authorize?.Invoke(method, PeerCredentials.Of(http)) is string denied)
        {
            WriteTrailersOnly(http, GrpcStatusCode.PermissionDenied, denied);
            return;
        }

        DateTimeOffset? deadline = null;
        var timeoutHeader = http.Request.Headers["grpc-timeout"].ToString();
        TimeSpan timeout = default;
        if (timeoutHeader.Length > 0)
        {
            if (!GrpcProtocol.TryParseTimeout(timeoutHeader, out timeout))
            {
                WriteTrailersOnly(http, GrpcStatusCode.InvalidArgument, $"malformed grpc-timeout header '{timeoutHeader}'");
                return;
            }

            deadline = DateTimeOffset.UtcNow + timeout;
        }

        using var deadlineCts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        if (deadline is not null)
        {
            deadlineCts.CancelAfter(timeout);
        }

        var call = new ServerCallContext(method, deadline, deadlineCts.Token, http.Request.Headers);
        GrpcStatusCode status = GrpcStatusCode.Ok;
        string message = string.Empty;
        try
        {
            var request = await GrpcProtocol.ReadMessageAsync(http.Request.Body, call.CancellationToken).ConfigureAwait(false)
                ?? throw new GrpcException(GrpcStatusCode.Internal, $"{method}: request stream ended without a message");
            if (await GrpcProtocol.ReadMessageAsync(http.Request.Body, call.CancellationToken).ConfigureAwait(false) is not null)
            {
                throw new GrpcException(GrpcStatusCode.Internal, $"{method}: more than one request message for a unary-request method");
            }

            await handler(http, call, request).ConfigureAwait(false);
        }
        catch (GrpcException e)
        {
            status = e.Status;
            message = e.Message;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client cancelled or went away: there is nobody to answer.
            _logger.LogDebug("{Method}: cancelled by the client", method);
            return;
        }
        catch (OperationCanceledException) when (deadlineCts.IsCancellationRequested)
        {
            status = GrpcStatusCode.DeadlineExceeded;
            message = $"{method}: deadline of {timeoutHeader} exceeded";
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{Method}: handler failed", method);
            status = GrpcStatusCode.Internal;
            message = $"{method}: internal error: {e.GetType().Name}: {e.Message}";
        }

        if (!http.Response.HasStarted)
        {
            WriteTrailersOnly(http, status, message);
            return;
        }

        http.Response.AppendTrailer("grpc-status", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (message.Length > 0)
        {
            http.Response.AppendTrailer("grpc-message", GrpcProtocol.EncodeMessage(message));
        }
    }

    private static TRequest Parse<TRequest>(MessageParser<TRequest> parser, byte[] bytes, string method)
        where TRequest : IMessage<TRequest>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new GrpcException(GrpcStatusCode.InvalidArgument, $"{method}: request is not a valid {typeof(TRequest).Name}: {e.Message}");
        }
    }

    private static void StartResponse(HttpContext http)
    {
        if (!http.Response.HasStarted)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = GrpcProtocol.ContentType;
        }
    }

    private static void WriteTrailersOnly(HttpContext http, GrpcStatusCode status, string message)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = GrpcProtocol.ContentType;
        http.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (message.Length > 0)
        {
            http.Response.Headers["grpc-message"] = GrpcProtocol.EncodeMessage(message);
        }
    }

    private sealed class StreamWriter<T> : IServerStreamWriter<T>
        where T : IMessage<T>
    {
        private readonly HttpContext _http;
        private readonly CancellationToken _cancellationToken;

        public StreamWriter(HttpContext http, CancellationToken cancellationToken)
        {
            _http = http;
            _cancellationToken = cancellationToken;
        }

        public async Task WriteAsync(T message)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            StartResponse(_http);
            await GrpcProtocol.WriteMessageAsync(_http.Response.Body, message.ToByteArray(), _cancellationToken).ConfigureAwait(false);
            await _http.Response.Body.FlushAsync(_cancellationToken).ConfigureAwait(false);
        }

        public async Task WriteResponseHeadersAsync()
        {
            _cancellationToken.ThrowIfCancellationRequested();
            StartResponse(_http);
            await _http.Response.StartAsync(_cancellationToken).ConfigureAwait(false);
            await _http.Response.Body.FlushAsync(_cancellationToken).ConfigureAwait(false);
        }
    }
}
