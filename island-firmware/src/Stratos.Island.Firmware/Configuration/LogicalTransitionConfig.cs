namespace Stratos.Island.Firmware.Configuration
{
    // One allowed edge of a logical supervision graph.
    public sealed class LogicalTransitionConfig
    {
        public LogicalTransitionConfig()
        {
        }

        public LogicalTransitionConfig(int fromCheckpoint, int toCheckpoint)
        {
            FromCheckpoint = fromCheckpoint;
            ToCheckpoint = toCheckpoint;
        }

        public int FromCheckpoint { get; set; }

        public int ToCheckpoint { get; set; }
    }
}
