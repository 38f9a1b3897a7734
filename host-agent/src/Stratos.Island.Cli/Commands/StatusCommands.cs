using System.CommandLine;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island status` (board commands are local: BoardCommands).</summary>
public static class StatusCommands
{
    public static Command CreateStatus() => Verb("status", "Island, link and agent at a glance", StatusAsync);

    private static async Task<int> StatusAsync(CliContext c, ParseResult p, CancellationToken t)
    {
        var response = await c.CallAsync(AgentMethods.GetIslandInfo, new GetIslandInfoRequest(), GetIslandInfoResponse.Parser, t);
        return c.Show(response, info => c.Out.WriteLine(info.LinkState), info => Write(c, info));
    }

    private static void Write(CliContext c, GetIslandInfoResponse info)
    {
        var table = new Table("FIELD", "VALUE");
        table.Add("board", info.Board);
        table.Add("link", new Table.Cell(info.LinkState, info.LinkState == "up" ? Table.Colour.Green : Table.Colour.Red));
        table.Add("protocol", "v" + info.ProtocolVersion);
        table.Add("island", $"{info.IslandVersion} (boot {info.IslandBootId}, reset: {Names.Of(info.IslandResetReason)})");
        table.Add("agent", $"{info.AgentVersion} (boot {info.AgentBootId})");
        table.Add("supervision cycle", info.SupervisionCycleMs + " ms");
        table.Add("messages", $"{info.MessagesSent} sent, {info.MessagesReceived} received, {info.LinkErrors} errors");
        table.Add("reconnects", info.Reconnects);
        table.Add("island heard", info.Stale
            ? new Table.Cell($"STALE: {Age(info)} (bound {info.StaleAfterMs} ms); shown state is the last known", Table.Colour.Red)
            : new Table.Cell(Age(info), Table.Colour.Green));
        table.Add("ring resets", $"{info.RingResetsByIsland} asked by the island, {info.RingResetsByAgent} by the agent");
        table.Write(c.Out, c.Colour);
    }

    private static string Age(GetIslandInfoResponse info) =>
        info.LastHeardAgeMs == 0 && info.Stale ? "never" : StaleMarker.Age(info.LastHeardAgeMs) + " ago";
}
