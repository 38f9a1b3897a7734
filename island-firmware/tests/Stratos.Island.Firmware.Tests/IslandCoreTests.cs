using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Firmware.Scenario;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class IslandCoreTests
{
    [TestMethod]
    [Verifies("IslDsgn~event-log-boot~1")]
    public void Each_boot_logs_an_island_boot_event_and_increments_the_boot_count()
    {
        var flash = new ScenarioFlash(256, 8);
        var first = new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web")), flash);
        Assert.AreEqual(1u, first.Core.BootCount);
        PushedEvent boot = first.Output.EventsOf(EventType.IslandBoot).Single();
        Assert.AreEqual((int)ResetReason.PowerOn, boot.Value);
        Assert.AreEqual(1u, boot.Sequence);
        first.StartRunning(1);

        var second = new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web")), flash);
        Assert.AreEqual(2u, second.Core.BootCount);
        Assert.IsTrue(second.Output.EventsOf(EventType.IslandBoot).Single().Sequence > 3, "the log continues across boots");
    }

    [TestMethod]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Ring_resets_are_logged_as_link_errors_at_most_once_a_second_with_the_ones_in_between_counted()
    {
        var island = new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web")));

        island.Core.RecordLinkRingReset("ring reset: first");
        for (int i = 0; i < 5; i++)
        {
            island.Clock.AdvanceMs(100);
            island.Core.RecordLinkRingReset("ring reset: burst " + i);
        }

        island.Clock.AdvanceMs(IslandCore.RingResetEventIntervalMs);
        island.Core.RecordLinkRingReset("ring reset: later");

        var logged = island.Output.EventsOf(EventType.LinkError).ToList();
        Assert.AreEqual(2, logged.Count, string.Join(" | ", logged.Select(e => e.Detail)));
        Assert.AreEqual("ring reset: first", logged[0].Detail);
        Assert.AreEqual("(+5) ring reset: later", logged[1].Detail);
        Assert.IsTrue(logged.All(e => e.Value == (int)ErrorCode.Malformed));
    }

    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public void Log_read_pages_through_committed_records()
    {
        var island = new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web")));
        island.StartRunning(1);
        uint next = island.Core.Log.NextSequence;
        Assert.IsTrue(next > 4, "boot, state changes and supervision events were logged");

        island.Core.HandleLogRead(9, 0, 2);
        Assert.AreEqual(2, island.Output.LogRecords.Count);
        Assert.AreEqual(1u, island.Output.LogRecords[0].Sequence, "from 0 is clamped to the oldest stored");
        Assert.AreEqual(EventType.IslandBoot, island.Output.LogRecords[0].Type);
        Assert.AreEqual((1u, 3u, true), island.Output.LogEnds[^1]);

        island.Core.HandleLogRead(9, 5000, 0);
        Assert.AreEqual(2, island.Output.LogRecords.Count, "nothing beyond the end");
        Assert.AreEqual((1u, next, true), island.Output.LogEnds[^1], "a read past the end is clamped to the next sequence");

        island.Core.HandleLogRead(9, 3, 0);
        Assert.AreEqual((int)next - 1, island.Output.LogRecords.Count);
        Assert.AreEqual((1u, next, true), island.Output.LogEnds[^1]);
        CollectionAssert.AreEqual(
            island.Output.Events.Select(e => e.Sequence).ToArray(),
            island.Output.LogRecords.Select(r => r.Sequence).ToArray(),
            "what was pushed is what was stored");
    }

    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public void Log_read_stops_at_the_per_call_budget()
    {
        IslandConfig config = TestIsland.Configure(TestIsland.Vm(1, "web"));
        config.Limits.LogReadMaxRecordsPerCall = 2;
        var island = new TestIsland(config);
        island.StartRunning(1);
        island.Core.HandleLogRead(9, 1, 0);
        Assert.AreEqual(2, island.Output.LogRecords.Count);
        Assert.AreEqual((1u, 3u, false), island.Output.LogEnds[^1]);
    }

    [TestMethod]
    public void Status_request_sends_every_view_then_closes()
    {
        var island = new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web"), TestIsland.Vm(2, "db")));
        int entitiesBefore = island.Output.EntityStatuses.Count;
        island.Core.HandleStatusRequest(42);
        Assert.AreEqual(2, island.Output.VmStatuses.Count);
        Assert.AreEqual(3, island.Output.DomainStatuses.Count);
        Assert.AreEqual(3, island.Output.EntityStatuses.Count - entitiesBefore, "agent + 2 VMs");
        Assert.AreEqual(GlobalStatus.Ok, island.Output.GlobalStatuses.Single());
        Assert.AreEqual(new Result(42, true, ErrorCode.Unspecified, "", 0), island.Output.LastResult);
    }

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void Alive_and_checkpoints_for_unknown_entities_are_errors_not_crashes()
    {
        var island = new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web")));
        Assert.AreEqual(ErrorCode.NotFound, island.Core.HandleAliveIndication(5, 1));
        Assert.AreEqual(ErrorCode.NotFound, island.Core.HandleAliveIndication(uint.MaxValue, 1));
        Assert.AreEqual(ErrorCode.InvalidArgument, island.Core.HandleCheckpoint(1, uint.MaxValue));
        Assert.AreEqual(ErrorCode.InvalidArgument, island.Core.HandleAliveIndication(1, 0));
        Assert.AreEqual(ErrorCode.NotFound, island.Core.HandleVmRequest(1, uint.MaxValue, VmAction.Start, ""));
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void An_invalid_configuration_is_refused_at_construction_with_its_reason()
    {
        IslandConfig config = TestIsland.Configure(TestIsland.Vm(1, "Web"));
        var e = Assert.ThrowsExactly<ArgumentException>(() => new TestIsland(config));
        Assert.AreEqual("VM 1 ('Web'): name must be 1..32 bytes of [a-z0-9-]", e.Message);
        Assert.ThrowsExactly<ArgumentException>(() => new TestIsland(TestIsland.Configure(TestIsland.Vm(1, "web")), new ScenarioFlash(64, 4)));
    }
}

[TestClass]
public sealed class ConfigValidatorTests
{
    private static string? Check(Action<IslandConfig> change)
    {
        IslandConfig config = TestIsland.Configure(TestIsland.Vm(1, "base"), TestIsland.Vm(2, "web", dependsOn: new[] { 1 }));
        change(config);
        return ConfigValidator.Validate(config);
    }

    [TestMethod]
    public void The_test_configuration_is_valid() => Assert.IsNull(Check(_ => { }));

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Errors_name_the_object_and_the_field()
    {
        Assert.AreEqual("VM 2 ('web'): depends_on[0] = 9 is not a defined VM", Check(c => c.Vms[1].DependsOn = new[] { 9 }));
        Assert.AreEqual("VM 2 ('web'): depends_on[0] = 2 is the VM itself", Check(c => c.Vms[1].DependsOn = new[] { 2 }));
        Assert.AreEqual("VM 2 ('web'): depends_on[0] = 1 ('base') must have a lower boot_order than 5", Check(c => c.Vms[1].BootOrder = 5));
        Assert.AreEqual("VM 2 ('base'): duplicate name", Check(c => c.Vms[1].Name = "base"));
        Assert.AreEqual("VM 99 ('web'): id must be 1..64", Check(c => c.Vms[1].Id = 99));
        Assert.AreEqual("VM 2 ('web'): power_domains[0] = 7 is not a defined power domain", Check(c => c.Vms[1].PowerDomains = new[] { 7 }));
        Assert.AreEqual("VM 2 ('web'): supervision.alive.min_margin must be <= expected_indications",
            Check(c => c.Vms[1].Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 1, MinMargin = 2, ReferenceCycles = 1 }));
        Assert.AreEqual("VM 2 ('web'): supervision.alive.reference_cycles must be >= 1",
            Check(c => c.Vms[1].Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 1 }));
        Assert.AreEqual("VM 2 ('web'): supervision.deadlines[0]: must satisfy 0 <= min_ms <= max_ms and max_ms > 0",
            Check(c => c.Vms[1].Supervision.Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 9, MaxMs = 5 } }));
        Assert.AreEqual("VM 2 ('web'): supervision.deadlines[0]: checkpoints must be 0..15",
            Check(c => c.Vms[1].Supervision.Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 16, MaxMs = 5 } }));
        Assert.AreEqual("VM 2 ('web'): supervision.logical needs at least one initial checkpoint",
            Check(c => c.Vms[1].Supervision.Logical = new LogicalSupervisionConfig { Transitions = new[] { new LogicalTransitionConfig(1, 2) } }));
        Assert.AreEqual("VM 2 ('web'): restart.max_restarts must be 0..16", Check(c => c.Vms[1].Restart.MaxRestarts = 17));
        Assert.AreEqual("VM 2 ('web'): start_timeout_ms must be > 0", Check(c => c.Vms[1].StartTimeoutMs = 0));
        Assert.AreEqual("power domain 1 ('gpu'): a second A-cluster domain (at most one)", Check(c => c.PowerDomains[1].IsACluster = true));
        Assert.AreEqual("power domain 1 ('a-cluster'): duplicate name", Check(c => c.PowerDomains[1].Name = "a-cluster"));
        Assert.AreEqual("limits: max_checkpoints_per_vm must be 1..64", Check(c => c.Limits.MaxCheckpointsPerVm = 65));
        Assert.AreEqual("agent: supervision.failed_ref_cycle_tolerance must be >= 0", Check(c => c.AgentSupervision.FailedRefCycleTolerance = -1));
    }
}
