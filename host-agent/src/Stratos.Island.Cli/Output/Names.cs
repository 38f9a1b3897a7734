using System;
using System.Text;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Cli.Output;

/// <summary>Human spellings of the API's enums: VmState.Running -> "running", AsilB -> "asil-b".</summary>
public static class Names
{
    // Not generic: an instantiation per enum of another assembly would be compiled at start-up in
    // every CLI process, while this form is precompiled (ReadyToRun).
    public static string Of(Enum value)
    {
        var name = value.ToString();
        if (name == "Unspecified")
        {
            return "-";
        }

        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                sb.Append('-');
            }
            else if (char.IsUpper(c) && i > 0 && i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    public static (string, Table.Colour) State(VmState state) => (Of(state), state switch
    {
        VmState.Running => Table.Colour.Green,
        VmState.Starting or VmState.Stopping or VmState.Pausing or VmState.Paused => Table.Colour.Yellow,
        VmState.Failed or VmState.Quarantined => Table.Colour.Red,
        _ => Table.Colour.Grey,
    });

    public static (string, Table.Colour) Status(LocalStatus status) => (Of(status), status switch
    {
        LocalStatus.Ok => Table.Colour.Green,
        LocalStatus.Failed => Table.Colour.Yellow,
        LocalStatus.Expired => Table.Colour.Red,
        _ => Table.Colour.Grey,
    });

    public static (string, Table.Colour) Global(GlobalStatus status) => (Of(status), status switch
    {
        GlobalStatus.Ok => Table.Colour.Green,
        GlobalStatus.Failed => Table.Colour.Yellow,
        GlobalStatus.Expired or GlobalStatus.Stopped => Table.Colour.Red,
        _ => Table.Colour.Grey,
    });

    /// <summary>Parses a human spelling back ("asil-b", "retention"); false when it names no value.</summary>
    public static bool TryParse<T>(string text, out T value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.OrdinalIgnoreCase) && Of(candidate) != "-")
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The human spellings of every value of T but Unspecified.</summary>
    public static string[] All<T>()
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var result = new System.Collections.Generic.List<string>(values.Length);
        foreach (var v in values)
        {
            if (Of(v) != "-")
            {
                result.Add(Of(v));
            }
        }

        return result.ToArray();
    }
}
