using System.CommandLine;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island vm list|show|start|stop|restart|pause|resume|kill|clear`.</summary>
public static class VmCommands
{
    public static Command Create()
    {
        var showName = NameArgument("VM name");
        return Noun("vm", "Virtual machines (the island owns their lifecycle)",
            Verb("list", "List VMs in boot order", ListAsync),
            Verb("show", "Show one VM", (c, p, t) => ShowAsync(c, p.GetValue(showName)!, t), showName),
            Action("start", "Ask the island to start a VM", (c, n, r, t) => Answer(c.Call(AgentMethods.StartVm, new StartVmRequest { Name = n, Reason = r }, StartVmResponse.Parser, t))),
            Action("stop", "Ask the island to stop a VM", (c, n, r, t) => Answer(c.Call(AgentMethods.StopVm, new StopVmRequest { Name = n, Reason = r }, StopVmResponse.Parser, t))),
            Action("restart", "Ask the island to restart a VM", (c, n, r, t) => Answer(c.Call(AgentMethods.RestartVm, new RestartVmRequest { Name = n, Reason = r }, RestartVmResponse.Parser, t))),
            Action("pause", "Ask the island to pause a VM", (c, n, r, t) => Answer(c.Call(AgentMethods.PauseVm, new PauseVmRequest { Name = n, Reason = r }, PauseVmResponse.Parser, t))),
            Action("resume", "Ask the island to resume a VM", (c, n, r, t) => Answer(c.Call(AgentMethods.ResumeVm, new ResumeVmRequest { Name = n, Reason = r }, ResumeVmResponse.Parser, t))),
            Action("kill", "Ask the island to kill a VM at once", (c, n, r, t) => Answer(c.Call(AgentMethods.KillVm, new KillVmRequest { Name = n, Reason = r }, KillVmResponse.Parser, t))),
            Action("clear", "Clear a VM's quarantine", (c, n, r, t) => Answer(c.Call(AgentMethods.ClearVm, new ClearVmRequest { Name = n, Reason = r }, ClearVmResponse.Parser, t))));
    }

    private static Task<int> ListAsync(CliContext c, ParseResult p, CancellationToken t) => Task.FromResult(List(c, t));

    /// <summary>`vm list`; also run by <see cref="FastPath"/> without System.CommandLine.</summary>
    internal static int List(CliContext c, CancellationToken t)
    {
        var response = c.Call(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser, t);
        return c.Show(response, r =>
        {
            foreach (var vm in r.Vms)
            {
                c.Out.WriteLine(vm.Name);
            }
        }, r =>
        {
            var table = new Table("NAME", "STATE", "SUPERVISION", "CRITICALITY", "RESTARTS", "PID", "DEPENDS ON");
            foreach (var vm in r.Vms)
            {
                table.Add(vm.Name, StaleMarker.State(vm), Names.Status(vm.Supervision), Names.Of(vm.Criticality),
                    vm.RestartsInWindow, vm.Pid == 0 ? "-" : vm.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    vm.DependsOn.Count == 0 ? "-" : string.Join(",", vm.DependsOn));
            }

            table.Write(c.Out, c.Colour);
        });
    }

    private static async Task<int> ShowAsync(CliContext c, string name, CancellationToken t)
    {
        var response = await c.CallAsync(AgentMethods.GetVm, new GetVmRequest { Name = name }, GetVmResponse.Parser, t);
        return c.Show(response, r => c.Out.WriteLine(r.Vm.Name), r => Write(c, r));
    }

    private static void Write(CliContext c, GetVmResponse r)
    {
        var vm = r.Vm;
        var table = new Table("FIELD", "VALUE");
        table.Add("name", vm.Name);
        table.Add("id", vm.Id);
        table.Add("state", StaleMarker.State(vm));
        table.Add("supervision", Names.Status(vm.Supervision));
        table.Add("criticality", Names.Of(vm.Criticality));
        table.Add("boot order", vm.BootOrder);
        table.Add("depends on", vm.DependsOn.Count == 0 ? "-" : string.Join(", ", vm.DependsOn));
        table.Add("power domains", vm.PowerDomains.Count == 0 ? "-" : string.Join(", ", vm.PowerDomains));
        table.Add("restarts", $"{vm.RestartsInWindow} of {r.MaxRestarts} per {r.RestartWindowMs / 1000.0:0.#} s");
        table.Add("safe action", Names.Of(r.SafeAction));
        table.Add("machine", $"{r.Machine}, {r.MemoryMib} MiB");
        table.Add("pid", vm.Pid == 0 ? "-" : vm.Pid);
        table.Add("last failure", vm.LastFailure.Length == 0 ? "-" : vm.LastFailure);
        table.Write(c.Out, c.Colour);
    }

    // The verbs' bodies name their message types only inside lambdas, so building the subtree loads
    // no message type; only the verb that runs does (a CLI start-up cost, docs/benchmarks.md).
    private delegate (IMessage Response, Vm Vm) VmCall(CliContext context, string name, string reason, CancellationToken cancellationToken);

    private static (IMessage, Vm) Answer(StartVmResponse r) => (r, r.Vm);

    private static (IMessage, Vm) Answer(StopVmResponse r) => (r, r.Vm);

    private static (IMessage, Vm) Answer(RestartVmResponse r) => (r, r.Vm);

    private static (IMessage, Vm) Answer(PauseVmResponse r) => (r, r.Vm);

    private static (IMessage, Vm) Answer(ResumeVmResponse r) => (r, r.Vm);

    private static (IMessage, Vm) Answer(KillVmResponse r) => (r, r.Vm);

    private static (IMessage, Vm) Answer(ClearVmResponse r) => (r, r.Vm);

    private static Command Action(string verb, string description, VmCall call)
    {
        var name = NameArgument("VM name");
        var reason = ReasonOption();
        return Verb(verb, description, (c, p, t) =>
        {
            var (response, vm) = call(c, p.GetValue(name)!, p.GetValue(reason)!, t);
            return Task.FromResult(c.Acknowledge(response, $"{vm.Name}: {verb} accepted by the island; now {Names.Of(vm.State)}"));
        }, name, reason);
    }
}
