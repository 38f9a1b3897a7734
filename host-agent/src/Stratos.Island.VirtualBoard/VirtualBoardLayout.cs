// Where one virtual-board instance keeps its files. Everything lives under one root directory (the
// state dir of `island up`, a bench's or a test's temp dir), so instances never share anything:
//
//   ROOT/island/              island-sim's state dir: flash.bin (the event log and config
//                             partition), link.key (the board key, 0600), control.sock, island.log
//   ROOT/link.shm             the link's shared memory (island-sim creates it, the agent maps it)
//   ROOT/kick.sock            the doorbell (AF_UNIX datagrams in both directions)
//   ROOT/agent.sock           the agent's API socket (ISLAND_SOCKET may put it elsewhere)
//   ROOT/faults.sock          the agent's link-fault hook (only when asked for)
//   ROOT/vms/VM/              the agent's runtime dir: qemu.pid, qmp.sock, console.sock per VM
//   ROOT/island-sim.log, island-agent.log, *.pid, restart-agent.sh (+ .lock)   (`island up`'s detached processes)
//   ROOT/board/               a board folder of its own when the island runs another configuration
//
// UNIX socket paths must fit 107 bytes and QEMU's go two levels below RuntimeDir: keep ROOT short.
using System;
using System.IO;

namespace Stratos.Island.VirtualBoard;

/// <summary>The files of one virtual-board instance under <see cref="Root"/> (see the file's primer).</summary>
public sealed record VirtualBoardLayout
{
    /// <summary>Longest AF_UNIX socket path Linux accepts (sun_path is 108 bytes with its NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    public VirtualBoardLayout(string root)
    {
        if (string.IsNullOrWhiteSpace(root))
        {
            throw new ArgumentException("virtual board: the layout's root directory is empty", nameof(root));
        }

        Root = Path.GetFullPath(root);
        AgentSocket = Path.Combine(Root, "agent.sock");
        ShmPath = Path.Combine(Root, "link.shm");
        KickSocket = Path.Combine(Root, "kick.sock");
    }

    public string Root { get; }

    /// <summary>The agent's API socket; ROOT/agent.sock unless set (`island up` honours ISLAND_SOCKET).</summary>
    public string AgentSocket { get; init; }

    /// <summary>The link's shared-memory file; ROOT/link.shm unless set (the HIL bench keeps it in /dev/shm).</summary>
    public string ShmPath { get; init; }

    /// <summary>The link's doorbell socket; ROOT/kick.sock unless set (a scripted island names its own).</summary>
    public string KickSocket { get; init; }

    public string IslandStateDir => Path.Combine(Root, "island");
    public string FlashFile => Path.Combine(IslandStateDir, "flash.bin");
    public string LinkKey => Path.Combine(IslandStateDir, "link.key");
    public string ControlSocket => Path.Combine(IslandStateDir, "control.sock");
    public string IslandLog => Path.Combine(IslandStateDir, "island.log");
    public string FaultSocket => Path.Combine(Root, "faults.sock");
    public string RuntimeDir => Path.Combine(Root, "vms");
    public string BoardDir => Path.Combine(Root, "board");
    public string IslandConfigCopy => Path.Combine(Root, "vms.yaml");
    public string SimLog => Path.Combine(Root, "island-sim.log");
    public string AgentLog => Path.Combine(Root, "island-agent.log");
    public string SimPidFile => Path.Combine(Root, "island-sim.pid");
    public string AgentPidFile => Path.Combine(Root, "island-agent.pid");
    public string RestartScript => Path.Combine(Root, "restart-agent.sh");

    /// <summary>The restart script's lock file (one restart at a time).</summary>
    public string RestartLock => Path.Combine(Root, "restart-agent.lock");
    public string IslandHeartbeatTrace => Path.Combine(Root, "island-heartbeats.trace");
    public string AgentHeartbeatTrace => Path.Combine(Root, "agent-heartbeats.trace");

    /// <summary>The VM's folder under the runtime dir (qemu.pid, qmp.sock, console.sock).</summary>
    public string VmDir(string vm) => Path.Combine(RuntimeDir, vm);

    /// <summary>The sockets and files that exist only while the board runs (what teardown removes).</summary>
    public string[] RunningFiles() => [ShmPath, KickSocket, AgentSocket, ControlSocket, FaultSocket];

    /// <summary>Null when every socket path fits sun_path, else what is too long.</summary>
    public string? SocketPathProblem()
    {
        // The deepest QEMU socket the agent makes: RUN/VM/console.sock with a short VM name.
        foreach (string path in new[] { AgentSocket, KickSocket, ControlSocket, FaultSocket, Path.Combine(RuntimeDir, "web", "console.sock") })
        {
            int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
            if (bytes > MaxSocketPathBytes)
            {
                return $"virtual board: socket path '{path}' is {bytes} bytes, over the {MaxSocketPathBytes} a UNIX socket allows; use a shorter state dir than '{Root}'";
            }
        }

        return null;
    }
}
