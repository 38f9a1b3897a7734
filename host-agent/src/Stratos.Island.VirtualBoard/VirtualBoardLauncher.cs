// The one place that knows how the virtual board's two processes are started: island-sim (the
// island, device side of the link, creates the shared memory and the kick socket) and island-agent
// (driver side, maps them, serves the API). Order: prepare the layout (dirs 0700, the board key
// 0600, a board folder of its own when the island configuration differs), island-sim first, the
// agent once island-sim listens on its kick socket; ready when the agent's API socket accepts and
// island-sim's control socket reports the session up (bounded waits in Readiness). Teardown in
// Teardown.cs. Flags of both programs: docs/island-sim.md, docs/agent.md.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Stratos.Island.Boards;

namespace Stratos.Island.VirtualBoard;

/// <summary>The command lines and file set-up of one virtual-board instance (see the file's primer).</summary>
public sealed class VirtualBoardLauncher
{
    public VirtualBoardLauncher(VirtualBoardLayout layout, VirtualBoardOptions options, VirtualBoardBinaries? binaries = null)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Binaries = binaries ?? VirtualBoardBinaries.InRepository(options.Repository);
    }

    public VirtualBoardLayout Layout { get; }

    public VirtualBoardOptions Options { get; }

    public VirtualBoardBinaries Binaries { get; }

    /// <summary>The board both processes are given: the options' board, or the layout's own board folder when the island configuration differs.</summary>
    public string Board => OwnBoardFolder ? Layout.BoardDir : Options.Board;

    private bool OwnBoardFolder => Options.IslandConfig is not null || !Options.Autostart;

    /// <summary>Owner-only permissions for the directories the launcher makes (docs/security.md).</summary>
    public const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Checks the board, its island configuration and the socket paths, then makes the layout's
    /// directories, the board key (when absent) and the board folder of its own. Throws
    /// <see cref="VirtualBoardException"/> naming what is wrong; creates nothing then. (The
    /// programs are checked by <see cref="SimCommand"/> and <see cref="AgentCommand"/>, and by
    /// <see cref="VirtualBoardBinaries.EnsureBuilt"/> for a caller that starts both.)
    /// </summary>
    public void Prepare()
    {
        string board = Path.Combine(Options.BoardFolder, BoardLoader.DescriptorFileName);
        if (!File.Exists(board))
        {
            throw new VirtualBoardException($"virtual board: board '{Options.Board}' has no descriptor at {board} (boards folder {Options.BoardsDir})");
        }

        string config = Options.IslandConfig ?? Options.BoardIslandConfig;
        if (!File.Exists(config))
        {
            throw new VirtualBoardException($"virtual board: island configuration {config} does not exist");
        }

        if (Layout.SocketPathProblem() is string problem)
        {
            throw new VirtualBoardException(problem);
        }

        Directory.CreateDirectory(Layout.Root, PrivateDirectoryMode);
        Directory.CreateDirectory(Layout.IslandStateDir, PrivateDirectoryMode);
        if (Options.AuthenticatedLink && !File.Exists(Layout.LinkKey))
        {
            Boards.LinkKeyFile.Create(Layout.LinkKey);
        }

        if (OwnBoardFolder)
        {
            // Read both before writing: the board folder given may be the layout's own.
            string descriptor = File.ReadAllText(board);
            string vms = File.ReadAllText(config);
            if (!Options.Autostart)
            {
                vms = vms.Replace("autostart: true", "autostart: false", StringComparison.Ordinal);
            }

            Directory.CreateDirectory(Layout.BoardDir, PrivateDirectoryMode);
            File.WriteAllText(Path.Combine(Layout.BoardDir, BoardLoader.DescriptorFileName), descriptor);
            File.WriteAllText(Path.Combine(Layout.BoardDir, IslandConfigLoader.ConfigFileName), vms);
        }
    }

    /// <summary>
    /// The VMs the island starts by itself (autostart: true in its configuration), read with the
    /// boards library's loaders; throws <see cref="VirtualBoardException"/> naming a bad file.
    /// </summary>
    public IReadOnlyList<string> AutostartVms()
    {
        try
        {
            BoardDescriptor board = BoardLoader.Load(Path.Combine(Options.BoardFolder, BoardLoader.DescriptorFileName));
            IslandConfig config = IslandConfigLoader.Load(Options.IslandConfig ?? Options.BoardIslandConfig, board);
            return config.Vms.Where(vm => vm.Autostart && Options.Autostart).Select(vm => vm.Name).ToArray();
        }
        catch (BoardDescriptorException e)
        {
            throw new VirtualBoardException($"virtual board: board '{Options.Board}': {string.Join("; ", e.Errors)}", e);
        }
    }

    /// <summary>island-sim's arguments (docs/island-sim.md).</summary>
    public IReadOnlyList<string> SimArguments()
    {
        List<string> args = BoardAndLink("--state-dir", Layout.IslandStateDir, "--control-socket", Layout.ControlSocket);
        if (Options.SimLink is not null)
        {
            args.AddRange(["--link", Options.SimLink]);
        }

        if (Options.AuthenticatedLink)
        {
            args.AddRange(["--link-key", Layout.LinkKey]);
        }

        if (Options.TraceHeartbeats)
        {
            args.AddRange(["--trace-heartbeats", Layout.IslandHeartbeatTrace]);
        }

        if (Options.ACLusterResetHook is not null)
        {
            args.AddRange(["--a-cluster-reset-hook", Options.ACLusterResetHook]);
        }

        if (Options.SimLogLevel is not null)
        {
            args.AddRange(["--log-level", Options.SimLogLevel]);
        }

        args.AddRange(Options.ExtraSimArguments);
        return args;
    }

    /// <summary>The agent's arguments (docs/agent.md).</summary>
    public IReadOnlyList<string> AgentArguments()
    {
        List<string> args = BoardAndLink("--socket", Layout.AgentSocket, "--runtime-dir", Layout.RuntimeDir);
        args.AddRange(["--guest-kernel-dir", Options.Repository]);
        if (Options.AuthenticatedLink)
        {
            args.AddRange(["--link-key", Layout.LinkKey]);
        }

        if (Options.TraceHeartbeats)
        {
            args.AddRange(["--trace-heartbeats", Layout.AgentHeartbeatTrace]);
        }

        if (Options.AgentFaultSocket)
        {
            args.AddRange(["--fault-socket", Layout.FaultSocket]);
        }

        foreach (string qemu in Options.QemuArguments)
        {
            args.Add("--qemu-arg=" + qemu);
        }

        if (Options.AgentLogLevel is not null)
        {
            args.AddRange(["--log-level", Options.AgentLogLevel]);
        }

        args.AddRange(Options.ExtraAgentArguments);
        return args;
    }

    // What both programs are given alike around their own first options: the board, and the
    // shared-memory link's two paths when the link is the shared memory.
    private List<string> BoardAndLink(params string[] own)
    {
        var args = new List<string> { "--board", Board, "--boards-dir", Options.BoardsDir };
        args.AddRange(own);
        if (Options.SimLink is null)
        {
            args.AddRange(["--shm-path", Layout.ShmPath, "--kick-socket", Layout.KickSocket]);
        }

        return args;
    }

    /// <summary>island-sim's command; <see cref="VirtualBoardException"/> when it is not built.</summary>
    public LaunchCommand SimCommand() => LaunchCommand.For(Built(Binaries.IslandSim, VirtualBoardBinaries.SimProject), SimArguments());

    /// <summary>The agent's command; <see cref="VirtualBoardException"/> when it is not built.</summary>
    public LaunchCommand AgentCommand() => LaunchCommand.For(Built(Binaries.Agent, VirtualBoardBinaries.AgentProject), AgentArguments());

    /// <summary>island-sim's command with other arguments (tests of its own option handling).</summary>
    public LaunchCommand SimCommand(IEnumerable<string> arguments) => LaunchCommand.For(Built(Binaries.IslandSim, VirtualBoardBinaries.SimProject), arguments);

    private static string Built(string binary, string project) =>
        File.Exists(binary) ? binary : throw new VirtualBoardException($"virtual board: {binary} is not built (project {project})");
}
