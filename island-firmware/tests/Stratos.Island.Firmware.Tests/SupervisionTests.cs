using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class SupervisionTests
{
    private static SupervisedEntity Alive(int expected, int minMargin, int maxMargin, int referenceCycles, int tolerance = 0)
    {
        var config = new SupervisionConfig
        {
            Alive = new AliveSupervisionConfig { ExpectedIndications = expected, MinMargin = minMargin, MaxMargin = maxMargin, ReferenceCycles = referenceCycles },
            FailedRefCycleTolerance = tolerance,
        };
        var e = new SupervisedEntity(1, config, 16);
        e.Activate();
        return e;
    }

    private static SupervisedEntity Deadline(int minMs, int maxMs)
    {
        var config = new SupervisionConfig
        {
            Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = minMs, MaxMs = maxMs } },
        };
        var e = new SupervisedEntity(1, config, 16);
        e.Activate();
        return e;
    }

    private static SupervisedEntity Logical()
    {
        // 1 -> 2 -> 3 (final), 2 -> 4 -> 3; initial 1.
        var config = new SupervisionConfig
        {
            Logical = new LogicalSupervisionConfig
            {
                InitialCheckpoints = new[] { 1 },
                FinalCheckpoints = new[] { 3 },
                Transitions = new[]
                {
                    new LogicalTransitionConfig(1, 2), new LogicalTransitionConfig(2, 3),
                    new LogicalTransitionConfig(2, 4), new LogicalTransitionConfig(4, 3),
                },
            },
        };
        var e = new SupervisedEntity(1, config, 16);
        e.Activate();
        return e;
    }

    // Runs one reference cycle of `cycles` supervision cycles with `count` indications in the first.
    private static LocalStatus ReferenceCycle(SupervisedEntity e, int count, int cycles, ref long t)
    {
        e.RecordAlive(count);
        LocalStatus s = LocalStatus.Unspecified;
        for (int i = 0; i < cycles; i++)
        {
            t += 10;
            s = e.EvaluateCycle(t);
        }

        return s;
    }

    [TestMethod]
    [DataRow(3, LocalStatus.Ok)]
    [DataRow(2, LocalStatus.Ok)]
    [DataRow(1, LocalStatus.Expired)]
    [DataRow(5, LocalStatus.Ok)]
    [DataRow(6, LocalStatus.Ok)]
    [DataRow(7, LocalStatus.Expired)]
    [Verifies("IslDsgn~alive-count~1")]
    public void Alive_count_passes_exactly_within_the_margins(int count, LocalStatus expected)
    {
        // expected 4, min margin 2, max margin 2: [2, 6] passes.
        SupervisedEntity e = Alive(4, 2, 2, 1);
        long t = 0;
        Assert.AreEqual(expected, ReferenceCycle(e, count, 1, ref t));
    }

    [TestMethod]
    [Verifies("IslDsgn~alive-count~1")]
    public void Alive_is_evaluated_only_at_the_end_of_the_reference_cycle()
    {
        SupervisedEntity e = Alive(3, 0, 0, 5);
        long t = 0;
        e.RecordAlive(1);
        for (int i = 0; i < 4; i++)
        {
            t += 10;
            Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(t), $"cycle {i + 1} is inside the reference cycle");
            e.RecordAlive(i < 2 ? 1 : 0);
        }

        t += 10;
        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(t), "3 indications over the 5-cycle reference cycle");
        Assert.AreEqual(0, e.AliveCount, "the count restarts with the next reference cycle");
        Assert.AreEqual(LocalStatus.Expired, ReferenceCycle(e, 2, 5, ref t));
    }

    [TestMethod]
    [Verifies("IslDsgn~local-status~1")]
    public void Failed_reference_cycles_become_expired_only_beyond_the_tolerance()
    {
        SupervisedEntity e = Alive(2, 0, 0, 1, tolerance: 2);
        long t = 0;
        Assert.AreEqual(LocalStatus.Failed, ReferenceCycle(e, 0, 1, ref t));
        Assert.AreEqual(1, e.FailedRefCycles);
        Assert.AreEqual(LocalStatus.Failed, ReferenceCycle(e, 0, 1, ref t));
        Assert.AreEqual(2, e.FailedRefCycles);
        Assert.AreEqual(LocalStatus.Expired, ReferenceCycle(e, 0, 1, ref t), "the third failed cycle is more than 2");
        Assert.AreEqual(LocalStatus.Expired, ReferenceCycle(e, 2, 1, ref t), "EXPIRED is terminal until deactivation");
    }

    [TestMethod]
    [Verifies("IslDsgn~local-status~1")]
    public void Failed_returns_to_ok_after_as_many_correct_reference_cycles_as_failed_ones()
    {
        SupervisedEntity e = Alive(2, 0, 0, 2, tolerance: 3);
        long t = 0;
        Assert.AreEqual(LocalStatus.Failed, ReferenceCycle(e, 0, 2, ref t));
        Assert.AreEqual(LocalStatus.Failed, ReferenceCycle(e, 5, 2, ref t));
        Assert.AreEqual(2, e.FailedRefCycles);
        Assert.AreEqual(LocalStatus.Failed, ReferenceCycle(e, 2, 2, ref t));
        Assert.AreEqual(1, e.FailedRefCycles);
        Assert.AreEqual(LocalStatus.Ok, ReferenceCycle(e, 2, 2, ref t));
        Assert.AreEqual(0, e.FailedRefCycles);
    }

    [TestMethod]
    [Verifies("IslDsgn~local-status~1")]
    public void Tolerance_zero_expires_on_the_first_failed_reference_cycle()
    {
        SupervisedEntity e = Alive(1, 0, 0, 1, tolerance: 0);
        long t = 0;
        Assert.AreEqual(LocalStatus.Expired, ReferenceCycle(e, 0, 1, ref t));
    }

    [TestMethod]
    [DataRow(20, LocalStatus.Ok)]
    [DataRow(19, LocalStatus.Expired)]
    [DataRow(50, LocalStatus.Ok)]
    [DataRow(51, LocalStatus.Expired)]
    [Verifies("IslDsgn~deadline~1")]
    public void Deadline_passes_exactly_at_min_and_max(int elapsedMs, LocalStatus expected)
    {
        SupervisedEntity e = Deadline(20, 50);
        e.RecordCheckpoint(1, 1000);
        e.RecordCheckpoint(2, 1000 + elapsedMs);
        Assert.AreEqual(expected, e.EvaluateCycle(1000 + elapsedMs));
    }

    [TestMethod]
    [Verifies("IslDsgn~deadline~1")]
    public void A_missing_end_checkpoint_fails_in_the_cycle_in_which_max_elapses()
    {
        SupervisedEntity e = Deadline(0, 50);
        e.RecordCheckpoint(1, 1000);
        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(1040));
        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(1050), "exactly max is still in time");
        Assert.AreEqual(LocalStatus.Expired, e.EvaluateCycle(1060), "detected without the end checkpoint");
        Assert.AreEqual(1, e.DeadlineViolations);
    }

    [TestMethod]
    [Verifies("IslDsgn~deadline~1")]
    public void An_end_checkpoint_without_a_start_is_not_a_deadline_violation()
    {
        SupervisedEntity e = Deadline(0, 50);
        e.RecordCheckpoint(2, 1000);
        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(1010));
        Assert.AreEqual(0, e.DeadlineViolations);
    }

    [TestMethod]
    [Verifies("IslDsgn~logical~1")]
    public void Logical_supervision_accepts_every_path_of_the_graph_repeatedly()
    {
        SupervisedEntity e = Logical();
        foreach (int cp in new[] { 1, 2, 3, 1, 2, 4, 3, 1 })
        {
            e.RecordCheckpoint(cp, 0);
        }

        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(10));
        Assert.AreEqual(0, e.LogicalViolations);
    }

    [TestMethod]
    [Verifies("IslDsgn~logical~1")]
    public void Logical_supervision_expires_on_a_wrong_initial_checkpoint()
    {
        SupervisedEntity e = Logical();
        e.RecordCheckpoint(2, 0);
        Assert.AreEqual(LocalStatus.Expired, e.EvaluateCycle(10));
        Assert.AreEqual(1, e.LogicalViolations);
    }

    [TestMethod]
    [Verifies("IslDsgn~logical~1")]
    public void Logical_supervision_expires_on_a_wrong_order()
    {
        SupervisedEntity e = Logical();
        e.RecordCheckpoint(1, 0);
        e.RecordCheckpoint(3, 0);
        Assert.AreEqual(LocalStatus.Expired, e.EvaluateCycle(10));
    }

    [TestMethod]
    [Verifies("IslDsgn~logical~1")]
    public void After_a_final_checkpoint_the_next_one_must_be_initial()
    {
        SupervisedEntity e = Logical();
        foreach (int cp in new[] { 1, 2, 3, 2 })
        {
            e.RecordCheckpoint(cp, 0);
        }

        Assert.AreEqual(LocalStatus.Expired, e.EvaluateCycle(10));
    }

    [TestMethod]
    [Verifies("IslDsgn~logical~1")]
    public void Checkpoints_outside_the_graph_are_ignored_and_out_of_range_ids_are_rejected()
    {
        SupervisedEntity e = Logical();
        Assert.IsTrue(e.RecordCheckpoint(9, 0));
        Assert.IsFalse(e.RecordCheckpoint(16, 0));
        Assert.IsFalse(e.RecordCheckpoint(-1, 0));
        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(10));
    }

    [TestMethod]
    [Verifies("IslDsgn~local-status~1")]
    public void Deactivated_entities_ignore_traffic_and_restart_clean()
    {
        SupervisedEntity e = Alive(1, 0, 0, 1);
        e.Deactivate();
        e.RecordAlive(50);
        Assert.AreEqual(LocalStatus.Deactivated, e.EvaluateCycle(10));
        e.Activate();
        Assert.AreEqual(0, e.AliveCount);
        e.RecordAlive(1);
        Assert.AreEqual(LocalStatus.Ok, e.EvaluateCycle(20));
    }

    private sealed class Listener : ISupervisionListener
    {
        public readonly System.Collections.Generic.List<GlobalStatus> Globals = new();

        public void OnLocalStatusChanged(SupervisedEntity entity, LocalStatus previous)
        {
        }

        public void OnGlobalStatusChanged(GlobalStatus previous, GlobalStatus current) => Globals.Add(current);
    }

    private static (SupervisionManager, Listener) Manager(int expiredTolerance, int failedTolerance)
    {
        var limits = new IslandLimits { MaxVms = 4, ExpiredSupervisionCycleTolerance = expiredTolerance };
        var m = new SupervisionManager(limits);
        var listener = new Listener();
        m.SetListener(listener);
        for (int id = 1; id <= 2; id++)
        {
            var config = new SupervisionConfig
            {
                Alive = new AliveSupervisionConfig { ExpectedIndications = 1, ReferenceCycles = 1 },
                FailedRefCycleTolerance = failedTolerance,
            };
            m.AddEntity(new SupervisedEntity(id, config, 16), true);
            m.Activate(id);
        }

        return (m, listener);
    }

    [TestMethod]
    [Verifies("IslDsgn~global-status~1")]
    public void Global_status_follows_failed_then_ok_again()
    {
        var (m, listener) = Manager(expiredTolerance: 3, failedTolerance: 1);
        m.RecordAlive(1, 1);
        m.RunCycle(10);
        Assert.AreEqual(GlobalStatus.Failed, m.GlobalStatus, "entity 2 sent nothing");
        m.RecordAlive(1, 1);
        m.RecordAlive(2, 1);
        m.RunCycle(20);
        Assert.AreEqual(GlobalStatus.Ok, m.GlobalStatus);
        CollectionAssert.AreEqual(new[] { GlobalStatus.Failed, GlobalStatus.Ok }, listener.Globals);
    }

    [TestMethod]
    [Verifies("IslDsgn~global-status~1")]
    public void Global_status_becomes_stopped_after_more_than_the_expired_tolerance()
    {
        var (m, listener) = Manager(expiredTolerance: 2, failedTolerance: 0);
        m.RecordAlive(1, 1);
        m.RunCycle(10);
        Assert.AreEqual(GlobalStatus.Expired, m.GlobalStatus);
        Assert.AreEqual(1, m.ExpiredCycles);
        m.RunCycle(20);
        Assert.AreEqual(GlobalStatus.Expired, m.GlobalStatus);
        m.RunCycle(30);
        Assert.AreEqual(GlobalStatus.Stopped, m.GlobalStatus, "the third cycle in EXPIRED is more than 2");
        m.Deactivate(1);
        m.Deactivate(2);
        m.RunCycle(40);
        Assert.AreEqual(GlobalStatus.Stopped, m.GlobalStatus, "STOPPED is terminal");
        CollectionAssert.AreEqual(new[] { GlobalStatus.Expired, GlobalStatus.Stopped }, listener.Globals);
    }

    [TestMethod]
    [Verifies("IslDsgn~global-status~1")]
    public void Expired_tolerance_zero_stops_in_the_first_expired_cycle()
    {
        var (m, _) = Manager(expiredTolerance: 0, failedTolerance: 0);
        m.RunCycle(10);
        Assert.AreEqual(GlobalStatus.Stopped, m.GlobalStatus);
    }

    [TestMethod]
    [Verifies("IslDsgn~global-status~1")]
    public void Global_expired_recovers_when_the_expired_entity_is_taken_down()
    {
        var (m, _) = Manager(expiredTolerance: 5, failedTolerance: 0);
        m.RecordAlive(2, 1);
        m.RunCycle(10);
        Assert.AreEqual(GlobalStatus.Expired, m.GlobalStatus);
        m.Deactivate(1);
        m.RecordAlive(2, 1);
        m.RunCycle(20);
        Assert.AreEqual(GlobalStatus.Ok, m.GlobalStatus);
        Assert.AreEqual(0, m.ExpiredCycles);
    }

    [TestMethod]
    [Verifies("IslDsgn~global-status~1")]
    public void Report_only_entities_do_not_count_for_the_global_status()
    {
        var m = new SupervisionManager(new IslandLimits { MaxVms = 2 });
        var config = new SupervisionConfig { Alive = new AliveSupervisionConfig { ExpectedIndications = 1, ReferenceCycles = 1 } };
        m.AddEntity(new SupervisedEntity(1, config, 16), countsForGlobal: false);
        m.Activate(1);
        m.RunCycle(10);
        Assert.AreEqual(LocalStatus.Expired, m.Find(1).Status);
        Assert.AreEqual(GlobalStatus.Ok, m.GlobalStatus);
    }

    [TestMethod]
    [Verifies("IslDsgn~alive-count~1")]
    public void Unknown_entities_and_zero_counts_are_reported_as_errors()
    {
        var (m, _) = Manager(1, 1);
        Assert.AreEqual(ErrorCode.NotFound, m.RecordAlive(3, 1));
        Assert.AreEqual(ErrorCode.NotFound, m.RecordCheckpoint(9, 1, 0));
        Assert.AreEqual(ErrorCode.InvalidArgument, m.RecordAlive(1, 0));
        Assert.AreEqual(ErrorCode.InvalidArgument, m.RecordCheckpoint(1, 99, 0));
    }
}
