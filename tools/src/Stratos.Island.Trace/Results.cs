using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml.Linq;

namespace Stratos.Island.Trace;

/// <summary>
/// Last results of test methods from the TRX files of a run (one per test project, as ./test.sh
/// writes them into out/test-results). A method with several results (data rows) is Failed if any
/// failed, Passed if at least one passed and none failed, else the first outcome seen.
/// </summary>
internal static class TrxResults
{
    public static Dictionary<string, string> Read(IEnumerable<string> trxFiles)
    {
        var outcomes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in trxFiles)
        {
            var doc = XDocument.Load(path);
            XNamespace ns = doc.Root!.Name.Namespace;
            var methodOfTest = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var unitTest in doc.Descendants(ns + "UnitTest"))
            {
                var method = unitTest.Element(ns + "TestMethod");
                string? id = (string?)unitTest.Attribute("id");
                string? className = (string?)method?.Attribute("className");
                string? name = (string?)method?.Attribute("name");
                if (id == null || className == null || name == null)
                    continue;
                int paren = name.IndexOf('(');
                if (paren >= 0)
                    name = name.Substring(0, paren).TrimEnd();
                methodOfTest[id] = className + "." + name;
            }
            foreach (var result in doc.Descendants(ns + "UnitTestResult"))
            {
                string? id = (string?)result.Attribute("testId");
                string outcome = (string?)result.Attribute("outcome") ?? "Unknown";
                if (id == null || !methodOfTest.TryGetValue(id, out string? key))
                    continue;
                outcomes[key] = Combine(outcomes.GetValueOrDefault(key), outcome);
            }
        }
        return outcomes;
    }

    private static string Combine(string? previous, string next)
    {
        if (previous == null)
            return next;
        if (previous == "Failed" || next == "Failed")
            return "Failed";
        if (previous == "Passed" || next == "Passed")
            return "Passed";
        return previous;
    }
}

/// <summary>Branch and line coverage of one assembly (cobertura "package"), merged over report files.</summary>
internal sealed record CoverageFigure(string Module, int BranchesCovered, int BranchesValid, int LinesCovered, int LinesValid)
{
    public double BranchRate => BranchesValid == 0 ? 1 : (double)BranchesCovered / BranchesValid;
    public double LineRate => LinesValid == 0 ? 1 : (double)LinesCovered / LinesValid;
}

/// <summary>
/// Reads coverlet's cobertura reports. The same assembly measured by several test projects is
/// merged line by line: a line counts as covered if any report covered it, and its branches count
/// with the highest coverage any report saw (cobertura's condition-coverage "n% (c/v)").
/// </summary>
internal static class CoberturaReader
{
    public static List<CoverageFigure> Read(IEnumerable<string> files, ISet<string> modules)
    {
        // module -> (file, line) -> (hits, covered branches, valid branches)
        var merged = new Dictionary<string, Dictionary<(string, int), (bool Hit, int Covered, int Valid)>>(StringComparer.Ordinal);
        foreach (string path in files)
        {
            var doc = XDocument.Load(path);
            // File names are relative to the report's source root, which differs between reports
            // (coverlet picks the common root of what it instrumented): key lines by full path.
            string root = doc.Descendants("source").Select(e => e.Value.Trim()).FirstOrDefault() ?? "";
            foreach (var package in doc.Descendants("package"))
            {
                string module = (string?)package.Attribute("name") ?? "";
                if (!modules.Contains(module))
                    continue;
                if (!merged.TryGetValue(module, out var lines))
                    merged[module] = lines = new();
                foreach (var cls in package.Descendants("class"))
                {
                    string file = Path.GetFullPath(Path.Combine(root, (string?)cls.Attribute("filename") ?? ""));
                    foreach (var line in cls.Element("lines")?.Elements("line") ?? Array.Empty<XElement>())
                    {
                        int number = (int)line.Attribute("number")!;
                        bool hit = long.Parse((string)line.Attribute("hits")!, CultureInfo.InvariantCulture) > 0;
                        int covered = 0, valid = 0;
                        string? condition = (string?)line.Attribute("condition-coverage");
                        if (condition != null)
                        {
                            int open = condition.IndexOf('('), slash = condition.IndexOf('/'), close = condition.IndexOf(')');
                            covered = int.Parse(condition.AsSpan(open + 1, slash - open - 1), CultureInfo.InvariantCulture);
                            valid = int.Parse(condition.AsSpan(slash + 1, close - slash - 1), CultureInfo.InvariantCulture);
                        }
                        var key = (file, number);
                        if (lines.TryGetValue(key, out var old))
                            lines[key] = (old.Hit || hit, Math.Max(old.Covered, covered), Math.Max(old.Valid, valid));
                        else
                            lines[key] = (hit, covered, valid);
                    }
                }
            }
        }
        var result = new List<CoverageFigure>();
        foreach (var (module, lines) in merged)
        {
            int bc = 0, bv = 0, lc = 0, lv = 0;
            foreach (var v in lines.Values)
            {
                bc += v.Covered;
                bv += v.Valid;
                lv++;
                if (v.Hit)
                    lc++;
            }
            result.Add(new CoverageFigure(module, bc, bv, lc, lv));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Module, b.Module));
        return result;
    }
}
