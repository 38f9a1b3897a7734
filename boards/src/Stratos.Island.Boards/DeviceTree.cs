// Reads devicetree fragments the way the tools that consume them do: compile with dtc
// (`dtc -I dts -O dtb`, `-@` for Linux overlays), decompile the blob (`dtc -I dtb -O dts`) and parse
// that normalised text (every value as <cells>, "strings" or [bytes]; labels resolved to phandles).
// Zephyr overlays are not standalone: they reference labels of the board's base tree (&ipcc, &iwdg).
// No Zephyr tree is installed here, so ZephyrStub() wraps an overlay in a minimal base tree that
// declares only the labels the board's upstream.yaml lists as read from Zephyr's sources (node name,
// and reg/compatible where checks need them; #address-cells = <1>, #size-cells = <1>, as on
// Cortex-M/R SoCs): the overlay compiles, its reserved-memory and chosen nodes can be read back,
// and a reference to a label Zephyr does not have fails.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Stratos.Island.Boards;

/// <summary>One node of a decompiled devicetree.</summary>
public sealed class DtNode(string name, DtNode? parent)
{
    public string Name { get; } = name;

    public DtNode? Parent { get; } = parent;

    public Dictionary<string, DtValue> Properties { get; } = new(StringComparer.Ordinal);

    public List<DtNode> Children { get; } = [];

    public string Path => Parent == null ? "/" : (Parent.Parent == null ? "" : Parent.Path) + "/" + Name;

    /// <summary>The node name without its @unit-address.</summary>
    public string BaseName => Name.Split('@')[0];

    public string? UnitAddress => Name.Contains('@', StringComparison.Ordinal) ? Name[(Name.IndexOf('@', StringComparison.Ordinal) + 1)..] : null;

    public IEnumerable<DtNode> Descendants()
    {
        foreach (DtNode child in Children)
        {
            yield return child;
            foreach (DtNode d in child.Descendants())
            {
                yield return d;
            }
        }
    }

    public DtNode? Child(string childName) => Children.FirstOrDefault(c => c.Name == childName);

    /// <summary>The node at an absolute path below this root (`/a/b@1`), or null.</summary>
    public DtNode? Find(string path)
    {
        DtNode? node = this;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node?.Child(part);
        }
        return node;
    }

    /// <summary>The strings of a property, with dtc's "a\0b" lists split into their items.</summary>
    public IReadOnlyList<string> StringList(string property) =>
        Properties.TryGetValue(property, out DtValue? v) ? v.Strings.SelectMany(s => s.Split("\\0")).ToList() : [];

    /// <summary>status is absent, "okay" or "ok".</summary>
    public bool StatusOkay => StringList("status") is not [string status] || status is "okay" or "ok";

    /// <summary>The first node on the way up to the root (this one included) whose status disables it, or null.</summary>
    public DtNode? DisabledBy()
    {
        for (DtNode? n = this; n != null; n = n.Parent)
        {
            if (!n.StatusOkay)
            {
                return n;
            }
        }
        return null;
    }

    public uint? Phandle => Properties.TryGetValue("phandle", out DtValue? v) && v.Cells.Count == 1 ? v.Cells[0] : null;

    /// <summary>reg as (base, size) pairs with the cell counts of the parent (inferred from the length when absent).</summary>
    public IReadOnlyList<(ulong Base, ulong Size)> Reg()
    {
        if (!Properties.TryGetValue("reg", out DtValue? reg) || reg.Cells.Count == 0)
        {
            return [];
        }
        int addressCells = Parent?.CellCount("#address-cells") ?? 0;
        int sizeCells = Parent?.CellCount("#size-cells") ?? 0;
        if (addressCells == 0 || sizeCells < 0)
        {
            // Overlay fragments may rely on the base tree's cell counts: 4 cells = 2+2, 2 cells = 1+1.
            addressCells = reg.Cells.Count % 4 == 0 ? 2 : 1;
            sizeCells = addressCells;
        }
        int stride = addressCells + sizeCells;
        var result = new List<(ulong, ulong)>();
        for (int i = 0; i + stride <= reg.Cells.Count; i += stride)
        {
            result.Add((Join(reg.Cells, i, addressCells), Join(reg.Cells, i + addressCells, sizeCells)));
        }
        return result;
    }

    private int CellCount(string property) => Properties.TryGetValue(property, out DtValue? v) && v.Cells.Count == 1 ? (int)v.Cells[0] : 0;

    private static ulong Join(List<uint> cells, int start, int count)
    {
        ulong value = 0;
        for (int i = 0; i < count; i++)
        {
            value = (value << 32) | cells[start + i];
        }
        return value;
    }
}

