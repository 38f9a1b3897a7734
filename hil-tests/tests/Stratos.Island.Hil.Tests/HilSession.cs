using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;
using Stratos.Island.Hil.Benches;
using Stratos.Island.Hil.Reports;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Tests;

/// <summary>
/// One HIL run inside this test assembly: settings from the environment (./hil.sh sets them),
/// a fresh bench per scenario, every result collected, and the reports written once at the end
/// (only when a scenario ran). A skipped scenario makes its MSTest method inconclusive (reported as
/// skipped, never as passed) and is counted as skipped in the reports; a failed one fails it.
/// </summary>
[TestClass]
public static class HilSession
{
    private static readonly object Gate = new();
    private static readonly List<ScenarioResult> Results = new();
    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;
    private static readonly Stopwatch Watch = Stopwatch.StartNew();
    private static HilRunSettings? _settings;

    public static string RepositoryRoot { get; } = Path.GetDirectoryName(BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory))!;

    public static HilRunSettings Settings
    {
        get
        {
            lock (Gate)
            {
                if (_settings is null)
                {
                    var env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);
                    _settings = HilRunSettings.FromEnvironment(env, RepositoryRoot, Started);
                }
                return _settings;
            }
        }
    }

    public static IBench NewBench(string? configPath = null)
    {
        if (Settings.Bench == "board")
            return new BoardBench(BenchFileLoader.Load(Settings.BenchFile!));
        if (Settings.Vmm == "xen")
            return new XenBench(XenMachineAsync);
        return new VirtualBench(RepositoryRoot, configPath);
    }

    private static Task<XenMachine>? _xenMachine;

    /// <summary>The run's Xen machine, booted by the first scenario that needs it (once: a boot that failed fails every scenario).</summary>
    private static Task<XenMachine> XenMachineAsync(CancellationToken cancellationToken)
    {
        lock (Gate)
            return _xenMachine ??= XenMachine.BootAsync(RepositoryRoot, Path.Combine(Settings.RunDirectory, "xen"), CancellationToken.None);
    }

    public static HilTarget Target(string? configPath = null)
    {
        string boards = Path.Combine(RepositoryRoot, "boards");
        if (Settings.Bench == "board")
        {
            var file = BenchFileLoader.Load(Settings.BenchFile!);
            return HilTarget.Load(boards, file.Board, configPath, file.HeartbeatPeriodMs, 50);
        }
        if (Settings.Vmm == "xen")
            return HilTarget.ForXen(boards);
        return HilTarget.Load(boards, "virtual", configPath, HilTarget.DefaultHeartbeatPeriodMs, HilTarget.VirtualSlackMs);
    }

    /// <summary>Runs one named scenario on a fresh bench, records it, and turns the outcome into the MSTest result.</summary>
    public static async Task RunAsync(string name, TestContext context)
    {
        var target = Target();
        var scenario = HilSuites.All(target).Single(s => s.Name == name);
        ScenarioResult result;
        string processLog = "";
        var bench = NewBench();
        try
        {
            if (scenario.Needs.Select(bench.CanInject).FirstOrDefault(r => r is not null) is null)
            {
                if (bench is VirtualBench)
                    EnsureGuestBuilt();
                await bench.StartAsync(context.CancellationToken).ConfigureAwait(false);
            }
            // The Xen bench boots two domains in a TCG dom0 per scenario (docs/hil.md "The Xen bench").
            var timeout = bench is XenBench ? TimeSpan.FromMinutes(12) : TimeSpan.FromMinutes(4);
            result = await ScenarioRunner.RunAsync(scenario, bench, timeout, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = new ScenarioResult { Name = scenario.Name, Group = scenario.Group, Outcome = ScenarioOutcome.Failed, Message = "bench did not start: " + e.Message, StartedAt = DateTimeOffset.UtcNow };
        }
        finally
        {
            if (bench is VirtualBench virtualBench)
                processLog = virtualBench.ProcessLog;
            await bench.DisposeAsync().ConfigureAwait(false);
        }
        lock (Gate)
            Results.Add(result);
        foreach (var line in result.Log)
            context.WriteLine(line);
        ReportOutcome(result, processLog);
    }

    /// <summary>
    /// The scenario's outcome as the MSTest result: a failure fails the method (with the tail of the
    /// bench's process log), a skip makes it inconclusive (shown as skipped, never as passed), a
    /// pass returns.
    /// </summary>
    public static void ReportOutcome(ScenarioResult result, string processLog = "")
    {
        switch (result.Outcome)
        {
            case ScenarioOutcome.Failed:
                Assert.Fail(result.Message + (processLog.Length > 0 ? "\n" + Tail(processLog, 40) : ""));
                break;
            case ScenarioOutcome.Skipped:
                Assert.Inconclusive(result.Message);
                break;
        }
    }

    /// <summary>Adds a result produced elsewhere (the soak).</summary>
    public static void Record(ScenarioResult result)
    {
        lock (Gate)
            Results.Add(result);
    }

    private static void EnsureGuestBuilt()
    {
        var start = new ProcessStartInfo("make") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-s", "-C", Path.Combine(RepositoryRoot, "hil-tests", "guest") })
            start.ArgumentList.Add(a);
        using var make = Process.Start(start)!;
        string errors = make.StandardError.ReadToEnd();
        make.WaitForExit();
        if (make.ExitCode != 0)
            throw new InvalidOperationException("make -C hil-tests/guest failed: " + errors);

        // The virtual board's 'linux' VM (docs/guests.md): cached, rebuilt when its inputs change.
        string script = Path.Combine(RepositoryRoot, "hil-tests", "guest", "linux", "build.sh");
        using var linux = Process.Start(new ProcessStartInfo(script) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        string linuxErrors = linux.StandardError.ReadToEnd();
        linux.WaitForExit();
        if (linux.ExitCode != 0)
            throw new InvalidOperationException("hil-tests/guest/linux/build.sh failed: " + linuxErrors);
    }

    private static string Tail(string text, int lines) => string.Join("\n", text.Split('\n').TakeLast(lines));

    [AssemblyCleanup]
    public static void WriteReports()
    {
        Task<XenMachine>? xen;
        lock (Gate)
            xen = _xenMachine;
        if (xen is { IsCompletedSuccessfully: true })
            xen.Result.ShutDownAsync(Path.Combine(Settings.RunDirectory, "xen")).GetAwaiter().GetResult();
        List<ScenarioResult> results;
        lock (Gate)
            results = Results.ToList();
        if (results.Count == 0)
            return;
        var settings = Settings;
        var run = new RunResult
        {
            RunId = settings.RunId,
            Bench = settings.Bench == "board" ? "board:" + Path.GetFileName(settings.BenchFile) : settings.Vmm == "xen" ? "virtual-xen" : "virtual",
            Suite = settings.SoakFaults > 0 ? $"soak {settings.SoakFaults} (seed {settings.Seed})" : settings.Suite,
            StartedAt = Started,
            Duration = Watch.Elapsed,
            Scenarios = results,
        };
        ReportSet.WriteAll(run, settings.RunDirectory);
    }
}
