namespace Stratos.Island.Firmware.Hal
{
    // Reset line of the Cortex-A cluster (the host agent and every VM run there).
    public interface IResetControl
    {
        // Pulses the A-cluster reset; the agent reboots and reconnects with a new boot id.
        void ResetACluster();
    }
}
