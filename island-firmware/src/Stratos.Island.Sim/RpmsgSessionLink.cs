// Joins a LinkSession to one rpmsg channel of an RpmsgLink: the session's IMessageTransport sends on
// the endpoint, the endpoint's messages go to the session, and link state changes become the
// session's TransportUp / TransportDown. Used by island-sim (island role) and by the tests' agent
// driver (agent role).
//
//   island: link up (DRIVER_OK seen) -> TransportUp; the island then waits for the agent's Hello
//           (the agent's address is learned from its announcement or its first message).
//   agent:  the island announced the channel -> TransportUp (Hello goes to a known address).
//   either: link down (peer restart, ring reset) -> TransportDown.
//
// Single-threaded like the link and the session: everything runs on the thread that polls the link.
using System;
using Stratos.Island.Codec;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Sim;

public sealed class RpmsgSessionLink : IMessageTransport, IRpmsgSink, ILinkEventSink
{
    private readonly Role _role;
    private readonly string _channel;
    private readonly Func<long> _nowMs;
    private readonly SimLog? _log;

    public RpmsgSessionLink(Role role, string channel, Func<long> nowMs, SimLog? log)
    {
        _role = role;
        _channel = channel;
        _nowMs = nowMs;
        _log = log;
    }

    public LinkSession? Session { get; set; }

    public RpmsgEndpoint? Endpoint { get; set; }

    /// <summary>Why the link last went down ("ring reset: ..." after a corruption).</summary>
    public string LastDownReason { get; private set; } = string.Empty;

    /// <summary>When the link last went down (the caller's clock, ms; -1 before the first time).</summary>
    public long LastDownMs { get; private set; } = -1;

    public LinkSendStatus TrySend(byte[] buffer, int offset, int count) =>
        Endpoint == null ? LinkSendStatus.NotReady : Endpoint.TrySendToRemote(buffer, offset, count);

    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
    {
        Session?.OnMessage(buffer, offset, length, _nowMs());
    }

    public void OnLinkUp()
    {
        _log?.Info("link up");
        if (_role == Role.Island)
        {
            Session?.TransportUp(_nowMs());
        }
    }

    public void OnLinkDown(string reason)
    {
        _log?.Info("link down: " + reason);
        LastDownReason = reason;
        LastDownMs = _nowMs();
        Session?.TransportDown(reason);
    }

    public void OnRemoteChannel(string name, uint address, bool created)
    {
        _log?.Debug("peer " + (created ? "announced" : "withdrew") + " '" + name + "' at 0x" + address.ToString("x"));
        if (_role == Role.Agent && created && name == _channel && Session != null && Session.State == SessionState.Down)
        {
            Session.TransportUp(_nowMs());
        }
    }
}

/// <summary>Link errors (bad peer input) to the log.</summary>
public sealed class LogLinkErrors(SimLog log) : ILinkErrorSink
{
    public void OnLinkError(LinkErrorCode code, string message) => log.Warn("link error " + code + ": " + message);
}
