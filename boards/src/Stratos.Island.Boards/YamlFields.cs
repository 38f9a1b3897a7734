// Strict reading of YAML mappings: every error names the file, the field path
// (link.shared_memory.vrings[1].num) and the fix, and all errors are collected before failing.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace Stratos.Island.Boards;

/// <summary>Collects validation errors of one file.</summary>
public sealed class ValidationErrors(string file)
{
    private readonly List<string> _errors = [];

    public string File { get; } = file;

    public IReadOnlyList<string> All => _errors;

    public void Add(string path, string problem) => _errors.Add(File + ": " + (path.Length == 0 ? "(root)" : path) + ": " + problem);
}

/// <summary>A YAML mapping read field by field; unknown keys are reported by <see cref="Finish"/>.</summary>
public sealed class YamlFields
{
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public string Path { get; }

    public ValidationErrors Errors { get; }

    public YamlFields(YamlMappingNode node, string path, ValidationErrors errors)
    {
        _node = node;
        Path = path;
        Errors = errors;
    }

    public static YamlFields? Root(YamlStream stream, ValidationErrors errors)
    {
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add("", "the file must contain one YAML mapping");
            return null;
        }
        return new YamlFields(root, "", errors);
    }

    public string Child(string key) => Path.Length == 0 ? key : Path + "." + key;

    private YamlNode? Get(string key, bool required)
    {
        _read.Add(key);
        if (_node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value))
        {
            return value;
        }
        if (required)
        {
            Errors.Add(Child(key), "missing required field; add '" + key + ":'");
        }
        return null;
    }

    public string? String(string key, bool required = true)
    {
        YamlNode? node = Get(key, required);
        if (node == null)
        {
            return null;
        }
        if (node is not YamlScalarNode scalar || scalar.Value == null)
        {
            Errors.Add(Child(key), "expected a string");
            return null;
        }
        return scalar.Value;
    }

    public ulong? Unsigned(string key, bool required = true, ulong max = uint.MaxValue)
    {
        YamlNode? node = Get(key, required);
        return node == null ? null : ParseUnsigned(node, Child(key), max, Errors);
    }

    public bool? Bool(string key, bool required = true)
    {
        YamlNode? node = Get(key, required);
        if (node == null)
        {
            return null;
        }
        if (node is YamlScalarNode { Value: "true" or "false" } scalar)
        {
            return scalar.Value == "true";
        }
        Errors.Add(Child(key), "expected true or false");
        return null;
    }

    public YamlFields? Mapping(string key, bool required = true)
    {
        YamlNode? node = Get(key, required);
        if (node == null)
        {
            return null;
        }
        if (node is not YamlMappingNode mapping)
        {
            Errors.Add(Child(key), "expected a mapping (key: value lines)");
            return null;
        }
        return new YamlFields(mapping, Child(key), Errors);
    }

    /// <summary>Items of a sequence with their paths (key[0], key[1], ...); empty when absent.</summary>
    public IReadOnlyList<(YamlNode Node, string Path)> Sequence(string key, bool required = true)
    {
        YamlNode? node = Get(key, required);
        if (node == null)
        {
            return [];
        }
        if (node is not YamlSequenceNode sequence)
        {
            Errors.Add(Child(key), "expected a list");
            return [];
        }
        return sequence.Children.Select((item, i) => (item, Child(key) + "[" + i.ToString(CultureInfo.InvariantCulture) + "]")).ToList();
    }

    public IReadOnlyList<YamlFields> Mappings(string key, bool required = true)
    {
        var result = new List<YamlFields>();
        foreach ((YamlNode item, string path) in Sequence(key, required))
        {
            if (item is YamlMappingNode mapping)
            {
                result.Add(new YamlFields(mapping, path, Errors));
            }
            else
            {
                Errors.Add(path, "expected a mapping");
            }
        }
        return result;
    }

    public IReadOnlyList<string> Strings(string key, bool required = true)
    {
        var result = new List<string>();
        foreach ((YamlNode item, string path) in Sequence(key, required))
        {
            if (item is YamlScalarNode { Value: not null } scalar)
            {
                result.Add(scalar.Value);
            }
            else
            {
                Errors.Add(path, "expected a string");
            }
        }
        return result;
    }

    public IReadOnlyList<uint> Unsigneds(string key, bool required = true)
    {
        var result = new List<uint>();
        foreach ((YamlNode item, string path) in Sequence(key, required))
        {
            ulong? value = ParseUnsigned(item, path, uint.MaxValue, Errors);
            if (value != null)
            {
                result.Add((uint)value.Value);
            }
        }
        return result;
    }

    /// <summary>Reports every key that was never asked for.</summary>
    public void Finish()
    {
        foreach (YamlNode key in _node.Children.Keys)
        {
            string name = key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString();
            if (!_read.Contains(name))
            {
                Errors.Add(Child(name), "unknown field; allowed here: " + string.Join(", ", _read.OrderBy(k => k, StringComparer.Ordinal)));
            }
        }
    }

    /// <summary>Decimal or 0x-prefixed hexadecimal, up to <paramref name="max"/>.</summary>
    public static ulong? ParseUnsigned(YamlNode node, string path, ulong max, ValidationErrors errors)
    {
        if (node is not YamlScalarNode { Value: not null } scalar)
        {
            errors.Add(path, "expected an integer");
            return null;
        }
        string text = scalar.Value.Replace("_", "", StringComparison.Ordinal);
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok)
        {
            errors.Add(path, "expected a non-negative integer (decimal or 0x hex), got '" + scalar.Value + "'");
            return null;
        }
        if (value > max)
        {
            errors.Add(path, "value " + scalar.Value + " is larger than the maximum " + max.ToString(CultureInfo.InvariantCulture));
            return null;
        }
        return value;
    }
}
