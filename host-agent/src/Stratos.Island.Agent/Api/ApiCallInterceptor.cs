using System;
using System.Threading.Tasks;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Stratos.Island.Agent.Api;

/// <summary>
/// Around every call of the API server (operator API, reflection, health), in this order:
/// <list type="number">
/// <item>access: the caller's SO_PEERCRED (<see cref="PeerCredentials"/>) against the access rule;
/// a refusal is PERMISSION_DENIED with the rule's message, before the handler runs (so a
/// Trailers-Only response);</item>
/// <item>the handler, whose <see cref="AgentException"/> becomes the gRPC status of
/// <see cref="ErrorMapping"/> with the same message (the one place errors become statuses);</item>
/// <item>any other exception becomes INTERNAL naming the method and the exception (logged); a
/// cancellation after the client went away or its deadline passed is left to Grpc.AspNetCore, which
/// has already ended the call (CANCELLED or DEADLINE_EXCEEDED).</item>
/// </list>
/// </summary>
internal sealed class ApiCallInterceptor : Interceptor
{
    private readonly Func<string, PeerCredentials?, string?>? _authorize;
    private readonly ILogger _logger;

    public ApiCallInterceptor(Func<string, PeerCredentials?, string?>? authorize, ILogger logger)
    {
        _authorize = authorize;
        _logger = logger;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (ToStatus(e, context) is RpcException status)
        {
            throw status;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (ToStatus(e, context) is RpcException status)
        {
            throw status;
        }
    }

    private void Authorize(ServerCallContext context)
    {
        if (_authorize?.Invoke(context.Method, PeerCredentials.Of(context.GetHttpContext())) is string denied)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, denied));
        }
    }

    /// <summary>The status to end the call with, or null to let the exception through unchanged.</summary>
    private RpcException? ToStatus(Exception e, ServerCallContext context)
    {
        switch (e)
        {
            case AgentException agent:
                return ErrorMapping.ToRpcException(agent);
            case RpcException:
                return null;
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                _logger.LogDebug("{Method}: ended by the client (cancelled, gone or past its deadline)", context.Method);
                return null;
            default:
                _logger.LogError(e, "{Method}: handler failed", context.Method);
                return new RpcException(new Status(StatusCode.Internal, $"{context.Method}: internal error: {e.GetType().Name}: {e.Message}"));
        }
    }
}
