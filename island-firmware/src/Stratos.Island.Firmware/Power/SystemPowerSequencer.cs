using Stratos.Island.Codec;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Lifecycle;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Power
{
    // System OFF / REBOOT / SUSPEND, one step per main loop Tick, each step an EventType.SystemPower
    // event (value = the SystemPowerAction, subject = VM or domain id, detail = the step).
    //
    //   phase        | what happens                                                     | next
    //   -------------+------------------------------------------------------------------+-------------
    //   Idle         | accepted request: starts blocked, boot orchestration cancelled   | VmsDown
    //   VmsDown      | OFF/REBOOT: the active VM latest in boot order gets a stop        |
    //                | directive; wait until it is down (Stopped, or Failed after its   |
    //                | stop timeout), then the next one. SUSPEND: pause instead.         |
    //                | No active VM left: event "vms down"                               | DomainsDown
    //   DomainsDown  | every domain, last first: OFF (SUSPEND: RETENTION); the agent     |
    //                | entity is deactivated; event "domains down"                      | DomainsUp (REBOOT)
    //                |                                                                   | or Done
    //   DomainsUp    | REBOOT only: every domain back to its initial state; boot         |
    //                | orchestration runs again when the agent reconnects                | Done
    //   Done         | event "complete", starts allowed again                            | Idle
    // A second request while one runs is refused (FailedPrecondition). Per-VM waits are bounded by
    // each VM's stop timeout (LifecycleManager turns an overdue stop into Failed).
    public sealed class SystemPowerSequencer
    {
        private const int PhaseIdle = 0;
        private const int PhaseVmsDown = 1;
        private const int PhaseDomainsDown = 2;
        private const int PhaseDomainsUp = 3;
        private const int PhaseDone = 4;

        private readonly IslandMode _mode;
        private readonly LifecycleManager _lifecycle;
        private readonly PowerManager _power;
        private readonly SupervisionManager _supervision;
        private readonly EventRecorder _events;
        private int _phase;
        private int _waitingForVmId;
        private string _refusal;

        // The action running is the island mode's (IslandMode.SystemPower), not a copy of it.
        public SystemPowerSequencer(IslandMode mode, LifecycleManager lifecycle, PowerManager power, SupervisionManager supervision, EventRecorder events)
        {
            _mode = mode;
            _lifecycle = lifecycle;
            _power = power;
            _supervision = supervision;
            _events = events;
            _refusal = string.Empty;
        }

        public bool IsActive
        {
            get { return _phase != PhaseIdle; }
        }

        public string RefusalMessage
        {
            get { return _refusal; }
        }

        public ErrorCode HandleRequest(SystemPowerAction action)
        {
            if (action != SystemPowerAction.Off && action != SystemPowerAction.Reboot && action != SystemPowerAction.Suspend)
            {
                _refusal = string.Concat("system power: action ", ((int)action).ToString(), " is not a system power action");
                return ErrorCode.InvalidArgument;
            }

            if (_phase != PhaseIdle)
            {
                _refusal = string.Concat("system power: ", ActionName(_mode.SystemPower), " already in progress");
                return ErrorCode.FailedPrecondition;
            }

            _mode.BeginSystemPower(action);
            _phase = PhaseVmsDown;
            _waitingForVmId = 0;
            _lifecycle.CancelBootOrchestration();
            _events.Record(EventType.SystemPower, 0, (int)action, "begin");
            return ErrorCode.Unspecified;
        }

        public void Tick(long nowMs)
        {
            SystemPowerAction action = _mode.SystemPower;
            switch (_phase)
            {
                case PhaseVmsDown:
                    TickVmsDown(action, nowMs);
                    break;
                case PhaseDomainsDown:
                    PowerState target = action == SystemPowerAction.Suspend ? PowerState.Retention : PowerState.Off;
                    for (int i = _power.Count - 1; i >= 0; i--)
                    {
                        _power.SetState(i, target, "system power");
                    }

                    if (!_power.IsAClusterOn())
                    {
                        _supervision.Deactivate(0);
                    }

                    _events.Record(EventType.SystemPower, 0, (int)action, "domains down");
                    _phase = action == SystemPowerAction.Reboot ? PhaseDomainsUp : PhaseDone;
                    break;
                case PhaseDomainsUp:
                    for (int i = 0; i < _power.Count; i++)
                    {
                        _power.SetState(i, _power.DomainAt(i).InitialState, "system power");
                    }

                    _mode.BootAtNextAgentConnect();
                    _events.Record(EventType.SystemPower, 0, (int)action, "domains up");
                    _phase = PhaseDone;
                    break;
                case PhaseDone:
                    _events.Record(EventType.SystemPower, 0, (int)action, "complete");
                    _mode.EndSystemPower();
                    _phase = PhaseIdle;
                    break;
            }
        }

        private void TickVmsDown(SystemPowerAction action, long nowMs)
        {
            VmRuntime[] order = _lifecycle.BootOrder;
            for (int i = order.Length - 1; i >= 0; i--)
            {
                VmRuntime vm = order[i];
                bool suspend = action == SystemPowerAction.Suspend;
                bool busy = suspend ? _lifecycle.SystemPause(vm, nowMs) : _lifecycle.SystemStop(vm, nowMs);
                if (busy)
                {
                    if (_waitingForVmId != vm.Id)
                    {
                        _waitingForVmId = vm.Id;
                        _events.Record(EventType.SystemPower, vm.Id, (int)action, suspend ? "pausing vm" : "stopping vm");
                    }

                    return;
                }
            }

            _waitingForVmId = 0;
            _events.Record(EventType.SystemPower, 0, (int)action, "vms down");
            _phase = PhaseDomainsDown;
        }

        public static string ActionName(SystemPowerAction action)
        {
            switch (action)
            {
                case SystemPowerAction.Off: return "OFF";
                case SystemPowerAction.Reboot: return "REBOOT";
                case SystemPowerAction.Suspend: return "SUSPEND";
                default: return "UNSPECIFIED";
            }
        }
    }
}
