using System;
using Stratos.Island.Link;

namespace Stratos.Island.Agent.Link;

/// <summary>What a channel tells the link thread; called on that thread only.</summary>
public interface ILinkChannelSink
{
    /// <summary>The transport can carry messages to the island now.</summary>
    void OnChannelUp();

    /// <summary>The transport lost the island (peer reset, device gone, port closed).</summary>
    void OnChannelDown(string reason);

    /// <summary>One whole message. The bytes are valid only during the call.</summary>
    void OnChannelMessage(byte[] buffer, int offset, int count);
}

/// <summary>
/// One message transport to the island (shared memory, rpmsg char, serial), driven by the link
/// thread only: <see cref="Pump"/> waits for input and delivers it, <see cref="TrySend"/> never waits.
/// </summary>
public interface ILinkChannel : IDisposable
{
    /// <summary>Human-readable description for logs and GetIslandInfo, e.g. "shared memory /dev/shm/x".</summary>
    string Description { get; }

    /// <summary>Waits up to timeoutMs for input and delivers every message to the sink.</summary>
    void Pump(int timeoutMs);

    LinkSendStatus TrySend(byte[] buffer, int offset, int count);

    /// <summary>Makes a waiting <see cref="Pump"/> return now (called from other threads when a
    /// message is queued). Channels that cannot be woken return at their next turn instead.</summary>
    void Wake()
    {
    }

    /// <summary>The shared-memory transport's counters (ring resets); null for other transports.</summary>
    LinkCounters? TransportCounters => null;

    /// <summary>What the line carried, for the no-session warning (serial: frames and framing errors); null when the channel has nothing to say.</summary>
    string? LineStatus => null;
}

/// <summary>Opens a channel; throws (with a message naming the device/file) while the island is not there yet.</summary>
public delegate ILinkChannel LinkChannelFactory(ILinkChannelSink sink);
