// `island up` / `island down`: the virtual board on this machine. The processes, their command
// lines, the layout of the state dir and the teardown are the launcher's (Stratos.Island.VirtualBoard,
// DetachedBoard); this file says what happens and waits for the VMs through the API.
//
// up:   island-sim and island-agent start in the background (detached, logs and pid files in the
//       state dir, the A-cluster reset hook restarting the agent), then up waits for the link and
//       the autostart VMs.
// down: the agent, island-sim, every QEMU left under the runtime dir, then the shm file and what is
//       left of the sockets: the whole board is gone; logs stay.
//
// State dir: $ISLAND_STATE_DIR, else $XDG_RUNTIME_DIR/island/virtual, /run/island/virtual as root.
using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Cli.Commands;

public static class VirtualBoardCommands
{
    /// <summary>How long `up` waits for the link and the autostart VMs.</summary>
    public static readonly TimeSpan UpTimeout = TimeSpan.FromSeconds(60);

    public static Command CreateUp()
    {
        var wait = new Option<bool>("--no-wait") { Description = "Return once the processes are started, without waiting for the VMs" };
        return CommandBuilder.Verb("up", "Start the virtual board: island-sim, island-agent and the autostart VMs", (context, parse, token) => UpAsync(context, parse.GetValue(wait), token), wait);
    }

    public static Command CreateDown() =>
        CommandBuilder.Verb("down", "Stop the virtual board: agent, island-sim, every QEMU they started; remove shared memory and sockets", (context, _, token) => DownAsync(context, token));

    /// <summary>The virtual board of this user: its state dir and API socket from the environment, the repository's Release builds.</summary>
    public static DetachedBoard BoardFor(CliContext context)
    {
        string repo = context.Environment["ISLAND_REPO"] as string ?? FindRepo();
        string state = context.Environment["ISLAND_STATE_DIR"] as string
            ?? Path.Combine(Path.GetDirectoryName(Protocol.AgentSocket.DefaultPath(context.Environment, Protocol.AgentSocket.CurrentUserIsRoot()))!, "virtual");
        var layout = new VirtualBoardLayout(state) { AgentSocket = Path.GetFullPath(context.SocketPath) };
        // Diagnostic (docs/guests.md "Timing each hop"): ISLAND_TRACE_HEARTBEATS=1 turns the heartbeat
        // trace on in both processes, next to their logs.
        var options = new VirtualBoardOptions(repo) { TraceHeartbeats = context.Environment["ISLAND_TRACE_HEARTBEATS"] as string == "1" };
        // The board's descriptors from $ISLAND_BOARDS_DIR when set (the CLI's one boards lookup),
        // else the repository's boards/; guest paths in vms.yaml stay relative to the repository.
        if (Boards.BoardsFolder.Find(null, context.Environment, repo) is string boards)
        {
            options = options with { BoardsDir = Path.GetFullPath(boards) };
        }

        return new DetachedBoard(layout, options);
    }

