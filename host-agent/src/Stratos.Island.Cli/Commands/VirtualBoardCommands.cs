// `island up` / `island down`: the virtual board on this machine. This file is the ONE place where the
// CLI manages processes (everything else only calls the agent's API).
//
// up:   island-sim (the virtual island) and island-agent start in the background, each in its own
//       session (setsid), output appended to a log in the state dir, pid in a pidfile there. The
//       island resets the A-cluster through --a-cluster-reset-hook, which runs
//       `restart-agent.sh --a-cluster-reset`: it SIGKILLs the agent and every QEMU of the runtime dir
//       (the VMs die with their cluster, as on a board) and starts a new agent. Without the option the
//       script only replaces the agent, which re-adopts the running QEMUs. Then up waits for the link
//       and the autostart VMs.
// down: SIGTERM to the agent (its VMs keep running), SIGTERM to island-sim (it removes its sockets
//       and withdraws its resource table; the shm file outlives island restarts on purpose), then
//       every QEMU left under the runtime dir (pidfiles checked against /proc/<pid>/cmdline), then
//       the shm file and what is left of the sockets: the whole board is gone.
//
// State dir: $ISLAND_STATE_DIR, else $XDG_RUNTIME_DIR/island/virtual, /run/island/virtual as root.
using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

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

    /// <summary>Paths of one virtual-board instance.</summary>
    public sealed record Layout(string Repo, string StateDir, string AgentSocket)
    {
        public string SimPidFile => Path.Combine(StateDir, "island-sim.pid");
        public string AgentPidFile => Path.Combine(StateDir, "island-agent.pid");
        public string SimLog => Path.Combine(StateDir, "island-sim.log");
        public string AgentLog => Path.Combine(StateDir, "island-agent.log");
        public string IslandStateDir => Path.Combine(StateDir, "island");
        public string ShmPath => Path.Combine(StateDir, "link.shm");
        public string KickSocket => Path.Combine(StateDir, "kick.sock");
        public string RuntimeDir => Path.Combine(StateDir, "vms");
        public string RestartScript => Path.Combine(StateDir, "restart-agent.sh");
        public string SimBinary => Path.Combine(Repo, "island-firmware", "src", "Stratos.Island.Sim", "bin", "Release", "net10.0", "island-sim");
        public string AgentBinary => Path.Combine(Repo, "host-agent", "src", "Stratos.Island.Agent.Host", "bin", "Release", "net10.0", "island-agent");

        public static Layout For(CliContext context)
        {
            string repo = context.Environment["ISLAND_REPO"] as string ?? FindRepo();
            string state = context.Environment["ISLAND_STATE_DIR"] as string
                ?? Path.Combine(Path.GetDirectoryName(Protocol.AgentSocket.DefaultPath(context.Environment, Protocol.AgentSocket.CurrentUserIsRoot()))!, "virtual");
            return new Layout(repo, state, Path.GetFullPath(context.SocketPath));
        }
    }

    private static async Task<int> UpAsync(CliContext context, bool noWait, CancellationToken token)
    {
        Layout layout = Layout.For(context);
        int? sim = LivePid(layout.SimPidFile);
        int? agent = LivePid(layout.AgentPidFile);
        if (sim is not null && agent is not null)
        {
            context.Out.WriteLine($"the virtual board is already up (island-sim pid {sim}, island-agent pid {agent}); see 'island vm list', or 'island down' to stop it");
            return ExitCodes.Ok;
        }

        foreach (string binary in new[] { layout.SimBinary, layout.AgentBinary })
        {
            if (!File.Exists(binary))
            {
                context.Error.WriteLine($"island: {binary} is not built; run ./island up from the repository (it builds what is missing)");
                return ExitCodes.Failed;
            }
        }

        // Least privilege (docs/security.md): the state dir is 0700 and the processes start under
        // umask 077, so their logs, pidfiles, shared memory and sockets are the user's alone.
        Directory.CreateDirectory(layout.StateDir, PrivateDirectoryMode);
        Directory.CreateDirectory(layout.IslandStateDir, PrivateDirectoryMode);
        // The virtual board's link is authenticated by default: one random board key, 0600, shared by
        // island-sim (its stand-in for the key in the signed bundle) and the agent (docs/link.md "Authentication").
        string linkKey = Path.Combine(layout.IslandStateDir, "link.key");
        if (!File.Exists(linkKey))
        {
            Stratos.Island.Boards.LinkKeyFile.Create(linkKey);
        }

        string agentCommand = Quote(layout.AgentBinary) + " --board virtual --boards-dir " + Quote(Path.Combine(layout.Repo, "boards"))
            + " --socket " + Quote(layout.AgentSocket) + " --runtime-dir " + Quote(layout.RuntimeDir)
            + " --shm-path " + Quote(layout.ShmPath) + " --kick-socket " + Quote(layout.KickSocket)
            + " --guest-kernel-dir " + Quote(layout.Repo) + " --link-key " + Quote(linkKey);
        // Diagnostic (docs/guests.md "Timing each hop"): ISLAND_TRACE_HEARTBEATS=1 turns the heartbeat
        // trace on in both processes, next to their logs.
        bool trace = context.Environment["ISLAND_TRACE_HEARTBEATS"] as string == "1";
        if (trace)
        {
            agentCommand += " --trace-heartbeats " + Quote(Path.Combine(layout.StateDir, "agent-heartbeats.trace"));
        }

        string agentStart = $"umask 077; setsid {agentCommand} >>{Quote(layout.AgentLog)} 2>&1 </dev/null & echo $! >{Quote(layout.AgentPidFile)}";
        // The QEMU check mirrors the agent's: the pid's command line names the folder's QMP socket.
        WritePrivateFile(layout.RestartScript,
            "#!/bin/sh\n# Replaces the agent (SIGKILL, start a new one that re-adopts the running VMs). With --a-cluster-reset\n"
            + "# (island-sim's reset hook) the VMs die with their cluster first.\n"
            + $"[ -f {Quote(layout.AgentPidFile)} ] && kill -9 \"$(cat {Quote(layout.AgentPidFile)})\" 2>/dev/null\n"
            + "if [ \"$1\" = --a-cluster-reset ]; then\n"
            + $"  for d in {Quote(layout.RuntimeDir)}/*/; do\n"
            + "    p=$(cat \"${d}qemu.pid\" 2>/dev/null) || continue\n"
            + "    tr '\\0' '\\n' <\"/proc/$p/cmdline\" 2>/dev/null | grep -qF \"${d}qmp.sock\" || continue\n"
            + "    kill -9 \"$p\"; n=0; while [ -d \"/proc/$p\" ] && [ $n -lt 200 ]; do sleep 0.01; n=$((n+1)); done\n"
            + "  done\n"
            + "fi\n"
            + $"{agentStart}\n");

        if (sim is null)
        {
            KillAt(layout.AgentPidFile, Signal.Kill);
            string simCommand = Quote(layout.SimBinary) + " --board virtual --boards-dir " + Quote(Path.Combine(layout.Repo, "boards"))
                + " --state-dir " + Quote(layout.IslandStateDir) + " --shm-path " + Quote(layout.ShmPath) + " --kick-socket " + Quote(layout.KickSocket)
                + " --link-key " + Quote(linkKey) + (trace ? " --trace-heartbeats " + Quote(Path.Combine(layout.StateDir, "island-heartbeats.trace")) : "")
                + " --a-cluster-reset-hook " + Quote("sh " + Quote(layout.RestartScript) + " --a-cluster-reset");
            await ShellAsync($"umask 077; setsid {simCommand} >>{Quote(layout.SimLog)} 2>&1 </dev/null & echo $! >{Quote(layout.SimPidFile)}", token);
        }

        await ShellAsync(agentStart, token);
        sim = LivePid(layout.SimPidFile);
        agent = LivePid(layout.AgentPidFile);
        context.Out.WriteLine($"island-sim    pid {sim}  log {layout.SimLog}");
        context.Out.WriteLine($"island-agent  pid {agent}  log {layout.AgentLog}");
        context.Out.WriteLine($"API socket    {layout.AgentSocket}");
        if (noWait)
        {
            return ExitCodes.Ok;
        }

        ListVmsResponse? vms = await WaitForVmsAsync(layout, token);
        if (vms is null)
        {
            context.Error.WriteLine($"island: the virtual board did not come up within {UpTimeout.TotalSeconds:0} s; see {layout.SimLog} and {layout.AgentLog}");
            return ExitCodes.Unavailable;
        }

        foreach (Vm vm in vms.Vms)
        {
            context.Out.WriteLine($"VM {vm.Name,-12} {Output.Names.Of(vm.State),-10} pid {vm.Pid}");
            if (vm.State != VmState.Running && IsAutostart(layout, vm.Name))
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
    private static async Task<ListVmsResponse?> WaitForVmsAsync(Layout layout, CancellationToken token)
    {
        using var client = GrpcClient.ForUnixSocket(layout.AgentSocket);
        long deadline = Environment.TickCount64 + (long)UpTimeout.TotalMilliseconds;
        string lastStates = string.Empty;
        long lastChange = Environment.TickCount64;
        while (Environment.TickCount64 < deadline)
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

                bool allAutostartRunning = vms.Vms.Where(v => IsAutostart(layout, v.Name)).All(v => v.State == VmState.Running);
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

    private static bool IsAutostart(Layout layout, string vm)
    {
        string path = Path.Combine(layout.Repo, "boards", "virtual", "vms.yaml");
        if (!File.Exists(path))
        {
            return false;
        }

        bool inVm = false;
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (line.StartsWith("- name:", StringComparison.Ordinal))
            {
                inVm = line["- name:".Length..].Trim() == vm;
            }
            else if (inVm && line.StartsWith("autostart:", StringComparison.Ordinal))
            {
                return line["autostart:".Length..].Trim() == "true";
            }
        }

        return false;
    }

    private static async Task<int> DownAsync(CliContext context, CancellationToken token)
    {
        Layout layout = Layout.For(context);
        var stopped = new List<string>();
        if (await StopAsync(layout.AgentPidFile, token) is int agent)
        {
            stopped.Add($"island-agent (pid {agent})");
        }

        if (await StopAsync(layout.SimPidFile, token) is int sim)
        {
            stopped.Add($"island-sim (pid {sim})");
        }

        if (Directory.Exists(layout.RuntimeDir))
        {
            foreach (string vmDir in Directory.GetDirectories(layout.RuntimeDir))
            {
                string pidFile = Path.Combine(vmDir, "qemu.pid");
                if (LivePid(pidFile) is int pid && IsQemu(pid))
                {
                    Kill(pid, Signal.Kill);
                    await WaitGoneAsync(pid, token);
                    stopped.Add($"QEMU of VM '{Path.GetFileName(vmDir)}' (pid {pid})");
                }

                Directory.Delete(vmDir, recursive: true);
            }
        }

        var removed = new List<string>();
        foreach (string path in new[] { layout.ShmPath, layout.KickSocket, layout.AgentSocket, layout.SimPidFile, layout.AgentPidFile, Path.Combine(layout.IslandStateDir, "control.sock") })
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                if (path != layout.SimPidFile && path != layout.AgentPidFile)
                {
                    removed.Add(path);
                }
            }
        }

        if (stopped.Count == 0 && removed.Count == 0)
        {
            context.Out.WriteLine("the virtual board is not running; nothing to stop");
            return ExitCodes.Ok;
        }

        foreach (string what in stopped)
        {
            context.Out.WriteLine("stopped " + what);
        }

        foreach (string path in removed)
        {
            context.Out.WriteLine("removed " + path);
        }

        context.Out.WriteLine($"logs kept in {layout.StateDir}");
        return ExitCodes.Ok;
    }

    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static void WritePrivateFile(string path, string text)
    {
        File.Delete(path);
        using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        using var writer = new StreamWriter(file);
        writer.Write(text);
    }

    private static async Task<int?> StopAsync(string pidFile, CancellationToken token)
    {
        if (LivePid(pidFile) is not int pid)
        {
            return null;
        }

        Kill(pid, Signal.Term);
        if (!await WaitGoneAsync(pid, token, 5000))
        {
            Kill(pid, Signal.Kill);
            await WaitGoneAsync(pid, token);
        }

        return pid;
    }

    private enum Signal
    {
        Term = 15,
        Kill = 9,
    }

    private static void KillAt(string pidFile, Signal signal)
    {
        if (LivePid(pidFile) is int pid)
        {
            Kill(pid, signal);
        }
    }

    private static void Kill(int pid, Signal signal)
    {
        _ = NativeKill(pid, (int)signal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    private static async Task<bool> WaitGoneAsync(int pid, CancellationToken token, int timeoutMs = 5000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (IsAlive(pid))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            await Task.Delay(20, token);
        }

        return true;
    }

    /// <summary>Alive and not a zombie.</summary>
    private static bool IsAlive(int pid)
    {
        string stat = "/proc/" + pid + "/stat";
        try
        {
            string text = File.ReadAllText(stat);
            int close = text.LastIndexOf(')');
            return close > 0 && close + 2 < text.Length && text[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static bool IsQemu(int pid)
    {
        try
        {
            return File.ReadAllText("/proc/" + pid + "/cmdline").Contains("qemu-system", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int? LivePid(string pidFile)
    {
        try
        {
            return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) && pid > 0 && IsAlive(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task ShellAsync(string script, CancellationToken token)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using Process shell = Process.Start(start) ?? throw new InvalidOperationException("cannot run /bin/sh");
        await shell.WaitForExitAsync(token);
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string FindRepo()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Environment.CurrentDirectory;
    }
}
