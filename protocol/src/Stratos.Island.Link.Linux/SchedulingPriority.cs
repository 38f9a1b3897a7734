// Link endpoints above guest VMs on the scheduler.
//
// On a board the island is its own MCU: no load on the A side can delay its main loop. Simulated on
// Linux, island-sim and the agent's link and relay threads share the CPUs with the guests' QEMUs, and
// a TCG vCPU is runnable all the time. With equal weights the island's main loop waited for CPU long
// enough on a loaded 2-core machine for its 500 ms hardware watchdog to fire (docs/island-sim.md
// "Scheduling"). Raising the nice value of every thread of the process (Linux keeps the nice value
// per thread; threads created later inherit it from their creator) gives the link endpoints about
// ten times a guest's CPU share when both want it, without a real-time policy that a bug could turn
// into a machine-wide hang. A session leader also raises its CFS autogroup, within which alone nice
// values weigh. Needs CAP_SYS_NICE (root); without it the caller logs why and runs on.
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Stratos.Island.Link.Linux;

public static partial class SchedulingPriority
{
    /// <summary>The nice value link endpoints ask for: weight 9548 against a default thread's 1024.</summary>
    public const int LinkEndpointNice = -10;

    private const int PrioProcess = 0;

    /// <summary>
    /// Sets nice <paramref name="nice"/> on every thread of this process. Returns null on success,
    /// otherwise a sentence saying what was not permitted (the process keeps running as it was).
    /// </summary>
    public static string? RaiseProcess(int nice = LinkEndpointNice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "scheduling priority: only Linux is supported";
        }

        int failed = 0;
        int lastError = 0;
        int threads = 0;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(task), out int tid))
            {
                continue;
            }

            threads++;
            if (setpriority(PrioProcess, tid, nice) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                // ESRCH: the thread ended between the listing and the call.
                if (errno != 3)
                {
                    failed++;
                    lastError = errno;
                }
            }
        }

        // With CFS autogroup (sched_autogroup_enabled) nice values only weigh threads against their own
        // session's: a session leader (island up starts each with setsid) raises its group too.
        string? group = null;
        if (getsid(0) == Environment.ProcessId && File.Exists("/proc/self/autogroup"))
        {
            try
            {
                File.WriteAllText("/proc/self/autogroup", nice.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                group = "its session's autogroup: " + e.Message;
            }
        }

        if (failed == 0 && group is null)
        {
            return null;
        }

        if (failed == 0)
        {
            return "cannot raise the scheduling priority of " + group + " (needs root or CAP_SYS_NICE): link endpoints share the CPU equally with other sessions"
                + " and may miss their deadlines under load";
        }

        return "cannot raise the scheduling priority to nice " + nice + " (" + failed + " of " + threads + " threads: "
            + Marshal.GetPInvokeErrorMessage(lastError) + "; needs root or CAP_SYS_NICE): link endpoints share the CPU equally with guest VMs"
            + " and may miss their deadlines under load";
    }

    /// <summary>The nice value of the calling thread.</summary>
    public static int CurrentThreadNice()
    {
        Marshal.SetLastPInvokeError(0);
        return getpriority(PrioProcess, 0);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, int who);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsid(int pid);
}
