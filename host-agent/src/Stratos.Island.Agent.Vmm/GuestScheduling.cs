// Guests never run at the agent's raised priority.
//
// The agent raises its own threads to nice -10 (SchedulingPriority in Stratos.Island.Link.Linux) so
// its link and relay threads win the CPU over guests, as the island's own MCU would. A child inherits
// the nice value of the thread that forked it, so a QEMU started as it is would run at -10 too and
// the raise would buy nothing. QEMU is therefore exec'ed through nice(1) with the increment that
// brings it back to nice 0 (lowering one's priority needs no privilege).
using System;
using System.Runtime.InteropServices;

namespace Stratos.Island.Agent.Vmm;

internal static partial class GuestScheduling
{
    /// <summary>The nice value guests run at.</summary>
    public const int GuestNice = 0;

    /// <summary>The nice(1) increment a child forked by the calling thread needs to run at <see cref="GuestNice"/>; 0 for none.</summary>
    public static int ChildNiceIncrement()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        Marshal.SetLastPInvokeError(0);
        int current = getpriority(0, 0);
        if (current == -1 && Marshal.GetLastPInvokeError() != 0)
        {
            return 0;
        }

        return current < GuestNice ? GuestNice - current : 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, int who);
}
