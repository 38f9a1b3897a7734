using System;
using System.IO;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Sim.Tests;

// One test's private world: the virtual board's layout under a temp directory (shm file, kick
// socket, island state dir, a board folder whose vms.yaml has autostart off, so the tests start VMs
// themselves), and island-sim started through the board's launcher. The agent side is the test's
// own AgentDriver. No link key is given: island-sim makes its own, as without --link-key.
public sealed class SimWorld : IDisposable
{
    public SimWorld()
    {
        Layout = new VirtualBoardLayout(Path.Combine(Path.GetTempPath(), "island-sim-test-" + Guid.NewGuid().ToString("N")[..10]));
        Launcher = new VirtualBoardLauncher(
            Layout,
            new VirtualBoardOptions(RepositoryRoot.Require()) { Autostart = false, AuthenticatedLink = false },
            VirtualBoardBinaries.InDirectory(AppContext.BaseDirectory));
        Launcher.Prepare();
    }

    public VirtualBoardLayout Layout { get; }

    public VirtualBoardLauncher Launcher { get; }

    public string Root => Layout.Root;

    public string ShmPath => Layout.ShmPath;

    public string KickSocket => Layout.KickSocket;

    public string StateDir => Layout.IslandStateDir;

    public string ControlSocket => Layout.ControlSocket;

    public string ConfigPath => Path.Combine(Layout.BoardDir, "vms.yaml");

    public static string RepoBoardsDir => Path.Combine(RepositoryRoot.Require(), "boards");

    // island-sim with the launcher's arguments and these after them.
    public BoardProcess Start(params string[] extra) =>
        BoardProcess.Start("island-sim", LaunchCommand.For(Launcher.SimCommand().Arguments[0], [.. Launcher.SimArguments(), .. extra]));

    // island-sim with exactly these arguments (tests of its own option checks).
    public BoardProcess StartWith(params string[] arguments) => BoardProcess.Start("island-sim", Launcher.SimCommand(arguments));

    // Sends one control command and returns the answer line.
    public string Control(string command) => Readiness.SendLine(ControlSocket, command);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
