using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Stratos.Island.Trace;

/// <summary>A verifying test with its last result in this run ("NotRun" when no TRX file has it).</summary>
internal sealed record TestResult(string Test, string Project, string Outcome);

/// <summary>One row of the matrix: a requirement with everything traced to it.</summary>
internal sealed record TraceEntry(Requirement Requirement, List<string> CoveredBy, List<TestResult> Tests, string Status);

/// <summary>
/// The trace rules (docs/spec/requirements/index.rst, "Rules enforced by the trace tool"):
///   1. tags well formed and unique; Covers names an existing requirement of the tier directly above,
///      at its current revision;
///   2. every market requirement covered by a product requirement, every product requirement by a
///      design requirement;
///   3. every design requirement names code; each named file exists and declares the named type
///      (and member, if given);
///   4. every design requirement has a verifying test that passed in this run; no verifying test failed;
///   5. every [Verifies] tag names an existing requirement at its current revision.
/// Errors are sentences naming the requirement, test or file.
/// </summary>
internal sealed class TraceChecker
{
    private readonly string _repoRoot;

    public TraceChecker(string repoRoot)
    {
        _repoRoot = repoRoot;
    }

    public List<string> Errors { get; } = new();

    public List<TraceEntry> Check(List<Requirement> requirements, List<TracedTest> tests, IReadOnlyDictionary<string, string> outcomes)
    {
        var byKey = new Dictionary<string, Requirement>(StringComparer.Ordinal);
        foreach (var r in requirements)
        {
            if (byKey.TryGetValue(r.Tag.Key, out var other))
                Errors.Add($"{r.Tag.Key} is defined twice ({Where(other)} and {Where(r)})");
            else
                byKey[r.Tag.Key] = r;
        }

        var coveredBy = byKey.Values.ToDictionary(r => r.Tag.Key, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var r in byKey.Values)
        {
            if (r.Tier == Tier.Market && r.Covers.Count > 0)
                Errors.Add($"{r.Tag} ({Where(r)}): a market requirement covers nothing");
            foreach (string text in r.Covers)
            {
                if (!RequirementTag.TryParse(text, out var tag))
                {
                    Errors.Add($"{r.Tag} ({Where(r)}): covers '{text}', which is not a requirement tag");
                    continue;
                }
                if (!byKey.TryGetValue(tag.Key, out var target))
                {
                    Errors.Add($"{r.Tag} ({Where(r)}): covers {text}, which is not defined");
                    continue;
                }
                if ((int)tag.Tier != (int)r.Tier - 1)
                    Errors.Add($"{r.Tag} ({Where(r)}): covers {text}, which is not of the tier directly above");
                if (tag.Revision != target.Tag.Revision)
                    Errors.Add($"{r.Tag} ({Where(r)}): revision mismatch: covers {text} but the requirement is at {target.Tag}");
                coveredBy[tag.Key].Add(r.Tag.ToString());
            }
        }

        var testsOf = byKey.Values.ToDictionary(r => r.Tag.Key, _ => new List<TestResult>(), StringComparer.Ordinal);
        foreach (var t in tests)
        {
            foreach (string text in t.Tags)
            {
                if (!RequirementTag.TryParse(text, out var tag))
                {
                    Errors.Add($"{t.Project}: {t.FullName} verifies '{text}', which is not a requirement tag");
                    continue;
                }
                if (!byKey.TryGetValue(tag.Key, out var target))
                {
                    Errors.Add($"{t.Project}: {t.FullName} verifies {text}, an unknown requirement");
                    continue;
                }
                if (tag.Revision != target.Tag.Revision)
                {
                    Errors.Add($"{t.Project}: {t.FullName} verifies {text}: revision mismatch, the requirement is at {target.Tag}");
                    continue;
                }
                string outcome = outcomes.TryGetValue(t.FullName, out string? o) ? o : "NotRun";
                testsOf[tag.Key].Add(new TestResult(t.FullName, t.Project, outcome));
            }
        }

        foreach (var r in byKey.Values)
        {
            if (r.Tier == Tier.Market && coveredBy[r.Tag.Key].Count == 0)
                Errors.Add($"{r.Tag} ({Where(r)}): no product requirement covers it");
            if (r.Tier == Tier.Product && !coveredBy[r.Tag.Key].Any(c => c.StartsWith("IslDsgn~", StringComparison.Ordinal)))
                Errors.Add($"{r.Tag} ({Where(r)}): no design requirement covers it");
            if (r.Tier == Tier.Design)
            {
                if (r.Code.Count == 0)
                    Errors.Add($"{r.Tag} ({Where(r)}): names no implementing code (:code:)");
                foreach (string code in r.Code)
                    CheckCode(r, code);
                var mine = testsOf[r.Tag.Key];
                if (mine.Count == 0)
                    Errors.Add($"{r.Tag} ({Where(r)}): no test verifies it");
                else if (!mine.Any(t => t.Outcome == "Passed"))
                    Errors.Add($"{r.Tag} ({Where(r)}): none of its {mine.Count} verifying tests passed in this run");
            }
            foreach (var t in testsOf[r.Tag.Key].Where(t => t.Outcome == "Failed"))
                Errors.Add($"{r.Tag}: verifying test {t.Test} ({t.Project}) failed");
        }

        // Status, bottom-up: a design requirement is verified when a verifying test passed and none
        // failed; a product or market requirement when everything covering it (and any test naming
        // it directly) is.
        var status = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tier in new[] { Tier.Design, Tier.Product, Tier.Market })
        {
            foreach (var r in byKey.Values.Where(r => r.Tier == tier))
            {
                var mine = testsOf[r.Tag.Key];
                bool testsOk = !mine.Any(t => t.Outcome == "Failed") && (tier != Tier.Design || mine.Any(t => t.Outcome == "Passed"));
                bool belowOk = tier == Tier.Design
                    || (coveredBy[r.Tag.Key].Count > 0 && coveredBy[r.Tag.Key].All(c => status.GetValueOrDefault(c.Substring(0, c.LastIndexOf('~'))) == "verified"));
                status[r.Tag.Key] = testsOk && belowOk ? "verified" : "not verified";
            }
        }

        return byKey.Values.Select(r => new TraceEntry(r, coveredBy[r.Tag.Key], testsOf[r.Tag.Key], status[r.Tag.Key])).ToList();
    }

    private void CheckCode(Requirement r, string code)
    {
        int sep = code.IndexOf("::", StringComparison.Ordinal);
        string path = sep < 0 ? code : code.Substring(0, sep);
        string full = Path.Combine(_repoRoot, path);
        if (!File.Exists(full))
        {
            Errors.Add($"{r.Tag} ({Where(r)}): implementing code {path} does not exist");
            return;
        }
        if (sep < 0)
            return;
        string[] symbol = code.Substring(sep + 2).Split('.');
        string text = File.ReadAllText(full);
        if (!Regex.IsMatch(text, @"\b(class|struct|interface|enum|record)\s+" + Regex.Escape(symbol[0]) + @"\b"))
        {
            Errors.Add($"{r.Tag} ({Where(r)}): {path} declares no type {symbol[0]}");
            return;
        }
        for (int i = 1; i < symbol.Length; i++)
        {
            if (!Regex.IsMatch(text, @"\b" + Regex.Escape(symbol[i]) + @"\s*[(<{=;]"))
                Errors.Add($"{r.Tag} ({Where(r)}): {path} declares no member {symbol[i]} of {symbol[0]}");
        }
    }

    private string Where(Requirement r) => Path.GetRelativePath(_repoRoot, r.File) + ":" + r.Line;
}
