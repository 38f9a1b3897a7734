using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.Tests.Fakes;

// Deterministic clock: time moves only when a test advances it.
public sealed class SimulatedClock : IClock
{
    public long NowUs { get; private set; }

    public long MonotonicMs => NowUs / 1000;

    public long MonotonicUs => NowUs;

    public void AdvanceMs(long ms) => NowUs += ms * 1000;

    public void AdvanceUs(long us) => NowUs += us;
}
