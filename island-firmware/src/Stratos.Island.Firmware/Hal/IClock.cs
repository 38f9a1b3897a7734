namespace Stratos.Island.Firmware.Hal
{
    // Monotonic time source of the island. Never goes backwards; starts near 0 at island boot.
    // The nanoFramework app backs it with the hardware tick counter, island-sim with Stopwatch, and
    // the tests with a simulated clock, so every behaviour of the core is reproducible.
    public interface IClock
    {
        // Milliseconds since island boot.
        long MonotonicMs { get; }

        // Microseconds since island boot (same time base as MonotonicMs).
        long MonotonicUs { get; }
    }
}
