using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Configuration
{
    // Definition of one VM as the island needs it (a subset of link.proto VmDefinition; the VMM
    // part is opaque to the island and not kept here).
    public sealed class VmConfig
    {
        public VmConfig()
        {
            Name = string.Empty;
            DependsOn = EmptyArrays.Ints;
            Restart = new RestartPolicyConfig();
            Supervision = new SupervisionConfig();
            PowerDomains = EmptyArrays.Ints;
            StartTimeoutMs = 30000;
            StopTimeoutMs = 10000;
        }

        // Island-wide id, 1..IslandLimits.MaxVms.
        public int Id { get; set; }

        // Unique name, [a-z0-9-], 1..32 bytes.
        public string Name { get; set; }

        public Criticality Criticality { get; set; }

        // Position in the boot sequence (lower first); a dependency must have a lower boot order.
        public int BootOrder { get; set; }

        // VM ids that must be Running before this VM starts.
        public int[] DependsOn { get; set; }

        public RestartPolicyConfig Restart { get; set; }

        public SupervisionConfig Supervision { get; set; }

        // Power domain ids the VM runs on (all must be ON for it to start).
        public int[] PowerDomains { get; set; }

        // Action on supervision expiry or failure; Unspecified = default for the criticality.
        public SafeAction SafeAction { get; set; }

        // Time allowed from the start (or resume) directive to Running.
        public int StartTimeoutMs { get; set; }

        // Time allowed from the stop (or pause) directive to Stopped (or Paused).
        public int StopTimeoutMs { get; set; }

        // Started by boot orchestration when the agent first connects.
        public bool Autostart { get; set; }
    }
}
