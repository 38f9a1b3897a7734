using System.Collections.Generic;
using ProtoEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;

namespace Stratos.Island.Agent.Link;

/// <summary>Which answer closes a request (link.proto: RequestResult for requests, LogChunk pages for LogRead).</summary>
public enum ReplyShape
{
    /// <summary>VmRequest, PowerDomainRequest, SystemPowerRequest, StatusRequest: closed by RequestResult.</summary>
    RequestResult = 0,
    /// <summary>LogRead: LogChunk pages, closed by a page with end = true or by a quiet gap after a page.</summary>
    LogPages = 1,
}

/// <summary>Everything the island sent with a request's correlation id, the closing message last.</summary>
public sealed class LinkReply
{
    public LinkReply(IReadOnlyList<ProtoEnvelope> messages)
    {
        Messages = messages;
    }

    public IReadOnlyList<ProtoEnvelope> Messages { get; }

    /// <summary>The closing message.</summary>
    public ProtoEnvelope Final => Messages[^1];
}
