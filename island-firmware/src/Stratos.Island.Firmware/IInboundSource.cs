namespace Stratos.Island.Firmware
{
    // Where inbound link traffic comes from. IslandCore.Step calls Poll once per step, on the main
    // loop; the link adapter decodes the frames queued since the last step and calls the
    // IslandCore.Handle* methods for each. This is the only way the A side reaches island state.
    public interface IInboundSource
    {
        void Poll(IslandCore core);
    }
}
