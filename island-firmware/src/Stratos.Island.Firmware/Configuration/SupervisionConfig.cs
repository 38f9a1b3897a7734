namespace Stratos.Island.Firmware.Configuration
{
    // Supervision configuration of one supervised entity (a VM, or the host agent).
    public sealed class SupervisionConfig
    {
        public SupervisionConfig()
        {
            Alive = new AliveSupervisionConfig();
            Deadlines = EmptyArrays.Deadlines;
            Logical = new LogicalSupervisionConfig();
        }

        public AliveSupervisionConfig Alive { get; set; }

        public DeadlineSupervisionConfig[] Deadlines { get; set; }

        public LogicalSupervisionConfig Logical { get; set; }

        // Failed alive reference cycles tolerated; one more makes the entity EXPIRED.
        public int FailedRefCycleTolerance { get; set; }
    }
}
