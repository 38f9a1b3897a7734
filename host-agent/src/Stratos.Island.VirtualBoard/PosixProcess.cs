using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.VirtualBoard;

/// <summary>Processes by pid (never by name): signals, liveness, pid files.</summary>
public static class PosixProcess
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    /// <summary>Sends a signal; false when the process does not exist (any more).</summary>
    public static bool Send(int pid, int signal) => pid > 0 && NativeKill(pid, signal) == 0;

    /// <summary>True while a process with this pid exists, zombies included (signal 0 probes without sending).</summary>
    public static bool Exists(int pid) => pid > 0 && NativeKill(pid, 0) == 0;

    /// <summary>Alive and not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string text = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
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

    /// <summary>The process's command line with its NULs as they are, or "" when it is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>The pid in a pid file, or null when the file is absent or holds no pid.</summary>
    public static int? ReadPidFile(string pidFile)
    {
        try
        {
            return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null; // removed while reading
        }
    }

    /// <summary>The pid in a pid file when that process is alive, else null.</summary>
    public static int? LivePid(string pidFile) => ReadPidFile(pidFile) is int pid && IsAlive(pid) ? pid : null;

    /// <summary>Waits until the process is gone (or a zombie); false when it is still alive after <paramref name="timeoutMs"/>.</summary>
    public static async Task<bool> WaitGoneAsync(int pid, int timeoutMs, CancellationToken cancellationToken = default)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (IsAlive(pid))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>SIGTERM, SIGKILL after <paramref name="graceMs"/>; true when it was alive.</summary>
    public static async Task<bool> StopAsync(int pid, int graceMs, CancellationToken cancellationToken = default)
    {
        if (!IsAlive(pid))
        {
            return false;
        }

        Send(pid, SIGTERM);
        if (!await WaitGoneAsync(pid, graceMs, cancellationToken).ConfigureAwait(false))
        {
            Send(pid, SIGKILL);
            await WaitGoneAsync(pid, graceMs, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
