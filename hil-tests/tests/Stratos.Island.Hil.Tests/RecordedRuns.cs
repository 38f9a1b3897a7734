using System;
using System.Collections.Generic;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Hil.Scenarios;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Tests;

/// <summary>
/// Recorded timelines for the report tests: a guest hang on 'base' detected by alive supervision
/// (heartbeats every 100 ms until the hang at 1000 ms, FAILED at 2150 ms, restart escalation at
/// 2160 ms, Running again at 2900 ms, heartbeats from 3000 ms), a scenario whose detection was too
/// late, and one skipped by the bench.
/// </summary>
internal static class RecordedRuns
{
    public static Event Ev(uint sequence, double islandMs, EventType type, string subject, int value, uint boot = 1) => new()
    {
        Sequence = sequence,
        TimestampUs = (ulong)(islandMs * 1000),
        BootCount = boot,
        Type = type,
        Subject = subject,
        Value = value,
    };

    public static IReadOnlyList<IslandEvent> HangEvents() => new List<IslandEvent>
    {
        new(Ev(10, 2150, EventType.SupervisionStatus, "base", (int)LocalStatus.Failed), 2152) { TimeMs = 2150 },
        new(Ev(11, 2160, EventType.Escalation, "base", (int)SafeAction.RestartVm), 2163) { TimeMs = 2160 },
        new(Ev(12, 2170, EventType.VmState, "base", (int)VmState.Stopping), 2171) { TimeMs = 2170 },
        new(Ev(13, 2400, EventType.VmState, "base", (int)VmState.Failed), 2402) { TimeMs = 2400 },
        new(Ev(14, 2900, EventType.VmState, "base", (int)VmState.Running), 2901) { TimeMs = 2900 },
    };

    public static ScenarioResult HangScenario()
    {
        var timelines = new TimelineBuilder();
        for (int i = 1; i <= 10; i++)
        {
            timelines.AddHeartbeat("base", i * 100.0 - 100, (uint)i);
            timelines.AddCheckpoint("base", i * 100.0 - 99, 1);
        }
        for (int i = 0; i < 5; i++)
            timelines.AddHeartbeat("base", 3000 + i * 100.0, (uint)(i + 1));
        timelines.AddHeartbeat("web", 500, 5);
        timelines.AddEvents(HangEvents());
        var fault = FaultMeasurer.Measure(new FaultProbe
        {
            Vm = "base",
            Fault = FaultKind.GuestHang,
            Supervision = SupervisionKind.Alive,
            BoundMs = 1210,
            BoundRationale = "window 1000 + carry-over 200 + cycle 10 ms",
        }, 1000, HangEvents());
        timelines.AddFault(fault);
        return new ScenarioResult
        {
            Name = "Guest_hang_is_detected_by_alive_supervision",
            Group = "supervision",
            Outcome = ScenarioOutcome.Passed,
            StartedAt = new DateTimeOffset(2026, 11, 21, 20, 0, 0, TimeSpan.Zero),
            Duration = TimeSpan.FromMilliseconds(3500),
            Faults = new[] { fault },
            Timelines = timelines.Build(),
            Log = new[] { "injected GuestHang into 'base'" },
        };
    }

    public static RunResult Run() => new()
    {
        RunId = "20261121-200000",
        Bench = "virtual",
        Suite = "quick",
        StartedAt = new DateTimeOffset(2026, 11, 21, 20, 0, 0, TimeSpan.Zero),
        Duration = TimeSpan.FromSeconds(9),
        Scenarios = new[]
        {
            HangScenario(),
            new ScenarioResult
            {
                Name = "Missed_deadline_is_detected_within_bound",
                Group = "supervision",
                Outcome = ScenarioOutcome.Failed,
                Message = "GuestLateCheckpoint on 'base': detection latency 420.0 ms exceeds the bound 310.0 ms",
                Duration = TimeSpan.FromMilliseconds(1200),
                Faults = new[]
                {
                    new FaultMeasurement { Vm = "base", Fault = FaultKind.GuestLateCheckpoint, Supervision = SupervisionKind.Deadline, InjectedMs = 100, DetectedMs = 520, BoundMs = 310 },
                },
            },
            new ScenarioResult
            {
                Name = "Island_hang_fires_its_watchdog",
                Group = "recovery",
                Outcome = ScenarioOutcome.Skipped,
                Message = "skipped: board:rpi cannot inject IslandHang: needs a debug probe <halt> & hook",
            },
        },
    };
}
