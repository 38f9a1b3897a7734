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

    // Spelled out for the enums of the status tables (`vm list` first): the first Enum.ToString in a
    // process costs about 2 ms of reflection, more than the rest of the table. Values these switches
    // do not know (a newer agent's) fall back to Of(Enum); Cli.Tests checks every known value against it.
    public static string Of(VmState state) => state switch
    {
        VmState.Defined => "defined",
        VmState.Starting => "starting",
        VmState.Running => "running",
        VmState.Pausing => "pausing",
        VmState.Paused => "paused",
        VmState.Stopping => "stopping",
        VmState.Stopped => "stopped",
        VmState.Failed => "failed",
        VmState.Quarantined => "quarantined",
        _ => Of((Enum)state),
    };

    public static string Of(LocalStatus status) => status switch
    {
        LocalStatus.Ok => "ok",
        LocalStatus.Failed => "failed",
        LocalStatus.Expired => "expired",
        LocalStatus.Deactivated => "deactivated",
        _ => Of((Enum)status),
    };

    public static string Of(GlobalStatus status) => status switch
    {
        GlobalStatus.Ok => "ok",
        GlobalStatus.Failed => "failed",
        GlobalStatus.Expired => "expired",
        GlobalStatus.Stopped => "stopped",
        GlobalStatus.Deactivated => "deactivated",
        _ => Of((Enum)status),
    };

    public static string Of(Criticality criticality) => criticality switch
    {
        Criticality.Qm => "qm",
        Criticality.AsilA => "asil-a",
        Criticality.AsilB => "asil-b",
        Criticality.AsilC => "asil-c",
        Criticality.AsilD => "asil-d",
        _ => Of((Enum)criticality),
    };

    public static string Of(PowerState state) => state switch
    {
        PowerState.On => "on",
        PowerState.Off => "off",
        PowerState.Reset => "reset",
        PowerState.Retention => "retention",
        _ => Of((Enum)state),
    };

    public static Table.Cell State(VmState state) => new(Of(state), state switch
    {
        VmState.Running => Table.Colour.Green,
        VmState.Starting or VmState.Stopping or VmState.Pausing or VmState.Paused => Table.Colour.Yellow,
        VmState.Failed or VmState.Quarantined => Table.Colour.Red,
        _ => Table.Colour.Grey,
    });

    public static Table.Cell Status(LocalStatus status) => new(Of(status), status switch
    {
        LocalStatus.Ok => Table.Colour.Green,
        LocalStatus.Failed => Table.Colour.Yellow,
        LocalStatus.Expired => Table.Colour.Red,
        _ => Table.Colour.Grey,
    });

    public static Table.Cell Global(GlobalStatus status) => new(Of(status), status switch
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
