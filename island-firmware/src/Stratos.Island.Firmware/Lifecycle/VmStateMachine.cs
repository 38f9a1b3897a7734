using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Lifecycle
{
    // The VM lifecycle state machine: the one table of allowed transitions. LifecycleManager
    // changes a VM's state only through IsAllowed, so a transition missing here cannot happen.
    //
    //   from        | to          | trigger
    //   ------------+-------------+-----------------------------------------------------------------
    //   Defined     | Starting    | Start request, boot orchestration (autostart)
    //   Stopped     | Starting    | Start request, Restart request completing, boot orchestration
    //   Failed      | Starting    | Start / Restart request, restart policy (after backoff)
    //   Starting    | Running     | agent reports RUNNING for the start directive (arms supervision)
    //   Starting    | Failed      | START_FAILED / EXITED / CRASHED / NOT_RUNNING, start timeout
    //   Starting    | Stopping    | Stop / Kill request, system power sequence
    //   Running     | Pausing     | Pause request, system suspend
    //   Running     | Stopping    | Stop / Kill / Restart request, escalation (RESTART_VM, STOP_VM),
    //               |             | system power sequence
    //   Running     | Failed      | agent reports EXITED / CRASHED / NOT_RUNNING
    //   Pausing     | Paused      | agent reports PAUSED for the pause directive
    //   Pausing     | Stopping    | Stop / Kill request
    //   Pausing     | Failed      | pause timeout, EXITED / CRASHED / NOT_RUNNING
    //   Paused      | Running     | agent reports RUNNING for the resume directive (re-arms supervision)
    //   Paused      | Stopping    | Stop / Kill / Restart request, system power sequence
    //   Paused      | Failed      | resume timeout, EXITED / CRASHED / NOT_RUNNING
    //   Stopping    | Stopped     | agent reports NOT_RUNNING / EXITED / CRASHED for a planned stop
    //   Stopping    | Failed      | the same for an escalation stop (failure), or stop timeout
    //   Failed      | Quarantined | restart budget exhausted
    //   Failed      | Stopped     | Stop request (cancels a pending restart)
    //   Quarantined | Stopped     | Clear request (operator)
    //   Starting, Running, Pausing, Paused, Failed -> Stopped:
    //               |             | forced by the island: A-cluster reset or safe state power-off
    //               |             | (the VM is gone with its power)
    // Everything else is refused. Supervision is armed on entering Running and deactivated when
    // the VM leaves Running for a planned reason, or (if EXPIRED) once it is down.
    public static class VmStateMachine
    {
        private static readonly int[] AllowedTargets = BuildTable();

        public static bool IsAllowed(VmState from, VmState to)
        {
            int f = (int)from;
            if (f < 0 || f >= AllowedTargets.Length)
            {
                return false;
            }

            return (AllowedTargets[f] & (1 << (int)to)) != 0;
        }

        // VM states in which the VM may consume resources on the A side.
        public static bool IsActive(VmState state)
        {
            return state == VmState.Starting || state == VmState.Running || state == VmState.Pausing
                || state == VmState.Paused || state == VmState.Stopping;
        }

        // Name used in messages ("VM 'web': cannot start while Stopping") and in the scenario's trace;
        // a value the enum does not declare is its number.
        public static string Name(VmState state)
        {
            switch (state)
            {
                case VmState.Unspecified: return "Unspecified";
                case VmState.Defined: return "Defined";
                case VmState.Starting: return "Starting";
                case VmState.Running: return "Running";
                case VmState.Pausing: return "Pausing";
                case VmState.Paused: return "Paused";
                case VmState.Stopping: return "Stopping";
                case VmState.Stopped: return "Stopped";
                case VmState.Failed: return "Failed";
                case VmState.Quarantined: return "Quarantined";
                default: return ((int)state).ToString();
            }
        }

        private static int[] BuildTable()
        {
            int[] t = new int[10];
            Allow(t, VmState.Defined, VmState.Starting);
            Allow(t, VmState.Stopped, VmState.Starting);
            Allow(t, VmState.Failed, VmState.Starting);
            Allow(t, VmState.Starting, VmState.Running);
            Allow(t, VmState.Starting, VmState.Failed);
            Allow(t, VmState.Starting, VmState.Stopping);
            Allow(t, VmState.Running, VmState.Pausing);
            Allow(t, VmState.Running, VmState.Stopping);
            Allow(t, VmState.Running, VmState.Failed);
            Allow(t, VmState.Pausing, VmState.Paused);
            Allow(t, VmState.Pausing, VmState.Stopping);
            Allow(t, VmState.Pausing, VmState.Failed);
            Allow(t, VmState.Paused, VmState.Running);
            Allow(t, VmState.Paused, VmState.Stopping);
            Allow(t, VmState.Paused, VmState.Failed);
            Allow(t, VmState.Stopping, VmState.Stopped);
            Allow(t, VmState.Stopping, VmState.Failed);
            Allow(t, VmState.Failed, VmState.Quarantined);
            Allow(t, VmState.Failed, VmState.Stopped);
            Allow(t, VmState.Quarantined, VmState.Stopped);
            Allow(t, VmState.Starting, VmState.Stopped);
            Allow(t, VmState.Running, VmState.Stopped);
            Allow(t, VmState.Pausing, VmState.Stopped);
            Allow(t, VmState.Paused, VmState.Stopped);
            return t;
        }

        private static void Allow(int[] table, VmState from, VmState to)
        {
            table[(int)from] |= 1 << (int)to;
        }
    }
}
