using System;
using System.Diagnostics;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Conformance.Tests;

/// <summary>
/// Where the island under test is. A vendor points the kit at a running island with
///   ISLAND_CONFORMANCE_SHM      the shared-memory file (OpenAMP Linux reference layout)
///   ISLAND_CONFORMANCE_KICK     the kick socket the island listens on
///   ISLAND_CONFORMANCE_CHANNEL  the rpmsg channel name it announces (default stratos-island)
/// Without ISLAND_CONFORMANCE_SHM the kit starts island-sim with the virtual board (autostart off)
/// in a private directory, as CI does, and stops it at the end.
/// </summary>
[TestClass]
public static class IslandUnderTest
{
    private static Process? _sim;
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

        _root = Path.Combine(Path.GetTempPath(), "island-conformance-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(_root, "state"));
        string boards = FindBoards();
        string config = Path.Combine(_root, "vms.yaml");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(boards, "virtual", "vms.yaml"))
            .Replace("autostart: true", "autostart: false", StringComparison.Ordinal));
        ShmPath = Path.Combine(_root, "shm");
        KickSocket = Path.Combine(_root, "kick");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "island-sim.dll"), "--board", Path.Combine(boards, "virtual", "board.yaml"),
            "--config", config, "--state-dir", Path.Combine(_root, "state"), "--shm-path", ShmPath, "--kick-socket", KickSocket,
        })
        {
            start.ArgumentList.Add(arg);
        }

        _sim = Process.Start(start) ?? throw new InvalidOperationException("island-sim did not start");
        _sim.ErrorDataReceived += (_, _) => { };
        _sim.OutputDataReceived += (_, _) => { };
        _sim.BeginErrorReadLine();
        _sim.BeginOutputReadLine();
        Description = "island-sim (started by the kit, pid " + _sim.Id + ")";
    }

    [AssemblyCleanup]
    public static void Stop()
    {
        if (_sim != null && !_sim.HasExited)
        {
            _sim.Kill(entireProcessTree: true);
            _sim.WaitForExit(5000);
        }

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

    private static string FindBoards()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "boards", "virtual", "board.yaml")))
            {
                return Path.Combine(dir.FullName, "boards");
            }
        }

        throw new DirectoryNotFoundException("boards/virtual/board.yaml not found above " + AppContext.BaseDirectory
            + "; set ISLAND_CONFORMANCE_SHM and ISLAND_CONFORMANCE_KICK to test a running island");
    }
}
