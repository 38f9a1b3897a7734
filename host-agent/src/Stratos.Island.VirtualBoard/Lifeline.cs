using System;
using System.Diagnostics;
using System.Globalization;

namespace Stratos.Island.VirtualBoard;

/// <summary>
/// A child that must not outlive its owner (a test host, a bench) however the owner ends: a small
/// shell beside the child polls both once a second; when the owner is gone and the child is not, it
/// SIGKILLs the child and every descendant it has then (island-sim's supervised child, the agent's
/// QEMUs). It ends by itself when the child ends first. SIGKILL of the owner runs no handler in it,
/// so the watch has to live outside (as island-xen.sh's lifeline does for the Xen machine).
/// </summary>
public static class Lifeline
{
    // $1 owner pid, $2 child pid. `tree` lists a process's descendants, deepest first, then itself.
    private const string Script =
        "exec </dev/null >/dev/null 2>&1\n"
        + "tree() { for c in $(ps -o pid= --ppid \"$1\"); do tree \"$c\"; done; echo \"$1\"; }\n"
        + "while kill -0 \"$1\" 2>/dev/null && kill -0 \"$2\" 2>/dev/null; do sleep 1; done\n"
        + "kill -0 \"$1\" 2>/dev/null || kill -KILL $(tree \"$2\") 2>/dev/null\n";

    /// <summary>Starts the watch of <paramref name="childPid"/> for <paramref name="ownerPid"/>; the shell's process (disposable, it reaps itself).</summary>
    public static Process Watch(int ownerPid, int childPid)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("island-lifeline");
        start.ArgumentList.Add(ownerPid.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(childPid.ToString(CultureInfo.InvariantCulture));
        return Process.Start(start) ?? throw new VirtualBoardException("virtual board: cannot start the lifeline shell");
    }
}
