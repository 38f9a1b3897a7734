using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Codec;

namespace Stratos.Island.Firmware.Tests;

/// <summary>
/// Every rule of ConfigValidator, one violation each, on the otherwise valid two-VM test
/// configuration: the configuration is refused and the message names the object and the field.
/// </summary>
[TestClass]
public sealed class ConfigValidatorRuleTests
{
    private static IslandConfig Valid() =>
        TestIsland.Configure(TestIsland.Vm(1, "base"), TestIsland.Vm(2, "web", dependsOn: new[] { 1 }));

    private static void Refused(string expectedEnd, Action<IslandConfig> change)
    {
        IslandConfig config = Valid();
        change(config);
        string? error = ConfigValidator.Validate(config);
        Assert.IsNotNull(error, "accepted, expected: " + expectedEnd);
        StringAssert.EndsWith(error, expectedEnd);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Every_limit_rule_refuses_its_violation()
    {
        Assert.AreEqual("configuration: missing", ConfigValidator.Validate(null!));
        Refused("configuration: limits missing", c => c.Limits = null!);
        Refused("limits: max_vms must be >= 1", c => c.Limits.MaxVms = 0);
        Refused("limits: max_checkpoints_per_vm must be 1..64", c => c.Limits.MaxCheckpointsPerVm = 0);
        Refused("limits: max_checkpoints_per_vm must be 1..64", c => c.Limits.MaxCheckpointsPerVm = 65);
        Refused("limits: supervision_cycle_period_ms must be >= 1", c => c.Limits.SupervisionCyclePeriodMs = 0);
        Refused("limits: expired_supervision_cycle_tolerance must be >= 0", c => c.Limits.ExpiredSupervisionCycleTolerance = -1);
        Refused("limits: table sizes must be >= 0", c => c.Limits.MaxPowerDomains = -1);
        Refused("limits: table sizes must be >= 0", c => c.Limits.MaxRestartsPerWindow = -1);
        Refused("limits: log_read_max_records_per_call must be >= 1", c => c.Limits.LogReadMaxRecordsPerCall = 0);
        Refused("3 power domains, limit is 2", c => c.Limits.MaxPowerDomains = 2);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Every_power_domain_rule_refuses_its_violation()
    {
        Refused(": missing", c => c.PowerDomains[1] = null!);
        Refused(": name must be 1..32 bytes of [a-z0-9-]", c => c.PowerDomains[1].Name = "GPU");
        Refused(": name must be 1..32 bytes of [a-z0-9-]", c => c.PowerDomains[1].Name = new string('g', 33));
        Refused(": name must be 1..32 bytes of [a-z0-9-]", c => c.PowerDomains[1].Name = "");
        Refused(": id must be >= 0", c => c.PowerDomains[1].Id = -1);
        Refused(": initial_state is not a power state", c => c.PowerDomains[1].InitialState = PowerState.Unspecified);
        Refused(": initial_state is not a power state", c => c.PowerDomains[1].InitialState = (PowerState)9);
        Refused(": a second A-cluster domain (at most one)", c => c.PowerDomains[1].IsACluster = true);
        Refused(": duplicate id", c => c.PowerDomains[2].Id = c.PowerDomains[1].Id);
        Refused(": duplicate name", c => c.PowerDomains[2].Name = c.PowerDomains[1].Name);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Every_vm_rule_refuses_its_violation()
    {
        Refused("VM [1]: missing", c => c.Vms[1] = null!);
        Refused("VM 0 ('web'): id must be 1..64", c => c.Vms[1].Id = 0);
        Refused("VM 2 ('Web'): name must be 1..32 bytes of [a-z0-9-]", c => c.Vms[1].Name = "Web");
        Refused("VM 1 ('web'): duplicate id", c => c.Vms[1].Id = 1);
        Refused("VM 2 ('web'): start_timeout_ms must be > 0", c => c.Vms[1].StartTimeoutMs = 0);
        Refused("VM 2 ('web'): stop_timeout_ms must be > 0", c => c.Vms[1].StopTimeoutMs = 0);
        Refused("VM 2 ('web'): safe_action is not a safe action", c => c.Vms[1].SafeAction = (SafeAction)6);
        Refused("VM 2 ('web'): safe_action is not a safe action", c => c.Vms[1].SafeAction = (SafeAction)(-1));
        Refused("VM 2 ('web'): more than 8 depends_on entries", c => c.Vms[1].DependsOn = new int[9]);
        Refused("VM 2 ('web'): more than 8 power_domains", c => c.Vms[1].PowerDomains = new int[9]);
        Assert.IsNull(ConfigValidator.Validate(With(c => c.Vms[1].DependsOn = null!)), "no dependencies is valid");
        Assert.IsNull(ConfigValidator.Validate(With(c => c.Vms[1].PowerDomains = null!)), "no power domains is valid");
        Assert.IsNull(ConfigValidator.Validate(With(c => c.Vms = null!)), "no VMs is valid");
        Refused("is not a defined power domain", c => c.PowerDomains = null!);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Every_restart_rule_refuses_its_violation()
    {
        Refused("VM 2 ('web'): restart policy missing", c => c.Vms[1].Restart = null!);
        Refused("VM 2 ('web'): restart.max_restarts must be 0..16", c => c.Vms[1].Restart.MaxRestarts = -1);
        Refused("VM 2 ('web'): restart.max_restarts must be 0..16", c => c.Vms[1].Restart.MaxRestarts = 17);
        Refused("VM 2 ('web'): restart.window_ms must be > 0", c => c.Vms[1].Restart.WindowMs = 0);
        Refused("VM 2 ('web'): restart backoff must satisfy 0 <= backoff_initial_ms <= backoff_max_ms", c => c.Vms[1].Restart.BackoffInitialMs = -1);
        Refused("VM 2 ('web'): restart backoff must satisfy 0 <= backoff_initial_ms <= backoff_max_ms", c => c.Vms[1].Restart.BackoffMaxMs = 1);
        Assert.IsNull(ConfigValidator.Validate(With(c => c.Vms[1].Restart = new RestartPolicyConfig { MaxRestarts = 0, WindowMs = 0 })),
            "without restarts the window and backoff are not used");
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Every_supervision_rule_refuses_its_violation()
    {
        Refused("VM 2 ('web'): supervision missing", c => c.Vms[1].Supervision = null!);
        Refused("VM 2 ('web'): supervision.failed_ref_cycle_tolerance must be >= 0", c => c.Vms[1].Supervision.FailedRefCycleTolerance = -1);
        Refused("VM 2 ('web'): supervision.alive values must be >= 0",
            c => c.Vms[1].Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = -1, ReferenceCycles = 1 });
        Refused("VM 2 ('web'): supervision.alive values must be >= 0",
            c => c.Vms[1].Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 2, MaxMargin = -1, ReferenceCycles = 1 });
        Refused("VM 2 ('web'): supervision.alive values must be >= 0",
            c => c.Vms[1].Supervision.Alive = new AliveSupervisionConfig { ExpectedIndications = 2, MinMargin = -1, ReferenceCycles = 1 });
        Refused("VM 2 ('web'): more than 8 supervision.deadlines", c => c.Vms[1].Supervision.Deadlines = new DeadlineSupervisionConfig[9]);
        Refused("VM 2 ('web'): supervision.deadlines[0] missing", c => c.Vms[1].Supervision.Deadlines = new DeadlineSupervisionConfig[1]);
        Refused("supervision.deadlines[0]: checkpoints must be 0..15", c => c.Vms[1].Supervision.Deadlines = new[] { Deadline(-1, 2) });
        Refused("supervision.deadlines[0]: checkpoints must be 0..15", c => c.Vms[1].Supervision.Deadlines = new[] { Deadline(1, 16) });
        Refused("supervision.deadlines[0]: start_checkpoint and end_checkpoint must differ", c => c.Vms[1].Supervision.Deadlines = new[] { Deadline(3, 3) });
        Refused("supervision.deadlines[0]: must satisfy 0 <= min_ms <= max_ms and max_ms > 0",
            c => c.Vms[1].Supervision.Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = -1, MaxMs = 5 } });
        Refused("supervision.deadlines[0]: must satisfy 0 <= min_ms <= max_ms and max_ms > 0",
            c => c.Vms[1].Supervision.Deadlines = new[] { new DeadlineSupervisionConfig { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 0 } });
        Refused("supervision.logical has more than 8 initial, 8 final or 32 transitions", c => c.Vms[1].Supervision.Logical = Logical(new int[9], null, null));
        Refused("supervision.logical has more than 8 initial, 8 final or 32 transitions", c => c.Vms[1].Supervision.Logical = Logical(new[] { 1 }, new int[9], null));
        Refused("supervision.logical has more than 8 initial, 8 final or 32 transitions",
            c => c.Vms[1].Supervision.Logical = Logical(new[] { 1 }, null, new LogicalTransitionConfig[33]));
        Refused("supervision.logical needs at least one initial checkpoint", c => c.Vms[1].Supervision.Logical = Logical(null, new[] { 2 }, null));
        Refused("supervision.logical.initial_checkpoints[0] is out of range", c => c.Vms[1].Supervision.Logical = Logical(new[] { 16 }, null, null));
        Refused("supervision.logical.final_checkpoints[0] is out of range", c => c.Vms[1].Supervision.Logical = Logical(new[] { 1 }, new[] { -1 }, null));
        Refused("supervision.logical.transitions[0] is missing or out of range", c => c.Vms[1].Supervision.Logical = Logical(new[] { 1 }, null, new LogicalTransitionConfig[1]));
        Refused("supervision.logical.transitions[0] is missing or out of range",
            c => c.Vms[1].Supervision.Logical = Logical(new[] { 1 }, null, new[] { new LogicalTransitionConfig { FromCheckpoint = 1, ToCheckpoint = 99 } }));
        Assert.IsNull(ConfigValidator.Validate(With(c => c.Vms[1].Supervision.Logical = Logical(null, null, null))), "an empty graph is no logical supervision");
        Assert.IsNull(ConfigValidator.Validate(With(c => c.Vms[1].Supervision.Deadlines = null!)), "no deadlines is valid");
    }

    private static IslandConfig With(Action<IslandConfig> change)
    {
        IslandConfig config = Valid();
        change(config);
        return config;
    }

    private static DeadlineSupervisionConfig Deadline(int start, int end) =>
        new() { StartCheckpoint = start, EndCheckpoint = end, MinMs = 0, MaxMs = 100 };

    private static LogicalSupervisionConfig Logical(int[]? initial, int[]? final, LogicalTransitionConfig[]? transitions) =>
        new() { InitialCheckpoints = initial!, FinalCheckpoints = final!, Transitions = transitions! };
}
