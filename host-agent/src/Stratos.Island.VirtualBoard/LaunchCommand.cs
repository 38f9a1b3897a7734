using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace Stratos.Island.VirtualBoard;

/// <summary>One program and its arguments, as the launcher starts it (directly or from a shell script).</summary>
public sealed record LaunchCommand(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>A built program: an apphost runs as is, a .dll through `dotnet`.</summary>
    public static LaunchCommand For(string binary, IEnumerable<string> arguments) =>
        binary.EndsWith(".dll", System.StringComparison.Ordinal)
            ? new LaunchCommand("dotnet", new[] { binary }.Concat(arguments).ToArray())
            : new LaunchCommand(binary, arguments.ToArray());

    /// <summary>Start information with every argument passed as is (no shell, no quoting).</summary>
    public ProcessStartInfo ToStartInfo()
    {
        var start = new ProcessStartInfo(Program) { UseShellExecute = false };
        foreach (string argument in Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>The command as one POSIX shell line, every word single-quoted.</summary>
    public string ToShell() => string.Join(" ", new[] { Program }.Concat(Arguments).Select(ShellQuote));

    /// <summary>One word for a POSIX shell: single quotes, embedded ones as '\''.</summary>
    public static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", System.StringComparison.Ordinal) + "'";

    public override string ToString() => ToShell();
}
