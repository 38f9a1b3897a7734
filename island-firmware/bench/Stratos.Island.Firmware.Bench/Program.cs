using System;
using System.Diagnostics;
using System.Globalization;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Bench;

// ./bench.sh supervision: cost of one supervision cycle of the island core with 64 VMs x 8
// checkpoints. Loaded cycle = the cycle's link traffic (one alive indication and 8 checkpoints per
// VM, plus the agent's alive indication) handled through IslandCore, then Step() running the
// supervision cycle. Baseline from the same run: the idle cycle, the same 64 armed entities with no
// traffic (cost must follow events, not elapsed time). Last line: JSON.
internal static class Program
{
    private const int VmCount = 64;
    private const int CheckpointsPerVm = 8;
    private const int PeriodMs = 10;
    private const int WarmupCycles = 20_000;
    private const int MeasuredCycles = 50_000;

    private static int Main()
    {
        var clock = new BenchClock();
        var output = new BenchOutput();
        var hardware = new BenchHardware();
        IslandCore core = Build(clock, output, hardware);

        Measure(core, clock, loaded: true, WarmupCycles, out _);
        Measure(core, clock, loaded: false, WarmupCycles, out _);
        int callsBefore = output.Calls;
        double[] loaded = Measure(core, clock, loaded: true, MeasuredCycles, out long loadedAlloc);
        double[] idle = Measure(core, clock, loaded: false, MeasuredCycles, out long idleAlloc);
        if (output.Calls != callsBefore || core.Supervision.GlobalStatus != GlobalStatus.Ok)
        {
            Console.Error.WriteLine("bench: supervision changed status during the run; the scenario is wrong");
            return 1;
        }

        Array.Sort(loaded);
        Array.Sort(idle);
        double loadedP50 = Percentile(loaded, 0.50), loadedP99 = Percentile(loaded, 0.99);
        double idleP50 = Percentile(idle, 0.50), idleP99 = Percentile(idle, 0.99);
        double allocPerCycle = (double)loadedAlloc / MeasuredCycles;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"supervision: {VmCount} VMs x {CheckpointsPerVm} checkpoints, {MeasuredCycles} cycles each");
        Console.WriteLine(string.Format(inv, "  loaded cycle (alive + {0} checkpoints per VM): p50 {1:F2} us, p99 {2:F2} us, {3:F1} B/cycle",
            CheckpointsPerVm, loadedP50, loadedP99, allocPerCycle));
        Console.WriteLine(string.Format(inv, "  idle cycle (same entities, no traffic, baseline): p50 {0:F2} us, p99 {1:F2} us, {2:F1} B/cycle",
            idleP50, idleP99, (double)idleAlloc / MeasuredCycles));
        Console.WriteLine(string.Format(inv, "  loaded/idle p50 ratio: {0:F1}x ({1} events per loaded cycle)", loadedP50 / idleP50, VmCount * (CheckpointsPerVm + 1) + 1));
        Console.WriteLine(string.Format(inv, "{{\"bench\":\"supervision\",\"vms\":{0},\"cycle_us_p50\":{1:F2},\"cycle_us_p99\":{2:F2},\"alloc_bytes_per_cycle\":{3:F1}}}",
            VmCount, loadedP50, loadedP99, allocPerCycle));
        return 0;
    }

    private static IslandCore Build(BenchClock clock, BenchOutput output, BenchHardware hardware)
    {
        var config = new IslandConfig();
        config.Limits.MaxVms = VmCount;
        config.Limits.SupervisionCyclePeriodMs = PeriodMs;
        config.PowerDomains = new[] { new PowerDomainConfig { Id = 0, Name = "a-cluster", IsACluster = true } };
        config.AgentSupervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 4, MinMargin = 4, MaxMargin = 4, ReferenceCycles = 4 };
        var vms = new VmConfig[VmCount];
        for (int i = 0; i < VmCount; i++)
        {
            var vm = new VmConfig { Id = i + 1, Name = "vm-" + (i + 1), BootOrder = i, PowerDomains = new[] { 0 } };
            // Idle-tolerant alive window: 0..8 indications per 4 cycles; the loaded run sends 4.
            vm.Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 4, MinMargin = 4, MaxMargin = 4, ReferenceCycles = 4 };
            var deadlines = new DeadlineSupervisionConfig[CheckpointsPerVm / 2];
            var transitions = new LogicalTransitionConfig[CheckpointsPerVm - 1];
            for (int k = 0; k < deadlines.Length; k++)
            {
                deadlines[k] = new DeadlineSupervisionConfig { StartCheckpoint = 2 * k, EndCheckpoint = (2 * k) + 1, MinMs = 0, MaxMs = 100 };
            }

            for (int k = 0; k < transitions.Length; k++)
            {
                transitions[k] = new LogicalTransitionConfig(k, k + 1);
            }

            vm.Supervision.Deadlines = deadlines;
            vm.Supervision.Logical = new LogicalSupervisionConfig
            {
                InitialCheckpoints = new[] { 0 },
                FinalCheckpoints = new[] { CheckpointsPerVm - 1 },
                Transitions = transitions,
            };
            vms[i] = vm;
        }

        config.Vms = vms;
        var core = new IslandCore(config, clock, new BenchFlash(4096, 16), hardware, hardware, hardware, hardware, output, ResetReason.PowerOn);
        core.HandleAgentConnected();
        for (uint id = 1; id <= VmCount; id++)
        {
            core.HandleVmRequest(id, id, VmAction.Start, "bench");
            core.HandleVmStateReport(id, ObservedVmState.Running, output.LastDirectiveId, 0, string.Empty);
        }

        return core;
    }

    // Per-cycle wall time in microseconds.
    private static double[] Measure(IslandCore core, BenchClock clock, bool loaded, int cycles, out long allocatedBytes)
    {
        var samples = new double[cycles];
        double usPerTick = 1_000_000.0 / Stopwatch.Frequency;
        long allocBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int c = 0; c < cycles; c++)
        {
            clock.NowUs += PeriodMs * 1000;
            long start = Stopwatch.GetTimestamp();
            if (loaded)
            {
                core.HandleAliveIndication(0, 1);
                for (uint id = 1; id <= VmCount; id++)
                {
                    core.HandleAliveIndication(id, 1);
                    for (uint cp = 0; cp < CheckpointsPerVm; cp++)
                    {
                        core.HandleCheckpoint(id, cp);
                    }
                }
            }

            core.Step();
            samples[c] = (Stopwatch.GetTimestamp() - start) * usPerTick;
        }

        allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
        return samples;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
