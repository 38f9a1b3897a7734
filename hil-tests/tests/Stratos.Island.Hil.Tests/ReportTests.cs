using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Hil.Reports;

namespace Stratos.Island.Hil.Tests;

[TestClass]
public sealed class ReportTests
{
    private static string Render(System.Action<Stream> writer)
    {
        using var stream = new MemoryStream();
        writer(stream);
        return Encoding.UTF8.GetString(stream.ToArray()).TrimStart('\uFEFF');
    }

    [TestMethod]
    public void Summary_json_carries_each_scenario_result_latency_and_bound()
    {
        var run = RecordedRuns.Run();
        using var json = JsonDocument.Parse(Render(s => SummaryJsonWriter.Write(run, s)));
        var root = json.RootElement;
        Assert.AreEqual("virtual", root.GetProperty("bench").GetString());
        var totals = root.GetProperty("totals");
        Assert.AreEqual(1, totals.GetProperty("passed").GetInt32());
        Assert.AreEqual(1, totals.GetProperty("failed").GetInt32());
        Assert.AreEqual(1, totals.GetProperty("skipped").GetInt32());
        Assert.AreEqual(0.5, totals.GetProperty("detection_coverage").GetDouble());
        var scenarios = root.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.AreEqual("passed,failed,skipped", string.Join(",", scenarios.Select(s => s.GetProperty("result").GetString()).ToArray()));
        var hang = scenarios[0].GetProperty("faults")[0];
        Assert.AreEqual(1150.0, hang.GetProperty("detection_latency_ms").GetDouble(), 0.01);
        Assert.AreEqual(1160.0, hang.GetProperty("action_latency_ms").GetDouble(), 0.01);
        Assert.AreEqual(1900.0, hang.GetProperty("recovery_latency_ms").GetDouble(), 0.01);
        Assert.AreEqual(1210.0, hang.GetProperty("bound_ms").GetDouble(), 0.01);
        Assert.IsTrue(hang.GetProperty("within_bound").GetBoolean());
        Assert.IsFalse(scenarios[1].GetProperty("faults")[0].GetProperty("within_bound").GetBoolean());
        StringAssert.StartsWith(scenarios[2].GetProperty("message").GetString(), "skipped: ");
    }

    [TestMethod]
    public void JUnit_xml_parses_back_with_counts_failures_and_skips()
    {
        var doc = XDocument.Parse(Render(s => JUnitWriter.Write(RecordedRuns.Run(), s)));
        var root = doc.Root!;
        Assert.AreEqual("testsuites", root.Name.LocalName);
        Assert.AreEqual("3", root.Attribute("tests")!.Value);
        Assert.AreEqual("1", root.Attribute("failures")!.Value);
        Assert.AreEqual("1", root.Attribute("skipped")!.Value);
        var suites = root.Elements("testsuite").ToList();
        Assert.AreEqual("supervision,recovery", string.Join(",", suites.Select(s => s.Attribute("name")!.Value).ToArray()));
        var cases = root.Descendants("testcase").ToList();
        Assert.AreEqual(3, cases.Count);
        StringAssert.Contains(cases[1].Element("failure")!.Attribute("message")!.Value, "exceeds the bound 310.0 ms");
        Assert.AreEqual("skipped: board:rpi cannot inject IslandHang: needs a debug probe <halt> & hook", cases[2].Element("skipped")!.Attribute("message")!.Value);
        Assert.IsNull(cases[0].Element("failure"));
        Assert.AreEqual("3.500", cases[0].Attribute("time")!.Value);
    }

    [TestMethod]
    public void Trx_parses_back_with_the_counters_and_outcomes_ci_reads()
    {
        var doc = XDocument.Parse(Render(s => TrxWriter.Write(RecordedRuns.Run(), s)));
        XNamespace ns = TrxWriter.Namespace;
        var counters = doc.Descendants(ns + "Counters").Single();
        Assert.AreEqual("3", counters.Attribute("total")!.Value);
        Assert.AreEqual("1", counters.Attribute("passed")!.Value);
        Assert.AreEqual("1", counters.Attribute("failed")!.Value);
        Assert.AreEqual("1", counters.Attribute("notExecuted")!.Value);
        Assert.AreEqual("Failed", doc.Descendants(ns + "ResultSummary").Single().Attribute("outcome")!.Value);
        var results = doc.Descendants(ns + "UnitTestResult").ToList();
        Assert.AreEqual("Passed,Failed,NotExecuted", string.Join(",", results.Select(r => r.Attribute("outcome")!.Value).ToArray()));
        // Every result points at a definition and an entry with the same ids.
        var definitions = doc.Descendants(ns + "UnitTest").ToDictionary(u => u.Attribute("id")!.Value);
        foreach (var r in results)
        {
            var definition = definitions[r.Attribute("testId")!.Value];
            Assert.AreEqual(r.Attribute("executionId")!.Value, definition.Element(ns + "Execution")!.Attribute("id")!.Value);
        }
        Assert.AreEqual(3, doc.Descendants(ns + "TestEntry").Count());
        StringAssert.Contains(results[1].Descendants(ns + "Message").Single().Value, "exceeds the bound");
    }

