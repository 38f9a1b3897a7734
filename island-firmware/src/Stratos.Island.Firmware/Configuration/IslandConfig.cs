namespace Stratos.Island.Firmware.Configuration
{
    // Everything the island core is built from: limits, VMs, power domains, and the supervision of
    // the host agent itself (entity 0; its alive indications arrive over the link).
    public sealed class IslandConfig
    {
        public IslandConfig()
        {
            Limits = new IslandLimits();
            Vms = new VmConfig[0];
            PowerDomains = new PowerDomainConfig[0];
            AgentSupervision = new SupervisionConfig();
        }

        public IslandLimits Limits { get; set; }

        public VmConfig[] Vms { get; set; }

        public PowerDomainConfig[] PowerDomains { get; set; }

        public SupervisionConfig AgentSupervision { get; set; }
    }
}
