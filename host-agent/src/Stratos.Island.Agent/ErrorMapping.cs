using Grpc.Core;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent;

/// <summary>
/// ErrorCode (shared by the link and the API) -> gRPC status code. The only place in the agent that
/// maps errors to gRPC (applied to every call by Api.ApiCallInterceptor); everything else throws
/// <see cref="AgentException"/>.
/// </summary>
public static class ErrorMapping
{
    public static StatusCode ToGrpcStatus(ErrorCode code) => code switch
    {
        ErrorCode.Unspecified => StatusCode.Unknown,
        ErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        ErrorCode.Malformed => StatusCode.InvalidArgument,
        ErrorCode.NotFound => StatusCode.NotFound,
        ErrorCode.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorCode.DependencyNotReady => StatusCode.FailedPrecondition,
        ErrorCode.Quarantined => StatusCode.FailedPrecondition,
        ErrorCode.PermissionDenied => StatusCode.PermissionDenied,
        ErrorCode.Integrity => StatusCode.PermissionDenied,
        ErrorCode.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorCode.Unavailable => StatusCode.Unavailable,
        ErrorCode.DeadlineExceeded => StatusCode.DeadlineExceeded,
        ErrorCode.AlreadyExists => StatusCode.AlreadyExists,
        ErrorCode.Aborted => StatusCode.Aborted,
        ErrorCode.UnsupportedVersion => StatusCode.Unimplemented,
        ErrorCode.Internal => StatusCode.Internal,
        _ => StatusCode.Unknown,
    };

    /// <summary>The status a call ends with when a service throws <paramref name="error"/>: its code mapped, its message unchanged.</summary>
    public static RpcException ToRpcException(AgentException error) =>
        new(new Status(ToGrpcStatus(error.Code), error.Message, error));
}
