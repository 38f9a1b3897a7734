using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class AllocationTests
{
    // 32 VMs with alive, deadline and logical supervision, all running; the agent supervised too.
    internal static TestIsland Loaded(int vmCount)
    {
        var vms = new VmConfig[vmCount];
        for (int i = 0; i < vmCount; i++)
        {
            VmConfig vm = TestIsland.Vm(i + 1, "vm-" + (i + 1));
            vm.Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 4, MinMargin = 1, MaxMargin = 1, ReferenceCycles = 4 };
            vm.Supervision.Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 50 } };
            vm.Supervision.Logical = new LogicalSupervisionConfig
            {
                InitialCheckpoints = new[] { 1 },
                FinalCheckpoints = new[] { 2 },
                Transitions = new[] { new LogicalTransitionConfig(1, 2) },
            };
            vm.Supervision.FailedRefCycleTolerance = 1;
            vms[i] = vm;
        }

        IslandConfig config = TestIsland.Configure(vms);
        config.AgentSupervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 1, ReferenceCycles = 1 };
        var island = new TestIsland(config);
        for (int i = 1; i <= vmCount; i++)
        {
            island.StartRunning(i);
        }

        return island;
    }

    internal static void LoadedCycle(TestIsland island, int vmCount)
    {
        IslandCore core = island.Core;
        core.HandleAliveIndication(0, 1);
        for (uint id = 1; id <= vmCount; id++)
        {
            core.HandleAliveIndication(id, 1);
            core.HandleCheckpoint(id, 1);
            core.HandleCheckpoint(id, 2);
        }

        island.Clock.AdvanceMs(TestIsland.PeriodMs);
        core.Step();
    }

    [TestMethod]
    [Verifies("IslDsgn~steady-state-no-allocation~1")]
    public void Ten_thousand_loaded_supervision_cycles_allocate_nothing()
    {
        const int vmCount = 32;
        TestIsland island = Loaded(vmCount);
        for (int i = 0; i < 100; i++)
        {
            LoadedCycle(island, vmCount);
        }

        island.Output.Recording = false;
        int callsBefore = island.Output.Calls;
        long cyclesBefore = island.Core.Supervision.Cycles;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            LoadedCycle(island, vmCount);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated, "bytes allocated by 10,000 loaded cycles");
        Assert.AreEqual(10_000L, island.Core.Supervision.Cycles - cyclesBefore);
        Assert.AreEqual(callsBefore, island.Output.Calls, "healthy traffic changes no status");
        Assert.AreEqual(GlobalStatus.Ok, island.Core.Supervision.GlobalStatus);
        for (int i = 0; i <= vmCount; i++)
        {
            Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(i).Status, $"entity {i}");
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~steady-state-no-allocation~1")]
    public void Accepted_requests_and_reports_allocate_nothing()
    {
        TestIsland island = Loaded(4);
        void StopAndStart()
        {
            island.Request(2, VmAction.Stop);
            island.Report(2, ObservedVmState.NotRunning);
            island.Request(2, VmAction.Start);
            island.Report(2, ObservedVmState.Running);
            LoadedCycle(island, 4);
        }

        for (int i = 0; i < 50; i++)
        {
            StopAndStart();
        }

        island.Output.Recording = false;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            StopAndStart();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated, "bytes allocated by 200 accepted stop/start rounds (events logged to flash included)");
        Assert.AreEqual(VmState.Running, island.State(2));
    }
}
