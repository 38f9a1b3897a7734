using System.Runtime.InteropServices;

namespace Stratos.Island.Hil.Benches;

/// <summary>POSIX signals the virtual bench sends to the processes it owns (by pid, never by name).</summary>
public static partial class ProcessSignals
{
    public const int SIGKILL = 9;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal; false when the process does not exist (any more).</summary>
    public static bool Send(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    /// <summary>True while a process with this pid exists (signal 0 probes without sending).</summary>
    public static bool Exists(int pid) => pid > 0 && Kill(pid, 0) == 0;
}
