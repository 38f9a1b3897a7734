using System;
using System.IO;
using Stratos.Island.Hil.Scenarios;

namespace Stratos.Island.Hil.Reports;

/// <summary>Writes every report of a run into one directory (out/hil/&lt;run&gt;/).</summary>
public static class ReportSet
{
    public const string SummaryFile = "summary.json";
    public const string JUnitFile = "junit.xml";
    public const string TrxFile = "results.trx";
    public const string HtmlFile = "report.html";

    public static void WriteAll(RunResult run, string directory)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(directory);
        Write(Path.Combine(directory, SummaryFile), s => SummaryJsonWriter.Write(run, s));
        Write(Path.Combine(directory, JUnitFile), s => JUnitWriter.Write(run, s));
        Write(Path.Combine(directory, TrxFile), s => TrxWriter.Write(run, s));
        Write(Path.Combine(directory, HtmlFile), s => HtmlReportWriter.Write(run, s));
    }

    private static void Write(string path, Action<Stream> writer)
    {
        // Write then rename so a reader never sees half a report.
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
            writer(stream);
        File.Move(temp, path, overwrite: true);
    }
}
