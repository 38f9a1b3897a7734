// The virtual board of `island up` / `island down`: processes that outlive the command that started
// them. Each runs in its own session (setsid) under umask 077 (docs/security.md), output appended to
// its log in the layout's root, pid in a pid file there. island-sim resets the A-cluster through
// --a-cluster-reset-hook, which runs `restart-agent.sh --a-cluster-reset`: it SIGKILLs the agent and
// every QEMU of the runtime dir (the VMs die with their cluster, as on a board) and starts a new
// agent. Without the option the script only replaces the agent, which re-adopts the running QEMUs.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.VirtualBoard;

/// <summary>A virtual board whose processes are detached from the caller, found again through pid files (see the file's primer).</summary>
public sealed class DetachedBoard
{
    public DetachedBoard(VirtualBoardLayout layout, VirtualBoardOptions options, VirtualBoardBinaries? binaries = null)
    {
        // The reset hook is this board's restart script: set here so every caller gets the same.
        Launcher = new VirtualBoardLauncher(layout, options with { ACLusterResetHook = "sh " + LaunchCommand.ShellQuote(layout.RestartScript) + " --a-cluster-reset" }, binaries);
    }

    public VirtualBoardLauncher Launcher { get; }

    public VirtualBoardLayout Layout => Launcher.Layout;

    /// <summary>The live pids of island-sim and the agent (null for one not running).</summary>
    public (int? Sim, int? Agent) Running() => (PosixProcess.LivePid(Layout.SimPidFile), PosixProcess.LivePid(Layout.AgentPidFile));

    /// <summary>
    /// Which of the board's processes has exited, with the last lines of its log (island-sim exits at
    /// once on a configuration it refuses); null while both run.
    /// </summary>
    public string? Exited()
    {
        (int? sim, int? agent) = Running();
        (string Name, string Log)? gone = sim is null ? ("island-sim", Layout.SimLog) : agent is null ? ("island-agent", Layout.AgentLog) : null;
        if (gone is not (string name, string log))
        {
            return null;
        }

        string[] tail;
        try
        {
            tail = File.ReadLines(log).Where(l => l.Trim().Length > 0).TakeLast(3).ToArray();
        }
        catch (IOException)
        {
            tail = [];
        }

        return tail.Length == 0 ? $"{name} exited (log {log})" : $"{name} exited; the end of {log}:\n  " + string.Join("\n  ", tail);
    }

    /// <summary>The shell line that starts the agent detached and records its pid (also the restart script's last line).</summary>
    public string AgentStartLine() => DetachedStartLine(Launcher.AgentCommand(), Layout.AgentLog, Layout.AgentPidFile);

    /// <summary>The restart script (see the file's primer). Its QEMU check mirrors the agent's: the pid's command line names the folder's QMP socket.</summary>
    public string RestartScriptText()
    {
        string pidFile = LaunchCommand.ShellQuote(Layout.AgentPidFile);
        return "#!/bin/sh\n# Replaces the agent (SIGKILL, start a new one that re-adopts the running VMs). With --a-cluster-reset\n"
            + "# (island-sim's reset hook) the VMs die with their cluster first.\n"
            + "# One run at a time (the island's hook and an operator's restart may coincide): each kills the\n"
            + "# agent of the pid file the one before it wrote, so exactly one agent is left, the pid file's.\n"
            + $"exec 9>>{LaunchCommand.ShellQuote(Layout.RestartLock)}\n"
            + "flock -w 60 9 || { echo 'restart-agent.sh: another restart still holds the lock after 60 s' >&2; exit 1; }\n"
            + $"[ -f {pidFile} ] && kill -9 \"$(cat {pidFile})\" 2>/dev/null\n"
            + "if [ \"$1\" = --a-cluster-reset ]; then\n"
            + $"  for d in {LaunchCommand.ShellQuote(Layout.RuntimeDir)}/*/; do\n"
            + "    p=$(cat \"${d}qemu.pid\" 2>/dev/null) || continue\n"
            + "    tr '\\0' '\\n' <\"/proc/$p/cmdline\" 2>/dev/null | grep -qF \"${d}qmp.sock\" || continue\n"
            + "    kill -9 \"$p\"; n=0; while [ -d \"/proc/$p\" ] && [ $n -lt 200 ]; do sleep 0.01; n=$((n+1)); done\n"
            + "  done\n"
            + "fi\n"
            + AgentStartLine() + "\n";
    }

    /// <summary>
    /// Prepares the layout, writes the restart script, starts island-sim unless it runs (a stale
    /// agent is killed first: it would hold a session with a gone island) and the agent. Returns
    /// the pids read back from the pid files. Throws <see cref="VirtualBoardException"/> when the
    /// board cannot be launched (not built, bad board).
    /// </summary>
    public async Task<(int? Sim, int? Agent)> StartAsync(CancellationToken cancellationToken = default)
    {
        Launcher.Binaries.EnsureBuilt();
        Launcher.Prepare();
        WritePrivateFile(Layout.RestartScript, RestartScriptText());
        if (Running().Sim is null)
        {
            if (Running().Agent is int stale)
            {
                PosixProcess.Send(stale, PosixProcess.SIGKILL);
            }

            await ShellAsync(DetachedStartLine(Launcher.SimCommand(), Layout.SimLog, Layout.SimPidFile), cancellationToken).ConfigureAwait(false);
        }

        await ShellAsync(AgentStartLine(), cancellationToken).ConfigureAwait(false);
        return Running();
    }

    /// <summary>
    /// Stops the agent, island-sim and every QEMU left, removes the VM folders, the shm file, the
    /// sockets and the pid files (see Teardown.cs). Logs stay.
    /// </summary>
    public async Task<Teardown.Report> StopAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Layout.Root))
        {
            return new Teardown.Report([], []);   // never started here: nothing to stop or remove
        }

        var stopped = new List<string>();
        foreach ((string name, string pidFile) in new[] { ("island-agent", Layout.AgentPidFile), ("island-sim", Layout.SimPidFile) })
        {
            if (PosixProcess.LivePid(pidFile) is int pid && await PosixProcess.StopAsync(pid, Teardown.ProcessGraceMs, cancellationToken).ConfigureAwait(false))
            {
                stopped.Add(string.Create(CultureInfo.InvariantCulture, $"{name} (pid {pid})"));
            }
        }

        Teardown.Report report = await Teardown.CleanUpAfterAsync(Layout, stopped, cancellationToken).ConfigureAwait(false);
        File.Delete(Layout.SimPidFile);
        File.Delete(Layout.AgentPidFile);
        return report;
    }

    /// <summary>`umask 077; setsid CMD >>LOG 2>&1 &lt;/dev/null &amp; echo $! >PIDFILE`.</summary>
    // fd 9 is the restart script's lock: the started process must not inherit (and hold) it.
    public static string DetachedStartLine(LaunchCommand command, string log, string pidFile) =>
        $"umask 077; setsid {command.ToShell()} >>{LaunchCommand.ShellQuote(log)} 2>&1 </dev/null 9>&- & echo $! >{LaunchCommand.ShellQuote(pidFile)}";

    private static void WritePrivateFile(string path, string text)
    {
        File.Delete(path);
        using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        using var writer = new StreamWriter(file);
        writer.Write(text);
    }

    private static async Task ShellAsync(string script, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using Process shell = Process.Start(start) ?? throw new VirtualBoardException("virtual board: cannot run /bin/sh");
        await shell.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }
}
