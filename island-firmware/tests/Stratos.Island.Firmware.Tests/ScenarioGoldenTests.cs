using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Firmware.Scenario;
using Stratos.Island.Firmware.Scenario.Host;

namespace Stratos.Island.Firmware.Tests;

// The firmware scenario program (island-firmware/src/Stratos.Island.Firmware.Scenario) on CoreCLR:
// its trace must equal the committed golden trace byte for byte, up to and including the completion
// marker (an unhandled exception on nanoCLR exits silently with status 0, so the marker is what says
// the run finished). The JSON line after it (timings, heap) depends on the machine and is checked for
// shape only. The same golden trace is what a run on nanoCLR must print.
[TestClass]
public sealed class ScenarioGoldenTests
{
    private static string GoldenPath => Path.Combine(AppContext.BaseDirectory, "Golden", "scenario-trace.txt");

    private static List<string> RunScenario()
    {
        var writer = new StringWriter { NewLine = "\n" };
        var sink = new WriterSink(writer);
        IslandScenario.Run(sink, new AllocatedBytesProbe());
        Assert.IsTrue(sink.Completed, "the scenario did not print its completion marker");
        return writer.ToString().Split('\n').ToList();
    }

    [TestMethod]
    public void The_scenario_trace_equals_the_golden_trace_byte_for_byte()
    {
        List<string> lines = RunScenario();
        int marker = lines.IndexOf(IslandScenario.CompletionMarker);
        string trace = string.Join("\n", lines.Take(marker + 1)) + "\n";
        byte[] actual = Encoding.UTF8.GetBytes(trace);
        byte[] golden = File.ReadAllBytes(GoldenPath);
        if (!actual.AsSpan().SequenceEqual(golden))
        {
            string[] goldenLines = Encoding.UTF8.GetString(golden).Split('\n');
            int first = 0;
            while (first < goldenLines.Length && first <= marker && goldenLines[first] == lines[first])
            {
                first++;
            }
            Assert.Fail("trace differs from Golden/scenario-trace.txt at line " + (first + 1) + ":\n  golden: "
                + (first < goldenLines.Length ? goldenLines[first] : "<end>") + "\n  actual: " + (first <= marker ? lines[first] : "<end>"));
        }
    }

    [TestMethod]
    public void The_trace_holds_characters_beyond_U_FFFF_every_step_and_ends_with_counters_digest_and_timings()
    {
        List<string> lines = RunScenario();
        int marker = lines.IndexOf(IslandScenario.CompletionMarker);
        Assert.IsGreaterThan(0, marker);
        string trace = string.Join("\n", lines.Take(marker));
        foreach (string step in new[] { "== boot", "== deadline miss", "== logical violation", "== alive expiry", "== refused stop", "== refused power-domain change", "== system reboot", "== power cut", "== agent loss and resync", "== counters" })
        {
            StringAssert.Contains(trace, step);
        }
        Assert.IsTrue(trace.Contains("\U00010348", StringComparison.Ordinal) || trace.Contains("f0908d88", StringComparison.Ordinal), "a character beyond U+FFFF reaches the trace");
        StringAssert.Contains(trace, "hal safe-state asserted");
        StringAssert.Matches(lines[marker - 1], new System.Text.RegularExpressions.Regex("^trace: [0-9]+ lines, sha256 [0-9a-f]{64}$"));
        StringAssert.Matches(lines[marker + 1], new System.Text.RegularExpressions.Regex("^\\{\"cycle_16_vms_ns\":[0-9]+,.*\"heap_boot_64_vms_bytes\":[0-9]+\\}$"));
    }
}
