using System.CommandLine;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island status` and `island board list|show`.</summary>
public static class StatusCommands
{
    public static Command CreateStatus() => Verb("status", "Island, link and agent at a glance", StatusAsync);

    public static Command CreateBoard()
    {
        var id = NameArgument("Board id");
        return Noun("board", "Board descriptors known to the agent",
            Verb("list", "List boards", ListBoardsAsync),
            Verb("show", "Show one board's descriptor", (c, p, t) => ShowBoardAsync(c, p.GetValue(id)!, t), id));
    }

    private static async Task<int> StatusAsync(CliContext c, ParseResult p, CancellationToken t)
    {
        var info = await c.CallAsync(AgentMethods.GetIslandInfo, new GetIslandInfoRequest(), GetIslandInfoResponse.Parser, t);
        if (c.Format == OutputFormat.Json)
        {
            c.WriteJson(info);
            return ExitCodes.Ok;
        }

        if (c.Quiet)
        {
            c.Out.WriteLine(info.LinkState);
            return ExitCodes.Ok;
        }

        var table = new Table("FIELD", "VALUE");
        table.Add("board", info.Board);
        table.Add("link", (info.LinkState, info.LinkState == "up" ? Table.Colour.Green : Table.Colour.Red));
        table.Add("protocol", "v" + info.ProtocolVersion);
        table.Add("island", $"{info.IslandVersion} (boot {info.IslandBootId}, reset: {Names.Of(info.IslandResetReason)})");
        table.Add("agent", $"{info.AgentVersion} (boot {info.AgentBootId})");
        table.Add("supervision cycle", info.SupervisionCycleMs + " ms");
        table.Add("messages", $"{info.MessagesSent} sent, {info.MessagesReceived} received, {info.LinkErrors} errors");
        table.Add("reconnects", info.Reconnects);
        table.Write(c.Out, c.Colour);
        return ExitCodes.Ok;
    }

    private static async Task<int> ListBoardsAsync(CliContext c, ParseResult p, CancellationToken t)
    {
        var r = await c.CallAsync(AgentMethods.ListBoards, new ListBoardsRequest(), ListBoardsResponse.Parser, t);
        if (c.Format == OutputFormat.Json)
        {
            c.WriteJson(r);
            return ExitCodes.Ok;
        }

        var table = new Table("ID", "NAME", "SOC", "ISLAND", "A-SIDE");
        foreach (var b in r.Boards)
        {
            if (c.Quiet)
            {
                c.Out.WriteLine(b.Id);
            }
            else
            {
                table.Add(b.Id, b.Name, b.Soc, b.IslandCore, b.ApplicationCores);
            }
        }

        if (!c.Quiet)
        {
            table.Write(c.Out, c.Colour);
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowBoardAsync(CliContext c, string id, CancellationToken t)
    {
        var r = await c.CallAsync(AgentMethods.GetBoard, new GetBoardRequest { Id = id }, GetBoardResponse.Parser, t);
        if (c.Format == OutputFormat.Json)
        {
            c.WriteJson(r);
        }
        else
        {
            c.Out.Write(r.DescriptorYaml);
        }

        return ExitCodes.Ok;
    }
}
