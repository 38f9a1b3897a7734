using System;

namespace Stratos.Island.Grpc.Http2;

/// <summary>A connection error (RFC 7540 section 5.4.1): the whole connection ends with GOAWAY(code).</summary>
internal sealed class Http2ConnectionException : Exception
{
    public Http2ConnectionException(Http2ErrorCode code, string message, GrpcStatusCode status = GrpcStatusCode.Internal)
        : base(message)
    {
        Code = code;
        Status = status;
    }

    public Http2ErrorCode Code { get; }

    public GrpcStatusCode Status { get; }
}
