using System;
using Stratos.Island.Firmware.Scenario;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware.Tests;

// An IslandCore on deterministic fakes, with helpers that play the agent's part.
public sealed class TestIsland
{
    public const int PeriodMs = 10;
    public const int ACluster = 0;
    public const int Gpu = 1;
    public const int SafetyDomain = 2;

    public TestIsland(IslandConfig config, ScenarioFlash? flash = null, bool connectAgent = true)
    {
        Config = config;
        Flash = flash ?? new ScenarioFlash(256, 16);
        Core = new IslandCore(config, Clock, Flash, Rails, Watchdog, SafeState, Reset, Output, ResetReason.PowerOn);
        if (connectAgent)
        {
            Core.HandleAgentConnected();
        }
    }

    public IslandConfig Config { get; }

    public SimulatedClock Clock { get; } = new();

    public ScenarioFlash Flash { get; }

    public RecordingPowerRails Rails { get; } = new();

    public RecordingWatchdog Watchdog { get; } = new();

    public RecordingSafeStateOutput SafeState { get; } = new();

    public RecordingResetControl Reset { get; } = new();

    public RecordingOutput Output { get; } = new();

    public IslandCore Core { get; }

    public static IslandConfig Configure(params VmConfig[] vms)
    {
        var config = new IslandConfig();
        config.Limits.SupervisionCyclePeriodMs = PeriodMs;
        config.Limits.MaxVms = 64;
        config.Vms = vms;
        config.PowerDomains = new[]
        {
            new PowerDomainConfig { Id = ACluster, Name = "a-cluster", Criticality = Criticality.Qm, IsACluster = true },
            new PowerDomainConfig { Id = Gpu, Name = "gpu", Criticality = Criticality.Qm },
            new PowerDomainConfig { Id = SafetyDomain, Name = "safety", Criticality = Criticality.AsilD },
        };
        return config;
    }

    public static VmConfig Vm(int id, string name, Criticality criticality = Criticality.Qm, int? bootOrder = null, int[]? dependsOn = null,
        bool autostart = false, SafeAction safeAction = SafeAction.Unspecified, int[]? domains = null)
    {
        return new VmConfig
        {
            Id = id,
            Name = name,
            Criticality = criticality,
            BootOrder = bootOrder ?? id * 10,
            DependsOn = dependsOn ?? Array.Empty<int>(),
            Autostart = autostart,
            SafeAction = safeAction,
            PowerDomains = domains ?? new[] { ACluster },
            StartTimeoutMs = 1000,
            StopTimeoutMs = 500,
            Restart = new RestartPolicyConfig { MaxRestarts = 3, WindowMs = 60_000, BackoffInitialMs = 100, BackoffMaxMs = 1000 },
        };
    }

    public VmRuntime Vm(int id) => Core.Lifecycle.Find(id);

    public VmState State(int id) => Vm(id).State;

    public ErrorCode Request(int vmId, VmAction action) => Core.HandleVmRequest(7, (uint)vmId, action, "test");

    // Reports an observed state for the VM's directive in flight (0 when none).
    public ErrorCode Report(int vmId, ObservedVmState state)
    {
        VmRuntime vm = Vm(vmId);
        uint directive = vm.HasPendingDirective ? vm.PendingDirectiveId : 0;
        return Core.HandleVmStateReport((uint)vmId, state, directive, 0, string.Empty);
    }

    public void StartRunning(int vmId)
    {
        ErrorCode code = Request(vmId, VmAction.Start);
        if (code != ErrorCode.Unspecified)
        {
            throw new InvalidOperationException($"start of VM {vmId} refused: {code} {Core.LastRefusal}");
        }

        Report(vmId, ObservedVmState.Running);
    }

    // Advances time in steps of one supervision period, stepping the core after each.
    public void Run(int ms)
    {
        for (int t = 0; t < ms; t += PeriodMs)
        {
            Clock.AdvanceMs(PeriodMs);
            Core.Step();
        }
    }

    public void Step() => Core.Step();
}