/// <summary>A property value: cells of all &lt;...&gt; groups, strings, raw bytes.</summary>
public sealed class DtValue
{
    public List<uint> Cells { get; } = [];

    public List<string> Strings { get; } = [];

    public List<byte> Bytes { get; } = [];
}

/// <summary>dtc failed or is missing; the message says which and how to fix it.</summary>
public sealed class DeviceTreeException(string message) : Exception(message);

public static partial class DeviceTree
{
    /// <summary>The dtc executable (PATH lookup by default).</summary>
    public static string DtcPath { get; set; } = "dtc";

    /// <summary>Compiles DTS text to a blob and reads the blob back as a tree.</summary>
    public static DtNode CompileAndRead(string dtsText, bool overlay, string sourceName)
    {
        string dir = Path.Combine(Path.GetTempPath(), "stratos-dtc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string source = Path.Combine(dir, "in.dts");
            string blob = Path.Combine(dir, "out.dtb");
            File.WriteAllText(source, dtsText);
            var compileArgs = new List<string> { "-q", "-I", "dts", "-O", "dtb", "-o", blob };
            if (overlay)
            {
                compileArgs.Insert(0, "-@");
            }
            compileArgs.Add(source);
            (int status, _, string error) = Run(compileArgs);
            if (status != 0)
            {
                throw new DeviceTreeException(sourceName + ": dtc could not compile it: " + error.Replace(source, sourceName, StringComparison.Ordinal).Trim());
            }
            (status, string dts, error) = Run(["-q", "-I", "dtb", "-O", "dts", blob]);
            if (status != 0)
            {
                throw new DeviceTreeException(sourceName + ": dtc could not read the compiled blob back: " + error.Trim());
            }
            return Parse(dts, sourceName);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Status, string Out, string Err) Run(IReadOnlyList<string> args) => KernelSources.Run(DtcPath, args, null);

    /// <summary>Decompiles a blob and parses it; <paramref name="warnings"/> gets dtc's check warnings (the file name stripped).</summary>
    public static DtNode ReadBlob(string blobPath, string sourceName, out IReadOnlyList<string> warnings)
    {
        (int status, string dts, string error) = Run(["-I", "dtb", "-O", "dts", blobPath]);
        if (status != 0)
        {
            throw new DeviceTreeException(sourceName + ": dtc could not read the blob: " + error.Trim());
        }
        warnings = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains("Warning (", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("Warning (", StringComparison.Ordinal)..]).ToList();
        return Parse(dts, sourceName);
    }

    /// <summary>Runs dtc with arguments; for callers that build blobs (overlays, bases).</summary>
    public static (int Status, string Out, string Err) RunDtc(IReadOnlyList<string> args) => Run(args);

