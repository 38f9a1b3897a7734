using System;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Escalation;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Firmware.Lifecycle;
using Stratos.Island.Firmware.Power;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware
{
    // The island's one main loop. Island state changes only inside Step and the Handle* methods,
    // which the link adapter calls from Step (IInboundSource.Poll) or, in tests, directly on the
    // same thread. Time comes only from IClock, so a simulated clock reproduces every behaviour.
    //
    // Step():
    //   1. read the clock;
    //   2. poll inbound traffic (requests, reports, alive indications, checkpoints);
    //   3. lifecycle timers: directive timeouts, due restarts, boot orchestration;
    //   4. system power sequence step;
    //   5. every supervision cycle whose nominal time (boot + k * period) has come, oldest first,
    //      each evaluated at its nominal time (so a late step catches up cycle by cycle and
    //      deadline arithmetic stays exact); escalations run inside the cycle;
    //   6. kick the hardware watchdog, but only when the step was on time: no due cycle was late by
    //      a whole period or more. A stalled loop therefore withholds the kick.
    // Steady state (traffic that does not change any status) allocates nothing: every table is
    // sized from IslandLimits at construction.
    public sealed class IslandCore
    {
        private readonly IslandConfig _config;
        private readonly IClock _clock;
        private readonly IslandMode _mode;
        private bool _ringResetEventLogged;
        private long _lastRingResetEventMs;
        private int _ringResetsNotLogged;
        private bool _rejectionEventLogged;
        private long _lastRejectionEventMs;
        private int _rejectionsNotLogged;
        private readonly IHardwareWatchdog _watchdog;
        private readonly IIslandOutput _output;
        private readonly SupervisionManager _supervision;
        private readonly LifecycleManager _lifecycle;
        private readonly PowerManager _power;
        private readonly EscalationManager _escalation;
        private readonly SystemPowerSequencer _sequencer;
        private readonly EventRecorder _events;
        private readonly PersistentEventLog _log;
        private readonly EventRecord _readRecord;
        private readonly int _periodMs;
        private IInboundSource _inbound;
        private long _nextCycleMs;
        private long _lateSteps;
        private long _kicks;

        // VM supervision held while the agent is away (docs/firmware.md "Agent away"). Every VM's alive
        // indications and checkpoints reach the island through the agent, so while its session is down
        // their silence says nothing about the VMs; the agent's own supervision bounds how long that
        // lasts (its expiry resets the A cluster).
        //   event                                   | a held VM (indexed by entity id)
        //   ----------------------------------------+------------------------------------------------
        //   session down                            | every VM entity OK or FAILED: DEACTIVATED, held
        //   the agent reports the VM RUNNING        | supervision resumes (OK, counters afresh)
        //   session up + the VM's start timeout     | supervision resumes without a report
        //   the VM leaves Running                   | no longer held (the lifecycle owns its supervision)
        // An EXPIRED entity is not held: its escalation is already under way.
        private readonly bool[] _held;
        private bool _anyHeld;
        private bool _agentAway;
        private long _agentBackAtMs;

        public IslandCore(IslandConfig config, IClock clock, IFlash flash, IPowerRails rails, IHardwareWatchdog watchdog,
            ISafeStateOutput safeState, IResetControl reset, IIslandOutput output, ResetReason resetReason)
        {
            string error = ConfigValidator.Validate(config);
            if (error == null)
            {
                error = PersistentEventLog.CheckGeometry(flash);
            }

            if (error != null)
            {
                throw new ArgumentException(error);
            }

            _config = config;
            _clock = clock;
            _watchdog = watchdog;
            _output = output;
            _periodMs = config.Limits.SupervisionCyclePeriodMs;

            _log = new PersistentEventLog(flash);
            _log.Recover();
            _events = new EventRecorder(_log, clock, output);
            _events.BootCount = _log.LastBootCount + 1;
            _readRecord = new EventRecord();

            _supervision = new SupervisionManager(config.Limits);
            _held = new bool[_supervision.Capacity];
            int checkpointLimit = config.Limits.MaxCheckpointsPerVm;
            SupervisionTable table = new SupervisionTable(config.Vms.Length + 1);
            _supervision.AddEntity(new SupervisedEntity(table, 0, config.AgentSupervision, checkpointLimit), true);
            for (int i = 0; i < config.Vms.Length; i++)
            {
                VmConfig vm = config.Vms[i];
                bool counts = EscalationPolicy.EffectiveAction(vm) != SafeAction.Report;
                _supervision.AddEntity(new SupervisedEntity(table, vm.Id, vm.Supervision, checkpointLimit), counts);
            }

            // One pass, each manager built after what it consults; then the only edges back: the
            // escalation listens to supervision and to the lifecycle's failures.
            _mode = new IslandMode();
            VmRoster vms = new VmRoster(config);
            _power = new PowerManager(config.PowerDomains, rails, vms, _mode, _events, output);
            _lifecycle = new LifecycleManager(vms, _mode, _supervision, _power, _events, output);
            _escalation = new EscalationManager(_mode, _lifecycle, _power, _supervision, reset, safeState, _events, output, clock);
            _supervision.SetListener(_escalation);
            _lifecycle.SetFailureListener(_escalation);
            _sequencer = new SystemPowerSequencer(_mode, _lifecycle, _power, _supervision, _events);

            _power.ApplyInitialStates();
            _nextCycleMs = clock.MonotonicMs + _periodMs;
            _events.Record(EventType.IslandBoot, 0, (int)resetReason, "island boot");
        }

        // Safe state, system power and boot-on-connect of the island as a whole.
        public IslandMode Mode
        {
            get { return _mode; }
        }

        public SupervisionManager Supervision
        {
            get { return _supervision; }
        }

        public LifecycleManager Lifecycle
        {
            get { return _lifecycle; }
        }

        public PowerManager Power
        {
            get { return _power; }
        }

        public EscalationManager Escalation
        {
            get { return _escalation; }
        }

        public PersistentEventLog Log
        {
            get { return _log; }
        }

        public uint BootCount
        {
            get { return _events.BootCount; }
        }

        // Steps in which a supervision cycle ran a whole period or more late (no kick).
        public long LateSteps
        {
            get { return _lateSteps; }
        }

        public long WatchdogKicks
        {
            get { return _kicks; }
        }

        // Why the last refused Handle* call was refused.
        public string LastRefusal { get; private set; }

        public void SetInbound(IInboundSource inbound)
        {
            _inbound = inbound;
        }

        // One pass of the main loop.
        public void Step()
        {
            long nowMs = _clock.MonotonicMs;
            if (_inbound != null)
            {
                _inbound.Poll(this);
            }

            _lifecycle.Tick(nowMs);
            _sequencer.Tick(nowMs);
            if (_anyHeld && !_agentAway)
            {
                ResumeHeldAfterStartTimeout(nowMs);
            }

            bool onTime = true;
            while (nowMs >= _nextCycleMs)
            {
                if (nowMs - _nextCycleMs >= _periodMs)
                {
                    onTime = false;
                }

                _supervision.RunCycle(_nextCycleMs);
                _nextCycleMs += _periodMs;
            }

            if (onTime)
            {
                _kicks++;
                _watchdog.Kick();
            }
            else
            {
                _lateSteps++;
            }
        }

        // The link transport found its shared rings corrupt and reset them (DEVICE_NEEDS_RESET): a
        // LINK_ERROR event (value = MALFORMED) with what was wrong. At most one per
        // RingResetEventIntervalMs, so a peer that keeps corrupting the rings cannot wear out the
        // flash: the resets in between are counted and named in the next record ("(+N) ...").
        public const int RingResetEventIntervalMs = 1000;

        public void RecordLinkRingReset(string detail)
        {
            RecordLinkError(ErrorCode.Malformed, detail, ref _ringResetEventLogged, ref _lastRingResetEventMs, ref _ringResetsNotLogged);
        }

        // The authenticated link rejected a message (forged, replayed, reordered, truncated, or an
        // agent without the board key): a LINK_ERROR event (value = INTEGRITY), rate-limited like
        // ring resets (docs/link.md "Authentication").
        public void RecordLinkRejection(string detail)
        {
            RecordLinkError(ErrorCode.Integrity, detail, ref _rejectionEventLogged, ref _lastRejectionEventMs, ref _rejectionsNotLogged);
        }

        private void RecordLinkError(ErrorCode code, string detail, ref bool logged, ref long lastMs, ref int notLogged)
        {
            long nowMs = _clock.MonotonicMs;
            if (logged && nowMs - lastMs < RingResetEventIntervalMs)
            {
                notLogged++;
                return;
            }

            string text = notLogged == 0 ? detail : "(+" + notLogged.ToString() + ") " + detail;
            _events.Record(EventType.LinkError, 0, (int)code, text);
            logged = true;
            lastMs = nowMs;
            notLogged = 0;
        }

        // The link came up (Hello accepted): supervise the agent, run boot orchestration if due.
        public void HandleAgentConnected()
        {
            _agentAway = false;
            _agentBackAtMs = _clock.MonotonicMs;
            if (_mode.SafeStateActive && !_power.IsAClusterOn())
            {
                return;
            }

            // A reconnect of a supervised agent does not reset its supervision (a FAILED agent
            // stays FAILED); only an agent that was not supervised (first connection, after an
            // A-cluster reset or power-off) is armed afresh.
            SupervisedEntity agent = _supervision.Find(0);
            if (agent.Status == LocalStatus.Deactivated)
            {
                _supervision.Activate(0);
            }

            if (_mode.TakeBootOnAgentConnect())
            {
                _lifecycle.BeginBootOrchestration();
            }
        }

        // The agent's session went down: hold the supervision of every VM it relays for (see _held).
        public void HandleAgentDisconnected()
        {
            if (_agentAway)
            {
                return;
            }

            _agentAway = true;
            VmRuntime[] vms = _lifecycle.BootOrder;
            int count = 0;
            for (int i = 0; i < vms.Length; i++)
            {
                SupervisedEntity e = _supervision.Find(vms[i].Id);
                if (e != null && (e.Status == LocalStatus.Ok || e.Status == LocalStatus.Failed))
                {
                    _held[vms[i].Id] = true;
                    count++;
                }
            }

            _events.Record(EventType.LinkDown, 0, count, count == 0 ? "agent link down"
                : "agent link down: supervision of " + count.ToString() + " VM(s) held");
            for (int i = 0; i < vms.Length; i++)
            {
                if (_held[vms[i].Id])
                {
                    _anyHeld = true;
                    _supervision.Deactivate(vms[i].Id);
                }
            }
        }

        // Whether the VM's supervision is held because the agent was away.
        public bool IsSupervisionHeld(int vmId)
        {
            return vmId >= 0 && vmId < _held.Length && _held[vmId];
        }

        public ErrorCode HandleVmRequest(uint correlationId, uint vmId, VmAction action, string reason)
        {
            ErrorCode code = _lifecycle.HandleRequest(ToId(vmId), action, reason, _clock.MonotonicMs);
            return Answer(correlationId, code, _lifecycle.RefusalMessage, vmId, EventType.RequestRefused);
        }

        public ErrorCode HandleVmStateReport(uint vmId, ObservedVmState state, uint directiveId, int exitStatus, string detail)
        {
            ErrorCode code = _lifecycle.HandleReport(ToId(vmId), state, directiveId, detail, _clock.MonotonicMs);
            int id = ToId(vmId);
            if (IsSupervisionHeld(id) && (state == ObservedVmState.Running || _lifecycle.Find(id).State != VmState.Running))
            {
                ResumeHeld(id);
            }

            return code;
        }

        private void ResumeHeldAfterStartTimeout(long nowMs)
        {
            bool any = false;
            VmRuntime[] vms = _lifecycle.BootOrder;
            for (int i = 0; i < vms.Length; i++)
            {
                VmRuntime vm = vms[i];
                if (!_held[vm.Id])
                {
                    continue;
                }

                if (vm.State != VmState.Running || nowMs - _agentBackAtMs >= vm.Config.StartTimeoutMs)
                {
                    ResumeHeld(vm.Id);
                }
                else
                {
                    any = true;
                }
            }

            _anyHeld = any;
        }

        // Ends the hold: supervision resumes afresh if the VM is still Running and nobody re-armed it.
        private void ResumeHeld(int vmId)
        {
            _held[vmId] = false;
            VmRuntime vm = _lifecycle.Find(vmId);
            if (vm != null && vm.State == VmState.Running && _supervision.Find(vmId).Status == LocalStatus.Deactivated)
            {
                _supervision.Activate(vmId);
            }
        }

        public ErrorCode HandleAliveIndication(uint entityId, uint count)
        {
            return _supervision.RecordAlive(ToId(entityId), count > int.MaxValue ? int.MaxValue : (int)count);
        }

        public ErrorCode HandleCheckpoint(uint entityId, uint checkpointId)
        {
            return _supervision.RecordCheckpoint(ToId(entityId), checkpointId > int.MaxValue ? -1 : (int)checkpointId, _clock.MonotonicMs);
        }

        public ErrorCode HandlePowerDomainRequest(uint correlationId, uint domainId, PowerState state, string reason)
        {
            ErrorCode code = _power.HandleRequest(ToId(domainId), state, Criticality.Qm);
            return Answer(correlationId, code, _power.RefusalMessage, domainId, EventType.RequestRefused);
        }

        public ErrorCode HandleSystemPowerRequest(uint correlationId, SystemPowerAction action, string reason)
        {
            ErrorCode code = _sequencer.HandleRequest(action);
            return Answer(correlationId, code, _sequencer.RefusalMessage, 0, EventType.RequestRefused);
        }

        // Sends every VmStatus, PowerDomainStatus, the global and every entity status, then the
        // closing RequestResult.
        public void HandleStatusRequest(uint correlationId)
        {
            long nowMs = _clock.MonotonicMs;
            VmRuntime[] vms = _lifecycle.BootOrder;
            for (int i = 0; i < vms.Length; i++)
            {
                _lifecycle.EmitStatus(vms[i], nowMs);
            }

            _power.EmitAll();
            _output.SupervisionStatus(_supervision.GlobalStatus, _supervision.Cycles, (uint)_supervision.ExpiredCycles);
            for (int id = 0; id < _supervision.Capacity; id++)
            {
                SupervisedEntity e = _supervision.Find(id);
                if (e != null)
                {
                    _output.EntityStatus((uint)id, e.Status, (uint)e.FailedRefCycles, (uint)e.AliveCount,
                        (uint)e.DeadlineViolations, (uint)e.LogicalViolations);
                }
            }

            _output.RequestResult(correlationId, true, ErrorCode.Unspecified, string.Empty, 0);
        }

        // Emits up to LogReadMaxRecordsPerCall records from fromSequence (clamped to the oldest one
        // stored), then LogReadEnd. maxRecords 0 = as many as stored.
        public void HandleLogRead(uint correlationId, uint fromSequence, uint maxRecords)
        {
            uint first = _log.FirstAvailableSequence;
            uint next = _log.NextSequence;
            uint sequence = fromSequence < first ? first : (fromSequence > next ? next : fromSequence);
            uint wanted = maxRecords == 0 ? uint.MaxValue : maxRecords;
            int budget = _config.Limits.LogReadMaxRecordsPerCall;
            uint sent = 0;
            while (sequence < next && sent < wanted && budget > 0)
            {
                if (_log.TryRead(sequence, _readRecord))
                {
                    _output.LogRecord(correlationId, _readRecord);
                    sent++;
                    budget--;
                }

                sequence++;
            }

            bool end = sequence >= next || sent >= wanted;
            _output.LogReadEnd(correlationId, first, sequence, end);
        }

        private ErrorCode Answer(uint correlationId, ErrorCode code, string refusal, uint subjectId, EventType refusedEvent)
        {
            if (code == ErrorCode.Unspecified)
            {
                _output.RequestResult(correlationId, true, ErrorCode.Unspecified, string.Empty, subjectId);
                return code;
            }

            LastRefusal = refusal;
            _events.Record(refusedEvent, (int)subjectId, (int)code, refusal);
            _output.RequestResult(correlationId, false, code, refusal, subjectId);
            return code;
        }

        private static int ToId(uint id)
        {
            return id > int.MaxValue ? -1 : (int)id;
        }
    }
}
