using System.CommandLine;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island power list|set DOMAIN STATE` and `island system off|reboot|suspend`.</summary>
public static class PowerCommands
{
    public static Command CreatePower()
    {
        var domain = NameArgument("Power domain name");
        var state = new Argument<string>("state") { Description = "on, off, reset or retention" };
        state.AcceptOnlyFromAmong(Names.All<PowerState>());
        var reason = ReasonOption();
        return Noun("power", "Power domains (the island arbitrates)",
            Verb("list", "List power domains", ListAsync),
            Verb("set", "Set a power domain's state", (c, p, t) => SetAsync(c, p.GetValue(domain)!, p.GetValue(state)!, p.GetValue(reason)!, t), domain, state, reason));
    }

    public static Command CreateSystem()
    {
        Command Action(string verb, SystemPowerAction action, string description)
        {
            var reason = ReasonOption();
            return Verb(verb, description, async (c, p, t) =>
            {
                var r = await c.CallAsync(AgentMethods.SetSystemPower, new SetSystemPowerRequest { Action = action, Reason = p.GetValue(reason)! }, SetSystemPowerResponse.Parser, t);
                return c.Acknowledge(r, $"system {verb} accepted by the island; follow the sequence with 'island events --follow'");
            }, reason);
        }

        return Noun("system", "System power sequences (VMs in reverse boot order, then domains)",
            Action("off", SystemPowerAction.Off, "Stop every VM, then power the domains off"),
            Action("reboot", SystemPowerAction.Reboot, "Off sequence, then power-on and boot sequence"),
            Action("suspend", SystemPowerAction.Suspend, "Pause VMs and put domains in retention"));
    }

    private static async Task<int> ListAsync(CliContext c, ParseResult p, CancellationToken t)
    {
        var r = await c.CallAsync(AgentMethods.ListPowerDomains, new ListPowerDomainsRequest(), ListPowerDomainsResponse.Parser, t);
        return c.Show(r, r =>
        {
            foreach (var d in r.Domains)
            {
                c.Out.WriteLine(d.Name);
            }
        }, r =>
        {
            var table = new Table("DOMAIN", "ID", "STATE", "CRITICALITY", "VMS");
            foreach (var d in r.Domains)
            {
                var colour = d.State == PowerState.On ? Table.Colour.Green : Table.Colour.Yellow;
                table.Add(d.Name, d.Id, new Table.Cell(Names.Of(d.State), colour), Names.Of(d.Criticality), d.Vms.Count == 0 ? "-" : string.Join(",", d.Vms));
            }

            table.Write(c.Out, c.Colour);
            if (r.Stale)
            {
                c.Out.WriteLine("STALE: the island is not answering; these are the last known states");
            }
        });
    }

    private static async Task<int> SetAsync(CliContext c, string domain, string stateText, string reason, CancellationToken t)
    {
        Names.TryParse<PowerState>(stateText, out var state);
        var r = await c.CallAsync(AgentMethods.SetPowerDomain, new SetPowerDomainRequest { Name = domain, State = state, Reason = reason }, SetPowerDomainResponse.Parser, t);
        return c.Acknowledge(r, $"{r.Domain.Name}: now {Names.Of(r.Domain.State)}");
    }
}
