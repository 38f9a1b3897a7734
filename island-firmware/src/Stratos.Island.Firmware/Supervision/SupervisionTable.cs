using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Supervision
{
    // The scalar state of every SupervisedEntity, one array per field with one row per entity,
    // allocated once at boot for the configured number of entities (IslandCore: the agent + every
    // VM). On nanoCLR an object's every field is a heap block of its own (12 bytes on a 32-bit MCU,
    // 24 on a 64-bit host) while an array stores its elements at their own size, so a row here costs
    // about 90 bytes where an object with these fields cost about 30 heap blocks (docs/firmware.md,
    // "RAM"). Only SupervisedEntity reads and writes it; steady state allocates nothing.
    public sealed class SupervisionTable
    {
        public SupervisionTable(int capacity)
        {
            EntityId = new int[capacity];
            AliveExpected = new int[capacity];
            AliveMinMargin = new int[capacity];
            AliveMaxMargin = new int[capacity];
            AliveReferenceCycles = new int[capacity];
            FailedRefCycleTolerance = new int[capacity];
            DeadlineCount = new int[capacity];
            OpenDeadlines = new int[capacity];
            CheckpointLimit = new int[capacity];
            LogicalLastCheckpoint = new int[capacity];
            AliveCount = new int[capacity];
            CyclesInReference = new int[capacity];
            FailedRefCycles = new int[capacity];
            DeadlineViolations = new int[capacity];
            LogicalViolations = new int[capacity];
            LogicalEnabled = new bool[capacity];
            LogicalRunActive = new bool[capacity];
            DeadlineFailed = new bool[capacity];
            LogicalFailed = new bool[capacity];
            LogicalMembers = new ulong[capacity];
            LogicalInitial = new ulong[capacity];
            LogicalFinal = new ulong[capacity];
            Status = new LocalStatus[capacity];
        }

        public int Capacity
        {
            get { return EntityId.Length; }
        }

        public int Count { get; private set; }

        // Claims the next row; more entities than the capacity is a programming error.
        public int AddRow()
        {
            if (Count == EntityId.Length)
            {
                throw new System.InvalidOperationException(string.Concat("supervision table full: ", Count.ToString(), " entities"));
            }

            Count++;
            return Count - 1;
        }

        // Configuration (set once).
        public readonly int[] EntityId;
        public readonly int[] AliveExpected;
        public readonly int[] AliveMinMargin;
        public readonly int[] AliveMaxMargin;
        public readonly int[] AliveReferenceCycles;
        public readonly int[] FailedRefCycleTolerance;
        public readonly int[] DeadlineCount;
        public readonly int[] CheckpointLimit;
        public readonly bool[] LogicalEnabled;
        public readonly ulong[] LogicalMembers;
        public readonly ulong[] LogicalInitial;
        public readonly ulong[] LogicalFinal;

        // State.
        public readonly LocalStatus[] Status;
        public readonly int[] OpenDeadlines;
        public readonly int[] LogicalLastCheckpoint;
        public readonly int[] AliveCount;
        public readonly int[] CyclesInReference;
        public readonly int[] FailedRefCycles;
        public readonly int[] DeadlineViolations;
        public readonly int[] LogicalViolations;
        public readonly bool[] LogicalRunActive;
        public readonly bool[] DeadlineFailed;
        public readonly bool[] LogicalFailed;
    }
}
