using System.Diagnostics;

namespace Stratos.Island.Hil.Measurement;

/// <summary>The run's host time axis: monotonic milliseconds since the run started.</summary>
public sealed class RunClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public double NowMs => Stopwatch.GetElapsedTime(_origin).TotalMilliseconds;
}
