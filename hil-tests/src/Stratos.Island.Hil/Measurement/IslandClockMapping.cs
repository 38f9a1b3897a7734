using System;

namespace Stratos.Island.Hil.Measurement;

/// <summary>
/// Maps island timestamps (event timestamp_us, microseconds since the island's boot) onto the run's
/// host time axis (ms since the run's origin). Every event gives one sample
/// <c>host_received_ms - island_ms</c>; an event is never received before it was stamped, so each
/// sample is the true offset plus a non-negative delivery delay, and the smallest sample is the best
/// estimate (error = the fastest delivery seen). A new island boot (boot count changes) restarts the
/// island clock, so the estimate starts over.
/// </summary>
public sealed class IslandClockMapping
{
    private double _offsetMs = double.PositiveInfinity;

    public uint BootCount { get; private set; }
    public bool HasSample => !double.IsPositiveInfinity(_offsetMs);

    /// <summary>Feeds one event's island timestamp and the host time it was received.</summary>
    public void Observe(uint bootCount, ulong islandTimestampUs, double hostReceivedMs)
    {
        if (bootCount != BootCount)
        {
            BootCount = bootCount;
            _offsetMs = double.PositiveInfinity;
        }
        double sample = hostReceivedMs - islandTimestampUs / 1000.0;
        if (sample < _offsetMs)
            _offsetMs = sample;
    }

    /// <summary>Island time of the current boot -> host ms.</summary>
    public double ToHostMs(ulong islandTimestampUs)
    {
        if (!HasSample)
            throw new InvalidOperationException("island clock mapping has no sample yet: observe an event first");
        return _offsetMs + islandTimestampUs / 1000.0;
    }
}
