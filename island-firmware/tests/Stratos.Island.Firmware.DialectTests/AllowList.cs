// The allow-list of the nanoFramework stable API (island-firmware/dialect/nanoframework-api.txt).
//
// File format (one entry per line, '#' starts a comment):
//   [source <owner/repo> <path>]     every following entry comes from that nanoFramework source file
//   [build-only <reason>]            following entries may appear only as assembly/module attributes
//   [hints]                          following lines are "<prefix> => <advice>" for failure messages
//   Ns.Type                          the type may be referenced (nested types: Ns.Outer+Inner)
//   Ns.Type::Member                  every overload of the member (methods, fields, .ctor)
//   Ns.Type::Member/N                overloads with N parameters
//   Ns.Type::Member(int,string)      exactly this parameter list (see SignatureFormatter for names)
//   <entry> -> <entry> <entry>       alias: the netstandard reference assemblies declare the member on
//                                    a base type, nanoFramework on the listed types instead
// A member entry also allows its declaring type.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Stratos.Island.Firmware.DialectTests;

/// <summary>Where an allow-list entry came from.</summary>
public sealed record AllowListSource(string Repository, string Path)
{
    public override string ToString() => Repository + " " + Path;
}

/// <summary>One parsed allow-list line.</summary>
public sealed record AllowListEntry(
    string TypeName,
    string? MemberName,
    int? Arity,
    IReadOnlyList<string>? Parameters,
    AllowListSource? Source,
    bool BuildOnly,
    IReadOnlyList<string> AliasTargets,
    int Line)
{
    public string Key => MemberName == null ? TypeName : TypeName + "::" + MemberName;

    public bool Matches(int parameterCount, IReadOnlyList<string>? parameters)
    {
        if (Parameters != null)
        {
            return parameters != null && Parameters.SequenceEqual(parameters, StringComparer.Ordinal);
        }
        return Arity == null || Arity == parameterCount;
    }
}

/// <summary>A parse error in the allow-list file.</summary>
public sealed class AllowListFormatException(string message) : Exception(message);

/// <summary>The parsed allow-list with lookups used by <see cref="DialectGuard"/>.</summary>
public sealed class AllowList
{
    private readonly Dictionary<string, List<AllowListEntry>> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AllowListEntry> _types = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> _hints = [];

    public IReadOnlyList<AllowListEntry> Entries { get; }

    public IReadOnlyList<AllowListSource> Sources { get; }

    private AllowList(List<AllowListEntry> entries, List<AllowListSource> sources, List<KeyValuePair<string, string>> hints)
    {
        Entries = entries;
        Sources = sources;
        _hints = hints;
        foreach (AllowListEntry entry in entries)
        {
            if (entry.MemberName == null)
            {
                _types.TryAdd(entry.TypeName, entry);
                continue;
            }
            if (!_members.TryGetValue(entry.Key, out List<AllowListEntry>? list))
            {
                list = [];
                _members.Add(entry.Key, list);
            }
            list.Add(entry);
            _types.TryAdd(entry.TypeName, entry);
        }
        // Longest prefix first, so the most specific advice wins.
        _hints.Sort((a, b) => b.Key.Length.CompareTo(a.Key.Length));
    }

