using System.Globalization;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Cli.Output;

/// <summary>How the CLI shows state the agent marked stale (the island has not answered within the
/// agent's bound): the last known value with its age, never as current.</summary>
public static class StaleMarker
{
    /// <summary>"running", or "running (stale, 3.2 s old)" in yellow.</summary>
    public static Table.Cell State(Vm vm) =>
        vm.Stale ? new Table.Cell(Names.Of(vm.State) + " (stale, " + Age(vm.StateAgeMs) + " old)", Table.Colour.Yellow) : Names.State(vm.State);

    /// <summary>"850 ms" below 10 s, else "12.3 s".</summary>
    public static string Age(ulong ms) =>
        ms < 10_000 ? ms.ToString(CultureInfo.InvariantCulture) + " ms" : (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
