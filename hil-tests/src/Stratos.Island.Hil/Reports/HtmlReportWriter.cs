using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Reports;

/// <summary>
/// report.html: one self-contained page (inline CSS and SVG, no script, no external asset):
/// totals, the scenario table, then per scenario its faults (latencies against bounds) and one SVG
/// timeline per VM (<see cref="SvgTimeline"/>), all VMs of a scenario on the same time axis.
/// </summary>
public static class HtmlReportWriter
{
    private const string Css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
        table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
        .passed{color:#176f2c}.failed{color:#b00020;font-weight:bold}.skipped{color:#8a6d00}
        .lane{stroke:#ddd}.lane-label,.tick-label,.mark-label{font-size:10px;fill:#555}.tick-label{text-anchor:middle}
        .axis,.tick{stroke:#888}.mark-heartbeat{stroke:#1f6feb;stroke-width:1.5}.mark-checkpoint{fill:#8250df}
        .mark-status{fill:#bf8700}.mark-action{fill:#b00020}.mark-fault{stroke:#b00020;stroke-width:2;stroke-dasharray:4 3}
        .fault-label{fill:#b00020}.mark-detection{stroke:#e36209;stroke-width:2}.mark-recovery{stroke:#176f2c;stroke-width:2}
        .bound-window{fill:#b00020;fill-opacity:.07}
        """;

    public static void Write(RunResult run, Stream output)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(CultureInfo.InvariantCulture, $"<title>HIL {Esc(run.Suite)} on {Esc(run.Bench)}: {Esc(run.RunId)}</title>");
        html.Append("<style>").Append(Css).Append("</style></head><body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>HIL run {Esc(run.RunId)}</h1>");
        html.Append(CultureInfo.InvariantCulture,
            $"<p>bench <b>{Esc(run.Bench)}</b>, suite <b>{Esc(run.Suite)}</b>, started {run.StartedAt:u}, {run.Duration.TotalSeconds:0.0} s. ");
        html.Append(CultureInfo.InvariantCulture,
            $"<span class=\"passed\">{run.Passed} passed</span>, <span class=\"failed\">{run.Failed} failed</span>, <span class=\"skipped\">{run.Skipped} skipped</span>; ");
        html.Append(CultureInfo.InvariantCulture,
            $"detection coverage {run.DetectionCoverage * 100:0.#}% of {run.AllFaults.Count()} faults within bound.</p>\n");

        html.Append("<table id=\"scenarios\"><tr><th>scenario</th><th>group</th><th>result</th><th>worst detection / bound (ms)</th><th>message</th></tr>\n");
        foreach (var s in run.Scenarios)
        {
            var worst = s.Faults.Where(f => f.DetectionLatencyMs.HasValue).OrderByDescending(f => f.DetectionLatencyMs).FirstOrDefault();
            string latency = worst is null ? "" : $"{Ms(worst.DetectionLatencyMs)} / {Ms(worst.BoundMs)}";
            string result = SummaryJsonWriter.Result(s.Outcome);
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td><a href=\"#{Anchor(s)}\">{Esc(s.Name)}</a></td><td>{Esc(s.Group)}</td><td class=\"{result}\">{result}</td><td>{latency}</td><td>{Esc(s.Message)}</td></tr>\n");
        }
        html.Append("</table>\n");

        foreach (var s in run.Scenarios.Where(s => s.Faults.Count > 0 || s.Timelines.Count > 0))
        {
            string result = SummaryJsonWriter.Result(s.Outcome);
            html.Append(CultureInfo.InvariantCulture, $"<section id=\"{Anchor(s)}\"><h2>{Esc(s.Name)} <span class=\"{result}\">{result}</span></h2>\n");
            if (s.Faults.Count > 0)
            {
                html.Append("<table><tr><th>vm</th><th>fault</th><th>injected</th><th>detection</th><th>bound</th><th>action</th><th>recovery</th><th>within bound</th></tr>\n");
                foreach (var f in s.Faults)
                    html.Append(CultureInfo.InvariantCulture,
                        $"<tr><td>{Esc(f.Vm)}</td><td>{f.Fault}</td><td>{Ms(f.InjectedMs)}</td><td>{Ms(f.DetectionLatencyMs)}</td><td title=\"{Esc(f.BoundRationale)}\">{Ms(f.BoundMs)}</td><td>{Ms(f.ActionLatencyMs)}</td><td>{Ms(f.RecoveryLatencyMs)}</td><td class=\"{(f.DetectedWithinBound ? "passed" : "failed")}\">{(f.DetectedWithinBound ? "yes" : "no")}</td></tr>\n");
                html.Append("</table>\n");
            }
            var times = s.Timelines.SelectMany(t => t.Marks.Select(m => m.TimeMs))
                .Concat(s.Faults.Select(f => f.InjectedMs))
                .Concat(s.Faults.Where(f => f.BoundMs.HasValue).Select(f => f.InjectedMs + f.BoundMs!.Value))
                .ToList();
            if (times.Count > 0)
            {
                double start = times.Min(), end = times.Max();
                foreach (var timeline in s.Timelines)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<h3>{Esc(timeline.VmName)}</h3>\n");
                    html.Append(SvgTimeline.Render(timeline, s.Faults, start, end)).Append('\n');
                }
            }
            html.Append("</section>\n");
        }
        html.Append("</body></html>\n");
        var bytes = Encoding.UTF8.GetBytes(html.ToString());
        output.Write(bytes, 0, bytes.Length);
    }

    private static string Anchor(ScenarioResult s) => "s-" + string.Concat(s.Name.Select(c => char.IsLetterOrDigit(c) ? c : '-'));

    private static string Ms(double? v) => v is double d ? d.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