    [TestMethod]
    public void Trx_test_ids_are_stable_across_runs_of_the_same_suite()
    {
        XNamespace ns = TrxWriter.Namespace;
        string[] Ids(string runId) => XDocument.Parse(Render(s => TrxWriter.Write(RecordedRuns.Run() with { RunId = runId }, s)))
            .Descendants(ns + "UnitTestResult").Select(r => r.Attribute("testId")!.Value).ToArray();
        Assert.AreEqual(string.Join(",", Ids("a")), string.Join(",", Ids("b")));
    }

    [TestMethod]
    public void Html_report_draws_an_svg_timeline_per_vm_with_the_expected_marks()
    {
        string html = Render(s => HtmlReportWriter.Write(RecordedRuns.Run(), s));
        var svgs = Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline).Select(m => XDocument.Parse(m.Value)).ToList();
        // base, web, no island timeline (no island events recorded); the failed scenario has no timelines.
        Assert.AreEqual(2, svgs.Count);
        var baseSvg = svgs.Single(s => s.Root!.Elements().Any(e => e.Name.LocalName == "title" && e.Value == "base"));
        int Count(XDocument svg, string cls) => svg.Descendants().Count(e => e.Attribute("class")?.Value == cls);
        Assert.AreEqual(15, Count(baseSvg, "mark-heartbeat"));
        Assert.AreEqual(10, Count(baseSvg, "mark-checkpoint"));
        Assert.AreEqual(4, Count(baseSvg, "mark-status"), "FAILED, STOPPING, FAILED, RUNNING");
        Assert.AreEqual(1, Count(baseSvg, "mark-action"));
        Assert.AreEqual(1, Count(baseSvg, "mark-fault"));
        Assert.AreEqual(1, Count(baseSvg, "mark-detection"));
        Assert.AreEqual(1, Count(baseSvg, "mark-recovery"));
        Assert.AreEqual(1, Count(baseSvg, "bound-window"));
        var labels = baseSvg.Descendants().Where(e => e.Attribute("class")?.Value == "mark-label").Select(e => e.Value).ToList();
        CollectionAssert.Contains(labels, "RESTARTVM");
        CollectionAssert.Contains(labels, "RUNNING");
        // The fault line sits left of the detection line (both on the shared axis).
        double X(string cls) => double.Parse(baseSvg.Descendants().First(e => e.Attribute("class")?.Value == cls).Attribute("x1")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsLessThan(X("mark-detection"), X("mark-fault"));
    }

    [TestMethod]
    public void Html_report_needs_no_script_and_no_external_asset()
    {
        string html = Render(s => HtmlReportWriter.Write(RecordedRuns.Run(), s));
        Assert.DoesNotContain("<script", html);
        Assert.IsFalse(Regex.IsMatch(html, "(src|href)=\"(https?:)?//"), "external asset");
        Assert.DoesNotContain("<link", html);
        StringAssert.Contains(html, "1 passed");
        StringAssert.Contains(html, "&lt;halt&gt; &amp; hook");
    }

    [TestMethod]
    public void Report_set_writes_the_four_files_and_no_temporary_ones()
    {
        string dir = Path.Combine(Path.GetTempPath(), "hil-report-" + System.Guid.NewGuid().ToString("N"));
        try
        {
            ReportSet.WriteAll(RecordedRuns.Run(), dir);
            var names = Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray();
            Assert.AreEqual(string.Join(",", new[] { ReportSet.JUnitFile, ReportSet.HtmlFile, ReportSet.TrxFile, ReportSet.SummaryFile }.Order()), string.Join(",", names));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Tick_steps_are_one_two_or_five_times_a_power_of_ten()
    {
        Assert.AreEqual(500.0, SvgTimeline.TickStep(3500));
        Assert.AreEqual(1.0, SvgTimeline.TickStep(5));
        Assert.AreEqual(2000.0, SvgTimeline.TickStep(12000));
    }
}