    /// <summary>Labels the overlay references (&amp;label) but does not define, sorted.</summary>
    public static IReadOnlyList<string> UndefinedLabels(string overlayText)
    {
        string withoutComments = StripComments(overlayText);
        var defined = new HashSet<string>(LabelDefinition().Matches(withoutComments).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
        return LabelReference().Matches(withoutComments).Select(m => m.Groups[1].Value).Where(l => !defined.Contains(l)).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Wraps a Zephyr overlay in a stub base tree that declares exactly the listed upstream labels,
    /// each as a node under the root with upstream's node name and, when listed, its reg and
    /// compatible. A label the overlay references that is not listed stays undeclared, so dtc fails.
    /// </summary>
    public static string ZephyrStub(string overlayText, IEnumerable<ZephyrLabelSpec> labels)
    {
        var text = new StringBuilder();
        text.AppendLine("/dts-v1/;");
        text.AppendLine("/ {");
        text.AppendLine("\t#address-cells = <1>;");
        text.AppendLine("\t#size-cells = <1>;");
        text.AppendLine("\tchosen { };");
        text.AppendLine("\taliases { };");
        foreach (ZephyrLabelSpec label in labels)
        {
            text.Append('\t').Append(label.Label).Append(": ").Append(label.Node).Append(" {");
            if (label.Compatible != null)
            {
                text.Append(" compatible = \"").Append(label.Compatible).Append("\";");
            }
            if (label.Reg is (ulong regBase, ulong regSize))
            {
                text.Append(" reg = <0x").Append(regBase.ToString("x", CultureInfo.InvariantCulture)).Append(" 0x").Append(regSize.ToString("x", CultureInfo.InvariantCulture)).Append(">;");
            }
            text.AppendLine(" };");
        }
        text.AppendLine("};");
        text.AppendLine(overlayText);
        return text.ToString();
    }

    private static string StripComments(string text) => BlockComment().Replace(LineComment().Replace(text, ""), "");

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)\s*:\s*[A-Za-z0-9,._+@-]+\s*\{")]
    private static partial Regex LabelDefinition();

    [GeneratedRegex(@"&([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex LabelReference();

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    /// <summary>Parses dtc's decompiled output (`dtc -I dtb -O dts`).</summary>
    public static DtNode Parse(string dts, string sourceName)
    {
        var tokens = Tokenize(dts);
        int pos = 0;
        DtNode? root = null;
        while (pos < tokens.Count)
        {
            string t = tokens[pos];
            if (t == "/dts-v1/" || t == "/plugin/")
            {
                pos += 2; // and its ';'
                continue;
            }
            if (t == "/" && pos + 1 < tokens.Count && tokens[pos + 1] == "{")
            {
                root = new DtNode("/", null);
                pos += 2;
                ParseBody(tokens, ref pos, root, sourceName);
                continue;
            }
            if (t == "/memreserve/")
            {
                while (pos < tokens.Count && tokens[pos] != ";")
                {
                    pos++;
                }
                pos++;
                continue;
            }
            throw new DeviceTreeException(sourceName + ": unexpected '" + t + "' in dtc output");
        }
        return root ?? throw new DeviceTreeException(sourceName + ": no root node in dtc output");
    }

    private static void ParseBody(List<string> tokens, ref int pos, DtNode node, string sourceName)
    {
        while (pos < tokens.Count)
        {
            string name = tokens[pos++];
            if (name == "}")
            {
                Expect(tokens, ref pos, ";", sourceName);
                return;
            }
            if (pos < tokens.Count && tokens[pos] == ":")
            {
                pos++; // a label: skip it
                name = tokens[pos++];
            }
            string next = pos < tokens.Count ? tokens[pos] : "";
            if (next == "{")
            {
                pos++;
                var child = new DtNode(name, node);
                node.Children.Add(child);
                ParseBody(tokens, ref pos, child, sourceName);
            }
            else if (next == ";")
            {
                pos++;
                node.Properties[name] = new DtValue();
            }
            else if (next == "=")
            {
                pos++;
                var value = new DtValue();
                while (pos < tokens.Count && tokens[pos] != ";")
                {
                    string v = tokens[pos++];
                    if (v == ",")
                    {
                        continue;
                    }
                    if (v.StartsWith('<'))
                    {
                        foreach (string cell in v[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        {
                            value.Cells.Add(ParseCell(cell, sourceName));
                        }
                    }
                    else if (v.StartsWith('"'))
                    {
                        value.Strings.Add(v[1..^1]);
                    }
                    else if (v.StartsWith('['))
                    {
                        foreach (string b in v[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        {
                            value.Bytes.Add(byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        }
                    }
                }
                pos++;
                node.Properties[name] = value;
            }
            else
            {
                throw new DeviceTreeException(sourceName + ": unexpected '" + next + "' after '" + name + "' in dtc output");
            }
        }
    }

    private static uint ParseCell(string cell, string sourceName)
    {
        bool ok = cell.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(cell.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value)
            : uint.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw new DeviceTreeException(sourceName + ": cannot read cell '" + cell + "' in dtc output");
    }

    private static void Expect(List<string> tokens, ref int pos, string token, string sourceName)
    {
        if (pos >= tokens.Count || tokens[pos] != token)
        {
            throw new DeviceTreeException(sourceName + ": expected '" + token + "' in dtc output");
        }
        pos++;
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
            }
            else if (c is '{' or '}' or ';' or '=' or ',' or ':')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else if (c is '<' or '[')
            {
                char close = c == '<' ? '>' : ']';
                int end = text.IndexOf(close, i);
                end = end < 0 ? text.Length - 1 : end;
                tokens.Add(text[i..(end + 1)]);
                i = end + 1;
            }
            else if (c == '"')
            {
                int j = i + 1;
                while (j < text.Length && text[j] != '"')
                {
                    j += text[j] == '\\' ? 2 : 1;
                }
                tokens.Add(text[i..Math.Min(j + 1, text.Length)]);
                i = j + 1;
            }
            else
            {
                int j = i;
                while (j < text.Length && !char.IsWhiteSpace(text[j]) && text[j] is not ('{' or '}' or ';' or '=' or '<' or '"' or '[') &&
                    !(text[j] == ':' && j + 1 < text.Length && char.IsWhiteSpace(text[j + 1])))
                {
                    j++;
                }
                if (j == i)
                {
                    j++;
                }
                tokens.Add(text[i..j]);
                i = j;
            }
        }
        return tokens;
    }
}
