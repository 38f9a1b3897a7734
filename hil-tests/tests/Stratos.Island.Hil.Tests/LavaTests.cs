using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;
using Stratos.Island.Hil.Benches;
using Stratos.Island.Hil.Reports;
using YamlDotNet.RepresentationModel;

namespace Stratos.Island.Hil.Tests;

[TestClass]
public sealed class LavaTests
{
    private static string Lava => Path.Combine(Path.GetDirectoryName(BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory))!, "hil-tests", "lava");

    private static YamlMappingNode LoadYaml(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Lava, file));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    [TestMethod]
    public void Summary_becomes_one_lava_test_case_per_scenario_with_results_and_latency()
    {
        string dir = Path.Combine(Path.GetTempPath(), "hil-lava-" + Guid.NewGuid().ToString("N"));
        try
        {
            ReportSet.WriteAll(RecordedRuns.Run(), dir);
            var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(Lava, "summary-to-lava.py"));
            start.ArgumentList.Add(Path.Combine(dir, ReportSet.SummaryFile));
            // Make sure a real lava-test-case is not picked up from PATH on a LAVA worker.
            start.Environment["PATH"] = "/usr/bin:/bin";
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.AreEqual(0, process.ExitCode, process.StandardError.ReadToEnd());
            var cases = output.Split('\n').Where(l => l.StartsWith("lava-test-case ", StringComparison.Ordinal)).ToList();
            Assert.AreEqual(3, cases.Count, output);
            Assert.AreEqual("lava-test-case supervision.Guest_hang_is_detected_by_alive_supervision --result pass --measurement 1150.0 --units ms", cases[0]);
            Assert.AreEqual("lava-test-case supervision.Missed_deadline_is_detected_within_bound --result fail --measurement 420.0 --units ms", cases[1]);
            Assert.AreEqual("lava-test-case recovery.Island_hang_fires_its_watchdog --result skip", cases[2]);
            StringAssert.Contains(output, "recovery.Island_hang_fires_its_watchdog: skipped: board:rpi cannot inject IslandHang");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Job_template_runs_the_test_definition_that_exists_in_the_repository()
    {
        var job = LoadYaml("job-template.yaml");
        var actions = (YamlSequenceNode)job.Children[new YamlScalarNode("actions")];
        var test = actions.Children.Cast<YamlMappingNode>().Single(a => a.Children.ContainsKey(new YamlScalarNode("test")));
        var definition = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)test.Children[new YamlScalarNode("test")]).Children[new YamlScalarNode("definitions")]).Children[0];
        string path = ((YamlScalarNode)definition.Children[new YamlScalarNode("path")]).Value!;
        string repoRoot = Path.GetDirectoryName(Path.GetDirectoryName(Lava))!;
        Assert.IsTrue(File.Exists(Path.Combine(repoRoot, path)), path);
        var suite = LoadYaml(Path.GetFileName(path));
        var steps = ((YamlSequenceNode)((YamlMappingNode)suite.Children[new YamlScalarNode("run")]).Children[new YamlScalarNode("steps")]).Children.Select(s => ((YamlScalarNode)s).Value!).ToList();
        Assert.IsTrue(steps.Any(s => s.Contains("./hil.sh --bench board", StringComparison.Ordinal)));
        Assert.IsTrue(steps.Any(s => s.Contains("summary-to-lava.py", StringComparison.Ordinal)));
        Assert.AreEqual("Lava-Test Test Definition 1.0", ((YamlScalarNode)((YamlMappingNode)suite.Children[new YamlScalarNode("metadata")]).Children[new YamlScalarNode("format")]).Value);
    }

    [TestMethod]
    [DataRow("bench-dut-local.yaml", false)]
    [DataRow("bench-lab-host.yaml", true)]
    public void Example_bench_files_load(string file, bool canCutPower)
    {
        var bench = new BoardBench(BenchFileLoader.Load(Path.Combine(Lava, file)));
        Assert.AreEqual(canCutPower, bench.CanInject(Measurement.FaultKind.PowerCutDuringLogWrite) is null);
    }
}