    private static async Task<int> UpAsync(CliContext context, bool noWait, CancellationToken token)
    {
        DetachedBoard board = BoardFor(context);
        VirtualBoardLayout layout = board.Layout;
        if (board.Running() is (int sim, int agent))
        {
            context.Out.WriteLine($"the virtual board is already up (island-sim pid {sim}, island-agent pid {agent}); see 'island vm list', or 'island down' to stop it");
            return ExitCodes.Ok;
        }

        foreach (string binary in new[] { board.Launcher.Binaries.IslandSim, board.Launcher.Binaries.Agent })
        {
            if (!File.Exists(binary))
            {
                context.Error.WriteLine($"island: {binary} is not built; run ./island up from the repository (it builds what is missing)");
                return ExitCodes.Failed;
            }
        }

        (int? Sim, int? Agent) started;
        try
        {
            started = await board.StartAsync(token);
        }
        catch (VirtualBoardException e)
        {
            context.Error.WriteLine("island: " + e.Message);
            return ExitCodes.Failed;
        }

        context.Out.WriteLine($"island-sim    pid {started.Sim}  log {layout.SimLog}");
        context.Out.WriteLine($"island-agent  pid {started.Agent}  log {layout.AgentLog}");
        context.Out.WriteLine($"API socket    {layout.AgentSocket}");
        if (noWait)
        {
            return ExitCodes.Ok;
        }

        string[] autostart = AutostartVms(board.Launcher);
        ListVmsResponse? vms = await WaitForVmsAsync(layout, autostart, board.Exited, token);
        if (vms is null)
        {
            string? exited = board.Exited();
            context.Error.WriteLine(exited is null
                ? $"island: the virtual board did not come up within {UpTimeout.TotalSeconds:0} s; see {layout.SimLog} and {layout.AgentLog}"
                : $"island: the virtual board did not come up: {exited}; 'island down' cleans up");
            return ExitCodes.Unavailable;
        }

        foreach (Vm vm in vms.Vms)
        {
            context.Out.WriteLine($"VM {vm.Name,-12} {Output.Names.Of(vm.State),-10} pid {vm.Pid}");
            if (vm.State != VmState.Running && autostart.Contains(vm.Name))
            {
                context.Out.WriteLine($"   autostart VM '{vm.Name}' is not running; 'island events' shows why");
            }
        }

        context.Out.WriteLine("next: 'island vm list', 'island events --follow', 'island status'; stop with 'island down'");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Waits for the link and for every autostart VM to be Running; settles earlier when the VMs'
    /// states stop changing for SettleTime after the first one runs (an autostart VM the island
    /// refused, e.g. because its power domain is off, is then shown as it is).
    /// </summary>
    private static async Task<ListVmsResponse?> WaitForVmsAsync(VirtualBoardLayout layout, string[] autostart, Func<string?> exited, CancellationToken token)
    {
        using var client = GrpcClient.ForUnixSocket(layout.AgentSocket);
        long deadline = Environment.TickCount64 + (long)UpTimeout.TotalMilliseconds;
        string lastStates = string.Empty;
        long lastChange = Environment.TickCount64;
        while (Environment.TickCount64 < deadline && exited() is null)
        {
            try
            {
                ListVmsResponse vms = await client.UnaryAsync(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser, TimeSpan.FromSeconds(2), token);
                string states = string.Join(",", vms.Vms.Select(v => v.Name + "=" + v.State));
                if (states != lastStates)
                {
                    lastStates = states;
                    lastChange = Environment.TickCount64;
                }

                bool allAutostartRunning = vms.Vms.Where(v => autostart.Contains(v.Name)).All(v => v.State == VmState.Running);
                bool settled = vms.Vms.Any(v => v.State == VmState.Running) && Environment.TickCount64 - lastChange >= SettleTimeMs
                    && vms.Vms.All(v => v.State is not (VmState.Starting or VmState.Stopping or VmState.Pausing));
                if (vms.Vms.Count > 0 && (allAutostartRunning || settled))
                {
                    return vms;
                }
            }
            catch (GrpcException)
            {
                // Not listening yet, or the link is not up yet.
            }

            await Task.Delay(200, token);
        }

        return null;
    }

    /// <summary>How long the VM states must stay unchanged for `up` to stop waiting early.</summary>
    public const int SettleTimeMs = 3000;

    /// <summary>The autostart VMs; none when the configuration cannot be read (island-sim's log then says why).</summary>
    private static string[] AutostartVms(VirtualBoardLauncher launcher)
    {
        try
        {
            return launcher.AutostartVms().ToArray();
        }
        catch (Exception e) when (e is VirtualBoardException or IOException)
        {
            return [];
        }
    }

    private static async Task<int> DownAsync(CliContext context, CancellationToken token)
    {
        DetachedBoard board = BoardFor(context);
        Teardown.Report report = await board.StopAsync(token);
        if (report.Nothing)
        {
            context.Out.WriteLine("the virtual board is not running; nothing to stop");
            return ExitCodes.Ok;
        }

        foreach (string what in report.Stopped)
        {
            context.Out.WriteLine("stopped " + what);
        }

        foreach (string path in report.Removed)
        {
            context.Out.WriteLine("removed " + path);
        }

        context.Out.WriteLine($"logs kept in {board.Layout.Root}");
        return ExitCodes.Ok;
    }

    private static string FindRepo() => RepositoryRoot.Find() ?? Environment.CurrentDirectory;
}
