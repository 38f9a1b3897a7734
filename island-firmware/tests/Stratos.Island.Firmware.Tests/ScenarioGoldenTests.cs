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
        IslandScenario.Run(sink, new UsedBytesProbe());
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
        foreach (string step in new[] { "== boot", "== deadline miss", "== logical violation", "== alive expiry", "== vm crash", "== refused stop", "== refused power-domain change", "== system reboot", "== power cut", "== link drop under a live agent", "== agent loss (A-cluster reset) and resync", "== counters" })
        {
            StringAssert.Contains(trace, step);
        }

        // Characters beyond U+FFFF in the trace and on the wire, both ways, as 4-byte UTF-8: a request
        // reason (agent -> island) and a crash detail that comes back as the VM's last failure.
        StringAssert.Contains(trace, "'operator stop \U00010348' | ");
        StringAssert.Contains(trace, "1a126f70657261746f722073746f7020f0908d88");
        StringAssert.Contains(trace, "VmStatus vm 6 'media' Failed Qm supervision Deactivated restarts 0 'guest panic \U0001F4A5 \U0001D11E' | ");
        StringAssert.Contains(trace, "421567756573742070616e696320f09f92a520f09d849e");

        // The deadline miss is detected and escalated; losing the agent resets the A cluster (not the
        // safe state), and the agent that reconnects gets the VMs back through boot orchestration.
        StringAssert.Contains(trace, "Event seq 27 boot 1 SupervisionStatus subject 3 value Expired 'deadline-rt'");
        StringAssert.Contains(trace, "Escalation subject 3 value RestartVm 'supervision expired'");
        string loss = trace.Substring(trace.IndexOf("== agent loss", StringComparison.Ordinal));
        StringAssert.Contains(loss, "hal a-cluster reset");
        StringAssert.Contains(loss, "Escalation subject 0 value ResetACluster 'agent supervision expired'");
        StringAssert.Contains(loss, "a-cluster resets so far: 1, safe state no");
        StringAssert.Contains(loss, "agent-> Hello Agent boot 42728");
        Assert.IsFalse(loss.Contains("hal safe-state asserted", StringComparison.Ordinal));
        // The kills queued while the agent was gone were cancelled by the reset: the new agent gets
        // none of them, only the boot orchestration's starts.
        string resync = loss.Substring(loss.IndexOf("agent-> Hello Agent boot 42728", StringComparison.Ordinal));
        Assert.IsFalse(resync.Contains("Kill", StringComparison.Ordinal), "a cancelled directive reached the new agent");
        StringAssert.Contains(trace, "queued 8, stale directives dropped 8,");
        StringAssert.EndsWith(loss.Substring(0, loss.IndexOf("== counters", StringComparison.Ordinal)),
            "vm 1 Running\nvm 2 Running\nvm 3 Running\nvm 4 Running\nvm 5 Running\nvm 6 Running\nvm 7 Running\nvm 8 Running\n");

        // No enum reaches the trace as a bare number: event values are named after their type.
        Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(trace, " value -?[0-9]+ '"), "an event value printed as a number");
        StringAssert.Matches(lines[marker - 1], new System.Text.RegularExpressions.Regex("^trace: [0-9]+ lines, sha256 [0-9a-f]{64}$"));
        StringAssert.Matches(lines[marker + 1], new System.Text.RegularExpressions.Regex("^\\{\"cycle_16_vms_ns\":[0-9]+,.*\"heap_boot_64_vms_bytes\":[0-9]+,\"heap_per_added_vm_bytes\":[0-9]+,.*\"heap_16_vms_link_bytes\":[0-9]+\\}$"));
    }

    // RAM (issue #12, docs/firmware.md "RAM"): what the firmware keeps on the heap after boot
    // (configuration, core, link; CoreCLR after a full collection, 64-bit) stays within 55 KB with
    // 16 VMs and grows by at most 1 KB per added VM (16 -> 64 VMs).
    [TestMethod]
    public void The_firmware_keeps_at_most_55_KB_for_16_VMs_and_1_KB_per_added_VM_after_boot()
    {
        // The probe reads the whole process's heap, so another thread allocating during a measurement
        // (the test host, the coverage collector, a finalizer) can only add bytes: the smallest of up
        // to three runs is the firmware's own figure.
        long heap16 = long.MaxValue, perVm = long.MaxValue;
        var runs = new List<string>();
        for (int run = 0; run < 3 && (heap16 > 55L * 1024 || perVm > 1024L); run++)
        {
            List<string> lines = RunScenario();
            string json = lines[lines.IndexOf(IslandScenario.CompletionMarker) + 1];
            runs.Add(json);
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            long core16 = doc.RootElement.GetProperty("heap_16_vms_core_bytes").GetInt64();
            Assert.IsGreaterThan(0L, core16, "the probe measured nothing");
            heap16 = Math.Min(heap16, doc.RootElement.GetProperty("heap_boot_16_vms_bytes").GetInt64());
            perVm = Math.Min(perVm, doc.RootElement.GetProperty("heap_per_added_vm_bytes").GetInt64());
        }

        Assert.IsLessThanOrEqualTo(55L * 1024, heap16, string.Join("\n", runs));
        Assert.IsLessThanOrEqualTo(1024L, perVm, string.Join("\n", runs));
    }
}
