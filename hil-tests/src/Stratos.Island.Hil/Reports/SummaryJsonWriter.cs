using System.IO;
using System.Text.Json;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Reports;

/// <summary>
/// summary.json: the machine-readable run summary (docs/hil.md "Reading the report").
/// Per scenario: name, group, result (passed / failed / skipped), message, duration, and every fault
/// with its injection / detection / action / recovery times, detection latency and bound (ms, on the
/// run's host time axis; null = not observed).
/// </summary>
public static class SummaryJsonWriter
{
    public static void Write(RunResult run, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("run", run.RunId);
        json.WriteString("bench", run.Bench);
        json.WriteString("suite", run.Suite);
        json.WriteString("started_at", run.StartedAt.ToString("o"));
        json.WriteNumber("duration_ms", Round(run.Duration.TotalMilliseconds));
        json.WriteStartObject("totals");
        json.WriteNumber("scenarios", run.Scenarios.Count);
        json.WriteNumber("passed", run.Passed);
        json.WriteNumber("failed", run.Failed);
        json.WriteNumber("skipped", run.Skipped);
        json.WriteNumber("faults", System.Linq.Enumerable.Count(run.AllFaults));
        json.WriteNumber("detection_coverage", Round(run.DetectionCoverage, 4));
        json.WriteEndObject();
        json.WriteStartArray("scenarios");
        foreach (var scenario in run.Scenarios)
        {
            json.WriteStartObject();
            json.WriteString("name", scenario.Name);
            json.WriteString("group", scenario.Group);
            json.WriteString("result", Result(scenario.Outcome));
            json.WriteString("message", scenario.Message);
            json.WriteNumber("duration_ms", Round(scenario.Duration.TotalMilliseconds));
            json.WriteStartArray("faults");
            foreach (var fault in scenario.Faults)
                WriteFault(json, fault);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string Result(ScenarioOutcome outcome) => outcome switch
    {
        ScenarioOutcome.Passed => "passed",
        ScenarioOutcome.Failed => "failed",
        _ => "skipped",
    };

    private static void WriteFault(Utf8JsonWriter json, FaultMeasurement fault)
    {
        json.WriteStartObject();
        json.WriteString("vm", fault.Vm);
        json.WriteString("fault", fault.Fault.ToString());
        json.WriteString("supervision", fault.Supervision.ToString());
        Number(json, "injected_ms", fault.InjectedMs);
        Number(json, "detected_ms", fault.DetectedMs);
        Number(json, "action_ms", fault.ActionMs);
        Number(json, "recovered_ms", fault.RecoveredMs);
        Number(json, "detection_latency_ms", fault.DetectionLatencyMs);
        Number(json, "action_latency_ms", fault.ActionLatencyMs);
        Number(json, "recovery_latency_ms", fault.RecoveryLatencyMs);
        Number(json, "bound_ms", fault.BoundMs);
        json.WriteString("bound", fault.BoundRationale);
        json.WriteBoolean("within_bound", fault.DetectedWithinBound);
        json.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v)
            json.WriteNumber(name, Round(v));
        else
            json.WriteNull(name);
    }

    private static double Round(double value, int digits = 3) => System.Math.Round(value, digits);
}
