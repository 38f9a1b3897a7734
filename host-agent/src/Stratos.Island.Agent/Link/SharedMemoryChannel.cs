using System;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Agent.Link;

/// <summary>
/// The virtual board's transport: the agent is the virtio driver of the shared-memory rpmsg link
/// (SharedMemoryLinkPort.OpenDriver). The channel is up while the rings are attached and the
/// island's endpoint address is known (its name-service announcement); a ring reset or a closed kick
/// socket takes it down, and the port re-attaches by itself when the island comes back.
/// </summary>
public sealed class SharedMemoryChannel : ILinkChannel, ILinkEventSink, IRpmsgSink
{
    /// <summary>How long OpenDriver waits for the island's file and socket per attempt.</summary>
    public const int OpenTimeoutMs = 200;

    private readonly SharedMemoryLinkPort _port;
    private readonly RpmsgEndpoint _endpoint;
    private readonly ILinkChannelSink _sink;
    private bool _up;

    private SharedMemoryChannel(string shmPath, string kickSocket, string channelName, LinkLayout layout, ILinkChannelSink sink)
    {
        _sink = sink;
        Description = $"shared memory {shmPath}, kicks {kickSocket}, channel '{channelName}'";
        _port = SharedMemoryLinkPort.OpenDriver(shmPath, kickSocket, layout, spinMicroseconds: 0, OpenTimeoutMs, errors: null, events: this);
        _endpoint = _port.Link.CreateEndpoint(channelName, RpmsgHeader.AddressAny, this);
        _port.Link.Start();
    }

    public string Description { get; }

    public static LinkChannelFactory Factory(string shmPath, string kickSocket, string channelName, LinkLayout layout) =>
        sink => new SharedMemoryChannel(shmPath, kickSocket, channelName, layout, sink);

    public void Pump(int timeoutMs)
    {
        _port.WaitAndPoll(timeoutMs);
        UpdateUp(null);
    }

    public LinkSendStatus TrySend(byte[] buffer, int offset, int count) => _endpoint.TrySendToRemote(buffer, offset, count);

    public void Wake() => _port.Kicks.Wake();

    public LinkCounters TransportCounters => _port.Link.Counters;

    public void OnLinkUp() => UpdateUp(null);

    public void OnLinkDown(string reason) => UpdateUp(reason);

    public void OnRemoteChannel(string name, uint address, bool created) => UpdateUp(created ? null : "island withdrew channel '" + name + "'");

    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
    {
        UpdateUp(null);
        _sink.OnChannelMessage(buffer, offset, length);
    }

    public void Dispose() => _port.Dispose();

    private void UpdateUp(string? reason)
    {
        bool up = _port.Link.State == LinkState.Up && _endpoint.RemoteAddress != RpmsgHeader.AddressAny;
        if (up == _up)
        {
            return;
        }

        _up = up;
        if (up)
        {
            _sink.OnChannelUp();
        }
        else
        {
            _sink.OnChannelDown(reason ?? "shared-memory link reset");
        }
    }
}
