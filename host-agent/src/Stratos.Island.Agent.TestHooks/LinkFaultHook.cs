// The agent's HIL link-fault hook assembled (--fault-socket PATH): one fault plan (LinkFaults), the
// channel decorator that applies it to every channel the link opens (FaultInjectingChannel), and
// its command socket (LinkFaultSocket). The host plugs it in through AgentOptions.LinkChannelDecorator;
// without --fault-socket nothing of this assembly runs.
using System;
using Microsoft.Extensions.Logging;
using Stratos.Island.Agent.Link;

namespace Stratos.Island.Agent.TestHooks;

public sealed class LinkFaultHook : IDisposable
{
    private readonly LinkFaultSocket _socket;

    /// <summary>Listens for fault commands on <paramref name="socketPath"/> (0600); IOException names the path.</summary>
    public LinkFaultHook(string socketPath, ILogger logger)
    {
        Faults = new LinkFaults();
        _socket = new LinkFaultSocket(socketPath, Faults, logger);
        logger.LogWarning("link fault injection enabled on {Socket} (HIL test hook)", socketPath);
    }

    /// <summary>The plan the socket's commands set and the channels apply.</summary>
    public LinkFaults Faults { get; }

    /// <summary>For AgentOptions.LinkChannelDecorator: every channel <paramref name="inner"/> opens goes through the plan.</summary>
    public LinkChannelFactory Decorate(LinkChannelFactory inner) => FaultInjectingChannel.Wrap(inner, Faults);

    public void Dispose() => _socket.Dispose();
}