    public static AllowList Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new AllowListFormatException(path + ": allow-list file not found");
        }
        return Parse(File.ReadAllLines(path), path);
    }

    public static AllowList Parse(IReadOnlyList<string> lines, string fileName)
    {
        var entries = new List<AllowListEntry>();
        var sources = new List<AllowListSource>();
        var hints = new List<KeyValuePair<string, string>>();
        var errors = new List<string>();
        AllowListSource? source = null;
        bool buildOnly = false;
        bool inHints = false;
        for (int i = 0; i < lines.Count; i++)
        {
            int lineNumber = i + 1;
            string line = StripComment(lines[i]).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith('['))
            {
                if (!line.EndsWith(']'))
                {
                    errors.Add(Where(fileName, lineNumber) + "section header must end with ']'");
                    continue;
                }
                string[] words = line[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                inHints = false;
                buildOnly = false;
                source = null;
                if (words.Length == 3 && words[0] == "source")
                {
                    source = new AllowListSource(words[1], words[2]);
                    sources.Add(source);
                }
                else if (words.Length >= 2 && words[0] == "build-only")
                {
                    buildOnly = true;
                }
                else if (words.Length == 1 && words[0] == "hints")
                {
                    inHints = true;
                }
                else
                {
                    errors.Add(Where(fileName, lineNumber) + "unknown section '" + line +
                        "' (expected [source <owner/repo> <path>], [build-only <reason>] or [hints])");
                }
                continue;
            }
            if (inHints)
            {
                int arrow = line.IndexOf("=>", StringComparison.Ordinal);
                if (arrow <= 0)
                {
                    errors.Add(Where(fileName, lineNumber) + "hint must read '<prefix> => <advice>'");
                    continue;
                }
                hints.Add(new KeyValuePair<string, string>(line[..arrow].Trim(), line[(arrow + 2)..].Trim()));
                continue;
            }
            if (source == null && !buildOnly)
            {
                errors.Add(Where(fileName, lineNumber) + "entry '" + line + "' is outside a [source ...] or [build-only ...] section: name the nanoFramework source it comes from");
                continue;
            }
            string[] aliasParts = line.Split("->", 2, StringSplitOptions.TrimEntries);
            IReadOnlyList<string> aliasTargets = aliasParts.Length == 2
                ? aliasParts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                : [];
            AllowListEntry? entry = ParseEntry(aliasParts[0], source, buildOnly, aliasTargets, lineNumber, out string? error);
            if (entry == null)
            {
                errors.Add(Where(fileName, lineNumber) + error);
                continue;
            }
            entries.Add(entry);
        }
        if (errors.Count > 0)
        {
            throw new AllowListFormatException(string.Join(Environment.NewLine, errors));
        }
        return new AllowList(entries, sources, hints);
    }

    /// <summary>Whether a type reference (namespace-qualified, nested with '+') is allowed.</summary>
    public AllowListEntry? FindType(string typeName) => _types.GetValueOrDefault(typeName);

    /// <summary>Finds the entry allowing a member reference, or null.</summary>
    public AllowListEntry? FindMember(string typeName, string memberName, int parameterCount, IReadOnlyList<string>? parameters)
    {
        if (!_members.TryGetValue(typeName + "::" + memberName, out List<AllowListEntry>? list))
        {
            return null;
        }
        return list.FirstOrDefault(e => e.Matches(parameterCount, parameters));
    }

    /// <summary>Advice for a rejected item, from the [hints] section (longest matching prefix).</summary>
    public string? HintFor(string item)
    {
        foreach (KeyValuePair<string, string> hint in _hints)
        {
            if (item.StartsWith(hint.Key, StringComparison.Ordinal))
            {
                return hint.Value;
            }
        }
        return null;
    }

    private static AllowListEntry? ParseEntry(
        string text, AllowListSource? source, bool buildOnly, IReadOnlyList<string> aliasTargets, int line, out string? error)
    {
        error = null;
        if (text.Contains(' '))
        {
            error = "entry '" + text + "' contains a space (parameter lists are written without spaces)";
            return null;
        }
        int separator = text.IndexOf("::", StringComparison.Ordinal);
        if (separator < 0)
        {
            if (!IsTypeName(text))
            {
                error = "'" + text + "' is not a namespace-qualified type name";
                return null;
            }
            return new AllowListEntry(text, null, null, null, source, buildOnly, aliasTargets, line);
        }
        string typeName = text[..separator];
        string member = text[(separator + 2)..];
        if (!IsTypeName(typeName))
        {
            error = "'" + typeName + "' is not a namespace-qualified type name";
            return null;
        }
        int? arity = null;
        IReadOnlyList<string>? parameters = null;
        int open = member.IndexOf('(');
        int slash = member.IndexOf('/');
        if (open >= 0)
        {
            if (!member.EndsWith(')'))
            {
                error = "parameter list of '" + text + "' must end with ')'";
                return null;
            }
            string inner = member[(open + 1)..^1];
            parameters = inner.Length == 0 ? [] : inner.Split(',');
            member = member[..open];
        }
        else if (slash >= 0)
        {
            if (!int.TryParse(member[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                error = "arity of '" + text + "' must be a number after '/'";
                return null;
            }
            arity = n;
            member = member[..slash];
        }
        if (member.Length == 0)
        {
            error = "entry '" + text + "' has an empty member name";
            return null;
        }
        return new AllowListEntry(typeName, member, arity, parameters, source, buildOnly, aliasTargets, line);
    }

    private static bool IsTypeName(string name) =>
        name.Length > 0 && name.Contains('.') && !name.StartsWith('.') && !name.EndsWith('.');

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }

    private static string Where(string fileName, int line) => fileName + ":" + line.ToString(CultureInfo.InvariantCulture) + ": ";
}
