using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Protocol;

namespace Stratos.Island.Cli.Tests;

[TestClass]
public sealed class CliTests
{
    private static ApiDouble _api = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _) => _api = await ApiDouble.StartAsync();

    [ClassCleanup]
    public static async Task StopAsync() => await _api.DisposeAsync();

    private static async Task<(int Exit, string Out, string Err)> Run(string[] args, Hashtable? env = null, bool terminal = false)
    {
        env ??= new Hashtable { ["ISLAND_SOCKET"] = _api.Socket };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await Program.RunAsync(args, stdout, stderr, env, terminal);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [TestMethod]
    public async Task Vm_list_prints_a_table_in_boot_order()
    {
        var (exit, output, error) = await Run(new[] { "vm", "list" });
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        var lines = output.TrimEnd().Split('\n');
        StringAssert.StartsWith(lines[0], "NAME  STATE    SUPERVISION  CRITICALITY");
        StringAssert.Matches(lines[1], new System.Text.RegularExpressions.Regex(@"^base\s+running\s+ok\s+asil-b\s+0\s+4242\s+-$"));
        StringAssert.Matches(lines[2], new System.Text.RegularExpressions.Regex(@"^web\s+stopped\s+deactivated\s+qm\s+0\s+-\s+base$"));
        Assert.IsFalse(output.Contains('\u001b'), "no colour when not on a terminal");
    }

    [TestMethod]
    public async Task Vm_list_json_uses_proto_field_names()
    {
        var (exit, output, _) = await Run(new[] { "vm", "list", "-o", "json" });
        Assert.AreEqual(ExitCodes.Ok, exit);
        var vms = JsonDocument.Parse(output).RootElement.GetProperty("vms");
        Assert.AreEqual("web", vms[1].GetProperty("name").GetString());
        Assert.AreEqual("VM_STATE_STOPPED", vms[1].GetProperty("state").GetString());
        Assert.AreEqual("base", vms[1].GetProperty("depends_on")[0].GetString());
        Assert.AreEqual(0, vms[1].GetProperty("restarts_in_window").GetInt32(), "defaults are printed so scripts see every field");
    }

    [TestMethod]
    public async Task Quiet_prints_names_only()
    {
        var (_, output, _) = await Run(new[] { "vm", "list", "-q" });
        Assert.AreEqual("base\nweb\n", output.Replace("\r", string.Empty));
    }

    [TestMethod]
    public async Task Colour_only_on_a_terminal_and_never_with_NO_COLOR()
    {
        var (_, coloured, _) = await Run(new[] { "vm", "list" }, terminal: true);
        Assert.IsTrue(coloured.Contains("\u001b[32mrunning"), coloured);
        var (_, plain, _) = await Run(new[] { "vm", "list" }, new Hashtable { ["ISLAND_SOCKET"] = _api.Socket, ["NO_COLOR"] = "1" }, terminal: true);
        Assert.IsFalse(plain.Contains('\u001b'));
    }

    [TestMethod]
    [Verifies("IslDsgn~stale-marking~1")]
    public async Task Status_shows_a_silent_island_as_stale_with_its_age_and_the_ring_resets()
    {
        var (exit, output, _) = await Run(new[] { "status" });

        Assert.AreEqual(0, exit);
        StringAssert.Contains(output, "STALE: 12.3 s ago (bound 500 ms); shown state is the last known");
        StringAssert.Contains(output, "2 asked by the island, 1 by the agent");
    }

    [TestMethod]
    [Verifies("IslDsgn~stale-marking~1")]
    public void A_stale_vm_state_is_shown_with_its_age_never_as_current()
    {
        var vm = new Stratos.Island.Protocol.Agent.V1.Vm { Name = "base", State = Stratos.Island.Protocol.Common.V1.VmState.Running, StateAgeMs = 850, Stale = true };

        Assert.AreEqual("running (stale, 850 ms old)", Output.StaleMarker.State(vm).Text);
        vm.Stale = false;
        Assert.AreEqual("running", Output.StaleMarker.State(vm).Text);
    }

    [TestMethod]
    public async Task Vm_show_prints_the_definition()
    {
        var (exit, output, _) = await Run(new[] { "vm", "show", "base" });
        Assert.AreEqual(ExitCodes.Ok, exit);
        StringAssert.Contains(output, "restarts       0 of 3 per 60 s");
        StringAssert.Contains(output, "safe action    restart-vm");
    }

    [TestMethod]
    public async Task Starting_a_vm_reports_the_islands_answer()
    {
        var (exit, output, _) = await Run(new[] { "vm", "start", "web" });
        Assert.AreEqual(ExitCodes.Ok, exit);
        Assert.AreEqual("web: start accepted by the island; now starting", output.Trim());
    }

    [TestMethod]
    public async Task Unknown_vm_is_one_line_naming_the_known_vms_and_exit_4()
    {
        var (exit, output, error) = await Run(new[] { "vm", "start", "dbx" });
        Assert.AreEqual(ExitCodes.NotFound, exit);
        Assert.AreEqual(string.Empty, output);
        Assert.AreEqual("island: VM 'dbx' not found; known VMs: base, web", error.Trim());
    }

    [TestMethod]
    public async Task Refusal_by_the_island_is_exit_5_with_its_reason()
    {
        var (exit, _, error) = await Run(new[] { "vm", "stop", "base" });
        Assert.AreEqual(ExitCodes.Refused, exit);
        Assert.AreEqual("island: VM 'base' refused by island: 'web' depends on it and is Running", error.Trim());
    }

    [TestMethod]
    public async Task No_agent_says_how_to_start_it_and_exit_3()
    {
        var missing = Path.Combine(Path.GetTempPath(), "stratos-cli-tests", "nobody.sock");
        var (exit, _, error) = await Run(new[] { "--socket", missing, "vm", "list" });
        Assert.AreEqual(ExitCodes.Unavailable, exit);
        var line = error.Trim();
        Assert.AreEqual(1, line.Split('\n').Length);
        StringAssert.Contains(line, missing);
        StringAssert.Contains(line, "./island up");
    }

    [TestMethod]
    public async Task Socket_option_wins_over_the_environment()
    {
        var (exit, _, _) = await Run(new[] { "--socket", _api.Socket, "vm", "list" }, new Hashtable { ["ISLAND_SOCKET"] = "/nonexistent/agent.sock" });
        Assert.AreEqual(ExitCodes.Ok, exit);
    }

    [TestMethod]
    [DataRow(new[] { "vm", "frob" }, "Unrecognized command or argument 'frob'", "island vm --help")]
    [DataRow(new[] { "vm", "start" }, "Required argument 'name' missing", "island vm start --help")]
    [DataRow(new[] { "power", "set", "a-cluster", "sideways" }, "'sideways' not recognized", "island power set --help")]
    [DataRow(new[] { "vm", "list", "-o", "yaml" }, "'yaml' not recognized", "island vm list --help")]
    public async Task Usage_errors_are_one_line_and_exit_2(string[] args, string fragment, string help)
    {
        var (exit, _, error) = await Run(args);
        Assert.AreEqual(ExitCodes.Usage, exit);
        var line = error.Trim();
        Assert.AreEqual(1, line.Split('\n').Length, line);
        StringAssert.Contains(line, fragment);
        StringAssert.Contains(line, help);
    }

    [TestMethod]
    [Verifies("IslDsgn~stale-marking~1")]
    public async Task Supervision_status_of_a_silent_island_says_stale_instead_of_showing_the_cycle_as_current()
    {
        var (exit, output, _) = await Run(new[] { "supervision", "status" });

        Assert.AreEqual(ExitCodes.Ok, exit);
        StringAssert.Contains(output, "(cycle 3127) STALE: last reported 3400 ms ago, the island is not answering");
    }

    [TestMethod]
    public async Task Power_list_and_set()
    {
        var (_, list, _) = await Run(new[] { "power", "list" });
        StringAssert.Contains(list, "a-cluster");
        var (exit, set, _) = await Run(new[] { "power", "set", "a-cluster", "retention" });
        Assert.AreEqual(ExitCodes.Ok, exit);
        Assert.AreEqual("a-cluster: now retention", set.Trim());
    }

    [TestMethod]
    public async Task Events_shows_the_last_twenty_and_since_filters()
    {
        var (_, recent, _) = await Run(new[] { "events" });
        var lines = recent.Trim().Split('\n');
        Assert.AreEqual(20, lines.Length);
        StringAssert.StartsWith(lines[0], "#11 ");
        var (_, since, _) = await Run(new[] { "events", "--since", "28", "-q" });
        Assert.AreEqual("28\n29\n30\n", since.Replace("\r", string.Empty));
    }

    [TestMethod]
    public async Task Events_follow_streams_until_the_agent_ends_the_stream()
    {
        var (exit, output, _) = await Run(new[] { "events", "--follow", "--since", "100" });
        Assert.AreEqual(ExitCodes.Ok, exit);
        var lines = output.Trim().Split('\n');
        Assert.AreEqual(3, lines.Length);
        StringAssert.Contains(lines[2], "supervision-status");
    }

    [TestMethod]
    public async Task Log_prints_records_and_the_window()
    {
        var (_, output, _) = await Run(new[] { "log", "--since", "29" });
        StringAssert.Contains(output, "2 records; oldest stored #1, next #31");
    }

    [TestMethod]
    public async Task Completion_script_uses_the_suggest_directive()
    {
        var (exit, output, _) = await Run(new[] { "completion", "bash" });
        Assert.AreEqual(ExitCodes.Ok, exit);
        StringAssert.Contains(output, "[suggest:");
        StringAssert.Contains(output, "complete -o default -F _island_complete island");
    }

    [TestMethod]
    public async Task Suggest_directive_completes_verbs()
    {
        var (_, output, _) = await Run(new[] { "[suggest:12]", "island vm st" });
        CollectionAssert.IsSubsetOf(new[] { "start", "stop" }, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}

[TestClass]
public sealed class AgentMethodTests
{
    [TestMethod]
    public void Every_method_name_exists_in_agent_proto()
    {
        var methods = Stratos.Island.Protocol.Agent.V1.AgentReflection.Descriptor.Services
            .SelectMany(s => s.Methods.Select(m => "/" + s.FullName + "/" + m.Name)).OrderBy(n => n).ToArray();
        CollectionAssert.AreEqual(methods, AgentMethods.All.OrderBy(n => n).ToArray());
    }

    [TestMethod]
    public void Default_socket_follows_user_and_environment()
    {
        Assert.AreEqual("/run/island/agent.sock", AgentSocket.Resolve(null, new Hashtable(), isRoot: true));
        Assert.AreEqual("/run/user/1000/island/agent.sock", AgentSocket.Resolve(null, new Hashtable { ["XDG_RUNTIME_DIR"] = "/run/user/1000" }, isRoot: false));
        Assert.AreEqual("/x.sock", AgentSocket.Resolve(null, new Hashtable { ["ISLAND_SOCKET"] = "/x.sock" }, isRoot: true));
        Assert.AreEqual("/y.sock", AgentSocket.Resolve("/y.sock", new Hashtable { ["ISLAND_SOCKET"] = "/x.sock" }, isRoot: true));
    }
}

[TestClass]
public sealed class EventFormatTests
{
    [TestMethod]
    public void Event_values_are_spelled_by_event_type_and_repeated_details_are_dropped()
    {
        var running = new Stratos.Island.Protocol.Agent.V1.Event { Sequence = 45, TimestampUs = 285_750, Type = Stratos.Island.Protocol.Common.V1.EventType.VmState, Subject = "base", Value = (int)Stratos.Island.Protocol.Common.V1.VmState.Running, Detail = "base" };
        Assert.AreEqual("#45         0.285750s  vm-state             base         running", Commands.EventCommands.Format(running));
        var refused = new Stratos.Island.Protocol.Agent.V1.Event { Sequence = 6, Type = Stratos.Island.Protocol.Common.V1.EventType.RequestRefused, Subject = "web", Value = (int)Stratos.Island.Protocol.Common.V1.ErrorCode.FailedPrecondition, Detail = "VM 'web': power domain 'vm-web' is Off" };
        StringAssert.EndsWith(Commands.EventCommands.Format(refused), "web          failed-precondition  VM 'web': power domain 'vm-web' is Off");
        var boot = new Stratos.Island.Protocol.Agent.V1.Event { Type = Stratos.Island.Protocol.Common.V1.EventType.IslandBoot, Subject = "island", Value = (int)Stratos.Island.Protocol.Common.V1.ResetReason.Watchdog };
        StringAssert.Contains(Commands.EventCommands.Format(boot), "reset: watchdog");
        var down = new Stratos.Island.Protocol.Agent.V1.Event { Type = Stratos.Island.Protocol.Common.V1.EventType.LinkDown, Subject = "agent", Value = 3, Detail = "agent link down: supervision of 3 VM(s) held" };
        StringAssert.EndsWith(Commands.EventCommands.Format(down), "agent        held: 3  agent link down: supervision of 3 VM(s) held");
    }
}
