using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Configuration
{
    // One power domain of the board descriptor.
    public sealed class PowerDomainConfig
    {
        public PowerDomainConfig()
        {
            Name = string.Empty;
            InitialState = PowerState.On;
        }

        public int Id { get; set; }

        public string Name { get; set; }

        // Domains above QM stay on in the safe state.
        public Criticality Criticality { get; set; }

        public PowerState InitialState { get; set; }

        // The domain of the Cortex-A cluster (agent and VMs); at most one.
        public bool IsACluster { get; set; }
    }
}
