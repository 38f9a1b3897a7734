using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Lifecycle
{
    // Run-time record of one VM: its lifecycle state, the directive in flight, its restart history
    // and boot orchestration flag. Allocated once per configured VM; mutated only by
    // LifecycleManager on the main loop.
    public sealed class VmRuntime
    {
        public VmRuntime(VmConfig config, SafeAction effectiveSafeAction, int restartHistorySize)
        {
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

        public int Id { get; private set; }

        public string Name { get; private set; }

        // SafeAction from the configuration, or the default for the VM's criticality.
        public SafeAction EffectiveSafeAction { get; private set; }

        // VMs this VM depends on, and VMs that depend on it (resolved at build time).
        public VmRuntime[] Dependencies { get; set; }

        public VmRuntime[] Dependents { get; set; }

        public VmState State { get; set; }

        public long StateSinceMs { get; set; }

        // The directive in flight (HasPendingDirective), its id, action and deadline.
        public bool HasPendingDirective { get; set; }

        public uint PendingDirectiveId { get; set; }

        public DirectiveAction PendingAction { get; set; }

        public long DirectiveDeadlineMs { get; set; }

        // The stop in flight was ordered by an escalation: the VM lands in Failed, not Stopped.
        public bool StopIsFailure { get; set; }

        // For an escalation stop: whether the restart policy applies once the VM is down.
        public bool FailureRestartEligible { get; set; }

        // A Restart request: start again once the stop completes.
        public bool RestartAfterStop { get; set; }

        // Restart policy: a restart is scheduled at RestartAtMs.
        public bool RestartPending { get; set; }

        public long RestartAtMs { get; set; }

        // Ring of the times restarts were scheduled (sliding window accounting).
        public long[] RestartHistoryMs { get; private set; }

        public int RestartHistoryCount { get; set; }

        public int RestartHistoryNext { get; set; }

        public string LastFailure { get; set; }

        // Waiting for boot orchestration to start it.
        public bool BootPending { get; set; }
    }
}
