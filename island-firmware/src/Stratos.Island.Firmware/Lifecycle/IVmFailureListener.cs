namespace Stratos.Island.Firmware.Lifecycle
{
    // Told by the lifecycle manager when a VM failed on its own (crash, timeout, a hung guest) and its
    // safe action goes beyond the VM (RESET_A_CLUSTER, SAFE_STATE; for a hung guest every action):
    // the escalation manager, which IslandCore subscribes when it builds the core.
    public interface IVmFailureListener
    {
        void OnVmFailure(VmRuntime vm, string reason);
    }
}
