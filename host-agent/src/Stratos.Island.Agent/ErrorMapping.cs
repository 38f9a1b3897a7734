using System;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent;

/// <summary>
/// ErrorCode (shared by the link and the API) -> gRPC status code. The only place in the agent that
/// maps errors to gRPC; everything else throws <see cref="AgentException"/>.
/// </summary>
public static class ErrorMapping
{
    public static GrpcStatusCode ToGrpcStatus(ErrorCode code) => code switch
    {
        ErrorCode.Unspecified => GrpcStatusCode.Unknown,
        ErrorCode.InvalidArgument => GrpcStatusCode.InvalidArgument,
        ErrorCode.Malformed => GrpcStatusCode.InvalidArgument,
        ErrorCode.NotFound => GrpcStatusCode.NotFound,
        ErrorCode.FailedPrecondition => GrpcStatusCode.FailedPrecondition,
        ErrorCode.DependencyNotReady => GrpcStatusCode.FailedPrecondition,
        ErrorCode.Quarantined => GrpcStatusCode.FailedPrecondition,
        ErrorCode.PermissionDenied => GrpcStatusCode.PermissionDenied,
        ErrorCode.Integrity => GrpcStatusCode.PermissionDenied,
        ErrorCode.ResourceExhausted => GrpcStatusCode.ResourceExhausted,
        ErrorCode.Unavailable => GrpcStatusCode.Unavailable,
        ErrorCode.DeadlineExceeded => GrpcStatusCode.DeadlineExceeded,
        ErrorCode.AlreadyExists => GrpcStatusCode.AlreadyExists,
        ErrorCode.Aborted => GrpcStatusCode.Aborted,
        ErrorCode.UnsupportedVersion => GrpcStatusCode.Unimplemented,
        ErrorCode.Internal => GrpcStatusCode.Internal,
        _ => GrpcStatusCode.Unknown,
    };

    public static GrpcException ToGrpcException(AgentException error) =>
        new(ToGrpcStatus(error.Code), error.Message, error);

    /// <summary>Runs a service call and converts an <see cref="AgentException"/> into the gRPC status.</summary>
    public static async System.Threading.Tasks.Task<T> Guard<T>(Func<System.Threading.Tasks.Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AgentException e)
        {
            throw ToGrpcException(e);
        }
    }
}
