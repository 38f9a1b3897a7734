using System;

namespace Stratos.Island.Grpc;

/// <summary>
/// A call ended with a non-OK gRPC status. Thrown by client calls; thrown by server handlers to end
/// a call with that status and message (any other exception becomes INTERNAL).
/// </summary>
public sealed class GrpcException : Exception
{
    public GrpcException(GrpcStatusCode status, string message)
        : base(message)
    {
        Status = status;
    }

    public GrpcException(GrpcStatusCode status, string message, Exception inner)
        : base(message, inner)
    {
        Status = status;
    }

    /// <summary>The gRPC status code.</summary>
    public GrpcStatusCode Status { get; }
}
