// island-sim's link over shared memory (the default; the board's OpenAMP layout): the device role
// of SharedMemoryLinkPort with one rpmsg channel joined to the session by RpmsgSessionLink.
using System;
using System.IO;
using System.Net.Sockets;
using System.Text.Json;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Sim;

public sealed class SharedMemorySessionLink : ISimLink
{
    private readonly SharedMemoryLinkPort _port;
    private readonly RpmsgSessionLink _glue;
    private int _ringResets;

    public SharedMemorySessionLink(SimEnvironment env, RpmsgSessionLink glue, SimLog log)
    {
        _glue = glue;
        try
        {
            _port = SharedMemoryLinkPort.OpenDevice(env.ShmPath, env.KickSocket, env.Layout!, 0, new LogLinkErrors(log), glue, groupId: env.LinkGroupId);
        }
        catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
        {
            throw new SimConfigurationException("shared memory '" + env.ShmPath + "' / kick socket '" + env.KickSocket + "': cannot be opened: " + e.Message);
        }

        Description = "shm " + env.ShmPath + ", kick " + env.KickSocket;
        try
        {
            glue.Endpoint = _port.Link.CreateEndpoint(env.ChannelName, RpmsgHeader.AddressAny, glue);
        }
        catch
        {
            _port.Dispose();
            throw;
        }
    }

    public string Description { get; }

    public string LastDownReason => _glue.LastDownReason;

    public void Start() => _port.Link.Start();

    public void WaitAndPoll(int timeoutMs) => _port.WaitAndPoll(timeoutMs);

    public bool TakeRingReset()
    {
        if (_port.Link.Counters.RingResetsRequested == _ringResets)
        {
            return false;
        }

        _ringResets = _port.Link.Counters.RingResetsRequested;
        return true;
    }

    public void WriteStatus(Utf8JsonWriter json)
    {
        LinkCounters link = _port.Link.Counters;
        json.WriteString("transport", "shared-memory");
        json.WriteString("state", _port.Link.State.ToString());
        json.WriteNumber("tx_messages", link.TxMessages);
        json.WriteNumber("rx_messages", link.RxMessages);
        json.WriteNumber("tx_no_buffer", link.TxNoBuffer);
        json.WriteNumber("kicks_sent", link.KicksSent);
        json.WriteNumber("kicks_suppressed", link.KicksSuppressed);
        json.WriteNumber("link_ups", link.LinkUps);
        json.WriteNumber("peer_restarts", link.PeerRestarts);
        json.WriteNumber("errors", link.ErrorsTotal);
        json.WriteNumber("ring_resets_requested", link.RingResetsRequested);
        json.WriteNumber("ring_resets_by_peer", link.RingResetsByPeer);
        json.WriteNumber("last_down_ms", _glue.LastDownMs);
        json.WriteString("last_down_reason", _glue.LastDownReason);
    }

    public void Dispose()
    {
        // The table is withdrawn (ver 0) so the agent sees the island gone at once; the file
        // itself stays, to be re-initialised in place by the next boot (one inode for life).
        _port.Link.Stop();
        _port.Dispose();
    }
}
