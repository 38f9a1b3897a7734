using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Reports;

/// <summary>
/// JUnit XML (the Ant/Jenkins schema most CI systems read): one testsuite per scenario group,
/// one testcase per scenario; a failed scenario carries &lt;failure message=...&gt;, a skipped one
/// &lt;skipped message="reason"/&gt;. Times are seconds.
/// </summary>
public static class JUnitWriter
{
    public static void Write(RunResult run, Stream output)
    {
        using var xml = XmlWriter.Create(output, new XmlWriterSettings { Indent = true });
        xml.WriteStartDocument();
        xml.WriteStartElement("testsuites");
        xml.WriteAttributeString("name", $"hil {run.Suite} on {run.Bench}");
        WriteCounts(xml, run.Scenarios.Count, run.Failed, run.Skipped, run.Duration.TotalSeconds);
        foreach (var group in run.Scenarios.GroupBy(s => s.Group))
        {
            var scenarios = group.ToList();
            xml.WriteStartElement("testsuite");
            xml.WriteAttributeString("name", group.Key);
            WriteCounts(xml, scenarios.Count,
                scenarios.Count(s => s.Outcome == ScenarioOutcome.Failed),
                scenarios.Count(s => s.Outcome == ScenarioOutcome.Skipped),
                scenarios.Sum(s => s.Duration.TotalSeconds));
            xml.WriteAttributeString("timestamp", run.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            foreach (var scenario in scenarios)
            {
                xml.WriteStartElement("testcase");
                xml.WriteAttributeString("classname", $"hil.{scenario.Group}");
                xml.WriteAttributeString("name", scenario.Name);
                xml.WriteAttributeString("time", Seconds(scenario.Duration.TotalSeconds));
                if (scenario.Outcome == ScenarioOutcome.Failed)
                {
                    xml.WriteStartElement("failure");
                    xml.WriteAttributeString("message", scenario.Message);
                    xml.WriteString(string.Join("\n", scenario.Log));
                    xml.WriteEndElement();
                }
                else if (scenario.Outcome == ScenarioOutcome.Skipped)
                {
                    xml.WriteStartElement("skipped");
                    xml.WriteAttributeString("message", scenario.Message);
                    xml.WriteEndElement();
                }
                if (scenario.Log.Count > 0 && scenario.Outcome != ScenarioOutcome.Failed)
                    xml.WriteElementString("system-out", string.Join("\n", scenario.Log));
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WriteCounts(XmlWriter xml, int tests, int failures, int skipped, double seconds)
    {
        xml.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("errors", "0");
        xml.WriteAttributeString("skipped", skipped.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("time", Seconds(seconds));
    }

    private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);
}
