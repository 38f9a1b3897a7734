using System;
using System.Collections.Generic;
using System.IO;
using System.Globalization;
using System.Text;

namespace Stratos.Island.VectorGen;

/// <summary>The text format of a vector file (protocol/vectors/NAME.vec):
/// <code>
/// name: envelope_hello
/// comment: Hello with every field set
/// type: Envelope
/// canonical: true
/// hex:
/// 52 2a 08 01 ...   (16 bytes per line)
/// </code></summary>
public static class VectorFile
{
    public const string Extension = ".vec";

    public static string Format(GoldenVector vector)
    {
        var text = new StringBuilder();
        text.Append("name: ").Append(vector.Name).Append('\n');
        text.Append("comment: ").Append(vector.Comment).Append('\n');
        text.Append("type: ").Append(vector.MessageType).Append('\n');
        text.Append("canonical: ").Append(vector.Canonical ? "true" : "false").Append('\n');
        text.Append("hex:\n");
        for (int i = 0; i < vector.Bytes.Length; i += 16)
        {
            int end = Math.Min(i + 16, vector.Bytes.Length);
            for (int k = i; k < end; k++)
            {
                if (k > i) text.Append(' ');
                text.Append(vector.Bytes[k].ToString("x2", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Parses a vector file; throws FormatException naming the file and line on bad input.</summary>
    public static GoldenVector Parse(string path, string text)
    {
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string Header(int index, string key)
        {
            string prefix = key + ": ";
            if (index >= lines.Length || !lines[index].StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new FormatException($"{path}:{index + 1}: expected '{prefix}...'");
            }

            return lines[index][prefix.Length..];
        }

        string name = Header(0, "name");
        string comment = Header(1, "comment");
        string type = Header(2, "type");
        string canonical = Header(3, "canonical");
        if (canonical != "true" && canonical != "false")
        {
            throw new FormatException($"{path}:4: canonical must be true or false, not '{canonical}'");
        }

        if (lines.Length < 5 || lines[4] != "hex:")
        {
            throw new FormatException($"{path}:5: expected 'hex:'");
        }

        var bytes = new List<byte>();
        for (int i = 5; i < lines.Length; i++)
        {
            foreach (string pair in lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (pair.Length != 2 || !byte.TryParse(pair, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte value))
                {
                    throw new FormatException($"{path}:{i + 1}: '{pair}' is not a hex byte");
                }

                bytes.Add(value);
            }
        }

        return new GoldenVector(name, comment, type, canonical == "true", bytes.ToArray());
    }
}
