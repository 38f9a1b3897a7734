using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Stratos.Island.Cli.Output;

/// <summary>
/// A plain-text table: a header row and aligned columns. Colour (ANSI) is applied to cells only when
/// the output is a terminal; piped output is plain so scripts and `grep` see clean text.
/// </summary>
public sealed class Table
{
    private readonly string[] _headers;
    private readonly List<Cell[]> _rows = new();

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

    /// <summary>
    /// A cell and its colour. A struct of this assembly rather than a (string, Colour) tuple: a
    /// framework generic over this assembly's enum is compiled at start-up in every CLI process.
    /// </summary>
    public readonly struct Cell
    {
        public Cell(string text, Colour colour)
        {
            Text = text;
            Colour = colour;
        }

        public string Text { get; }

        public Colour Colour { get; }
    }

    public int RowCount => _rows.Count;

    public void Add(params object[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"row has {cells.Length} cells, table has {_headers.Length} columns");
        }

        var row = new Cell[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            row[i] = cells[i] is Cell coloured ? coloured : new Cell(cells[i]?.ToString() ?? string.Empty, Colour.None);
        }

        _rows.Add(row);
    }

    // Plain loops rather than LINQ: this runs in every CLI process, where each generic LINQ
    // instantiation is compiled at start-up.
    public void Write(TextWriter output, bool colour)
    {
        var widths = new int[_headers.Length];
        for (int i = 0; i < _headers.Length; i++)
        {
            widths[i] = _headers[i].Length;
            foreach (var row in _rows)
            {
                widths[i] = Math.Max(widths[i], row[i].Text.Length);
            }
        }

        var line = new StringBuilder();
        for (int i = 0; i < _headers.Length; i++)
        {
            AppendCell(line, _headers[i], Colour.None, widths[i], i, colour);
        }

        output.WriteLine(line.ToString().TrimEnd());
        foreach (var row in _rows)
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                AppendCell(line, row[i].Text, row[i].Colour, widths[i], i, colour);
            }

            output.WriteLine(line.ToString().TrimEnd());
        }
    }

    private void AppendCell(StringBuilder line, string text, Colour cellColour, int width, int index, bool colour)
    {
        if (index > 0)
        {
            line.Append("  ");
        }

        bool painted = colour && cellColour != Colour.None;
        line.Append(painted ? Paint(text, cellColour) : text);
        // Padding after the colour reset, so the escape codes do not count as width; a plain loop
        // (string.PadRight's fill is compiled at start-up). The last column is not padded.
        for (int pad = index == _headers.Length - 1 ? 0 : width - text.Length; pad > 0; pad--)
        {
            line.Append(' ');
        }
    }

    private static string Paint(string text, Colour colour) => colour switch
    {
        Colour.Green => "\u001b[32m" + text + "\u001b[0m",
        Colour.Yellow => "\u001b[33m" + text + "\u001b[0m",
        Colour.Red => "\u001b[31m" + text + "\u001b[0m",
        Colour.Grey => "\u001b[90m" + text + "\u001b[0m",
        _ => text,
    };
}
