using System;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using LinkPb = Stratos.Island.Protocol.Link.V1;
using PbCommon = Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Firmware.Tests;

// ConfigurationBuilder turns encoded VmDefinitions (as a bundle or island-sim gives them) into the
// firmware's configuration: what a definition leaves out, what does not fit, what cannot be decoded.
[TestClass]
public sealed class ConfigurationBuilderTests
{
    private static readonly PowerDomainConfig[] Domains =
    {
        new() { Id = 0, Name = "a-cluster", Criticality = Criticality.Qm, IsACluster = true },
    };

    private static ConfigurationBuilder Builder(int maxVms = 4, int periodMs = 10, SupervisionConfig? agent = null) =>
        new(new IslandLimits { SupervisionCyclePeriodMs = periodMs, MaxVms = maxVms }, Domains, agent!);

    private static LinkPb.VmDefinition Minimal(uint id, string name) => new()
    {
        VmId = id,
        Name = name,
        BootOrder = id * 10,
        PowerDomains = { 0 },
        StartTimeoutMs = 1000,
        StopTimeoutMs = 500,
    };

    private static string? Add(ConfigurationBuilder builder, LinkPb.VmDefinition definition)
    {
        byte[] bytes = definition.ToByteArray();
        return builder.AddEncoded(bytes, 0, bytes.Length);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void A_definition_without_restart_policy_or_supervision_never_restarts_and_is_not_supervised()
    {
        ConfigurationBuilder builder = Builder();
        Assert.IsNull(Add(builder, Minimal(1, "plain")));
        IslandConfig config = builder.Build(out string error);
        Assert.IsNotNull(config, error);
        VmConfig vm = config.Vms[0];
        Assert.AreEqual(0, vm.Restart.MaxRestarts, "no restart policy: never restarted automatically");
        Assert.AreEqual(0, vm.Supervision.Deadlines.Length);
        Assert.AreEqual(0, vm.Supervision.Alive.ReferenceCycles, "no alive supervision");
        Assert.AreEqual(0, vm.DependsOn.Length);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Logical_supervision_transitions_and_checkpoints_are_carried_over_in_order()
    {
        LinkPb.VmDefinition definition = Minimal(1, "logic");
        definition.Restart = new LinkPb.RestartPolicy { MaxRestarts = 2, WindowMs = 10_000, BackoffInitialMs = 100, BackoffMaxMs = 400 };
        definition.Supervision = new LinkPb.SupervisionConfig
        {
            FailedRefCycleTolerance = 1,
            Logical = new LinkPb.LogicalSupervision
            {
                InitialCheckpoints = { 1 },
                FinalCheckpoints = { 3 },
                Transitions = { new LinkPb.LogicalTransition { FromCheckpoint = 1, ToCheckpoint = 2 }, new LinkPb.LogicalTransition { FromCheckpoint = 2, ToCheckpoint = 3 } },
            },
        };
        ConfigurationBuilder builder = Builder();
        Assert.IsNull(Add(builder, definition));
        IslandConfig config = builder.Build(out string error);
        Assert.IsNotNull(config, error);
        LogicalSupervisionConfig logical = config.Vms[0].Supervision.Logical;
        CollectionAssert.AreEqual(new[] { 1 }, logical.InitialCheckpoints);
        CollectionAssert.AreEqual(new[] { 3 }, logical.FinalCheckpoints);
        Assert.AreEqual(2, logical.Transitions.Length);
        Assert.AreEqual((1, 2), (logical.Transitions[0].FromCheckpoint, logical.Transitions[0].ToCheckpoint));
        Assert.AreEqual((2, 3), (logical.Transitions[1].FromCheckpoint, logical.Transitions[1].ToCheckpoint));
        Assert.AreEqual(400, config.Vms[0].Restart.BackoffMaxMs);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void More_definitions_than_max_vms_are_refused_naming_the_limit()
    {
        ConfigurationBuilder builder = Builder(maxVms: 2);
        Assert.IsNull(Add(builder, Minimal(1, "a")));
        Assert.IsNull(Add(builder, Minimal(2, "b")));
        Assert.AreEqual("VM definition #3: more than max_vms = 2 definitions", Add(builder, Minimal(3, "c")));
        Assert.AreEqual(2, builder.Count, "the refused definition was not added");
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Bytes_that_are_not_a_VmDefinition_are_refused_naming_the_definition_and_the_decode_error()
    {
        ConfigurationBuilder builder = Builder();
        byte[] truncated = Minimal(1, "cut").ToByteArray()[..5];
        string? error = builder.AddEncoded(truncated, 0, truncated.Length);
        Assert.IsNotNull(error);
        StringAssert.StartsWith(error, "VM definition #1 (5 bytes): cannot be decoded: ");
        Assert.AreEqual(0, builder.Count);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void A_value_above_int_MaxValue_is_refused_by_the_validator_naming_the_field()
    {
        LinkPb.VmDefinition definition = Minimal(1, "huge");
        definition.StartTimeoutMs = uint.MaxValue;
        ConfigurationBuilder builder = Builder();
        Assert.IsNull(Add(builder, definition));
        Assert.IsNull(builder.Build(out string error));
        StringAssert.Contains(error, "huge");
        StringAssert.Contains(error, "start_timeout_ms");
    }

    [TestMethod]
    [DataRow(10, 100)]
    [DataRow(0, 100)]
    [DataRow(2000, 1)]
    [Verifies("IslDsgn~agent-supervision~1")]
    public void The_default_agent_supervision_asks_for_life_once_a_second_whatever_the_cycle_period(int periodMs, int expectedCycles)
    {
        SupervisionConfig agent = ConfigurationBuilder.DefaultAgentSupervision(periodMs);
        Assert.AreEqual(expectedCycles, agent.Alive.ReferenceCycles);
        Assert.AreEqual(10, agent.Alive.ExpectedIndications);
        Assert.AreEqual(9, agent.Alive.MinMargin);
        Assert.AreEqual(2, agent.FailedRefCycleTolerance);
    }

    [TestMethod]
    [Verifies("IslDsgn~agent-supervision~1")]
    public void A_board_without_agent_supervision_gets_the_default_one()
    {
        ConfigurationBuilder builder = Builder(periodMs: 20);
        Assert.IsNull(Add(builder, Minimal(1, "a")));
        IslandConfig config = builder.Build(out string error);
        Assert.IsNotNull(config, error);
        Assert.AreEqual(50, config.AgentSupervision.Alive.ReferenceCycles, "50 cycles of 20 ms = 1 s");
    }
}
