using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.E2E.Tests;

/// <summary>
/// The agent's API server takes its configuration from the agent's options only: not from an
/// appsettings.json in the working directory, and it watches nothing there. ASP.NET's default
/// builders watch their content root (the working directory) recursively for configuration
/// reloads, one inotify watch per directory: the agent in the Xen machine's dom0 runs from /, the
/// host's whole tree over virtio-9p, and its API listened minutes after its start (issue 18).
/// </summary>
[TestClass]
public sealed class AgentWorkingDirectoryTests
{
    private static readonly string Repo = RepositoryRoot.Require();

    [TestMethod]
    public void The_agent_started_in_a_large_tree_watches_none_of_it_and_ignores_its_appsettings()
    {
        string dir = Path.Combine(Path.GetTempPath(), "siwd-" + Guid.NewGuid().ToString("N")[..8]);
        string cwd = Path.Combine(dir, "cwd");
        for (int i = 0; i < 40; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                Directory.CreateDirectory(Path.Combine(cwd, "d" + i, "e" + j));
            }
        }

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        // What the default builders would obey: a plaintext listener on that port.
        File.WriteAllText(Path.Combine(cwd, "appsettings.json"),
            "{ \"Kestrel\": { \"Endpoints\": { \"Http\": { \"Url\": \"http://127.0.0.1:" + port + "\" } } } }");
        BoardProcess? agent = null;
        try
        {
            var launcher = new VirtualBoardLauncher(new VirtualBoardLayout(dir), new VirtualBoardOptions(Repo) { Autostart = false, AuthenticatedLink = false });
            launcher.Prepare();
            agent = BoardProcess.Start("island-agent", launcher.AgentCommand(), workingDirectory: cwd);
            agent.WaitForLine("API listening on", 60000);

            int watches = InotifyWatches(agent.Id);
            Assert.AreEqual(0, watches, $"the agent holds {watches} inotify watches (the tree under its working directory has 241 directories)");
            using var client = new TcpClient();
            Assert.ThrowsExactly<SocketException>(() => client.Connect(IPAddress.Loopback, port), "the working directory's appsettings.json must not open a listener");
        }
        finally
        {
            agent?.Stop();
            agent?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The inotify watches the process holds (one "inotify wd:" line each in the fdinfo of its inotify descriptors).</summary>
    private static int InotifyWatches(int pid) =>
        new DirectoryInfo($"/proc/{pid}/fd").EnumerateFileSystemInfos()
            .Where(fd => fd.LinkTarget == "anon_inode:inotify")
            .Sum(fd => File.ReadLines($"/proc/{pid}/fdinfo/{fd.Name}").Count(l => l.StartsWith("inotify wd:", StringComparison.Ordinal)));
}
