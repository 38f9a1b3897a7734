// stratos-trace: builds the traceability matrix of the island interface standard and fails on a
// broken trace (rules: TraceChecker; format of requirements: docs/spec/requirements/index.rst).
//
//   stratos-trace --repo DIR --results DIR --out FILE [--configuration Release]
//
// Inputs: docs/spec/requirements/*.rst; every test project under */tests/ (IsTestProject), read
// from its compiled assembly bin/<configuration>/net10.0/<project>.dll; the TRX files under
// --results (their last outcomes); coverlet's cobertura reports under --results (coverage.cobertura.xml).
// Output: --out, the JSON the Sphinx extension docs/spec/_ext/requirements.py renders.
// Exit status: 0 when the trace holds, 1 when any rule is broken (each broken rule on stderr),
// 2 on bad arguments or missing inputs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Xml.Linq;

namespace Stratos.Island.Trace;

public static class Program
{
    /// <summary>Assemblies whose branch coverage the matrix shows (the firmware core and the link).</summary>
    internal static readonly string[] CoverageModules =
    {
        "Stratos.Island.Firmware", "Stratos.Island.Firmware.Link", "Stratos.Island.Link", "Stratos.Island.Codec",
    };

    public static int Main(string[] args)
    {
        string? repo = null, results = null, output = null, configuration = "Release";
        for (int i = 0; i < args.Length; i++)
        {
            string? next = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--repo": repo = next; i++; break;
                case "--results": results = next; i++; break;
                case "--out": output = next; i++; break;
                case "--configuration": configuration = next; i++; break;
                default:
                    Console.Error.WriteLine($"stratos-trace: unknown argument '{args[i]}' (expected --repo DIR --results DIR --out FILE [--configuration NAME])");
                    return 2;
            }
        }
        if (repo == null || results == null || output == null || configuration == null)
        {
            Console.Error.WriteLine("stratos-trace: --repo, --results and --out are required");
            return 2;
        }
        repo = Path.GetFullPath(repo);
        string reqFolder = Path.Combine(repo, "docs", "spec", "requirements");
        if (!Directory.Exists(reqFolder))
        {
            Console.Error.WriteLine($"stratos-trace: requirements folder {reqFolder} does not exist");
            return 2;
        }
        if (!Directory.Exists(results))
        {
            Console.Error.WriteLine($"stratos-trace: results folder {results} does not exist (run the tests first)");
            return 2;
        }

        var errors = new List<string>();
        var requirements = RequirementReader.ReadFolder(reqFolder, errors);

        var assemblies = FindTestAssemblies(repo, configuration, errors);
        var tests = new List<TracedTest>();
        foreach (string dll in assemblies)
            tests.AddRange(TestScanner.Scan(dll, errors));

        var trxFiles = Directory.GetFiles(results, "*.trx", SearchOption.AllDirectories);
        var outcomes = TrxResults.Read(trxFiles);
        var coverageFiles = Directory.GetFiles(results, "coverage.cobertura.xml", SearchOption.AllDirectories);
        var coverage = CoberturaReader.Read(coverageFiles, new HashSet<string>(CoverageModules, StringComparer.Ordinal));

        var checker = new TraceChecker(repo);
        checker.Errors.AddRange(errors);
        var entries = checker.Check(requirements, tests, outcomes);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, ToJson(entries, checker.Errors, tests.Count, assemblies.Count, trxFiles.Length, coverage));

        int market = requirements.Count(r => r.Tier == Tier.Market), product = requirements.Count(r => r.Tier == Tier.Product),
            design = requirements.Count(r => r.Tier == Tier.Design);
        int verified = entries.Count(e => e.Status == "verified");
        Console.WriteLine($"trace: {requirements.Count} requirements ({market} market, {product} product, {design} design), " +
                          $"{verified} verified; {tests.Count} tracing tests in {assemblies.Count} assemblies; {trxFiles.Length} TRX files");
        foreach (var c in coverage)
            Console.WriteLine($"coverage: {c.Module}: branches {100 * c.BranchRate:F1} % ({c.BranchesCovered}/{c.BranchesValid}), lines {100 * c.LineRate:F1} %");
        foreach (string e in checker.Errors)
            Console.Error.WriteLine("trace error: " + e);
        return checker.Errors.Count == 0 ? 0 : 1;
    }

    /// <summary>Compiled assemblies of the test projects (IsTestProject=true) under */tests/.</summary>
    internal static List<string> FindTestAssemblies(string repo, string configuration, List<string> errors)
    {
        var result = new List<string>();
        foreach (string top in Directory.GetDirectories(repo))
        {
            string tests = Path.Combine(top, "tests");
            if (!Directory.Exists(tests))
                continue;
            foreach (string projectDir in Directory.GetDirectories(tests))
            {
                foreach (string csproj in Directory.GetFiles(projectDir, "*.csproj"))
                {
                    var doc = XDocument.Load(csproj);
                    if (!doc.Descendants("IsTestProject").Any(e => e.Value.Trim() == "true"))
                        continue;
                    string name = Path.GetFileNameWithoutExtension(csproj);
                    string dll = Path.Combine(projectDir, "bin", configuration, "net10.0", name + ".dll");
                    if (File.Exists(dll))
                        result.Add(dll);
                    else
                        errors.Add($"test assembly {Path.GetRelativePath(repo, dll)} is missing (build the solution in {configuration} first)");
                }
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private static string ToJson(List<TraceEntry> entries, List<string> errors, int tracingTests, int assemblies, int resultFiles,
        List<CoverageFigure> coverage)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("generatedUtc", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"));
            w.WriteStartObject("summary");
            w.WriteNumber("requirements", entries.Count);
            w.WriteNumber("tracingTests", tracingTests);
            w.WriteNumber("assemblies", assemblies);
            w.WriteNumber("resultFiles", resultFiles);
            w.WriteEndObject();
            w.WriteStartArray("errors");
            foreach (string e in errors)
                w.WriteStringValue(e);
            w.WriteEndArray();
            w.WriteStartArray("requirements");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("id", e.Requirement.Tag.ToString());
                w.WriteString("title", e.Requirement.Title);
                w.WriteString("tier", e.Requirement.Tier.ToString());
                w.WriteString("status", e.Status);
                WriteStrings(w, "covers", e.Requirement.Covers);
                WriteStrings(w, "coveredBy", e.CoveredBy);
                WriteStrings(w, "code", e.Requirement.Code);
                w.WriteStartArray("tests");
                foreach (var t in e.Tests.OrderBy(t => t.Project, StringComparer.Ordinal).ThenBy(t => t.Test, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("test", ShortName(t.Test));
                    w.WriteString("project", t.Project);
                    w.WriteString("outcome", t.Outcome);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("coverage");
            foreach (var c in coverage)
            {
                w.WriteStartObject();
                w.WriteString("module", c.Module);
                w.WriteNumber("branchesCovered", c.BranchesCovered);
                w.WriteNumber("branchesValid", c.BranchesValid);
                w.WriteNumber("branchRate", c.BranchRate);
                w.WriteNumber("lineRate", c.LineRate);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Class.Method without the namespace, for the matrix.</summary>
    private static string ShortName(string fullName)
    {
        int method = fullName.LastIndexOf('.');
        int cls = method > 0 ? fullName.LastIndexOf('.', method - 1) : -1;
        return cls < 0 ? fullName : fullName.Substring(cls + 1);
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
