using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware
{
    // One shared zero-length array per element type. On nanoCLR every `new T[0]` is a heap block of
    // its own; a VM without dependencies, deadlines or logical supervision would otherwise carry a
    // handful of them (docs/firmware.md, "RAM"). Zero-length arrays cannot be written, so sharing
    // them is safe.
    public static class EmptyArrays
    {
        public static readonly int[] Ints = new int[0];
        public static readonly long[] Longs = new long[0];
        public static readonly ulong[] ULongs = new ulong[0];
        public static readonly bool[] Bools = new bool[0];
        public static readonly VmRuntime[] Vms = new VmRuntime[0];
        public static readonly DeadlineSupervisionConfig[] Deadlines = new DeadlineSupervisionConfig[0];
        public static readonly LogicalTransitionConfig[] Transitions = new LogicalTransitionConfig[0];
    }
}
