using System;
using System.Collections.Generic;
using System.IO;

namespace Stratos.Island.VirtualBoard;

/// <summary>
/// What differs between the virtual boards the project launches: `island up`'s (the defaults), the
/// HIL bench's (fault hooks, its own island configuration), the benchmarks' and the tests'.
/// </summary>
public sealed record VirtualBoardOptions
{
    public VirtualBoardOptions(string repository)
    {
        if (string.IsNullOrWhiteSpace(repository))
        {
            throw new ArgumentException("virtual board: the repository folder is empty", nameof(repository));
        }

        Repository = Path.GetFullPath(repository);
        BoardsDir = Path.Combine(Repository, "boards");
    }

    /// <summary>The repository: its boards folder, and the folder guest kernel paths in vms.yaml are relative to.</summary>
    public string Repository { get; }

    /// <summary>The boards folder (board descriptors and island configurations).</summary>
    public string BoardsDir { get; init; }

    /// <summary>The board: a name under <see cref="BoardsDir"/> or a board folder.</summary>
    public string Board { get; init; } = "virtual";

    /// <summary>Another island configuration (vms.yaml) for island-sim; null for the board's own.</summary>
    public string? IslandConfig { get; init; }

    /// <summary>
    /// False: the island's configuration with every VM's autostart off (tests start VMs
    /// themselves). Writes a copy next to the layout's root.
    /// </summary>
    public bool Autostart { get; init; } = true;

    /// <summary>The link is authenticated with one board key in the layout, given to both (docs/link.md "Authentication").</summary>
    public bool AuthenticatedLink { get; init; } = true;

    /// <summary>island-sim's --link (e.g. serial:TTY@BAUD); null for the shared-memory link of the layout.</summary>
    public string? SimLink { get; init; }

    /// <summary>island-sim's A-cluster reset hook (a shell command), or none.</summary>
    public string? ACLusterResetHook { get; init; }

    /// <summary>Both processes trace every heartbeat hop into the layout's trace files (docs/guests.md "Timing each hop").</summary>
    public bool TraceHeartbeats { get; init; }

    /// <summary>The agent's link-fault hook on the layout's fault socket (HIL only).</summary>
    public bool AgentFaultSocket { get; init; }

    /// <summary>Extra QEMU arguments the agent adds to every VM (--qemu-arg).</summary>
    public IReadOnlyList<string> QemuArguments { get; init; } = [];

    /// <summary>island-sim's --log-level (debug, info, warn, error), or its default.</summary>
    public string? SimLogLevel { get; init; }

    /// <summary>The agent's --log-level (e.g. warning), or its default.</summary>
    public string? AgentLogLevel { get; init; }

    /// <summary>Arguments appended to island-sim's command line as given.</summary>
    public IReadOnlyList<string> ExtraSimArguments { get; init; } = [];

    /// <summary>Arguments appended to the agent's command line as given.</summary>
    public IReadOnlyList<string> ExtraAgentArguments { get; init; } = [];

    /// <summary>The board's own island configuration file (BOARDS/BOARD/vms.yaml).</summary>
    public string BoardIslandConfig => Path.Combine(BoardFolder, Boards.IslandConfigLoader.ConfigFileName);

    /// <summary>The board's folder.</summary>
    public string BoardFolder => Board.Contains('/', StringComparison.Ordinal) ? Board : Path.Combine(BoardsDir, Board);
}
