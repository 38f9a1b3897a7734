// One side of the virtual board's link: the mapped file, the kick socket and the RpmsgLink, plus
// the wait policy both the island simulator and the agent use.
//
// Wait policy (what dominates a round trip is the kick: a syscall on the sender and a thread wake-up
// on the receiver): WaitAndPoll first polls; then, for SpinMicroseconds, it keeps polling with the
// RX "I am polling" flag set, so the peer skips its kick; only then it clears the flag, polls once
// more (closing the lost-wakeup window, see RpmsgLink's primer) and blocks on the kick socket.
// Every SpinYieldMicroseconds of spinning it yields the core: when both processes end up on one core
// (the other one busy), a pure spin would make every round trip cost two whole spin windows.
//
// Restarts seen here: the kick connection closing or being replaced (PeerReset) -> the agent checks
// whether the island recreated the shared-memory file and remaps it -> RpmsgLink.NotifyPeerReset.
using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace Stratos.Island.Link.Linux;

public sealed class SharedMemoryLinkPort : IDisposable
{
    private long _spinTicks;

    /// <summary>While spinning, the core is offered to other threads this often (µs).</summary>
    public const int SpinYieldMicroseconds = 5;

    private static readonly long YieldTicks = SpinYieldMicroseconds * Stopwatch.Frequency / 1_000_000;

    private SharedMemoryLinkPort(MappedFileSharedMemory memory, UnixKickChannel kicks, RpmsgLink link, int spinMicroseconds)
    {
        Memory = memory;
        Kicks = kicks;
        Link = link;
        _spinTicks = spinMicroseconds * Stopwatch.Frequency / 1_000_000;
    }

    public MappedFileSharedMemory Memory { get; }

    /// <summary>How long WaitAndPoll polls before blocking on the kick socket (0 = kicks only).</summary>
    public int SpinMicroseconds
    {
        get => (int)(_spinTicks * 1_000_000 / Stopwatch.Frequency);
        set => _spinTicks = value * Stopwatch.Frequency / 1_000_000;
    }

    public UnixKickChannel Kicks { get; }

    public RpmsgLink Link { get; }

    /// <summary>Island side: creates the shared-memory file, listens for kicks, writes the resource table.</summary>
    public static SharedMemoryLinkPort OpenDevice(string shmPath, string socketPath, LinkLayout layout, int spinMicroseconds,
        ILinkErrorSink? errors = null, ILinkEventSink? events = null, int maxEndpoints = 8, int? groupId = null)
    {
        MappedFileSharedMemory memory = MappedFileSharedMemory.Create(shmPath, layout.SharedMemorySize, groupId);
        UnixKickChannel kicks = UnixKickChannel.Listen(socketPath, groupId);
        RpmsgLink link = new(layout, memory, kicks, LinkRole.Device, maxEndpoints, new LinkCounters(), errors, events);
        return new SharedMemoryLinkPort(memory, kicks, link, spinMicroseconds);
    }

    /// <summary>Agent side: waits (up to timeoutMs) for the island's file and socket, maps and connects.</summary>
    public static SharedMemoryLinkPort OpenDriver(string shmPath, string socketPath, LinkLayout layout, int spinMicroseconds, int timeoutMs,
        ILinkErrorSink? errors = null, ILinkEventSink? events = null, int maxEndpoints = 8)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!File.Exists(shmPath))
        {
            if (Environment.TickCount64 >= deadline)
            {
                throw new TimeoutException("shared-memory file '" + shmPath + "' did not appear within " + timeoutMs + " ms");
            }

            Thread.Sleep(5);
        }

        UnixKickChannel kicks = UnixKickChannel.Connect(socketPath, (int)Math.Max(1, deadline - Environment.TickCount64));
        MappedFileSharedMemory memory = MappedFileSharedMemory.Open(shmPath, layout.SharedMemorySize);
        RpmsgLink link = new(layout, memory, kicks, LinkRole.Driver, maxEndpoints, new LinkCounters(), errors, events);
        return new SharedMemoryLinkPort(memory, kicks, link, spinMicroseconds);
    }

    /// <summary>Polls, spins, then blocks on the kick socket up to timeoutMs. Returns the number of
    /// messages delivered to endpoint sinks.</summary>
    public int WaitAndPoll(int timeoutMs)
    {
        int delivered = Link.Poll();
        if (delivered > 0)
        {
            return delivered;
        }

        if (_spinTicks > 0)
        {
            Link.SetRxPolling(true);
            long now = Stopwatch.GetTimestamp();
            long until = now + _spinTicks;
            long yieldAt = now + YieldTicks;
            do
            {
                delivered = Link.Poll();
                if (delivered > 0)
                {
                    return delivered; // stay in polling mode: the caller is back here right away
                }

                Thread.SpinWait(8);
                now = Stopwatch.GetTimestamp();
                if (now >= yieldAt)
                {
                    // If the peer shares this core it cannot answer while we spin: let it run.
                    Thread.Yield();
                    yieldAt = now + YieldTicks;
                }
            }
            while (now < until);
        }

        Link.SetRxPolling(false);
        delivered = Link.Poll();
        if (delivered > 0)
        {
            return delivered;
        }

        KickWaitResult result = Kicks.Wait(timeoutMs);
        if (result == KickWaitResult.PeerReset)
        {
            HandlePeerReset();
        }

        return Link.Poll();
    }

    /// <summary>Called when the kick connection closed or was replaced.
    /// Island: the link clears DRIVER_OK unless a new agent already re-initialised the rings.
    /// Agent: only a recreated shared-memory file needs action here (remap, then re-initialise); an
    /// island that rebooted over the same file rewrites its table, which the link sees in-band.</summary>
    public void HandlePeerReset()
    {
        if (Link.Role == LinkRole.Device)
        {
            Link.NotifyPeerReset("kick connection closed or replaced");
            return;
        }

        if (Memory.FileWasReplaced() && File.Exists(Memory.Path))
        {
            Memory.Remap();
            Link.NotifyPeerReset("island recreated the shared-memory file");
        }
    }

    public void Dispose()
    {
        Kicks.Dispose();
        Memory.Dispose();
    }
}
