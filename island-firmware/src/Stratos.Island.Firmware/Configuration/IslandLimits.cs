namespace Stratos.Island.Firmware.Configuration
{
    // Sizes of the island's fixed tables and the supervision timing. Every table of the core is
    // allocated once from these numbers when IslandCore is built; nothing grows afterwards.
    public sealed class IslandLimits
    {
        // Fixed caps that mirror the link protocol's max_count options (link.proto).
        public const int MaxDeadlinesPerVm = 8;
        public const int MaxLogicalInitialCheckpoints = 8;
        public const int MaxLogicalFinalCheckpoints = 8;
        public const int MaxLogicalTransitions = 32;
        public const int MaxDependencies = 8;
        public const int MaxPowerDomainsPerVm = 8;
        public const int MaxNameBytes = 32;
        // Checkpoint ids index 64-bit masks in logical supervision.
        public const int MaxCheckpointIdLimit = 64;

        public IslandLimits()
        {
            MaxVms = 32;
            MaxCheckpointsPerVm = 16;
            MaxPowerDomains = 16;
            MaxRestartsPerWindow = 16;
            SupervisionCyclePeriodMs = 10;
            ExpiredSupervisionCycleTolerance = 0;
            LogReadMaxRecordsPerCall = 16;
        }

        // Highest VM id (VM ids are 1..MaxVms; entity 0 is the host agent).
        public int MaxVms { get; set; }

        // Checkpoint ids of a VM are 0..MaxCheckpointsPerVm-1 (at most 64).
        public int MaxCheckpointsPerVm { get; set; }

        // Size of the power domain table.
        public int MaxPowerDomains { get; set; }

        // Upper bound of any VM's RestartPolicy.MaxRestarts (size of its restart history ring).
        public int MaxRestartsPerWindow { get; set; }

        // Period of the supervision main function (AUTOSAR WdgM_MainFunction), in milliseconds.
        public int SupervisionCyclePeriodMs { get; set; }

        // Supervision cycles the global status may stay EXPIRED before it becomes STOPPED.
        public int ExpiredSupervisionCycleTolerance { get; set; }

        // Most event-log records one HandleLogRead call emits (the agent pages with next_sequence).
        public int LogReadMaxRecordsPerCall { get; set; }
    }
}
