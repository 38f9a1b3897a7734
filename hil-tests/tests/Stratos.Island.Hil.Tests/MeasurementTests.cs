using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Hil.Tests;

[TestClass]
public sealed class MeasurementTests
{
    private static (BoardDescriptor Board, IslandConfig Config) Virtual()
    {
        string boards = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);
        var board = BoardLoader.LoadById(boards, "virtual");
        return (board, IslandConfigLoader.Load(Path.Combine(boards, "virtual", IslandConfigLoader.ConfigFileName), board));
    }

    private static VmDefinition Vm(string name) => Virtual().Config.Vms.Single(v => v.Name == name);

    [TestMethod]
    public void Bounds_of_the_virtual_base_vm_follow_its_supervision_config()
    {
        var vm = Vm("base");
        uint cycle = Virtual().Board.Island.SupervisionCycleMs;
        Assert.AreEqual(10u, cycle);
        // Alive: window 100 cycles = 1000 ms, carry-over 1000 * min_margin 3 / 10 = 300, one cycle 10.
        Assert.AreEqual(3u, vm.Supervision.Alive.MinMargin);
        Assert.AreEqual(1310.0, DetectionBound.For(vm, SupervisionKind.Alive, true, cycle, 100, 0).BoundMs, 1e-9);
        Assert.AreEqual(2010.0, DetectionBound.For(vm, SupervisionKind.Alive, false, cycle, 100, 0).BoundMs, 1e-9);
        // Deadline: period 100 + max 200 + cycle 10 (+ slack 40).
        Assert.AreEqual(350.0, DetectionBound.For(vm, SupervisionKind.Deadline, true, cycle, 100, 40).BoundMs, 1e-9);
        Assert.AreEqual(110.0, DetectionBound.For(vm, SupervisionKind.Logical, true, cycle, 100, 0).BoundMs, 1e-9);
    }

    [TestMethod]
    public void Soak_config_defines_eight_alive_supervised_vms_that_restart()
    {
        var (board, _) = Virtual();
        string boards = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);
        var soak = IslandConfigLoader.Load(Path.Combine(boards, "virtual", "soak-vms.yaml"), board);
        Assert.AreEqual(8, soak.Vms.Count);
        foreach (var vm in soak.Vms)
        {
            Assert.AreEqual(SafeAction.RestartVm, vm.SafeAction, vm.Name);
            Assert.IsNotNull(vm.Supervision.Alive, vm.Name);
            Assert.AreEqual(16u, vm.Restart.MaxRestarts, vm.Name);
            Assert.AreEqual(1000u, vm.Restart.WindowMs, vm.Name);
            // A hang is detected within 1.4 s plus slack on every soak VM.
            Assert.AreEqual(1310.0, DetectionBound.For(vm, SupervisionKind.Alive, true, board.Island.SupervisionCycleMs, 100, 0).BoundMs, 1e-9);
        }
    }

    [TestMethod]
    public void A_bound_for_a_supervision_the_vm_does_not_have_is_refused_naming_the_vm()
    {
        var web = Vm("web");
        var e = Assert.ThrowsExactly<ArgumentException>(() => DetectionBound.For(web, SupervisionKind.Deadline, true, 10, 100, 0));
        StringAssert.Contains(e.Message, "VM 'web': no deadline supervision");
    }

    [TestMethod]
    public void Detection_beyond_its_bound_fails_and_names_fault_latency_and_bound()
    {
        var late = new FaultMeasurement { Vm = "base", Fault = FaultKind.GuestHang, Supervision = SupervisionKind.Alive, InjectedMs = 1000, DetectedMs = 2300, BoundMs = 1210, BoundRationale = "r" };
        StringAssert.Contains(late.Violation(), "detection latency 1300.0 ms exceeds the bound 1210.0 ms");
        Assert.IsFalse(late.DetectedWithinBound);
        var onTime = late with { DetectedMs = 2210 };
        Assert.IsNull(onTime.Violation());
        Assert.IsTrue(onTime.DetectedWithinBound);
        StringAssert.Contains((late with { DetectedMs = null }).Violation(), "never detected");
    }

    [TestMethod]
    public void Island_clock_offset_is_the_smallest_delivery_sample_and_restarts_with_a_new_boot()
    {
        var mapping = new IslandClockMapping();
        mapping.Observe(1, 1_000_000, 5_030); // offset sample 4030
        mapping.Observe(1, 2_000_000, 6_010); // 4010, the best
        mapping.Observe(1, 3_000_000, 7_200); // 4200
        Assert.AreEqual(4_010 + 2_500.0, mapping.ToHostMs(2_500_000), 1e-9);
        mapping.Observe(2, 100_000, 9_000);   // island rebooted: its clock restarted
        Assert.AreEqual(8_900 + 50.0, mapping.ToHostMs(50_000), 1e-9);
    }

    [TestMethod]
    public void Recorder_maps_each_boot_separately_and_reports_sequence_gaps()
    {
        var recorder = new EventRecorder(new RunClock());
        recorder.Add(RecordedRuns.Ev(1, 0, EventType.IslandBoot, "", 1, boot: 1), 100);
        recorder.Add(RecordedRuns.Ev(2, 50, EventType.LinkUp, "", 7, boot: 1), 151);
        recorder.Add(RecordedRuns.Ev(3, 0, EventType.IslandBoot, "", 2, boot: 2), 900);
        recorder.Add(RecordedRuns.Ev(5, 20, EventType.LinkUp, "", 7, boot: 2), 921);
        var events = recorder.Snapshot();
        Assert.AreEqual(150.0, events[1].TimeMs, 1e-9);
        Assert.AreEqual(920.0, events[3].TimeMs, 1e-9);
        var gaps = recorder.SequenceGaps();
        Assert.AreEqual(1, gaps.Count);
        Assert.AreEqual((3u, 5u), gaps[0]);
    }

    [TestMethod]
    public void Fault_measurer_ignores_events_before_the_injection_and_takes_the_first_recovery()
    {
        var events = RecordedRuns.HangEvents().ToList();
        events.Insert(0, new IslandEvent(RecordedRuns.Ev(9, 500, EventType.SupervisionStatus, "base", (int)LocalStatus.Failed), 501) { TimeMs = 500 });
        var probe = new FaultProbe { Vm = "base", Fault = FaultKind.GuestHang, Supervision = SupervisionKind.Alive };
        var m = FaultMeasurer.Measure(probe, 1000, events, new[] { 900.0, 2500.0, 3000.0 });
        Assert.AreEqual(2150.0, m.DetectedMs);
        Assert.AreEqual(2160.0, m.ActionMs);
        Assert.AreEqual(2500.0, m.RecoveredMs, "the first heartbeat after the action comes before Running");
        var none = FaultMeasurer.Measure(probe with { Vm = "web" }, 1000, events);
        Assert.IsNull(none.DetectedMs);
        Assert.IsNull(none.RecoveredMs);
    }

    [TestMethod]
    public void Event_sequence_matches_in_order_with_other_events_between()
    {
        var seq = EventSequence.Expect(EventMatch.SupervisionFault("base"))
            .Then(EventMatch.Escalation("base", SafeAction.RestartVm))
            .Then(EventMatch.VmState("base", VmState.Running));
        var match = seq.Match(RecordedRuns.HangEvents(), 1000, TimeSpan.FromSeconds(3));
        Assert.IsTrue(match.Success, match.Failure);
        Assert.AreEqual("10,11,14", string.Join(",", match.Matched.Select(m => m.Sequence)));
    }

    [TestMethod]
    public void Event_sequence_out_of_order_fails_naming_the_missing_step()
    {
        var seq = EventSequence.Expect(EventMatch.VmState("base", VmState.Running))
            .Then(EventMatch.SupervisionFault("base"));
        var match = seq.Match(RecordedRuns.HangEvents(), 1000, TimeSpan.FromSeconds(3));
        Assert.IsFalse(match.Success);
        StringAssert.Contains(match.Failure, "expected supervision of 'base' FAILED or EXPIRED (step 2 of 2)");
    }

    [TestMethod]
    public void Event_sequence_completed_too_late_fails_with_the_time()
    {
        var seq = EventSequence.Expect(EventMatch.SupervisionFault("base")).Then(EventMatch.VmState("base", VmState.Running));
        var match = seq.Match(RecordedRuns.HangEvents(), 1000, TimeSpan.FromMilliseconds(1500));
        Assert.IsFalse(match.Success);
        StringAssert.Contains(match.Failure, "came at 1900.0 ms, later than the 1500 ms allowed");
    }

    [TestMethod]
    public void Soak_plan_is_reproducible_from_its_seed_and_spaces_faults_per_vm()
    {
        string[] vms = Enumerable.Range(1, 8).Select(i => "vm" + i).ToArray();
        var kinds = new[] { FaultKind.GuestHang, FaultKind.GuestCrash, FaultKind.GuestReorderCheckpoints };
        var a = SoakPlanOf(42);
        Assert.AreEqual(string.Join(";", a), string.Join(";", SoakPlanOf(42)));
        Assert.AreNotEqual(string.Join(";", a), string.Join(";", SoakPlanOf(43)));
        Assert.AreEqual(100, a.Count);
        foreach (var group in a.GroupBy(s => s.Vm))
        {
            var times = group.Select(s => s.AtMs).ToList();
            for (int i = 1; i < times.Count; i++)
                Assert.IsGreaterThanOrEqualTo(3000.0, times[i] - times[i - 1]);
        }

        System.Collections.Generic.IReadOnlyList<Soak.SoakStep> SoakPlanOf(int seed) => Soak.SoakPlan.Generate(seed, 100, vms, kinds, 3000);
    }
}
