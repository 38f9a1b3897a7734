using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Escalation;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Power;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Lifecycle
{
    // The island's authority over VM lifecycles (transition table: VmStateMachine).
    //
    // Who triggers what:
    // - the agent asks (HandleRequest, a VmAction). The request is checked against the VM's state,
    //   policy and dependencies and answered with an ErrorCode; the refusal text is built only on
    //   refusal (RefusalMessage). An accepted request changes the state and issues a directive
    //   (DirectiveAction, directive id, timeout) through IIslandOutput;
    // - the agent reports what happened (HandleReport, an ObservedVmState, echoing the directive id;
    //   reports naming an older directive are stale and ignored); HUNG (the guest's watchdog
    //   expired, its VMM still runs) escalates like an expired supervision of the VM;
    // - Tick (every main loop step) enforces directive timeouts, runs due restarts and boot
    //   orchestration;
    // - escalation (StopForFailure, ForceDown) and the system power sequencer (SystemStop,
    //   SystemPause) act on VMs with the island's own authority.
    //
    // Policy (docs/firmware.md "Lifecycle"):
    // - Kill from the agent is refused for VMs above QM (PermissionDenied): the A side, a QM
    //   requester, may only ask ASIL VMs to stop gracefully.
    // - Start needs every dependency Running (DependencyNotReady, "VM 'web': depends on 'base',
    //   which is Stopped") and every power domain of the VM ON.
    // - Stop, Kill, Pause and Restart are refused while a VM that depends on this one is active
    //   (Starting/Running/Pausing/Paused/Stopping): stop the dependents first. The system power
    //   sequence stops in reverse boot order, so it never needs to break this rule; escalations and
    //   forced power-down ignore it (safety first).
    // - Restart policy on failure (SafeAction RESTART_VM): at most MaxRestarts restarts within a
    //   sliding WindowMs; the k-th restart in the window (k from 0) waits
    //   min(BackoffInitialMs * 2^k, BackoffMaxMs); with the budget used up the VM is Quarantined
    //   until an operator sends Clear (-> Stopped, history erased).
    // - Boot orchestration: when the agent first connects (and after an A-cluster reset or a
    //   reboot), autostart VMs are started in boot order; a VM waits (and holds back the VMs after
    //   it) until its dependencies are Running, and is skipped with an event if a dependency can no
    //   longer get there.
    public sealed class LifecycleManager
    {
        private const string HungReason = "guest watchdog expired";

        private readonly VmRoster _vms;
        private readonly VmRuntime[] _bootOrder;
        private readonly IslandMode _mode;
        private readonly SupervisionManager _supervision;
        private readonly PowerManager _power;
        private readonly EventRecorder _events;
        private readonly IIslandOutput _output;
        private IVmFailureListener _failureListener;
        private uint _nextDirectiveId;
        private string _refusal;
        private int _bootPendingCount;

        public LifecycleManager(VmRoster vms, IslandMode mode, SupervisionManager supervision, PowerManager power,
            EventRecorder events, IIslandOutput output)
        {
            _vms = vms;
            _bootOrder = vms.BootOrder;
            _mode = mode;
            _supervision = supervision;
            _power = power;
            _events = events;
            _output = output;
            _nextDirectiveId = 1;
            _refusal = string.Empty;
        }

        // Why the last refused request was refused ("VM 'web': ...").
        public string RefusalMessage
        {
            get { return _refusal; }
        }

        // VMs sorted by (boot order, id).
        public VmRuntime[] BootOrder
        {
            get { return _bootOrder; }
        }

        public int BootPendingCount
        {
            get { return _bootPendingCount; }
        }

        // IslandCore subscribes the escalation manager here (IVmFailureListener).
        public void SetFailureListener(IVmFailureListener listener)
        {
            _failureListener = listener;
        }

        public VmRuntime Find(int vmId)
        {
            return _vms.Find(vmId);
        }

        // An operator request relayed by the agent. Unspecified = accepted.
        public ErrorCode HandleRequest(int vmId, VmAction action, string reason, long nowMs)
        {
            VmRuntime vm = Find(vmId);
            if (vm == null)
            {
                return Refuse(ErrorCode.NotFound, string.Concat("VM ", vmId.ToString(), ": not defined"));
            }

            switch (action)
            {
                case VmAction.Start:
                    return RequestStart(vm, reason, nowMs);
                case VmAction.Stop:
                    return RequestStop(vm, false, reason, nowMs);
                case VmAction.Kill:
                    return RequestStop(vm, true, reason, nowMs);
                case VmAction.Restart:
                    return RequestRestart(vm, reason, nowMs);
                case VmAction.Pause:
                    return RequestPause(vm, reason, nowMs);
                case VmAction.Resume:
                    return RequestResume(vm, reason, nowMs);
                case VmAction.Clear:
                    return RequestClear(vm, nowMs);
                default:
                    return Refuse(ErrorCode.InvalidArgument, string.Concat("VM '", vm.Name, "': action ", ((int)action).ToString(), " is not a VM action"));
            }
        }

        // The agent's report of what happened to a VM. Unspecified = applied; Aborted = stale
        // (names an older directive); NotFound; FailedPrecondition = the VM runs without the
        // island's consent (a kill directive was sent).
        public ErrorCode HandleReport(int vmId, ObservedVmState observed, uint directiveId, string detail, long nowMs)
        {
            VmRuntime vm = Find(vmId);
            if (vm == null)
            {
                return ErrorCode.NotFound;
            }

            if (directiveId != 0 && (!vm.HasPendingDirective || directiveId != vm.PendingDirectiveId))
            {
                return ErrorCode.Aborted;
            }

            if (observed == ObservedVmState.Hung)
            {
                // The guest's watchdog expired; its VMM still runs. Escalate as for an expired
                // supervision of the VM: the safe action decides (restart: kill, then the restart policy).
                VmState current = vm.State;
                if (current == VmState.Starting || current == VmState.Running || current == VmState.Pausing || current == VmState.Paused)
                {
                    if (_failureListener != null)
                    {
                        _failureListener.OnVmFailure(vm, HungReason);
                    }
                    else
                    {
                        StopForFailure(vm, true, HungReason, nowMs);
                    }
                }

                return ErrorCode.Unspecified;
            }

            bool down = observed == ObservedVmState.NotRunning || observed == ObservedVmState.Exited
                || observed == ObservedVmState.Crashed || observed == ObservedVmState.StartFailed;
            switch (vm.State)
            {
                case VmState.Starting:
                    if (observed == ObservedVmState.Running)
                    {
                        vm.HasPendingDirective = false;
                        Transition(vm, VmState.Running, nowMs);
                    }
                    else if (down)
                    {
                        EnterFailed(vm, FailureText(observed, detail), true, nowMs);
                    }

                    return ErrorCode.Unspecified;

                case VmState.Running:
                    if (down)
                    {
                        EnterFailed(vm, FailureText(observed, detail), true, nowMs);
                    }

                    return ErrorCode.Unspecified;

                case VmState.Pausing:
                    if (observed == ObservedVmState.Paused)
                    {
                        vm.HasPendingDirective = false;
                        Transition(vm, VmState.Paused, nowMs);
                    }
                    else if (down)
                    {
                        EnterFailed(vm, FailureText(observed, detail), true, nowMs);
                    }

                    return ErrorCode.Unspecified;

                case VmState.Paused:
                    if (observed == ObservedVmState.Running && vm.HasPendingDirective && vm.PendingAction == DirectiveAction.Resume)
                    {
                        vm.HasPendingDirective = false;
                        Transition(vm, VmState.Running, nowMs);
                    }
                    else if (down)
                    {
                        EnterFailed(vm, FailureText(observed, detail), true, nowMs);
                    }

                    return ErrorCode.Unspecified;

                case VmState.Stopping:
                    if (down)
                    {
                        vm.HasPendingDirective = false;
                        CompleteStop(vm, nowMs);
                    }

                    return ErrorCode.Unspecified;

                default:
                    if (observed == ObservedVmState.Running || observed == ObservedVmState.Paused || observed == ObservedVmState.Starting)
                    {
                        // The island is the authority: a VM it considers down must not run.
                        _output.VmDirective(NextDirectiveId(), (uint)vm.Id, DirectiveAction.Kill, (uint)vm.Config.StopTimeoutMs, "not started by the island");
                        return ErrorCode.FailedPrecondition;
                    }

                    return ErrorCode.Unspecified;
            }
        }

        // Directive timeouts, due restarts, boot orchestration. Allocates nothing when idle.
        public void Tick(long nowMs)
        {
            for (int i = 0; i < _bootOrder.Length; i++)
            {
                VmRuntime vm = _bootOrder[i];
                if (vm.HasPendingDirective && nowMs >= vm.DirectiveDeadlineMs)
                {
                    OnDirectiveTimeout(vm, nowMs);
                }

                if (vm.RestartPending && vm.State == VmState.Failed && nowMs >= vm.RestartAtMs
                    && CheckCanStart(vm) == ErrorCode.Unspecified)
                {
                    vm.RestartPending = false;
                    StartVm(vm, "restart policy", nowMs);
                }
            }

            if (_bootPendingCount > 0)
            {
                RunBootOrchestration(nowMs);
            }
        }

        // Marks every autostart VM that is Defined or Stopped for boot orchestration.
        public void BeginBootOrchestration()
        {
            for (int i = 0; i < _bootOrder.Length; i++)
            {
                VmRuntime vm = _bootOrder[i];
                if (vm.Config.Autostart && !vm.BootPending && (vm.State == VmState.Defined || vm.State == VmState.Stopped))
                {
                    vm.BootPending = true;
                    _bootPendingCount++;
                }
            }
        }

        public void CancelBootOrchestration()
        {
            for (int i = 0; i < _bootOrder.Length; i++)
            {
                _bootOrder[i].BootPending = false;
            }

            _bootPendingCount = 0;
        }

        // Escalation: take a failed VM down with a kill directive. Once the agent reports it down
        // it lands in Failed; restartEligible decides whether the restart policy then applies.
        public void StopForFailure(VmRuntime vm, bool restartEligible, string reason, long nowMs)
        {
            VmState s = vm.State;
            if (s != VmState.Starting && s != VmState.Running && s != VmState.Pausing && s != VmState.Paused && s != VmState.Stopping)
            {
                return;
            }

            vm.StopIsFailure = true;
            vm.FailureRestartEligible = restartEligible;
            vm.RestartAfterStop = false;
            vm.LastFailure = reason;
            BeginStop(vm, true, reason, nowMs);
        }

        // The VM is gone with its power or the A-cluster reset: straight to Stopped.
        public void ForceDown(VmRuntime vm, string reason, long nowMs)
        {
            VmState s = vm.State;
            if (s == VmState.Defined || s == VmState.Stopped || s == VmState.Quarantined)
            {
                return;
            }

            vm.HasPendingDirective = false;
            vm.RestartPending = false;
            vm.RestartAfterStop = false;
            vm.StopIsFailure = false;
            vm.LastFailure = reason;
            Transition(vm, VmState.Stopped, nowMs);
        }

        // System power sequence: graceful stop with the island's authority (no dependency check;
        // the sequencer goes in reverse boot order). Returns true while the VM still has to stop.
        public bool SystemStop(VmRuntime vm, long nowMs)
        {
            vm.BootPending = false;
            vm.RestartPending = false;
            vm.RestartAfterStop = false;
            switch (vm.State)
            {
                case VmState.Starting:
                case VmState.Running:
                case VmState.Pausing:
                case VmState.Paused:
                    BeginStop(vm, false, "system power", nowMs);
                    return true;
                case VmState.Stopping:
                    return true;
                default:
                    return false;
            }
        }

        // System suspend: pause a running VM. Returns true while the VM still has to pause.
        public bool SystemPause(VmRuntime vm, long nowMs)
        {
            vm.BootPending = false;
            vm.RestartPending = false;
            switch (vm.State)
            {
                case VmState.Running:
                    Transition(vm, VmState.Pausing, nowMs);
                    Issue(vm, DirectiveAction.Pause, vm.Config.StopTimeoutMs, "system suspend", nowMs);
                    return true;
                case VmState.Starting:
                    BeginStop(vm, false, "system suspend", nowMs);
                    return true;
                case VmState.Pausing:
                case VmState.Stopping:
                    return true;
                default:
                    return false;
            }
        }

        // Restarts scheduled within the VM's sliding window at nowMs.
        public int RestartsInWindow(VmRuntime vm, long nowMs)
        {
            int windowMs = vm.Config.Restart.WindowMs;
            int n = 0;
            long[] history = vm.RestartHistoryMs;
            for (int i = 0; i < vm.RestartHistoryCount; i++)
            {
                if (nowMs - history[i] < windowMs)
                {
                    n++;
                }
            }

            return n;
        }

        // Pushes the island's view of the VM to the agent.
        public void EmitStatus(VmRuntime vm, long nowMs)
        {
            SupervisedEntity e = _supervision.Find(vm.Id);
            LocalStatus supervision = e == null ? LocalStatus.Deactivated : e.Status;
            _output.VmStatus((uint)vm.Id, vm.Name, vm.State, supervision, (uint)RestartsInWindow(vm, nowMs),
                vm.Config.Criticality, vm.StateSinceMs, vm.LastFailure);
        }

        private ErrorCode RequestStart(VmRuntime vm, string reason, long nowMs)
        {
            if (vm.State == VmState.Quarantined)
            {
                return Refuse(ErrorCode.Quarantined, string.Concat("VM '", vm.Name, "': quarantined after its restart budget ran out; clear it first"));
            }

            if (vm.State != VmState.Defined && vm.State != VmState.Stopped && vm.State != VmState.Failed)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot start while ", VmStateMachine.Name(vm.State)));
            }

            ErrorCode code = CheckCanStart(vm);
            if (code != ErrorCode.Unspecified)
            {
                return code;
            }

            vm.RestartPending = false;
            StartVm(vm, reason, nowMs);
            return ErrorCode.Unspecified;
        }

        private ErrorCode RequestStop(VmRuntime vm, bool kill, string reason, long nowMs)
        {
            if (kill && EscalationPolicy.Normalize(vm.Config.Criticality) > Criticality.Qm)
            {
                return Refuse(ErrorCode.PermissionDenied, string.Concat("VM '", vm.Name, "': kill refused for a ",
                    EscalationPolicy.CriticalityName(vm.Config.Criticality), " VM; the agent may only stop it gracefully"));
            }

            VmState s = vm.State;
            if (s == VmState.Failed && !kill)
            {
                vm.RestartPending = false;
                Transition(vm, VmState.Stopped, nowMs);
                return ErrorCode.Unspecified;
            }

            if (s == VmState.Stopping)
            {
                if (!kill)
                {
                    return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': already Stopping"));
                }

                Issue(vm, DirectiveAction.Kill, vm.Config.StopTimeoutMs, reason, nowMs);
                return ErrorCode.Unspecified;
            }

            if (s != VmState.Starting && s != VmState.Running && s != VmState.Pausing && s != VmState.Paused)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot ", kill ? "kill" : "stop", " while ", VmStateMachine.Name(s)));
            }

            ErrorCode code = CheckNoActiveDependents(vm, kill ? "kill" : "stop");
            if (code != ErrorCode.Unspecified)
            {
                return code;
            }

            vm.RestartAfterStop = false;
            BeginStop(vm, kill, reason, nowMs);
            return ErrorCode.Unspecified;
        }

        private ErrorCode RequestRestart(VmRuntime vm, string reason, long nowMs)
        {
            VmState s = vm.State;
            if (s == VmState.Defined || s == VmState.Stopped || s == VmState.Failed || s == VmState.Quarantined)
            {
                return RequestStart(vm, reason, nowMs);
            }

            if (s != VmState.Running && s != VmState.Paused)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot restart while ", VmStateMachine.Name(s)));
            }

            ErrorCode code = CheckNoActiveDependents(vm, "restart");
            if (code != ErrorCode.Unspecified)
            {
                return code;
            }

            vm.RestartAfterStop = true;
            BeginStop(vm, false, reason, nowMs);
            return ErrorCode.Unspecified;
        }

        private ErrorCode RequestPause(VmRuntime vm, string reason, long nowMs)
        {
            if (vm.State != VmState.Running)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot pause while ", VmStateMachine.Name(vm.State)));
            }

            ErrorCode code = CheckNoActiveDependents(vm, "pause");
            if (code != ErrorCode.Unspecified)
            {
                return code;
            }

            Transition(vm, VmState.Pausing, nowMs);
            Issue(vm, DirectiveAction.Pause, vm.Config.StopTimeoutMs, reason, nowMs);
            return ErrorCode.Unspecified;
        }

        private ErrorCode RequestResume(VmRuntime vm, string reason, long nowMs)
        {
            if (vm.State != VmState.Paused)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot resume while ", VmStateMachine.Name(vm.State)));
            }

            if (vm.HasPendingDirective && vm.PendingAction == DirectiveAction.Resume)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': resume already in progress"));
            }

            ErrorCode code = CheckCanStart(vm);
            if (code != ErrorCode.Unspecified)
            {
                return code;
            }

            Issue(vm, DirectiveAction.Resume, vm.Config.StartTimeoutMs, reason, nowMs);
            return ErrorCode.Unspecified;
        }

        private ErrorCode RequestClear(VmRuntime vm, long nowMs)
        {
            if (vm.State != VmState.Quarantined)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot clear while ", VmStateMachine.Name(vm.State), " (only a Quarantined VM can be cleared)"));
            }

            vm.RestartHistoryCount = 0;
            vm.RestartHistoryNext = 0;
            vm.LastFailure = string.Empty;
            Transition(vm, VmState.Stopped, nowMs);
            return ErrorCode.Unspecified;
        }

        // Starting (or resuming) needs: no safe state, no system power sequence, every dependency
        // Running, every power domain ON.
        private ErrorCode CheckCanStart(VmRuntime vm)
        {
            if (_mode.SafeStateActive)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': the island is in the safe state"));
            }

            if (_mode.SystemPowerInProgress)
            {
                return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': system power ",
                    SystemPowerSequencer.ActionName(_mode.SystemPower), " in progress"));
            }

            VmRuntime[] deps = vm.Dependencies;
            for (int i = 0; i < deps.Length; i++)
            {
                if (deps[i].State != VmState.Running)
                {
                    return Refuse(ErrorCode.DependencyNotReady, string.Concat("VM '", vm.Name, "': depends on '", deps[i].Name,
                        "', which is ", VmStateMachine.Name(deps[i].State)));
                }
            }

            int[] domains = vm.Config.PowerDomains;
            for (int i = 0; i < domains.Length; i++)
            {
                if (!_power.IsOn(domains[i]))
                {
                    return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': power domain '",
                        _power.NameOf(domains[i]), "' is ", PowerManager.StateName(_power.StateOf(domains[i]))));
                }
            }

            return ErrorCode.Unspecified;
        }

        private ErrorCode CheckNoActiveDependents(VmRuntime vm, string verb)
        {
            VmRuntime[] dependents = vm.Dependents;
            for (int i = 0; i < dependents.Length; i++)
            {
                if (VmStateMachine.IsActive(dependents[i].State))
                {
                    return Refuse(ErrorCode.FailedPrecondition, string.Concat("VM '", vm.Name, "': cannot ", verb, " while '",
                        dependents[i].Name, "', which depends on it, is ", VmStateMachine.Name(dependents[i].State)));
                }
            }

            return ErrorCode.Unspecified;
        }

        private void StartVm(VmRuntime vm, string reason, long nowMs)
        {
            vm.LastFailure = vm.State == VmState.Failed ? vm.LastFailure : string.Empty;
            Transition(vm, VmState.Starting, nowMs);
            Issue(vm, DirectiveAction.Start, vm.Config.StartTimeoutMs, reason, nowMs);
        }

        private void BeginStop(VmRuntime vm, bool kill, string reason, long nowMs)
        {
            if (vm.State != VmState.Stopping)
            {
                Transition(vm, VmState.Stopping, nowMs);
            }

            Issue(vm, kill ? DirectiveAction.Kill : DirectiveAction.Stop, vm.Config.StopTimeoutMs, reason, nowMs);
        }

        private void CompleteStop(VmRuntime vm, long nowMs)
        {
            if (vm.StopIsFailure)
            {
                vm.StopIsFailure = false;
                EnterFailedAfterEscalation(vm, vm.FailureRestartEligible, nowMs);
                return;
            }

            Transition(vm, VmState.Stopped, nowMs);
            if (vm.RestartAfterStop)
            {
                vm.RestartAfterStop = false;
                if (CheckCanStart(vm) == ErrorCode.Unspecified)
                {
                    StartVm(vm, "restart", nowMs);
                }
                else
                {
                    _events.Record(EventType.RequestRefused, vm.Id, (int)ErrorCode.FailedPrecondition, _refusal);
                }
            }
        }

        private void OnDirectiveTimeout(VmRuntime vm, long nowMs)
        {
            vm.HasPendingDirective = false;
            switch (vm.State)
            {
                case VmState.Starting:
                    EnterFailed(vm, "start timed out", true, nowMs);
                    _output.VmDirective(NextDirectiveId(), (uint)vm.Id, DirectiveAction.Kill, (uint)vm.Config.StopTimeoutMs, "start timed out");
                    break;
                case VmState.Pausing:
                    EnterFailed(vm, "pause timed out", true, nowMs);
                    break;
                case VmState.Paused:
                    EnterFailed(vm, "resume timed out", true, nowMs);
                    break;
                case VmState.Stopping:
                    // The VM may still run: never restart it automatically. If this was the kill of
                    // an EXPIRED VM, its entity stays EXPIRED: the island cannot confirm the
                    // escalation, so the global status goes on towards STOPPED (safe state).
                    vm.RestartAfterStop = false;
                    vm.LastFailure = "stop timed out";
                    bool unconfirmedKill = vm.StopIsFailure;
                    vm.StopIsFailure = false;
                    Transition(vm, VmState.Failed, nowMs, unconfirmedKill);
                    break;
            }
        }

        // A VM failed on its own (crash, start failure, timeout). Applies its safe action.
        private void EnterFailed(VmRuntime vm, string reason, bool actionApplies, long nowMs)
        {
            vm.HasPendingDirective = false;
            vm.LastFailure = reason;
            Transition(vm, VmState.Failed, nowMs);
            if (!actionApplies)
            {
                return;
            }

            switch (vm.EffectiveSafeAction)
            {
                case SafeAction.RestartVm:
                    ApplyRestartPolicy(vm, nowMs);
                    break;
                case SafeAction.ResetACluster:
                case SafeAction.SafeState:
                    if (_failureListener != null)
                    {
                        _failureListener.OnVmFailure(vm, reason);
                    }

                    break;
            }
        }

        // The escalation already chose the action; only the restart policy is left to apply.
        private void EnterFailedAfterEscalation(VmRuntime vm, bool restartEligible, long nowMs)
        {
            vm.HasPendingDirective = false;
            Transition(vm, VmState.Failed, nowMs);
            if (restartEligible)
            {
                ApplyRestartPolicy(vm, nowMs);
            }
        }

        private void ApplyRestartPolicy(VmRuntime vm, long nowMs)
        {
            RestartPolicyConfig policy = vm.Config.Restart;
            if (policy.MaxRestarts <= 0)
            {
                return;
            }

            int used = RestartsInWindow(vm, nowMs);
            if (used >= policy.MaxRestarts)
            {
                vm.RestartPending = false;
                Transition(vm, VmState.Quarantined, nowMs);
                _events.Record(EventType.Quarantine, vm.Id, used, vm.Name);
                return;
            }

            long backoffMs = policy.BackoffInitialMs;
            for (int k = 0; k < used && backoffMs < policy.BackoffMaxMs; k++)
            {
                backoffMs *= 2;
            }

            if (backoffMs > policy.BackoffMaxMs)
            {
                backoffMs = policy.BackoffMaxMs;
            }

            // Record in the ring, replacing the oldest entry.
            long[] history = vm.RestartHistoryMs;
            history[vm.RestartHistoryNext] = nowMs;
            vm.RestartHistoryNext = (vm.RestartHistoryNext + 1) % history.Length;
            if (vm.RestartHistoryCount < history.Length)
            {
                vm.RestartHistoryCount++;
            }

            vm.RestartPending = true;
            vm.RestartAtMs = nowMs + backoffMs;
            EmitStatus(vm, nowMs);
        }

        private void RunBootOrchestration(long nowMs)
        {
            for (int i = 0; i < _bootOrder.Length; i++)
            {
                VmRuntime vm = _bootOrder[i];
                if (!vm.BootPending)
                {
                    continue;
                }

                if (vm.State != VmState.Defined && vm.State != VmState.Stopped)
                {
                    DropBootPending(vm);
                    continue;
                }

                bool wait = false;
                VmRuntime blocker = null;
                VmRuntime[] deps = vm.Dependencies;
                for (int k = 0; k < deps.Length; k++)
                {
                    VmRuntime dep = deps[k];
                    if (dep.State == VmState.Running)
                    {
                        continue;
                    }

                    if (dep.BootPending || dep.State == VmState.Starting || (dep.State == VmState.Failed && dep.RestartPending))
                    {
                        wait = true;
                    }
                    else if (blocker == null)
                    {
                        blocker = dep;
                    }
                }

                if (blocker != null)
                {
                    DropBootPending(vm);
                    _events.Record(EventType.RequestRefused, vm.Id, (int)ErrorCode.DependencyNotReady, string.Concat("boot: depends on '",
                        blocker.Name, "', which is ", VmStateMachine.Name(blocker.State)));
                    continue;
                }

                if (wait)
                {
                    return;
                }

                DropBootPending(vm);
                ErrorCode code = CheckCanStart(vm);
                if (code != ErrorCode.Unspecified)
                {
                    _events.Record(EventType.RequestRefused, vm.Id, (int)code, _refusal);
                    continue;
                }

                StartVm(vm, "boot", nowMs);
            }
        }

        private void DropBootPending(VmRuntime vm)
        {
            if (vm.BootPending)
            {
                vm.BootPending = false;
                _bootPendingCount--;
            }
        }

        private bool Transition(VmRuntime vm, VmState to, long nowMs)
        {
            return Transition(vm, to, nowMs, false);
        }

        // keepExpired: an EXPIRED entity stays EXPIRED even though the VM leaves Running (its
        // escalation is still in flight, or could not be confirmed).
        private bool Transition(VmRuntime vm, VmState to, long nowMs, bool keepExpired)
        {
            VmState from = vm.State;
            if (!VmStateMachine.IsAllowed(from, to))
            {
                // A bug: the callers only ask for transitions of the table. Record it, change nothing.
                _events.Record(EventType.RequestRefused, vm.Id, (int)ErrorCode.Internal, "illegal lifecycle transition refused");
                return false;
            }

            vm.State = to;
            vm.StateSinceMs = nowMs;
            if (to == VmState.Running)
            {
                _supervision.Activate(vm.Id);
            }
            else
            {
                // An EXPIRED entity stays EXPIRED while its escalation takes the VM down.
                SupervisedEntity e = _supervision.Find(vm.Id);
                if (e != null && !(e.Status == LocalStatus.Expired && (to == VmState.Stopping || keepExpired)))
                {
                    _supervision.Deactivate(vm.Id);
                }
            }

            _events.Record(EventType.VmState, vm.Id, (int)to, vm.Name);
            EmitStatus(vm, nowMs);
            return true;
        }

        private void Issue(VmRuntime vm, DirectiveAction action, int timeoutMs, string reason, long nowMs)
        {
            uint id = NextDirectiveId();
            vm.HasPendingDirective = true;
            vm.PendingDirectiveId = id;
            vm.PendingAction = action;
            vm.DirectiveDeadlineMs = nowMs + timeoutMs;
            _output.VmDirective(id, (uint)vm.Id, action, (uint)timeoutMs, reason ?? string.Empty);
        }

        private uint NextDirectiveId()
        {
            uint id = _nextDirectiveId++;
            if (_nextDirectiveId == 0)
            {
                _nextDirectiveId = 1;
            }

            return id;
        }

        private ErrorCode Refuse(ErrorCode code, string message)
        {
            _refusal = message;
            return code;
        }

        private static string FailureText(ObservedVmState observed, string detail)
        {
            if (detail != null && detail.Length > 0)
            {
                return detail;
            }

            switch (observed)
            {
                case ObservedVmState.Exited: return "VMM exited";
                case ObservedVmState.Crashed: return "VMM or guest crashed";
                case ObservedVmState.Hung: return HungReason;
                case ObservedVmState.StartFailed: return "VMM could not start";
                default: return "VMM not running";
            }
        }
    }
}
