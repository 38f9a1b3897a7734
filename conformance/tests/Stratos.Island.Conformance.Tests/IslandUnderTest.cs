using System;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Conformance.Tests;

/// <summary>
/// Where the island under test is. A vendor points the kit at a running island with
///   ISLAND_CONFORMANCE_SHM      the shared-memory file (OpenAMP Linux reference layout)
///   ISLAND_CONFORMANCE_KICK     the kick socket the island listens on
///   ISLAND_CONFORMANCE_CHANNEL  the rpmsg channel name it announces (default stratos-island)
/// Without ISLAND_CONFORMANCE_SHM the kit starts island-sim with the virtual board (autostart off)
/// in a private directory through the board's launcher (Stratos.Island.VirtualBoard), as CI does,
/// and stops it at the end.
/// </summary>
[TestClass]
public static class IslandUnderTest
{
    private static BoardProcess? _sim;
    private static string? _root;

    public static string ShmPath { get; private set; } = "";

    public static string KickSocket { get; private set; } = "";

    public static string Channel { get; private set; } = "stratos-island";

    /// <summary>"island-sim (started by the kit)" or the paths given, for messages.</summary>
    public static string Description { get; private set; } = "";

    [AssemblyInitialize]
    public static void Start(TestContext context)
    {
        string? shm = Environment.GetEnvironmentVariable("ISLAND_CONFORMANCE_SHM");
        Channel = Environment.GetEnvironmentVariable("ISLAND_CONFORMANCE_CHANNEL") is { Length: > 0 } c ? c : "stratos-island";
        if (!string.IsNullOrEmpty(shm))
        {
            ShmPath = shm;
            KickSocket = Environment.GetEnvironmentVariable("ISLAND_CONFORMANCE_KICK")
                ?? throw new InvalidOperationException("ISLAND_CONFORMANCE_SHM is set but ISLAND_CONFORMANCE_KICK is not: give the island's kick socket");
            Description = "island at " + ShmPath + " / " + KickSocket;
            return;
        }

        // The virtual board's launcher: its layout under a private directory, a board folder of its own
        // whose vms.yaml has autostart off, island-sim's command line; no agent (the kit is the agent).
        _root = Path.Combine(Path.GetTempPath(), "island-conformance-" + Guid.NewGuid().ToString("N")[..10]);
        var layout = new VirtualBoardLayout(_root);
        var launcher = new VirtualBoardLauncher(layout,
            new VirtualBoardOptions(RepositoryRoot.Require()) { Autostart = false, AuthenticatedLink = false },
            VirtualBoardBinaries.InDirectory(AppContext.BaseDirectory));
        launcher.Prepare();
        ShmPath = layout.ShmPath;
        KickSocket = layout.KickSocket;
        _sim = BoardProcess.Start("island-sim", launcher.SimCommand());
        Description = "island-sim (started by the kit, pid " + _sim.Id + ")";
    }

    [AssemblyCleanup]
    public static void Stop()
    {
        _sim?.Dispose();
        if (_root != null)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
