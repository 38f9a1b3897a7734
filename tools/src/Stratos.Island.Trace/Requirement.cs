using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;

namespace Stratos.Island.Trace;

/// <summary>The three tiers, top to bottom. A requirement covers requirements of the tier above.</summary>
internal enum Tier
{
    Market = 0,
    Product = 1,
    Design = 2,
}

/// <summary>A requirement tag: tier prefix, name and revision, e.g. IslDsgn~alive-count~1.</summary>
internal readonly record struct RequirementTag(Tier Tier, string Prefix, string Name, int Revision)
{
    private static readonly Regex Pattern = new("^(IslMkt|IslProd|IslDsgn)~([a-z0-9-]+)~([0-9]+)$", RegexOptions.CultureInvariant);

    /// <summary>Tier and name without the revision: the identity of a requirement across revisions.</summary>
    public string Key => Prefix + "~" + Name;

    public override string ToString() => Key + "~" + Revision;

    public static bool TryParse(string text, out RequirementTag tag)
    {
        tag = default;
        var m = Pattern.Match(text);
        if (!m.Success || !int.TryParse(m.Groups[3].Value, out int revision))
            return false;
        var tier = m.Groups[1].Value switch
        {
            "IslMkt" => Tier.Market,
            "IslProd" => Tier.Product,
            _ => Tier.Design,
        };
        tag = new RequirementTag(tier, m.Groups[1].Value, m.Groups[2].Value, revision);
        return true;
    }
}

/// <summary>One `.. req::` block of docs/spec/requirements/*.rst.</summary>
internal sealed record Requirement(RequirementTag Tag, string Title, IReadOnlyList<string> Covers,
    IReadOnlyList<string> Code, string File, int Line)
{
    public Tier Tier => Tag.Tier;
}

/// <summary>
/// Reads requirement blocks: a line ".. req:: TAG" followed by indented option lines
/// (":title:", ":covers:", ":code:" ...; an option may continue on more-indented lines). Only the
/// fields the trace needs are read; the Sphinx extension renders the rest.
/// </summary>
internal static class RequirementReader
{
    public static List<Requirement> ReadFolder(string folder, List<string> errors)
    {
        var result = new List<Requirement>();
        foreach (string path in Directory.GetFiles(folder, "*.rst", SearchOption.AllDirectories))
            result.AddRange(ReadFile(path, File.ReadAllLines(path), errors));
        result.Sort((a, b) => string.CompareOrdinal(a.Tag.ToString(), b.Tag.ToString()));
        return result;
    }

    public static List<Requirement> ReadFile(string path, string[] lines, List<string> errors)
    {
        var result = new List<Requirement>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (!line.StartsWith(".. req::", StringComparison.Ordinal))
                continue;
            string tagText = line.Substring(".. req::".Length).Trim();
            int startLine = i + 1;
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            string? current = null;
            int j = i + 1;
            for (; j < lines.Length; j++)
            {
                string l = lines[j];
                if (l.Trim().Length == 0)
                    break;
                string trimmed = l.TrimStart();
                int indent = l.Length - trimmed.Length;
                if (indent == 0)
                    break;
                if (indent <= 3 && trimmed.StartsWith(':'))
                {
                    int close = trimmed.IndexOf(':', 1);
                    if (close < 0)
                    {
                        errors.Add($"{path}:{j + 1}: option line without a closing ':'");
                        continue;
                    }
                    current = trimmed.Substring(1, close - 1);
                    options[current] = trimmed.Substring(close + 1).Trim();
                }
                else if (current != null)
                {
                    options[current] += " " + trimmed.Trim();
                }
            }
            i = j - 1;
            if (!RequirementTag.TryParse(tagText, out var tag))
            {
                errors.Add($"{path}:{startLine}: '{tagText}' is not a requirement tag (IslMkt|IslProd|IslDsgn~name~revision)");
                continue;
            }
            result.Add(new Requirement(tag, options.GetValueOrDefault("title", ""),
                Split(options.GetValueOrDefault("covers", "")), Split(options.GetValueOrDefault("code", "")), path, startLine));
        }
        return result;
    }

    private static List<string> Split(string value) =>
        new(value.Split(new[] { ' ', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
