using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Supervision
{
    // Receives status changes from SupervisionManager.RunCycle (always on the main loop).
    public interface ISupervisionListener
    {
        // An entity's local status changed during a cycle (e.g. OK -> EXPIRED).
        void OnLocalStatusChanged(SupervisedEntity entity, LocalStatus previous);

        // The global status changed at the end of a cycle.
        void OnGlobalStatusChanged(GlobalStatus previous, GlobalStatus current);
    }
}
