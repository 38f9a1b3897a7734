using Stratos.Island.Codec;

namespace Stratos.Island.Firmware
{
    // The island's mode: what the island as a whole is doing, as opposed to one VM, one supervised
    // entity or one power domain. It has one owner (IslandCore builds it, every manager receives it)
    // and changes only through the methods below, on the main loop (docs/firmware.md "Island mode").
    //
    //   part                | set by                                      | cleared by                 | consulted by
    //   --------------------+---------------------------------------------+----------------------------+------------------------------
    //   safe state          | EscalationManager.EnterSafeState            | never (latched until the   | LifecycleManager (no start),
    //                       |                                             | island resets)             | PowerManager (no QM domain ON),
    //                       |                                             |                            | IslandCore (agent connection)
    //   system power        | SystemPowerSequencer, accepted request      | SystemPowerSequencer, Done | LifecycleManager (no start),
    //   (the action running)|                                             |                            | PowerManager (no request),
    //                       |                                             |                            | SystemPowerSequencer
    //   boot on agent       | island boot; EscalationManager.ResetACluster| the agent connection that  | IslandCore.HandleAgentConnected
    //   connect             | ; SystemPowerSequencer, REBOOT domains up   | begins boot orchestration  |
    public sealed class IslandMode
    {
        private bool _safeStateActive;
        private SystemPowerAction _systemPower;
        private bool _bootOnAgentConnect;

        // At island boot: no safe state, no system power sequence, boot orchestration due at the
        // first agent connection.
        public IslandMode()
        {
            _systemPower = SystemPowerAction.Unspecified;
            _bootOnAgentConnect = true;
        }

        // Latched: no VM may start and QM power domains may not be switched on again.
        public bool SafeStateActive
        {
            get { return _safeStateActive; }
        }

        // The system power action in progress; Unspecified when none runs.
        public SystemPowerAction SystemPower
        {
            get { return _systemPower; }
        }

        public bool SystemPowerInProgress
        {
            get { return _systemPower != SystemPowerAction.Unspecified; }
        }

        // Boot orchestration runs at the next agent connection.
        public bool BootOnAgentConnect
        {
            get { return _bootOnAgentConnect; }
        }

        // Latches the safe state. False when the island was already in it (the caller then does
        // nothing more: entering is done once).
        public bool EnterSafeState()
        {
            if (_safeStateActive)
            {
                return false;
            }

            _safeStateActive = true;
            return true;
        }

        public void BeginSystemPower(SystemPowerAction action)
        {
            _systemPower = action;
        }

        public void EndSystemPower()
        {
            _systemPower = SystemPowerAction.Unspecified;
        }

        // The A-cluster was reset or rebooted: its agent starts from scratch, so the VMs are booted
        // again when it connects.
        public void BootAtNextAgentConnect()
        {
            _bootOnAgentConnect = true;
        }

        // The agent connected: true when boot orchestration is due now; it is then no longer due.
        public bool TakeBootOnAgentConnect()
        {
            if (!_bootOnAgentConnect)
            {
                return false;
            }

            _bootOnAgentConnect = false;
            return true;
        }
    }
}
