using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Escalation;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware.Power
{
    // Power domains (states ON / OFF / RESET / RETENTION, SCMI-style, FACTS.md "Power") and the
    // arbitration of requests from the agent.
    //
    // Arbitration rule for a PowerDomainRequest (the requester is the agent, criticality QM):
    //   1. unknown domain -> NotFound; a state that is not ON/OFF/RESET/RETENTION -> InvalidArgument;
    //      a system power sequence is running -> FailedPrecondition.
    //   2. ON is granted, except for a QM domain while the island is in the safe state
    //      (FailedPrecondition).
    //   3. OFF, RESET and RETENTION cut power. They are refused (PermissionDenied)
    //      a. for the A-cluster domain: it hosts the agent; use a SystemPowerRequest;
    //      b. when a VM using the domain is active (Starting/Running/Pausing/Paused/Stopping) and
    //         its criticality is equal to or higher than the requester's. The agent is QM and
    //         every VM is at least QM, so from the agent this means: never under an active VM;
    //         stop the VM first ("power domain 'gpu': used by VM 'web' (ASIL-B), which is Running").
    // The island itself (safe state, system power sequence) bypasses arbitration.
    public sealed class PowerManager
    {
        private readonly PowerDomainConfig[] _domains;
        private readonly PowerState[] _states;
        private readonly IPowerRails _rails;
        private readonly EventRecorder _events;
        private readonly IIslandOutput _output;
        private readonly VmRoster _vms;
        private readonly IslandMode _mode;
        private string _refusal;

        public PowerManager(PowerDomainConfig[] domains, IPowerRails rails, VmRoster vms, IslandMode mode, EventRecorder events, IIslandOutput output)
        {
            _domains = domains;
            _states = new PowerState[domains.Length];
            _rails = rails;
            _vms = vms;
            _mode = mode;
            _events = events;
            _output = output;
            _refusal = string.Empty;
        }

        public string RefusalMessage
        {
            get { return _refusal; }
        }

        public int Count
        {
            get { return _domains.Length; }
        }

        public PowerDomainConfig DomainAt(int index)
        {
            return _domains[index];
        }

        // Drives every domain to its initial state (island boot).
        public void ApplyInitialStates()
        {
            for (int i = 0; i < _domains.Length; i++)
            {
                _rails.SetState(_domains[i].Id, _domains[i].InitialState);
                _states[i] = _domains[i].InitialState;
            }
        }

        public int IndexOf(int domainId)
        {
            for (int i = 0; i < _domains.Length; i++)
            {
                if (_domains[i].Id == domainId)
                {
                    return i;
                }
            }

            return -1;
        }

        public bool IsOn(int domainId)
        {
            int i = IndexOf(domainId);
            return i >= 0 && _states[i] == PowerState.On;
        }

        public PowerState StateOf(int domainId)
        {
            int i = IndexOf(domainId);
            return i < 0 ? PowerState.Unspecified : _states[i];
        }

        public string NameOf(int domainId)
        {
            int i = IndexOf(domainId);
            return i < 0 ? "?" : _domains[i].Name;
        }

        // True when there is no A-cluster domain or it is ON.
        public bool IsAClusterOn()
        {
            for (int i = 0; i < _domains.Length; i++)
            {
                if (_domains[i].IsACluster)
                {
                    return _states[i] == PowerState.On;
                }
            }

            return true;
        }

        // A PowerDomainRequest from a requester of the given criticality (the agent: QM).
        public ErrorCode HandleRequest(int domainId, PowerState state, Criticality requester)
        {
            int i = IndexOf(domainId);
            if (i < 0)
            {
                return Refuse(ErrorCode.NotFound, string.Concat("power domain ", domainId.ToString(), ": not defined"));
            }

            PowerDomainConfig d = _domains[i];
            if (state != PowerState.On && state != PowerState.Off && state != PowerState.Reset && state != PowerState.Retention)
            {
                return Refuse(ErrorCode.InvalidArgument, string.Concat("power domain '", d.Name, "': state ", ((int)state).ToString(), " is not a power state"));
            }

            if (_mode.SystemPowerInProgress)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("power domain '", d.Name, "': a system power sequence is in progress"));
            }

            if (state == PowerState.On)
            {
                if (_mode.SafeStateActive && !IsCritical(d))
                {
                    return Refuse(ErrorCode.FailedPrecondition, string.Concat("power domain '", d.Name, "': the island is in the safe state"));
                }

                SetState(i, state, "request");
                return ErrorCode.Unspecified;
            }

            if (d.IsACluster)
            {
                return Refuse(ErrorCode.PermissionDenied, string.Concat("power domain '", d.Name, "': hosts the agent; use a system power request"));
            }

            VmRuntime vm = _vms.FindActiveVmOnDomain(domainId, requester);
            if (vm != null)
            {
                return Refuse(ErrorCode.PermissionDenied, string.Concat("power domain '", d.Name, "': used by VM '", vm.Name, "' (",
                    EscalationPolicy.CriticalityName(vm.Config.Criticality), "), which is ", VmStateMachine.Name(vm.State)));
            }

            SetState(i, state, "request");
            return ErrorCode.Unspecified;
        }

        // Island authority: set a domain without arbitration (safe state, system power sequence).
        public void SetState(int index, PowerState state, string reason)
        {
            if (_states[index] == state)
            {
                return;
            }

            PowerDomainConfig d = _domains[index];
            _rails.SetState(d.Id, state);
            _states[index] = state;
            _events.Record(EventType.PowerDomain, d.Id, (int)state, d.Name);
            _output.PowerDomainStatus((uint)d.Id, d.Name, state, d.Criticality);
        }

        // Safe state: every QM domain OFF.
        public void PowerOffNonCritical()
        {
            for (int i = 0; i < _domains.Length; i++)
            {
                if (!IsCritical(_domains[i]))
                {
                    SetState(i, PowerState.Off, "safe state");
                }
            }
        }

        public void EmitAll()
        {
            for (int i = 0; i < _domains.Length; i++)
            {
                _output.PowerDomainStatus((uint)_domains[i].Id, _domains[i].Name, _states[i], _domains[i].Criticality);
            }
        }

        public static bool IsCritical(PowerDomainConfig d)
        {
            return EscalationPolicy.Normalize(d.Criticality) > Criticality.Qm;
        }

        public static string StateName(PowerState state)
        {
            switch (state)
            {
                case PowerState.On: return "On";
                case PowerState.Off: return "Off";
                case PowerState.Reset: return "Reset";
                case PowerState.Retention: return "Retention";
                default: return "Unspecified";
            }
        }

        private ErrorCode Refuse(ErrorCode code, string message)
        {
            _refusal = message;
            return code;
        }
    }
}
