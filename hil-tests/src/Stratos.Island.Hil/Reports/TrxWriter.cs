using System;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Reports;

/// <summary>
/// Visual Studio TRX (namespace http://microsoft.com/schemas/VisualStudio/TeamTest/2010), the layout
/// `dotnet test --logger trx` writes: TestRun / Times / Results (UnitTestResult) / TestDefinitions
/// (UnitTest + TestMethod) / TestEntries / TestLists / ResultSummary with Counters. Skipped scenarios
/// are outcome NotExecuted (counted in notExecuted, never passed) with the reason as the message.
/// Ids are derived from the names so two runs of the same suite give the same test ids.
/// </summary>
public static class TrxWriter
{
    public const string Namespace = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    private const string UnitTestType = "13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b";
    private const string ResultsNotInAListId = "8c84fa94-04c1-424b-9868-57a2d4851a1d";
    private const string AllLoadedResultsId = "19431567-8539-422a-85d7-44ee4e166bda";

    public static void Write(RunResult run, Stream output)
    {
        string computer = Environment.MachineName;
        var executionIds = new Guid[run.Scenarios.Count];
        for (int i = 0; i < executionIds.Length; i++)
            executionIds[i] = NameGuid($"{run.RunId}/{i}/{run.Scenarios[i].Name}");

        using var xml = XmlWriter.Create(output, new XmlWriterSettings { Indent = true });
        xml.WriteStartDocument();
        xml.WriteStartElement("TestRun", Namespace);
        xml.WriteAttributeString("id", NameGuid(run.RunId).ToString());
        xml.WriteAttributeString("name", $"hil {run.Suite} on {run.Bench} ({run.RunId})");

        xml.WriteStartElement("Times", Namespace);
        xml.WriteAttributeString("creation", Time(run.StartedAt));
        xml.WriteAttributeString("queuing", Time(run.StartedAt));
        xml.WriteAttributeString("start", Time(run.StartedAt));
        xml.WriteAttributeString("finish", Time(run.StartedAt + run.Duration));
        xml.WriteEndElement();

        xml.WriteStartElement("Results", Namespace);
        for (int i = 0; i < run.Scenarios.Count; i++)
        {
            var s = run.Scenarios[i];
            xml.WriteStartElement("UnitTestResult", Namespace);
            xml.WriteAttributeString("executionId", executionIds[i].ToString());
            xml.WriteAttributeString("testId", TestId(s).ToString());
            xml.WriteAttributeString("testName", s.Name);
            xml.WriteAttributeString("computerName", computer);
            xml.WriteAttributeString("duration", s.Duration.ToString("c", CultureInfo.InvariantCulture));
            xml.WriteAttributeString("startTime", Time(s.StartedAt));
            xml.WriteAttributeString("endTime", Time(s.StartedAt + s.Duration));
            xml.WriteAttributeString("testType", UnitTestType);
            xml.WriteAttributeString("outcome", s.Outcome switch
            {
                ScenarioOutcome.Passed => "Passed",
                ScenarioOutcome.Failed => "Failed",
                _ => "NotExecuted",
            });
            xml.WriteAttributeString("testListId", ResultsNotInAListId);
            if (s.Log.Count > 0 || s.Message.Length > 0)
            {
                xml.WriteStartElement("Output", Namespace);
                if (s.Log.Count > 0)
                    xml.WriteElementString("StdOut", Namespace, string.Join("\n", s.Log));
                if (s.Message.Length > 0)
                {
                    xml.WriteStartElement("ErrorInfo", Namespace);
                    xml.WriteElementString("Message", Namespace, s.Message);
                    xml.WriteEndElement();
                }
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("TestDefinitions", Namespace);
        for (int i = 0; i < run.Scenarios.Count; i++)
        {
            var s = run.Scenarios[i];
            xml.WriteStartElement("UnitTest", Namespace);
            xml.WriteAttributeString("name", s.Name);
            xml.WriteAttributeString("storage", $"hil/{s.Group}");
            xml.WriteAttributeString("id", TestId(s).ToString());
            xml.WriteStartElement("Execution", Namespace);
            xml.WriteAttributeString("id", executionIds[i].ToString());
            xml.WriteEndElement();
            xml.WriteStartElement("TestMethod", Namespace);
            xml.WriteAttributeString("codeBase", $"hil/{run.Bench}");
            xml.WriteAttributeString("adapterTypeName", "executor://stratos-island-hil");
            xml.WriteAttributeString("className", $"hil.{s.Group}");
            xml.WriteAttributeString("name", s.Name);
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("TestEntries", Namespace);
        for (int i = 0; i < run.Scenarios.Count; i++)
        {
            xml.WriteStartElement("TestEntry", Namespace);
            xml.WriteAttributeString("testId", TestId(run.Scenarios[i]).ToString());
            xml.WriteAttributeString("executionId", executionIds[i].ToString());
            xml.WriteAttributeString("testListId", ResultsNotInAListId);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        xml.WriteStartElement("TestLists", Namespace);
        TestList(xml, "Results Not in a List", ResultsNotInAListId);
        TestList(xml, "All Loaded Results", AllLoadedResultsId);
        xml.WriteEndElement();

        xml.WriteStartElement("ResultSummary", Namespace);
        xml.WriteAttributeString("outcome", run.Failed > 0 ? "Failed" : "Completed");
        xml.WriteStartElement("Counters", Namespace);
        string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
        xml.WriteAttributeString("total", Count(run.Scenarios.Count));
        xml.WriteAttributeString("executed", Count(run.Passed + run.Failed));
        xml.WriteAttributeString("passed", Count(run.Passed));
        xml.WriteAttributeString("failed", Count(run.Failed));
        foreach (var zero in new[] { "error", "timeout", "aborted", "inconclusive", "passedButRunAborted", "notRunnable" })
            xml.WriteAttributeString(zero, "0");
        xml.WriteAttributeString("notExecuted", Count(run.Skipped));
        foreach (var zero in new[] { "disconnected", "warning", "completed", "inProgress", "pending" })
            xml.WriteAttributeString(zero, "0");
        xml.WriteEndElement();
        xml.WriteEndElement();

        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void TestList(XmlWriter xml, string name, string id)
    {
        xml.WriteStartElement("TestList", Namespace);
        xml.WriteAttributeString("name", name);
        xml.WriteAttributeString("id", id);
        xml.WriteEndElement();
    }

    private static Guid TestId(ScenarioResult s) => NameGuid($"hil.{s.Group}.{s.Name}");

    /// <summary>A stable GUID from a name (first 16 bytes of its SHA-256).</summary>
    private static Guid NameGuid(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));

    private static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture);
}
