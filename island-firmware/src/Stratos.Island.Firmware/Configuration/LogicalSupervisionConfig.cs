namespace Stratos.Island.Firmware.Configuration
{
    // Logical supervision: checkpoints follow a graph. A run starts at an initial checkpoint, moves
    // along configured transitions, and ends at a final checkpoint (the next one must be initial).
    public sealed class LogicalSupervisionConfig
    {
        public LogicalSupervisionConfig()
        {
            InitialCheckpoints = EmptyArrays.Ints;
            FinalCheckpoints = EmptyArrays.Ints;
            Transitions = EmptyArrays.Transitions;
        }

        public int[] InitialCheckpoints { get; set; }

        public int[] FinalCheckpoints { get; set; }

        public LogicalTransitionConfig[] Transitions { get; set; }
    }
}
