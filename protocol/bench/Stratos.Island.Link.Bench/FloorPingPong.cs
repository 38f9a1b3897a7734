// The floor: the cheapest possible round trip over the same shared-memory file and the same kick
// socket, with the same spin-then-block policy and the same "I am polling, skip the kick" flag as
// the link, but no vrings, no descriptors and no rpmsg header. The link's round trip is judged
// against it (goal: link p50 <= 1.3 x floor p50).
//
// Words (u32) in a page the link layout leaves unused: phase, ping, pong, island polling, agent polling.
using System.Diagnostics;
using System.Threading;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Bench;

internal sealed class FloorPingPong
{
    public const int PhaseOffset = 0;
    public const int PingOffset = 4;
    public const int PongOffset = 8;
    public const int DevicePollingOffset = 12;
    public const int DriverPollingOffset = 16;
    public const int PeerSpinOffset = 20;

    public const uint PhaseLink = 0;
    public const uint PhaseFloor = 1;

    private readonly ISharedMemory _shm;
    private readonly UnixKickChannel _kicks;
    private readonly int _base;
    private long _spinTicks;
    private readonly int _myPolling;
    private readonly int _peerPolling;

    public FloorPingPong(ISharedMemory shm, UnixKickChannel kicks, int baseOffset, int spinMicroseconds, bool device)
    {
        _shm = shm;
        _kicks = kicks;
        _base = baseOffset;
        _spinTicks = spinMicroseconds * Stopwatch.Frequency / 1_000_000;
        _myPolling = baseOffset + (device ? DevicePollingOffset : DriverPollingOffset);
        _peerPolling = baseOffset + (device ? DriverPollingOffset : DevicePollingOffset);
    }

    public int SpinMicroseconds
    {
        set => _spinTicks = value * Stopwatch.Frequency / 1_000_000;
    }

    /// <summary>The spin the agent asks the island to use (the island reads it on every wake-up).</summary>
    public uint RequestedPeerSpin
    {
        get => _shm.ReadUInt32(_base + PeerSpinOffset);
        set { _shm.WriteUInt32(_base + PeerSpinOffset, value); _shm.FullBarrier(); _kicks.Kick(); }
    }

    public uint Phase
    {
        get { _shm.AcquireBarrier(); return _shm.ReadUInt32(_base + PhaseOffset); }
        set { _shm.WriteUInt32(_base + PhaseOffset, value); _shm.FullBarrier(); _kicks.Kick(); }
    }

    /// <summary>Publishes a word and kicks unless the peer said it is polling.</summary>
    public void Publish(int wordOffset, uint value)
    {
        _shm.WriteUInt32(_base + wordOffset, value);
        _shm.FullBarrier();
        if (_shm.ReadUInt32(_peerPolling) == 0)
        {
            _kicks.Kick();
        }
    }

    /// <summary>Waits until the word differs from notValue (spin, then block on the kick socket);
    /// gives up after timeoutMs or when the phase leaves PhaseFloor. Returns the word.</summary>
    public uint WaitChange(int wordOffset, uint notValue, int timeoutMs, bool watchPhase)
    {
        int at = _base + wordOffset;
        uint value = Read(at);
        if (value != notValue)
        {
            return value;
        }

        _shm.WriteUInt32(_myPolling, 1);
        _shm.FullBarrier();
        long now = Stopwatch.GetTimestamp();
        long until = now + _spinTicks;
        long yieldTicks = SharedMemoryLinkPort.SpinYieldMicroseconds * Stopwatch.Frequency / 1_000_000;
        long yieldAt = now + yieldTicks;
        while (now < until)
        {
            value = Read(at);
            if (value != notValue)
            {
                return value;
            }

            Thread.SpinWait(8);
            now = Stopwatch.GetTimestamp();
            if (now >= yieldAt)
            {
                Thread.Yield(); // same policy as SharedMemoryLinkPort.WaitAndPoll
                yieldAt = now + yieldTicks;
            }
        }

        long deadline = System.Environment.TickCount64 + timeoutMs;
        while (true)
        {
            _shm.WriteUInt32(_myPolling, 0);
            _shm.FullBarrier();
            value = Read(at);
            if (value != notValue || (watchPhase && Phase != PhaseFloor) || System.Environment.TickCount64 >= deadline)
            {
                return value;
            }

            _kicks.Wait(timeoutMs);
        }
    }

    private uint Read(int at)
    {
        _shm.AcquireBarrier();
        return _shm.ReadUInt32(at);
    }
}
