using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Stratos.Island.Cli.Output;

/// <summary>
/// A plain-text table: a header row and aligned columns. Colour (ANSI) is applied to cells only when
/// the output is a terminal; piped output is plain so scripts and `grep` see clean text.
/// </summary>
public sealed class Table
{
    private readonly string[] _headers;
    private readonly List<(string Text, Colour Colour)[]> _rows = new();

    public Table(params string[] headers)
    {
        _headers = headers;
    }

    public enum Colour
    {
        None,
        Green,
        Yellow,
        Red,
        Grey,
    }

    public int RowCount => _rows.Count;

    public void Add(params object[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"row has {cells.Length} cells, table has {_headers.Length} columns");
        }

        _rows.Add(cells.Select(c => c is ValueTuple<string, Colour> t ? t : (c?.ToString() ?? string.Empty, Colour.None)).ToArray());
    }

    public void Write(TextWriter output, bool colour)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Text.Length))).ToArray();
        output.WriteLine(string.Join("  ", _headers.Select((h, i) => Pad(h, widths[i], i == _headers.Length - 1))).TrimEnd());
        foreach (var row in _rows)
        {
            var cells = row.Select((cell, i) =>
            {
                var text = Pad(cell.Text, widths[i], i == row.Length - 1);
                return colour && cell.Colour != Colour.None ? Paint(text, cell.Colour) : text;
            });
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }

    private static string Pad(string text, int width, bool last) => last ? text : text.PadRight(width);

    private static string Paint(string text, Colour colour) => colour switch
    {
        Colour.Green => "\u001b[32m" + text + "\u001b[0m",
        Colour.Yellow => "\u001b[33m" + text + "\u001b[0m",
        Colour.Red => "\u001b[31m" + text + "\u001b[0m",
        Colour.Grey => "\u001b[90m" + text + "\u001b[0m",
        _ => text,
    };
}
