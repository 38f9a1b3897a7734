using System.CommandLine;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island supervision status`.</summary>
public static class SupervisionCommands
{
    public static Command Create() =>
        Noun("supervision", "Supervision of VMs and the agent (AUTOSAR WdgM semantics)",
            Verb("status", "Global status and every supervised entity", StatusAsync));

    private static async Task<int> StatusAsync(CliContext c, ParseResult p, CancellationToken t)
    {
        var response = await c.CallAsync(AgentMethods.GetSupervisionStatus, new GetSupervisionStatusRequest(), GetSupervisionStatusResponse.Parser, t);
        return c.Show(response, r => c.Out.WriteLine(Names.Of(r.Global)), r => Write(c, r));
    }

    private static void Write(CliContext c, GetSupervisionStatusResponse r)
    {
        string global = Names.Global(r.Global).Text;
        c.Out.WriteLine(r.Stale
            ? $"global: {global} (cycle {r.Cycle}) STALE: last reported {StaleMarker.Age(r.AgeMs)} ago, the island is not answering"
            : $"global: {global} (cycle {r.Cycle})");
        var table = new Table("ENTITY", "STATUS", "FAILED CYCLES", "ALIVE", "DEADLINE VIOL.", "LOGICAL VIOL.");
        foreach (var e in r.Entities)
        {
            table.Add(e.Name, Names.Status(e.Status), e.FailedRefCycles, e.AliveCount, e.DeadlineViolations, e.LogicalViolations);
        }

        table.Write(c.Out, c.Colour);
    }
}
