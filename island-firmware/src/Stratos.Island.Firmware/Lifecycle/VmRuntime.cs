using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Lifecycle
{
    // Run-time record of one VM: its lifecycle state, the directive in flight, its restart history
    // and boot orchestration flag. Allocated once per configured VM; mutated only by
    // LifecycleManager on the main loop. Its scalars live in the VM's row of a VmTable (compact on
    // nanoCLR, see VmTable); the properties read and write that row.
    public sealed class VmRuntime
    {
        private readonly VmTable _t;
        private readonly int _i;

        public VmRuntime(VmTable table, VmConfig config, SafeAction effectiveSafeAction, int restartHistorySize)
        {
            _t = table;
            _i = table.AddRow();
            Config = config;
            Id = config.Id;
            Name = config.Name;
            EffectiveSafeAction = effectiveSafeAction;
            State = VmState.Defined;
            RestartHistoryMs = new long[restartHistorySize < 1 ? 1 : restartHistorySize];
            LastFailure = string.Empty;
            Dependencies = EmptyArrays.Vms;
            Dependents = EmptyArrays.Vms;
        }

        public VmConfig Config { get; private set; }

        public int Id
        {
            get { return _t.Id[_i]; }
            private set { _t.Id[_i] = value; }
        }

        public string Name { get; private set; }

        // SafeAction from the configuration, or the default for the VM's criticality.
        public SafeAction EffectiveSafeAction
        {
            get { return _t.EffectiveSafeAction[_i]; }
            private set { _t.EffectiveSafeAction[_i] = value; }
        }

        // VMs this VM depends on, and VMs that depend on it (resolved at build time).
        public VmRuntime[] Dependencies { get; set; }

        public VmRuntime[] Dependents { get; set; }

        public VmState State
        {
            get { return _t.State[_i]; }
            set { _t.State[_i] = value; }
        }

        public long StateSinceMs
        {
            get { return _t.StateSinceMs[_i]; }
            set { _t.StateSinceMs[_i] = value; }
        }

        // The directive in flight (HasPendingDirective), its id, action and deadline.
        public bool HasPendingDirective
        {
            get { return _t.HasPendingDirective[_i]; }
            set { _t.HasPendingDirective[_i] = value; }
        }

        public uint PendingDirectiveId
        {
            get { return _t.PendingDirectiveId[_i]; }
            set { _t.PendingDirectiveId[_i] = value; }
        }

        public DirectiveAction PendingAction
        {
            get { return _t.PendingAction[_i]; }
            set { _t.PendingAction[_i] = value; }
        }

        public long DirectiveDeadlineMs
        {
            get { return _t.DirectiveDeadlineMs[_i]; }
            set { _t.DirectiveDeadlineMs[_i] = value; }
        }

        // The stop in flight was ordered by an escalation: the VM lands in Failed, not Stopped.
        public bool StopIsFailure
        {
            get { return _t.StopIsFailure[_i]; }
            set { _t.StopIsFailure[_i] = value; }
        }

        // For an escalation stop: whether the restart policy applies once the VM is down.
        public bool FailureRestartEligible
        {
            get { return _t.FailureRestartEligible[_i]; }
            set { _t.FailureRestartEligible[_i] = value; }
        }

        // A Restart request: start again once the stop completes.
        public bool RestartAfterStop
        {
            get { return _t.RestartAfterStop[_i]; }
            set { _t.RestartAfterStop[_i] = value; }
        }

        // Restart policy: a restart is scheduled at RestartAtMs.
        public bool RestartPending
        {
            get { return _t.RestartPending[_i]; }
            set { _t.RestartPending[_i] = value; }
        }

        public long RestartAtMs
        {
            get { return _t.RestartAtMs[_i]; }
            set { _t.RestartAtMs[_i] = value; }
        }

        // Ring of the times restarts were scheduled (sliding window accounting).
        public long[] RestartHistoryMs { get; private set; }

        public int RestartHistoryCount
        {
            get { return _t.RestartHistoryCount[_i]; }
            set { _t.RestartHistoryCount[_i] = value; }
        }

        public int RestartHistoryNext
        {
            get { return _t.RestartHistoryNext[_i]; }
            set { _t.RestartHistoryNext[_i] = value; }
        }

        public string LastFailure { get; set; }

        // Waiting for boot orchestration to start it.
        public bool BootPending
        {
            get { return _t.BootPending[_i]; }
            set { _t.BootPending[_i] = value; }
        }
    }
}
