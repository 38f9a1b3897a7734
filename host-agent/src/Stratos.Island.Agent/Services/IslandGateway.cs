using System;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Agent.Link;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>
/// What the services need from the island: requests with their RequestResult turned into an
/// <see cref="AgentException"/> when refused, and the "link is down" check. Keeps the services free
/// of link mechanics.
/// </summary>
public sealed class IslandGateway
{
    public IslandGateway(IslandLink link)
    {
        Link = link;
    }

    public IslandLink Link { get; }

    /// <summary>Throws UNAVAILABLE "island link is down (...)" unless the session is up.</summary>
    public void EnsureUp()
    {
        if (!Link.IsUp)
        {
            throw new AgentException(ErrorCode.Unavailable, "island link is down (" + Link.DownReason + ")");
        }
    }

    /// <summary>
    /// Sends a request answered by RequestResult. A refusal becomes AgentException(code,
    /// "&lt;subject&gt; refused by island: &lt;island's reason&gt;").
    /// </summary>
    public async Task<RequestResult> RequestAsync(Envelope request, string subject, CancellationToken cancellationToken)
    {
        EnsureUp();
        LinkReply reply = await Link.RequestAsync(request, ReplyShape.RequestResult, null, cancellationToken).ConfigureAwait(false);
        Envelope final = reply.Final;
        if (final.BodyCase == Envelope.BodyOneofCase.Error)
        {
            throw new AgentException(final.Error.Code == ErrorCode.Unspecified ? ErrorCode.Internal : final.Error.Code,
                $"{subject}: island reported a protocol error: {final.Error.Message}");
        }

        RequestResult result = final.RequestResult;
        if (!result.Accepted)
        {
            throw new AgentException(result.Code == ErrorCode.Unspecified ? ErrorCode.FailedPrecondition : result.Code,
                $"{subject} refused by island: {StripSubject(result.Message, subject)}");
        }

        return result;
    }

    /// <summary>"VM 'web': depends on ..." -> "depends on ..." when the island already named the subject.</summary>
    internal static string StripSubject(string message, string subject)
    {
        string prefix = subject + ":";
        if (message.StartsWith(prefix, StringComparison.Ordinal))
        {
            return message[prefix.Length..].TrimStart();
        }

        return message.Length == 0 ? "no reason given" : message;
    }
}
