using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Hil.Benches;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Hil.Scenarios;
using Stratos.Island.Hil.Soak;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Tests;

/// <summary>
/// ./hil.sh --soak N: N random guest faults (hang, crash) across the 8 VMs of
/// boards/virtual/soak-vms.yaml on the virtual bench. Fails unless every fault was detected within
/// its bound (coverage 100%), the event stream is contiguous, and nothing is left behind after the
/// bench is gone (processes, shared memory, sockets).
/// </summary>
[TestClass]
public sealed class SoakTests
{
    public TestContext TestContext { get; set; } = null!;

    private const double SettleMs = 8000;

    [TestMethod]
    [TestCategory("soak")]
    [TestCategory("full")]
    public async Task Random_faults_across_eight_vms_are_all_detected_within_bound_and_nothing_is_lost()
    {
        var settings = HilSession.Settings;
        Assert.AreEqual("virtual", settings.Bench, "the soak runs on the virtual bench (it needs boards/virtual/soak-vms.yaml)");
        int faults = settings.SoakFaults > 0 ? settings.SoakFaults : 8;
        string config = Path.Combine(HilSession.RepositoryRoot, "boards", "virtual", "soak-vms.yaml");
        var target = HilSession.Target(config);
        var vms = target.Config.Vms.Select(v => v.Name).ToList();
        var plan = SoakPlan.Generate(settings.Seed, faults, vms, new[] { FaultKind.GuestHang, FaultKind.GuestCrash }, SettleMs);
        var qemuPids = new HashSet<int>();

        var bench = new VirtualBench(HilSession.RepositoryRoot, config);
        ScenarioResult result;
        try
        {
            try
            {
                await bench.StartAsync(TestContext.CancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                var failed = new ScenarioResult { Name = $"Soak_{faults}_faults_seed_{settings.Seed}", Group = "soak", Outcome = ScenarioOutcome.Failed, Message = "bench did not start: " + e.Message };
                HilSession.Record(failed);
                Assert.Fail(failed.Message);
            }
            var scenario = new Scenario($"Soak_{faults}_faults_seed_{settings.Seed}", "soak", Array.Empty<FaultKind>(), async c =>
            {
                await HilSuites.ExpectVmStatesAsync(c, TimeSpan.FromSeconds(90), vms.Select(v => (v, VmState.Running)).ToArray());
                double origin = bench.Clock.NowMs;
                foreach (var step in plan)
                {
                    double wait = origin + step.AtMs - bench.Clock.NowMs;
                    if (wait > 0)
                        await Task.Delay(TimeSpan.FromMilliseconds(wait), c.CancellationToken);
                    await HilSuites.ExpectVmStatesAsync(c, TimeSpan.FromSeconds(30), (step.Vm, VmState.Running));
                    foreach (var (_, pid) in bench.QemuProcesses())
                        qemuPids.Add(pid);
                    var probe = step.Fault == FaultKind.GuestHang
                        ? target.SupervisionProbe(step.Vm, FaultKind.GuestHang, SupervisionKind.Alive, heartbeatsStop: true)
                        : new FaultProbe
                        {
                            Vm = step.Vm, Fault = FaultKind.GuestCrash, Supervision = SupervisionKind.None,
                            Detection = EventMatch.VmState(step.Vm, VmState.Failed), Action = EventMatch.VmState(step.Vm, VmState.Starting),
                            BoundMs = 2000, BoundRationale = "QEMU exit -> agent report -> island, 2 s",
                        };
                    await c.InjectAsync(probe, step.Vm);
                }
                // Let the last faults be detected and recovered before judging.
                await Task.Delay(TimeSpan.FromMilliseconds(SettleMs), c.CancellationToken);
                await HilSuites.ExpectVmStatesAsync(c, TimeSpan.FromSeconds(60), vms.Select(v => (v, VmState.Running)).ToArray());
                var gaps = bench.Events.SequenceGaps();
                if (gaps.Count > 0)
                    throw new ScenarioFailure("event log not contiguous: " + string.Join(", ", gaps.Select(g => $"{g.After}->{g.Next}")));
                var streamGaps = bench.Events.StreamGaps();
                if (streamGaps.Count > 0)
                    throw new ScenarioFailure("WatchEvents skipped records: " + string.Join(", ", streamGaps.Select(g => $"{g.After}->{g.Next}")));
            });
            result = await ScenarioRunner.RunAsync(scenario, bench, TimeSpan.FromMilliseconds(120_000 + faults * SettleMs), TestContext.CancellationToken);
        }
        finally
        {
            foreach (var (_, pid) in bench.QemuProcesses())
                qemuPids.Add(pid);
            await bench.DisposeAsync();
        }
        var leftovers = bench.Leftovers(qemuPids.ToList());
        if (leftovers.Count > 0 && result.Outcome != ScenarioOutcome.Failed)
            result = result with { Outcome = ScenarioOutcome.Failed, Message = "left behind: " + string.Join(", ", leftovers) };
        int detected = result.Faults.Count(f => f.DetectedWithinBound);
        result = result with { Log = result.Log.Append($"coverage {detected}/{result.Faults.Count} within bound; leftovers: {leftovers.Count}").ToList() };
        HilSession.Record(result);
        foreach (var line in result.Log)
            TestContext.WriteLine(line);
        Assert.AreEqual(ScenarioOutcome.Passed, result.Outcome, result.Message);
        Assert.AreEqual(faults, result.Faults.Count, "every planned fault was injected");
    }
}
