using System;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent;

/// <summary>
/// A failure of an agent operation, classified by the shared ErrorCode set (common.proto) and
/// explained by a message that names the object and the reason. The API layer turns it into a gRPC
/// status through <see cref="ErrorMapping"/>, the one place that knows gRPC codes.
/// </summary>
public sealed class AgentException : Exception
{
    public AgentException(ErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public AgentException(ErrorCode code, string message, Exception inner)
        : base(message, inner)
    {
        Code = code;
    }

    public ErrorCode Code { get; }
}
