namespace Stratos.Island.Firmware.Hal
{
    // The safe-state signal to the external safety manager (Arm reference design: SAFE / ERRN lines).
    public interface ISafeStateOutput
    {
        // Signals the safe state.
        void Assert();

        // Withdraws the safe-state signal.
        void Deassert();
    }
}
