// The island's end of the link as the main loop of IslandHost drives it: shared memory (the board's
// OpenAMP layout, SharedMemorySessionLink) or a serial line (SerialSessionLink). Both feed one
// LinkSession; the session semantics (Hello, boot ids, resync, keepalives) are the same on both.
using System;
using System.Text.Json;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Sim;

public interface ISimLink : IDisposable
{
    /// <summary>"shm PATH, kick PATH" or "serial DEVICE at BAUD baud": for the ready line and the log.</summary>
    string Description { get; }

    /// <summary>Why the link last went down.</summary>
    string LastDownReason { get; }

    /// <summary>Opens the link (the session hears TransportUp when it is up).</summary>
    void Start();

    /// <summary>Waits up to timeoutMs for input and hands every message to the session.</summary>
    void WaitAndPoll(int timeoutMs);

    /// <summary>True once per ring reset the link requested since the last call (shared memory only).</summary>
    bool TakeRingReset();

    /// <summary>The "link" object of the control socket's status (called on the control thread).</summary>
    void WriteStatus(Utf8JsonWriter json);
}
