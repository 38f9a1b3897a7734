namespace Stratos.Island.Firmware.Hal
{
    // The island's own hardware watchdog. The main loop kicks it only when it ran on time
    // (see IslandCore.Step); a stalled loop therefore resets the island.
    public interface IHardwareWatchdog
    {
        // Restarts the watchdog countdown.
        void Kick();
    }
}
