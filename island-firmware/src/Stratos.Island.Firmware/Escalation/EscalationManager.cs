using Stratos.Island.Codec;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Firmware.Lifecycle;
using Stratos.Island.Firmware.Power;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Escalation
{
    // Turns supervision results and VM failures into actions (docs/firmware.md "Escalation").
    //
    //   trigger                              | action
    //   -------------------------------------+------------------------------------------------------
    //   VM entity EXPIRED, action REPORT     | event only; the entity stays EXPIRED and does not
    //                                        | count for the global status
    //   VM entity EXPIRED, RESTART_VM        | kill directive; once down: Failed, restart policy
    //   VM entity EXPIRED, STOP_VM           | kill directive; once down: Failed, no restart
    //   VM entity EXPIRED, RESET_A_CLUSTER   | IResetControl.ResetACluster; every VM forced to
    //                                        | Stopped; agent entity deactivated until it reconnects;
    //                                        | boot orchestration again at reconnection
    //   VM entity EXPIRED, SAFE_STATE        | enter the safe state
    //   agent entity (0) EXPIRED             | RESET_A_CLUSTER
    //   VM failed (crash, timeout) with      | the same RESET_A_CLUSTER / SAFE_STATE; RESTART_VM
    //   its safe action                      | is the restart policy (LifecycleManager)
    //   global status STOPPED                | enter the safe state
    //
    // Safe state (latched until the island resets): safe-state output asserted, every power domain
    // of criticality QM switched OFF (ASIL domains stay as they are), VMs left without power forced
    // to Stopped, no VM may start, QM domains may not be switched on again.
    //
    // The escalation reacts to what supervision and the lifecycle report (ISupervisionListener,
    // IVmFailureListener: interfaces of the managers it listens to, so no type depends back on it);
    // IslandCore subscribes it to both where it builds the managers.
    public sealed class EscalationManager : ISupervisionListener, IVmFailureListener
    {
        private readonly IslandMode _mode;
        private readonly LifecycleManager _lifecycle;
        private readonly PowerManager _power;
        private readonly SupervisionManager _supervision;
        private readonly IResetControl _reset;
        private readonly ISafeStateOutput _safeState;
        private readonly EventRecorder _events;
        private readonly IIslandOutput _output;
        private readonly IClock _clock;
        private int _aClusterResets;

        public EscalationManager(IslandMode mode, LifecycleManager lifecycle, PowerManager power, SupervisionManager supervision,
            IResetControl reset, ISafeStateOutput safeState, EventRecorder events, IIslandOutput output, IClock clock)
        {
            _mode = mode;
            _lifecycle = lifecycle;
            _power = power;
            _supervision = supervision;
            _reset = reset;
            _safeState = safeState;
            _events = events;
            _output = output;
            _clock = clock;
        }

        public int AClusterResets
        {
            get { return _aClusterResets; }
        }

        public void OnLocalStatusChanged(SupervisedEntity entity, LocalStatus previous)
        {
            LocalStatus status = entity.Status;
            VmRuntime vm = _lifecycle.Find(entity.EntityId);
            _events.Record(EventType.SupervisionStatus, entity.EntityId, (int)status, vm == null ? "agent" : vm.Name);
            _output.EntityStatus((uint)entity.EntityId, status, (uint)entity.FailedRefCycles, (uint)entity.AliveCount,
                (uint)entity.DeadlineViolations, (uint)entity.LogicalViolations);
            if (vm != null)
            {
                // VmStatus carries the supervision status too.
                _lifecycle.EmitStatus(vm, _clock.MonotonicMs);
            }

            if (status != LocalStatus.Expired)
            {
                return;
            }

            if (vm == null)
            {
                Apply(entity.EntityId, null, SafeAction.ResetACluster, "agent supervision expired");
            }
            else
            {
                Apply(vm.Id, vm, vm.EffectiveSafeAction, "supervision expired");
            }
        }

        public void OnGlobalStatusChanged(GlobalStatus previous, GlobalStatus current)
        {
            _events.Record(EventType.GlobalStatus, 0, (int)current, null);
            _output.SupervisionStatus(current, _supervision.Cycles, (uint)_supervision.ExpiredCycles);
            if (current == GlobalStatus.Stopped)
            {
                EnterSafeState("global supervision STOPPED");
            }
        }

        // A VM failed on its own and its safe action goes beyond the VM (called by LifecycleManager).
        public void OnVmFailure(VmRuntime vm, string reason)
        {
            Apply(vm.Id, vm, vm.EffectiveSafeAction, reason);
        }

        public void ResetACluster(string reason)
        {
            long nowMs = _clock.MonotonicMs;
            _aClusterResets++;
            _reset.ResetACluster();
            _supervision.Deactivate(0);
            VmRuntime[] vms = _lifecycle.BootOrder;
            for (int i = 0; i < vms.Length; i++)
            {
                _lifecycle.ForceDown(vms[i], reason, nowMs);
            }

            _lifecycle.CancelBootOrchestration();
            _mode.BootAtNextAgentConnect();
        }

        public void EnterSafeState(string reason)
        {
            if (!_mode.EnterSafeState())
            {
                return;
            }

            long nowMs = _clock.MonotonicMs;
            _safeState.Assert();
            _events.Record(EventType.SafeState, 0, 0, reason);
            _power.PowerOffNonCritical();
            _lifecycle.CancelBootOrchestration();

            // VMs that lost a power domain are gone.
            VmRuntime[] vms = _lifecycle.BootOrder;
            for (int i = 0; i < vms.Length; i++)
            {
                int[] domains = vms[i].Config.PowerDomains;
                for (int k = 0; k < domains.Length; k++)
                {
                    if (!_power.IsOn(domains[k]))
                    {
                        _lifecycle.ForceDown(vms[i], "safe state: power off", nowMs);
                        break;
                    }
                }
            }

            if (!_power.IsAClusterOn())
            {
                _supervision.Deactivate(0);
            }
        }

        private void Apply(int subjectId, VmRuntime vm, SafeAction action, string reason)
        {
            _events.Record(EventType.Escalation, subjectId, (int)action, reason);
            long nowMs = _clock.MonotonicMs;
            switch (action)
            {
                case SafeAction.RestartVm:
                    _lifecycle.StopForFailure(vm, true, reason, nowMs);
                    break;
                case SafeAction.StopVm:
                    _lifecycle.StopForFailure(vm, false, reason, nowMs);
                    break;
                case SafeAction.ResetACluster:
                    ResetACluster(reason);
                    break;
                case SafeAction.SafeState:
                    EnterSafeState(reason);
                    break;
            }
        }
    }
}
