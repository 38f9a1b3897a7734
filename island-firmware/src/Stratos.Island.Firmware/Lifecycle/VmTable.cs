using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Lifecycle
{
    // The scalar state of every VmRuntime, one array per field with one row per configured VM,
    // allocated once at boot (LifecycleManager). On nanoCLR each object field is a heap block of its
    // own (12 bytes on a 32-bit MCU) while an array stores its elements at their own size, so a VM's
    // row costs about 60 bytes where 16 fields cost 16 heap blocks (docs/firmware.md, "RAM").
    // VmRuntime's properties read and write the VM's row; steady state allocates nothing.
    public sealed class VmTable
    {
        public VmTable(int capacity)
        {
            Id = new int[capacity];
            EffectiveSafeAction = new SafeAction[capacity];
            State = new VmState[capacity];
            StateSinceMs = new long[capacity];
            HasPendingDirective = new bool[capacity];
            PendingDirectiveId = new uint[capacity];
            PendingAction = new DirectiveAction[capacity];
            DirectiveDeadlineMs = new long[capacity];
            StopIsFailure = new bool[capacity];
            FailureRestartEligible = new bool[capacity];
            RestartAfterStop = new bool[capacity];
            RestartPending = new bool[capacity];
            RestartAtMs = new long[capacity];
            RestartHistoryCount = new int[capacity];
            RestartHistoryNext = new int[capacity];
            BootPending = new bool[capacity];
        }

        public int Count { get; private set; }

        // Claims the next row; more VMs than the capacity is a programming error.
        public int AddRow()
        {
            if (Count == Id.Length)
            {
                throw new System.InvalidOperationException(string.Concat("VM table full: ", Count.ToString(), " VMs"));
            }

            Count++;
            return Count - 1;
        }

        public readonly int[] Id;
        public readonly SafeAction[] EffectiveSafeAction;
        public readonly VmState[] State;
        public readonly long[] StateSinceMs;
        public readonly bool[] HasPendingDirective;
        public readonly uint[] PendingDirectiveId;
        public readonly DirectiveAction[] PendingAction;
        public readonly long[] DirectiveDeadlineMs;
        public readonly bool[] StopIsFailure;
        public readonly bool[] FailureRestartEligible;
        public readonly bool[] RestartAfterStop;
        public readonly bool[] RestartPending;
        public readonly long[] RestartAtMs;
        public readonly int[] RestartHistoryCount;
        public readonly int[] RestartHistoryNext;
        public readonly bool[] BootPending;
    }
}
