// Teardown of a virtual board, bounded: the agent first (SIGTERM: its VMs keep running, as when an
// agent is replaced), then island-sim (SIGTERM: it removes its sockets and withdraws its resource
// table; the shm file outlives island restarts on purpose), then every QEMU left under the runtime
// dir (a pid file's process counts only when its command line names qemu-system: a recycled pid is
// left alone), then the shm file and what is left of the sockets. Logs and the island's state dir
// (flash, link key) stay.
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.VirtualBoard;

/// <summary>Stopping what a virtual board left running and removing its runtime files (see the file's primer).</summary>
public static class Teardown
{
    /// <summary>How long each process may take to go after a signal.</summary>
    public const int ProcessGraceMs = 5000;

    /// <summary>Every QEMU pid file under the runtime dir: (VM, pid), whether or not the process lives.</summary>
    public static IReadOnlyList<(string Vm, int Pid)> QemuPidFiles(string runtimeDir)
    {
        var list = new List<(string, int)>();
        if (!Directory.Exists(runtimeDir))
        {
            return list;
        }

        foreach (string pidFile in Directory.GetFiles(runtimeDir, "qemu.pid", SearchOption.AllDirectories))
        {
            if (PosixProcess.ReadPidFile(pidFile) is int pid)
            {
                list.Add((Path.GetFileName(Path.GetDirectoryName(pidFile)!), pid));
            }
        }

        return list;
    }

    /// <summary>True when <paramref name="pid"/> is a live QEMU (its command line names qemu-system).</summary>
    public static bool IsQemu(int pid) => PosixProcess.IsAlive(pid) && PosixProcess.CommandLine(pid).Contains("qemu-system", System.StringComparison.Ordinal);

    /// <summary>SIGKILLs every live QEMU of the runtime dir and waits for each; what it killed.</summary>
    public static async Task<IReadOnlyList<(string Vm, int Pid)>> KillQemusAsync(string runtimeDir, CancellationToken cancellationToken = default)
    {
        var killed = new List<(string, int)>();
        foreach ((string vm, int pid) in QemuPidFiles(runtimeDir))
        {
            if (IsQemu(pid))
            {
                PosixProcess.Send(pid, PosixProcess.SIGKILL);
                await PosixProcess.WaitGoneAsync(pid, ProcessGraceMs, cancellationToken).ConfigureAwait(false);
                killed.Add((vm, pid));
            }
        }

        return killed;
    }

    /// <summary>Removes the shm file and the sockets of <see cref="VirtualBoardLayout.RunningFiles"/> that exist; those it removed.</summary>
    public static IReadOnlyList<string> RemoveRunningFiles(VirtualBoardLayout layout)
    {
        var removed = new List<string>();
        foreach (string path in layout.RunningFiles())
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                removed.Add(path);
            }
        }

        return removed;
    }

    /// <summary>What a teardown stopped and removed, in order, for the operator.</summary>
    public sealed record Report(IReadOnlyList<string> Stopped, IReadOnlyList<string> Removed)
    {
        public bool Nothing => Stopped.Count == 0 && Removed.Count == 0;
    }

    /// <summary>The QEMUs and files left after the board's own processes are stopped: kills, removes the VM folders and the running files.</summary>
    public static async Task<Report> CleanUpAfterAsync(VirtualBoardLayout layout, List<string> stopped, CancellationToken cancellationToken = default)
    {
        foreach ((string vm, int pid) in await KillQemusAsync(layout.RuntimeDir, cancellationToken).ConfigureAwait(false))
        {
            stopped.Add(string.Create(CultureInfo.InvariantCulture, $"QEMU of VM '{vm}' (pid {pid})"));
        }

        if (Directory.Exists(layout.RuntimeDir))
        {
            foreach (string vmDir in Directory.GetDirectories(layout.RuntimeDir))
            {
                Directory.Delete(vmDir, recursive: true);
            }
        }

        return new Report(stopped, RemoveRunningFiles(layout));
    }
}
